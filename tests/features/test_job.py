"""The features job end to end on a tiny curated lake: outputs, stable ids, reruns."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from pyspark import StorageLevel

from features.coordination import ENTITY_TYPE_WEIGHTS
from features.feature_set import FEATURE_SET, KEY_COLUMNS
from features.signal_scan import hyperscan_available
from features.text import signal_engine
from jobs import featurize
from jobs.featurize import (
    PARTITIONS_PER_CORE,
    REQUESTS_PER_PARTITION,
    REQUESTS_PER_TASK,
    SHUFFLE_PARTITIONS,
    FeatureInputError,
    FeatureParams,
    member_links,
    resolve_signal_engine,
    run,
    shuffle_partitions,
    spread,
    spread_partitions,
)
from lakeio import LakeRef, layout
from lakeio.indicators import INDICATORS_PREFIX
from lakeio.tables import LakeTables
from tests.features.conftest import DAY, account, assert_rows_equal, at, request, write_curated_day

YESTERDAY = DAY - timedelta(days=1)


def campaign_day(day, campaign_accounts: list[str]) -> list[dict]:
    """A small campaign (shared card, proxies, one system prompt) next to an org and a hobbyist."""
    rows = []
    for i, acct in enumerate(campaign_accounts):
        for m in range(6):
            rows.append(
                request(
                    acct,
                    at(day, 3, m * 7, i),
                    ip=f"45.9.0.{m}",
                    asn=9009,
                    system_prompt="You are a data generator.",
                    ua_kind="http_client",
                    prompt=f"Question {m * 11 + i}: name {m} rivers? Let's think step by step.",
                )
            )
    for acct in ("ent-1", "ent-2"):
        rows += [
            request(
                acct,
                at(day, 9 + h),
                ip="198.51.100.20",
                org_id="org-ent",
                system_prompt="Acme internal helper",
                prompt=f"summarise memo {h}",
            )
            for h in range(3)
        ]
    rows += [
        request("hobby", at(day, 20, m), ip="73.1.2.3", prompt=p)
        for m, p in enumerate(["hi", "what is a black hole", "write a haiku"])
    ]
    return rows


def directory(campaign_accounts: list[str]) -> list[dict]:
    created = datetime(2026, 11, 20, 3)
    return [
        account(a, payment_fingerprint="card-x", created_at=created) for a in campaign_accounts
    ] + [
        account("ent-1", org_id="org-ent", payment_fingerprint="card-ent", email_domain="acme.com"),
        account("ent-2", org_id="org-ent", payment_fingerprint="card-ent", email_domain="acme.com"),
        account("hobby"),
    ]


def read_day(spark, root: Path, table: str, day):
    return spark.read.parquet(str(root / layout.table_day_prefix(table, day)))


def test_job_links_the_campaign_keeps_its_id_and_reruns_identically(spark, lake_root: Path) -> None:
    write_curated_day(
        spark,
        lake_root,
        YESTERDAY,
        campaign_day(YESTERDAY, ["c1", "c2", "c3"]),
        directory(["c1", "c2", "c3", "c4"]),
    )
    write_curated_day(
        spark,
        lake_root,
        DAY,
        campaign_day(DAY, ["c1", "c2", "c3", "c4"]),
        directory(["c1", "c2", "c3", "c4"]),
    )
    params = dict(lake=LakeRef(str(lake_root), str(lake_root.parent / "scratch")))
    first = run(spark, FeatureParams(day=YESTERDAY, **params))
    assert first.clusters == 1 and first.linked_accounts == 3

    summary = run(spark, FeatureParams(day=DAY, **params))
    assert summary.accounts == 7
    # Every part of the job reports the Spark jobs it ran (the plan's size, #26).
    assert set(summary.spark_jobs_by_part) == set(summary.timings)
    assert all(n > 0 for n in summary.spark_jobs_by_part.values())
    assert summary.clusters == 1
    assert summary.linked_accounts == 4
    assert summary.largest_clusters[0]["accounts"] == 4

    members_yesterday = read_day(spark, lake_root, layout.CLUSTER_MEMBERS, YESTERDAY)
    members = read_day(spark, lake_root, layout.CLUSTER_MEMBERS, DAY)
    cluster_id = members_yesterday.first()["hydra_cluster_id"]
    expected_members = spark.createDataFrame(
        [(cluster_id, a, a, YESTERDAY) for a in ("c1", "c2", "c3", "c4")],
        "hydra_cluster_id string, account_id string, customer_id string, first_seen date",
    )
    assert_rows_equal(members.drop("links"), expected_members)
    # Each member's links: the block's entities it holds (the review queue shows them).
    links = {
        r["account_id"]: {(x["type"], x["value"]) for x in r["links"]} for r in members.collect()
    }
    assert all(links.values()) and all(
        entity_type in ENTITY_TYPE_WEIGHTS for held in links.values() for entity_type, _ in held
    )
    # ... with how many customers hold each inside the block (member_links has the days).
    held = {r["account_id"]: r["links"] for r in members.collect()}
    card = {x["value"]: x for x in held["c1"]}["card-x"]
    assert (card["customers"], card["days"]) == (4, [])
    assert all(link["customers"] == 4 for links in held.values() for link in links)

    features = read_day(spark, lake_root, layout.ACCOUNT_DAY_FEATURES, DAY)
    assert features.columns == [c for c in KEY_COLUMNS if c != "dt"] + FEATURE_SET.names
    assert {
        f.name: f.dataType.simpleString()
        for f in features.schema.fields
        if f.name in FEATURE_SET.names
    } == {
        s.name: ("bigint" if s.dtype == "long" else "int" if s.dtype == "integer" else s.dtype)
        for s in FEATURE_SET.specs
    }
    keys = features.select(
        "account_id",
        "customer_id",
        "hydra_cluster_id",
        "cluster_customers_count",
        "cluster_growth_ratio_1d",
    )
    expected_keys = spark.createDataFrame(
        [(a, a, cluster_id, 4, 4 / 3) for a in ("c1", "c2", "c3", "c4")]
        + [
            ("ent-1", "org-ent", None, 1, 1.0),
            ("ent-2", "org-ent", None, 1, 1.0),
            ("hobby", "hobby", None, 1, 1.0),
        ],
        "account_id string, customer_id string, hydra_cluster_id string, "
        "cluster_customers_count long, cluster_growth_ratio_1d double",
    )
    assert_rows_equal(keys, expected_keys)

    evidence = read_day(spark, lake_root, layout.CLUSTER_FEATURES, DAY).first()
    assert evidence["hydra_cluster_id"] == cluster_id
    assert (evidence["accounts_count"], evidence["customers_count"], evidence["requests_1d"]) == (
        4,
        4,
        24,
    )
    assert evidence["first_seen"] == YESTERDAY
    assert sum(evidence["hourly_requests"]) == 24 and evidence["hourly_requests"][3] == 24
    assert len(evidence["sample_prompts"]) == 5
    assert evidence["sample_system_prompts"] == ["You are a data generator."]
    assert evidence["top_entities"][0]["accounts"] == 4

    links = read_day(spark, lake_root, layout.ACCOUNT_LINKS, DAY)
    assert {r["entity_type"] for r in links.collect()} >= {"payment_fingerprint", "system_prompt"}

    # A rerun of the day replaces it with identical rows. It runs under the product's
    # default of eight shuffle partitions: the small day's features job takes one (a few
    # dozen requests) in a session of its own, and the application's session (where a
    # backfill's ingests run beside it) keeps its eight.
    before = features.orderBy("account_id").collect()
    previous = spark.conf.get(SHUFFLE_PARTITIONS)
    spark.conf.set(SHUFFLE_PARTITIONS, "8")
    try:
        rerun = run(spark, FeatureParams(day=DAY, **params))
        assert spark.conf.get(SHUFFLE_PARTITIONS) == "8"
    finally:
        spark.conf.set(SHUFFLE_PARTITIONS, previous)
    assert (summary.shuffle_partitions, rerun.shuffle_partitions) == (1, 1)
    after = (
        read_day(spark, lake_root, layout.ACCOUNT_DAY_FEATURES, DAY).orderBy("account_id").collect()
    )
    assert before == after


FEATURE_TABLES = (
    layout.ACCOUNT_ACTIVITY,
    layout.ACCOUNT_DAY_FEATURES,
    layout.CLUSTER_MEMBERS,
    layout.ACCOUNT_LINKS,
    layout.CLUSTER_FEATURES,
)


def test_a_backfills_activity_batch_writes_what_each_days_own_run_writes(
    spark, tmp_path: Path
) -> None:
    # Three days, the campaign growing and a template the hobbyist shares with the
    # campaign on the last day only; one lake featurized day by day, the other as a
    # backfill's batch: one activity pass over all three first, then their features with
    # the rolling windows of all three in one plan (``run_days``).
    days = [YESTERDAY - timedelta(days=1), YESTERDAY, DAY]
    crews = [["c1", "c2"], ["c1", "c2", "c3"], ["c1", "c2", "c3", "c4"]]
    curated = {}
    for day, crew in zip(days, crews, strict=True):
        rows = campaign_day(day, crew)
        if day == DAY:
            rows.append(
                request(
                    "hobby",
                    at(day, 21),
                    prompt="Question 5: name 0 rivers? Let's think step by step.",
                )
            )
        curated[day] = rows  # the same request ids in both lakes
    lakes = {}
    for name in ("day_by_day", "batched"):
        root = tmp_path / name / "lake"
        root.mkdir(parents=True)
        for day, rows in curated.items():
            write_curated_day(spark, root, day, rows, directory(["c1", "c2", "c3", "c4"]))
        # A partner's indicator naming one of the campaign's exits, valid from the second
        # day: the days' member links differ by it (read per day, then written in one plan).
        bundle = root / INDICATORS_PREFIX / "source=partner" / "b1.jsonl"
        bundle.parent.mkdir(parents=True)
        bundle.write_text(
            json.dumps(
                {
                    "source": "partner",
                    "indicator_id": "i1",
                    "entity_type": "ip",
                    "value": "45.9.0.1",
                    "keyed_hash": False,
                    "valid_from": f"{YESTERDAY.isoformat()}T00:00:00+00:00",
                }
            )
            + "\n"
        )
        lakes[name] = LakeRef(str(root), str(root.parent / "scratch"))

    sequential = [run(spark, FeatureParams(day=d, lake=lakes["day_by_day"])) for d in days]
    assert [s.activity_days_computed for s in sequential] == [[d] for d in days]
    assert [s.shared_indicators.get("valid") for s in sequential] == [None, 1, 1]
    partner_links = [
        {
            row["account_id"]
            for row in read_day(
                spark, Path(lakes["day_by_day"].uri), layout.CLUSTER_MEMBERS, d
            ).collect()
            if any(link["type"] == featurize.PARTNER_LINK for link in row["links"] or [])
        }
        for d in days[1:]
    ]
    assert partner_links == [{"c1", "c2", "c3"}, {"c1", "c2", "c3", "c4"}]

    # Asked for the last day only, the pass also fills in the two days its window lacks.
    batch = featurize.write_activity(spark, FeatureParams(day=DAY, lake=lakes["batched"]), [DAY])
    assert (batch.days, batch.computed, batch.unusable) == ([DAY], days, [])
    # One pass: a handful of jobs for all three days (each day's own run takes about ten).
    assert batch.spark_jobs is not None and batch.spark_jobs <= 10
    # Then the days' features as a backfill runs a batch: their rolling features in one plan.
    batched = list(
        featurize.run_days(
            spark, FeatureParams(day=DAY, lake=lakes["batched"], activity_written=True), days
        )
    )
    assert [s.day for s in batched] == days
    assert [s.activity_days_computed for s in batched] == [[], [], []]
    assert [s.batch_days for s in batched] == [days] * 3
    # The batch's own work (its plans, the stable ids' walk, the writes of all its days)
    # is the first day's part.
    assert ["batch" in s.timings for s in batched] == [True, False, False]
    assert ["batch_writes" in s.timings for s in batched] == [True, False, False]
    assert [s.shared_indicators for s in batched] == [s.shared_indicators for s in sequential]
    assert all(set(s.spark_jobs_by_part) == set(s.timings) for s in batched)
    assert [s.batch_days for s in sequential] == [[], [], []]
    assert [s.clusters for s in batched] == [s.clusters for s in sequential] == [0, 1, 1]
    # A batch releases every frame it cached (a resident application outlives batches).
    held = featurize._batch(
        LakeTables.open(spark, lakes["batched"]),
        days,
        FeatureParams(day=DAY, lake=lakes["batched"], activity_written=True),
    )
    assert held is not None and held.days == days
    # (Its cluster features are a local checkpoint, released with the batch object.)
    frames = [held.activity, held.rolling, held.memberships, held.shared]
    assert all(frame.storageLevel != StorageLevel.NONE for frame in frames)
    held.unpersist()
    assert all(frame.storageLevel == StorageLevel.NONE for frame in frames)

    for table in FEATURE_TABLES:
        for day in days:
            assert_rows_equal(
                read_day(spark, Path(lakes["batched"].uri), table, day),
                read_day(spark, Path(lakes["day_by_day"].uri), table, day),
            )
    # Without ``activity_written`` a run recomputes its day, as before.
    again = run(spark, FeatureParams(day=DAY, lake=lakes["batched"]))
    assert again.activity_days_computed == [DAY]


def test_an_activity_batch_fits_the_largest_measured_day() -> None:
    d = [DAY + timedelta(days=i) for i in range(4)]
    cap = featurize.BATCH_REQUESTS
    assert featurize.activity_batch(d, [10, 20, 30, 40]) == d
    assert featurize.activity_batch(d, [cap // 2, cap // 2, 1, 1]) == d[:2]
    # A day larger than a batch goes alone; a day of unknown size too.
    assert featurize.activity_batch(d, [cap * 3, 1, 1, 1]) == d[:1]
    assert featurize.activity_batch(d, [1, None, 1, 1]) == d[:1]
    assert featurize.activity_batch(d, [None, 1, 1, 1]) == d[:1]
    assert featurize.activity_batch([], []) == []


def test_a_small_day_shuffles_in_few_partitions() -> None:
    # Small (one task per core holds the whole day): a partition per
    # REQUESTS_PER_PARTITION requests, at least one, at most one per core;
    # large or not known: as configured.
    assert shuffle_partitions(8, 2, 0) == 1
    assert shuffle_partitions(8, 2, REQUESTS_PER_PARTITION) == 1
    assert shuffle_partitions(8, 2, REQUESTS_PER_PARTITION + 1) == 2
    assert shuffle_partitions(8, 4, REQUESTS_PER_PARTITION * 2 + 1) == 3
    assert shuffle_partitions(8, 2, REQUESTS_PER_TASK * 2) == 2
    assert shuffle_partitions(8, 2, REQUESTS_PER_TASK * 2 + 1) == 8
    assert shuffle_partitions(8, 2, None) == 8
    assert shuffle_partitions(1, 2, 100) == 1  # never more than configured
    assert shuffle_partitions(64, 64, 1_000_000) == 50  # one per REQUESTS_PER_PARTITION
    assert shuffle_partitions(64, 64, REQUESTS_PER_TASK * 64 + 1) == 64


def test_job_refuses_a_day_without_validated_curated_data(spark, lake_root: Path) -> None:
    write_curated_day(
        spark, lake_root, DAY, campaign_day(DAY, ["c1"]), directory(["c1"]), validated=False
    )
    with pytest.raises(FeatureInputError, match="no validated curated data"):
        run(spark, FeatureParams(day=DAY, lake=LakeRef(str(lake_root), str(lake_root / "s"))))


def test_a_members_links_say_how_many_customers_hold_them_and_on_which_days(spark) -> None:
    # Exit addresses are per-day memberships (value@day): a link is the address once,
    # with the days the account used it and the most customers holding it on one day.
    day0 = YESTERDAY - timedelta(days=1)
    shared = spark.createDataFrame(
        [
            ("a1", "k1", "ip", f"45.9.0.1@{day0}"),
            ("a1", "k1", "ip", f"45.9.0.1@{DAY}"),
            ("a1", "k1", "payment_fingerprint", "card-x"),
            ("a2", "k2", "ip", f"45.9.0.1@{DAY}"),
            ("a2", "k2", "payment_fingerprint", "card-x"),
            ("a3", "k3", "ip", f"45.9.0.1@{DAY}"),
            ("a3", "k3", "ip", f"45.9.0.1@{YESTERDAY}"),  # not in the block that day
        ],
        "account_id string, customer_id string, entity_type string, entity_value string",
    )
    components = spark.createDataFrame(
        [("k1", "k1"), ("k2", "k1"), ("k3", "k1")], "node string, component string"
    )
    block_entities = spark.createDataFrame(
        [
            ("k1", "ip", f"45.9.0.1@{day0}", 2, 0.3),
            ("k1", "ip", f"45.9.0.1@{DAY}", 3, 0.2),
            ("k1", "payment_fingerprint", "card-x", 2, 0.9),
        ],
        "component string, entity_type string, entity_value string, customers long, weight double",
    )
    links = {
        r["account_id"]: [(x["type"], x["value"], x["customers"], x["days"]) for x in r["links"]]
        for r in member_links(shared, components, block_entities, limit=12).collect()
    }
    assert links == {
        "a1": [("payment_fingerprint", "card-x", 2, []), ("ip", "45.9.0.1", 3, [day0, DAY])],
        "a2": [("payment_fingerprint", "card-x", 2, []), ("ip", "45.9.0.1", 3, [DAY])],
        "a3": [("ip", "45.9.0.1", 3, [DAY])],
    }


def test_inputs_in_few_splits_are_spread_over_the_cores(spark) -> None:
    # One Parquet split would run every prompt regex of the day in one task;
    # three splits on two cores leave one core idle for a whole round.
    requests = spark.range(100).selectExpr(
        "cast(id as string) as account_id", "date'2026-11-02' as dt"
    )
    wanted = PARTITIONS_PER_CORE * 2
    for splits in (1, 3, wanted - 1):
        few = requests.repartition(splits)
        spread_out = spread(few, 2)
        assert spread_out.rdd.getNumPartitions() == wanted
        assert sorted(r.account_id for r in spread_out.collect()) == sorted(
            r.account_id for r in few.collect()
        )
    many_splits = requests.repartition(wanted)
    assert spread(many_splits, 2) is many_splits


def test_a_large_days_tasks_keep_a_heavy_account_under_a_quarter_of_the_stage(spark) -> None:
    # Small days keep PARTITIONS_PER_CORE per core; a large one gets tasks of at most
    # REQUESTS_PER_TASK requests, a whole number per core.
    assert spread_partitions(2, None) == PARTITIONS_PER_CORE * 2
    assert spread_partitions(2, 25_000) == PARTITIONS_PER_CORE * 2
    assert spread_partitions(2, REQUESTS_PER_TASK * 2 * 3 + 1) == 2 * 4
    # bench_skew's day: one account with 5% of 551,167 requests, whole in one task.
    requests, heavy = 551_167, 0.05
    for cores in (2, 4, 8):
        partitions = spread_partitions(cores, requests)
        assert partitions % cores == 0
        assert 1 / partitions + heavy <= 0.25, (cores, partitions)
    # The count reaches the repartition: a one-split frame of a "large" day.
    frame = spark.range(100).selectExpr(
        "cast(id as string) as account_id", "date'2026-11-02' as dt"
    )
    assert spread(frame.coalesce(1), 2, REQUESTS_PER_TASK * 6).rdd.getNumPartitions() == 6


def test_spread_requests_are_partitioned_as_the_activity_groups_them(spark) -> None:
    # The activity's window and aggregations over (account_id, dt) then need no
    # shuffle of their own.
    requests = spark.createDataFrame(
        [(f"a{i % 7}", DAY - timedelta(days=i % 2)) for i in range(100)],
        "account_id string, dt date",
    )
    grouped = spread(requests.coalesce(1), 2).groupBy("account_id", "dt").count()
    plan = grouped._jdf.queryExecution().executedPlan().toString()
    assert plan.count("Exchange") == 1, plan


def test_locally_auto_is_decided_without_a_probe_job(spark) -> None:
    # Locally the Python workers run the driver's interpreter: no probe job.
    jobs_before = spark.sparkContext.statusTracker().getJobIdsForGroup()
    assert resolve_signal_engine(spark, "auto") == signal_engine("auto")
    assert spark.sparkContext.statusTracker().getJobIdsForGroup() == jobs_before


@pytest.mark.skipif(not hyperscan_available(), reason="hyperscan not installed")
def test_auto_asks_a_clusters_executors_once_per_application(monkeypatch) -> None:
    asked = []

    def executors(spark, module: str) -> bool:
        asked.append((spark.app, module))
        return spark.app == "app-with-hyperscan"

    # A session whose Python workers are a cluster's, not this interpreter.
    monkeypatch.setattr(featurize, "runs_on_this_interpreter", lambda spark: False)
    monkeypatch.setattr(featurize, "application_id", lambda spark: spark.app)
    monkeypatch.setattr(featurize, "executors_import", executors)
    monkeypatch.setattr(featurize, "_EXECUTORS_HAVE_HYPERSCAN", {})
    with_it, without_it = (
        SimpleNamespace(app=app) for app in ("app-with-hyperscan", "app-without")
    )
    assert resolve_signal_engine(with_it, "auto") == "hyperscan"
    assert resolve_signal_engine(without_it, "auto") == "spark"
    assert resolve_signal_engine(without_it, "auto") == "spark"
    assert resolve_signal_engine(without_it, "hyperscan") == "hyperscan"  # named: taken as given
    assert asked == [("app-with-hyperscan", "hyperscan"), ("app-without", "hyperscan")]


def test_a_batch_stops_at_its_first_failing_day(spark, tmp_path: Path) -> None:
    # The day after a failing one reads its clusters: a batch yields the days before the
    # failure, raises the failing day's own error, and never runs the days after it.
    days = [YESTERDAY - timedelta(days=1), YESTERDAY, DAY]
    root = tmp_path / "lake"
    root.mkdir()
    for day in days:
        write_curated_day(
            spark,
            root,
            day,
            campaign_day(day, ["c1", "c2"]),
            directory(["c1", "c2"]),
            validated=day != YESTERDAY,
        )
    lake = LakeRef(str(root), str(tmp_path / "scratch"))
    featurize.write_activity(spark, FeatureParams(day=DAY, lake=lake), days)
    summaries = featurize.run_days(
        spark, FeatureParams(day=DAY, lake=lake, activity_written=True), days
    )
    assert next(summaries).day == days[0]
    with pytest.raises(FeatureInputError, match="no validated curated data"):
        next(summaries)
    with pytest.raises(StopIteration):
        next(summaries)
    assert not (root / "features" / "account_day" / f"dt={DAY.isoformat()}").exists()
