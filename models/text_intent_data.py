"""The text model's training examples: real prompts of the ``text_model`` split, and wrappers.

Two classes, from the ``corpora`` package (real public text, never the split the
simulator draws from, so an evaluation never scores text the model learned):

- **extraction-shaped** (1): distillation-style prompts (dataset questions,
  instruction sweeps, code tasks, benchmark items) as they are, inside FLAN
  chain-of-thought templates, or followed by a chain-of-thought suffix; rubric
  grading requests built from judge prompts and grading items; Orca-style
  system prompts; Evol-Instruct rewrite requests;
- **conversation** (0): real human prompts and human system prompts.

Language: the corpora's extraction text is English, and the permissive human
text is too narrow to teach the model other languages without teaching it that
a language is a class (measured: wrapping items in sixteen languages' reasoning
instructions raised the false-positive rate on multilingual human prompts from
6% to 15% for +6 points on translated requests). The language-robust part of the
content evidence is therefore the curated multilingual phrase list of
``features.reference``, and this model stays a learned English one.

Everything is deterministic for a seed.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import corpora


@dataclass(frozen=True)
class Example:
    text: str
    label: int  # 1 extraction-shaped, 0 conversation
    origin: str  # where it came from: a corpus source, a template family, a wrapper kind

    @property
    def group(self) -> str:
        """The unit of sampling and of cross-validation: the origin."""
        return self.origin


def _fill(template: str, **slots: str) -> str:
    # Templates hold literal braces too (JSON in judge prompts): replace only the named slots.
    for name, value in slots.items():
        template = template.replace("{" + name + "}", value)
    return template


def _grading_request(
    r: random.Random, judge: corpora.JudgePrompt, item: corpora.GradingItem
) -> str:
    answer = f"{item.rationale}\nSo the answer is {item.answer}".strip()
    filled = _fill(
        judge.template,
        question=item.question,
        question_1=item.question,
        instruction=item.question,
        answer=answer,
        answer_1=answer,
        answer_a=answer,
        answer_b=item.answer,
        output_1=answer,
        output_2=item.answer,
        ref_answer_1=item.answer,
    )
    system = judge.system or ""
    return f"{system}\n\n{filled}" if system and r.random() < 0.5 else filled


def training_examples(
    seed: int = 7, corpus_dir: Path | None = None, split: str = "text_model"
) -> list[Example]:
    """Every training example of ``split`` (see the module doc), shuffled deterministically."""
    r = random.Random(seed)
    distill = corpora.load_prompts("distill", split=split, corpus_dir=corpus_dir)
    human = corpora.load_prompts("human", split=split, corpus_dir=corpus_dir)
    human_system = corpora.load_prompts("human_system", split=split, corpus_dir=corpus_dir)
    templates = corpora.load_templates(split=split, corpus_dir=corpus_dir)
    cot_templates = [t.text for t in templates.flan_cot_templates]
    cot_suffixes = [t.text for t in templates.flan_cot_suffixes]
    examples: list[Example] = []

    for record in distill:
        roll = r.random()
        if roll < 0.35 and cot_templates:
            text = _fill(r.choice(cot_templates), question=record.text)
            origin = "flan_cot_template"
        elif roll < 0.65 and cot_suffixes:
            text = f"{record.text}\n{r.choice(cot_suffixes)}"
            origin = "flan_cot_suffix"
        else:
            text, origin = record.text, record.source
        examples.append(Example(text, 1, origin))

    judges = templates.judge_prompts
    items = templates.grading_items
    for index, item in enumerate(items):
        if judges:
            examples.append(
                Example(_grading_request(r, judges[index % len(judges)], item), 1, "judge")
            )
    for family, entries in (
        ("orca_system_prompts", templates.orca_system_prompts),
        ("generation_prompts", templates.generation_prompts),
    ):
        examples += [Example(t.text, 1, family) for t in entries]
    instructions = [record.text for record in distill[:500]]
    for entry in templates.evol_instruct_prompts:
        for instruction in r.sample(instructions, min(20, len(instructions))):
            examples.append(Example(_fill(entry.text, instruction=instruction), 1, "evol"))

    for record in human:
        examples.append(Example(record.text, 0, record.source))
    examples += [Example(record.text, 0, record.source) for record in human_system]
    r.shuffle(examples)
    return examples


def texts_and_labels(examples: Iterable[Example]) -> tuple[list[str], list[int]]:
    rows = list(examples)
    return [e.text for e in rows], [e.label for e in rows]
