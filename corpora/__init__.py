"""Real prompt text for the simulator and the text model, with a fixed source split.

The package ships a permissively licensed subset (Apache-2.0, MIT and CC0
sources only; ``data/PROVENANCE.md``) of a corpora folder such as
``/work/shared/corpora``; ``corpus_dir`` points the loaders at a full folder in
that format instead (tests and benchmarks do when it exists; the product never
needs it). ``load_prompts(kind)`` returns human prompts (``human``), human
system prompts (``human_system``) or distillation-style prompts (``distill``);
``load_templates()`` returns the FLAN chain-of-thought templates and suffixes,
Orca system prompts, judge prompts, Evol-Instruct and generation prompts and
grading items. Records are frozen; loads are cached; nothing happens at import.

Every record belongs to one of two splits, so that the text model never trains
on text the simulator emits (the simulator uses only ``evaluation``):

- distill prompts, by source: ``flan_cot/gsm8k``, ``flan_cot/ecqa``,
  ``flan_cot/creak``, ``gpteacher/codegen``, ``self_instruct/*`` and
  ``mt_bench/*`` are ``text_model``; ``flan_cot/aqua``, ``flan_cot/qasc``,
  ``flan_cot/strategyqa``, ``flan_cot/sensemaking``, ``gpteacher/toolformer``,
  ``gpteacher/roleplay``, ``vicuna_bench/*`` and every source found only in a
  full corpora folder (alpaca_en_demo, code_alpaca_2k, wizardlm_testset) are
  ``evaluation``;
- human prompts, by source: ``arena_hard_v0.1`` is ``text_model``;
  ``arena_hard_v2.0`` and every full-corpora-only source (oasst1, sharegpt,
  instructionwild, alpaca_eval) are ``evaluation``;
- human system prompts, FLAN CoT templates and suffixes, Orca system prompts,
  Evol-Instruct and generation prompts: by the parity of a SHA-256 of the
  text (about half each, stable per text whatever else the folder holds);
  FLAN templates and suffixes, and Orca prompts, first gather into families
  of texts that contain one another (``{question} Let's think step by
  step.`` holds the suffix ``Let's think step by step.``), dealt out in hash
  order to the split with fewer texts so far, so no split holds a text inside
  another split's text;
- judge prompts: FastChat's are ``text_model``, alpaca_eval's ``evaluation``;
- grading items follow the split of the question's own source (FLAN's
  ``*_train.tsv`` and MT-Bench questions are the distill questions verbatim,
  so a hash split would put the same question in both splits);
- finally, an ``evaluation`` record whose normalised text (NFKC, lower case,
  collapsed whitespace) equals a ``text_model`` text of any kind is dropped
  (a handful of awesome-chatgpt-prompts also appear in oasst1 and ShareGPT),
  and so is an ``evaluation`` human prompt that contains a ``text_model``
  text of eight words or more (people paste act-as prompts into chats).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Final, Literal

Split = Literal["text_model", "evaluation"]
TEXT_MODEL: Final = "text_model"
EVALUATION: Final = "evaluation"
SPLITS: tuple[Split, ...] = (TEXT_MODEL, EVALUATION)
PROMPT_KINDS: tuple[str, ...] = ("human", "human_system", "distill")

# File names: a full corpora folder (/work/shared/corpora's format) and the packaged subset.
FULL_FILES: dict[str, str] = {
    "human": "human_prompts.jsonl.gz",
    "human_system": "human_system_prompts.jsonl.gz",
    "distill": "distill_prompts.jsonl.gz",
    "templates": "distill_templates.json",
}
PACKAGED_FILES: dict[str, str] = {
    "human": "human_prompts.ndjson.gz",
    "human_system": "human_system_prompts.ndjson.gz",
    "distill": "distill_prompts.ndjson.gz",
    "templates": "distill_templates.json.gz",
}

# Distill sources by split; a source is matched by its full name or its prefix before "/".
DISTILL_TEXT_MODEL_SOURCES = frozenset(
    {"flan_cot/gsm8k", "flan_cot/ecqa", "flan_cot/creak", "gpteacher/codegen"}
)
DISTILL_TEXT_MODEL_FAMILIES = frozenset({"self_instruct", "mt_bench"})
HUMAN_TEXT_MODEL_SOURCES = frozenset({"arena_hard_v0.1"})
JUDGE_TEXT_MODEL_REPOS = frozenset({"lm-sys/FastChat"})
HASHED_SECTIONS: tuple[str, ...] = (
    "orca_system_prompts",
    "flan_cot_templates",
    "flan_cot_suffixes",
    "evol_instruct_prompts",
    "generation_prompts",
)
TEMPLATE_SECTIONS: tuple[str, ...] = (
    *HASHED_SECTIONS,
    "judge_prompts",
    "grading_items",
)


@dataclass(frozen=True, slots=True)
class Prompt:
    """One prompt: its text and source; ``kind`` for distill prompts, ``act`` for system ones."""

    text: str
    source: str
    kind: str | None = None
    act: str | None = None


@dataclass(frozen=True, slots=True)
class Template:
    """A FLAN CoT template or suffix, an Orca system prompt or a generation prompt."""

    text: str
    source: str
    pattern: str | None = None  # FLAN's template family (templates only)
    count_in_source: int | None = None  # how often the Orca prompt occurs in its data set


@dataclass(frozen=True, slots=True)
class JudgePrompt:
    """An LLM-as-judge prompt: a system prompt and a user template with ``{slots}``."""

    name: str
    type: str
    system: str | None
    template: str
    source: str


@dataclass(frozen=True, slots=True)
class EvolPrompt:
    """An Evol-Instruct rewrite instruction with an ``{instruction}``-style placeholder."""

    mode: str
    method: str
    text: str
    source: str


@dataclass(frozen=True, slots=True)
class GradingItem:
    """A question with its reference answer and rationale (for rubric-grading requests)."""

    question: str
    answer: str
    rationale: str
    source: str


@dataclass(frozen=True, slots=True)
class Templates:
    """Every template section of a corpora folder, each a tuple of frozen records."""

    orca_system_prompts: tuple[Template, ...]
    flan_cot_templates: tuple[Template, ...]
    flan_cot_suffixes: tuple[Template, ...]
    judge_prompts: tuple[JudgePrompt, ...]
    evol_instruct_prompts: tuple[EvolPrompt, ...]
    generation_prompts: tuple[Template, ...]
    grading_items: tuple[GradingItem, ...]


def normalise(text: str) -> str:
    """The corpora's de-duplication key: NFKC, lower case, whitespace collapsed."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text).lower()).strip()


def _hash_split(text: str) -> Split:
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return TEXT_MODEL if digest[-1] % 2 == 0 else EVALUATION


def distill_source_split(source: str) -> Split:
    """The split of a distill source name such as ``flan_cot/aqua`` or ``mt_bench/math``."""
    family = source.split("/", 1)[0]
    if source in DISTILL_TEXT_MODEL_SOURCES or family in DISTILL_TEXT_MODEL_FAMILIES:
        return TEXT_MODEL
    return EVALUATION


def prompt_split(kind: str, record: Prompt) -> Split:
    """The split of one prompt record by the rules of the module docstring (before dropping)."""
    if kind == "distill":
        return distill_source_split(record.source)
    if kind == "human":
        return TEXT_MODEL if record.source in HUMAN_TEXT_MODEL_SOURCES else EVALUATION
    if kind == "human_system":
        return _hash_split(record.text)
    raise ValueError(f"unknown prompt kind {kind!r}; expected one of {PROMPT_KINDS}")


def _grading_source_split(source: str) -> Split:
    # "google-research/FLAN@e9e4ec6e:flan/v2/cot_data/aqua_train.tsv" -> flan_cot/aqua;
    # MT-Bench reference answers -> mt_bench.
    path = source.split(":", 1)[-1]
    match = re.search(r"cot_data/(\w+?)_train\.tsv$", path)
    if match:
        return distill_source_split(f"flan_cot/{match.group(1)}")
    if "mt_bench" in path:
        return distill_source_split("mt_bench/reference")
    if "vicuna_bench" in path:
        return distill_source_split("vicuna_bench/reference")
    return _hash_split(source)


def template_split(section: str, record: Any) -> Split:
    """The split of one template record of ``section`` (before dropping)."""
    if section in HASHED_SECTIONS:
        return _hash_split(record.text)
    if section == "judge_prompts":
        repo = record.source.split("@", 1)[0]
        return TEXT_MODEL if repo in JUDGE_TEXT_MODEL_REPOS else EVALUATION
    if section == "grading_items":
        return _grading_source_split(record.source)
    raise ValueError(f"unknown template section {section!r}; expected one of {TEMPLATE_SECTIONS}")


def containment_families(texts: list[str]) -> list[Split]:
    """A split per text such that texts containing one another share it: connected groups
    under containment (``{question}`` slots cut a template into fragments), each taking the
    hash split of its shortest member."""
    cores = [normalise(re.sub(r"\{\w+\}", "\n", t)).strip(" ?.:!") for t in texts]
    parent = list(range(len(texts)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, small in enumerate(cores):
        for j, large in enumerate(cores):
            if i != j and small and small in large:
                parent[root(i)] = root(j)
    shortest: dict[int, str] = {}
    sizes: dict[int, int] = {}
    for i, text in enumerate(texts):
        group = root(i)
        sizes[group] = sizes.get(group, 0) + 1
        if group not in shortest or (len(text), text) < (len(shortest[group]), shortest[group]):
            shortest[group] = text
    # Deal the families out in hash order, each to the split holding fewer texts so far.
    dealt = {TEXT_MODEL: 0, EVALUATION: 0}
    family_split: dict[int, Split] = {}
    order = sorted(shortest, key=lambda g: hashlib.sha256(shortest[g].encode("utf-8")).digest())
    for group in order:
        if dealt[TEXT_MODEL] == dealt[EVALUATION]:
            split = _hash_split(shortest[group])
        else:
            split = TEXT_MODEL if dealt[TEXT_MODEL] < dealt[EVALUATION] else EVALUATION
        family_split[group] = split
        dealt[split] += sizes[group]
    return [family_split[root(i)] for i in range(len(texts))]


def record_texts(record: Any) -> tuple[str, ...]:
    """The text fields of any record, for the cross-split check."""
    if isinstance(record, JudgePrompt):
        return tuple(t for t in (record.system, record.template) if t)
    if isinstance(record, GradingItem):
        return (record.question,)
    return (record.text,)


# --- reading ------------------------------------------------------------------------------
def _read_ndjson(data: bytes) -> list[dict[str, Any]]:
    text = gzip.decompress(data).decode("utf-8")
    return [json.loads(line) for line in text.split("\n") if line.strip()]


def _read_bytes(corpus_dir: str | None, part: str) -> bytes:
    if corpus_dir is None:
        return resources.files("corpora").joinpath("data", PACKAGED_FILES[part]).read_bytes()
    path = Path(corpus_dir) / FULL_FILES[part]
    if not path.is_file():
        raise FileNotFoundError(
            f"{corpus_dir} is not a corpora folder: {FULL_FILES[part]} is missing"
        )
    return path.read_bytes()


def _prompt(kind: str, row: dict[str, Any]) -> Prompt:
    return Prompt(
        text=row["text"],
        source=row["source"],
        kind=row.get("kind") if kind == "distill" else None,
        act=row.get("act") if kind == "human_system" else None,
    )


def _template_records(section: str, rows: Iterable[dict[str, Any]]) -> tuple[Any, ...]:
    if section == "judge_prompts":
        return tuple(
            JudgePrompt(r["name"], r["type"], r.get("system") or None, r["template"], r["source"])
            for r in rows
        )
    if section == "evol_instruct_prompts":
        return tuple(EvolPrompt(r["mode"], r["method"], r["text"], r["source"]) for r in rows)
    if section == "grading_items":
        return tuple(
            GradingItem(r["question"], r["answer"], r.get("rationale") or "", r["source"])
            for r in rows
        )
    return tuple(
        Template(r["text"], r["source"], r.get("pattern"), r.get("count_in_source")) for r in rows
    )


@dataclass(frozen=True)
class _Corpus:
    prompts: dict[str, tuple[tuple[Prompt, Split], ...]]
    templates: dict[str, tuple[tuple[Any, Split], ...]]


def _key(corpus_dir: str | Path | None) -> str | None:
    return None if corpus_dir is None else str(Path(corpus_dir).expanduser().resolve())


@lru_cache(maxsize=4)
def _load(corpus_dir: str | None) -> _Corpus:
    prompts: dict[str, list[tuple[Prompt, Split]]] = {}
    for kind in PROMPT_KINDS:
        rows = _read_ndjson(_read_bytes(corpus_dir, kind))
        records = [_prompt(kind, row) for row in rows]
        prompts[kind] = [(record, prompt_split(kind, record)) for record in records]
    raw_templates = _read_bytes(corpus_dir, "templates")
    if corpus_dir is None:
        raw_templates = gzip.decompress(raw_templates)
    sections = json.loads(raw_templates.decode("utf-8"))
    templates: dict[str, list[tuple[Any, Split]]] = {}
    for section in TEMPLATE_SECTIONS:
        entries = _template_records(section, sections.get(section, []))
        templates[section] = [(entry, template_split(section, entry)) for entry in entries]

    # Texts that contain one another go together (see the module docstring).
    for sections in (("flan_cot_templates", "flan_cot_suffixes"), ("orca_system_prompts",)):
        members = [(s, i, record) for s in sections for i, (record, _) in enumerate(templates[s])]
        families = containment_families([record.text for _, _, record in members])
        for (section, i, record), split in zip(members, families, strict=True):
            templates[section][i] = (record, split)

    # No text in both splits: the text model's texts win.
    text_model_texts = {
        normalise(text)
        for pairs in (*prompts.values(), *templates.values())
        for record, split in pairs
        if split == TEXT_MODEL
        for text in record_texts(record)
    }

    def keep(pairs: list[tuple[Any, Split]]) -> tuple[tuple[Any, Split], ...]:
        return tuple(
            (record, split)
            for record, split in pairs
            if split == TEXT_MODEL
            or not any(normalise(t) in text_model_texts for t in record_texts(record))
        )

    # Human prompts that quote a text model text whole (checked by its first 8 words).
    by_start: dict[str, list[str]] = {}
    for text in text_model_texts:
        words = text.split(" ")
        if len(words) >= 8:
            by_start.setdefault(" ".join(words[:8]), []).append(text)

    def quotes_text_model(text: str) -> bool:
        normal = normalise(text)
        words = normal.split(" ")
        for i in range(len(words) - 7):
            for candidate in by_start.get(" ".join(words[i : i + 8]), ()):
                if candidate in normal:
                    return True
        return False

    for kind in ("human", "human_system"):
        prompts[kind] = [
            (record, split)
            for record, split in prompts[kind]
            if split == TEXT_MODEL or not quotes_text_model(record.text)
        ]

    return _Corpus(
        prompts={kind: keep(pairs) for kind, pairs in prompts.items()},
        templates={section: keep(pairs) for section, pairs in templates.items()},
    )


def _check_split(split: str | None) -> None:
    if split is not None and split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; expected one of {SPLITS} or None")


def load_prompts(
    kind: str, *, split: str | None = None, corpus_dir: str | Path | None = None
) -> tuple[Prompt, ...]:
    """Prompts of ``kind`` (``human``, ``human_system``, ``distill``), of one split or all.

    ``corpus_dir=None`` reads the packaged subset; a path reads a full corpora folder.
    """
    if kind not in PROMPT_KINDS:
        raise ValueError(f"unknown prompt kind {kind!r}; expected one of {PROMPT_KINDS}")
    _check_split(split)
    return _prompts(kind, split, _key(corpus_dir))


@lru_cache(maxsize=32)
def _prompts(kind: str, split: str | None, corpus_dir: str | None) -> tuple[Prompt, ...]:
    pairs = _load(corpus_dir).prompts[kind]
    return tuple(record for record, s in pairs if split is None or s == split)


def load_templates(*, split: str | None = None, corpus_dir: str | Path | None = None) -> Templates:
    """Every template section, restricted to one split when ``split`` is given."""
    _check_split(split)
    return _templates(split, _key(corpus_dir))


@lru_cache(maxsize=16)
def _templates(split: str | None, corpus_dir: str | None) -> Templates:
    sections = _load(corpus_dir).templates
    return Templates(
        **{
            section: tuple(record for record, s in sections[section] if split is None or s == split)
            for section in TEMPLATE_SECTIONS
        }
    )


def split_of_text(text: str, *, corpus_dir: str | Path | None = None) -> str | None:
    """The split a text (any kind, normalised) belongs to, or None when it is not in the corpus."""
    return _text_index(_key(corpus_dir)).get(normalise(text))


@lru_cache(maxsize=4)
def _text_index(corpus_dir: str | None) -> dict[str, str]:
    corpus = _load(corpus_dir)
    index: dict[str, str] = {}
    for pairs in (*corpus.prompts.values(), *corpus.templates.values()):
        for record, split in pairs:
            for text in record_texts(record):
                index[normalise(text)] = split
    return index


def is_corpus_dir(path: str | Path | None) -> bool:
    """Whether ``path`` is a full corpora folder (every file the loaders read is there)."""
    if path is None:
        return False
    folder = Path(path).expanduser()
    return all((folder / name).is_file() for name in FULL_FILES.values())


__all__ = [
    "EVALUATION",
    "PROMPT_KINDS",
    "SPLITS",
    "TEXT_MODEL",
    "EvolPrompt",
    "GradingItem",
    "JudgePrompt",
    "Prompt",
    "Template",
    "Templates",
    "distill_source_split",
    "is_corpus_dir",
    "load_prompts",
    "load_templates",
    "normalise",
    "prompt_split",
    "record_texts",
    "split_of_text",
    "template_split",
]
