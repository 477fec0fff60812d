"""Coordination on inline activity rows: synchrony found through bursts, a pivot, time-scoped sign-ups."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import numpy as np
import pytest
from pyspark.sql import functions as F

from features.coordination import (
    CoordinationParams,
    burst_slots,
    content_slots,
    coordination_memberships,
    find_clusters,
    memberships_by_day,
    shared_memberships,
)
from features.dense_blocks import DenseBlockParams
from tests.features.conftest import assert_rows_equal

DAY = date(2026, 9, 20)
WEEK = [DAY - timedelta(days=i) for i in range(6, -1, -1)]
ACTIVITY_SCHEMA = (
    "account_id string, dt date, requests long, active_minutes array<int>, ips array<string>, "
    "datacenter_ips array<string>, ip_prefixes array<string>, datacenter_ip_prefixes "
    "array<string>, system_prompt_hashes array<string>, template_buckets array<string>, "
    "user_agents array<string>, model_first_minute map<string,int>"
)
ACCOUNTS_SCHEMA = (
    "account_id string, created_at timestamp, email_domain string, payment_fingerprint string, "
    "signup_ip string"
)


def _row(account: str, day: date, minutes: list[int], model: str = "big", ip: str | None = None):
    ips = [ip or f"100.{hash((account, day)) % 250}.{len(minutes)}.{minutes[0] % 250}"]
    return (
        account,
        day,
        len(minutes),
        sorted(set(minutes)),
        ips,
        [],
        [],
        [],
        [],
        [],
        ["anthropic-python/0.40.0"],
        {model: min(minutes)},
    )


def _frames(spark, rows, accounts):
    activity = spark.createDataFrame(rows, ACTIVITY_SCHEMA)
    snapshot = spark.createDataFrame(
        [
            (a, datetime(2025, 1, 1 + i % 28), "gmail.com", None, None)
            for i, a in enumerate(accounts)
        ],
        ACCOUNTS_SCHEMA,
    )
    customers = spark.createDataFrame(
        [(a, a) for a in accounts], "account_id string, customer_id string"
    )
    return activity, snapshot, customers


def _low_and_slow_week(seed: int) -> tuple[list, list[str], list[str]]:
    """200 campaign accounts, 2 requests a day each in the operator's three short windows,
    every request from a different residential address; 2,000 ordinary content accounts
    (researchers, students) at their own times over business hours."""
    rng = np.random.default_rng(seed)
    rows, campaign, background = [], [], []
    for day in WEEK:
        windows = sorted(rng.integers(8 * 60, 18 * 60, size=3))
        for c in range(200):
            account = f"slow-{c}"
            if rng.random() < 0.9:  # most accounts work most days
                minutes = [int(rng.choice(windows) + rng.integers(0, 20)) for _ in range(2)]
                rows.append(_row(account, day, minutes))
        for b in range(2000):
            account = f"user-{b}"
            if rng.random() < 0.6:
                start = int(rng.integers(8 * 60, 18 * 60))
                minutes = [int(start + rng.integers(0, 90)) for _ in range(rng.integers(2, 7))]
                rows.append(_row(account, day, minutes))
    campaign = [f"slow-{c}" for c in range(200)]
    background = [f"user-{b}" for b in range(2000)]
    return rows, campaign, background


@pytest.mark.slow
def test_a_low_and_slow_group_with_two_requests_a_day_is_found_through_synchrony(spark) -> None:
    rows, campaign, background = _low_and_slow_week(seed=4)
    accounts = campaign + background
    activity, snapshot, customers = _frames(spark, rows, accounts)
    content = spark.createDataFrame([(a,) for a in accounts], "account_id string")
    no_models = spark.createDataFrame([], "model string, first_seen date")
    params = CoordinationParams()
    memberships = coordination_memberships(
        activity, snapshot, customers, content, no_models, DAY, params
    )
    components, stats, entities, weights = find_clusters(
        shared_memberships(memberships), params, DenseBlockParams(min_density=0.5, min_rows=3)
    )
    found = components.toPandas()
    clusters = found.groupby("component")["node"].apply(set)
    biggest = max(clusters, key=len)
    assert len(biggest & set(campaign)) >= 0.95 * len(campaign)
    assert len(biggest & set(background)) <= 0.01 * len(background)
    assert set(entities.toPandas()["entity_type"]) >= {"burst"}
    # every member's own part: the bursts it shares with the others
    own = weights.toPandas().set_index("customer_id").loc[sorted(biggest & set(campaign))]
    assert (own["member_block_weight"] > own["member_infrastructure_weight"]).all()
    assert (own["member_block_families"] >= 1).all()


def test_bursts_are_slots_far_above_their_neighbours_not_busy_hours(spark) -> None:
    # Ordinary content accounts: 40 in every 10-minute slot from 08:00 to 18:00, a peak of
    # 80 from 11:00 to 13:00; a scheduler's window: 60 more accounts in the slot at 15:00.
    rows = []
    for slot in range(48, 108):
        busy = 80 if 66 <= slot < 78 else 40
        rows += [(f"u{slot}-{i}", DAY, slot) for i in range(busy)]
    rows += [(f"op-{i}", DAY, 90) for i in range(60)]
    slots = spark.createDataFrame(rows, "account_id string, dt date, slot int")
    bursts = burst_slots(slots, CoordinationParams()).toPandas()
    assert bursts["slot"].tolist() == [90]


def test_content_slots_are_taken_only_from_content_accounts(spark) -> None:
    activity, _, _ = _frames(
        spark,
        [_row("a", DAY, [0, 19, 20, 61]), _row("b", DAY, [5])],
        ["a", "b"],
    )
    content = spark.createDataFrame([("a",)], "account_id string")
    got = content_slots(activity, content, CoordinationParams()).toPandas()
    assert sorted(got["slot"].tolist()) == [0, 1, 2, 6]
    assert set(got["account_id"]) == {"a"}


def test_sign_up_addresses_link_only_within_their_week_and_a_pivot_hour_is_shared(spark) -> None:
    rows = [
        _row("early", DAY, [600]),
        _row("late", DAY, [601]),
        _row("p1", DAY, [125], model="new"),
        _row("p2", DAY, [150], model="new"),
    ]
    activity = spark.createDataFrame(rows, ACTIVITY_SCHEMA)
    snapshot = spark.createDataFrame(
        [
            ("early", datetime(2024, 3, 4), "gmail.com", None, "203.0.113.9"),
            ("late", datetime(2026, 9, 1), "gmail.com", None, "203.0.113.9"),
            ("p1", datetime(2026, 1, 1), "gmail.com", None, None),
            ("p2", datetime(2026, 2, 1), "gmail.com", None, None),
        ],
        ACCOUNTS_SCHEMA,
    )
    customers = spark.createDataFrame(
        [(a, a) for a in ("early", "late", "p1", "p2")], "account_id string, customer_id string"
    )
    content = spark.createDataFrame([], "account_id string")
    new_models = spark.createDataFrame([("new", DAY)], "model string, first_seen date")
    shared = shared_memberships(
        coordination_memberships(activity, snapshot, customers, content, new_models, DAY)
    ).toPandas()
    assert "signup_ip" not in set(shared["entity_type"])  # the same address, two years apart
    pivot = shared[shared["entity_type"] == "pivot"]
    assert set(pivot["customer_id"]) == {"p1", "p2"}
    assert pivot["entity_value"].unique().tolist() == [f"new@{DAY}T2"]


def test_memberships_over_several_days_are_each_days_own(spark) -> None:
    """One plan over three target days gives each day what a plan of that day alone
    gives: its own week of rows, content accounts (the slots bursts are measured in),
    new models (pivots) and customers. Fails when any of them is read across days."""
    from features.account import covering_days

    days = [DAY - timedelta(days=i) for i in range(9, -1, -1)]
    targets = [DAY - timedelta(days=3), DAY - timedelta(days=1), DAY]
    rows = []
    for day in days:
        # Twelve operators in one slot each day (a burst on the days they are content
        # accounts), forty people spread over the working day.
        rows += [_row(f"op-{i}", day, [15 * 60 + i % 3], model="new") for i in range(12)]
        rows += [_row(f"u-{i}", day, [9 * 60 + 13 * i % 480]) for i in range(40)]
    accounts = [f"op-{i}" for i in range(12)] + [f"u-{i}" for i in range(40)]
    activity, snapshot, customers = _frames(spark, rows, accounts)

    def per_target(day):
        week = activity.where(F.datediff(F.lit(day), "dt").between(0, 6))
        # The operators are content accounts as of the last two targets only.
        content = [(a,) for a in accounts if a.startswith("op-") and day >= targets[1]]
        content_frame = spark.createDataFrame(content, "account_id string")
        # "new" was first seen two days before the last target only.
        models = [("new", DAY - timedelta(days=1))] if day == DAY else []
        new_models = spark.createDataFrame(models, "model string, first_seen date")
        return week, content_frame, new_models

    alone = None
    for day in targets:
        week, content, new_models = per_target(day)
        frame = coordination_memberships(
            week, snapshot, customers, content, new_models, day
        ).withColumn("target", F.lit(day))
        alone = frame if alone is None else alone.unionByName(frame)

    def keyed(frame, day):
        return frame.withColumn("target", F.lit(day))

    inputs = [per_target(day) for day in targets]
    contents = [keyed(content, day) for day, (_, content, _) in zip(targets, inputs, strict=True)]
    models = [keyed(new, day) for day, (_, _, new) in zip(targets, inputs, strict=True)]
    together = memberships_by_day(
        activity.withColumn("target", F.explode(covering_days(targets, 7))),
        snapshot.crossJoin(spark.createDataFrame([(d,) for d in targets], "dt date")),
        customers.crossJoin(spark.createDataFrame([(d,) for d in targets], "target date")),
        contents[0].unionByName(contents[1]).unionByName(contents[2]),
        models[0].unionByName(models[1]).unionByName(models[2]),
    )
    assert_rows_equal(together, alone.select(*together.columns))
    types = {
        (r["target"], r["entity_type"])
        for r in together.select("target", "entity_type").distinct().collect()
    }
    # Bursts where the operators are content accounts; pivots where "new" is new.
    assert (targets[0], "burst") not in types
    assert {(targets[1], "burst"), (DAY, "burst"), (DAY, "pivot")} <= types
    assert (targets[1], "pivot") not in types
