"""Hyperscan's prompt signals against Java's, on real prompt text and the simulated lake."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pyarrow as pa
import pytest
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from features import reference
from features.signal_scan import SignalScanner, hyperscan_available
from features.text import TASK_CATEGORIES, signal_engine, with_prompt_signals

SAMPLE = Path(__file__).parents[1] / "data" / "prompt_sample.jsonl.gz"
SIGNALS = ("is_cot", "is_grader", *(f"task_{name}" for name in TASK_CATEGORIES))

# Where the engines' \b, \d, lower-casing and cut-offs could part: non-ASCII
# letters and digits beside a phrase, nulls, the 600-character head, the
# 2,000-character system prompt, ^ after a newline.
EDGE_CASES = [
    (None, "écode story"),
    (None, "storyé and codeé"),
    (None, "the code, ça va? a story: «poem»"),
    (None, "٣+٤ and ３+４ but 3+4"),
    (None, "١٢ / ٣"),
    ("Σ act as a judgeΣ", "ÜBER rubric"),
    ("rubricß", "an API\u00a0call"),
    (None, None),
    (None, ""),
    ("x" * 1999 + " step by step", "hi"),
    ("x" * 1995 + " step by step", "hi"),
    (None, "y" * 598 + " poem"),
    (None, "y" * 590 + " poem"),
    (None, "hello\nwhat is this"),
    (None, "What is this"),
    (None, "İstanbul story"),
    (None, "Let\u2019s think step by step"),
    (None, "naïve sql query"),
]


def _sample_rows() -> list[tuple[str | None, str | None]]:
    with gzip.open(SAMPLE, "rt", encoding="utf-8") as handle:
        records = [json.loads(line) for line in handle]
    return [(record["system_prompt"], record["prompt"]) for record in records]


def _disagreements(frame: DataFrame) -> dict[str, int]:
    hyperscan = with_prompt_signals(frame, "hyperscan").select(
        "id", *[F.col(name).alias(f"hs_{name}") for name in SIGNALS]
    )
    spark = with_prompt_signals(frame, "spark").select("id", *SIGNALS)
    joined = hyperscan.join(spark, on="id", how="full_outer")
    row = joined.agg(
        *[
            F.sum((~F.col(name).eqNullSafe(F.col(f"hs_{name}"))).cast("int")).alias(name)
            for name in SIGNALS
        ],
        *[F.sum(F.col(name)).alias(f"{name}_found") for name in SIGNALS],
        F.count(F.lit(1)).alias("rows"),
    ).first()
    return row.asDict()


needs_hyperscan = pytest.mark.skipif(not hyperscan_available(), reason="hyperscan not installed")


@needs_hyperscan
def test_hyperscan_finds_what_java_finds_on_real_prompts_and_edge_cases(spark) -> None:
    rows = _sample_rows() + EDGE_CASES
    frame = spark.createDataFrame(
        [(f"r{index}", system, prompt) for index, (system, prompt) in enumerate(rows)],
        "id string, system_prompt string, prompt string",
    )
    got = _disagreements(frame)
    assert got["rows"] == len(rows) > 2_500
    assert {name: got[name] for name in SIGNALS} == dict.fromkeys(SIGNALS, 0)
    # The comparison means something only where the patterns match.
    assert all(got[f"{name}_found"] > 0 for name in SIGNALS), got


@needs_hyperscan
def test_hyperscan_finds_what_java_finds_on_the_simulated_lake(spark, simulated_lake) -> None:
    _, lake, _ = simulated_lake
    frame = spark.read.parquet(str(lake / "curated" / "requests")).select(
        F.col("request_id").alias("id"), "system_prompt", "prompt"
    )
    got = _disagreements(frame)
    assert got["rows"] > 10_000
    assert {name: got[name] for name in SIGNALS} == dict.fromkeys(SIGNALS, 0)
    assert all(got[f"{name}_found"] > 0 for name in ("is_cot", "is_grader", "task_code"))


@needs_hyperscan
def test_a_non_ascii_letter_is_part_of_the_word_as_in_java() -> None:
    scanner = SignalScanner.build([r"\bstory\b"], [r"\bcode\b", r"\d+ ?\+ ?\d+"])

    def mask(text: str) -> int:
        return scanner.masks(
            pa.array([None]), pa.array([text]), system_prompt_chars=10, head_chars=100
        ).to_pylist()[0]

    assert mask("a story") == 0b001
    assert mask("a storyé") == 0  # Hyperscan alone sees a boundary after "story"
    assert mask("écode") == 0
    assert mask("é code") == 0b010
    assert mask("٣+٤") == 0  # \d is ASCII digits, as in Java
    assert mask("ü 3+4") == 0b100


def test_signal_engine_resolves_auto_and_rejects_unknown_engines() -> None:
    assert signal_engine("spark") == "spark"
    assert signal_engine("auto") == ("hyperscan" if hyperscan_available() else "spark")
    with pytest.raises(ValueError, match="signal engine"):
        signal_engine("re2")


@needs_hyperscan
def test_the_signal_patterns_compile_for_hyperscan() -> None:
    """A new pattern Hyperscan cannot compile (look-arounds, back-references) fails here."""
    SignalScanner.build(
        [reference.COT_PATTERN, reference.GRADER_PATTERN],
        list(reference.TASK_CATEGORY_PATTERNS.values()),
    )
