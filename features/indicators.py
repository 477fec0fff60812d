"""A partner's shared indicators as a linking entity: who on our side matches them.

A partner lab that confirmed a campaign shares its indicators (exit addresses
and prefixes, e-mail domains, and keyed hashes of payment fingerprints, system
prompts and template signatures; ``review.indicators``). Here the day's own
entities are put in the same comparable form (``lakeio.indicators`` says how:
the indicator type, the value without its time scope, a keyed hash for the
keyed types) and joined with the indicators. An entity of type ``T`` that
matches indicator ``I`` becomes the entity ``partner_T`` =
``<partner>:<type>:<I>`` (with the entity's own time scope): the accounts that
hold it are linked by it as before, and a reviewer sees which partner's
indicator tied them (``with_shared_indicators`` says why it is renamed and not
reweighed).

The keyed hash is HMAC-SHA256 (RFC 2104) computed with Spark's own functions,
``sha2(K xor opad || unhex(sha2(K xor ipad || message)))``, so no Python worker
runs and the result equals ``hmac.new(key, message, sha256)`` bit for bit. Only
the distinct entities of the indicator types in use are hashed, and the
indicators themselves are a broadcast side.
Addresses are compared exactly: a partner's ``/24`` matches our ``/24`` of the
same network (the only prefix lengths the features job forms are /24 and /48),
not the addresses inside it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Mapping, Sequence
from typing import NamedTuple

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

# A matched entity's type becomes ``partner_<its type>`` (``partner_ip``, ...): weighed
# and counted as its own type (features.coordination), named by the partner's indicator.
PARTNER_PREFIX = "partner_"


def own_type(entity_type: Column) -> Column:
    """The entity type a partner's indicator renamed (the type itself when none did)."""
    return F.regexp_replace(entity_type, f"^{PARTNER_PREFIX}", "")


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


def with_shared_indicators(
    memberships: DataFrame,
    indicators: Sequence[IndicatorRow],
    shared_types: Mapping[str, tuple[str, bool]],
    scoped_types: Collection[str],
    sharing_key: bytes | None,
) -> DataFrame:
    """``memberships`` with every entity that matches an indicator renamed by the indicator.

    ``memberships``: ``(account_id, customer_id, entity_type, entity_value)``;
    ``indicators``: the partners' indicators (a few thousand rows, read on the
    driver); ``shared_types``: entity type -> (indicator type, keyed);
    ``scoped_types``: entity types whose value ends in ``@<scope>``. Without a
    key the keyed indicators cannot match, and only the plain ones are used.

    A matched entity is *renamed*, neither added to nor reweighed: its holders'
    membership becomes ``partner_<type>`` = ``<label>[@<scope>]``, keeping the
    entity's time scope, and ``features.coordination`` weighs and counts it as
    its own type. The link graph is the one the day's own data makes. Measured
    on a replayed simulated day: weighed as a card (2.0), a partner's exit
    address pulled into a block the legitimate customers who shared that exit
    on that day (they had two columns with the campaign: the address and its
    /24), which the day's own links had left out. A partner's confirmation that
    a campaign used an exit says nothing about the exit's other users; what it
    adds is the name (who saw it, which indicator), shown to reviewers as the
    member's link and in the cluster's entities.
    """
    matches = indicator_matches(memberships, indicators, shared_types, scoped_types, sharing_key)
    if matches is None:
        return memberships
    return (
        memberships.join(F.broadcast(matches), on=["entity_type", "entity_value"], how="left")
        .select(
            "account_id",
            "customer_id",
            F.when(
                F.col("indicator_value").isNotNull(),
                F.concat(F.lit(PARTNER_PREFIX), F.col("entity_type")),
            )
            .otherwise(F.col("entity_type"))
            .alias("entity_type"),
            F.coalesce("indicator_value", "entity_value").alias("entity_value"),
        )
    )  # fmt: skip


def indicator_matches(
    memberships: DataFrame,
    indicators: Sequence[IndicatorRow],
    shared_types: Mapping[str, tuple[str, bool]],
    scoped_types: Collection[str],
    sharing_key: bytes | None,
) -> DataFrame | None:
    """``(entity_type, entity_value, indicator_value)`` of the entities that match, or None.

    One row per matching (entity, indicator): an entity two partners shared
    gives both.
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
    scope = F.when(scoped, F.regexp_extract("entity_value", "(@[^@]*)$", 1)).otherwise(F.lit(""))
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
    return entities.join(
        F.broadcast(shared), on=["indicator_type", "value", "keyed"], how="inner"
    ).select("entity_type", "entity_value", F.concat("label", scope).alias("indicator_value"))
