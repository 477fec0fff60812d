"""Where a prompt's text came from, judged from the corpora alone (not from the simulator).

An index of word 6-shingles of the corpora's texts by kind (``human`` prompts and
system prompts, ``distill`` prompts, judge prompts and grading questions) and by
split; a prompt's origin is the kind most of its indexed shingles belong to.
Used to tell ordinary text from extraction text in a campaign's requests and
to check that the simulator never emits text of the text model's split.
"""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache
from pathlib import Path

import corpora

SHINGLE = 6
_WORDS = re.compile(r"\w+", re.UNICODE)


def shingles(text: str) -> set[int]:
    words = _WORDS.findall(text.lower())
    return {hash(tuple(words[i : i + SHINGLE])) for i in range(len(words) - SHINGLE + 1)}


@lru_cache(maxsize=4)
def index(split: str, corpus_dir: str | None = None) -> dict[int, str]:
    found: dict[int, Counter[str]] = {}
    texts: list[tuple[str, str]] = []
    for kind, origin in (("human", "human"), ("human_system", "human"), ("distill", "distill")):
        for record in corpora.load_prompts(kind, split=split, corpus_dir=corpus_dir):
            texts.append((record.text, origin))
    templates = corpora.load_templates(split=split, corpus_dir=corpus_dir)
    for item in templates.grading_items:
        texts.append((item.question, "distill"))
    for judge in templates.judge_prompts:
        texts.append((judge.template, "judge"))
    for text, origin in texts:
        for shingle in shingles(text):
            found.setdefault(shingle, Counter())[origin] += 1
    return {shingle: counts.most_common(1)[0][0] for shingle, counts in found.items()}


def origin(
    prompt: str, split: str = corpora.EVALUATION, corpus_dir: Path | None = None
) -> str | None:
    """``human``, ``distill``, ``judge`` or None (no indexed shingle: follow-ups, greetings)."""
    table = index(split, None if corpus_dir is None else str(corpus_dir))
    votes = Counter(table[s] for s in shingles(prompt) if s in table)
    return votes.most_common(1)[0][0] if votes else None
