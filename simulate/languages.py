"""Non-English phrasing the simulator writes itself, per language.

The corpora are mostly English, but neither people nor campaigns are: real
users greet, ask for the answer in their own language and follow up in it;
multilingual distillation asks for reasoning in other languages so that the
student model learns them, and phrasing a request in another language is also
the cheapest paraphrase there is. These wrappers were written for this
simulator (they are not corpus text): chain-of-thought wrappers with a
``{question}`` slot, plain task wrappers, an "answer in ..." sentence, a
grading wrapper with ``{question}`` and ``{answer}`` slots, greetings and
follow-ups. Twelve languages; campaigns draw from the first ten.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Phrasing:
    code: str
    name: str
    cot: tuple[str, ...]
    task: tuple[str, ...]
    answer_in: tuple[str, ...]
    grading: tuple[str, ...]
    greetings: tuple[str, ...]
    followups: tuple[str, ...]


PHRASINGS: dict[str, Phrasing] = {
    p.code: p
    for p in (
        Phrasing(
            "es",
            "Spanish",
            cot=(
                "Resuelve el siguiente problema y explica tu razonamiento paso a paso:\n\n{question}",
                "{question}\n\nPiensa paso a paso antes de dar la respuesta final.",
                "Pregunta: {question}\nRazona paso a paso y luego da la respuesta.",
                "Necesito la solución detallada, con cada paso justificado:\n{question}",
            ),
            task=(
                "Responde en español, de forma completa:\n\n{question}",
                "{question}\n\nPor favor, contesta en español.",
                "Tarea: {question}",
            ),
            answer_in=("Responde en español.", "Contesta en español, por favor."),
            grading=(
                "Evalúa la siguiente respuesta a la pregunta. Explica los errores y asigna una "
                "puntuación del 1 al 10.\n\nPregunta: {question}\n\nRespuesta: {answer}",
            ),
            greetings=("Hola", "Hola!", "Buenas", "Buenos días"),
            followups=(
                "gracias! puedes resumirlo en 3 puntos?",
                "y si lo hago de otra forma?",
                "explícamelo más fácil",
                "ok, ahora en inglés",
            ),
        ),
        Phrasing(
            "fr",
            "French",
            cot=(
                "Résous le problème suivant en expliquant ton raisonnement étape par étape :\n\n{question}",
                "{question}\n\nRéfléchissons étape par étape avant de donner la réponse.",
                "Question : {question}\nDétaille chaque étape du raisonnement, puis conclus.",
            ),
            task=(
                "Réponds en français, de manière complète :\n\n{question}",
                "{question}\n\nMerci de répondre en français.",
            ),
            answer_in=("Réponds en français.", "Réponse en français stp."),
            grading=(
                "Évalue la réponse suivante. Justifie ton évaluation puis donne une note sur "
                "10.\n\nQuestion : {question}\n\nRéponse : {answer}",
            ),
            greetings=("Bonjour", "Salut", "Bonsoir"),
            followups=(
                "merci, tu peux faire plus court ?",
                "et en anglais ?",
                "tu peux donner un exemple ?",
            ),
        ),
        Phrasing(
            "de",
            "German",
            cot=(
                "Löse die folgende Aufgabe und erkläre deinen Lösungsweg Schritt für Schritt:\n\n{question}",
                "{question}\n\nLass uns Schritt für Schritt denken.",
                "Frage: {question}\nBitte begründe jeden Schritt und nenne dann die Antwort.",
            ),
            task=(
                "Antworte bitte auf Deutsch:\n\n{question}",
                "{question}\n\nBitte ausführlich und auf Deutsch antworten.",
            ),
            answer_in=("Bitte auf Deutsch antworten.", "Antworte auf Deutsch."),
            grading=(
                "Bewerte die folgende Antwort auf die Frage. Erkläre Fehler und vergib eine Note "
                "von 1 bis 10.\n\nFrage: {question}\n\nAntwort: {answer}",
            ),
            greetings=("Hallo", "Hi", "Guten Morgen", "Moin"),
            followups=(
                "danke! geht das auch kürzer?",
                "kannst du das genauer erklären?",
                "und jetzt auf Englisch bitte",
            ),
        ),
        Phrasing(
            "pt",
            "Portuguese",
            cot=(
                "Resolva o problema a seguir e explique o raciocínio passo a passo:\n\n{question}",
                "{question}\n\nVamos pensar passo a passo.",
                "Pergunta: {question}\nMostre cada etapa do raciocínio antes da resposta final.",
            ),
            task=(
                "Responda em português:\n\n{question}",
                "{question}\n\nPor favor, responda em português do Brasil.",
            ),
            answer_in=("Responda em português.", "Resposta em português, por favor."),
            grading=(
                "Avalie a resposta abaixo. Aponte os erros e dê uma nota de 1 a 10.\n\n"
                "Pergunta: {question}\n\nResposta: {answer}",
            ),
            greetings=("Olá", "Oi", "Bom dia"),
            followups=("valeu! pode resumir?", "me dá um exemplo?", "explica de novo mais simples"),
        ),
        Phrasing(
            "it",
            "Italian",
            cot=(
                "Risolvi il seguente problema spiegando il ragionamento passo dopo passo:\n\n{question}",
                "{question}\n\nRagioniamo passo dopo passo.",
            ),
            task=(
                "Rispondi in italiano:\n\n{question}",
                "{question}\n\nRisposta in italiano, grazie.",
            ),
            answer_in=("Rispondi in italiano.",),
            grading=(
                "Valuta la seguente risposta, spiega gli errori e assegna un voto da 1 a 10.\n\n"
                "Domanda: {question}\n\nRisposta: {answer}",
            ),
            greetings=("Ciao", "Buongiorno", "Salve"),
            followups=("grazie, puoi accorciarlo?", "mi fai un esempio?"),
        ),
        Phrasing(
            "ru",
            "Russian",
            cot=(
                "Реши следующую задачу и объясни ход рассуждений шаг за шагом:\n\n{question}",
                "{question}\n\nДавай рассуждать шаг за шагом.",
                "Вопрос: {question}\nПокажи каждый шаг решения, затем дай ответ.",
            ),
            task=("Ответь на русском языке:\n\n{question}", "{question}\n\nОтвет дай по-русски."),
            answer_in=("Отвечай на русском.", "Ответь по-русски, пожалуйста."),
            grading=(
                "Оцени следующий ответ на вопрос. Укажи ошибки и поставь оценку от 1 до 10.\n\n"
                "Вопрос: {question}\n\nОтвет: {answer}",
            ),
            greetings=("Привет", "Здравствуйте", "Добрый день"),
            followups=("спасибо! а можно короче?", "приведи пример", "объясни проще"),
        ),
        Phrasing(
            "zh",
            "Chinese",
            cot=(
                "请一步一步地推理并解答下面的问题：\n\n{question}",
                "{question}\n\n让我们一步一步地思考。",
                "问题：{question}\n请先给出详细的推理过程，再给出最终答案。",
                "请详细解答，并说明每一步的理由：{question}",
            ),
            task=("请用中文回答：\n\n{question}", "{question}\n\n请用中文详细回答。"),
            answer_in=("请用中文回答。", "用中文回答"),
            grading=(
                "请评估下面这个回答，指出其中的错误，并给出1到10分的评分。\n\n问题：{question}\n\n回答：{answer}",
            ),
            greetings=("你好", "您好"),
            followups=("谢谢！能再简短一点吗？", "能举个例子吗？", "用更简单的话解释一下"),
        ),
        Phrasing(
            "ja",
            "Japanese",
            cot=(
                "次の問題を解き、考え方をステップバイステップで説明してください。\n\n{question}",
                "{question}\n\nステップバイステップで考えましょう。",
                "質問：{question}\n推論の過程を順を追って示してから、最終的な答えを書いてください。",
            ),
            task=(
                "日本語で答えてください。\n\n{question}",
                "{question}\n\n日本語で詳しく説明してください。",
            ),
            answer_in=("日本語で答えてください。", "日本語でお願いします。"),
            grading=(
                "次の回答を評価し、誤りを指摘したうえで1〜10点で採点してください。\n\n質問：{question}\n\n回答：{answer}",
            ),
            greetings=("こんにちは", "すみません、"),
            followups=("ありがとう！もう少し短くできますか？", "例を挙げてください"),
        ),
        Phrasing(
            "ko",
            "Korean",
            cot=(
                "다음 문제를 풀고 추론 과정을 단계별로 설명해 주세요.\n\n{question}",
                "{question}\n\n단계별로 생각해 봅시다.",
            ),
            task=(
                "한국어로 답해 주세요.\n\n{question}",
                "{question}\n\n한국어로 자세히 설명해 주세요.",
            ),
            answer_in=("한국어로 답해 주세요.",),
            grading=(
                "다음 답변을 평가하고 오류를 지적한 뒤 1점에서 10점 사이로 점수를 매겨 주세요.\n\n질문: {question}\n\n답변: {answer}",
            ),
            greetings=("안녕하세요",),
            followups=("고마워요! 좀 더 짧게 해 줄 수 있어요?", "예시를 들어 주세요"),
        ),
        Phrasing(
            "tr",
            "Turkish",
            cot=(
                "Aşağıdaki soruyu çöz ve düşünce sürecini adım adım açıkla:\n\n{question}",
                "{question}\n\nAdım adım düşünelim.",
            ),
            task=("Türkçe cevap ver:\n\n{question}", "{question}\n\nLütfen Türkçe yanıtla."),
            answer_in=("Türkçe cevap ver.",),
            grading=(
                "Aşağıdaki cevabı değerlendir, hataları belirt ve 1 ile 10 arasında puan ver.\n\n"
                "Soru: {question}\n\nCevap: {answer}",
            ),
            greetings=("Merhaba", "Selam"),
            followups=("teşekkürler, daha kısa yazar mısın?", "bir örnek verir misin?"),
        ),
        Phrasing(
            "pl",
            "Polish",
            cot=("Rozwiąż zadanie i wyjaśnij rozumowanie krok po kroku:\n\n{question}",),
            task=("Odpowiedz po polsku:\n\n{question}",),
            answer_in=("Odpowiedz po polsku.",),
            grading=(),
            greetings=("Cześć", "Dzień dobry"),
            followups=("dzięki, a krócej?",),
        ),
        Phrasing(
            "nl",
            "Dutch",
            cot=("Los het volgende op en leg je redenering stap voor stap uit:\n\n{question}",),
            task=("Antwoord in het Nederlands:\n\n{question}",),
            answer_in=("Antwoord in het Nederlands.",),
            grading=(),
            greetings=("Hoi", "Goedemorgen"),
            followups=("dank je, kan het korter?",),
        ),
        Phrasing(
            "vi",
            "Vietnamese",
            cot=("Hãy giải bài toán sau và giải thích từng bước:\n\n{question}",),
            task=("Trả lời bằng tiếng Việt:\n\n{question}",),
            answer_in=("Trả lời bằng tiếng Việt nhé.",),
            grading=(),
            greetings=("Xin chào", "Chào bạn"),
            followups=("cảm ơn, viết ngắn hơn được không?",),
        ),
        Phrasing(
            "id",
            "Indonesian",
            cot=("Selesaikan soal berikut dan jelaskan langkah demi langkah:\n\n{question}",),
            task=("Jawab dalam bahasa Indonesia:\n\n{question}",),
            answer_in=("Jawab pakai bahasa Indonesia ya.",),
            grading=(),
            greetings=("Halo", "Hai kak"),
            followups=("makasih, bisa lebih singkat?",),
        ),
    )
}
# The languages campaigns ask in (the ten with full wrapper sets).
CAMPAIGN_LANGUAGES: tuple[str, ...] = ("es", "fr", "de", "pt", "it", "ru", "zh", "ja", "ko", "tr")
