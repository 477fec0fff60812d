"""End to end on simulated traffic: simulator -> ingest -> features -> train -> promote -> score.

A model trained as of the day before the reasoning campaign starts (that
campaign is never labeled, so it is held out of training entirely) must flag
accounts of every campaign on the later days, and report per-campaign
precision and recall.

Thresholds, per campaign, over the days after the cut-off:
- the campaign is found (cluster-level recall 1.0): one flagged account opens a
  case that shows its whole cluster to the analyst;
- at least half of its active accounts are flagged themselves;
- of all flagged accounts at least 80% belong to a campaign: the 0.95 target
  precision is set on validation days without the new tactic, and the simulator
  includes hard negatives built to resemble campaigns on one signal each.

Slow (every simulated day runs the real ingest and features jobs): marked
``slow``, small scale, one module-scoped lake.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest

from lake import open_store
from models.promotion import promote
from models.scoring import score_day
from models.train import train_challenger
from tests.models.conftest import Registry

pytestmark = pytest.mark.slow

START = date(2026, 3, 1)
DAYS = 12
CAMPAIGN_OFFSETS = (1, 2, 8)  # aggressive, distributed, reasoning


@pytest.fixture(scope="module")
def simulated_lake(spark, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    from jobs import features, ingest
    from simulate import SimulationConfig, run_simulation

    root = tmp_path_factory.mktemp("simulated")
    lake = root / "lake"
    config = SimulationConfig(
        start=START,
        days=DAYS,
        seed=5,
        scale=0.1,
        files_per_day=1,
        campaign_start_offsets=CAMPAIGN_OFFSETS,
    )
    run_simulation(open_store(str(lake)), config)
    for day in config.day_list:
        ingest.run(spark, ingest.IngestParams(day=day, lake_uri=str(lake), scratch_dir=str(root)))
        features.run(
            spark, features.FeatureParams(day=day, lake_uri=str(lake), scratch_dir=str(root))
        )
    return lake, config


def test_model_trained_before_the_last_campaign_flags_every_campaign_later(
    spark, registry: Registry, simulated_lake
) -> None:
    from simulate import CAMPAIGNS, load_truth
    from simulate.config import CAMPAIGN_REASONING

    lake, config = simulated_lake
    simulated = Registry(
        lake=lake,
        scratch=registry.scratch,
        tracking_uri=registry.tracking_uri,
        artifact_root=registry.artifact_root,
        model_name="simulated",
    )
    as_of = config.campaign_start(CAMPAIGN_REASONING) - timedelta(days=1)
    train_challenger(spark, simulated.train_params(as_of, window_days=DAYS, validation_days=2))
    decision = promote(spark, simulated.promote_params())
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
