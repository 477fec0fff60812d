"""The gate logic alone, on hand-made metrics: what passes, what is refused, and why."""

from __future__ import annotations

from models.promotion import PromotionGates, judge

GATES = PromotionGates(
    tolerance=0.02, min_pr_auc=0.5, min_recall_at_precision_95=0.2, min_cluster_recall=0.5
)
GOOD = {
    "pr_auc": 0.9,
    "recall_at_precision_95": 0.7,
    "precision_at_capacity": 0.9,
    "cluster_recall": 0.9,
}


def test_first_model_passes_only_the_absolute_gates() -> None:
    promoted, reason = judge(GOOD, None, GATES)
    assert promoted and reason.startswith("promoted (first model, absolute gates)")
    weak = {**GOOD, "cluster_recall": 0.4, "pr_auc": float("nan")}
    promoted, reason = judge(weak, None, GATES)
    assert not promoted
    assert reason == (
        "rejected (first model, absolute gates): pr_auc nan below the floor 0.5; "
        "cluster_recall 0.4000 below the floor 0.5"
    )


def test_challenger_must_beat_the_main_metric_and_hold_the_key_ones() -> None:
    better = {**GOOD, "pr_auc": 0.92, "cluster_recall": 0.885}  # within tolerance 0.02
    assert judge(better, GOOD, GATES, "4")[0]
    equal = dict(GOOD)
    promoted, reason = judge(equal, GOOD, GATES, "4")
    assert not promoted and "pr_auc 0.9000 not better than champion v4's 0.9000" in reason
    worse_key = {**GOOD, "pr_auc": 0.95, "precision_at_capacity": 0.8}
    promoted, reason = judge(worse_key, GOOD, GATES, "4")
    assert not promoted
    assert reason == (
        "rejected: precision_at_capacity 0.8000 worse than champion v4's 0.9000 "
        "beyond tolerance 0.02"
    )


def test_absolute_gates_apply_against_a_champion_too() -> None:
    weak_champion = {**GOOD, "pr_auc": 0.3, "recall_at_precision_95": 0.05}
    weak_challenger = {**GOOD, "pr_auc": 0.4, "recall_at_precision_95": 0.1}
    promoted, reason = judge(weak_challenger, weak_champion, GATES, "1")
    assert not promoted and "pr_auc 0.4000 below the floor 0.5" in reason
