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
    r"(grade|score|rate|evaluate|assess) (the|this|these|each|following) (response|answer|output|completion|essay|submission)s?|"
    r"on a scale (of|from) (0|1)|which (response|answer|assistant) is better|\[\[rating\]\]|"
    r"rating: ?\[\[|assistant a'?s answer|reference answer|is the (answer|response) correct"
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
