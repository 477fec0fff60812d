"""Prompt text signals and template buckets on a few inline prompts."""

from __future__ import annotations

import gzip
import json
import re
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyspark.sql import functions as F

from features import reference
from features.text import (
    MinHashParams,
    TemplateParams,
    account_day_templates,
    guarded_pattern,
    minhash_bands,
    normalized_words,
    pattern_found,
    phrase_plan,
    task_categories_column,
    top_level_alternatives,
    with_frame_shingles,
    with_prompt_signals,
)
from tests.features.conftest import assert_rows_equal
from tests.support.translated_requests import (
    ORDINARY_NON_ENGLISH,
    TRANSLATED_COT,
    TRANSLATED_GRADING,
)

PROMPT_SAMPLE = Path(__file__).parents[1] / "data" / "prompt_sample.jsonl.gz"


def test_frame_shingles_normalise_and_keep_only_the_frame(spark) -> None:
    frame = spark.createDataFrame(
        [("Q1", "Solve 12+30 NOW!!"), ("Q2", "hi"), ("Q3", "   "), ("Q4", "a b c d e f g h")],
        "id string, prompt string",
    )
    got = with_frame_shingles(frame, "prompt", "shingles", 2).select("id", "shingles")
    expected = spark.createDataFrame(
        [
            ("Q1", ["solve 0 0", "0 0 now"]),
            ("Q2", ["hi"]),
            ("Q3", []),
            # frame of 2+2 words: a b ... g h
            ("Q4", ["a b g", "b g h"]),
        ],
        "id string, shingles array<string>",
    )
    assert_rows_equal(got, expected)


def _two_pass_words(text):
    """The words as found before: digits folded, then punctuation blanked, over the whole text."""
    cleaned = F.regexp_replace(F.lower(F.coalesce(text, F.lit(""))), r"[0-9]+", "0")
    cleaned = F.regexp_replace(cleaned, r"[^\p{L}\p{N}']+", " ")
    return F.filter(F.split(F.trim(cleaned), " "), lambda word: word != F.lit(""))


WORD_EDGE_CASES = [
    None,
    "",
    "   ",
    "!!!",
    "Solve 12+30 NOW!!",
    "x1y22z333 4444",
    "İstanbul'un ΟΔΟΣ ΣΟΦΟΣ",
    "Let\u2019s don't 'quote'",
    "snake_case and kebab-case",
    "٣+٤ and ３+４ but 3+4",
    "emoji 🙂 between 🙂words",
    "日本語の文章です。数字123も",
    " ".join(f"w{i}" for i in range(40)),
]


def test_frame_shingles_match_the_two_pass_normalisation_on_real_text(spark) -> None:
    """One regex pass for the words and digits folded in the frame only give what
    folding and blanking the whole text gave, on real prompts and edge cases."""
    with gzip.open(PROMPT_SAMPLE, "rt", encoding="utf-8") as handle:
        prompts = [json.loads(line)["prompt"] for line in handle] + WORD_EDGE_CASES
    frame = spark.createDataFrame(list(enumerate(prompts)), "id long, prompt string")
    frame_words = TemplateParams().frame_words
    rows = (
        with_frame_shingles(frame, "prompt", "shingles", frame_words)
        .select("id", normalized_words(F.col("prompt")).alias("words"), "shingles")
        .join(frame.select("id", _two_pass_words(F.col("prompt")).alias("expected")), "id")
        .collect()
    )

    assert len(rows) == len(prompts)
    for row in rows:
        assert row.words == row.expected, prompts[row.id]
        kept = (
            row.expected
            if len(row.expected) <= 2 * frame_words
            else row.expected[:frame_words] + row.expected[-frame_words:]
        )
        trigrams = [" ".join(kept[i : i + 3]) for i in range(max(len(kept) - 2, 1))]
        assert row.shingles == list(dict.fromkeys(trigrams if kept else [])), prompts[row.id]


@pytest.mark.parametrize("engine", ["spark", "auto"])
def test_prompt_signals(spark, engine: str) -> None:
    frame = spark.createDataFrame(
        [
            ("cot", None, "How many legs do 3 spiders have? Let's think step by step."),
            ("cot_system", "While answering think step-by-step and justify your answer.", "Hi"),
            ("grader", None, "Please act as an impartial judge and evaluate the response below."),
            ("plain", None, "Translate 'good morning' into French"),
        ],
        "id string, system_prompt string, prompt string",
    )
    got = with_prompt_signals(frame, engine).select(
        "id", "is_cot", "is_grader", task_categories_column().alias("tasks")
    )
    expected = spark.createDataFrame(
        [
            ("cot", 1, 0, ["math", "knowledge"]),
            ("cot_system", 1, 0, []),
            ("grader", 0, 1, ["roleplay"]),
            ("plain", 0, 0, ["translation"]),
        ],
        "id string, is_cot int, is_grader int, tasks array<string>",
    )
    assert_rows_equal(got, expected)


@pytest.mark.parametrize("engine", ["spark", "auto"])
def test_requests_in_other_languages_carry_their_signal_and_ordinary_ones_none(
    spark, engine: str
) -> None:
    expected = (
        [(text, 1, 0) for text in TRANSLATED_COT]
        + [(text, 0, 1) for text in TRANSLATED_GRADING]
        + [(text, 0, 0) for text in ORDINARY_NON_ENGLISH]
    )
    frame = spark.createDataFrame(
        [(i, None, text) for i, (text, _, _) in enumerate(expected)],
        "id int, system_prompt string, prompt string",
    )
    got = {
        row.id: (row.is_cot, row.is_grader)
        for row in with_prompt_signals(frame, engine).select("id", "is_cot", "is_grader").collect()
    }
    assert [(text, *got[i]) for i, (text, _, _) in enumerate(expected)] == expected


def test_minhash_bands_identical_sets_share_every_band_and_empty_sets_get_none(spark) -> None:
    frame = spark.createDataFrame(
        [("a", ["x", "y", "z"]), ("b", ["z", "y", "x"]), ("c", ["p", "q", "r"]), ("d", [])],
        "id string, items array<string>",
    )
    params = MinHashParams(bands=3, rows_per_band=2, seed=1, num_features=1024)
    rows = {
        r["id"]: r["bands"] for r in minhash_bands(frame, "items", "bands", "k", params).collect()
    }
    assert rows["a"] == rows["b"]
    assert [key.split(":")[0] for key in rows["a"]] == ["k0", "k1", "k2"]
    assert not set(rows["a"]) & set(rows["c"])
    assert rows["d"] == []


def test_minhash_bands_read_their_input_once_and_give_null_sets_no_bands(spark) -> None:
    frame = spark.createDataFrame(
        [("a", ["x", "y"]), ("n", None), ("e", [])], "id string, items array<string>"
    )
    banded = minhash_bands(frame, "items", "bands", "k", MinHashParams(bands=2, rows_per_band=2))
    rows = {r["id"]: r["bands"] for r in banded.collect()}
    assert rows == {"a": rows["a"], "n": [], "e": []} and len(rows["a"]) == 2
    # Empty and non-empty rows in one pass: a split and union computed the input twice.
    plan = banded._jdf.queryExecution().optimizedPlan().toString()
    assert "Union" not in plan
    assert banded.count() == 3


def test_accounts_using_one_template_share_buckets_and_a_chatty_one_has_none(spark) -> None:
    day = date(2026, 11, 26)
    questions = ["the capital of peru", "entropy in physics", "a monad", "the krebs cycle"]
    rows = [
        ("t1", day, f"Answer carefully: what is {q}? Let's think step by step.") for q in questions
    ]
    rows += [
        ("t2", day, f"Answer carefully: what is {q}? Let's think step by step.")
        for q in reversed(questions)
    ]
    rows += [
        ("h1", day, p) for p in ["hey", "what should i cook tonight", "tell me a joke", "thanks!"]
    ]
    # Two prompts are too few to show a template.
    rows += [("few", day, "Answer carefully: what is x? Let's think step by step.")] * 2
    requests = spark.createDataFrame(rows, "account_id string, dt date, prompt string")
    got = account_day_templates(requests, TemplateParams()).collect()
    by_account = {r["account_id"]: r for r in got}
    assert {a: r["template_share"] for a, r in by_account.items()} == {
        "t1": 1.0,
        "t2": 1.0,
        "h1": 0.0,
        "few": 0.0,
    }
    assert by_account["t1"]["template_buckets"] == by_account["t2"]["template_buckets"]
    assert len(by_account["t1"]["template_buckets"]) == TemplateParams().minhash.bands
    assert by_account["h1"]["template_buckets"] == []
    assert by_account["few"]["template_buckets"] == []


SIGNAL_PATTERNS = {
    "cot": reference.COT_PATTERN,
    "grader": reference.GRADER_PATTERN,
    **reference.TASK_CATEGORY_PATTERNS,
}
# Texts built from the patterns' own phrases, near misses and noise: where a
# wrong guard would show (a phrase whose first character the guard forgot).
_PHRASES = [
    "step by step",
    "let's think",
    "Let’s think",
    "impartial judge",
    "[[rating]]",
    "(a)",
    "- yes\n- no",
    "how many",
    "12 + 30",
    "def ",
    "c++",
    "tl;dr",
    "search(",
    "you are a ",
    "what is",
    "<thinking>",
    "rubric",
    "rate the response",
    "on a scale of 1",
    "summarise",
    "translate",
    "ÉTAPE",
    "naïve",
    # phrases the plans' prefilters look for, and their near misses
    "choose the",
    "choose one",
    "json",
    "jsonl",
    "story",
    "storyline",
    "write an",
    "you are an ",
    "role-play",
    "api call",
    "how do i",
    "how much",
    "law",
    "lawful",
    "prove",
    "java",
    "javascript",
    "which response is better",
    "rating: [[",
    "assistant a's answer",
    "is the answer correct",
    "act as a judge",
    "act as an evaluator",
    "grade the response",
    "assess each submissions",
    "on a scale from 0",
    "in french",
    "into english",
    "categorize",
    "label each",
    "implies",
    "summary",
    "summarize",
    "first, think",
    "before giving",
    "reasoning carefully",
    "justify your steps",
    "explain your answer",
    "show all of your work",
    "think it through",
    "chain-of-thought",
    "step-bystep",
    "cot:",
    # the other languages' grading phrases, and near misses
    "evalúa la siguiente respuesta",
    "evalúa mi respuesta",
    "puntuación del 1 al 10",
    "del 1 al 100",
    "notez la réponse",
    "bewerten sie die antwort",
    "оцените ответ",
    "по шкале от 1 до 10",
    "评价下面的回答",
    "1到10分",
    "10点満点で",
    "답변을 평가",
    "1 ile 10 arasında",
    "generate the output",
]
_texts = st.lists(
    st.one_of(
        st.sampled_from(_PHRASES), st.text(alphabet=" \n-([<abcdefhlrstwy0129;:'", max_size=12)
    ),
    max_size=8,
).map(" ".join)


def test_guarded_pattern_keeps_unguardable_patterns() -> None:
    for pattern in (".abc", "(?i)abc", "a?b?", "[^a]b", r"\w+x"):
        assert guarded_pattern(pattern) == pattern
    assert guarded_pattern(r"\bab|[x-z]\d|^(c|d)e") == r"(?=[acdxyz])(?:\bab|[x-z]\d|^(c|d)e)"


@given(text=_texts)
@settings(max_examples=400, deadline=None)
def test_guarded_patterns_match_exactly_what_the_patterns_match(text: str) -> None:
    lowered_text = text.lower()
    for name, pattern in SIGNAL_PATTERNS.items():
        guarded = guarded_pattern(pattern)
        assert guarded != pattern, name  # every signal pattern is guarded
        assert bool(re.search(guarded, lowered_text)) == bool(re.search(pattern, lowered_text)), (
            name,
            text,
        )


def _plan_found(pattern: str, text: str) -> bool:
    """A phrase plan evaluated the way its Spark column is, with Python's engine."""
    plan = phrase_plan(pattern)
    return (
        any(literal in text for literal in plan.literals)
        or any(
            any(factor in text for factor in factors) and re.search(alternative, text) is not None
            for factors, alternative in plan.factored
        )
        or (plan.rest is not None and re.search(plan.rest, text) is not None)
    )


def test_top_level_alternatives_skip_groups_classes_and_escapes() -> None:
    assert top_level_alternatives(r"a|(b|c)d|[|x]|\||[]|]|[^]|]e") == [
        "a",
        "(b|c)d",
        "[|x]",
        r"\|",
        "[]|]",
        "[^]|]e",
    ]
    assert top_level_alternatives("abc") == ["abc"]


def test_phrase_plans_split_phrases_prefiltered_regexes_and_the_rest() -> None:
    plan = phrase_plan(r"foo bar|c\+\+|\bbaz\b|(judge|grader) x|(x|yy)z|\d+")
    assert plan.literals == ("foo bar", "c++")
    assert plan.factored == ((("baz",), r"\bbaz\b"), (("grader", "judge"), "(judge|grader) x"))
    assert plan.rest == r"(x|yy)z|\d+"
    # Back-references, inline flags and Java-only syntax stay one regex.
    for pattern in (r"(ab)c\1|xyz", "(?i)abc|def", r"\p{L}+|abc"):
        assert phrase_plan(pattern).rest == pattern
        assert phrase_plan(pattern).literals == ()
    # Every signal pattern is mostly phrases: that is where the time goes.
    for name, pattern in SIGNAL_PATTERNS.items():
        assert phrase_plan(pattern).literals, name


@given(text=_texts)
@settings(max_examples=600, deadline=None)
def test_phrase_plans_find_exactly_what_the_patterns_find(text: str) -> None:
    lowered_text = text.lower()
    for name, pattern in SIGNAL_PATTERNS.items():
        assert _plan_found(pattern, lowered_text) == (
            re.search(pattern, lowered_text) is not None
        ), (name, text)


def test_guarded_patterns_and_phrase_plans_agree_with_the_originals_in_spark(
    spark, simulated_lake
) -> None:
    """Java's engine, on every prompt of the simulated lake's last three days (templated,
    human, grader, code; every campaign is active by then, the reasoning one included)."""
    _, lake, sim = simulated_lake
    days = [
        str(lake / "curated" / "requests" / f"dt={day.isoformat()}") for day in sim.day_list[-3:]
    ]
    prompts = spark.read.parquet(*days).select(
        F.lower(F.concat_ws("\n", "system_prompt", "prompt")).alias("text")
    )
    checks = [
        F.sum(
            (F.col("text").rlike(pattern) != F.col("text").rlike(guarded_pattern(pattern))).cast(
                "int"
            )
        ).alias(name)
        for name, pattern in SIGNAL_PATTERNS.items()
    ]
    plan_checks = [
        F.sum(
            (F.col("text").rlike(pattern) != pattern_found(F.col("text"), pattern)).cast("int")
        ).alias(f"{name}_plan")
        for name, pattern in SIGNAL_PATTERNS.items()
    ]
    matches = [
        F.sum(F.col("text").rlike(pattern).cast("int")).alias(f"{name}_matches")
        for name, pattern in SIGNAL_PATTERNS.items()
    ]
    row = prompts.agg(*checks, *plan_checks, *matches, F.count(F.lit(1)).alias("prompts")).first()
    assert row["prompts"] > 10_000
    assert {name: row[name] for name in SIGNAL_PATTERNS} == dict.fromkeys(SIGNAL_PATTERNS, 0)
    assert {name: row[f"{name}_plan"] for name in SIGNAL_PATTERNS} == dict.fromkeys(
        SIGNAL_PATTERNS, 0
    )
    # The comparison means something only where the patterns do match.
    assert all(
        row[f"{name}_matches"] > 0 for name in ("cot", "grader", "code", "math", "translation")
    )
