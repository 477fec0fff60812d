"""A partner's shared indicators: which of the day's own entities they name.

A partner lab that confirmed a campaign shares its indicators (exit addresses
and prefixes, e-mail domains, and keyed hashes of payment fingerprints, system
prompts and template signatures; ``review.indicators``). Here the day's own
entities are put in the same comparable form (``lakeio.indicators`` says how:
the indicator type, the value without its time scope, a keyed hash for the
keyed types) and joined with the indicators: ``indicator_matches`` gives, for
every entity an indicator names, the indicator's label
``<partner>:<type>:<indicator id>``. The features job shows each clustered
account's matches to reviewers as ``partner_indicator`` links (so "every
member behind this partner's indicator" is one decision), beside the entities
that tied it into its cluster.

The match names entities; it does not reweigh them or add edges to the link
graph. Measured on a replayed simulated day: a partner's exit address weighed
as a card (2.0) pulled into a block the legitimate customers who had shared
that exit on that day (two columns with the campaign: the address and its
/24), which the day's own links had left out. A partner's confirmation that a
campaign used an exit says nothing about the exit's other users; the accounts
that hold the entity are linked by it exactly as before.

The keyed hash is HMAC-SHA256 (RFC 2104) computed with Spark's own functions,
``sha2(K xor opad || unhex(sha2(K xor ipad || message)))``, so no Python worker
runs and the result equals ``hmac.new(key, message, sha256)`` bit for bit. Only
the distinct entities of the indicator types in use are hashed, and the
indicators themselves are a broadcast side. Addresses are compared as text,
exactly: a partner's ``/24`` matches our ``/24`` of the same network (the only
prefix lengths the features job forms are /24 and /48), not the addresses in
it, and an address written differently (IPv6 case, an IPv4-mapped form) does
not match.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Mapping, Sequence
from typing import NamedTuple

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

PARTNER_LINK = "partner_indicator"  # the link type reviewers see for a match


class IndicatorRow(NamedTuple):
    indicator_type: str
    value: str  # the value itself, or its keyed hash (hex) when ``keyed``
    keyed: bool
    label: str  # the entity value of a match: ``<partner>:<type>:<indicator id>``


_BLOCK = 64  # SHA-256's block size in bytes


def hmac_sha256_hex(message: Column, key: bytes) -> Column:
    """HMAC-SHA256 of a string column under ``key``, as lower-case hex (Spark built-ins only)."""
    if len(key) > _BLOCK:
        key = hashlib.sha256(key).digest()
    key = key.ljust(_BLOCK, b"\x00")
    inner_pad = bytearray(b ^ 0x36 for b in key)
    outer_pad = bytearray(b ^ 0x5C for b in key)
    inner = F.unhex(F.sha2(F.concat(F.lit(inner_pad), F.encode(message, "UTF-8")), 256))
    return F.sha2(F.concat(F.lit(outer_pad), inner), 256)


def indicator_matches(
    memberships: DataFrame,
    indicators: Sequence[IndicatorRow],
    shared_types: Mapping[str, tuple[str, bool]],
    scoped_types: Collection[str],
    sharing_key: bytes | None,
) -> DataFrame | None:
    """``(entity_type, entity_value, label)`` of the entities an indicator names, or None.

    ``memberships``: ``(account_id, customer_id, entity_type, entity_value)``;
    ``indicators``: the partners' indicators (a few thousand rows, read on the
    driver); ``shared_types``: entity type -> (indicator type, keyed);
    ``scoped_types``: entity types whose value ends in ``@<scope>``. Without a
    key the keyed indicators cannot match, and only the plain ones are used;
    None when no indicator can match. One row per (entity, indicator): an
    entity two partners shared gives both.
    """
    spark = memberships.sparkSession
    in_use = {row.indicator_type for row in indicators if sharing_key is not None or not row.keyed}
    types = [
        (entity_type, indicator_type, keyed)
        for entity_type, (indicator_type, keyed) in sorted(shared_types.items())
        if indicator_type in in_use
    ]
    if not types:
        return None
    mapping = spark.createDataFrame(
        types, "entity_type string, indicator_type string, keyed boolean"
    )
    shared = spark.createDataFrame(
        [
            (row.indicator_type, row.value, row.keyed, row.label)
            for row in indicators
            if row.indicator_type in in_use
        ],
        "indicator_type string, value string, keyed boolean, label string",
    )
    scoped = F.col("entity_type").isin(*sorted(scoped_types))
    plain = F.when(scoped, F.regexp_replace("entity_value", "@[^@]*$", "")).otherwise(
        F.col("entity_value")
    )
    message = F.concat(F.col("indicator_type"), F.lit("\n"), F.col("plain"))
    entities = (
        memberships.select("entity_type", "entity_value")
        .distinct()
        .join(F.broadcast(mapping), on="entity_type", how="inner")
        .withColumn("plain", plain)
        .withColumn(
            "value",
            F.when(F.col("keyed"), hmac_sha256_hex(message, sharing_key or b""))
            .otherwise(F.col("plain")),
        )
    )  # fmt: skip
    return (
        entities.join(F.broadcast(shared), on=["indicator_type", "value", "keyed"], how="inner")
        .select("entity_type", "entity_value", "label")
        .distinct()
    )
