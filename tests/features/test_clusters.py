"""Stable cluster ids, cluster and cohort features, on a few inline rows."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from features.clusters import (
    CLUSTER_GROUP_FEATURES,
    MEMBER_COLUMNS,
    assign_cluster_ids,
    cluster_features,
    cohort_features,
    egress_fleet,
    payment_peers,
)
from tests.features.conftest import DAY, account, accounts_frame, assert_rows_equal

D = DAY
MEMBERS_SCHEMA = "hydra_cluster_id string, account_id string, customer_id string, first_seen date"
ASSIGNMENT_SCHEMA = "customer_id string, hydra_cluster_id string, first_seen date"


def days_ago(n: int):
    return D - timedelta(days=n)


def new_id(component: str) -> str:
    return f"hc-20261126-{hashlib.sha256(component.encode()).hexdigest()[:12]}"


def assign(spark, edges: list[tuple[str, str]], previous: list[tuple]):
    """Components from explicit ``(node, component)`` pairs; accounts are their own customers."""
    components = spark.createDataFrame(edges, "node string, component string")
    members = components.selectExpr("node as account_id", "node as customer_id")
    previous_members = spark.createDataFrame(previous, MEMBERS_SCHEMA)
    return assign_cluster_ids(components, members, previous_members, D)


def test_growing_cluster_keeps_its_id_and_first_seen(spark) -> None:
    previous = [("hc-old", "a1", "a1", days_ago(3)), ("hc-old", "a2", "a2", days_ago(3))]
    got = assign(spark, [("a1", "a1"), ("a2", "a1"), ("a3", "a1")], previous)
    expected = spark.createDataFrame(
        [(a, "hc-old", days_ago(3)) for a in ("a1", "a2", "a3")], ASSIGNMENT_SCHEMA
    )
    assert_rows_equal(got, expected)


def test_merging_clusters_keep_the_larger_then_the_older_id(spark) -> None:
    previous = [
        ("hc-big", "b1", "b1", days_ago(1)),
        ("hc-big", "b2", "b2", days_ago(1)),
        ("hc-big", "b3", "b3", days_ago(1)),
        ("hc-small", "s1", "s1", days_ago(5)),
        ("hc-small", "s2", "s2", days_ago(5)),
        ("hc-young", "x1", "x1", days_ago(2)),
        ("hc-young", "x2", "x2", days_ago(2)),
        ("hc-aged", "y1", "y1", days_ago(6)),
        ("hc-aged", "y2", "y2", days_ago(6)),
    ]
    components = [(n, "b1") for n in ("b1", "b2", "b3", "s1", "s2")]
    components += [(n, "x1") for n in ("x1", "x2", "y1", "y2")]
    got = assign(spark, components, previous)
    expected = spark.createDataFrame(
        [(n, "hc-big", days_ago(1)) for n in ("b1", "b2", "b3", "s1", "s2")]
        + [(n, "hc-aged", days_ago(6)) for n in ("x1", "x2", "y1", "y2")],
        ASSIGNMENT_SCHEMA,
    )
    assert_rows_equal(got, expected)


def test_split_cluster_id_goes_to_the_bigger_part_and_new_ids_are_deterministic(spark) -> None:
    previous = [("hc-s", p, p, days_ago(4)) for p in ("p1", "p2", "p3", "p4")]
    components = [
        ("p1", "p1"),
        ("p2", "p1"),
        ("p3", "p1"),
        ("p4", "p4"),
        ("q1", "p4"),
        ("n1", "n1"),
        ("n2", "n1"),
    ]
    got = assign(spark, components, previous)
    expected = spark.createDataFrame(
        [
            ("p1", "hc-s", days_ago(4)),
            ("p2", "hc-s", days_ago(4)),
            ("p3", "hc-s", days_ago(4)),
            ("p4", new_id("p4"), D),
            ("q1", new_id("p4"), D),
            ("n1", new_id("n1"), D),
            ("n2", new_id("n1"), D),
        ],
        ASSIGNMENT_SCHEMA,
    )
    assert_rows_equal(got, expected)


ROLLING_SCHEMA = (
    "account_id string, customer_id string, active_on_day boolean, requests_count_1d long, "
    "output_tokens_1d long, template_reuse_share_7d double, requests_7d long, "
    "cot_requests_7d long, countries_7d array<string>, asns_7d array<long>, created_at timestamp, "
    "content_requests_7d long, egress_asns_max_1d long, new_model_share_3d double, "
    "content_share_7d double, egress_ip_days_7d long"
)


def test_cluster_features_describe_the_cluster_or_the_customer(spark) -> None:
    c1, c2 = datetime(2026, 11, 20, 3), datetime(2026, 11, 21, 3)
    rolling = spark.createDataFrame(
        [
            # a hydra cluster: three customers, one account idle today
            ("h1", "h1", True, 10, 100, 1.0, 70, 35, ["US"], [9009], c1, 35, 1, 0.0, 0.5, 2),
            ("h2", "h2", True, 30, 300, 0.5, 70, 35, ["SG"], [9009, 16276], c1, 35, 2, 0.5, 0.5, 2),
            ("h3", "h3", False, 0, 0, 0.0, 60, 0, ["US"], [16276], c2, 0, 1, 0.0, 0.0, 2),
            # an unlinked enterprise org with two accounts
            ("e1", "org-e", True, 5, 50, 0.0, 20, 0, ["DE"], [3320], c1, 0, 1, 0.0, 0.0, 2),
            ("e2", "org-e", True, 5, 60, 0.0, 20, 10, ["DE"], [3320], c2, 10, 1, 0.0, 0.5, 2),
        ],
        ROLLING_SCHEMA,
    )
    assignments = spark.createDataFrame(
        [(c, "hc-1", days_ago(2)) for c in ("h1", "h2", "h3")], ASSIGNMENT_SCHEMA
    )
    memberships = spark.createDataFrame(
        [
            ("h1", "h1", "payment_fingerprint", "card"),
            ("h2", "h2", "payment_fingerprint", "card"),
            ("h1", "h1", "ip", "1.2.3.4@2026-11-26"),
            ("h3", "h3", "ip", "1.2.3.4@2026-11-26"),
            ("h1", "h1", "burst", "2026-11-26@61"),
            ("h2", "h2", "burst", "2026-11-26@61"),
            ("e1", "org-e", "burst", "2026-11-26@90"),
            ("e2", "org-e", "burst", "2026-11-26@90"),
        ],
        "account_id string, customer_id string, entity_type string, entity_value string",
    )
    shared_entities = spark.createDataFrame(
        [("payment_fingerprint", "card"), ("ip", "1.2.3.4@2026-11-26")],
        "entity_type string, entity_value string",
    )
    block_stats = spark.createDataFrame(
        [("hc-1", 2.5, 2)],
        "hydra_cluster_id string, cluster_block_density double, cluster_entity_families long",
    )
    previous = spark.createDataFrame(
        [("hc-1", "h1", "h1", days_ago(2)), ("hc-1", "h2", "h2", days_ago(2))], MEMBERS_SCHEMA
    )
    got = cluster_features(
        rolling, assignments, memberships, shared_entities, previous, block_stats
    ).select("account_id", "hydra_cluster_id", *CLUSTER_GROUP_FEATURES)
    hc = (
        *("hc-1", 3, 3, 400, 0.5, 2 / 3, 2 / 3, 2 / 3, 0.5, 2 / 3, 70 / 200, 2, 2, 1.5),
        *(2.5, 2, 70 / 200, 4 / 3, 0.5 / 3),
    )
    org = (
        None,
        1,
        2,
        110,
        0.0,
        0.5,
        0.0,
        0.0,
        0.0,
        0.0,
        10 / 40,
        1,
        1,
        1.0,
        0.0,
        0,
        0.25,
        1.0,
        0.0,
    )
    expected = spark.createDataFrame(
        [("h1", *hc), ("h2", *hc), ("h3", *hc), ("e1", *org), ("e2", *org)],
        "account_id string, hydra_cluster_id string, cluster_customers_count long, "
        "cluster_accounts_count long, cluster_output_tokens_sum_1d long, cluster_volume_cv_1d double, "
        "cluster_creation_burst_share double, cluster_shared_payment_share double, "
        "cluster_shared_ip_share double, cluster_template_overlap double, "
        "cluster_synchrony_score double, cluster_cot_share double, cluster_country_count int, "
        "cluster_asn_count int, cluster_growth_ratio_1d double, cluster_block_density double, "
        "cluster_entity_families long, cluster_content_share double, "
        "cluster_egress_asns_mean double, cluster_new_model_share double",
    )
    assert_rows_equal(got, expected)


def test_payment_peers_read_what_the_other_holders_of_a_card_do(spark) -> None:
    # Accounts and their 7-day content shares (a content account is >= 0.2).
    shares = {
        # an operator's card: three of its four customers harvest, each modestly (a fleet
        # that hides its extraction in ordinary traffic), one is a fresh account idle so far
        "f1": 0.25, "f2": 0.3, "f3": 0.22, "f4": 0.05,
        # an agency's card: four ordinary clients, one of them a tutoring app
        "a1": 0.9, "a2": 0.05, "a3": 0.08, "a4": 0.06,
        # an org with two accounts on one card with one other customer: the org counts once
        "x1": 0.3, "x2": 0.0, "y": 0.5,
        # a card nobody else holds
        "solo": 0.9,
    }  # fmt: skip
    customer = {"x1": "org-x", "x2": "org-x"}
    rolling = spark.createDataFrame(
        [(a, share) for a, share in shares.items()], "account_id string, content_share_7d double"
    )
    holdings = [
        *[(a, "op") for a in ("f1", "f2", "f3", "f4")],
        *[(a, "ag") for a in ("a1", "a2", "a3", "a4")],
        *[(a, "ox") for a in ("x1", "x2", "y")],
        # f1 also shares a second card with one agency client: the card with most peers counts
        ("f1", "two"),
        ("a2", "two"),
    ]
    memberships = spark.createDataFrame(
        [(a, customer.get(a, a), "payment_fingerprint", card) for a, card in holdings]
        # other entity types are not payment peers
        + [("solo", "solo", "ip", "1.2.3.4@2026-11-26"), ("a1", "a1", "ip", "1.2.3.4@2026-11-26")],
        "account_id string, customer_id string, entity_type string, entity_value string",
    )
    got = payment_peers(memberships, rolling)
    expected = spark.createDataFrame(
        [
            ("f1", 3, 2 / 3),
            ("f2", 3, 2 / 3),
            ("f3", 3, 2 / 3),
            ("f4", 3, 1.0),  # its peers harvest even though it does not yet
            ("a1", 3, 0.0),  # the tutoring app's peers are ordinary clients
            ("a2", 3, 1 / 3),
            ("a3", 3, 1 / 3),
            ("a4", 3, 1 / 3),
            ("org-x", 1, 1.0),
            ("y", 1, 1.0),
        ],
        "customer_id string, payment_peer_customers long, payment_peer_content_share double",
    )
    assert_rows_equal(got, expected)


def test_egress_fleet_reads_who_else_sends_from_an_accounts_exits(spark) -> None:
    """A proxy pool's member sends only from exits the fleet uses; a person whose phone
    address is also one of the pool's exits, and a carrier's customers, do not."""
    # Accounts: 7-day content share (a content account is >= 0.2) and exit-days of the week.
    accounts = {
        # the pool's fleet: four customers, each modest content, on two exits a day
        "p1": (0.3, 4), "p2": (0.25, 4), "p3": (0.22, 4), "p4": (0.05, 4),
        # a person: home on two days (its own), its phone on two days, one of which is an
        # exit the pool also used that day
        "person": (0.25, 4),
        # a carrier's NAT: three ordinary customers and one harvesting account
        "c1": (0.05, 1), "c2": (0.3, 1), "c3": (0.0, 1), "c4": (0.1, 1),
        # an org's two accounts on one exit with one other content customer: a pair
        "o1": (0.3, 1), "o2": (0.0, 1), "pair": (0.5, 1),
    }  # fmt: skip
    customer = {"o1": "org-o", "o2": "org-o"}
    rolling = spark.createDataFrame(
        [(a, share, days) for a, (share, days) in accounts.items()],
        "account_id string, content_share_7d double, egress_ip_days_7d long",
    )
    exits = [
        *[(a, "ip", f"203.0.113.{n}@2026-11-2{d}") for a in ("p1", "p2", "p3") for n, d in
          ((1, 5), (2, 5), (1, 6), (3, 6))],
        *[(a, "datacenter_ip", f"198.51.100.{n}@2026-11-2{d}") for a in ("p4",) for n, d in
          ((9, 5), (9, 6))],
        ("p4", "ip", "203.0.113.1@2026-11-25"), ("p4", "ip", "203.0.113.2@2026-11-25"),
        ("person", "ip", "203.0.113.3@2026-11-26"),
        *[(a, "ip", "100.64.0.1@2026-11-26") for a in ("c1", "c2", "c3", "c4")],
        *[(a, "ip", "192.0.2.5@2026-11-26") for a in ("o1", "o2", "pair")],
        # a shared prefix or card is not an exit address
        ("c1", "ip_prefix", "100.64.0.0/24@2026-11-26"), ("p1", "ip_prefix", "100.64.0.0/24@2026-11-26"),
    ]  # fmt: skip
    memberships = spark.createDataFrame(
        [(a, customer.get(a, a), t, v) for a, t, v in exits],
        "account_id string, customer_id string, entity_type string, entity_value string",
    )
    got = egress_fleet(memberships, rolling)
    expected = spark.createDataFrame(
        [
            # 203.0.113.1 on the 25th: p1-p4, others of p1 are p2, p3 (content) and p4 (not):
            # 2 of 3; .2 on the 25th the same; .1 and .3 on the 26th: p1-p3 (+ the person on .3)
            ("p1", 4 / 4),
            ("p2", 4 / 4),
            ("p3", 4 / 4),
            # one of its four exit-days: the others there (p1, p2, p3) all harvest
            ("person", 1 / 4),
            # absent (0 in ``cluster_features``): p4, no content account itself (two of its
            # four exit-days are the pool's, which says nothing of its own traffic); the
            # carrier's customers (one harvesting account of four is no fleet); the org and
            # its pair (the org counts once, and one other customer on an exit is a pair)
        ],
        "account_id string, egress_fleet_share_7d double",
    )
    assert_rows_equal(got, expected)


def test_cohorts_created_together_and_acting_together(spark) -> None:
    signup = datetime(2026, 11, 10, 14, 5)
    accounts = accounts_frame(
        spark,
        [
            account("k1", created_at=signup, signup_ip="128.32.0.10"),
            account("k2", created_at=signup + timedelta(minutes=40), signup_ip="128.32.0.77"),
            account("k3", created_at=signup + timedelta(minutes=50), signup_ip="128.32.0.9"),
            account("late", created_at=signup + timedelta(hours=1), signup_ip="128.32.0.9"),
            account("w1", created_at=datetime(2025, 3, 1, 8)),
            account("w2", created_at=datetime(2025, 3, 1, 20)),
            account("alone", signup_ip=None),
        ],
    )
    rolling = spark.createDataFrame(
        [
            ("k1", True, 0.0, D, signup),
            ("k2", True, 0.0, D, signup),
            ("k3", False, 0.0, None, signup),
            ("late", True, 0.0, D, signup),
            ("w1", True, 30.0, D, datetime(2025, 3, 1, 8)),
            ("w2", True, 20.0, D, datetime(2025, 3, 1, 20)),
            ("alone", True, 0.0, D, datetime(2026, 1, 1)),
        ],
        "account_id string, active_on_day boolean, dormant_days_before_activity double, "
        "streak_start date, created_at timestamp",
    )
    activity_day = spark.createDataFrame(
        [
            ("k1", [600, 601]),
            ("k2", [600, 900]),
            ("late", [600]),
            ("w1", [5]),
            ("w2", [5, 6]),
            ("alone", [5]),
        ],
        "account_id string, active_minutes array<int>",
    )
    got = cohort_features(accounts, rolling, activity_day)
    expected = spark.createDataFrame(
        [
            # k1 and k2: cohort of 3 (k3 idle); at minute 600 one other of the two others is active
            ("k1", 3, (0.5 + 0.0) / 2),
            ("k2", 3, (0.5 + 0.0) / 2),
            ("late", 1, 0.0),
            # w1 and w2: created the same day, woken the same day after 14+ days of silence
            ("w1", 2, 1.0),
            ("w2", 2, 0.5),
            ("alone", 1, 0.0),
        ],
        "account_id string, cohort_size long, cohort_sync_share double",
    )
    assert_rows_equal(got, expected)


def test_member_columns() -> None:
    assert MEMBER_COLUMNS == ("hydra_cluster_id", "account_id", "customer_id", "first_seen")
