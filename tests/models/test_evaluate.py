"""Metrics and threshold choice on small hand-checked examples."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from models.evaluate import (
    account_recall,
    cluster_recall,
    precision_at_capacity,
    recall_at_precision,
    threshold_for_precision,
)


def test_threshold_is_the_lowest_reaching_the_target_precision() -> None:
    labels = pd.Series([1, 1, 0, 1, 0, 0])
    scores = pd.Series([0.9, 0.8, 0.7, 0.6, 0.3, 0.1])
    # at 0.8: 2/2 = 1.0; at 0.6: 3/4 = 0.75; at 0.3: 3/5
    assert threshold_for_precision(labels, scores, 0.95) == (0.8, True)
    assert threshold_for_precision(labels, scores, 0.75) == (0.6, True)
    assert recall_at_precision(labels, scores, 0.95) == pytest.approx(2 / 3)
    assert recall_at_precision(labels, scores, 0.75) == pytest.approx(1.0)


def test_unreachable_precision_returns_the_most_precise_threshold() -> None:
    labels = pd.Series([0, 1, 0, 1])
    scores = pd.Series([0.9, 0.8, 0.2, 0.1])
    threshold, reached = threshold_for_precision(labels, scores, 0.99)
    assert not reached
    # 0.8 (1/2) and 0.1 (2/4) share the best precision; the lower one catches more abuse
    assert threshold == 0.1


def test_precision_at_capacity_averages_days() -> None:
    frame = pd.DataFrame(
        {
            "dt": [date(2026, 3, 1)] * 3 + [date(2026, 3, 2)] * 3,
            "score": [0.9, 0.8, 0.1, 0.7, 0.6, 0.5],
            "label": [1, 0, 1, 1, 1, 0],
        }
    )
    assert precision_at_capacity(frame, "score", 2) == pytest.approx((0.5 + 1.0) / 2)


def test_cluster_recall_counts_clusters_caught_once_and_leaves_lone_accounts_to_account_recall() -> (
    None
):
    frame = pd.DataFrame(
        {
            "account_id": ["a", "b", "c", "d", "e", "f"],
            "hydra_cluster_id": ["k1", "k1", "k2", None, None, None],
            "label": [1, 1, 1, 1, 1, 0],
            "flagged": [False, True, False, True, False, True],
        }
    )
    # clusters k1 (caught via b) and k2 (missed); lone d and e are account recall's
    assert cluster_recall(frame) == pytest.approx(1 / 2)
    assert account_recall(frame) == pytest.approx(2 / 5)
    # with no abusive account in a cluster, each is judged alone
    lone = frame.assign(hydra_cluster_id=None)
    assert cluster_recall(lone) == pytest.approx(2 / 5)
