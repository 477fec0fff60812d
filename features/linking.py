"""Link customers into a graph through the entities their accounts share.

Nodes are *customers*, not accounts: an org's accounts are one customer (an
enterprise with 200 keys is one buyer, not a campaign), an account without an
org is its own customer. ``entity_memberships`` lists, for accounts active in
the 7 days up to D, every entity that can tie them to someone else:

| entity_type | value | source |
| --- | --- | --- |
| ``ip`` / ``datacenter_ip`` | egress IP ``@`` day used | requests (same day only) |
| ``ip_prefix`` / ``datacenter_ip_prefix`` | /24 or /48 ``@`` day | requests |
| ``payment_fingerprint`` | fingerprint | account snapshot |
| ``signup_ip`` | IP | account snapshot |
| ``email_domain`` | sign-up domain, webmail excluded | account snapshot |
| ``system_prompt`` | sha256 of the system prompt | requests, 7 days |
| ``template`` | LSH band of the prompt-template skeleton | requests, 7 days |
| ``synchrony`` | LSH band of the active-minute set ``@`` day | requests |

Specificity: an entity shared by ``n`` customers weighs ``rule.weight`` while
``n <= rule.free_customers`` and decays as ``log(free+1)/log(n+1)`` beyond; one
shared by more than ``rule.max_customers`` (cloud egress, a popular SDK default
prompt) is ignored. Datacenter IPs carry a low weight because many tenants share
them. A customer pair's score is the sum over entity types of its strongest
shared entity of that type; pairs scoring at least ``link_threshold`` are edges.
So one strong specific entity (a payment fingerprint) links alone, while weak
ones (a residential IP, synchronised minutes) need corroboration.

No group is expanded into all its pairs unless it has at most ``pair_limit``
customers; a bigger group links every member to its smallest customer (a star),
which keeps connectivity at linear cost. Evidence of two large groups adds up
on a star edge only when they share that smallest customer; that is the price
of never materialising quadratic pairs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from features import reference


@dataclass(frozen=True)
class EntityRule:
    weight: float
    free_customers: int
    max_customers: int


DEFAULT_ENTITY_RULES: dict[str, EntityRule] = {
    # A payment instrument shared across customers has no ordinary explanation.
    "payment_fingerprint": EntityRule(
        weight=1.5, free_customers=1_000_000, max_customers=1_000_000
    ),
    "signup_ip": EntityRule(weight=1.0, free_customers=10, max_customers=500),
    "system_prompt": EntityRule(weight=1.0, free_customers=20, max_customers=500),
    "template": EntityRule(weight=0.7, free_customers=20, max_customers=2_000),
    "email_domain": EntityRule(weight=0.5, free_customers=5, max_customers=50),
    "ip": EntityRule(weight=0.6, free_customers=10, max_customers=300),
    "ip_prefix": EntityRule(weight=0.3, free_customers=10, max_customers=300),
    "synchrony": EntityRule(weight=0.6, free_customers=50, max_customers=2_000),
    "datacenter_ip": EntityRule(weight=0.2, free_customers=5, max_customers=50),
    "datacenter_ip_prefix": EntityRule(weight=0.1, free_customers=5, max_customers=50),
}


@dataclass(frozen=True)
class LinkingParams:
    rules: dict[str, EntityRule] = field(default_factory=lambda: dict(DEFAULT_ENTITY_RULES))
    link_threshold: float = 1.0
    pair_limit: int = 25

    def __hash__(self) -> int:  # frozen with a dict field: hash by content
        return hash((tuple(sorted(self.rules.items())), self.link_threshold, self.pair_limit))


MEMBERSHIP_COLUMNS = ("account_id", "customer_id", "entity_type", "entity_value")


def entity_memberships(
    activity_week: DataFrame, accounts: DataFrame, customers: DataFrame
) -> DataFrame:
    """``(account_id, customer_id, entity_type, entity_value)``, distinct.

    ``activity_week`` holds the activity rows of D-6..D; ``accounts`` the
    snapshot of D; ``customers`` maps account to customer.
    """

    def per_day(array_column: str, entity_type: str) -> DataFrame:
        return activity_week.select(
            "account_id",
            F.lit(entity_type).alias("entity_type"),
            F.explode(
                F.transform(
                    array_column, lambda v: F.concat(v, F.lit("@"), F.col("dt").cast("string"))
                )
            ).alias("entity_value"),
        )

    def whole_week(array_column: str, entity_type: str) -> DataFrame:
        return activity_week.select(
            "account_id",
            F.lit(entity_type).alias("entity_type"),
            F.explode(array_column).alias("entity_value"),
        )

    active_accounts = activity_week.select("account_id").distinct()
    snapshot = accounts.join(active_accounts, on="account_id", how="left_semi")

    def from_snapshot(column, entity_type: str) -> DataFrame:
        return snapshot.select(
            "account_id", F.lit(entity_type).alias("entity_type"), column.alias("entity_value")
        )

    email_domain = F.lower(F.trim("email_domain"))
    parts = [
        per_day("ips", "ip"),
        per_day("datacenter_ips", "datacenter_ip"),
        per_day("ip_prefixes", "ip_prefix"),
        per_day("datacenter_ip_prefixes", "datacenter_ip_prefix"),
        per_day("sync_bands", "synchrony"),
        whole_week("system_prompt_hashes", "system_prompt"),
        whole_week("template_buckets", "template"),
        from_snapshot(F.col("payment_fingerprint"), "payment_fingerprint"),
        from_snapshot(F.col("signup_ip"), "signup_ip"),
        from_snapshot(
            F.when(~email_domain.isin(*sorted(reference.WEBMAIL_DOMAINS)), email_domain),
            "email_domain",
        ),
    ]
    union = parts[0]
    for part in parts[1:]:
        union = union.unionByName(part)
    return (
        union.where(F.col("entity_value").isNotNull() & (F.col("entity_value") != ""))
        .join(customers, on="account_id", how="inner")
        .select(*MEMBERSHIP_COLUMNS)
        .distinct()
    )


def entity_specificity(memberships: DataFrame, params: LinkingParams) -> DataFrame:
    """Per shared entity: accounts, customers, weight and whether it links.

    Only entities of two or more customers are returned (an entity within one
    customer links nobody). ``linking`` is false for types without a rule and
    for entities shared by more than the rule's ``max_customers``.
    """
    spark = memberships.sparkSession
    rules = spark.createDataFrame(
        [
            (name, float(rule.weight), int(rule.free_customers), int(rule.max_customers))
            for name, rule in sorted(params.rules.items())
        ],
        "entity_type string, base_weight double, free_customers long, max_customers long",
    )
    counted = (
        memberships.groupBy("entity_type", "entity_value")
        .agg(
            F.countDistinct("account_id").alias("accounts"),
            F.countDistinct("customer_id").alias("customers"),
        )
        .where(F.col("customers") >= 2)
        .join(F.broadcast(rules), on="entity_type", how="left")
    )
    decay = F.when(F.col("customers") <= F.col("free_customers"), F.lit(1.0)).otherwise(
        F.log(F.col("free_customers") + 1) / F.log(F.col("customers") + 1)
    )
    return counted.select(
        "entity_type",
        "entity_value",
        F.col("accounts").cast("long").alias("accounts"),
        F.col("customers").cast("long").alias("customers"),
        F.coalesce(F.col("base_weight") * decay, F.lit(0.0)).alias("weight"),
        (F.col("base_weight").isNotNull() & (F.col("customers") <= F.col("max_customers"))).alias(
            "linking"
        ),
    )


LINK_COLUMNS = (
    "src_customer_id",
    "dst_customer_id",
    "src_account_id",
    "dst_account_id",
    "entity_type",
    "entity_value",
    "weight",
    "pair_score",
)


def customer_links(
    memberships: DataFrame, specificity: DataFrame, params: LinkingParams
) -> DataFrame:
    """Customer pairs whose score reaches ``link_threshold``, one row per entity type.

    Each row names the pair (``src_customer_id < dst_customer_id``), a
    representative account of each side (its smallest account in the entity),
    the strongest entity of that type they share, its weight and the pair's
    total score.
    """
    linking = specificity.where("linking").select(
        "entity_type", "entity_value", "customers", "weight"
    )
    members = (
        memberships.join(linking, on=["entity_type", "entity_value"], how="inner")
        .groupBy("entity_type", "entity_value", "customer_id", "customers", "weight")
        .agg(F.min("account_id").alias("account_id"))
    )
    small = members.where(F.col("customers") <= params.pair_limit)
    left = small.select(
        "entity_type",
        "entity_value",
        "weight",
        F.col("customer_id").alias("src_customer_id"),
        F.col("account_id").alias("src_account_id"),
    )
    right = small.select(
        "entity_type",
        "entity_value",
        F.col("customer_id").alias("dst_customer_id"),
        F.col("account_id").alias("dst_account_id"),
    )
    pairs = left.join(right, on=["entity_type", "entity_value"], how="inner").where(
        F.col("src_customer_id") < F.col("dst_customer_id")
    )
    large = members.where(F.col("customers") > params.pair_limit)
    anchors = large.groupBy("entity_type", "entity_value").agg(
        F.min(F.struct("customer_id", "account_id")).alias("anchor")
    )
    stars = (
        large.join(anchors, on=["entity_type", "entity_value"], how="inner")
        .where(F.col("customer_id") != F.col("anchor.customer_id"))
        .select(
            "entity_type",
            "entity_value",
            "weight",
            F.col("anchor.customer_id").alias("src_customer_id"),
            F.col("anchor.account_id").alias("src_account_id"),
            F.col("customer_id").alias("dst_customer_id"),
            F.col("account_id").alias("dst_account_id"),
        )
    )
    candidates = pairs.unionByName(stars)
    # The strongest entity of each type per pair; ties broken by value for determinism.
    per_type = candidates.groupBy("src_customer_id", "dst_customer_id", "entity_type").agg(
        F.max(
            F.struct(
                "weight",
                F.col("entity_value"),
                F.col("src_account_id"),
                F.col("dst_account_id"),
            )
        ).alias("best")
    )
    scored = per_type.groupBy("src_customer_id", "dst_customer_id").agg(
        F.sum("best.weight").alias("pair_score")
    )
    return (
        per_type.join(scored, on=["src_customer_id", "dst_customer_id"], how="inner")
        # The small tolerance keeps a sum like 0.7 + 0.3 from missing 1.0 by rounding.
        .where(F.col("pair_score") >= params.link_threshold - 1e-9)
        .select(
            "src_customer_id",
            "dst_customer_id",
            F.col("best.src_account_id").alias("src_account_id"),
            F.col("best.dst_account_id").alias("dst_account_id"),
            "entity_type",
            F.col("best.entity_value").alias("entity_value"),
            F.col("best.weight").alias("weight"),
            "pair_score",
        )
    )


def specificity_weight(rule: EntityRule, customers: int) -> float:
    """The same decay as ``entity_specificity``, in Python, for tests and docs."""
    if customers <= rule.free_customers:
        return rule.weight
    return rule.weight * math.log(rule.free_customers + 1) / math.log(customers + 1)
