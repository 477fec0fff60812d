"""Prompt and system-prompt generators, one per kind of sender.

Each generator takes a ``random.Random`` (seeded from the day's numpy
generator, so output stays deterministic) and returns one string; Python's
``random`` is used here because slot filling is per prompt and it is several
times cheaper per draw than numpy scalars. Legitimate generators vary
phrasing, entities, numbers, casing and typos so that exact matching finds
nothing; campaign generators keep a fixed skeleton around varied slots, so the
prompts are distinct strings that shingle-based similarity still groups.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from simulate import catalog
from simulate import vocabulary as V

MAX_PROMPT_CHARS = 4000
MAX_SYSTEM_PROMPT_CHARS = 2000


def clip_prompt(text: str) -> str:
    return text[:MAX_PROMPT_CHARS]


def clip_system_prompt(text: str) -> str:
    return text[:MAX_SYSTEM_PROMPT_CHARS]


# --- shared pieces ---------------------------------------------------------------
def person(r: random.Random) -> str:
    return f"{r.choice(V.FIRST_NAMES)} {r.choice(V.LAST_NAMES)}"


def filler_sentence(r: random.Random) -> str:
    return (
        f"{r.choice(V.FILLER_SUBJECTS)} {r.choice(V.FILLER_VERBS)} {r.choice(V.FILLER_OBJECTS)} "
        f"{r.choice(V.FILLER_TAILS)}."
    )


def filler_paragraphs(
    r: random.Random, paragraphs: int, sentences: tuple[int, int] = (2, 6)
) -> str:
    return "\n\n".join(
        " ".join(filler_sentence(r) for _ in range(r.randint(*sentences)))
        for _ in range(paragraphs)
    )


def _typo(r: random.Random, text: str) -> str:
    if len(text) < 12:
        return text
    i = r.randrange(1, len(text) - 2)
    return text[:i] + text[i + 1] + text[i] + text[i + 2 :]


_PREFIXES = (
    "",
    "",
    "",
    "",
    "hey, ",
    "quick question: ",
    "pls ",
    "Hi! ",
    "ok so ",
    "Hello. ",
    "urgent: ",
)
_SUFFIXES = (
    "",
    "",
    "",
    "",
    " thanks",
    " Thank you!",
    " keep it short",
    " in bullet points please",
    " (be concise)",
    " explain simply",
    " ty",
    " 🙏",
    " no fluff",
)


def casual(r: random.Random, text: str) -> str:
    """How people really type: optional greeting, lower case, lost punctuation, typos."""
    roll = r.random()
    if roll < 0.25:
        text = text.lower()
    elif roll < 0.32:
        text = text.rstrip("?.!")
    if r.random() < 0.12:
        text = _typo(r, text)
    return f"{r.choice(_PREFIXES)}{text}{r.choice(_SUFFIXES)}".strip()


# --- legitimate chat (hobbyists, woken promotion accounts, half of campaign 2) -----
def _chat_email(r: random.Random) -> str:
    return r.choice(
        (
            f"Can you write an email to my {r.choice(V.RELATIONS)} about {r.choice(V.EVENTS)}?",
            f"write a short polite message to {r.choice(V.FIRST_NAMES)} about {r.choice(V.EVENTS)}",
            f"Help me reply to my {r.choice(V.RELATIONS)}, they asked about {r.choice(V.EVENTS)} and I don't know what to say",
            f"Draft a {r.choice(('formal', 'friendly', 'firm', 'apologetic'))} email regarding {r.choice(V.EVENTS)}.",
        )
    )


def _chat_explain(r: random.Random) -> str:
    concept = r.choice(V.CONCEPTS)
    a, b = r.choice(V.COMPARE_PAIRS)
    return r.choice(
        (
            f"explain {concept} like I'm five",
            f"How does {concept} actually work?",
            f"What's the difference between {a} and {b}?",
            f"eli5 {concept}",
            f"Can you give me an intuitive explanation of {concept}? I've read the Wikipedia page and still don't get it.",
            f"{a} or {b}, which one should I pick and why",
            f"is it true what they say about {concept}, that {r.choice(V.CLAIMS)}?",
        )
    )


def _chat_code(r: random.Random) -> str:
    lang = r.choice(V.LANGUAGES)
    return r.choice(
        (
            f"write a {lang} function that {r.choice(V.CODE_TASKS)}",
            f"Why am I getting `{r.choice(V.CODE_ERRORS)}` here?\n\n```\n{r.choice(V.CODE_SNIPPETS)}\n```",
            f"how do I {r.choice(V.CODE_TASKS).replace('s ', ' ', 1)} in {lang}?",
            f"Can you refactor this to be more readable?\n\n{r.choice(V.CODE_SNIPPETS)}",
            f"What does this do?\n{r.choice(V.CODE_SNIPPETS)}",
            f"Convert this to {lang}:\n{r.choice(V.CODE_SNIPPETS)}",
        )
    )


def _chat_food(r: random.Random) -> str:
    i1, i2, i3 = r.sample(V.INGREDIENTS, 3)
    return r.choice(
        (
            f"give me a recipe for {r.choice(V.DISHES)} with {i1}",
            f"What can I cook with {i1}, {i2} and {i3}? I have about {r.randint(15, 60)} minutes.",
            f"vegetarian {r.choice(V.DISHES)} for {r.randint(2, 10)} people, what do I need to buy",
            f"How do I make {r.choice(V.DISHES)} less {r.choice(('salty', 'dry', 'bland', 'greasy', 'spicy'))}?",
        )
    )


def _chat_travel(r: random.Random) -> str:
    city = r.choice(V.CITIES)
    return r.choice(
        (
            f"plan a {r.randint(2, 10)}-day trip to {city} for {r.choice(('a couple', 'a family with two kids', 'a solo traveller', 'four friends'))}",
            f"What should I see in {city} in {r.choice(V.MONTHS)}?",
            f"Is {city} expensive? budget is about {r.randint(5, 40) * 100} euros for a week",
            f"best neighbourhoods to stay in {city} if I don't want to rent a car",
        )
    )


def _chat_pasted(r: random.Random) -> str:
    text = filler_paragraphs(r, r.randint(1, 6))
    return r.choice(
        (
            f"summarize this:\n\n{text}",
            f"Can you make this sound more professional?\n\n{text}",
            f"tl;dr please\n{text}",
            f"Fix the grammar:\n{text}",
            f"{text}\n\nWhat are the main points here?",
        )
    )


def _chat_creative(r: random.Random) -> str:
    return r.choice(
        (
            f"write a poem about {r.choice(V.THINGS)} in the style of {r.choice(V.STYLES)}",
            f"give me {r.randint(5, 20)} names for my new {r.choice(V.PETS)}",
            f"Name ideas for a {r.choice(V.BUSINESSES)} in {r.choice(V.CITIES)}?",
            f"Write a bedtime story about a {r.choice(V.PETS)} who visits {r.choice(V.CITIES)}.",
            f"tell me a joke about {r.choice(V.THINGS)}",
            f"Write a toast for my {r.choice(V.RELATIONS)}'s {r.choice(('wedding', 'retirement', '40th birthday', 'farewell party'))}",
        )
    )


def _chat_advice(r: random.Random) -> str:
    return r.choice(
        (
            f"I'm {r.randint(18, 60)} and want to {r.choice(V.GOALS)}. Where do I start?",
            f"how do I deal with {r.choice(V.PROBLEMS)}",
            f"Make me a {r.randint(4, 16)} week plan to {r.choice(V.GOALS)}",
            f"{r.choice(V.PRODUCTS)[0]} vs {r.choice(V.PRODUCTS)[1]} for {r.choice(('a student', 'travel', 'work', 'gaming', 'my dad'))}?",
            f"improve this resume bullet: {r.choice(V.RESUME_BULLETS)}",
        )
    )


def _chat_facts(r: random.Random) -> str:
    return r.choice(
        (
            f"who was {r.choice(V.PERSONS)}?",
            f"Why was {r.choice(V.HISTORY_EVENTS)} so important?",
            f"translate to {r.choice(V.TRANSLATE_TARGETS)}: {filler_sentence(r)}",
            f"what is {r.randint(3, 95)}% of {r.randint(20, 9000)}",
            f"solve {r.randint(2, 9)}x + {r.randint(1, 50)} = {r.randint(51, 200)}",
            f"how many {r.choice(('cups', 'grams', 'ounces', 'tablespoons'))} in {r.randint(1, 5)} {r.choice(('liters', 'pounds', 'cups'))}",
        )
    )


def _chat_followup(r: random.Random) -> str:
    return r.choice(
        (
            "hi",
            "thanks!",
            "ok now make it shorter",
            "can you make it more formal?",
            "continue",
            "try again but funnier",
            "that's wrong, check step 2",
            "in Spanish please",
            "more examples",
            "perfect, thank you",
            "why?",
            "can you explain the second point",
            "shorter",
            f"now do the same for {r.choice(V.CITIES)}",
            f"use {r.choice(V.LANGUAGES)} instead",
        )
    )


_CHAT_KINDS: tuple[tuple[Callable[[random.Random], str], float], ...] = (
    (_chat_email, 0.10),
    (_chat_explain, 0.16),
    (_chat_code, 0.16),
    (_chat_food, 0.06),
    (_chat_travel, 0.06),
    (_chat_pasted, 0.11),
    (_chat_creative, 0.09),
    (_chat_advice, 0.09),
    (_chat_facts, 0.08),
    (_chat_followup, 0.09),
)
_CHAT_FUNCS = [kind for kind, _ in _CHAT_KINDS]
_CHAT_WEIGHTS = [weight for _, weight in _CHAT_KINDS]


def chat_prompt(r: random.Random) -> str:
    """An ordinary person's request: any topic, any phrasing."""
    kind = r.choices(_CHAT_FUNCS, _CHAT_WEIGHTS)[0]
    if kind is _chat_followup:  # a follow-up turn is typed as is
        return kind(r)
    return clip_prompt(casual(r, kind(r)))


PERSONAL_SYSTEM_PROMPTS: tuple[str, ...] = (
    "You are a helpful assistant.",
    "You are a helpful assistant.",
    "You are a friendly Spanish tutor. Correct my mistakes gently.",
    "Answer briefly. No disclaimers.",
    "You are an expert Python developer. Prefer the standard library.",
    "You are my writing coach. Be honest but kind.",
    "Reply in British English.",
    "You are a patient maths tutor for a 12 year old.",
    "Act as a senior product manager reviewing my ideas.",
    "You help me plan meals for a family of four on a budget.",
)


# --- university class ------------------------------------------------------------
CLASS_SUBJECTS: dict[str, tuple[str, ...]] = {
    "Intro to Algorithms": (
        "Dijkstra's algorithm",
        "merge sort",
        "big-O notation",
        "hash tables",
        "dynamic programming",
        "BFS vs DFS",
    ),
    "Organic Chemistry": (
        "SN2 reactions",
        "chirality",
        "aldol condensation",
        "IR spectroscopy",
        "resonance structures",
    ),
    "Microeconomics 101": (
        "price elasticity",
        "marginal cost",
        "Nash equilibrium",
        "consumer surplus",
        "monopolies",
    ),
}


def homework_prompt(r: random.Random, subject: str) -> str:
    topic = r.choice(CLASS_SUBJECTS[subject])
    return clip_prompt(
        casual(
            r,
            r.choice(
                (
                    f"can you explain {topic} for my {subject} homework",
                    f"I don't understand {topic}. Our professor went too fast, can you walk me through it?",
                    f"Is this right? For {topic} I said {filler_sentence(r).lower()}",
                    f"give me {r.randint(3, 8)} practice questions on {topic} with answers",
                    f"summarize the key ideas of {topic} for an exam tomorrow",
                    f"what's the intuition behind {topic}?",
                )
            ),
        )
    )


# --- enterprise employees ----------------------------------------------------------
_WORK_ARTIFACTS = (
    "monthly active users",
    "revenue by region",
    "churned customers",
    "top 10 products",
    "late shipments",
    "open support tickets",
    "average handling time",
    "failed payments",
    "signups by channel",
    "inventory below reorder level",
    "overtime hours by team",
)
_WORK_TABLES = ("orders", "events", "accounts", "tickets", "shipments", "invoices", "sessions")
_WORK_AUDIENCES = (
    "a non-technical stakeholder",
    "the board",
    "new hires",
    "our sales team",
    "a customer",
    "the engineering all-hands",
    "my manager",
    "the legal team",
)


def workplace_prompt(r: random.Random, company: str) -> str:
    kind = r.randrange(10)
    if kind == 0:
        body = (
            f"Draft an email to {person(r)} about {r.choice(V.FILLER_OBJECTS)} "
            f"{r.choice(V.FILLER_TAILS)}."
        )
    elif kind == 1:
        body = (
            "Summarize these meeting notes into decisions and action items:\n\n"
            f"{filler_paragraphs(r, r.randint(1, 4))}"
        )
    elif kind == 2:
        body = f"Review this code for bugs:\n```\n{r.choice(V.CODE_SNIPPETS)}\n```"
    elif kind == 3:
        body = (
            f"Write a SQL query that returns {r.choice(_WORK_ARTIFACTS)} for the last "
            f"{r.randint(2, 90)} days from our {r.choice(_WORK_TABLES)} table, grouped by "
            f"{r.choice(('week', 'region', 'product', 'team', 'customer segment'))}."
        )
    elif kind == 4:
        body = (
            f"Create a slide outline for a {r.randint(5, 45)}-minute talk on "
            f"{r.choice(V.FILLER_OBJECTS)} at {company} for {r.choice(_WORK_AUDIENCES)}."
        )
    elif kind == 5:
        body = f"Rewrite this paragraph for {r.choice(_WORK_AUDIENCES)}:\n{filler_paragraphs(r, 1)}"
    elif kind == 6:
        body = (
            f"What are the risks if {r.choice(V.FILLER_OBJECTS)} slips by {r.randint(2, 12)} "
            f"weeks? Short memo for {r.choice(_WORK_AUDIENCES)}, max {r.randrange(100, 600, 50)} words."
        )
    elif kind == 7:
        body = f"Explain {r.choice(V.CONCEPTS)} to {r.choice(_WORK_AUDIENCES)}."
    elif kind == 8:
        body = (
            f"Turn this into a job description for a {r.choice(('senior', 'junior', 'staff', 'lead'))} "
            f"{r.choice(('data engineer', 'product designer', 'account executive', 'SRE', 'analyst'))}: "
            f"{filler_sentence(r)}"
        )
    else:
        body = _chat_code(r)
    return clip_prompt(casual(r, body))


def enterprise_system_prompt(company: str) -> str:
    return clip_system_prompt(
        f"You are {company}'s internal assistant. Follow {company}'s communication guidelines: "
        "be concise, use plain language, and never include customer personal data or "
        "confidential figures in drafts meant for external recipients. If a request concerns "
        "legal or HR matters, remind the employee to consult the relevant team."
    )


# --- reasoning questions: benchmarks (legitimate) and graders (campaign 3) -----------
def reasoning_question(r: random.Random) -> tuple[str, str]:
    """A word problem with its correct answer; numbers vary so wording repeats, text doesn't."""
    kind = r.randrange(9)
    name = r.choice(V.FIRST_NAMES)
    item = r.choice(V.REASONING_ITEMS)
    if kind == 0:
        a, b, c = r.randint(20, 200), r.randint(1, 19), r.randint(1, 60)
        return (
            f"A {r.choice(V.REASONING_JOBS)} has {a} {item}. They sell {b} in the morning and get {c} "
            f"more in the afternoon. How many {item} do they have at the end of the day?",
            str(a - b + c),
        )
    if kind == 1:
        v, w, hours = r.randint(40, 120), r.randint(40, 120), r.randint(1, 6)
        return (
            f"Two trains leave {r.choice(V.CITIES)} and {r.choice(V.CITIES)}, {(v + w) * hours} km apart, "
            f"at the same time and travel towards each other at {v} km/h and {w} km/h. "
            "After how many hours do they meet?",
            str(hours),
        )
    if kind == 2:
        price, off, tax = (
            r.randint(20, 400),
            r.choice((10, 15, 20, 25, 30, 40)),
            r.choice((5, 8, 10, 20)),
        )
        return (
            f"{name} buys a jacket that costs ${price}. It is discounted by {off}% and then a {tax}% "
            "sales tax is added. What is the final price?",
            f"{price * (100 - off) * (100 + tax) / 10000:.2f}",
        )
    if kind == 3:
        young, k = r.randint(3, 20), r.randint(2, 5)
        return (
            f"{name} is {k} times as old as their cousin. The sum of their ages is {young * (k + 1)}. "
            f"How old is {name}?",
            str(young * k),
        )
    if kind == 4:
        red, blue = r.randint(2, 12), r.randint(2, 12)
        total = red + blue
        return (
            f"A bag has {red} red and {blue} blue marbles. Two are drawn without replacement. "
            "What is the probability that both are red?",
            f"{red * (red - 1)}/{total * (total - 1)}",
        )
    if kind == 5:
        groups = r.sample(("bloops", "razzies", "lazzies", "wugs", "daxes", "feps", "tovs"), 3)
        return (
            f"If all {groups[0]} are {groups[1]} and some {groups[1]} are {groups[2]}, must some "
            f"{groups[0]} be {groups[2]}? Explain.",
            "No",
        )
    if kind == 6:
        start, step = r.randint(1, 50), r.randint(2, 15)
        seq = ", ".join(str(start + i * step) for i in range(4))
        return f"What is the next number in the sequence {seq}, ...?", str(start + 4 * step)
    if kind == 7:
        workers, days = r.choice((2, 3, 4, 6)), r.choice((6, 12, 18, 24))
        more = workers * r.choice((2, 3))
        return (
            f"{workers} workers build a wall in {days} days. Working at the same rate, how many days "
            f"would {more} workers need?",
            f"{workers * days / more:g}",
        )
    principal, rate, years = r.randint(5, 90) * 100, r.choice((2, 3, 4, 5, 6)), r.randint(2, 10)
    return (
        f"{name} invests ${principal} at {rate}% interest compounded annually. How much is the "
        f"investment worth after {years} years?",
        f"{principal * (1 + rate / 100) ** years:.2f}",
    )


def benchmark_prompt(r: random.Random, style: int) -> str:
    """A chain-of-thought eval item in the format of one research harness."""
    question, _ = reasoning_question(r)
    if style == 0:
        return f"Q: {question}\nA: Let's think step by step."
    if style == 1:
        shots = []
        for _ in range(r.randint(2, 4)):
            q, a = reasoning_question(r)
            shots.append(f"Q: {q}\nA: We work it out step by step. The answer is {a}.")
        return clip_prompt("\n\n".join([*shots, f"Q: {question}\nA:"]))
    return (
        f"Question: {question}\nSolve the problem. Reason step by step and write the final "
        "answer after '####'."
    )


GRADER_SYSTEM_PROMPT = clip_system_prompt(
    "You are an exacting grader for mathematical and logical reasoning. For every request you "
    "receive a problem, a reference answer and a candidate solution. First solve the problem "
    "yourself, thinking step by step and writing out every intermediate result. Then compare "
    "the candidate's reasoning with the rubric, identify each error and where it occurs, and "
    "explain how a strong solution would differ. Finish with 'Score: N/10' on its own line, "
    "followed by a model solution that would earn full marks."
)


_GRADER_STEPS = (
    "Identify the quantities given.",
    "Set up the equation.",
    "Compute the intermediate value.",
    "Check the units.",
    "Simplify the expression.",
    "Substitute back to verify.",
)


def grader_prompt(r: random.Random) -> str:
    """A grading request: the operator's fixed rubric around a varying problem and solution."""
    question, answer = reasoning_question(r)
    wrong = r.random() < 0.5
    candidate_answer = f"{answer}0" if wrong and answer[-1].isdigit() else answer
    steps = "\n".join(f"Step {i + 1}: {r.choice(_GRADER_STEPS)}" for i in range(r.randint(2, 5)))
    return clip_prompt(
        f"Problem:\n{question}\n\nReference answer: {answer}\n\nCandidate solution:\n{steps}\n"
        f"Final answer: {candidate_answer}\n\nRubric:\n"
        "- Correct final answer (4 points): the candidate's final answer matches the reference.\n"
        "- Valid intermediate steps (4 points): every step follows from the previous one; "
        "deduct one point per unjustified or wrong step.\n"
        "- Clear explanation (2 points): a reader can follow the reasoning without guessing.\n\n"
        "Grade the candidate solution. Solve the problem yourself first, step by step, then "
        "compare, list every error, and give the score."
    )


# --- campaign 1: templated instruction sweeps ----------------------------------------
SWEEP_SYSTEM_PROMPTS: tuple[str, ...] = (
    "You are a world-class expert across all fields. For every task, think step by step: "
    "restate the problem, reason through each intermediate step explicitly, consider "
    "alternatives, and only then give the final answer. Never skip steps in your reasoning.",
    "You are an AI assistant that always explains its reasoning. Think step-by-step and show "
    "your complete chain of thought before the final answer. Be thorough and precise.",
    "You are a meticulous senior expert. Work through each problem step by step, showing all "
    "reasoning, then provide a polished final answer under the heading 'Final answer'.",
)


def _sweep_instruction(r: random.Random) -> tuple[str, str, str]:
    domain = r.choice(tuple(V.DOMAINS))
    topics = V.DOMAINS[domain]
    topic = r.choice(topics)
    other = r.choice([t for t in topics if t != topic])
    instruction = r.choice(V.SWEEP_INSTRUCTIONS).format(
        topic=topic, other=other, claim=r.choice(V.CLAIMS)
    )
    return domain, topic, instruction


# The operator's fixed instructions appended to every sweep item: long, so that two items of
# one template share most of their shingles even though no two are the same string.
_SWEEP_REQUIREMENTS = (
    "Requirements: respond as a leading expert in the field would. Reason step by step and "
    "show every intermediate step of your thinking before the final answer; do not skip steps "
    "even when they seem obvious. State your assumptions explicitly, consider at least one "
    "alternative approach and explain why you rejected it, and check the final answer for "
    "errors. Use precise terminology, include concrete examples, and format the answer with "
    "clear headings."
)


def sweep_prompt(r: random.Random, template: int) -> str:
    domain, topic, instruction = _sweep_instruction(r)
    task_type = r.choice(V.TASK_TYPES)
    words = r.randrange(200, 1500, 50)
    level = r.randint(1, 5)
    if template == 0:
        return (
            f"Domain: {domain}\nTask type: {task_type}\nDifficulty: {level}/5\n\n"
            f"Instruction: {instruction}\n\n{_SWEEP_REQUIREMENTS} Target length: about {words} "
            "words. End with a one-paragraph summary."
        )
    if template == 1:
        return (
            f"[{domain} | {task_type} | level {level}] {instruction} Before answering, think "
            "through the problem carefully and write out each step of your reasoning, then give "
            f"a complete, high-quality answer of roughly {words} words. Your answer will be "
            "reviewed by domain experts, so make every step of the reasoning explicit, justify "
            "each claim, point out common mistakes a student would make, and finish with a short "
            "summary of the key takeaways."
        )
    if template == 2:
        return (
            f"### Task\n{instruction}\n\n### Context\nField: {domain}. Format: {task_type}. "
            f"Level: {level} of 5.\n\n### Instructions\n1. Think step by step.\n"
            "2. Show your full reasoning, including intermediate results.\n"
            "3. Consider edge cases and alternative interpretations.\n"
            "4. Give the final answer clearly under a 'Final answer' heading.\n"
            f"5. Length: {words} words.\n6. Do not mention that you are an AI model."
        )
    return (
        f"You are an expert in {domain}. Produce a {task_type} for the following request. "
        f"{instruction} Explain your reasoning step by step and make sure the answer is "
        f"correct, complete and about {words} words long. Write for a reader who already knows "
        "the basics of the field, show each step of your reasoning in order, and end with a "
        "concise summary of the answer."
    )


SWEEP_TEMPLATES = 4


# --- campaign 2: distributed extraction (the other half is ordinary chat) ----------------
DISTRIBUTED_SYSTEM_PROMPTS: tuple[str, ...] = (
    "You are a knowledgeable assistant. Always explain your reasoning in detail, cover edge "
    "cases, and structure long answers with headings.",
    "You are a helpful, thorough assistant. When answering, walk through your thought process "
    "and justify every claim.",
    "Answer as an expert tutor would: detailed, accurate, with the reasoning made explicit.",
)


def distributed_extraction_prompt(r: random.Random) -> str:
    domain, topic, instruction = _sweep_instruction(r)
    skeleton = r.randrange(3)
    if skeleton == 0:
        text = (
            f"I'm putting together study notes on {domain}. Could you give me a thorough "
            f"explanation of {topic}, walking through the reasoning behind each point? Please "
            "include an example and the most common mistakes."
        )
    elif skeleton == 1:
        text = (
            f"Can you help me understand {topic}? I'd like a detailed answer that explains why, "
            "not just what, ideally step by step."
        )
    else:
        text = (
            f"For a {domain} reference guide: {instruction} Be comprehensive and explain each "
            "step of your reasoning."
        )
    return clip_prompt(casual(r, text) if r.random() < 0.3 else text)


# --- SaaS backends: one fixed system prompt, one product template ----------------------
SAAS_PRODUCTS: tuple[str, ...] = (
    "support_summary",
    "product_copy",
    "sql_assistant",
    "email_reply",
    "meeting_notes",
    "moderation",
    "ui_translation",
    "code_review",
)


def saas_system_prompt(company: str, product: str) -> str:
    brand = company.split(".")[0].title()
    body = {
        "support_summary": "Summarize support tickets for agents: a one-line summary, the customer's sentiment and the suggested next action. Never invent order details.",
        "product_copy": "Write product descriptions for an online catalogue in the brand voice: warm, concrete, no superlatives, no claims about health or safety.",
        "sql_assistant": "Translate analysts' questions into a single ANSI SQL query over the schema provided. Return only SQL, no commentary.",
        "email_reply": "Draft replies to customer emails for the support team. Be empathetic, specific and short. Never promise refunds.",
        "meeting_notes": "Turn raw meeting notes into a list of action items, each with an owner and a due date when one is mentioned.",
        "moderation": 'Classify user posts against the community policy. Respond only with JSON: {"label": ..., "confidence": ...}.',
        "ui_translation": "Translate user-interface strings. Keep placeholders and HTML tags exactly as they are. Keep translations short enough for buttons.",
        "code_review": "Review pull-request diffs. List likely bugs, security issues and missing tests as bullet points. Be terse.",
    }[product]
    return clip_system_prompt(f"You are the assistant built into {brand}. {body}")


def saas_prompt(r: random.Random, product: str) -> str:
    if product == "support_summary":
        return clip_prompt(
            f"Ticket #{r.randint(100000, 999999)}\nCustomer: {person(r)}\nSubject: "
            f"{r.choice(('Order not received', 'Refund request', 'Cannot log in', 'Damaged item', 'Billing question'))}\n\n"
            f"{filler_paragraphs(r, r.randint(1, 3))}\n\nSummarize this ticket."
        )
    if product == "product_copy":
        return (
            f"Write a product description.\nName: {r.choice(catalog.COMPANY_WORDS_A).title()} "
            f"{r.choice(('Backpack', 'Desk Lamp', 'Water Bottle', 'Headphones', 'Running Shoe', 'Teapot'))} "
            f"{r.randint(2, 9)}\nFeatures: {r.choice(V.FILLER_OBJECTS)}; {r.choice(V.FILLER_OBJECTS)}\n"
            f"Max length: {r.randrange(40, 200, 10)} words."
        )
    if product == "sql_assistant":
        return (
            "Schema: orders(id, customer_id, total, created_at), customers(id, name, country)\n"
            f"Question: {r.choice(('total revenue', 'number of orders', 'average order value', 'new customers', 'refund rate', 'repeat purchase rate'))} "
            f"per {r.choice(('month', 'country', 'week', 'customer', 'day'))} "
            f"{r.choice(('for the last', 'over the past', 'in the first'))} {r.randint(2, 400)} days"
            f"{r.choice(('', ' excluding refunds', ' for orders above ' + str(r.randrange(10, 500, 5)), ' in ' + r.choice(V.CITIES)))}"
        )
    if product == "email_reply":
        return clip_prompt(
            f"Customer email from {person(r)}:\n---\n{filler_paragraphs(r, r.randint(1, 2))}\n---\n"
            f"Draft a reply under {r.randrange(60, 200, 20)} words."
        )
    if product == "meeting_notes":
        return clip_prompt(f"Notes:\n{filler_paragraphs(r, r.randint(2, 5), (3, 7))}")
    if product == "moderation":
        return f"Post: {casual(r, chat_prompt(r))}"
    if product == "ui_translation":
        strings = "\n".join(
            f"- {s}"
            for s in r.sample(
                (
                    "Save changes",
                    "Welcome back, {name}!",
                    "Delete account",
                    "You have {count} new messages",
                    "Forgot password?",
                    "Upgrade plan",
                    "Sign out",
                    "Search...",
                ),
                3,
            )
        )
        return f"Target language: {r.choice(V.TRANSLATE_TARGETS)}\n{strings}"
    snippet = r.choice(V.CODE_SNIPPETS).replace("\n", "\n+")
    return f"```diff\n+{snippet}\n```"


# --- night-time batch processors: one template per account -----------------------------
BATCH_JOBS: tuple[str, ...] = ("sentiment", "invoice", "log_triage", "address", "catalog")


# Each company writes its own instruction for the same kind of job.
_BATCH_INSTRUCTIONS: dict[str, tuple[str, ...]] = {
    "sentiment": (
        "Classify the sentiment of this product review as positive, negative or neutral. Answer with one word.",
        "{company} review pipeline. Label: POS / NEG / NEU only.",
        'Read the customer review below and return a JSON object {{"sentiment": ...}} for {company}\'s dashboard.',
    ),
    "invoice": (
        "Extract vendor, invoice_number, date, total and currency as JSON from this invoice:",
        "You extract accounts-payable data for {company}. Fields: supplier, number, issue_date, amount, ccy. Output JSON only.",
        "Parse the invoice text and fill the {company} AP schema (vendor_name, inv_no, inv_date, gross_total).",
    ),
    "log_triage": (
        "Categorize this log line as one of: network, database, auth, application, unknown.",
        "{company} on-call triage bot. Which subsystem does this log line point to? One word.",
        "Assign the log entry to a component (net/db/auth/app/other) and a severity 1-3, as CSV.",
    ),
    "address": (
        "Normalize this postal address into JSON with street, city, postal_code, country:",
        "Clean up the shipping address for {company} fulfilment. Return street|city|zip|country.",
        "Standardize the address below to the {company} CRM format (line1, locality, postcode, country_code).",
    ),
    "catalog": (
        "Assign a category path from our taxonomy to this product title. Return only the path.",
        "{company} catalogue: map the title to a leaf category id from the merchandising tree.",
        "Which department and aisle does this item belong in at {company}? Answer 'Department > Aisle'.",
    ),
}


def batch_prompt(r: random.Random, job: str, company: str = "", variant: int = 0) -> str:
    """One item of a nightly job: the company's fixed instruction around a varying item."""
    phrasings = _BATCH_INSTRUCTIONS[job]
    instruction = phrasings[variant % len(phrasings)].format(company=company or "our")
    if job == "sentiment":
        item = "Review: " + " ".join(filler_sentence(r) for _ in range(r.randint(1, 3)))
    elif job == "invoice":
        item = (
            f"{r.choice(catalog.COMPANY_WORDS_A).title()} {r.choice(catalog.COMPANY_WORDS_B).title()} Ltd\n"
            f"Invoice {r.randint(1000, 99999)}\nDate: 2026-{r.randint(1, 12):02d}-{r.randint(1, 28):02d}\n"
            f"Total due: {r.randint(10, 20000)}.{r.randint(0, 99):02d} {r.choice(('EUR', 'USD', 'GBP'))}"
        )
    elif job == "log_triage":
        item = (
            f"{r.randint(10, 23)}:{r.randint(10, 59)}:{r.randint(10, 59)} "
            f"{r.choice(('ERROR', 'WARN', 'FATAL'))} {r.choice(V.CODE_ERRORS)} "
            f"(host=web-{r.randint(1, 40)})"
        )
    elif job == "address":
        item = (
            f"{r.randint(1, 300)} {r.choice(V.LAST_NAMES)} {r.choice(('st', 'Street', 'ave', 'Road', 'str.'))} "
            f"{r.choice(V.CITIES).lower()} {r.randint(10000, 99999)}"
        )
    else:
        item = (
            f"Title: {r.choice(catalog.COMPANY_WORDS_A).title()} {r.choice(V.DISHES)} "
            f"{r.choice(('mix', 'kit', 'set', 'pack'))} {r.randint(1, 12)} x {r.randrange(100, 1000, 50)}g"
        )
    return f"{instruction}\n\n{item}"
