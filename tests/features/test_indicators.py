"""A partner's indicators matched against the day's own entities, on inline rows."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from features.indicators import IndicatorRow, hmac_sha256_hex, indicator_matches
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


def _matched(memberships, indicators, key) -> list[tuple[str, str, str]]:
    matches = indicator_matches(memberships, indicators, TYPES, SCOPED_TYPES, key)
    return [] if matches is None else sorted(tuple(r) for r in matches.collect())


def test_the_entities_a_shared_indicator_names_are_found(spark) -> None:
    memberships = _memberships(spark)
    # A second partner shared the same address: the entity is named by both.
    indicators = [
        *_indicators(KEY),
        IndicatorRow("ip", "203.0.113.7", False, "lab-c:ip:indicator--9"),
    ]

    assert _matched(memberships, indicators, KEY) == [
        ("datacenter_ip", "203.0.113.7@2026-11-02", "lab-a:ip:indicator--1"),
        ("datacenter_ip", "203.0.113.7@2026-11-02", "lab-c:ip:indicator--9"),
        ("ip", "203.0.113.7@2026-11-01", "lab-a:ip:indicator--1"),
        ("ip", "203.0.113.7@2026-11-01", "lab-c:ip:indicator--9"),
        ("payment_fingerprint", "pf-campaign", "lab-a:payment_fingerprint:indicator--2"),
        ("system_prompt", "ab" * 32, "lab-a:system_prompt_hash:indicator--3"),
    ]


def test_keyed_indicators_need_the_same_key(spark) -> None:
    memberships = _memberships(spark)
    other_key = _matched(memberships, _indicators(b"another-labs-key-entirely"), KEY)
    no_key = _matched(memberships, _indicators(KEY), None)

    # Only the plain address still matches (on both days it was used).
    assert [label for _, _, label in other_key] == ["lab-a:ip:indicator--1"] * 2
    assert no_key == other_key
    assert _matched(memberships, [], KEY) == []
