"""A partner's indicators matched against the day's own entities, on inline rows."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from features.indicators import IndicatorRow, hmac_sha256_hex, with_shared_indicators
from lakeio.indicators import SCOPED_TYPES, SHARED_TYPES, keyed_hash

KEY = b"shared-between-the-two-labs"
TYPES = {t: (s.indicator_type, s.keyed) for t, s in SHARED_TYPES.items()}
MEMBERSHIPS = "account_id string, customer_id string, entity_type string, entity_value string"


@pytest.mark.parametrize("key", [KEY, b"k" * 16, bytes(range(200))])  # a key over 64 bytes too
def test_spark_hmac_is_rfc_2104(spark, key: bytes) -> None:
    messages = ["payment_fingerprint\npf-1", "système\n提示", ""]
    frame = spark.createDataFrame([(m,) for m in messages], "m string")
    got = [row[0] for row in frame.select(hmac_sha256_hex(frame["m"], key)).collect()]
    assert got == [hmac.new(key, m.encode(), hashlib.sha256).hexdigest() for m in messages]


def _memberships(spark):
    rows = [
        # a campaign: one exit address (scoped by day), one card, one system prompt
        ("a1", "c1", "ip", "203.0.113.7@2026-11-01"),
        ("a1", "c1", "payment_fingerprint", "pf-campaign"),
        ("a2", "c2", "datacenter_ip", "203.0.113.7@2026-11-02"),  # the same address, a day later
        ("a3", "c3", "system_prompt", "ab" * 32),
        ("a3", "c3", "payment_fingerprint", "pf-campaign"),
        # ordinary customers: another address, another card, the card's value as an address
        ("b1", "d1", "ip", "198.51.100.4@2026-11-01"),
        ("b2", "d2", "payment_fingerprint", "pf-other"),
        ("b3", "d3", "user_agent", "pf-campaign"),  # a value alone never matches another type
    ]
    return spark.createDataFrame(rows, MEMBERSHIPS)


def _indicators(key: bytes) -> list[IndicatorRow]:
    return [
        IndicatorRow("ip", "203.0.113.7", False, "lab-a:ip:indicator--1"),
        IndicatorRow(
            "payment_fingerprint",
            keyed_hash(key, "payment_fingerprint", "pf-campaign"),
            True,
            "lab-a:payment_fingerprint:indicator--2",
        ),
        IndicatorRow(
            "system_prompt_hash",
            keyed_hash(key, "system_prompt_hash", "ab" * 32),
            True,
            "lab-a:system_prompt_hash:indicator--3",
        ),
    ]


def _matched(frame) -> list[tuple[str, str, str]]:
    return sorted(
        (r["account_id"], r["entity_type"], r["entity_value"])
        for r in frame.collect()
        if r["entity_type"].startswith("partner_")
    )


def test_entities_matching_a_shared_indicator_are_named_by_it(spark) -> None:
    memberships = _memberships(spark)
    named = with_shared_indicators(memberships, _indicators(KEY), TYPES, SCOPED_TYPES, KEY)

    # The matched entity is renamed (keeping its type and day): the graph keeps its shape.
    assert _matched(named) == [
        ("a1", "partner_ip", "lab-a:ip:indicator--1@2026-11-01"),
        ("a1", "partner_payment_fingerprint", "lab-a:payment_fingerprint:indicator--2"),
        ("a2", "partner_datacenter_ip", "lab-a:ip:indicator--1@2026-11-02"),
        ("a3", "partner_payment_fingerprint", "lab-a:payment_fingerprint:indicator--2"),
        ("a3", "partner_system_prompt", "lab-a:system_prompt_hash:indicator--3"),
    ]
    assert named.count() == memberships.count()
    untouched = {tuple(r) for r in named.collect() if not r["entity_type"].startswith("partner_")}
    assert untouched == {
        ("b1", "d1", "ip", "198.51.100.4@2026-11-01"),
        ("b2", "d2", "payment_fingerprint", "pf-other"),
        ("b3", "d3", "user_agent", "pf-campaign"),
    }


def test_keyed_indicators_need_the_same_key(spark) -> None:
    memberships = _memberships(spark)
    other_key = with_shared_indicators(
        memberships, _indicators(b"another-labs-key-entirely"), TYPES, SCOPED_TYPES, KEY
    )
    no_key = with_shared_indicators(memberships, _indicators(KEY), TYPES, SCOPED_TYPES, None)

    # Only the plain address still matches.
    assert [a for a, _, _ in _matched(other_key)] == ["a1", "a2"]
    assert [a for a, _, _ in _matched(no_key)] == ["a1", "a2"]
    assert _matched(with_shared_indicators(memberships, [], TYPES, SCOPED_TYPES, KEY)) == []


def test_a_renamed_entity_weighs_and_counts_as_its_own_type() -> None:
    from features.coordination import ENTITY_FAMILIES, ENTITY_TYPE_WEIGHTS

    for entity_type, weight in list(ENTITY_TYPE_WEIGHTS.items()):
        if not entity_type.startswith("partner_"):
            assert ENTITY_TYPE_WEIGHTS[f"partner_{entity_type}"] == weight
            assert ENTITY_FAMILIES[f"partner_{entity_type}"] == ENTITY_FAMILIES[entity_type]
