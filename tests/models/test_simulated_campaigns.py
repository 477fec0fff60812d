"""End to end on simulated traffic: simulator -> ingest -> features -> train -> promote -> score.

A model trained as of the day before the reasoning campaign starts (that
campaign is never labeled, so it is held out of training entirely) must flag
accounts of every campaign on the later days, and report per-campaign
precision and recall.

At this scale (0.1, twelve days) enforcement has labeled only accounts of the
aggressive campaign by the cut-off: the distributed campaign's first labels
come later, so two of the three campaigns must be caught without a single
label of their own (cluster labels, the supervised model's generalisation and
the label-free cluster evidence). Measured when written: recall 1.0 / 0.53 /
1.0 (aggressive / distributed / reasoning), precision 1.0; the distributed
campaign's misses are accounts the linking leaves outside any cluster of three
or more customers at this tiny scale (at the demo's scale 1.0, 28 days: 1.0 /
0.98 / 1.0, precision 1.0).

Thresholds, per campaign, over the days after the cut-off:
- at least half of its active accounts are flagged: one flagged account opens
  a case that shows its whole cluster to the analyst, so half is plenty for a
  reviewer to see the campaign, and it leaves room for the accounts that link
  late;
- of all flagged accounts at least 80% belong to a campaign: the 0.95 target
  precision is set on validation days without the new tactic, and the simulator
  includes hard negatives built to resemble campaigns on one signal each.

Slow (every simulated day runs the real ingest and features jobs): marked
``slow``, small scale, one module-scoped lake.
"""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest

from lakeio import open_store
from models.promotion import PromotionGates, promote
from models.scoring import score_day
from models.train import train_challenger
from tests.models.conftest import Registry

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def own_lake(simulated_lake, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    """A private copy of the session's simulated lake: scoring writes into it."""
    _, lake, config = simulated_lake
    copy = tmp_path_factory.mktemp("models-e2e") / "lake"
    shutil.copytree(lake, copy)
    return copy, config


def test_model_trained_before_the_last_campaign_flags_every_campaign_later(
    spark, registry: Registry, own_lake
) -> None:
    from simulate import CAMPAIGNS, load_truth
    from simulate.config import CAMPAIGN_REASONING

    lake, config = own_lake
    simulated = Registry(
        lake=lake,
        scratch=registry.scratch,
        tracking_uri=registry.tracking_uri,
        artifact_root=registry.artifact_root,
        model_name="simulated",
    )
    as_of = config.campaign_start(CAMPAIGN_REASONING) - timedelta(days=1)
    train_challenger(
        spark, simulated.train_params(as_of, window_days=config.days, validation_days=2)
    )
    # Absolute gates with a lower cluster-recall floor: the two validation days of
    # twelve tiny simulated days hold three labeled clusters, and the default 0.5
    # would ask for 2 of 3 there. The per-campaign assertions below are the check.
    decision = promote(
        spark, simulated.promote_params(gates=PromotionGates(min_cluster_recall=0.3))
    )
    assert decision.promoted, decision.reason

    later_days = [d for d in config.day_list if d > as_of]
    for day in later_days:
        score_day(spark, simulated.score_params(day))
    scores = pd.concat(
        [pd.read_parquet(lake / "scores" / f"dt={d.isoformat()}") for d in later_days],
        ignore_index=True,
    )
    truth = load_truth(open_store(str(lake)))
    per_account = (
        scores.groupby("account_id", as_index=False)["flagged"]
        .any()
        .merge(truth[["account_id", "campaign_id"]], on="account_id", how="left")
    )
    flagged = per_account[per_account["flagged"]]
    precision = flagged["campaign_id"].notna().mean()
    report = {}
    for campaign in CAMPAIGNS:
        members = per_account[per_account["campaign_id"] == campaign]
        report[campaign] = {
            "active_accounts": len(members),
            "recall": float(members["flagged"].mean()) if len(members) else float("nan"),
            "precision_share": float((flagged["campaign_id"] == campaign).mean()),
        }
    print("per-campaign:", report, "overall precision:", precision)
    for campaign, row in report.items():
        assert row["active_accounts"] > 0, campaign
        assert row["recall"] >= 0.5, (campaign, report)
    assert precision >= 0.8, report
