"""Indicator sharing end to end: a campaign confirmed in one queue links the same accounts
in a partner's fresh lake that replays the day (export -> STIX -> import -> features job)."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from jobs import featurize, ingest
from jobs.review_feed import review_feed
from lakeio import LakeRef, layout, open_store
from lakeio.tables import LakeTables
from review.db import open_queue
from review.decisions import decide_case
from review.feed import read_review_feed
from review.indicators import export_bundle, import_bundle
from review.landing import land_sweep
from review.service import claim_case, list_cases
from tests.review.conftest import sqlite_copy

KEY = b"agreed-between-lab-a-and-lab-b"
NOW = datetime(2026, 12, 1, tzinfo=UTC)
SCORES = (
    "account_id string, customer_id string, hydra_cluster_id string, score double, "
    "flagged boolean, reasons string, model_version string"
)


def _table(lake: Path, table: str, day) -> list[dict]:
    return pq.read_table(lake / layout.table_day_prefix(table, day)).to_pylist()


def _shared_links(members: list[dict]) -> dict[str, set[str]]:
    return {
        m["account_id"]: {
            link["value"] for link in m["links"] or [] if link["type"] == "partner_indicator"
        }
        for m in members
    }


def test_a_confirmed_campaign_links_the_same_accounts_in_a_partners_replayed_day(
    spark, simulated_lake, migrated_sqlite: Path, tmp_path: Path
) -> None:
    _, lake_a, config = simulated_lake
    day = config.day_list[-1]
    members = _table(lake_a, layout.CLUSTER_MEMBERS, day)
    sizes: dict[str, int] = {}
    for member in members:
        sizes[member["hydra_cluster_id"]] = sizes.get(member["hydra_cluster_id"], 0) + 1
    cluster = max(sizes, key=lambda c: (sizes[c], c))
    campaign = [m for m in members if m["hydra_cluster_id"] == cluster]
    # Every customer of the block shows what tied it in (an org's other accounts may hold
    # none of the block's entities themselves).
    customers = {m["customer_id"] for m in campaign}
    assert customers == {m["customer_id"] for m in campaign if m["links"]}

    # Lab A flags the cluster, lands it through the review feed, and confirms it.
    ref_a = LakeRef(str(tmp_path / "feed-lake"), str(tmp_path / "scratch"))
    tables = LakeTables.open(spark, LakeRef(str(lake_a), str(tmp_path / "scratch")))
    scores = spark.createDataFrame(
        [(m["account_id"], m["customer_id"], cluster, 0.9, True, "[]", "1") for m in campaign],
        SCORES,
    )
    feed = review_feed(
        scores,
        tables.read(layout.ACCOUNT_ACTIVITY, [day]).select(
            "account_id", "requests", "output_tokens"
        ),
        tables.read(layout.CLUSTER_FEATURES, [day]),
        tables.read(layout.CLUSTER_MEMBERS, [day]).select("account_id", "links"),
    )
    LakeTables.open(spark, ref_a).write_day(feed, layout.REVIEW_FEED, day)
    queue = open_queue(sqlite_copy(migrated_sqlite, tmp_path / "queue.db"))
    land_sweep(queue, read_review_feed(ref_a.store(), day, "run-1"), intake_cap=10, now=NOW)
    [case] = list_cases(queue)
    claim_case(queue, case.id, "lena", now=NOW)
    decide_case(queue, case.id, reviewer="lena", outcome="abuse", reason="farm", now=NOW)
    exported = export_bundle(queue, sharing_key=KEY, producer="Lab A", actor="lena")
    queue.dispose()
    assert exported.campaigns == 1 and exported.indicators > 0

    # Lab B: a fresh lake with the same raw day and the bundle imported, swept.
    lake_b = tmp_path / "lake-b"
    for dataset in layout.RAW_DATASETS:
        prefix = layout.raw_day_prefix(dataset, day)
        shutil.copytree(lake_a / prefix, lake_b / prefix)
    ref_b = LakeRef(str(lake_b), str(tmp_path / "scratch-b"))
    ingest.run(spark, ingest.IngestParams(day=day, lake=ref_b))
    imported = import_bundle(open_store(str(lake_b)), exported.bundle, source="Lab A")
    assert imported.indicators == exported.indicators and imported.skipped == {}
    key_file = tmp_path / "sharing.key"
    key_file.write_bytes(KEY)
    summary = featurize.run(
        spark, featurize.FeatureParams(day=day, lake=ref_b, sharing_key_file=str(key_file))
    )

    assert summary.shared_indicators == {
        "valid": imported.indicators, "unreadable": 0, "keyed_unmatched": 0
    }  # fmt: skip
    active_today = {r["account_id"] for r in _table(lake_a, layout.ACCOUNT_ACTIVITY, day)}
    confirmed = {m["account_id"] for m in campaign} & active_today
    members_b = _table(lake_b, layout.CLUSTER_MEMBERS, day)
    clustered = {m["account_id"] for m in members_b}
    linked = {a for a, shared in _shared_links(members_b).items() if shared}
    # Every confirmed account the replayed day clusters shows the partner's indicators
    # (one day of data clusters fewer than lab A's week did), keyed ones among them;
    # most of what they name is the case's own accounts, the rest the same campaigns'.
    assert confirmed & clustered and confirmed & clustered <= linked
    assert len(linked & confirmed) > len(linked - confirmed)
    named = {
        label.split(":")[1] for shared in _shared_links(members_b).values() for label in shared
    }
    assert {"ip", "payment_fingerprint", "system_prompt_hash"} <= named, named
    truth = pd.read_json(lake_a / layout.TRUTH_PREFIX / "accounts.jsonl", lines=True)
    campaigns = set(truth.loc[truth["population"] == "campaign", "account_id"])
    assert linked - confirmed <= campaigns
