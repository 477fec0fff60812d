"""The gate logic alone, on hand-made metrics: what passes, what is refused, and why."""

from __future__ import annotations

from mlflow.entities.model_registry import ModelVersion, ModelVersionTag

from models import tracking
from models.promotion import PromotionGates, _rule_note, judge

GATES = PromotionGates(
    tolerance=0.02, min_pr_auc=0.5, min_recall_at_precision_95=0.2, min_cluster_recall=0.5
)
GOOD = {
    "labeled.flag_precision": 0.97,
    "labeled.pr_auc": 0.9,
    "labeled.recall_at_precision_95": 0.7,
    "labeled.precision_at_capacity": 0.9,
    "labeled.cluster_recall": 0.9,
}


def test_first_model_passes_only_the_absolute_gates() -> None:
    promoted, reason = judge(GOOD, None, GATES)
    assert promoted and reason.startswith("promoted (first model, absolute gates)")
    weak = {**GOOD, "labeled.cluster_recall": 0.4, "labeled.pr_auc": float("nan")}
    promoted, reason = judge(weak, None, GATES)
    assert not promoted
    assert reason == (
        "rejected (first model, absolute gates): labeled.pr_auc nan below the floor 0.5; "
        "labeled.cluster_recall 0.4000 below the floor 0.5"
    )


def test_challenger_must_beat_the_main_metric_and_hold_the_key_ones() -> None:
    better = {
        **GOOD,
        "labeled.pr_auc": 0.92,
        "labeled.cluster_recall": 0.885,
    }  # within tolerance 0.02
    assert judge(better, GOOD, GATES, "4")[0]
    equal = dict(GOOD)
    promoted, reason = judge(equal, GOOD, GATES, "4")
    assert not promoted and "labeled.pr_auc 0.9000 not better than champion v4's 0.9000" in reason
    worse_key = {**GOOD, "labeled.pr_auc": 0.95, "labeled.precision_at_capacity": 0.8}
    promoted, reason = judge(worse_key, GOOD, GATES, "4")
    assert not promoted
    assert reason == (
        "rejected: labeled.precision_at_capacity 0.8000 worse than champion v4's 0.9000 "
        "beyond tolerance 0.02"
    )


def test_absolute_gates_apply_against_a_champion_too() -> None:
    weak_champion = {**GOOD, "labeled.pr_auc": 0.3, "labeled.recall_at_precision_95": 0.05}
    weak_challenger = {**GOOD, "labeled.pr_auc": 0.4, "labeled.recall_at_precision_95": 0.1}
    promoted, reason = judge(weak_challenger, weak_champion, GATES, "1")
    assert not promoted and "labeled.pr_auc 0.4000 below the floor 0.5" in reason


def test_the_whole_flag_rule_is_gated_on_labeled_rows_and_on_all_traffic_when_known() -> None:
    sloppy = {**GOOD, "labeled.flag_precision": 0.8}
    promoted, reason = judge(sloppy, None, GATES)
    assert not promoted and "labeled.flag_precision 0.8000 below the floor 0.9" in reason
    # With a simulated lake's truth the rule is judged on every account-day too.
    assert judge({**GOOD, "all_traffic.flag_precision": 0.95}, None, GATES)[0]
    promoted, reason = judge({**GOOD, "all_traffic.flag_precision": 0.5}, None, GATES)
    assert not promoted and "all_traffic.flag_precision 0.5000 below the floor 0.9" in reason


def test_a_decision_says_when_the_model_does_not_flag_alone() -> None:
    def version(reached: str | None) -> ModelVersion:
        tags = [] if reached is None else [ModelVersionTag(tracking.TAG_THRESHOLD_REACHED, reached)]
        return ModelVersion("hydrasweep-extraction", "4", 0, tags=tags)

    assert "v4's model does not flag alone" in _rule_note(version("false"))
    assert _rule_note(version("true")) == ""
    assert _rule_note(version(None)) == ""  # versions trained before the tag existed
