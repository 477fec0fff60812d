"""Rebuild ``prompt_sample.jsonl.gz`` from the team's corpora (``../shared/corpora``).

The sample is real prompt text for tests that compare text signals between
engines (tests/features/test_signal_scan.py). Only permissively licensed
sources are taken (see PROVENANCE.md of the corpora): Arena-Hard prompts
(Apache-2.0), awesome-chatgpt-prompts role prompts as system prompts (CC0),
FLAN CoT questions wrapped in FLAN's zero-shot CoT templates (Apache-2.0),
MT-Bench / Vicuna-Bench questions and the FastChat / alpaca_eval judge prompts
(Apache-2.0). Deterministic: ``python tests/data/make_prompt_sample.py CORPORA``.
"""

from __future__ import annotations

import gzip
import json
import random
import sys
from pathlib import Path

OUT = Path(__file__).with_name("prompt_sample.jsonl.gz")


def _lines(path: Path) -> list[dict]:
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


def main(corpora: Path) -> None:
    rng = random.Random(20261129)
    human = [
        r
        for r in _lines(corpora / "human_prompts.jsonl.gz")
        if r["source"].startswith("arena_hard")
    ]
    systems = [r["text"] for r in _lines(corpora / "human_system_prompts.jsonl.gz")]
    distill = _lines(corpora / "distill_prompts.jsonl.gz")
    templates = json.loads((corpora / "distill_templates.json").read_text())
    flan = [r for r in distill if r["source"].startswith("flan")]
    bench = [
        r for r in distill if r["kind"] == "benchmark" and not r["source"].startswith("wizard")
    ]
    cot_templates = [
        t["text"] for t in templates["flan_cot_templates"] if "{question}" in t["text"]
    ]
    records = []
    for record in rng.sample(human, 800):
        system = rng.choice(systems) if rng.random() < 0.3 else None
        records.append(
            {"system_prompt": system, "prompt": record["text"], "source": record["source"]}
        )
    for record in rng.sample(flan, 1200):
        template = rng.choice(cot_templates)
        records.append(
            {
                "system_prompt": None,
                "prompt": template.replace("{question}", record["text"]),
                "source": "flan_cot",
            }
        )
    for record in bench:
        records.append({"system_prompt": None, "prompt": record["text"], "source": "benchmark"})
    for judge in templates["judge_prompts"]:
        records.append(
            {
                "system_prompt": judge.get("system"),
                "prompt": judge.get("template") or "",
                "source": "judge",
            }
        )
    for system in systems:
        records.append(
            {"system_prompt": system, "prompt": "Hello", "source": "awesome-chatgpt-prompts"}
        )
    with gzip.GzipFile(OUT, "wb", mtime=0) as handle:
        for record in records:
            handle.write((json.dumps(record, ensure_ascii=False) + "\n").encode())
    print(f"{OUT}: {len(records)} records")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
