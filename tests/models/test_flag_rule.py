"""Choosing the flag rule on calibration rows (``models.train.choose_rule``).

A real XGBoost model is fitted on hand-made feature rows, then the rule is chosen
and applied with ``models.scoring.apply_model``, as training and scoring do.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import xgboost as xgb

from features.feature_set import FEATURE_SET
from lakeio import LakeRef
from models.scoring import MODEL_NEVER_ALONE, apply_model
from models.tracking import TrackingRef
from models.train import TrainParams, choose_rule
from models.training_set import LABEL, model_matrix


def _rows(volume: list[float], labels: list[int]) -> pd.DataFrame:
    """Feature rows with no cluster evidence at all: only ``requests_count_1d`` varies."""
    frame = pd.DataFrame({name: [0.0] * len(volume) for name in FEATURE_SET.names})
    frame["requests_count_1d"] = volume
    frame["account_id"] = [f"a{i}" for i in range(len(volume))]
    frame["customer_id"] = [f"c{i}" for i in range(len(volume))]
    frame["hydra_cluster_id"] = None
    frame["dt"] = date(2026, 3, 5)
    frame[LABEL] = labels
    return frame


def _fitted(frame: pd.DataFrame) -> xgb.XGBClassifier:
    model = xgb.XGBClassifier(n_estimators=20, max_depth=2, n_jobs=1, random_state=0)
    model.fit(model_matrix(frame), frame[LABEL])
    return model


def _params(tmp_path: Path) -> TrainParams:
    return TrainParams(
        as_of=date(2026, 3, 7),
        lake=LakeRef(str(tmp_path / "lake"), scratch_dir=str(tmp_path / "scratch")),
        tracking=TrackingRef(uri=f"sqlite:///{tmp_path}/mlflow.db", artifact_root=str(tmp_path)),
    )


def test_a_reachable_target_sets_the_lowest_threshold_that_keeps_it(tmp_path: Path) -> None:
    # Volume separates the classes: high volume is abuse.
    volume = [float(v) for v in range(1, 41)]
    labels = [int(v > 30) for v in range(1, 41)]
    frame = _rows(volume, labels)
    model = _fitted(frame)
    rule, reached = choose_rule(model, frame, _params(tmp_path))
    assert reached and rule.threshold <= 1.0
    flagged = apply_model(model, frame, rule, with_reasons=False)["flagged"]
    assert frame.loc[flagged.to_numpy(), LABEL].mean() >= 0.95
    assert flagged.sum() == 10  # every abusive row, none of the others


def test_an_unreachable_target_keeps_the_model_from_flagging_alone(tmp_path: Path) -> None:
    # Every volume holds one abusive and one legitimate row: no threshold reaches 0.95,
    # and the most precise one would flag as many legitimate rows as abusive ones.
    rng = np.random.default_rng(3)
    volume = [float(v) for v in np.repeat(rng.permutation(np.arange(1, 21)), 2)]
    labels = [0, 1] * 20
    frame = _rows(volume, labels)
    model = _fitted(frame)
    rule, reached = choose_rule(model, frame, _params(tmp_path))
    assert not reached
    assert rule.threshold == MODEL_NEVER_ALONE > 1.0
    assert 0.0 <= rule.corroboration_floor <= 1.0
    scored = apply_model(model, frame, rule, with_reasons=False)
    assert not scored["flagged"].any()
    # The same rows with cluster evidence enough to flag alone are still flagged.
    # (tests/models/test_cluster_evidence.py: shared cards and egress, four bursts, content).
    evidenced = frame.assign(
        cluster_customers_count=12.0,
        cluster_accounts_count=12.0,
        member_infrastructure_weight=3.5,
        member_block_weight=3.5,
        member_synced_slots_7d=4.0,
        cluster_volume_cv_1d=1.5,
        content_share_7d=0.9,
    )
    rescored = apply_model(model, evidenced, rule, with_reasons=False)
    assert rescored["flagged"].all()
