"""Turn a scored day into the review queue's landing: flagged accounts with
their reasons and volume, and the evidence of their clusters.

Only flagged rows and the evidence of their clusters reach the driver (a
bounded amount: the queue's intake is capped by reviewer capacity anyway).
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from flows.settings import Settings
from lakeio import SparkLake, layout, open_store
from review.landing import ClusterEvidence, FlaggedAccount, SweepLanding


def _read_day(spark: SparkSession, spark_lake: SparkLake, table: str, day: date) -> DataFrame:
    return spark.read.parquet(spark_lake.stage(layout.table_day_prefix(table, day)))


def _json_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, str):
        try:
            parsed = json.loads(value)
        except ValueError:
            return [value]
        return parsed if isinstance(parsed, list) else [parsed]
    return [item.asDict(recursive=True) if hasattr(item, "asDict") else item for item in value]


def build_landing(spark: SparkSession, settings: Settings, day: date, run_id: str) -> SweepLanding:
    store = open_store(settings.lake_uri)
    spark_lake = SparkLake(store, settings.scratch_dir, direct_s3a=settings.spark_s3a)
    scores = _read_day(spark, spark_lake, layout.SCORES, day)
    flagged = scores.where(F.col("flagged"))
    # The queue adds daily volumes up per case: pass the day's own requests and
    # output tokens (not a rolling window), from the features job's activity rows
    # (one per account-day, counted from the curated day: 57,000 rows to read
    # instead of 1.1M requests on a 1M-request day).
    volume = _read_day(spark, spark_lake, layout.ACCOUNT_ACTIVITY, day).select(
        "account_id", "requests", "output_tokens"
    )
    flagged_rows = (
        flagged.join(volume, on="account_id", how="left")
        .select(
            "account_id",
            "hydra_cluster_id",
            "customer_id",
            "score",
            "reasons",
            "model_version",
            F.coalesce("requests", F.lit(0)).alias("requests"),
            F.coalesce("output_tokens", F.lit(0)).alias("output_tokens"),
        )
        .orderBy(F.desc("score"), "account_id")
        .collect()
    )
    accounts = [
        FlaggedAccount(
            account_id=row["account_id"],
            cluster_id=row["hydra_cluster_id"],
            customer_id=row["customer_id"],
            score=float(row["score"]),
            reasons=_json_list(row["reasons"]),
            output_tokens=int(row["output_tokens"]),
            requests=int(row["requests"]),
        )
        for row in flagged_rows
    ]
    cluster_ids = sorted({a.cluster_id for a in accounts if a.cluster_id is not None})
    clusters: list[ClusterEvidence] = []
    if cluster_ids:
        evidence_rows = (
            _read_day(spark, spark_lake, layout.CLUSTER_FEATURES, day)
            .where(F.col("hydra_cluster_id").isin(cluster_ids))
            .collect()
        )
        for row in evidence_rows:
            record = row.asDict(recursive=True)
            clusters.append(
                ClusterEvidence(
                    cluster_id=record.pop("hydra_cluster_id"),
                    accounts_count=int(record.pop("accounts_count", 0) or 0),
                    customers_count=int(record.pop("customers_count", 0) or 0),
                    requests=int(record.pop("requests_1d", 0) or 0),
                    output_tokens=int(record.pop("output_tokens_1d", 0) or 0),
                    entities=_json_list(record.pop("top_entities", None)),
                    hourly_requests=[
                        int(v) for v in _json_list(record.pop("hourly_requests", None))
                    ],
                    sample_prompts=[str(v) for v in _json_list(record.pop("sample_prompts", None))],
                    sample_system_prompts=[
                        str(v) for v in _json_list(record.pop("sample_system_prompts", None))
                    ],
                    extra=json.loads(json.dumps(record, default=str)),
                )
            )
    versions = {row["model_version"] for row in flagged_rows}
    return SweepLanding(
        sweep_date=day,
        run_id=run_id,
        model_version=",".join(sorted(str(v) for v in versions)) or "none",
        accounts=accounts,
        clusters=clusters,
        stats={"flagged_accounts": len(accounts), "clusters": len(cluster_ids)},
    )
