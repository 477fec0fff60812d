"""Reference lists the features are computed against: hosting ASNs, webmail
domains, tiers, and the prompt patterns behind the text signals.

These are small, slow-changing facts an abuse team curates by hand. They live
in code (not in the lake) so that a feature value is a pure function of the
traffic and this module's version, and both training and scoring see the same
lists. Patterns are Java regular expressions (Spark's ``rlike``) applied to the
lower-cased prompt, so they must stay cheap: alternations of literal phrases,
no back-references.
"""

from __future__ import annotations

# Autonomous systems of cloud, hosting and VPS providers. Requests from these
# come from servers, not people: normal for SaaS backends, but a residential
# user's account does not call from them, and an egress IP inside them is often
# shared by many unrelated tenants (so it is weak evidence for linking).
DATACENTER_ASNS: frozenset[int] = frozenset(
    {
        16509,  # Amazon AWS
        14618,  # Amazon AES
        8987,  # Amazon EU
        15169,  # Google
        396982,  # Google Cloud
        19527,  # Google
        8075,  # Microsoft
        8068,  # Microsoft
        14061,  # DigitalOcean
        16276,  # OVH
        24940,  # Hetzner
        63949,  # Akamai Linode
        20473,  # Vultr / Choopa
        31898,  # Oracle Cloud
        45102,  # Alibaba Cloud
        37963,  # Alibaba (Aliyun)
        132203,  # Tencent Cloud
        45090,  # Tencent
        13335,  # Cloudflare
        209242,  # Cloudflare (WARP egress)
        51167,  # Contabo
        12876,  # Scaleway
        60781,  # Leaseweb NL
        28753,  # Leaseweb DE
        9009,  # M247
        36352,  # ColoCrossing
        46606,  # Unified Layer
        212238,  # Datacamp (CDN77)
        62567,  # DigitalOcean
        40021,  # Contabo US
        397423,  # Tier.Net
        55286,  # B2 Net Solutions
        136907,  # Huawei Cloud
        55990,  # Huawei Cloud
        4134,  # Chinanet backbone (IDC ranges)
    }
)

# Free mail providers: a shared webmail domain says nothing about two accounts,
# while a shared company domain does.
WEBMAIL_DOMAINS: frozenset[str] = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "outlook.com",
        "hotmail.com",
        "live.com",
        "msn.com",
        "yahoo.com",
        "ymail.com",
        "aol.com",
        "icloud.com",
        "me.com",
        "mac.com",
        "proton.me",
        "protonmail.com",
        "pm.me",
        "tutanota.com",
        "gmx.com",
        "gmx.de",
        "gmx.net",
        "web.de",
        "mail.com",
        "zoho.com",
        "yandex.ru",
        "yandex.com",
        "mail.ru",
        "qq.com",
        "163.com",
        "126.com",
        "sina.com",
        "foxmail.com",
        "naver.com",
        "hanmail.net",
        "fastmail.com",
        "hey.com",
        "duck.com",
        "example.com",
    }
)

TIER_RANKS: dict[str, int] = {"free": 0, "build": 1, "scale": 2, "enterprise": 3}

# ua_kind values (features.schemas) that are not an official SDK or a browser:
# scripts calling the HTTP API directly.
RAW_HTTP_UA_KINDS: tuple[str, ...] = ("http_client", "other", "missing")

# Prompts (or system prompts) that ask the model to show its reasoning: the
# signal of chain-of-thought harvesting. Phrases from FLAN CoT templates, Orca
# system prompts and common jailbreak-free reasoning requests.
COT_PATTERN = (
    r"step[- ]by[- ]step|step-?bystep|chain[- ]of[- ]thought|\bcot:|think (it )?through|"
    r"think carefully|think out loud|let'?s think|show (your|all( of)?( your)?) (work|reasoning|steps)|"
    r"explain your (reasoning|answer|steps)|justify your (answer|steps|reasoning)|"
    r"reason(ing)? (step|carefully|through)|stream of consciousness|<thinking>|"
    r"walk me through|before (giving|answering)|first,? (think|reason)|"
    # The same request in other languages: the core phrase, which paraphrases keep.
    r"paso a paso|étape par étape|schritt für schritt|passo a passo|passo dopo passo|"
    r"passo per passo|шаг за шагом|пошагово|一步一步|一步步|逐步|ステップバイステップ|段階的に|"
    r"단계별로|خطوة بخطوة|चरण दर चरण|adım adım|từng bước|langkah demi langkah|krok po kroku|"
    r"stap voor stap|razonamiento|raisonnement|lösungsweg|ragionamento|рассуждени|推理过程|推論"
)

# The model used as a grader: judge prompts, rubrics, scoring of responses.
GRADER_PATTERN = (
    r"impartial judge|act as (a|an) (judge|grader|evaluator)|\brubric\b|"
    r"\b(grade|score|rate|evaluate|assess) (the|this|these|each|following) (response|answer|output|completion|essay|submission)s?|"
    r"on a scale (of|from) (0|1)|which (response|answer|assistant) is better|\[\[rating\]\]|"
    r"rating: ?\[\[|assistant a'?s answer|reference answer|is the (answer|response) correct|"
    # The same request in other languages, written from general usage (not from the
    # simulator's wrappers): an evaluation verb aimed at "the (following) answer", or a score
    # asked for on a scale that starts at 0 or 1. Possessives stay out ("evalúa mi respuesta"
    # is a student asking about their own work, as "grade my essay" is in English), and a
    # bare range ("del 1 al 10") needs a score word before it: guessing games use ranges too.
    # On the shared corpora's 16,603 human prompts (about 2,500 of them not English) these
    # phrases matched none (tests/features/test_text.py keeps translated requests found and
    # ordinary non-English requests not).
    # Spanish, French, German, Portuguese, Italian
    r"(evalúa|evalúe|evaluad|califica|califique|puntúa|puntúe|valora|valore) (la|las|esta|estas|cada) (siguiente |siguientes )?(respuesta|respuestas|solución|soluciones)|"
    r"(puntuación|puntaje|calificación|nota|escala) (de|del|entre) (0|1) (a|al|y) (5|10|100)\b|"
    r"(évalue|évaluez|note|notez|juge|jugez) (la|les|cette|ces|chaque) (réponse|réponses|solution|solutions)|"
    r"(une note|un score|échelle) (de|entre) (0|1) (à|et) (5|10|20|100)\b|"
    r"(bewerte|bewerten sie|beurteile|beurteilen sie|benote|benoten sie) (die|diese|jede|folgende|die folgende|die folgenden) (antwort|antworten|lösung|lösungen)|"
    r"(skala|punktzahl|punkten|note|bewertung) von (0|1) bis (5|10|100)\b|"
    r"(avalie|avalia|avaliem|classifique|pontue) (a|as|esta|essa|estas|cada) (seguinte |seguintes )?(resposta|respostas|solução|soluções)|"
    r"(nota|pontuação|escala) de (0|1) a (5|10|100)\b|"
    r"(valuta|valuti|giudica|giudichi) (la|le|questa|queste|ogni|ciascuna) (seguente |seguenti )?(risposta|risposte|soluzione|soluzioni)|"
    r"(punteggio|voto|scala) da (0|1) a (5|10|100)\b|"
    # Russian, Chinese, Japanese, Korean, Turkish
    r"оцени(те)? (этот |следующий |данный |каждый |эти |следующие )?(ответ|ответы|решение)|"
    r"(шкале|оценку|балл|баллов) от (0|1) до (5|10|100)\b|"
    r"(评估|评价|评判|打分)(以下|下面|下列|这个|该|这些|每个)的?(回答|答案|回复|解答)|"
    r"给(以下|下面|这个|该|每个)?(回答|答案|回复|解答)(打分|评分)|"
    # A 1-10 range is a score only beside a score word: "1到10分钟" is minutes, and
    # "分数" alone is also a (math) fraction. The same for Japanese counting ("1から10まで")
    # and Turkish guessing games ("1 ile 10 arasında bir sayı").
    r"(打分|评分|得分)(为|是|在|从)?(1|0|一|零)(到|至|-|~)(10|十)|分数(为|在|从)(1|0|一|零)(到|至)(10|十)|"
    r"(1|0|一|零)(到|至|-|~)(10|十)分(制|之间|的评分|的分数|打分|评分)|"
    r"(回答|答え|解答|応答)を(評価|採点)|(0|1)から10(点|段階)|10点満点|10段階で(評価|採点)|"
    r"(답변|응답|해답|답안)을 (평가|채점)|(0|1)(점)?에서 10점|10점 만점|"
    r"(cevabı|yanıtı|cevapları|yanıtları|çözümü) (değerlendir|puanla)|(0|1) ile 10 arasında (bir )?(puan|not)|(0|1)'?den 10'?a kadar (puan|not)|10 üzerinden (puan|not)"
)

# Task / topic categories: breadth of coverage is how a distillation sweep
# differs from a product integration, which sticks to a few tasks.
TASK_CATEGORY_PATTERNS: dict[str, str] = {
    "code": r"\bdef |function|python|javascript|java\b|\bsql\b|c\+\+|\bcode\b|program|compile|\bregex\b|\bapi\b|html|css",
    "math": r"solve|equation|how (many|much)|integral|derivative|calculate|\bprove\b|theorem|probability|\d+ ?[-+*/^] ?\d+|percent|ratio",
    "multiple_choice": r"options:|\(a\)|\(b\)|choose (the|one)|multiple choice|- yes\n- no",
    "creative_writing": r"\bstory\b|\bpoem\b|essay|lyrics|\bwrite (a|an)\b|fiction|narrative|slogan",
    "translation": r"translat|in (french|spanish|german|chinese|japanese)|into (english|french|spanish|german)",
    "summarization": r"summari[sz]|tl;?dr|\bsummary\b|key points|condense",
    "extraction": r"extract|\bjson\b|parse|classify|categori[sz]e|sentiment|label (the|each)",
    "reasoning": r"riddle|puzzle|logic|\bimplies\b|premise|hypothesis|entail|true or false|factually correct",
    "knowledge": r"^(what|who|when|where|why|how) |explain|describe|history of|definition|meaning of",
    "roleplay": r"act as|pretend|role-?play|you are (a|an) |in character",
    "tool_use": r"tool|function call|toolformer|search\(|calculator\(|\bapi call",
    "advice": r"should i|advice|recommend|tips|how (do|can) i|help me",
    "science": r"physics|chemistry|biology|molecule|quantum|cell|atom|energy",
    "business": r"marketing|business|startup|revenue|customer|sales|email to",
    "health": r"health|medical|symptom|disease|diet|exercise|doctor",
    "legal": r"\blaw\b|legal|contract|court|lawsuit|regulation",
}
