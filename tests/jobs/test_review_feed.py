"""The review feed job and its reader: a scored day in, the queue's landing out."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from jobs.review_feed import ReviewFeedParams, run
from lakeio import LakeRef, layout, open_store
from lakeio.tables import LakeTables
from review.errors import LandingError
from review.feed import read_review_feed
from review.landing import ClusterEvidence, FlaggedAccount, SweepLanding

DAY = date(2026, 11, 3)
SCORES = (
    "account_id string, customer_id string, hydra_cluster_id string, model_score double, "
    "cluster_evidence_score double, score double, flagged boolean, reasons string, "
    "model_version string"
)
EVIDENCE = (
    "hydra_cluster_id string, first_seen date, accounts_count int, customers_count long, "
    "requests_1d long, output_tokens_1d long, "
    "top_entities array<struct<entity_type:string,entity_value:string,accounts:bigint>>, "
    "hourly_requests array<bigint>, sample_prompts array<string>, "
    "sample_system_prompts array<string>, cluster_cot_share double"
)


def reasons(feature: str) -> str:
    return json.dumps([{"kind": "model", "feature": feature, "value": 1.0, "contribution": 0.5}])


def scored_day(spark, lake: Path, flagged: bool = True) -> LakeTables:
    tables = LakeTables.open(spark, LakeRef(str(lake), str(lake.parent / "scratch")))
    scores = [
        ("a1", "cust-1", "c1", 0.9, 0.0, 0.9, flagged, reasons("x"), "3"),
        ("a2", "cust-2", "c1", 0.7, 0.0, 0.7, flagged, reasons("y"), "3"),
        ("a3", "cust-3", "c1", 0.1, 0.0, 0.1, False, "[]", "3"),
        ("a4", "a4", None, 0.8, 0.0, 0.8, flagged, reasons("z"), "3"),
        ("a5", "cust-5", "c2", 0.2, 0.0, 0.2, False, "[]", "3"),
    ]
    tables.write_day(spark.createDataFrame(scores, SCORES), layout.SCORES, DAY)
    activity = [("a1", 10, 100, 7), ("a3", 1, 1, 7), ("a4", 3, 30, 7)]  # a2: none that day
    tables.write_day(
        spark.createDataFrame(
            activity, "account_id string, requests long, output_tokens long, other int"
        ),
        layout.ACCOUNT_ACTIVITY,
        DAY,
    )
    entity = ("payment_fingerprint", "card-x", 2)
    evidence = [
        ("c1", date(2026, 11, 1), 3, 3, 11, 101, [entity], [0] * 23 + [11], ["p1"], ["s1"], 0.5),
        ("c2", date(2026, 11, 2), 1, 1, 5, 50, [], [0] * 24, [], [], float("nan")),
    ]
    tables.write_day(spark.createDataFrame(evidence, EVIDENCE), layout.CLUSTER_FEATURES, DAY)
    members = [  # what tied each member into its cluster (the features job's links)
        ("c1", "a1", "cust-1", date(2026, 11, 1), [LINK_CARD, LINK_IP]),
        ("c1", "a2", "cust-2", date(2026, 11, 1), [LINK_CARD]),
        ("c1", "a3", "cust-3", date(2026, 11, 1), [LINK_IP]),
        ("c2", "a5", "cust-5", date(2026, 11, 2), None),
    ]
    tables.write_day(spark.createDataFrame(members, MEMBERS), layout.CLUSTER_MEMBERS, DAY)
    return tables


MEMBERS = (
    "hydra_cluster_id string, account_id string, customer_id string, first_seen date, "
    "links array<struct<type:string,value:string>>"
)
LINK_CARD = ("payment_fingerprint", "card-x")
LINK_IP = ("ip", "203.0.113.9@2026-11-03")


def test_feed_lands_flagged_accounts_with_volumes_and_their_clusters_evidence(
    spark, tmp_path: Path
) -> None:
    tables = scored_day(spark, tmp_path / "lake")
    params = ReviewFeedParams(day=DAY, lake=LakeRef(str(tmp_path / "lake"), str(tmp_path / "s")))

    summary = run(spark, params)
    landing = read_review_feed(tables.store, DAY, "run-1")

    assert (summary.flagged_accounts, summary.clusters, summary.lone_accounts) == (3, 1, 1)
    model_reasons = [{"kind": "model", "feature": "x", "value": 1.0, "contribution": 0.5}]
    assert landing == SweepLanding(
        sweep_date=DAY,
        run_id="run-1",
        model_version="3",
        accounts=[
            FlaggedAccount(
                "a1",
                "c1",
                "cust-1",
                0.9,
                model_reasons,
                100,
                10,
                links=[{"type": t, "value": v} for t, v in (LINK_CARD, LINK_IP)],
            ),
            FlaggedAccount("a4", None, "a4", 0.8, [{**model_reasons[0], "feature": "z"}], 30, 3),
            FlaggedAccount(
                "a2",
                "c1",
                "cust-2",
                0.7,
                [{**model_reasons[0], "feature": "y"}],
                0,
                0,
                links=[{"type": "payment_fingerprint", "value": "card-x"}],
            ),
        ],
        clusters=[
            ClusterEvidence(
                cluster_id="c1",
                accounts_count=3,
                customers_count=3,
                requests=11,
                output_tokens=101,
                entities=[
                    {"entity_type": "payment_fingerprint", "entity_value": "card-x", "accounts": 2}
                ],
                hourly_requests=[0] * 23 + [11],
                sample_prompts=["p1"],
                sample_system_prompts=["s1"],
                extra={"first_seen": "2026-11-01", "cluster_cot_share": 0.5},
            )
        ],
        stats={"flagged_accounts": 3, "clusters": 1},
    )

    # A rerun replaces the day: the same landing.
    run(spark, params)
    assert read_review_feed(tables.store, DAY, "run-1") == landing


def test_links_carry_their_customers_and_days_to_the_queue(spark, tmp_path: Path) -> None:
    # Members as the features job writes them now (jobs.featurize.LINKS_TYPE): the old
    # two-field links above still land, as the entity alone.
    from jobs.featurize import LINKS_TYPE

    tables = scored_day(spark, tmp_path / "lake")
    members = [
        ("c1", "a1", "cust-1", date(2026, 11, 1),
         [("payment_fingerprint", "card-x", 3, []),
          ("ip", "203.0.113.9", 41, [date(2026, 11, 2), DAY])]),
        ("c1", "a2", "cust-2", date(2026, 11, 1), []),
    ]  # fmt: skip
    tables.write_day(
        spark.createDataFrame(
            members,
            "hydra_cluster_id string, account_id string, customer_id string, "
            f"first_seen date, links {LINKS_TYPE}",
        ),
        layout.CLUSTER_MEMBERS,
        DAY,
    )
    run(spark, ReviewFeedParams(day=DAY, lake=LakeRef(str(tmp_path / "lake"), str(tmp_path / "s"))))

    links = {a.account_id: a.links for a in read_review_feed(tables.store, DAY, "r").accounts}
    assert links == {
        "a1": [
            {"type": "payment_fingerprint", "value": "card-x", "customers": 3},
            {"type": "ip", "value": "203.0.113.9", "customers": 41,
             "days": ["2026-11-02", "2026-11-03"]},
        ],
        "a2": [],
        "a4": [],
    }  # fmt: skip


def test_a_day_without_flags_lands_nothing_and_a_day_without_a_feed_is_refused(
    spark, tmp_path: Path
) -> None:
    tables = scored_day(spark, tmp_path / "lake", flagged=False)
    run(spark, ReviewFeedParams(day=DAY, lake=LakeRef(str(tmp_path / "lake"), str(tmp_path / "s"))))

    landing = read_review_feed(tables.store, DAY, "run-2")
    assert (landing.accounts, landing.clusters, landing.model_version) == ([], [], "none")
    with pytest.raises(LandingError, match="no review feed for 2026-11-04"):
        read_review_feed(open_store(str(tmp_path / "lake")), date(2026, 11, 4), "run-2")


def test_the_feed_reads_scores_with_the_columns_scoring_writes() -> None:
    from jobs.review_feed import SCORES_READ_SCHEMA
    from models.scoring import SCORES_SCHEMA

    written = {f.name: f.dataType for f in SCORES_SCHEMA.fields}
    assert {f.name: f.dataType for f in SCORES_READ_SCHEMA.fields}.items() <= written.items()
