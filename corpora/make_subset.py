"""Rebuild the packaged subset (``corpora/data``) from a full corpora folder.

A maintainer script, never run at run time: ``python -m corpora.make_subset
/work/shared/corpora``. It keeps only the sources whose licence allows
redistribution in a product (Apache-2.0, MIT, CC0: Arena-Hard, awesome-chatgpt-
prompts, FLAN CoT, GPTeacher, self-instruct, FastChat MT-Bench / Vicuna bench,
and every template section), drops every NON-COMMERCIAL or unclear-licence
source (oasst1 via SALMON, ShareGPT, AlpacaEval instructions, InstructionWild,
alpaca_en_demo, code_alpaca_2k, the WizardLM test set), and writes gzip files
with a fixed header (no name, mtime 0) and the records in the source's order,
so the same input gives the same bytes. ``PROVENANCE.md`` is written beside
them with the counts.
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import re
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from corpora import FULL_FILES, PACKAGED_FILES, SPLITS, load_prompts, load_templates

DATA_DIR = Path(__file__).resolve().parent / "data"

HUMAN_KEEP = ("arena_hard_v0.1", "arena_hard_v2.0")
HUMAN_SYSTEM_KEEP = ("awesome-chatgpt-prompts",)
DISTILL_KEEP_FAMILIES = ("flan_cot", "gpteacher", "self_instruct", "mt_bench", "vicuna_bench")

SOURCES_TABLE = """\
| file | repo | commit | path | licence | what |
| --- | --- | --- | --- | --- | --- |
| human_prompts | lmarena/arena-hard-auto | 196f6b826783b3da7310e361a805fa36f0be83f3 | `data/arena-hard-v0.1/question.jsonl`, `data/arena-hard-v2.0/question.jsonl` | Apache-2.0 | real Chatbot Arena prompts (`arena_hard_v0.1`, `arena_hard_v2.0`) |
| human_system_prompts | f/awesome-chatgpt-prompts | 50a97c072933c93c76cc0714e9dd4c4cf1d80ae7 | `prompts.csv` | CC0-1.0 | role/system-style prompts, field `act` = role title |
| distill_prompts | google-research/FLAN | e9e4ec6e2701182c7a91af176f705310da541277 | `flan/v2/cot_data/*_train.tsv` | Apache-2.0 (underlying QA sets: GSM8K MIT, StrategyQA MIT, CREAK MIT, ECQA CDLA, QASC CC BY 4.0, AQuA Apache-2.0, Sen-Making unspecified) | FLAN v2 CoT train questions (`flan_cot/*`, kind reasoning_question) |
| distill_prompts | teknium1/GPTeacher | 481075123c29854bddb82655badeef6a438f2436 | `Codegen/`, `Roleplay/`, `Toolformer/` | MIT | GPT-4 distilled instructions (`gpteacher/*`: code, roleplay, tool_use) |
| distill_prompts | yizhongw/self-instruct | 0b26ccaa415992100fa32df62d41b994cf928e23 | `data/seed_tasks.jsonl`, `human_eval/user_oriented_instructions.jsonl` | Apache-2.0 | instruction + first input (`self_instruct/*`, kind instruction_sweep) |
| distill_prompts | lm-sys/FastChat | 0e6d3e4beaab66f4d3f93db72541a4abab8af28d | `fastchat/llm_judge/data/{mt_bench,vicuna_bench}/question.jsonl` | Apache-2.0 | first-turn benchmark questions (`mt_bench/*`, `vicuna_bench/*`) |
| distill_templates | google-research/FLAN | e9e4ec6e2701182c7a91af176f705310da541277 | `flan/v2/templates.py`; grading items from `cot_data/*_train.tsv` (every 25th row) | Apache-2.0 | flan_cot_templates, flan_cot_suffixes, grading_items |
| distill_templates | lm-sys/FastChat | 0e6d3e4beaab66f4d3f93db72541a4abab8af28d | `fastchat/llm_judge/data/judge_prompts.jsonl`; `mt_bench/reference_answer/gpt-4.jsonl` | Apache-2.0 | judge_prompts (FastChat), grading_items (MT-Bench references) |
| distill_templates | tatsu-lab/alpaca_eval | cd543a149df89434d8a54582c0151c0b945c3d20 | `src/alpaca_eval/evaluators_configs/**/*.txt` | Apache-2.0 (evaluator templates are code; the AlpacaEval *instructions* are CC BY-NC and are not shipped) | judge_prompts (alpaca_eval) |
| distill_templates | nlpxucan/WizardLM | cd4b4cc022b6426aee62d51f7ae99a4a6ec9aaef | `Evol_Instruct/depth.py`, `Evol_Instruct/breadth.py` | Apache-2.0 (prompt strings in code; the WizardLM *test set* is CC BY-NC and is not shipped) | evol_instruct_prompts |
| distill_templates | tatsu-lab/stanford_alpaca, sahil280114/codealpaca | 761dc5bfbdeeffa89b8bff5d038781a4055f796a, 2f78ddc5c682ed6738ad092bbbfa59ba915afcb0 | `prompt.txt` | Apache-2.0 (prompt files in the code tree) | generation_prompts |
| distill_templates | hiyouga/LLaMA-Factory | ff6d4d12eeb035d6ce06805a5733dd7b29f2ac30 | `data/dpo_en_demo.json` | Apache-2.0 (Orca-style system prompts) | orca_system_prompts |
"""

EXCLUDED = """\
Excluded (non-commercial or unclear licence; available only from a full corpora folder through
`corpus_dir`, where they belong to the `evaluation` split): oasst1 via SALMON (CC BY-NC 4.0
repository licence), ShareGPT (no clear licence), AlpacaEval instructions (CC BY-NC 4.0),
InstructionWild (non-commercial research only), alpaca_en_demo (Alpaca-GPT4, CC BY-NC 4.0),
code_alpaca_2k (CC BY-NC 4.0), WizardLM test set (CC BY-NC 4.0).
"""


def _family(source: str) -> str:
    return source.split("/", 1)[0]


def keep_row(kind: str, row: dict[str, Any]) -> bool:
    source = row["source"]
    if kind == "human":
        return source in HUMAN_KEEP
    if kind == "human_system":
        return source in HUMAN_SYSTEM_KEEP
    return _family(source) in DISTILL_KEEP_FAMILIES


def _gzip(data: bytes) -> bytes:
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, compresslevel=9, mtime=0) as gz:
        gz.write(data)
    return buffer.getvalue()


def _ndjson(rows: list[dict[str, Any]]) -> bytes:
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows).encode("utf-8")


def build(full_dir: Path, out_dir: Path) -> dict[str, Counter[str]]:
    """Write the subset into ``out_dir``; returns record counts by file and source."""
    out_dir.mkdir(parents=True, exist_ok=True)
    counts: dict[str, Counter[str]] = {}
    for kind in ("human", "human_system", "distill"):
        raw = gzip.decompress((full_dir / FULL_FILES[kind]).read_bytes()).decode("utf-8")
        rows = [json.loads(line) for line in raw.split("\n") if line.strip()]
        kept = [row for row in rows if keep_row(kind, row)]
        (out_dir / PACKAGED_FILES[kind]).write_bytes(_gzip(_ndjson(kept)))
        counts[kind] = Counter(re.sub(r"/.*", "/*", r["source"]) for r in kept)
        counts[f"{kind} (dropped)"] = Counter(
            re.sub(r"/.*", "/*", r["source"]) for r in rows if not keep_row(kind, r)
        )
    templates = json.loads((full_dir / FULL_FILES["templates"]).read_text(encoding="utf-8"))
    (out_dir / PACKAGED_FILES["templates"]).write_bytes(
        _gzip(json.dumps(templates, ensure_ascii=False, indent=1).encode("utf-8"))
    )
    counts["templates"] = Counter({section: len(rows) for section, rows in templates.items()})
    return counts


def _split_counts(full_dir: Path) -> list[str]:
    """Records of the subset by split, read from the full folder (every ``text_model`` source
    is kept, so the subset's splits are the full folder's restricted to the kept sources)."""
    lines = ["| records | text_model | evaluation |", "| --- | --- | --- |"]
    for kind in ("human", "human_system", "distill"):
        row = [
            str(
                sum(
                    keep_row(kind, {"source": r.source})
                    for r in load_prompts(kind, split=s, corpus_dir=full_dir)
                )
            )
            for s in SPLITS
        ]
        lines.append(f"| {kind} prompts | {' | '.join(row)} |")
    by_split = [load_templates(split=s, corpus_dir=full_dir) for s in SPLITS]
    for section in by_split[0].__dataclass_fields__:
        row = [str(len(getattr(t, section))) for t in by_split]
        lines.append(f"| {section} | {' | '.join(row)} |")
    return lines


def provenance(counts: dict[str, Counter[str]], full_dir: Path, out_dir: Path) -> str:
    files = sorted(PACKAGED_FILES.values())
    sizes = {name: (out_dir / name).stat().st_size for name in files}
    lines = [
        "# Packaged corpora subset: provenance",
        "",
        "A permissively licensed subset (Apache-2.0, MIT, CC0 sources only) of the prompt corpora",
        "described in the full folder's PROVENANCE.md, rebuilt by `python -m corpora.make_subset",
        "<full corpora folder>` (deterministic: the same input gives the same bytes). Text is as",
        "in the full folder (CRLF -> LF, zero-width spaces removed, whitespace stripped, text capped",
        "at 4000 characters, system prompts at 2000, exact duplicates removed after NFKC + lower",
        "case + whitespace normalisation); this script only drops records by source.",
        "",
        "## Files",
        "",
        "| file | bytes |",
        "| --- | --- |",
        *(f"| {name} | {sizes[name]:,} |" for name in files),
        "",
        "## Records kept, by source",
        "",
    ]
    for kind in ("human", "human_system", "distill"):
        kept = ", ".join(f"{s} {n}" for s, n in sorted(counts[kind].items()))
        dropped = ", ".join(f"{s} {n}" for s, n in sorted(counts[f"{kind} (dropped)"].items()))
        lines.append(f"- {kind}: {kept} (dropped: {dropped or 'none'})")
    sections = ", ".join(f"{s} {n}" for s, n in counts["templates"].items())
    lines += [
        f"- templates (every section kept, all Apache-2.0): {sections}",
        "",
        "## Sources",
        "",
        SOURCES_TABLE,
        EXCLUDED,
        "## Splits (see corpora/__init__.py)",
        "",
        *_split_counts(full_dir),
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("full_dir", type=Path, help="a full corpora folder")
    parser.add_argument("--out", type=Path, default=DATA_DIR, help="where to write the subset")
    args = parser.parse_args(argv)
    counts = build(args.full_dir, args.out)
    (args.out / "PROVENANCE.md").write_text(
        provenance(counts, args.full_dir, args.out), encoding="utf-8"
    )
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
