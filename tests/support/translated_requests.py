"""Chain-of-thought and grading requests in the other languages campaigns use, and ordinary
requests in the same languages, for the content signals' tests.

Written for the tests in wordings of their own: neither the simulator's wrappers
(``simulate.languages``) nor the phrases of ``features.reference``.
"""

TRANSLATED_COT = [
    "Resuelve este problema explicando cada paso de tu razonamiento: si 3x + 5 = 20, ¿cuánto "
    "vale x?",
    "Réfléchis étape par étape avant de répondre : combien de minutes y a-t-il dans une semaine ?",
    "Löse die Aufgabe Schritt für Schritt und nenne am Ende das Ergebnis: 17 mal 23.",
    "Explique passo a passo como chegou ao resultado: quanto é 15% de 240?",
    "Ragiona passo dopo passo e poi rispondi: quanti giorni ci sono in 7 settimane?",
    "Реши задачу пошагово и объясни каждый шаг: поезд едет 60 км/ч, сколько он проедет за 3 часа?",
    "请一步一步地思考，然后回答：一个长方形的长是8，宽是5，面积是多少？",
    "ステップバイステップで考えてから答えてください：12の3乗はいくつですか？",
    "단계별로 생각한 다음 답하세요: 사과 12개를 4명이 나누면 한 명당 몇 개입니까?",
    "Adım adım düşünerek cevapla: 3 kalem 12 lira ise 7 kalem kaç lira eder?",
]
TRANSLATED_GRADING = [
    "Actúa como juez. Califica cada respuesta con una puntuación del 1 al 10 y justifica la "
    "nota.\n\nPregunta: ¿Cuál es la capital de Australia?\nRespuesta A: Sídney",
    "Voici une question et la réponse d'un assistant. Notez la réponse sur une échelle de 1 à 10.",
    "Beurteilen Sie die Antwort des Assistenten und vergeben Sie eine Punktzahl von 1 bis 10.",
    "Avalie cada resposta abaixo quanto à exatidão e dê uma nota de 0 a 10.",
    "Giudica la risposta del modello e assegna un punteggio da 1 a 10.",
    "Оцените ответ ассистента по шкале от 1 до 10 и объясните оценку.",
    "请评价下面的回答是否正确，并给出理由。",
    "次の解答を採点してください。正しいかどうかも説明してください。",
    "다음 응답을 평가하고 이유를 설명하세요.",
    "Aşağıdaki yanıtı değerlendir ve 1 ile 10 arasında bir puan ver.",
    # Scores asked for as a range, beside a score word.
    "请阅读下面的问题和回答，按1到10分制打分，只输出分数。",
    "以下の質問と答えを読んで、1から10点で評価してください。",
    "Soruyu ve verilen cevabı oku, 10 üzerinden puan ver.",
]
# Ordinary requests in the same languages: chat, a student asking about their own work, a
# guessing game with a range, and ranges that are minutes or counting, not scores.
ORDINARY_NON_ENGLISH = [
    "¿Me ayudas a escribir un correo para pedir un día libre en el trabajo?",
    "Piensa un número del 1 al 100 y yo intento adivinarlo.",
    "Peux-tu évaluer ma réponse à cet exercice de grammaire ?",
    "Wie lange muss ich Eier kochen, damit das Eigelb noch weich ist?",
    "Qual é a melhor forma de aprender violão sozinho?",
    "Puoi consigliarmi un buon libro di fantascienza?",
    "Как приготовить борщ без мяса?",
    "帮我写一封感谢老师的信。",
    "東京でおすすめのラーメン屋を教えてください。",
    "주말에 서울에서 갈 만한 곳을 추천해 주세요.",
    "İstanbul'da gezilecek yerleri önerir misin?",
    "方便面要煮几分钟？包装上写着1到10分钟，我看不清。",
    "鸡翅用烤箱180度烤10分钟够吗？",
    "子どもと1から10まで英語で数える練習をしたいです。いい歌はありますか？",
    "1 ile 10 arasında bir sayı tut, ben tahmin edeyim.",
    "Çocuğuma 1'den 10'a kadar İngilizce saymayı nasıl öğretebilirim?",
]
