"""Hydra clusters: stable ids, cluster and cohort features, analyst evidence.

``assign_cluster_ids`` names each connected component of the customer graph.
A component that holds accounts of yesterday's clusters inherits an id: every
previous cluster goes to the component holding most of its accounts, and a
component that wins several (two clusters merged) keeps the larger, then the
older (``first_seen``), then the smaller id. Other components get a new id
``hc-<yyyymmdd>-<sha256(smallest customer) prefix>``, deterministic so a rerun of
the day names them the same.

``cluster_features`` joins each account's group features back onto it; the
group is its hydra cluster, or its own customer when it is linked to nobody.
``cohort_features`` finds accounts created together (same hour, same signup
/24 or /48) or woken together (created the same day, woken the same day after
14+ dormant days) and measures whether they act in the same minutes.

``cluster_evidence`` is the analyst table ``features/clusters/dt=D`` with one
row per hydra cluster: hydra_cluster_id, first_seen (date), accounts_count,
customers_count, requests_1d, output_tokens_1d, top_entities (array of struct
entity_type, entity_value, accounts: the entities shared by most of the
cluster's accounts, at most 5), hourly_requests (array of 24 longs, UTC hours of
day D), sample_prompts (up to 5, a deterministic pseudo-random pick of day D's
prompts), sample_system_prompts (the 3 most used on day D), and the group-level
cluster features (``CLUSTER_GROUP_FEATURES``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import date

import pandas as pd
from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from features.account import HOURS
from features.coordination import CONTENT_ACCOUNT_SHARE, MEMBER_WEIGHT_SCHEMA
from features.skew import salted_join

WAKE_DORMANT_DAYS = 14
SAMPLE_PROMPTS = 5
# Buckets the sample is drawn from (a few per sample, so that small clusters still fill it).
SAMPLE_BUCKETS = 4 * SAMPLE_PROMPTS
SAMPLE_SYSTEM_PROMPTS = 3
TOP_ENTITIES = 5
IP_ENTITY_TYPES = ("ip", "ip_prefix", "datacenter_ip", "datacenter_ip_prefix")

CLUSTER_GROUP_FEATURES: tuple[str, ...] = (
    "cluster_customers_count",
    "cluster_accounts_count",
    "cluster_output_tokens_sum_1d",
    "cluster_volume_cv_1d",
    "cluster_creation_burst_share",
    "cluster_shared_payment_share",
    "cluster_shared_ip_share",
    "cluster_template_overlap",
    "cluster_synchrony_score",
    "cluster_cot_share",
    "cluster_country_count",
    "cluster_asn_count",
    "cluster_growth_ratio_1d",
    "cluster_block_density",
    "cluster_entity_families",
    "cluster_content_share",
    "cluster_egress_asns_mean",
    "cluster_new_model_share",
)
MEMBER_COLUMNS = ("hydra_cluster_id", "account_id", "customer_id", "first_seen")
# The account's own part in its cluster (``cluster_features``).
MEMBER_FEATURES: tuple[str, ...] = (
    "member_block_weight",
    "member_infrastructure_weight",
    "member_block_families",
    "member_synced_slots_7d",
)
# What the other customers holding the account's payment instrument do (``payment_peers``).
PAYMENT_PEER_FEATURES: tuple[str, ...] = (
    "payment_peer_customers",
    "payment_peer_content_share",
)
# Who else sends from the account's exits (``egress_fleet``).
EGRESS_FLEET_FEATURES: tuple[str, ...] = ("egress_fleet_share_7d",)
# Exit addresses as ``features.coordination`` lists them: one address on one day.
EGRESS_ENTITY_TYPES: tuple[str, ...] = ("ip", "datacenter_ip")
# An exit-day is a fleet's when at least this many *other* customers sent from it (with the
# account, a multi-customer group: ``models.cluster_evidence.MIN_CLUSTER_CUSTOMERS``) and
# at least half of them (``EGRESS_FLEET_MAJORITY``) are content accounts.
EGRESS_FLEET_MIN_OTHERS = 2
EGRESS_FLEET_MAJORITY = 0.5


ASSIGNMENT_SCHEMA = "customer_id string, hydra_cluster_id string, first_seen date"


def assign_cluster_ids(
    components: DataFrame, members: DataFrame, previous_members: DataFrame, day: date
) -> DataFrame:
    """``(customer_id, hydra_cluster_id, first_seen)`` for every linked customer.

    ``components``: ``(node, component)`` over customers; ``members``:
    ``(account_id, customer_id)`` of the accounts in today's graph window;
    ``previous_members``: the last cluster members table (``MEMBER_COLUMNS``),
    possibly empty. Named on the driver (``cluster_names``): only the clustered
    customers' accounts and the previous members are collected.
    """
    spark = components.sparkSession
    linked = members.join(
        components.select(F.col("node").alias("customer_id")), on="customer_id", how="left_semi"
    )
    names = cluster_names(
        pd.DataFrame(components.select("node", "component").toPandas()),
        pd.DataFrame(linked.select("account_id", "customer_id").toPandas()),
        pd.DataFrame(
            previous_members.select("hydra_cluster_id", "account_id", "first_seen").toPandas()
        ),
        day,
    )
    return spark.createDataFrame(names, ASSIGNMENT_SCHEMA)


def cluster_names(
    components: pd.DataFrame, members: pd.DataFrame, previous: pd.DataFrame, day: date
) -> pd.DataFrame:
    """``assign_cluster_ids`` of frames held on the driver (the module docstring's rules):
    ``components`` ``(node, component)``, ``members`` ``(account_id, customer_id)``,
    ``previous`` ``(hydra_cluster_id, account_id, first_seen)``."""
    previous = previous.dropna(subset=["hydra_cluster_id"])
    previous_clusters = (
        previous.groupby("hydra_cluster_id")
        .agg(previous_accounts=("hydra_cluster_id", "size"), first_seen=("first_seen", "min"))
        .reset_index()
    )
    current = members.dropna(subset=["account_id"]).merge(
        components.rename(columns={"node": "customer_id"}), on="customer_id"
    )
    overlaps = (
        current[["account_id", "component"]]
        .merge(previous.dropna(subset=["account_id"])[["hydra_cluster_id", "account_id"]])
        .groupby(["component", "hydra_cluster_id"])
        .size()
        .rename("overlap")
        .reset_index()
        .merge(previous_clusters, on="hydra_cluster_id")
    )
    # Every previous cluster goes to the component holding most of its accounts; a
    # component that wins several keeps the larger, then the older, then the smaller id.
    won = overlaps.sort_values(
        ["hydra_cluster_id", "overlap", "component"], ascending=[True, False, True]
    ).drop_duplicates("hydra_cluster_id")
    inherited = won.sort_values(
        ["component", "previous_accounts", "first_seen", "hydra_cluster_id"],
        ascending=[True, False, True, True],
        na_position="first",
    ).drop_duplicates("component")[["component", "hydra_cluster_id", "first_seen"]]
    named = (
        components[["component"]]
        .drop_duplicates()
        .merge(inherited, on="component", how="left")
        .astype({"hydra_cluster_id": object, "first_seen": object})
    )
    fresh = named["hydra_cluster_id"].isna()
    named.loc[fresh, "hydra_cluster_id"] = [
        f"hc-{day:%Y%m%d}-{hashlib.sha256(str(c).encode()).hexdigest()[:12]}"
        for c in named.loc[fresh, "component"]
    ]
    named.loc[fresh, "first_seen"] = day
    return components.merge(named, on="component")[
        ["node", "hydra_cluster_id", "first_seen"]
    ].rename(columns={"node": "customer_id"})


def signup_prefix(ip: F.Column) -> F.Column:
    """/24 of an IPv4 address, or the first three groups (a /48) of a written-out IPv6 one."""
    v4 = F.regexp_extract(ip, r"^(\d{1,3}\.\d{1,3}\.\d{1,3})\.\d{1,3}$", 1)
    v6 = F.regexp_extract(F.lower(ip), r"^([0-9a-f]{1,4}:[0-9a-f]{1,4}:[0-9a-f]{1,4}):", 1)
    return F.when(v4 != "", F.concat(v4, F.lit(".0/24"))).when(
        v6 != "", F.concat(v6, F.lit("::/48"))
    )


def cohort_features(
    accounts: DataFrame, rolling: DataFrame, activity_day: DataFrame, by: Sequence[str] = ()
) -> DataFrame:
    """``(*by, account_id, cohort_size, cohort_sync_share)`` for the accounts active on D.

    ``accounts``: snapshot of D; ``rolling``: ``rolling_account_features`` rows;
    ``activity_day``: the activity rows of D (for ``active_minutes``). ``by``: the
    keys of several days' rows (a batch's target day), every input keyed by them.
    """
    by = list(by)
    creation_key = F.when(
        F.col("signup_ip").isNotNull() & signup_prefix(F.col("signup_ip")).isNotNull(),
        F.concat(
            F.lit("created|"),
            F.date_format("created_at", "yyyy-MM-dd'T'HH"),
            F.lit("|"),
            signup_prefix(F.col("signup_ip")),
        ),
    )
    creation = accounts.select(*by, "account_id", creation_key.alias("creation_cohort"))
    creation_sizes = (
        creation.where(F.col("creation_cohort").isNotNull())
        .groupBy(*by, "creation_cohort")
        .agg(F.count(F.lit(1)).alias("creation_cohort_size"))
    )
    active = rolling.where("active_on_day")
    wake_key = F.when(
        F.col("dormant_days_before_activity") >= WAKE_DORMANT_DAYS,
        F.concat(
            F.lit("woken|"),
            F.col("streak_start").cast("string"),
            F.lit("|"),
            F.to_date("created_at").cast("string"),
        ),
    )
    woken = active.select(*by, "account_id", wake_key.alias("wake_cohort"))
    wake_sizes = (
        woken.where(F.col("wake_cohort").isNotNull())
        .groupBy(*by, "wake_cohort")
        .agg(F.count(F.lit(1)).alias("wake_cohort_size"))
    )
    sized = (
        active.select(*by, "account_id")
        .join(creation, on=[*by, "account_id"], how="left")
        .join(woken, on=[*by, "account_id"], how="left")
    )
    # Most accounts are in no cohort (a null key) and a sign-up burst is one key: salted.
    sized = (
        salted_join(
            sized, creation_sizes, on=[*by, "creation_cohort"], spread_by="account_id", how="left"
        )
        .transform(
            lambda rows: salted_join(
                rows, wake_sizes, on=[*by, "wake_cohort"], spread_by="account_id", how="left"
            )
        )
        .select(
            *by,
            "account_id",
            F.coalesce("creation_cohort_size", F.lit(1)).alias("creation_size"),
            F.coalesce("wake_cohort_size", F.lit(1)).alias("wake_size"),
            "creation_cohort",
            "wake_cohort",
        )
        .select(
            *by,
            "account_id",
            F.when(F.col("wake_size") > F.col("creation_size"), F.col("wake_cohort"))
            .when(F.col("creation_size") > 1, F.col("creation_cohort"))
            .alias("cohort"),
            F.greatest("creation_size", "wake_size").cast("long").alias("cohort_size"),
        )
    )
    minutes = activity_day.select(
        *by, "account_id", F.explode("active_minutes").alias("minute")
    ).join(sized.where(F.col("cohort").isNotNull()), on=[*by, "account_id"], how="inner")
    together = minutes.groupBy(*by, "cohort", "minute").agg(
        F.count(F.lit(1)).alias("active_members")
    )
    sync = (
        minutes.join(together, on=[*by, "cohort", "minute"], how="inner")
        .groupBy(*by, "account_id")
        .agg(
            F.avg((F.col("active_members") - 1) / (F.col("cohort_size") - 1)).alias(
                "cohort_sync_share"
            )
        )
    )
    return sized.join(sync, on=[*by, "account_id"], how="left").select(
        *by,
        "account_id",
        "cohort_size",
        F.coalesce("cohort_sync_share", F.lit(0.0)).alias("cohort_sync_share"),
    )


def account_sharing_flags(
    memberships: DataFrame, shared_entities: DataFrame, by: Sequence[str] = ()
) -> DataFrame:
    """``(*by, account_id, shares_payment, shares_ip)``: holds an entity another customer
    holds too."""
    by = list(by)
    shared = shared_entities.select(*by, "entity_type", "entity_value")
    return (
        memberships.join(shared, on=[*by, "entity_type", "entity_value"], how="left_semi")
        .groupBy(*by, "account_id")
        .agg(
            F.max(F.col("entity_type") == "payment_fingerprint").alias("shares_payment"),
            F.max(F.col("entity_type").isin(*IP_ENTITY_TYPES)).alias("shares_ip"),
        )
    )


def payment_peers(memberships: DataFrame, rolling: DataFrame, by: Sequence[str] = ()) -> DataFrame:
    """``(customer_id, payment_peer_customers, payment_peer_content_share)`` of every customer
    holding a payment instrument that another customer holds too.

    A card shared by several customers is either a payment hub (an agency or a
    marketplace paying for its clients) or an operator's card paying for its
    fleet. The two differ in what the *other* holders do: an agency's clients
    are ordinary customers, a fleet's accounts all harvest the model, even when
    each one hides its extraction in ordinary traffic and looks like a person on
    its own. So, per instrument, the other customers holding it (an org counts
    once) and the share of them that are content accounts (``content_share_7d >=
    CONTENT_ACCOUNT_SHARE`` for any of their accounts): leave-one-out, so the
    account's own traffic never counts as its peers'. A customer with several
    shared instruments takes the one with the most peers (then the highest share).

    ``memberships``: the shared memberships (``features.coordination``), where
    payment instruments are account-snapshot entities; ``rolling``: the rolling
    account features (``content_share_7d``). ``by``: as for ``cohort_features``.
    """
    by = list(by)
    holders = memberships.where(F.col("entity_type") == "payment_fingerprint").select(
        *by, "account_id", "customer_id", F.col("entity_value").alias("instrument")
    )
    per_customer = (
        holders.join(
            rolling.select(*by, "account_id", "content_share_7d"),
            on=[*by, "account_id"],
            how="left",
        )
        .groupBy(*by, "instrument", "customer_id")
        .agg(
            F.max(F.coalesce(F.col("content_share_7d"), F.lit(0.0)) >= F.lit(CONTENT_ACCOUNT_SHARE))
            .cast("long")
            .alias("content_customer")
        )
    )
    per_instrument = per_customer.groupBy(*by, "instrument").agg(
        F.count(F.lit(1)).alias("holders"), F.sum("content_customer").alias("content_holders")
    )
    # Salted: an operator's card is held by hundreds of its accounts' customers.
    peers = salted_join(
        per_customer, per_instrument, on=[*by, "instrument"], spread_by="customer_id"
    ).select(
        *by,
        "customer_id",
        (F.col("holders") - 1).alias("peers"),
        (
            (F.col("content_holders") - F.col("content_customer"))
            / F.greatest(F.col("holders") - 1, F.lit(1))
        ).alias("share"),
    )
    best = F.max(F.struct("peers", "share"))
    return (
        peers.where(F.col("peers") >= 1)
        .groupBy(*by, "customer_id")
        .agg(best.alias("best"))
        .select(
            *by,
            "customer_id",
            F.col("best.peers").cast("long").alias("payment_peer_customers"),
            F.col("best.share").cast("double").alias("payment_peer_content_share"),
        )
    )


def egress_fleet(memberships: DataFrame, rolling: DataFrame, by: Sequence[str] = ()) -> DataFrame:
    """``(account_id, egress_fleet_share_7d)`` of every content account that sent from a fleet's
    exit.

    A shared exit address is a carrier's NAT, a campus or an office, a cloud's
    egress, or a proxy pool's exit; what tells them apart is who *else* sends
    from it. A carrier's or a campus's other customers are ordinary people; a
    proxy pool's are the fleet, and a fleet harvests the model even when each of
    its accounts hides its extraction in ordinary traffic. And a residential
    proxy pool exits through real people's home and phone addresses, so a person
    can share a few exit-days with a fleet; a fleet's member sends from nothing
    else. So, per exit-day (an address on a day, as ``features.coordination``
    lists them), the other customers who sent from it (an org counts once) and
    whether at least half of them are content accounts (``content_share_7d >=
    CONTENT_ACCOUNT_SHARE`` for one of their accounts; leave-one-out, so the
    account's own traffic never counts); per account, the share of all its
    exit-days of the week (``egress_ip_days_7d`` of the rolling features, shared
    or not) that are a fleet's, for content accounts only: the fleet's exits make
    a harvesting account's diluted share the fleet's work, and say nothing of a
    person who sends no extraction from an address a pool also uses. A popular
    exit counts once, however many customers it has: the share is over the
    account's own exits. Other accounts have no row (``cluster_features`` reads 0).

    ``memberships``: the shared memberships (``features.coordination``);
    ``rolling``: the rolling account features (``content_share_7d``,
    ``egress_ip_days_7d``). ``by``: as for ``cohort_features``.
    """
    by = list(by)
    exits = memberships.where(F.col("entity_type").isin(*EGRESS_ENTITY_TYPES)).select(
        *by, "account_id", "customer_id", "entity_type", "entity_value"
    )
    content_account = (
        F.coalesce(F.col("content_share_7d"), F.lit(0.0)) >= F.lit(CONTENT_ACCOUNT_SHARE)
    ).cast("long")
    per_customer = (
        exits.join(
            rolling.select(*by, "account_id", content_account.alias("content_account")),
            on=[*by, "account_id"],
            how="left",
        )
        .groupBy(*by, "entity_type", "entity_value", "customer_id")
        .agg(F.max(F.coalesce("content_account", F.lit(0))).alias("content_customer"))
    )
    per_exit = per_customer.groupBy(*by, "entity_type", "entity_value").agg(
        F.count(F.lit(1)).alias("customers"), F.sum("content_customer").alias("content_customers")
    )
    others = F.col("customers") - 1
    fleet_exit = (others >= EGRESS_FLEET_MIN_OTHERS) & (
        (F.col("content_customers") - F.col("content_customer")) / F.greatest(others, F.lit(1))
        >= F.lit(EGRESS_FLEET_MAJORITY)
    )
    # Salted: a pool's exit is sent from by hundreds of the fleet's customers in a week.
    fleet_exits = (
        salted_join(
            per_customer,
            per_exit,
            on=[*by, "entity_type", "entity_value"],
            spread_by="customer_id",
        )
        .where(fleet_exit)
        .select(*by, "entity_type", "entity_value", "customer_id")
    )
    counted = (
        exits.join(
            fleet_exits, on=[*by, "entity_type", "entity_value", "customer_id"], how="left_semi"
        )
        .groupBy(*by, "account_id")
        .agg(F.count(F.lit(1)).alias("fleet_exit_days"))
    )
    # Only a content account's: what its exits say is whose work its diluted share is. A
    # person's carrier address that a residential pool also exits through says nothing of
    # the person, and a model reading it would flag the carrier's customers (tuning seed
    # 9102: two individuals and two carrier customers, content 0-0.11, bench/README.md).
    own = rolling.where(content_account == 1).select(*by, "account_id", "egress_ip_days_7d")
    return counted.join(own, on=[*by, "account_id"], how="inner").select(
        *by,
        "account_id",
        (F.col("fleet_exit_days") / F.greatest(F.col("egress_ip_days_7d"), F.lit(1)))
        .cast("double")
        .alias("egress_fleet_share_7d"),
    )


def group_key(hydra_cluster_id: F.Column, customer_id: F.Column) -> F.Column:
    return F.coalesce(hydra_cluster_id, F.concat(F.lit("customer:"), customer_id))


def cluster_features(
    rolling: DataFrame,
    assignments: DataFrame,
    memberships: DataFrame,
    shared_entities: DataFrame,
    previous_members: DataFrame,
    block_stats: DataFrame,
    member_weights: DataFrame | None = None,
    by: Sequence[str] = (),
) -> DataFrame:
    """``rolling`` rows plus ``hydra_cluster_id``, ``group_key``, the group cluster features
    and the member's own part in its cluster (``MEMBER_FEATURES``).

    ``assignments``: ``(customer_id, hydra_cluster_id, first_seen)`` from
    ``assign_cluster_ids``; ``memberships`` from ``features.coordination`` and
    ``shared_entities`` its ``(entity_type, entity_value)`` held by two or more
    customers; ``previous_members`` as for ``assign_cluster_ids``;
    ``block_stats``: ``(hydra_cluster_id, cluster_block_density,
    cluster_entity_families)`` of each cluster's dense block; ``member_weights``:
    ``features.coordination.MEMBER_WEIGHT_COLUMNS`` per customer (none: zeros).

    A cluster-level share is the same number for every member, and a block can
    hold a campaign and the customers who touched a few of its exits at once;
    the member features say what the account itself does inside its cluster:
    its own shared weight in the block, and ``member_synced_slots_7d``, the burst
    slots of the week in which it acted together with another customer of its
    cluster (SynchroTrap's matched actions, counted per account). The payment
    peers (``payment_peers``) are read over the holders of one specific
    instrument, not the cluster: 0 when the account shares no instrument; the
    egress fleet (``egress_fleet``) over the senders of its own exit-days: 0 when
    it shares none.

    ``by``: the keys of several days' rows (a batch's target day), every input keyed
    by them (``member_weights`` too, when given): each day's rows are the ones a call
    with that day's inputs alone returns, with its keys.
    """
    by = list(by)
    flags = account_sharing_flags(memberships, shared_entities, by)
    rows = (
        rolling.join(
            assignments.select(*by, "customer_id", "hydra_cluster_id"),
            on=[*by, "customer_id"],
            how="left",
        )
        .withColumn("group_key", group_key(F.col("hydra_cluster_id"), F.col("customer_id")))
        .join(flags, on=[*by, "account_id"], how="left")
    )
    synced = memberships.where(F.col("entity_type") == "burst").join(
        rows.select(*by, "account_id", "group_key"), on=[*by, "account_id"], how="inner"
    )
    synced_accounts = (
        synced.join(
            synced.groupBy(*by, "group_key", "entity_value")
            .agg(F.countDistinct("customer_id").alias("customers"))
            .where(F.col("customers") >= 2),
            on=[*by, "group_key", "entity_value"],
            how="left_semi",
        )
        .groupBy(*by, "account_id")
        .agg(F.countDistinct("entity_value").cast("long").alias("member_synced_slots_7d"))
        .withColumn("synced", F.lit(True))
    )
    if member_weights is None:
        if by:
            raise ValueError("cluster_features: keyed rows need their keyed member weights")
        member_weights = rows.sparkSession.createDataFrame([], MEMBER_WEIGHT_SCHEMA)
    rows = (
        rows.join(synced_accounts, on=[*by, "account_id"], how="left")
        .join(member_weights, on=[*by, "customer_id"], how="left")
        .join(payment_peers(memberships, rolling, by), on=[*by, "customer_id"], how="left")
        .join(egress_fleet(memberships, rolling, by), on=[*by, "account_id"], how="left")
        .fillna(0, subset=[*PAYMENT_PEER_FEATURES, *EGRESS_FLEET_FEATURES])
        .withColumns(
            {
                # Only a clustered account has a part in a cluster.
                name: F.when(
                    F.col("hydra_cluster_id").isNotNull(), F.coalesce(F.col(name), F.lit(0))
                ).otherwise(F.lit(0))
                for name in MEMBER_FEATURES
            }
        )
    )

    active_requests = F.when(F.col("active_on_day"), F.col("requests_count_1d"))

    def share_of_accounts(flag: str):
        return F.avg(F.coalesce(F.col(flag), F.lit(False)).cast("double"))

    groups = rows.groupBy(*by, "group_key").agg(
        F.countDistinct("customer_id").alias("cluster_customers_count"),
        F.count(F.lit(1)).alias("cluster_accounts_count"),
        F.sum("output_tokens_1d").alias("cluster_output_tokens_sum_1d"),
        F.coalesce(F.stddev_pop(active_requests) / F.avg(active_requests), F.lit(0.0)).alias(
            "cluster_volume_cv_1d"
        ),
        share_of_accounts("shares_payment").alias("cluster_shared_payment_share"),
        share_of_accounts("shares_ip").alias("cluster_shared_ip_share"),
        F.avg("template_reuse_share_7d").alias("cluster_template_overlap"),
        share_of_accounts("synced").alias("cluster_synchrony_score"),
        F.when(F.sum("requests_7d") > 0, F.sum("cot_requests_7d") / F.sum("requests_7d"))
        .otherwise(F.lit(0.0))
        .alias("cluster_cot_share"),
        F.size(F.array_distinct(F.flatten(F.collect_list("countries_7d")))).alias(
            "cluster_country_count"
        ),
        F.size(F.array_distinct(F.flatten(F.collect_list("asns_7d")))).alias("cluster_asn_count"),
        F.when(F.sum("requests_7d") > 0, F.sum("content_requests_7d") / F.sum("requests_7d"))
        .otherwise(F.lit(0.0))
        .alias("cluster_content_share"),
        F.avg("egress_asns_max_1d").alias("cluster_egress_asns_mean"),
        F.avg("new_model_share_3d").alias("cluster_new_model_share"),
    )
    burst = (
        rows.groupBy(*by, "group_key", F.to_date("created_at").alias("created_day"))
        .agg(F.count(F.lit(1)).alias("created_together"))
        .groupBy(*by, "group_key")
        .agg(F.max("created_together").alias("largest_creation_day"))
    )
    previous_sizes = previous_members.groupBy(*by, "hydra_cluster_id").agg(
        F.count(F.lit(1)).alias("previous_accounts")
    )
    group_ids = rows.select(*by, "group_key", "hydra_cluster_id").distinct()
    groups = (
        groups.join(burst, on=[*by, "group_key"], how="left")
        .join(group_ids, on=[*by, "group_key"], how="inner")
        .join(previous_sizes, on=[*by, "hydra_cluster_id"], how="left")
        .join(block_stats, on=[*by, "hydra_cluster_id"], how="left")
        .withColumns(
            {
                "cluster_creation_burst_share": F.coalesce(
                    F.col("largest_creation_day") / F.col("cluster_accounts_count"), F.lit(0.0)
                ),
                "cluster_growth_ratio_1d": F.coalesce(
                    F.col("cluster_accounts_count") / F.col("previous_accounts"), F.lit(1.0)
                ),
                "cluster_block_density": F.coalesce("cluster_block_density", F.lit(0.0)),
                "cluster_entity_families": F.coalesce("cluster_entity_families", F.lit(0)).cast(
                    "long"
                ),
            }
        )
        .select(*by, "group_key", *CLUSTER_GROUP_FEATURES)
    )
    return salted_join(rows, groups, on=[*by, "group_key"], spread_by="account_id")


def cluster_evidence(
    clustered: DataFrame,
    assignments: DataFrame,
    memberships: DataFrame,
    activity_day: DataFrame,
    requests_day: DataFrame,
    by: Sequence[str] = (),
) -> DataFrame:
    """The analyst table: one row per hydra cluster (see the module docstring).

    ``clustered``: ``cluster_features`` rows; ``activity_day``/``requests_day``:
    day D's activity rows and curated requests. ``by``: key columns of every input (a
    batch's target day, whose activity rows and requests are that day's): one row per
    key and cluster.
    """
    by = list(by)
    members = clustered.where(F.col("hydra_cluster_id").isNotNull())
    account_cluster = members.select(*by, "account_id", "hydra_cluster_id")
    summary = members.groupBy(*by, "hydra_cluster_id").agg(
        F.sum("requests_count_1d").cast("long").alias("requests_1d"),
        F.sum("output_tokens_1d").cast("long").alias("output_tokens_1d"),
        *[F.first(name).alias(name) for name in CLUSTER_GROUP_FEATURES],
    )
    first_seen = assignments.select(*by, "hydra_cluster_id", "first_seen").distinct()

    entity_accounts = (
        memberships.join(account_cluster, on=[*by, "account_id"], how="inner")
        .groupBy(*by, "hydra_cluster_id", "entity_type", "entity_value")
        .agg(
            F.countDistinct("account_id").alias("accounts"),
            F.countDistinct("customer_id").alias("customers"),
        )
        .where(F.col("customers") >= 2)
    )
    top_rank = Window.partitionBy(*by, "hydra_cluster_id").orderBy(
        F.col("accounts").desc(), F.col("entity_type"), F.col("entity_value")
    )
    top_entities = (
        entity_accounts.withColumn("rank", F.row_number().over(top_rank))
        .where(F.col("rank") <= TOP_ENTITIES)
        .groupBy(*by, "hydra_cluster_id")
        .agg(
            F.transform(
                F.array_sort(
                    F.collect_list(F.struct("rank", "entity_type", "entity_value", "accounts"))
                ),
                lambda e: F.struct(
                    e["entity_type"].alias("entity_type"),
                    e["entity_value"].alias("entity_value"),
                    e["accounts"].cast("long").alias("accounts"),
                ),
            ).alias("top_entities")
        )
    )

    hours = (
        activity_day.join(account_cluster, on=[*by, "account_id"], how="inner")
        .select(*by, "hydra_cluster_id", F.posexplode("hour_requests").alias("hour", "n"))
        .groupBy(*by, "hydra_cluster_id")
        .agg(
            F.array(
                *[
                    F.sum(F.when(F.col("hour") == hour, F.col("n")).otherwise(0)).cast("long")
                    for hour in range(HOURS)
                ]
            ).alias("hourly_requests")
        )
    )

    cluster_requests = requests_day.join(
        F.broadcast(account_cluster), on=[*by, "account_id"], how="inner"
    )
    # The sample: the request of least hash in each of SAMPLE_BUCKETS hash buckets of the
    # cluster, then the SAMPLE_PROMPTS least of those. An aggregation, so each task reduces
    # its own rows before anything moves: ranking all of a cluster's requests in a window
    # put a giant cluster's whole day, text included, in one task (bench/bench_skew.py).
    hashed = cluster_requests.select(
        *by,
        "hydra_cluster_id",
        F.struct(F.xxhash64("request_id").alias("h"), "request_id", "prompt").alias("pick"),
    )
    sample_rank = Window.partitionBy(*by, "hydra_cluster_id").orderBy("pick.h", "pick.request_id")
    prompts = (
        hashed.groupBy(*by, "hydra_cluster_id", F.pmod(F.col("pick.h"), F.lit(SAMPLE_BUCKETS)))
        .agg(F.min("pick").alias("pick"))
        .select(
            *by,
            "hydra_cluster_id",
            F.col("pick.prompt").alias("prompt"),
            F.row_number().over(sample_rank).alias("rank"),
        )
        .where(F.col("rank") <= SAMPLE_PROMPTS)
        .groupBy(*by, "hydra_cluster_id")
        .agg(
            F.transform(
                F.array_sort(F.collect_list(F.struct("rank", "prompt"))), lambda p: p["prompt"]
            ).alias("sample_prompts")
        )
    )
    system_rank = Window.partitionBy(*by, "hydra_cluster_id").orderBy(
        F.col("uses").desc(), F.col("system_prompt_hash")
    )
    system_prompts = (
        cluster_requests.where(F.col("system_prompt_hash").isNotNull())
        .groupBy(*by, "hydra_cluster_id", "system_prompt_hash")
        .agg(F.count(F.lit(1)).alias("uses"), F.min("system_prompt").alias("system_prompt"))
        .withColumn("rank", F.row_number().over(system_rank))
        .where(F.col("rank") <= SAMPLE_SYSTEM_PROMPTS)
        .groupBy(*by, "hydra_cluster_id")
        .agg(
            F.transform(
                F.array_sort(F.collect_list(F.struct("rank", "system_prompt"))),
                lambda p: p["system_prompt"],
            ).alias("sample_system_prompts")
        )
    )
    empty_strings = F.array().cast("array<string>")
    key = [*by, "hydra_cluster_id"]
    return (
        summary.join(first_seen, on=key, how="left")
        .join(top_entities, on=key, how="left")
        .join(hours, on=key, how="left")
        .join(prompts, on=key, how="left")
        .join(system_prompts, on=key, how="left")
        .select(
            *by,
            "hydra_cluster_id",
            "first_seen",
            F.col("cluster_accounts_count").alias("accounts_count"),
            F.col("cluster_customers_count").alias("customers_count"),
            "requests_1d",
            "output_tokens_1d",
            F.coalesce(
                "top_entities",
                F.array().cast(
                    "array<struct<entity_type:string,entity_value:string,accounts:bigint>>"
                ),
            ).alias("top_entities"),
            F.coalesce(
                "hourly_requests", F.array(*[F.lit(0).cast("long") for _ in range(HOURS)])
            ).alias("hourly_requests"),
            F.coalesce("sample_prompts", empty_strings).alias("sample_prompts"),
            F.coalesce("sample_system_prompts", empty_strings).alias("sample_system_prompts"),
            *CLUSTER_GROUP_FEATURES,
        )
    )
