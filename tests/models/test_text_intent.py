"""The extraction-intent text model: features, training on real text, MLflow, held-out behaviour.

The requests below are written for this test, in wordings that appear neither in
the corpora's training split nor in the model's training wrappers: the model is
judged on text it never saw.
"""

from __future__ import annotations

from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest

from features.account import INTENT_COLUMN, INTENT_THRESHOLD, account_day_activity
from features.text_intent import (
    SCORE_CHUNK_TEXTS,
    IntentVectorizerParams,
    feature_matrix,
    hashed_ngrams,
    with_extraction_intent,
)
from models import tracking
from models.text_intent import (
    TEXT_MODEL_NAME,
    TextTrainParams,
    champion_text_model_path,
    fit,
    read_weights,
    train_text_model,
)
from models.text_intent_data import training_examples
from tests.features.conftest import DAY, at, request, requests_frame
from tests.support.translated_requests import TRANSLATED_COT, TRANSLATED_GRADING

PARAPHRASED_EXTRACTION = [
    "Q: A farmer has 17 sheep and all but 9 run away. How many are left?\n"
    "Work through it carefully, writing each intermediate step, then state the final answer "
    "on its own line.",
    "You will be shown a question and a candidate answer. Give the candidate answer a mark "
    "from 1 to 10 for correctness and explain the mark.\n\nQuestion: What is the boiling point "
    "of water at sea level?\nCandidate answer: 90 degrees Celsius.",
    "Premise: The museum closes at five. Hypothesis: The museum is open at six. Does the premise "
    "entail the hypothesis? Options:\n- yes\n- it is not possible to tell\n- no\n"
    "Reason it out before you answer.",
]
ORDINARY = [
    "hey can you help me write a short birthday message for my sister, she's turning 30",
    "what's a good recipe for a quick weeknight pasta without cream?",
    "my laptop fan is really loud after the last update, any idea what to check?",
    "Can you recommend a few sci-fi novels similar to The Expanse?",
]


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> tuple:
    root = tmp_path_factory.mktemp("text-intent")
    params = TextTrainParams(
        tracking_uri=f"sqlite:///{root / 'mlflow.db'}",
        artifact_root=str(root / "artifacts"),
        regularisation_grid=(1.0,),  # one value: no cross-validation in the test
    )
    return params, train_text_model(params)


def test_scoring_equals_the_trained_matrix_product() -> None:
    params = IntentVectorizerParams(n_features=1 << 12)
    texts = ["Let's think step by step.", "", None, "héllo wörld 42 " * 200, "短い日本語のテキスト"]
    examples = training_examples(seed=1)[:400]
    model = fit(examples, params, 1.0, seed=1)
    matrix = feature_matrix(texts, params)
    by_matrix = 1 / (1 + np.exp(-(matrix @ model.weights.astype(np.float64) + model.bias)))
    assert np.allclose(model.scores(texts), by_matrix)
    rows, _ = hashed_ngrams(texts, params)
    assert 1 not in rows and 2 not in rows  # empty texts have no n-grams
    # Long texts are cut to head + tail: the cost is flat in the length.
    assert (rows == 3).sum() < 3 * (params.head_bytes + params.tail_bytes)


def test_a_batch_is_scored_in_chunks_as_each_text_alone() -> None:
    # Over two chunks and a part, empty texts at a chunk's edges: every text's score is
    # the score it gets alone (a chunk that lost its texts' order or owners would not be).
    params = IntentVectorizerParams(n_features=1 << 12)
    model = fit(training_examples(seed=1)[:400], params, 1.0, seed=1)
    texts = [
        None
        if i % 97 == 0
        else ""
        if i % 89 == 0
        else f"Step {i}: let's think step by step."
        if i % 3 == 0
        else f"what's a good recipe number {i}?"
        for i in range(2 * SCORE_CHUNK_TEXTS + 37)
    ]
    texts[SCORE_CHUNK_TEXTS - 1] = texts[SCORE_CHUNK_TEXTS] = None
    alone = np.array([model.scores([text])[0] for text in texts])
    assert np.allclose(model.scores(texts), alone, rtol=0, atol=1e-12)


def test_digits_do_not_matter_but_words_do() -> None:
    params = IntentVectorizerParams(n_features=1 << 14)
    a = set(hashed_ngrams(["Natalia sold 48 clips in April"], params)[1])
    b = set(hashed_ngrams(["Natalia sold 72 clips in April"], params)[1])
    c = set(hashed_ngrams(["Natalia sold many clips in April"], params)[1])
    assert a == b
    assert a != c


def test_training_registers_a_champion_that_generalises_to_unseen_wordings(trained) -> None:
    params, result = trained
    assert result.promoted
    # Better than the curated English regexes on held-out sources (the gate).
    assert result.metrics["heldout_roc_auc"] > result.metrics["regex_roc_auc"]
    with tracking.tracking(params.tracking_uri) as client:
        champion = tracking.version_by_alias(client, TEXT_MODEL_NAME, tracking.CHAMPION)
        assert str(champion.version) == result.model_version
        pyfunc = mlflow.pyfunc.load_model(f"models:/{TEXT_MODEL_NAME}@champion")
    scores = pyfunc.predict(pd.DataFrame({"text": PARAPHRASED_EXTRACTION + ORDINARY}))
    extraction, ordinary = (
        scores[: len(PARAPHRASED_EXTRACTION)],
        scores[len(PARAPHRASED_EXTRACTION) :],
    )
    assert extraction.min() > ordinary.max()
    assert (extraction >= 0.5).all()
    assert (ordinary < 0.5).all()


def test_paraphrased_and_translated_extraction_pass_the_jobs_content_gate(
    trained, tmp_path: Path, spark
) -> None:
    """The gate of ``features.account``: the champion's score or the phrase lists.

    The text model is English by design (``models.text_intent_data``): on the translated
    requests it scores about what it scores on any unfamiliar script, so there the phrase
    lists of ``features.reference`` carry the signal. Removing a language's phrases, or the
    model, fails this test.
    """
    params, _ = trained
    found = champion_text_model_path(params.tracking_uri, tmp_path)
    assert found is not None
    model = read_weights(found[0])
    extraction = PARAPHRASED_EXTRACTION + TRANSLATED_COT + TRANSLATED_GRADING
    rows = [request(f"x{i}", at(DAY, 12), prompt=text) for i, text in enumerate(extraction)] + [
        request(f"o{i}", at(DAY, 12), prompt=text) for i, text in enumerate(ORDINARY)
    ]
    scored = with_extraction_intent(requests_frame(spark, rows), model, INTENT_COLUMN)
    content = {
        row.account_id: row.content_requests
        for row in account_day_activity(scored).select("account_id", "content_requests").collect()
    }
    assert [content[f"x{i}"] for i in range(len(extraction))] == [1] * len(extraction)
    assert [content[f"o{i}"] for i in range(len(ORDINARY))] == [0] * len(ORDINARY)
    # The paraphrases (English, no stock phrase of the lists) are the model's own catch.
    assert (model.scores(PARAPHRASED_EXTRACTION) >= INTENT_THRESHOLD).all()


def test_the_champion_weights_reach_the_job_as_a_local_file(trained, tmp_path: Path) -> None:
    params, result = trained
    found = champion_text_model_path(params.tracking_uri, tmp_path)
    assert found is not None
    path, version = found
    assert version == result.model_version
    model = read_weights(path)
    assert model.version == result.model_version
    again = champion_text_model_path(params.tracking_uri, tmp_path)
    assert again == found  # cached per version
