"""Prompt text signals and template buckets on a few inline prompts."""

from __future__ import annotations

from datetime import date

from features.text import (
    MinHashParams,
    TemplateParams,
    account_day_templates,
    minhash_bands,
    task_categories_column,
    with_frame_shingles,
    with_prompt_signals,
)
from tests.features.conftest import assert_rows_equal


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


def test_prompt_signals(spark) -> None:
    frame = spark.createDataFrame(
        [
            ("cot", None, "How many legs do 3 spiders have? Let's think step by step."),
            ("cot_system", "While answering think step-by-step and justify your answer.", "Hi"),
            ("grader", None, "Please act as an impartial judge and evaluate the response below."),
            ("plain", None, "Translate 'good morning' into French"),
        ],
        "id string, system_prompt string, prompt string",
    )
    got = with_prompt_signals(frame).select(
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
