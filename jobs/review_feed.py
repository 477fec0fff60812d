"""The review feed job: what the review queue lands for a sweep day, as a lake table.

For day D it reads the day's scores (the flagged rows), each flagged account's
volume on the day from the features job's activity rows, and the evidence of
the flagged accounts' clusters (``features/clusters/dt=D``), and writes
``review_feed/dt=D`` (``layout.REVIEW_FEED``): one row per hydra cluster with
a flagged account and one per flagged account of no cluster, each with

- ``cluster_id``: the hydra cluster (null for a lone account);
- ``accounts``: its flagged accounts (id, customer, score, reasons, model
  version, the requests and output tokens it sent that day, and ``links``: the
  entities that tied it into its cluster, from the cluster members table);
- ``evidence``: the cluster's row of the evidence table (null for a lone
  account, or a cluster without one).

``review.feed`` reads it into the queue's hand-off objects. Only flagged
accounts and their clusters' evidence are in it: a bounded amount, as the
queue's intake is capped by reviewer capacity anyway. A rerun replaces the day.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from pyspark.sql import Column, DataFrame, Observation, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from lakeio import LakeRef, layout
from lakeio.reports import StageSummary
from lakeio.tables import LakeTables

ACCOUNT_FIELDS: tuple[str, ...] = (
    "account_id",
    "customer_id",
    "score",
    "reasons",
    "model_version",
    "requests",
    "output_tokens",
    "links",
)
LINKS_TYPE = layout.MEMBER_LINKS_TYPE
# The columns of ``scores/`` (``models.scoring.SCORES_SCHEMA``) the feed reads; with a
# schema the Parquet footers are not inferred by a Spark job of their own. Named here,
# not imported: jobs do not import models (tests/test_architecture.py).
SCORES_READ_SCHEMA = T.StructType(
    [
        T.StructField("account_id", T.StringType()),
        T.StructField("customer_id", T.StringType()),
        T.StructField("hydra_cluster_id", T.StringType()),
        T.StructField("score", T.DoubleType()),
        T.StructField("flagged", T.BooleanType()),
        T.StructField("reasons", T.StringType()),
        T.StructField("model_version", T.StringType()),
    ]
)


@dataclass(frozen=True)
class ReviewFeedParams:
    day: date
    lake: LakeRef


@dataclass(frozen=True)
class ReviewFeedSummary(StageSummary):
    day: date
    flagged_accounts: int
    clusters: int  # hydra clusters with a flagged account
    lone_accounts: int  # flagged accounts of no cluster
    output_prefix: str


def review_feed(
    scores: DataFrame, volumes: DataFrame, evidence: DataFrame, links: DataFrame
) -> DataFrame:
    """The feed rows of a day (see the module docstring).

    ``scores``: the day's scores; ``volumes``: ``account_id``, ``requests``,
    ``output_tokens`` of the day; ``evidence``: the day's cluster evidence;
    ``links``: ``account_id``, ``links`` of the day's cluster members.
    """
    # The queue adds daily volumes up per case: the day's own, not a rolling window.
    flagged = (
        scores.where(F.col("flagged"))
        .join(volumes, on="account_id", how="left")
        .join(links, on="account_id", how="left")
        .select(
            F.col("hydra_cluster_id").alias("cluster_id"),
            F.when(F.col("hydra_cluster_id").isNull(), F.col("account_id")).alias("lone_account"),
            F.struct(
                "account_id",
                "customer_id",
                "score",
                "reasons",
                "model_version",
                F.coalesce("requests", F.lit(0)).cast("long").alias("requests"),
                F.coalesce("output_tokens", F.lit(0)).cast("long").alias("output_tokens"),
                F.coalesce("links", F.array().cast(LINKS_TYPE)).alias("links"),
            ).alias("account"),
        )
    )
    evidence_columns = [name for name in evidence.columns if name not in ("hydra_cluster_id", "dt")]
    return (
        flagged.groupBy("cluster_id", "lone_account")
        # Sorted by account id: a rerun of the day writes the same rows.
        .agg(F.array_sort(F.collect_list("account")).alias("accounts"))
        .join(
            evidence.select(
                F.col("hydra_cluster_id").alias("cluster_id"),
                F.struct(*evidence_columns).alias("evidence"),
            ),
            on="cluster_id",
            how="left",
        )
        .repartition(1)
        .sortWithinPartitions("cluster_id", "lone_account")
        .select("cluster_id", "accounts", "evidence")
    )


def member_links(members: DataFrame) -> Column:
    """The members' ``links`` as ``LINKS_TYPE``, whichever features job wrote them.

    Members written before the features job kept links have none to show; those
    written before links carried their customers and days show the entity alone.
    """
    if "links" not in members.columns:
        return F.lit(None).cast(LINKS_TYPE)
    element = members.schema["links"].dataType.elementType  # type: ignore[attr-defined]
    fields = set(element.fieldNames())

    def as_link(link: Column) -> Column:
        return F.struct(
            link["type"].alias("type"),
            link["value"].alias("value"),
            (link["customers"] if "customers" in fields else F.lit(None))
            .cast("bigint")
            .alias("customers"),
            (link["days"] if "days" in fields else F.array()).cast("array<date>").alias("days"),
        )

    return F.transform("links", as_link)


def run(spark: SparkSession, params: ReviewFeedParams) -> ReviewFeedSummary:
    day = params.day
    tables = LakeTables.open(spark, params.lake)
    scores = tables.read(layout.SCORES, [day], SCORES_READ_SCHEMA)
    # The features job's activity rows: one per account-day, counted from the
    # curated day, far fewer rows to read (or stage) than the day's requests.
    volumes = tables.read(layout.ACCOUNT_ACTIVITY, [day]).select(
        "account_id", "requests", "output_tokens"
    )
    evidence = tables.read(layout.CLUSTER_FEATURES, [day])
    members = tables.read(layout.CLUSTER_MEMBERS, [day])
    links = members.select("account_id", member_links(members).alias("links"))
    # The counts are observed while the feed is written, not read back by another job.
    written = Observation("review_feed")
    feed = review_feed(scores, volumes, evidence, links).observe(
        written,
        F.sum(F.size("accounts")).alias("accounts"),
        F.count("cluster_id").alias("clusters"),
        F.sum(F.when(F.col("cluster_id").isNull(), F.size("accounts"))).alias("lone"),
    )
    tables.write_day(feed, layout.REVIEW_FEED, day)
    counts = written.get
    return ReviewFeedSummary(
        day=day,
        flagged_accounts=int(counts["accounts"] or 0),
        clusters=int(counts["clusters"] or 0),
        lone_accounts=int(counts["lone"] or 0),
        output_prefix=layout.table_day_prefix(layout.REVIEW_FEED, day),
    )


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m jobs.review_feed --day D --lake URI --scratch DIR`` (also under spark-submit)."""
    from jobs.entry import job_parser, lake_ref, run_job

    args = job_parser("jobs.review_feed", __doc__).parse_args(argv)
    params = ReviewFeedParams(day=args.day, lake=lake_ref(args))
    return run_job("review_feed", args, lambda spark: run(spark, params))


if __name__ == "__main__":
    sys.exit(main())
