"""Prompt text: real corpus text, and the ways people and operators wrap it.

``TextBank`` holds the ``evaluation`` split of the corpora (the packaged
subset, or a full corpora folder) sorted into the pools senders draw from:
human prompts by language, role prompts, reasoning questions, tool-use,
roleplay and benchmark items, code and instruction requests, FLAN chain-of-
thought templates and suffixes, Orca system prompts, judge prompts, Evol-
Instruct and generation prompts, grading items. Human prompts and reasoning
questions are partitioned by a hash of the text between what ordinary people
type and what operators harvest from public data sets: the corpora stand in
for both, and without the partition a finite corpus would make a campaign and
an unrelated user send the same string by artefact, which in life happens only
for the handful of popular prompts (modelled on purpose, ``popular``).

Generators take a ``random.Random`` (seeded from the day's generator) and
return strings. People add greetings, typos, lost capitals, "answer in my
language" and follow-up turns; operators wrap questions in templates, perturb
numbers, shuffle options, add constraints, combine items and translate the
instruction (``languages``), so campaign text varies the way real extraction
text does instead of repeating one long fixed instruction.
"""

from __future__ import annotations

import hashlib
import random
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import corpora
from simulate import languages, products
from simulate.languages import PHRASINGS

MAX_PROMPT_CHARS = 4000
MAX_SYSTEM_PROMPT_CHARS = 2000

# Answer styles decide output length (traffic.STYLE_OUTPUT).
CHAT, COT, GRADER, SHORT, DOC, LONG, CODE = range(7)


def clip_prompt(text: str) -> str:
    return text[:MAX_PROMPT_CHARS]


def clip_system_prompt(text: str) -> str:
    return text[:MAX_SYSTEM_PROMPT_CHARS]


def _bucket(text: str, salt: str) -> float:
    """A stable number in [0, 1) from the text (the same in every process)."""
    digest = hashlib.sha256(f"{salt}\x00{text}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


# --- language of a text --------------------------------------------------------------------
_STOPWORDS: dict[str, frozenset[str]] = {
    "en": frozenset(
        [
            "the",
            "and",
            "is",
            "of",
            "to",
            "in",
            "that",
            "it",
            "for",
            "you",
            "with",
            "this",
            "what",
            "how",
            "are",
            "can",
        ]
    ),
    "es": frozenset(
        [
            "el",
            "los",
            "las",
            "por",
            "una",
            "para",
            "es",
            "como",
            "del",
            "qué",
            "está",
            "pero",
            "sobre",
            "muy",
            "su",
            "ha",
            "hay",
            "esta",
        ]
    ),
    "fr": frozenset(
        [
            "le",
            "les",
            "des",
            "et",
            "est",
            "une",
            "pour",
            "dans",
            "qui",
            "pas",
            "vous",
            "je",
            "avec",
            "sur",
            "au",
        ]
    ),
    "de": frozenset(
        [
            "der",
            "die",
            "das",
            "und",
            "ist",
            "nicht",
            "ein",
            "eine",
            "ich",
            "zu",
            "mit",
            "von",
            "wie",
            "für",
            "auf",
        ]
    ),
    "pt": frozenset(
        [
            "os",
            "do",
            "da",
            "em",
            "um",
            "uma",
            "para",
            "com",
            "não",
            "você",
            "como",
            "isso",
            "são",
            "está",
        ]
    ),
    "it": frozenset(
        [
            "il",
            "di",
            "che",
            "un",
            "per",
            "non",
            "sono",
            "come",
            "della",
            "con",
            "gli",
            "perché",
            "anche",
        ]
    ),
    "nl": frozenset(
        ["het", "een", "van", "en", "is", "dat", "niet", "ik", "je", "voor", "met", "op", "wat"]
    ),
    "pl": frozenset(["nie", "się", "że", "jest", "jak", "czy", "jestem", "może", "tylko", "przez"]),
    "tr": frozenset(
        ["bir", "ve", "bu", "için", "ile", "da", "de", "ne", "mi", "nasıl", "çok", "olarak"]
    ),
    "id": frozenset(
        [
            "yang",
            "dan",
            "di",
            "ini",
            "itu",
            "dengan",
            "untuk",
            "tidak",
            "apa",
            "saya",
            "ada",
            "dari",
        ]
    ),
    "vi": frozenset(
        ["và", "của", "là", "có", "không", "một", "những", "cho", "được", "trong", "người", "này"]
    ),
}
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


def guess_language(text: str) -> str:
    """The language a prompt is written in: by script, then by common words (a heuristic)."""
    sample = text[:600]
    han = kana = hangul = cyrillic = arabic = latin = 0
    for ch in sample:
        code = ord(ch)
        if 0x4E00 <= code <= 0x9FFF:
            han += 1
        elif 0x3040 <= code <= 0x30FF:
            kana += 1
        elif 0xAC00 <= code <= 0xD7AF:
            hangul += 1
        elif 0x0400 <= code <= 0x04FF:
            cyrillic += 1
        elif 0x0600 <= code <= 0x06FF:
            arabic += 1
        elif ch.isalpha():
            latin += 1
    # A few characters of a script decide: people paste code and English around their words.
    if hangul >= 5:
        return "ko"
    if kana >= 3:
        return "ja"
    if han >= 8:
        return "zh"
    if cyrillic >= 15 and cyrillic > 0.3 * latin:
        return "ru"
    if arabic >= 10:
        return "ar"
    words = [w.lower() for w in _WORD.findall(sample) if len(w) > 1][:80]
    scores = {lang: sum(w in stop for w in words) for lang, stop in _STOPWORDS.items()}
    lang = max(scores, key=lambda k: (scores[k], k == "en"))
    return lang if scores[lang] >= 3 and scores[lang] > 1.5 * scores["en"] else "en"


_CODE = re.compile(
    r"```|\bdef \w|\bfunction\b|\bclass \w|\bSQL\b|\bpython\b|\bjavascript\b|\btypescript\b|"
    r"\bjava\b|\bc\+\+|\bregex\b|\bcode\b|#include|\bimport \w|\bapi\b|\bscript\b|\bbug\b",
    re.IGNORECASE,
)


def looks_like_code(text: str) -> bool:
    return bool(_CODE.search(text[:1500]))


# --- the bank ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class TextBank:
    """The evaluation split of the corpora, sorted into the pools senders draw from."""

    corpus: str  # "packaged" or the folder read
    user_prompts: dict[str, tuple[str, ...]]  # what ordinary people type, by language
    user_code: tuple[str, ...]  # the English ones about code (developers' share)
    user_code_set: frozenset[str]
    popular: tuple[str, ...]  # prompts many unrelated people send
    harvested: tuple[str, ...]  # public human prompts operators replay (English and other)
    harvested_by_language: dict[str, tuple[str, ...]]
    harvested_code: tuple[str, ...]
    role_prompts: tuple[str, ...]  # act-as prompts people use as system prompts
    reasoning_legit: tuple[str, ...]  # homework and eval items (tutoring, students, research)
    reasoning: tuple[str, ...]  # reasoning questions operators send
    tool_use: tuple[str, ...]
    roleplay: tuple[str, ...]
    benchmark: tuple[str, ...]
    instructions: tuple[str, ...]  # instruction-sweep items (full corpora only) and harvest
    code: tuple[str, ...]
    cot_templates: tuple[str, ...]
    cot_suffixes: tuple[str, ...]
    orca_system_prompts: tuple[str, ...]
    judge_prompts: tuple[corpora.JudgePrompt, ...]
    evol_prompts: tuple[str, ...]
    generation_prompts: tuple[str, ...]
    grading_legit: tuple[corpora.GradingItem, ...]
    grading: tuple[corpora.GradingItem, ...]
    counts: dict[str, int] = field(default_factory=dict)

    def user_pool(self, language: str) -> tuple[str, ...]:
        return self.user_prompts.get(language) or self.user_prompts["en"]


# Share of human prompts that stand for ordinary users' own writing (the rest stand for
# public data sets that operators harvest); likewise for reasoning questions: the share that
# stands for homework and benchmark items legitimate users send.
USER_SHARE = 0.8
LEGIT_REASONING_SHARE = 0.3
# Generic first messages many people send (API health checks and greetings).
GENERIC_POPULAR = ("hi", "Hello", "hello!", "test", "What can you do?", "hey", "Hi there")


def load_bank(corpus_dir: Path | None) -> TextBank:
    """The bank for a run: a full corpora folder when given and present, else the package's."""
    use = corpus_dir if corpus_dir is not None and corpora.is_corpus_dir(corpus_dir) else None
    return _bank(None if use is None else str(Path(use).resolve()))


@lru_cache(maxsize=2)
def _bank(corpus_dir: str | None) -> TextBank:
    split = corpora.EVALUATION
    human = corpora.load_prompts("human", split=split, corpus_dir=corpus_dir)
    roles = corpora.load_prompts("human_system", split=split, corpus_dir=corpus_dir)
    distill = corpora.load_prompts("distill", split=split, corpus_dir=corpus_dir)
    templates = corpora.load_templates(split=split, corpus_dir=corpus_dir)

    user: dict[str, list[str]] = {}
    harvested: list[str] = []
    harvested_by_language: dict[str, list[str]] = {}
    for record in human:
        language = guess_language(record.text)
        if _bucket(record.text, "user") < USER_SHARE:
            user.setdefault(language, []).append(record.text)
        else:
            harvested.append(record.text)
            harvested_by_language.setdefault(language, []).append(record.text)
    by_kind: dict[str, list[str]] = {}
    reasoning_legit: list[str] = []
    for record in distill:
        kind = record.kind or "instruction_sweep"
        if kind == "reasoning_question" and _bucket(record.text, "legit") < LEGIT_REASONING_SHARE:
            reasoning_legit.append(record.text)
        else:
            by_kind.setdefault(kind, []).append(record.text)
    english = user.get("en", [])
    # Popular prompts: generic openers, a few short prompts and role prompts, chosen by hash.
    short = sorted((t for t in english if len(t) < 90), key=lambda t: _bucket(t, "popular"))
    famous_roles = sorted((r.text for r in roles), key=lambda t: _bucket(t, "popular"))
    popular = (*GENERIC_POPULAR, *short[:25], *famous_roles[:8])
    harvested_code = [t for t in harvested if looks_like_code(t)]
    grading_legit = tuple(g for g in templates.grading_items if _bucket(g.question, "legit") < 0.3)
    grading = tuple(g for g in templates.grading_items if _bucket(g.question, "legit") >= 0.3)
    bank = TextBank(
        corpus="packaged" if corpus_dir is None else corpus_dir,
        user_prompts={lang: tuple(texts) for lang, texts in sorted(user.items())},
        user_code=tuple(t for t in english if looks_like_code(t)),
        user_code_set=frozenset(t for t in english if looks_like_code(t)),
        popular=tuple(popular),
        harvested=tuple(harvested),
        harvested_by_language={
            lang: tuple(texts) for lang, texts in sorted(harvested_by_language.items())
        },
        harvested_code=tuple(harvested_code),
        role_prompts=tuple(r.text for r in roles),
        reasoning_legit=tuple(reasoning_legit),
        reasoning=tuple(by_kind.get("reasoning_question", ())),
        tool_use=tuple(by_kind.get("tool_use", ())),
        roleplay=tuple(by_kind.get("roleplay", ())),
        benchmark=tuple(by_kind.get("benchmark", ())),
        instructions=tuple(by_kind.get("instruction_sweep", ())) + tuple(harvested),
        code=tuple(by_kind.get("code", ())) + tuple(harvested_code),
        cot_templates=tuple(t.text for t in templates.flan_cot_templates),
        cot_suffixes=tuple(t.text for t in templates.flan_cot_suffixes),
        orca_system_prompts=tuple(t.text for t in templates.orca_system_prompts),
        judge_prompts=tuple(j for j in templates.judge_prompts if "{instruction}" in j.template),
        evol_prompts=tuple(e.text for e in templates.evol_instruct_prompts),
        generation_prompts=tuple(g.text for g in templates.generation_prompts),
        grading_legit=grading_legit,
        grading=grading,
    )
    counts = {
        "user_prompts": sum(len(v) for v in bank.user_prompts.values()),
        "user_prompts_non_english": sum(
            len(v) for lang, v in bank.user_prompts.items() if lang != "en"
        ),
        "harvested": len(bank.harvested),
        "reasoning": len(bank.reasoning),
        "reasoning_legit": len(bank.reasoning_legit),
        "tool_use": len(bank.tool_use),
        "roleplay": len(bank.roleplay),
        "benchmark": len(bank.benchmark),
        "code": len(bank.code),
        "judge_prompts": len(bank.judge_prompts),
        "grading_items": len(bank.grading) + len(bank.grading_legit),
    }
    object.__setattr__(bank, "counts", counts)
    return bank


# --- how people type ---------------------------------------------------------------------------
_PREFIXES = ("hey, ", "quick question: ", "pls ", "Hi! ", "ok so ", "Hello. ", "hi ", "Question: ")
_SUFFIXES = (
    " thanks",
    " Thank you!",
    " keep it short",
    " in bullet points please",
    " (be concise)",
    " explain simply",
    " ty",
    " 🙏",
    " no fluff",
    "\n\nthanks in advance",
)
# Follow-up turns: in a chat the request's prompt is the last user turn, often one of these.
FOLLOWUPS = (
    "continue",
    "go on",
    "can you make it shorter?",
    "thanks! now make it more formal",
    "explain the second point in more detail",
    "give me an example",
    "that doesn't work, I get an error",
    "rewrite it in a friendlier tone",
    "what about the edge cases?",
    "now do the same in TypeScript",
    "ok and what are the downsides?",
    "perfect, thank you!",
    "can you put that in a table?",
    "shorter please",
    "why?",
    "are you sure? double check",
)


def _typo(r: random.Random, text: str) -> str:
    if len(text) < 12:
        return text
    i = r.randrange(1, len(text) - 2)
    return text[:i] + text[i + 1] + text[i] + text[i + 2 :]


def humanize(r: random.Random, text: str, language: str = "en") -> str:
    """How people really send text: a greeting, lower case, lost punctuation, a typo."""
    if len(text) > 600:  # pasted documents and code are sent as they are, maybe with a line
        if r.random() < 0.15:
            return (
                f"{r.choice(('can you help with this?', 'see below', 'look at this:'))}\n\n{text}"
            )
        return text
    roll = r.random()
    if roll < 0.2:
        text = text.lower()
    elif roll < 0.27:
        text = text.rstrip("?.!")
    if r.random() < 0.1:
        text = _typo(r, text)
    phrasing = PHRASINGS.get(language)
    if r.random() < 0.15:
        greeting = r.choice(phrasing.greetings) + ", " if phrasing else r.choice(_PREFIXES)
        text = greeting + text
    if r.random() < 0.12 and language == "en":
        text += r.choice(_SUFFIXES)
    return text.strip()


def user_prompt(
    r: random.Random,
    bank: TextBank,
    language: str,
    *,
    non_english_share: float,
    followup_share: float = 0.22,
    popular_share: float = 0.05,
    code_bias: float = 0.0,
) -> tuple[str, int]:
    """An ordinary person's request (the last user turn) and its answer style."""
    roll = r.random()
    native = language != "en" and r.random() < non_english_share
    if roll < followup_share:
        phrasing = PHRASINGS.get(language)
        if native and phrasing:
            return r.choice(phrasing.followups), CHAT
        return r.choice(FOLLOWUPS), CHAT
    if roll < followup_share + popular_share:
        return r.choice(bank.popular), CHAT
    if code_bias and bank.user_code and r.random() < code_bias:
        return humanize(r, r.choice(bank.user_code)), CODE
    if native and bank.user_prompts.get(language):
        return humanize(r, r.choice(bank.user_prompts[language]), language), CHAT
    text = r.choice(bank.user_pool("en"))
    if native and language in PHRASINGS and r.random() < 0.5:
        text = f"{text}\n\n{r.choice(PHRASINGS[language].answer_in)}"
    style = CODE if text in bank.user_code_set else CHAT
    return humanize(r, text, "en"), style


# --- products ----------------------------------------------------------------------------------
def product_request(
    r: random.Random, bank: TextBank, product: products.Product, language: str
) -> tuple[str, int]:
    text = r.choice(bank.user_pool("en"))
    prompt = product.template.replace("{text}", text)
    prompt = prompt.replace("{language}", languages.PHRASINGS.get(language, PHRASINGS["es"]).name)
    if "{context}" in prompt:
        prompt = prompt.replace("{context}", r.choice(bank.user_pool("en"))[:700])
    style = {"short": SHORT, "doc": DOC}.get(product.answer_style, CHAT)
    return prompt, style


def batch_request(r: random.Random, bank: TextBank, job: str) -> str:
    return job.replace("{text}", r.choice(bank.user_pool("en"))[:1500])


def homework_question(r: random.Random, bank: TextBank, language: str = "en") -> str:
    """A student's question to a tutoring app: a textbook item, typed as students type."""
    text = r.choice(bank.reasoning_legit)
    if r.random() < 0.3:
        text = r.choice(("help: ", "i dont get this ", "can u solve ", "")) + text
    if language != "en" and language in PHRASINGS and r.random() < 0.5:
        text = f"{text}\n{r.choice(PHRASINGS[language].answer_in)}"
    return humanize(r, text)


def eval_item(r: random.Random, bank: TextBank, harness: int, items: tuple[str, ...]) -> str:
    """A benchmark item in an eval harness's format (FLAN's CoT templates or the harness's)."""
    question = r.choice(items)
    formats = products.EVAL_HARNESS_FORMATS
    if harness % 2 == 0 and bank.cot_templates:
        template = bank.cot_templates[harness % len(bank.cot_templates)]
        return template.replace("{question}", question)
    return formats[harness % len(formats)].replace("{question}", question)


def judge_request(
    r: random.Random,
    bank: TextBank,
    judge: corpora.JudgePrompt,
    items: tuple[corpora.GradingItem, ...],
) -> tuple[str | None, str]:
    """A pairwise judge request: a judge template filled with a question and two answers."""
    item = r.choice(items)
    other = r.choice(items)
    first = _answer_text(item)
    second = _answer_text(other) if r.random() < 0.5 else _degrade(r, first)
    if r.random() < 0.5:
        first, second = second, first
    prompt = (
        judge.template.replace("{instruction}", item.question)
        .replace("{output_1}", first)
        .replace("{output_2}", second)
    )
    return judge.system, prompt


def _answer_text(item: corpora.GradingItem) -> str:
    return f"{item.rationale}\nSo the answer is {item.answer}." if item.rationale else item.answer


def _degrade(r: random.Random, answer: str) -> str:
    """A worse answer: truncated reasoning, or the final answer alone."""
    lines = answer.splitlines()
    if len(lines) > 2 and r.random() < 0.5:
        return "\n".join(lines[: max(1, len(lines) // 2)])
    return lines[-1] if lines else answer


# --- how operators write ----------------------------------------------------------------------
# Lead-ins, constraints and rubric frames operators put around items. Each campaign draws its
# own subset (``Voice``), so two campaigns never share one wording and one campaign varies.
LEAD_INS = (
    "",
    "",
    "Question: ",
    "Q: ",
    "Solve the following problem.\n\n",
    "Here is a problem:\n",
    "Task: ",
    "Consider the following.\n",
    "Please help with this:\n",
    "Problem:\n",
    "Instruction: ",
    "### Instruction:\n",
    "You will be given a question. ",
    "Read carefully and answer.\n\n",
)
CONSTRAINTS = (
    "",
    "",
    "",
    " Explain your reasoning before giving the final answer.",
    " Show every intermediate step.",
    " Give a detailed, expert-level answer.",
    " Think it through carefully, then answer.",
    " Provide a thorough explanation.",
    " Justify each step.",
    " Answer like a domain expert would, with examples.",
    " Be rigorous.",
    " Make the answer self-contained.",
    " Include the final answer on the last line.",
    " Write at least three paragraphs.",
    " Consider alternative interpretations before answering.",
)
RUBRIC_FRAMES = (
    "Grade the following answer to the question on a scale of 1 to 10. First explain what is "
    "right and wrong about it, step by step, then give the score.\n\nQuestion:\n{question}\n\n"
    "Answer:\n{answer}",
    "You are given a question and a proposed solution. Check the solution carefully, identify "
    "any errors, and output a corrected solution followed by 'Score: N/10'.\n\n"
    "[Question]\n{question}\n\n[Proposed solution]\n{answer}",
    "Evaluate the response below for correctness, completeness and clarity. Reason about each "
    "criterion, then give an overall rating from 1 to 5.\n\nPrompt: {question}\nResponse: {answer}",
    "Is the following solution correct? Verify it step by step and explain.\n\n{question}\n\n"
    "Proposed solution: {answer}",
    "Compare the reference answer with the student's answer and grade the student's work. "
    "Explain your grading.\n\nProblem: {question}\nReference: {ref}\nStudent: {answer}",
)
SWEEP_FRAMES = (
    "{item}",
    "{item}",
    "Respond to the following instruction as helpfully and completely as possible.\n\n{item}",
    "Below is an instruction that describes a task. Write a response that appropriately "
    "completes the request.\n\n### Instruction:\n{item}\n\n### Response:",
    "{item}\n\nProvide a complete, high-quality answer.",
    "User request: {item}",
)
CODE_FRAMES = (
    "{item}",
    "{item}",
    "{item}\n\nWrite clean, well-commented code and explain how it works.",
    "Solve this programming task. Include the full code and a short explanation.\n\n{item}",
    "{item}\n\nAlso include unit tests.",
    "Implement the following. Explain your approach first, then give the code.\n\n{item}",
)
# Pieces operators combine into per-account system prompts.
ROLE_PIECES = (
    "You are a helpful assistant.",
    "You are an expert assistant.",
    "You are a knowledgeable AI tutor.",
    "You are a world-class problem solver.",
    "You are an AI assistant that gives detailed answers.",
    "You are a careful, precise assistant.",
    "You are a senior software engineer and teacher.",
    "You are an expert in mathematics, science and logic.",
)
GUIDANCE_PIECES = (
    "Always explain your reasoning.",
    "Think step by step.",
    "Break problems into small steps.",
    "Consider edge cases.",
    "Be thorough.",
    "Justify your answers.",
    "Write clearly and completely.",
    "Show your work.",
    "Verify your answer before finishing.",
    "",
)
FORMAT_PIECES = (
    "",
    "Use markdown.",
    "End with the final answer on its own line.",
    "Use numbered steps.",
    "Answer in English unless asked otherwise.",
    "Keep a neutral tone.",
    "Format code in fenced blocks.",
)


@dataclass(frozen=True)
class Voice:
    """How one campaign writes: its wrappers and its appetite for each kind of variation."""

    lead_ins: tuple[str, ...]
    constraints: tuple[str, ...]
    rubric_frames: tuple[str, ...]
    sweep_frames: tuple[str, ...]
    code_frames: tuple[str, ...]
    flan_share: float  # reasoning items wrapped in a FLAN CoT template or suffix
    paraphrase: float  # items perturbed (numbers, options), combined or re-framed
    non_english_share: float
    languages: tuple[str, ...]


def make_voice(r: random.Random, *, paraphrase: float, non_english_share: float) -> Voice:
    """A campaign's own wording: a random subset of each kind of wrapper."""

    def some(items: tuple[str, ...], low: int, high: int) -> tuple[str, ...]:
        return tuple(r.sample(items, min(len(items), r.randint(low, high))))

    rich = paraphrase > 0.5  # paraphrasing operators use every wording they can
    return Voice(
        lead_ins=some(LEAD_INS, 3, 6) if not rich else LEAD_INS,
        constraints=some(CONSTRAINTS, 3, 7) if not rich else CONSTRAINTS,
        rubric_frames=some(RUBRIC_FRAMES, 1, 3) if not rich else RUBRIC_FRAMES,
        sweep_frames=some(SWEEP_FRAMES, 2, 4) if not rich else SWEEP_FRAMES,
        code_frames=some(CODE_FRAMES, 2, 4) if not rich else CODE_FRAMES,
        flan_share=r.uniform(0.2, 0.7),
        paraphrase=paraphrase,
        non_english_share=non_english_share,
        languages=tuple(r.sample(languages.CAMPAIGN_LANGUAGES, r.randint(4, 10))),
    )


_NUMBER = re.compile(r"(?<![\w.])(\d{1,5})(?![\w.])")
_OPTIONS = re.compile(r"\nOptions:\n((?:\([A-E]\) [^\n]*\n?)+)")


def perturb_numbers(r: random.Random, text: str) -> str:
    """Move some numbers a little (synthetic variants of a word problem)."""

    def move(match: re.Match[str]) -> str:
        value = int(match.group(1))
        if r.random() < 0.5 or value in (0, 1):
            return match.group(1)
        return str(max(2, value + r.choice((-2, -1, 1, 2, 3)) * max(1, value // 10)))

    return _NUMBER.sub(move, text)


def shuffle_options(r: random.Random, text: str) -> str:
    match = _OPTIONS.search(text)
    if not match:
        return text
    options = [line[4:] for line in match.group(1).strip().split("\n")]
    r.shuffle(options)
    relabelled = "\n".join(f"({'ABCDE'[i]}) {option}" for i, option in enumerate(options))
    return text[: match.start(1)] + relabelled + "\n" + text[match.end(1) :]


def paraphrase_item(r: random.Random, voice: Voice, item: str, pool: tuple[str, ...]) -> str:
    """Recombination: perturbed numbers, shuffled options, a second item, a re-framing."""
    roll = r.random()
    if roll < 0.35:
        item = perturb_numbers(r, item)
    elif roll < 0.55:
        item = shuffle_options(r, item)
    elif roll < 0.7 and pool:
        item = f"Answer both questions.\n\n1. {item}\n\n2. {r.choice(pool)}"
    elif roll < 0.8:
        item = item.replace("\n", " ").strip()
    if r.random() < 0.3:
        item = item[:1].lower() + item[1:] if item[:1].isupper() else item
    return item


def _wrap(r: random.Random, voice: Voice, item: str) -> str:
    return f"{r.choice(voice.lead_ins)}{item}{r.choice(voice.constraints)}".strip()


def _foreign(r: random.Random, voice: Voice) -> languages.Phrasing | None:
    if voice.non_english_share and r.random() < voice.non_english_share:
        return PHRASINGS[r.choice(voice.languages)]
    return None


def reasoning_request(r: random.Random, bank: TextBank, voice: Voice) -> str:
    """A reasoning question asking for the chain of thought, in one of the voice's wordings."""
    item = r.choice(bank.reasoning)
    if r.random() < voice.paraphrase:
        item = paraphrase_item(r, voice, item, bank.reasoning)
    foreign = _foreign(r, voice)
    if foreign is not None:
        return r.choice(foreign.cot).replace("{question}", item)
    if r.random() < voice.flan_share:
        if bank.cot_suffixes and r.random() < 0.4:
            return f"{item} {r.choice(bank.cot_suffixes)}"
        if bank.cot_templates:
            return r.choice(bank.cot_templates).replace("{question}", item)
    return _wrap(r, voice, item)


def grading_request(r: random.Random, bank: TextBank, voice: Voice) -> tuple[str | None, str]:
    """A rubric-grading request: a public judge template or the operator's own rubric."""
    if bank.judge_prompts and r.random() < 0.45:
        return judge_request(r, bank, r.choice(bank.judge_prompts), bank.grading)
    item = r.choice(bank.grading)
    answer = _answer_text(item) if r.random() < 0.5 else _degrade(r, _answer_text(item))
    question = item.question
    if r.random() < voice.paraphrase:
        question = paraphrase_item(r, voice, question, ())
    foreign = _foreign(r, voice)
    if foreign is not None and foreign.grading:
        frame = r.choice(foreign.grading)
    else:
        frame = r.choice(voice.rubric_frames)
    prompt = (
        frame.replace("{question}", question)
        .replace("{answer}", answer)
        .replace("{ref}", item.answer)
    )
    return None, prompt


def sweep_request(r: random.Random, bank: TextBank, voice: Voice) -> str:
    """An instruction-sweep item: a harvested request, an Evol rewrite or a generation prompt."""
    roll = r.random()
    if roll < 0.06 and bank.generation_prompts:
        # Self-instruct style: the generation prompt followed by a few sampled seed tasks.
        seeds = [r.choice(bank.instructions)[:300] for _ in range(3)]
        listed = "\n".join(f"{i}. {seed}" for i, seed in enumerate(seeds, 1))
        return f"{r.choice(bank.generation_prompts)}\n\nList of 20 tasks:\n{listed}\n4."
    if roll < 0.16 and bank.evol_prompts:
        seed = r.choice(bank.instructions)
        return r.choice(bank.evol_prompts).replace("{instruction}", seed[:1500])
    # Instruction sweeps replay public requests and GPTeacher-style instructions alike.
    pool = bank.instructions if r.random() < 0.5 else bank.tool_use + bank.roleplay
    foreign = _foreign(r, voice)
    if foreign is not None:
        native = bank.harvested_by_language.get(foreign.code)
        if native and r.random() < 0.5:
            return r.choice(native)
        return r.choice(foreign.task).replace("{question}", r.choice(pool))
    item = r.choice(pool)
    if r.random() < voice.paraphrase:
        item = paraphrase_item(r, voice, item, ())
    return r.choice(voice.sweep_frames).replace("{item}", item)


def code_request(r: random.Random, bank: TextBank, voice: Voice) -> str:
    item = r.choice(bank.code)
    foreign = _foreign(r, voice)
    if foreign is not None:
        return r.choice(foreign.task).replace("{question}", item)
    return r.choice(voice.code_frames).replace("{item}", item)


def plain_request(r: random.Random, voice: Voice, pool: tuple[str, ...]) -> str:
    """Tool-use, roleplay and benchmark items: mostly as they are, sometimes re-worded."""
    item = r.choice(pool)
    foreign = _foreign(r, voice)
    if foreign is not None:
        return r.choice(foreign.task).replace("{question}", item)
    if r.random() < max(voice.paraphrase, 0.5):
        return _wrap(r, voice, item)
    return item


def compose_system_prompt(r: random.Random, bank: TextBank) -> str:
    """An operator's per-account system prompt: an Orca prompt or pieces recombined."""
    if bank.orca_system_prompts and r.random() < 0.3:
        base = r.choice(bank.orca_system_prompts)
    else:
        base = r.choice(ROLE_PIECES)
    extra = [p for p in r.sample(GUIDANCE_PIECES, r.randint(1, 3)) if p]
    fmt = r.choice(FORMAT_PIECES)
    return " ".join([base, *extra, *([fmt] if fmt else [])])
