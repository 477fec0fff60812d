"""What customers share: the customer x entity graph that dense blocks are found in.

``coordination_memberships`` lists, for the accounts active in the 7 days up
to D, every entity that can tie customers together (an org counts once; an
account without an org is its own customer), in three families:

| family | entity_type | value | scope |
| --- | --- | --- | --- |
| infrastructure | ``ip`` / ``datacenter_ip`` | egress address | per day |
| infrastructure | ``ip_prefix`` / ``datacenter_ip_prefix`` | /24 or /48 | per day |
| infrastructure | ``payment_fingerprint`` | the instrument | account snapshot |
| infrastructure | ``signup_ip`` | sign-up address | per ISO week of creation |
| infrastructure | ``email_domain`` | sign-up domain, webmail excluded | account snapshot |
| behaviour | ``burst`` | a 10-minute slot of a day when extraction traffic bursts | per day, content accounts only |
| behaviour | ``pivot`` | a newly seen model and the hour of first use | its first two days |
| behaviour | ``user_agent`` | client string | per week |
| content | ``system_prompt`` | sha256 | per week |
| content | ``template`` | LSH band of the prompt skeleton | per week |

Time scoping keeps coincidences from accumulating: two strangers who signed up
from one address two years apart, or who sent from one carrier NAT address on
different days, share nothing here.

**Synchrony** (SynchroTrap, CCS 2014; CopyCatch, WWW 2013) enters as shared
*bursts*. A scheduler that pushes a campaign's work through its accounts makes
them act in the same minutes, and with many accounts those minutes stand out:
in a 10-minute slot of a day, the number of accounts sending extraction content
jumps far above the slots around it (``burst_slots``: a Poisson excess over the
median of the neighbouring two hours on each side). Accounts acting in the same burst slots
are matched on time within the slot's width, and the dense-block search needs
many such matches, across days, to make a block: one coincidence is nothing.
Mere co-activity is not used: an active account shares slots with everyone, so
slot membership alone would measure activity, not synchrony. Ordinary users at
peak hours raise every slot of those hours alike, which is no burst.

No entity is ignored for being popular; ``features.dense_blocks`` weighs each by
``ENTITY_TYPE_WEIGHTS[type] / log(customers + 5)``. The type weights are priors
on how specific one shared entity of the type is before its popularity counts:
a payment card or a sign-up address held by two customers is rare by nature
(2.0 and 1.0), one exit address on one day is specific (1.0), a /24 or a
datacenter address is shared by design (0.5, 0.25), a client string or a burst
slot says little alone (0.25, 0.5) and gains weight only in numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import cast

import numpy as np
import pandas as pd
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from features import reference
from features.dense_blocks import DenseBlockParams, dense_blocks
from features.skew import salted_join

ENTITY_TYPE_WEIGHTS: dict[str, float] = {
    "payment_fingerprint": 2.0,
    "signup_ip": 1.0,
    "ip": 1.0,
    "ip_prefix": 0.5,
    "datacenter_ip": 0.5,
    "datacenter_ip_prefix": 0.25,
    "email_domain": 0.5,
    "system_prompt": 1.0,
    "template": 1.0,
    "burst": 0.5,
    "pivot": 1.0,
    "user_agent": 0.25,
}
ENTITY_FAMILIES: dict[str, str] = {
    "payment_fingerprint": "infrastructure",
    "signup_ip": "infrastructure",
    "ip": "infrastructure",
    "ip_prefix": "infrastructure",
    "datacenter_ip": "infrastructure",
    "datacenter_ip_prefix": "infrastructure",
    "email_domain": "infrastructure",
    "burst": "behaviour",
    "pivot": "behaviour",
    "user_agent": "behaviour",
    "system_prompt": "content",
    "template": "content",
}
MEMBERSHIP_COLUMNS = ("account_id", "customer_id", "entity_type", "entity_value")
# A "content account": at least this share of its week's requests is extraction-shaped
# (``content_share_7d``). A prior, not a fit (it was the slot threshold's value before it
# had a name): on tuning seeds 9101/9102 the ordinary populations' median own share is
# 0.05-0.09 (individuals, carrier and office customers, enterprises, agency clients,
# promo, OSS and batch users), so 0.2 is more than twice an ordinary week; the look-alikes
# (students 0.3-0.54, benchmark researchers, tutoring apps) are above it by design and
# are kept out by the coordination witnesses, not by this.
CONTENT_ACCOUNT_SHARE = 0.2


@dataclass(frozen=True)
class CoordinationParams:
    slot_minutes: int = 10
    # Accounts whose week is at least this share extraction content (mixed with ordinary
    # traffic or not) make the slot counts that bursts are measured in.
    slot_min_content_share: float = CONTENT_ACCOUNT_SHARE
    # A slot of a day is a burst when the content accounts active in it are at least
    # ``burst_ratio`` times, and ``burst_sigmas`` Poisson deviations above, the median
    # of the slots within ``burst_context_slots`` either side that day, and at least
    # ``burst_min_accounts``. Documented in ``burst_slots``.
    burst_context_slots: int = 12
    burst_ratio: float = 1.5
    burst_sigmas: float = 4.0
    burst_min_accounts: int = 5
    # ... and an account takes burst entities when at least this share of its active slots
    # of the week are bursts (it acts when the group acts, as a scheduler's worker does).
    # The slot width, context, ratio and share were chosen on the synthetic week of
    # tests/features/test_coordination.py (200 accounts at 2 requests a day in three short
    # windows among 2,000 ordinary content accounts: 10-minute slots and two hours of
    # context find 99% of the group and 0.25% of the others; 20-minute slots 76%), and the
    # evaluation's tuning seeds (bench/README.md), never on its evaluation seeds.
    burst_min_share: float = 0.4
    pivot_days: int = 2
    weights: dict[str, float] = field(default_factory=lambda: dict(ENTITY_TYPE_WEIGHTS))

    def __hash__(self) -> int:
        return hash((self.slot_minutes, self.burst_ratio, tuple(sorted(self.weights.items()))))


def coordination_memberships(
    activity_week: DataFrame,
    accounts: DataFrame,
    customers: DataFrame,
    content_accounts: DataFrame,
    new_models: DataFrame,
    day: date,
    params: CoordinationParams = CoordinationParams(),
) -> DataFrame:
    """``MEMBERSHIP_COLUMNS``, distinct, for accounts active in ``activity_week`` (D-6..D):
    ``memberships_by_day`` of one day, without its ``target`` key.

    ``accounts``: snapshot of D; ``customers``: account -> customer;
    ``content_accounts``: ``account_id`` of accounts whose week is extraction
    content (they take slot entities); ``new_models``: ``(model, first_seen)`` of
    models first seen recently (they take pivot entities).
    """

    def of_day(frame: DataFrame) -> DataFrame:
        return frame.withColumn("target", F.lit(day))

    return memberships_by_day(
        of_day(activity_week),
        accounts.withColumn("dt", F.lit(day)),
        of_day(customers),
        of_day(content_accounts),
        of_day(new_models),
        params,
    ).drop("target")


def memberships_by_day(
    activity_week: DataFrame,
    snapshots: DataFrame,
    customers: DataFrame,
    content_accounts: DataFrame,
    new_models: DataFrame,
    params: CoordinationParams = CoordinationParams(),
) -> DataFrame:
    """``target`` + ``MEMBERSHIP_COLUMNS``, distinct: for each target day T, the entities
    of the accounts active in T-6..T.

    Every input is keyed by its target day: ``activity_week`` holds the activity rows
    of each target's week (a row repeated for every target whose week covers it),
    ``target`` naming it; ``snapshots`` the account snapshot of each target (``dt``);
    ``customers`` ``(target, account_id, customer_id)``; ``content_accounts`` ``(target,
    account_id)``; ``new_models`` ``(target, model, first_seen)``. One plan then serves
    a backfill's batch of days, and gives each day what a plan of that day alone gives.
    """
    keys = ["target", "account_id"]

    def per_day(array_column: str, entity_type: str) -> DataFrame:
        return activity_week.select(
            *keys,
            F.lit(entity_type).alias("entity_type"),
            F.explode(
                F.transform(
                    array_column, lambda v: F.concat(v, F.lit("@"), F.col("dt").cast("string"))
                )
            ).alias("entity_value"),
        )

    def whole_week(array_column: str, entity_type: str) -> DataFrame:
        return activity_week.select(
            *keys,
            F.lit(entity_type).alias("entity_type"),
            F.explode(array_column).alias("entity_value"),
        )

    active = activity_week.select(*keys).distinct()
    snapshot = snapshots.withColumnRenamed("dt", "target").join(active, on=keys, how="left_semi")

    def from_snapshot(column, entity_type: str) -> DataFrame:
        return snapshot.select(
            *keys, F.lit(entity_type).alias("entity_type"), column.alias("entity_value")
        )

    email_domain = F.lower(F.trim("email_domain"))
    created_week = F.date_format(F.date_trunc("week", "created_at"), "yyyy-MM-dd")
    slots = content_slots(activity_week, content_accounts, params, by=("target",))
    bursts = burst_slots(slots, params, by=("target",)).withColumn("in_burst", F.lit(True))
    marked = slots.join(F.broadcast(bursts), on=["target", "dt", "slot"], how="left")
    # SynchroTrap's similarity is over the accounts' whole activity (matched actions over
    # all actions), so an account joins bursts only when most of its slots are bursts: a
    # busy user who is active in a burst slot among many others is not in step with it.
    in_step = (
        marked.groupBy(*keys)
        .agg(F.avg(F.coalesce("in_burst", F.lit(False)).cast("double")).alias("share"))
        .where(F.col("share") >= params.burst_min_share)
    )
    burst_members = (
        marked.where(F.col("in_burst"))
        .join(in_step, on=keys, how="left_semi")
        .select(
            *keys,
            F.lit("burst").alias("entity_type"),
            F.concat(F.col("dt").cast("string"), F.lit("@"), F.col("slot").cast("string")).alias(
                "entity_value"
            ),
        )
    )
    pivots = (
        activity_week.select(*keys, "dt", F.explode("model_first_minute").alias("model", "minute"))
        .join(F.broadcast(new_models), on=["target", "model"], how="inner")
        .where(F.datediff("dt", "first_seen").between(0, params.pivot_days - 1))
        .select(
            *keys,
            F.lit("pivot").alias("entity_type"),
            F.concat(
                F.col("model"),
                F.lit("@"),
                F.col("dt").cast("string"),
                F.lit("T"),
                (F.col("minute") / 60).cast("int").cast("string"),
            ).alias("entity_value"),
        )
    )
    parts = [
        per_day("ips", "ip"),
        per_day("datacenter_ips", "datacenter_ip"),
        per_day("ip_prefixes", "ip_prefix"),
        per_day("datacenter_ip_prefixes", "datacenter_ip_prefix"),
        whole_week("system_prompt_hashes", "system_prompt"),
        whole_week("template_buckets", "template"),
        whole_week("user_agents", "user_agent"),
        from_snapshot(F.col("payment_fingerprint"), "payment_fingerprint"),
        from_snapshot(
            F.when(
                F.col("signup_ip").isNotNull(),
                F.concat(F.col("signup_ip"), F.lit("@"), created_week),
            ),
            "signup_ip",
        ),
        from_snapshot(
            F.when(~email_domain.isin(*sorted(reference.WEBMAIL_DOMAINS)), email_domain),
            "email_domain",
        ),
        burst_members,
        pivots,
    ]
    union = parts[0]
    for part in parts[1:]:
        union = union.unionByName(part)
    return (
        union.where(F.col("entity_value").isNotNull() & (F.col("entity_value") != ""))
        .join(customers, on=keys, how="inner")
        .select("target", *MEMBERSHIP_COLUMNS)
        .distinct()
    )


def shared_memberships(memberships: DataFrame, by: tuple[str, ...] = ()) -> DataFrame:
    """Only the memberships of entities held by two or more customers (the only ones that
    link); ``by``: key columns (a target day) within which entities are counted."""
    entity = [*by, "entity_type", "entity_value"]
    shared = (
        memberships.groupBy(*entity)
        .agg(F.countDistinct("customer_id").alias("customers"))
        .where(F.col("customers") >= 2)
    )
    # Salted: a hydra's shared entity (its pool's exits, its system prompt) is held by
    # thousands of accounts, and a plain join by entity puts all of them in one task.
    return salted_join(memberships, shared, on=entity, spread_by="account_id", how="left_semi")


def recent_models(
    first_seen: DataFrame, day: date | Column, days: int, history_start: date
) -> DataFrame:
    """``(model, first_seen)`` of models first seen in D-days+1..D and after the lake began
    (``day``: D, or a column of target days that ``first_seen`` is keyed by)."""
    return first_seen.where(
        (F.col("first_seen") >= F.date_sub(F.lit(day), days - 1))
        & (F.col("first_seen") > F.lit(history_start))
    )


BLOCK_ENTITY_COLUMNS = ("component", "entity_type", "entity_value", "customers", "weight")
MEMBER_WEIGHT_COLUMNS = (
    "customer_id",
    "member_block_weight",
    "member_infrastructure_weight",
    "member_block_families",
)
MEMBER_WEIGHT_SCHEMA = (
    "customer_id string, member_block_weight double, member_infrastructure_weight double, "
    "member_block_families long"
)


BLOCK_SCHEMAS = (
    "node string, component string",
    "component string, cluster_block_density double, cluster_entity_families long",
    "component string, entity_type string, entity_value string, customers long, weight double",
    MEMBER_WEIGHT_SCHEMA,
)


def find_clusters(
    shared: DataFrame, params: CoordinationParams, blocks: DenseBlockParams
) -> tuple[DataFrame, DataFrame, DataFrame, DataFrame]:
    """Dense blocks of the shared memberships as clusters: ``(components, stats, entities,
    member_weights)``.

    ``components``: ``(node, component)`` with node a customer (the shape
    ``features.clusters.assign_cluster_ids`` names); ``stats``: ``(component,
    cluster_block_density, cluster_entity_families)``; ``entities``:
    ``BLOCK_ENTITY_COLUMNS``, the shared entities that formed each block (what a
    reviewer is shown as the links); ``member_weights``: ``MEMBER_WEIGHT_COLUMNS``,
    what each member itself shares inside its block (``member_weights``). A
    component id is the block's smallest customer, deterministic for a rerun.
    Only the shared memberships reach the driver (Arrow), a few hundred thousand
    rows on a million-request day; ``cluster_frames`` is the driver's part.
    """
    spark = shared.sparkSession
    frame = shared.select("customer_id", "entity_type", "entity_value").toPandas()
    found = cluster_frames(frame, params, blocks)
    return cast(
        tuple[DataFrame, DataFrame, DataFrame, DataFrame],
        tuple(
            spark.createDataFrame(part, schema)
            for part, schema in zip(found, BLOCK_SCHEMAS, strict=True)
        ),
    )


def cluster_frames(
    frame: pd.DataFrame, params: CoordinationParams, blocks: DenseBlockParams
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """``find_clusters`` of shared memberships held on the driver (``customer_id,
    entity_type, entity_value``), as pandas frames of the same columns."""
    members, entities = dense_blocks(frame, params.weights, blocks)
    if members.empty:
        return (
            pd.DataFrame(columns=["node", "component"]),
            pd.DataFrame(columns=["component", "cluster_block_density", "cluster_entity_families"]),
            pd.DataFrame(columns=list(BLOCK_ENTITY_COLUMNS)),
            pd.DataFrame(columns=list(MEMBER_WEIGHT_COLUMNS)),
        )
    weights = member_weights(frame, members, entities)
    component = members.groupby("block")["customer_id"].min().rename("component")
    members = members.join(component, on="block")
    entities = entities.join(component, on="block")
    entities["family"] = entities["entity_type"].map(ENTITY_FAMILIES).fillna("other")
    families = entities.groupby("component")["family"].nunique().rename("cluster_entity_families")
    stats = (
        members.groupby("component")["block_density"]
        .first()
        .rename("cluster_block_density")
        .to_frame()
        .join(families)
        .reset_index()
    )
    stats["cluster_entity_families"] = stats["cluster_entity_families"].fillna(0).astype("int64")
    return (
        members[["customer_id", "component"]].rename(columns={"customer_id": "node"}),
        stats[["component", "cluster_block_density", "cluster_entity_families"]],
        entities[list(BLOCK_ENTITY_COLUMNS)].astype({"customers": "int64", "weight": "float64"}),
        weights[list(MEMBER_WEIGHT_COLUMNS)],
    )


def member_weights(
    memberships: pd.DataFrame, members: pd.DataFrame, entities: pd.DataFrame
) -> pd.DataFrame:
    """What each block member itself shares inside its block: ``MEMBER_WEIGHT_COLUMNS``.

    A block's density is an average: a proxy pool's block can take in a carrier's
    customers who touched a few of its exits, a tutoring app behind the same cloud
    egress, and every one of them would read the pool's density as its own. The
    member's weight is the sum of the weights of the block's entities *it* holds
    (``features.dense_blocks`` column weights), in total and from infrastructure
    alone, and ``member_block_families`` counts the entity families among them
    (infrastructure, behaviour, content): one family is one kind of coincidence,
    three are a network.
    """
    held = (
        memberships[["customer_id", "entity_type", "entity_value"]]
        .astype({"entity_value": str})
        .drop_duplicates()
    )
    inside = held.merge(members[["block", "customer_id"]], on="customer_id").merge(
        entities[["block", "entity_type", "entity_value", "weight"]],
        on=["block", "entity_type", "entity_value"],
    )
    inside["family"] = inside["entity_type"].map(ENTITY_FAMILIES).fillna("other")
    inside["infrastructure"] = np.where(inside["family"] == "infrastructure", inside["weight"], 0.0)
    per_member = inside.groupby("customer_id").agg(
        member_block_weight=("weight", "sum"),
        member_infrastructure_weight=("infrastructure", "sum"),
        member_block_families=("family", "nunique"),
    )
    weights = (
        members[["customer_id"]]
        .drop_duplicates()
        .join(per_member, on="customer_id")
        .fillna({"member_block_weight": 0.0, "member_infrastructure_weight": 0.0})
    )
    weights["member_block_families"] = weights["member_block_families"].fillna(0).astype("int64")
    return weights


def content_slots(
    activity_week: DataFrame,
    content_accounts: DataFrame,
    params: CoordinationParams,
    by: tuple[str, ...] = (),
) -> DataFrame:
    """``(*by, account_id, dt, slot)``: the slots content accounts were active in, distinct
    (``by``: key columns both frames carry, a target day)."""
    width = params.slot_minutes
    return (
        activity_week.join(content_accounts, on=[*by, "account_id"], how="left_semi")
        .select(
            *by,
            "account_id",
            "dt",
            F.explode(
                F.array_distinct(F.transform("active_minutes", lambda m: (m / width).cast("int")))
            ).alias("slot"),
        )
        .distinct()
    )


def burst_slots(
    slots: DataFrame, params: CoordinationParams, by: tuple[str, ...] = ()
) -> DataFrame:
    """``(*by, dt, slot)`` of the day-slots in which content accounts burst (``by``: key
    columns of ``slots``, a target day, each key's slots measured on their own).

    ``n`` accounts active in the slot against ``b``, the larger of the median counts
    of the ``burst_context_slots`` slots before it and of those after it (the same
    day; missing slots count 0), so a burst stands out from both sides: the start
    of a working day or a two-hour lunch peak rises above one side only. A burst
    when ``n >= burst_ratio * b``, ``n >= b + burst_sigmas * sqrt(max(b,
    1))`` (a Poisson excess that chance traffic reaches about once in tens of
    thousands of slots) and ``n >= burst_min_accounts``. The counts are a few
    hundred rows a week, decided on the driver.
    """
    import numpy as np
    import pandas as pd

    spark = slots.sparkSession
    counts = cast(
        pd.DataFrame,
        slots.groupBy(*by, "dt", "slot").agg(F.countDistinct("account_id").alias("n")).toPandas(),
    )
    per_day = 24 * 60 // params.slot_minutes
    bursts: list[tuple] = []
    for key, group in counts.groupby([*by, "dt"]):
        n = np.zeros(per_day)
        n[group["slot"].to_numpy(dtype=int)] = group["n"].to_numpy()
        k = params.burst_context_slots
        for slot in np.flatnonzero(n >= params.burst_min_accounts):
            left, right = n[max(0, slot - k) : slot], n[slot + 1 : slot + 1 + k]
            baseline = max(
                float(np.median(left)) if left.size else 0.0,
                float(np.median(right)) if right.size else 0.0,
            )
            if n[slot] >= params.burst_ratio * baseline and n[
                slot
            ] >= baseline + params.burst_sigmas * np.sqrt(max(baseline, 1.0)):
                bursts.append((*key, int(slot)))
    schema = ", ".join(
        [*(f"{name} {dict(slots.dtypes)[name]}" for name in by), "dt date", "slot int"]
    )
    return spark.createDataFrame(bursts, schema)
