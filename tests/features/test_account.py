"""Account-day activity and rolling account features on a few inline rows."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from pyspark.sql import functions as F

from features.account import (
    ACTIVITY_COLUMNS_BEFORE_REUSE,
    INTENT_COLUMN,
    account_day_activity,
    rolling_account_features,
    rolling_features_by_day,
    with_crowd_content,
    with_template_reuse,
)
from features.feature_set import ACCOUNT_FEATURES
from tests.features.conftest import (
    DAY,
    account,
    accounts_frame,
    assert_rows_equal,
    at,
    request,
    requests_frame,
)

D = DAY


def days_ago(n: int):
    return D - timedelta(days=n)


def test_account_day_activity_aggregates_one_day(spark) -> None:
    rows = [
        request(
            "a",
            at(D, 10, 0, 0),
            ip="81.2.3.4",
            input_tokens=10,
            output_tokens=50,
            prompt="Let's think step by step: translate hello into French",
        ),
        request(
            "a",
            at(D, 10, 0, 10),
            ip="81.2.3.5",
            status=429,
            ua_kind="http_client",
            prompt="Please act as an impartial judge",
        ),
        request(
            "a",
            at(D, 11, 30, 40),
            ip="52.1.2.3",
            asn=16509,
            country="IE",
            status=500,
            model="claude-new",
            system_prompt="S",
        ),
        request("b", at(D, 23, 59, 59), org_id="org-1"),
    ]
    activity = account_day_activity(requests_frame(spark, rows))
    # The text model's counts, the keys, clients and each model's first minute (new columns).
    extra = {
        row["account_id"]: row
        for row in activity.select(
            "account_id",
            "intent_requests",
            "content_requests",
            "api_keys",
            "user_agents",
            "model_first_minute",
        ).collect()
    }
    assert extra["a"]["intent_requests"] == 0  # no text model scored these rows
    assert activity.where("size(content_items) > 0").count() == 0  # so no bare questions
    assert extra["a"]["api_keys"] == ["key-a"]
    assert extra["a"]["model_first_minute"] == {"claude-sonnet": 600, "claude-new": 690}
    assert extra["b"]["user_agents"] == ["anthropic-python/0.40.0"]
    got = activity.drop(
        "content_items",
        "template_buckets",
        "system_prompt_hashes",
        "intent_requests",
        "intent_score_sum",
        "content_requests",
        "api_keys",
        "user_agents",
        "model_first_minute",
    )
    hours_a = [0] * 24
    hours_a[10], hours_a[11] = 2, 1
    hours_b = [0] * 24
    hours_b[23] = 1
    expected = spark.createDataFrame(
        [
            (
                "a",
                D,
                None,
                3,
                210,
                450,
                2,
                1,
                1,
                1,
                1,
                1,
                hours_a,
                # gaps 10 s and 5430 s
                (2710.0 / 2720.0),
                at(D, 10),
                at(D, 11, 30, 40),
                ["81.2.3.4", "81.2.3.5"],
                ["52.1.2.3"],
                ["81.2.3.0/24"],
                ["52.1.2.0/24"],
                [7922, 16509],
                ["IE", "US"],
                ["translation", "roleplay"],
                [600, 690],
                {"claude-sonnet": 2, "claude-new": 1},
                0.0,
            ),
            (
                "b",
                D,
                "org-1",
                1,
                100,
                200,
                0,
                0,
                0,
                0,
                0,
                0,
                hours_b,
                None,
                at(D, 23, 59, 59),
                at(D, 23, 59, 59),
                ["198.51.100.7"],
                [],
                ["198.51.100.0/24"],
                [],
                [7922],
                ["US"],
                [],
                [1439],
                {"claude-sonnet": 1},
                0.0,
            ),
        ],
        "account_id string, dt date, org_id string, requests long, input_tokens long, "
        "output_tokens long, error_requests long, rate_limited_requests long, "
        "datacenter_requests long, raw_http_requests long, cot_requests long, "
        "grader_requests long, hour_requests array<long>, interarrival_cv double, "
        "first_ts timestamp, last_ts timestamp, ips array<string>, datacenter_ips array<string>, "
        "ip_prefixes array<string>, datacenter_ip_prefixes array<string>, asns array<long>, "
        "countries array<string>, task_categories array<string>, active_minutes array<int>, "
        "model_requests map<string,long>, template_share double",
    )
    assert_rows_equal(got, expected)


def test_template_reuse_counts_only_buckets_shared_with_another_customer(spark) -> None:
    today = spark.createDataFrame(
        [("a", D, 10, 0.8, ["b1"]), ("b", D, 4, 1.0, ["b2"]), ("c", D, 5, 0.5, ["b3"])],
        "account_id string, dt date, requests long, template_share double, template_buckets array<string>",
    )
    activity_day = today
    for name in (
        "org_id",
        "input_tokens",
        "output_tokens",
        "error_requests",
        "rate_limited_requests",
        "datacenter_requests",
        "raw_http_requests",
        "cot_requests",
        "grader_requests",
        "hour_requests",
        "interarrival_cv",
        "first_ts",
        "last_ts",
        "ips",
        "datacenter_ips",
        "ip_prefixes",
        "datacenter_ip_prefixes",
        "asns",
        "countries",
        "system_prompt_hashes",
        "task_categories",
        "active_minutes",
        "model_requests",
        "intent_requests",
        "intent_score_sum",
        "content_requests",
        "crowd_content_requests",
        "api_keys",
        "user_agents",
        "model_first_minute",
    ):
        activity_day = activity_day.withColumn(name, F.lit(None))
    history = spark.createDataFrame(
        # b1 was used by another customer two days ago; b2 only by b's own org colleague;
        # b3 by another customer eight days ago: outside c's seven days.
        [
            ("x", days_ago(2), ["b1"], None),
            ("b-colleague", days_ago(1), ["b2"], "org-b"),
            ("y", days_ago(7), ["b3"], None),
        ],
        "account_id string, dt date, template_buckets array<string>, org_id string",
    )
    window_rows = history.unionByName(
        activity_day.select("account_id", "dt", "template_buckets", "org_id")
    )
    # b's org is known from the day's account snapshot only.
    snapshots = spark.createDataFrame(
        [("b", D, "org-b"), ("a", D, None), ("c", D, None)],
        "account_id string, dt date, org_id string",
    )
    got = with_template_reuse(activity_day, window_rows, snapshots, [D]).select(
        "account_id", "template_reused_requests"
    )
    expected = spark.createDataFrame(
        [("a", 8), ("b", 0), ("c", 0)], "account_id string, template_reused_requests long"
    )
    assert_rows_equal(got, expected)


def test_template_reuse_over_several_days_is_each_days_own(spark) -> None:
    # One plan over three days gives each day what that day alone gives: a bucket is
    # reused on T only when two customers used it within T-6..T, never later.
    rows = [
        ("a", days_ago(8), 10, 1.0, ["k"]),  # k: a alone until ...
        ("b", days_ago(2), 4, 0.5, ["k"]),  # ... b, six days later: shared from b's day on
        ("a", D, 6, 0.5, ["k"]),
        ("c", days_ago(9), 2, 1.0, ["m"]),
        ("d", days_ago(2), 2, 1.0, ["m"]),  # m: c and d, eight days apart: never shared
    ]
    activity = spark.createDataFrame(
        rows,
        "account_id string, dt date, requests long, template_share double, "
        "template_buckets array<string>",
    )
    for name in ACTIVITY_COLUMNS_BEFORE_REUSE:
        if name not in activity.columns:
            activity = activity.withColumn(name, F.lit(None).cast("string"))
    activity = activity.withColumn("org_id", F.lit(None).cast("string"))
    window_rows = activity.select("account_id", "dt", "template_buckets", "org_id")
    snapshots = spark.createDataFrame([], "account_id string, dt date, org_id string")
    days = [days_ago(9), days_ago(8), days_ago(2), D]

    def reused(frame) -> dict:
        return {
            (r["account_id"], r["dt"]): r["template_reused_requests"]
            for r in frame.select("account_id", "dt", "template_reused_requests").collect()
        }

    together = reused(with_template_reuse(activity, window_rows, snapshots, days))
    assert together == {
        ("a", days_ago(8)): 0,
        ("c", days_ago(9)): 0,
        ("b", days_ago(2)): 2,
        ("d", days_ago(2)): 0,
        ("a", D): 3,
    }
    alone: dict = {}
    for day in days:
        day_rows = activity.where(F.col("dt") == F.lit(day))
        alone |= reused(with_template_reuse(day_rows, window_rows, snapshots, [day]))
    assert alone == together


def test_a_bare_question_several_customers_ask_is_a_crowds_not_extraction_content(spark) -> None:
    homework = "A train leaves at 3 pm and travels 60 miles per hour. When does it arrive?"
    step_by_step = "Q: What is 17 times 23? A: Let's think step by step."
    rows = [
        # a class: three students (three customers) ask the assignment, typed their own way
        request("s1", at(D, 14), prompt=homework),
        request("s1", at(D, 15), prompt=homework.lower().rstrip("?")),
        request("s2", at(D, 14), prompt=f"  {homework.upper()}  "),
        request("s3", at(D, 16), prompt=homework.replace(" pm", " PM!")),
        # s1 also asks it wrapped for chain-of-thought, as do the two others: a harness, kept
        request("s1", at(D, 17), prompt=step_by_step),
        request("s2", at(D, 17), prompt=step_by_step),
        request("s3", at(D, 17), prompt=step_by_step),
        # a fleet account: every item its own
        request("fleet", at(D, 9), prompt="Solve: a rectangle has sides 3 and 4; find its area."),
        request("fleet", at(D, 10), prompt="Which gas do plants absorb during photosynthesis?"),
        request("fleet", at(D, 11), prompt=homework),  # one item the class asks too
        request("fleet", at(D, 12), prompt="hello there"),  # ordinary: never content
        # one org's two accounts and one other customer: two customers, no crowd
        request("org-a1", at(D, 9), org_id="org", prompt="Name the largest planet."),
        request("org-a2", at(D, 9), org_id="org", prompt="name the largest planet"),
        request("other", at(D, 9), prompt="Name the largest planet!"),
    ]
    scored = requests_frame(spark, rows).withColumn(
        INTENT_COLUMN, F.when(F.col("prompt") == "hello there", 0.1).otherwise(0.9)
    )
    activity = account_day_activity(scored)
    got = with_crowd_content(activity)
    counts = {
        row["account_id"]: (row["content_requests"], row["crowd_content_requests"])
        for row in got.select("account_id", "content_requests", "crowd_content_requests").collect()
    }
    assert counts == {
        "s1": (3, 2),
        "s2": (2, 1),
        "s3": (2, 1),
        "fleet": (3, 1),  # the class's question, asked by a fourth customer
        "org-a1": (1, 0),
        "org-a2": (1, 0),
        "other": (1, 0),
    }
    assert "content_items" not in got.columns
    accounts = accounts_frame(
        spark,
        [account(a, org_id="org" if a.startswith("org-") else None) for a in counts],
    )
    rolling = rolling_account_features(
        got.withColumn("template_reused_requests", F.lit(0).cast("long")),
        accounts,
        D,
        history_start=days_ago(25),
    )
    shares = {r["account_id"]: r["content_share_7d"] for r in rolling.collect()}
    assert shares["s1"] == 1 / 3  # of three requests, only the chain-of-thought one is its own
    assert shares["fleet"] == 2 / 4
    assert shares["other"] == 1.0


def test_rolling_account_features(spark) -> None:
    rows = [
        # steady: active three days running after 23 silent days; a new model appears on D-1
        request("steady", at(days_ago(2), 12), system_prompt="S1", prompt="hello"),
        request("steady", at(days_ago(1), 12), model="claude-new", system_prompt="S1"),
        request("steady", at(D, 12), model="claude-new", system_prompt="S1"),
        request("steady", at(D, 13), system_prompt="S1"),
        # sleeper: one request 20 days ago, silent, then three today
        request("sleeper", at(days_ago(20), 9)),
        request(
            "sleeper",
            at(D, 10, 0, 0),
            ip="81.2.3.4",
            prompt="Let's think step by step: translate hello into French",
        ),
        request(
            "sleeper",
            at(D, 10, 0, 10),
            ip="81.2.3.5",
            status=429,
            ua_kind="http_client",
            prompt="Please act as an impartial judge",
        ),
        request("sleeper", at(D, 10, 0, 30), ip="52.1.2.3", asn=16509, country="IE"),
        # fresh: created two days ago, first request today; shares the system prompt
        request("fresh", at(D, 8), system_prompt="S1", org_id="org-f"),
        # gone: active only outside the week
        request("gone", at(days_ago(10), 8)),
    ]
    activity = account_day_activity(requests_frame(spark, rows)).withColumn(
        "template_reused_requests", F.lit(0).cast("long")
    )
    created_steady = datetime(2026, 1, 15, 9, 30)
    created_sleeper = datetime(2026, 10, 1)
    created_fresh = datetime(2026, 11, 24)
    accounts = accounts_frame(
        spark,
        [
            account("steady", created_at=created_steady, tier="scale"),
            account("sleeper", created_at=created_sleeper, tier="free", verified=False),
            account("fresh", created_at=created_fresh, tier="enterprise", org_id="org-f"),
            account("gone"),
        ],
    )
    got = rolling_account_features(activity, accounts, D, history_start=days_ago(25))
    end = datetime(2026, 11, 27)

    def age(created: datetime) -> float:
        return (end - created).total_seconds() / 86400

    steady_entropy = -(0.75 * math.log2(0.75) + 0.25 * math.log2(0.25))
    new = {
        "content_share_7d",
        "intent_score_mean_7d",
        "egress_asns_max_1d",
        "egress_countries_max_1d",
        "api_keys_count_7d",
        "customer_api_keys_7d",
        "activity_age_days",
    }
    old = [spec for spec in ACCOUNT_FEATURES if spec.name not in new]
    names = ["account_id", "customer_id", "active_on_day"] + [s.name for s in old]
    expected_rows = [
        # requests 1d/7d/28d, in/out 7d, ratio, active hours, cv, entropy, ips, prefixes, asns,
        # dc share, raw share, errors, 429s, age, tier, verified, dormant, cot, grader,
        # template reuse, task breadth, system prompt sharing, new model share
        (
            "steady",
            "steady",
            True,
            2,
            4,
            4,
            400,
            800,
            2.0,
            2,
            None,
            steady_entropy,
            1,
            1,
            1,
            0.0,
            0.0,
            0.0,
            0.0,
            age(created_steady),
            2,
            1,
            23.0,  # silent from the start of history (D-25) until its streak began on D-2
            0.0,
            0.0,
            0.0,
            0,
            1,
            0.5,
        ),
        (
            "sleeper",
            "sleeper",
            True,
            3,
            3,
            4,
            300,
            600,
            2.0,
            1,
            1 / 3,
            0.0,
            3,
            2,
            2,
            1 / 3,
            1 / 3,
            1 / 3,
            1 / 3,
            age(created_sleeper),
            0,
            0,
            19.0,
            1 / 3,
            1 / 3,
            0.0,
            2,
            0,
            0.0,
        ),
        (
            "fresh",
            "org-f",
            True,
            1,
            1,
            1,
            100,
            200,
            2.0,
            1,
            None,
            0.0,
            1,
            1,
            1,
            0.0,
            0.0,
            0.0,
            0.0,
            age(created_fresh),
            3,
            1,
            2.0,
            0.0,
            0.0,
            0.0,
            0,
            1,
            0.0,
        ),
    ]
    schema = ", ".join(
        ["account_id string", "customer_id string", "active_on_day boolean"]
        + [f"{s.name} {s.dtype}" for s in old]
    )
    expected = spark.createDataFrame(expected_rows, schema)
    assert_rows_equal(got.select(*names), expected)
    # The sleeper asked for step-by-step reasoning and judging in two of its three requests
    # (the curated phrases; no text model here); it sent from two ASNs on D.
    new_columns = got.select("account_id", *sorted(new)).toPandas().set_index("account_id")
    assert new_columns.loc["sleeper", "content_share_7d"] == 2 / 3
    assert new_columns.loc["sleeper", "egress_asns_max_1d"] == 2
    assert new_columns.loc["steady", "content_share_7d"] == 0.0
    assert new_columns.loc["fresh", "customer_api_keys_7d"] == 1
    assert new_columns.loc["steady", "api_keys_count_7d"] == 1
    # Activity age: since the latest wake when that is later than creation. The sleeper woke
    # today after 19 silent days; the steady account's streak began after 23 days of the
    # lake's silence; the fresh account woke from nothing (two days since creation).
    assert new_columns.loc["sleeper", "activity_age_days"] == 1.0
    assert new_columns.loc["steady", "activity_age_days"] == 3.0
    assert new_columns.loc["fresh", "activity_age_days"] == age(created_fresh)


def test_an_aged_account_woken_and_warmed_up_stays_young_after_it_skips_a_day(spark) -> None:
    """A sleeper bought long ago, woken nine days before D, skipped D-2: its current streak's
    dormancy is one day, but its activity is ten days old. A person who pauses under two
    weeks never wakes, and an account active since the lake began is as old as its creation."""
    warmed = [days_ago(n) for n in (9, 8, 7, 6, 5, 4, 3, 1, 0)]
    pausing = [days_ago(n) for n in (24, 23, 12, 11, 0)]  # silences of 10 and 11 days
    steady = [days_ago(n) for n in range(27, -1, -1)]  # from the window's first day
    rows = (
        [request("warmed", at(day, 10)) for day in warmed]
        + [request("pausing", at(day, 10)) for day in pausing]
        + [request("steady", at(day, 10)) for day in steady]
    )
    activity = account_day_activity(requests_frame(spark, rows)).withColumn(
        "template_reused_requests", F.lit(0).cast("long")
    )
    created = datetime(2025, 6, 1)
    accounts = accounts_frame(
        spark, [account(name, created_at=created) for name in ("warmed", "pausing", "steady")]
    )
    got = (
        rolling_account_features(activity, accounts, D, history_start=days_ago(40))
        .select("account_id", "activity_age_days", "dormant_days_before_activity")
        .toPandas()
        .set_index("account_id")
    )
    account_age = (datetime(2026, 11, 27) - created).total_seconds() / 86400
    # silent from the window's start (D-27) until D-9: a wake, ten days ago counting D
    assert got.loc["warmed", "activity_age_days"] == 10.0
    assert got.loc["warmed", "dormant_days_before_activity"] == 1.0
    assert got.loc["pausing", "activity_age_days"] == account_age
    assert got.loc["pausing", "dormant_days_before_activity"] == 10.0
    assert got.loc["steady", "activity_age_days"] == account_age
    assert got.loc["steady", "dormant_days_before_activity"] == 0.0


def test_rolling_features_over_several_days_are_each_days_own(spark) -> None:
    """One plan over four target days gives each day what a plan of that day alone gives:
    its own 28-day and 7-day windows (a request 27 days before a target is in its window,
    28 days before not), its own snapshot (an org that changes), its streaks, wakes and
    new models. Fails on a snapshot, window or join not keyed by its day (one target's rows
    read into another's); each window's own bounds are the single-day tests' above."""
    rows = (
        [request("steady", at(days_ago(n), 12), system_prompt="S1") for n in range(30, -1, -1)]
        + [request("sleeper", at(days_ago(n), 9)) for n in (29, 20, 4, 1, 0)]
        + [request("fresh", at(days_ago(n), 8), system_prompt="S1") for n in (3, 1, 0)]
        + [
            request("pivot", at(days_ago(2), 10), model="claude-new", org_id="org-p"),
            request("pivot", at(days_ago(1), 10, 5), model="claude-new", org_id="org-p"),
            request("gone", at(days_ago(12), 8), ip="81.2.3.4"),
            request("gone", at(days_ago(11), 8), ip="81.2.3.5", status=429),
        ]
    )
    activity = (
        account_day_activity(requests_frame(spark, rows))
        .withColumn("template_reused_requests", F.lit(0).cast("long"))
        .persist()
    )
    targets = [days_ago(28), days_ago(11), days_ago(1), D]
    history_start = days_ago(30)

    def snapshot(day):
        # "fresh" joins org-f on D only: its customer is itself before.
        return accounts_frame(
            spark,
            [
                account("steady", created_at=datetime(2025, 6, 1)),
                account("sleeper", created_at=datetime(2026, 9, 1), tier="free"),
                account(
                    "fresh", created_at=datetime(2026, 11, 20), org_id="org-f" if day == D else None
                ),
                account("pivot"),
                account("gone"),
            ],
        ).withColumn("dt", F.lit(day))

    snapshots = snapshot(targets[0])
    for day in targets[1:]:
        snapshots = snapshots.unionByName(snapshot(day))

    def rows_of(frame) -> list:
        return sorted(frame.toPandas().round(9).astype(str).itertuples(index=False, name=None))

    together = rolling_features_by_day(activity, snapshots, targets, history_start)
    alone = [
        rolling_account_features(activity, snapshot(day), day, history_start)
        .withColumn("dt", F.lit(day))
        .select(*together.columns)
        for day in targets
    ]
    expected = alone[0]
    for frame in alone[1:]:
        expected = expected.unionByName(frame)
    assert rows_of(together) == rows_of(expected)
    per_day = {
        r["dt"]: r["n"] for r in together.groupBy("dt").agg(F.count("*").alias("n")).collect()
    }
    # Accounts active in each target's week: D-28 steady and sleeper (D-29); D-11 steady
    # and gone (sleeper's D-20 is outside the week); D-1 and D steady, sleeper, fresh, pivot.
    assert per_day == {targets[0]: 2, targets[1]: 2, targets[2]: 4, targets[3]: 4}
    fresh = {
        r["dt"]: r["customer_id"] for r in together.where(F.col("account_id") == "fresh").collect()
    }
    assert fresh == {days_ago(1): "fresh", D: "org-f"}
