"""Linking: specificity weights, customers not accounts, stars for big groups."""

from __future__ import annotations

import pytest

from features.account import account_day_activity, customer_ids
from features.linking import (
    DEFAULT_ENTITY_RULES,
    LINK_COLUMNS,
    EntityRule,
    LinkingParams,
    customer_links,
    entity_memberships,
    entity_specificity,
    specificity_weight,
)
from tests.features.conftest import (
    DAY,
    account,
    accounts_frame,
    assert_rows_equal,
    at,
    request,
    requests_frame,
)

MEMBERSHIP_SCHEMA = "account_id string, customer_id string, entity_type string, entity_value string"


def links_of(spark, memberships: list[tuple[str, str, str, str]], params: LinkingParams):
    frame = spark.createDataFrame(memberships, MEMBERSHIP_SCHEMA)
    specificity = entity_specificity(frame, params)
    return customer_links(frame, specificity, params).select(*LINK_COLUMNS)


def pairs(links) -> set[tuple[str, str]]:
    return {(r["src_customer_id"], r["dst_customer_id"]) for r in links.collect()}


def test_specificity_decays_with_customers_and_caps() -> None:
    rule = EntityRule(weight=1.0, free_customers=10, max_customers=100)
    assert specificity_weight(rule, 2) == 1.0
    assert specificity_weight(rule, 10) == 1.0
    assert specificity_weight(rule, 99) == pytest.approx(0.52070, abs=1e-4)  # log 11 / log 100


def test_entity_specificity_counts_customers_not_accounts(spark) -> None:
    memberships = spark.createDataFrame(
        [
            # one enterprise org: three accounts, one customer
            ("e1", "org-acme", "system_prompt", "sp-acme"),
            ("e2", "org-acme", "system_prompt", "sp-acme"),
            ("e3", "org-acme", "system_prompt", "sp-acme"),
            # a card shared by two customers
            ("x1", "x1", "payment_fingerprint", "card-1"),
            ("x2", "x2", "payment_fingerprint", "card-1"),
            # a type without a rule is counted but never links
            ("x1", "x1", "favourite_colour", "blue"),
            ("x2", "x2", "favourite_colour", "blue"),
        ],
        MEMBERSHIP_SCHEMA,
    )
    got = entity_specificity(memberships, LinkingParams())
    expected = spark.createDataFrame(
        [
            ("payment_fingerprint", "card-1", 2, 2, 1.5, True),
            ("favourite_colour", "blue", 2, 2, 0.0, False),
        ],
        "entity_type string, entity_value string, accounts long, customers long, weight double, linking boolean",
    )
    assert_rows_equal(got, expected)


def test_cloud_egress_ip_shared_by_many_customers_does_not_glue(spark) -> None:
    # 60 unrelated customers behind one cloud NAT address on the same day.
    rows = [(f"a{i:02d}", f"a{i:02d}", "datacenter_ip", "52.1.2.3@2026-11-26") for i in range(60)]
    rows += [
        (f"a{i:02d}", f"a{i:02d}", "datacenter_ip_prefix", "52.1.2.0/24@2026-11-26")
        for i in range(60)
    ]
    assert links_of(spark, rows, LinkingParams()).isEmpty()


def test_popular_system_prompt_does_not_glue_but_rare_one_with_ip_does(spark) -> None:
    popular = [(f"h{i:03d}", f"h{i:03d}", "system_prompt", "sp-helpful") for i in range(600)]
    rare = [("p1", "p1", "system_prompt", "sp-rare"), ("p2", "p2", "system_prompt", "sp-rare")]
    assert links_of(spark, popular, LinkingParams()).isEmpty()
    assert pairs(links_of(spark, popular + rare, LinkingParams())) == {("p1", "p2")}


def test_weak_entities_need_corroboration(spark) -> None:
    one_ip = [("u1", "u1", "ip", "81.2.3.4@2026-11-26"), ("u2", "u2", "ip", "81.2.3.4@2026-11-26")]
    assert links_of(spark, one_ip, LinkingParams()).isEmpty()
    with_sync = one_ip + [
        ("u1", "u1", "synchrony", "sync0:42@2026-11-26"),
        ("u2", "u2", "synchrony", "sync0:42@2026-11-26"),
    ]
    got = links_of(spark, with_sync, LinkingParams())
    expected = spark.createDataFrame(
        [
            ("u1", "u2", "u1", "u2", "ip", "81.2.3.4@2026-11-26", 0.6, 1.2),
            ("u1", "u2", "u1", "u2", "synchrony", "sync0:42@2026-11-26", 0.6, 1.2),
        ],
        "src_customer_id string, dst_customer_id string, src_account_id string, dst_account_id string, "
        "entity_type string, entity_value string, weight double, pair_score double",
    )
    assert_rows_equal(got, expected)


def test_accounts_of_one_org_are_one_customer_and_link_to_nobody(spark) -> None:
    rows = [
        (f"e{i}", "org-acme", t, v)
        for i in range(5)
        for t, v in [
            ("payment_fingerprint", "card-acme"),
            ("signup_ip", "10.0.0.1"),
            ("system_prompt", "sp"),
        ]
    ]
    assert links_of(spark, rows, LinkingParams()).isEmpty()


def test_large_group_links_through_a_star_not_all_pairs(spark) -> None:
    card = [(f"m{i:02d}", f"m{i:02d}", "payment_fingerprint", "card-9") for i in range(30)]
    got = pairs(links_of(spark, card, LinkingParams(pair_limit=25)))
    assert got == {("m00", f"m{i:02d}") for i in range(1, 30)}
    small = pairs(links_of(spark, card[:4], LinkingParams(pair_limit=25)))
    assert small == {(f"m{i:02d}", f"m{j:02d}") for i in range(4) for j in range(i + 1, 4)}


def test_entity_memberships_from_activity_and_snapshot(spark) -> None:
    requests = requests_frame(
        spark,
        [
            request("a1", at(DAY, 1), ip="81.2.3.4", system_prompt="S"),
            request("a2", at(DAY, 2), ip="52.1.2.3", asn=16509),  # AWS: datacenter
        ],
    )
    accounts = accounts_frame(
        spark,
        [
            account(
                "a1",
                org_id="org-1",
                email_domain="Acme.com",
                payment_fingerprint="card-1",
                signup_ip="81.2.3.4",
            ),
            account("a2", email_domain="gmail.com"),  # webmail is not an entity
            account("idle", payment_fingerprint="card-1"),  # not active: not in the graph
        ],
    )
    activity = account_day_activity(requests)
    customers = customer_ids(accounts, activity)
    got = entity_memberships(activity, accounts, customers)
    sp_hash = "8de0b3c47f112c59745f717a626932264c422a7563954872e237b223af4ad643"
    expected = spark.createDataFrame(
        [
            ("a1", "org-1", "ip", "81.2.3.4@2026-11-26"),
            ("a1", "org-1", "ip_prefix", "81.2.3.0/24@2026-11-26"),
            ("a1", "org-1", "system_prompt", sp_hash),
            ("a1", "org-1", "payment_fingerprint", "card-1"),
            ("a1", "org-1", "signup_ip", "81.2.3.4"),
            ("a1", "org-1", "email_domain", "acme.com"),
            ("a2", "a2", "datacenter_ip", "52.1.2.3@2026-11-26"),
            ("a2", "a2", "datacenter_ip_prefix", "52.1.2.0/24@2026-11-26"),
        ],
        MEMBERSHIP_SCHEMA,
    )
    assert_rows_equal(got, expected)


def test_default_rules_cover_every_membership_type() -> None:
    assert set(DEFAULT_ENTITY_RULES) == {
        "payment_fingerprint",
        "signup_ip",
        "system_prompt",
        "template",
        "email_domain",
        "ip",
        "ip_prefix",
        "synchrony",
        "datacenter_ip",
        "datacenter_ip_prefix",
    }
