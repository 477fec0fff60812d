"""Prefect tasks: one per pipeline stage, each a thin call into jobs, models
or review with small serialisable values in and out.

Retries go only where I/O can fail transiently (waiting on the lake, landing
in the queue database); a stage that fails on its data fails the run with the
stage's own one-line reason.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE
from pyspark.sql import SparkSession

from flows.errors import UserError
from flows.runtime import RunConfig, lake_store, spark_session
from jobs.session import INGEST_POOL, SWEEP_POOL, scheduler_pool
from lakeio import layout

STAGES = ("ingest", "features", "score", "land")
# The run report's table of new cases shows this many, by priority; the count is of all.
NEW_CASES_REPORTED = 200


def summary_dict(summary: Any) -> dict[str, Any]:
    """A stage's typed summary as plain JSON-safe values (what tasks exchange)."""
    if hasattr(summary, "as_dict"):
        summary = summary.as_dict()
    elif hasattr(summary, "to_dict"):
        summary = summary.to_dict()
    elif dataclasses.is_dataclass(summary):
        summary = dataclasses.asdict(summary)
    return json.loads(json.dumps(summary, default=str))


def _status_key(day: date) -> str:
    return layout.report_day_prefix("sweep", day) + "status.json"


def read_day_status(config: RunConfig, day: date) -> dict[str, Any]:
    """Which stages of a day are done (written after each stage), for resume/skip."""
    store = lake_store(config.settings())
    if not store.exists(_status_key(day)):
        return {"day": day.isoformat(), "stages": {}}
    return json.loads(store.read_bytes(_status_key(day)))


def record_stage(config: RunConfig, day: date, stage: str, summary: dict[str, Any]) -> None:
    store = lake_store(config.settings())
    status = read_day_status(config, day)
    status["stages"][stage] = {
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "summary": summary,
    }
    # A stage redone invalidates every later stage of the same day.
    for later in STAGES[STAGES.index(stage) + 1 :]:
        status["stages"].pop(later, None)
    store.write_bytes(_status_key(day), json.dumps(status, indent=2, default=str).encode())


def run_day_job(
    config: RunConfig, day: date, stage: str, pool: str, job: Callable[[SparkSession], Any]
) -> dict[str, Any]:
    """Run one stage's Spark job in its scheduler pool and record the day's stage as done."""
    spark = spark_session(config.settings())
    with scheduler_pool(spark, pool):
        summary = summary_dict(job(spark))
    record_stage(config, day, stage, summary)
    return summary


@task(name="wait-for-day", retries=3, retry_delay_seconds=[2, 10, 30], cache_policy=NO_CACHE)
def wait_for_day(config: RunConfig, day: date) -> None:
    """Wait (up to the configured time) for both _SUCCESS markers of the day."""
    settings = config.settings()
    store = lake_store(settings)
    deadline = time.monotonic() + settings.success_wait_seconds
    while True:
        missing = store.missing_markers(day)
        if not missing:
            return
        if time.monotonic() >= deadline:
            raise UserError(
                f"{day} is not complete: missing {', '.join(missing)} in {settings.lake_uri}"
            )
        get_run_logger().info("waiting for %s", ", ".join(missing))
        time.sleep(min(30.0, max(1.0, deadline - time.monotonic())))


@task(name="ingest", cache_policy=NO_CACHE)
def ingest_stage(config: RunConfig, day: date) -> dict[str, Any]:
    from jobs.ingest import IngestParams, run

    settings = config.settings()
    params = IngestParams(
        day=day,
        lake_uri=settings.lake_uri,
        scratch_dir=str(settings.scratch_dir),
        direct_s3a=settings.spark_s3a,
        max_bad_line_share=settings.max_bad_line_share,
        local_validation_rows=settings.local_validation_rows,
    )
    summary = run_day_job(config, day, "ingest", INGEST_POOL, lambda spark: run(spark, params))
    get_run_logger().info("ingested %s: %s curated rows", day, summary.get("curated_rows"))
    return summary


@task(name="features", cache_policy=NO_CACHE)
def features_stage(config: RunConfig, day: date) -> dict[str, Any]:
    from features.account import ActivityParams
    from jobs.featurize import FeatureParams, run

    settings = config.settings()
    params = FeatureParams(
        day=day,
        lake_uri=settings.lake_uri,
        scratch_dir=str(settings.scratch_dir),
        direct_s3a=settings.spark_s3a,
        activity=ActivityParams(signal_engine=settings.signal_engine),
    )
    summary = run_day_job(config, day, "features", SWEEP_POOL, lambda spark: run(spark, params))
    get_run_logger().info(
        "features %s: %s", day, {k: summary.get(k) for k in ("accounts", "clusters")}
    )
    return summary


@task(name="score", cache_policy=NO_CACHE)
def score_stage(config: RunConfig, day: date) -> dict[str, Any]:
    from models.scoring import ScoreParams, score_day

    settings = config.settings()
    params = ScoreParams(
        day=day,
        lake_uri=settings.lake_uri,
        scratch_dir=str(settings.scratch_dir),
        tracking_uri=settings.tracking_uri,
        model_name=settings.model_name,
        direct_s3a=settings.spark_s3a,
    )
    return run_day_job(config, day, "score", SWEEP_POOL, lambda spark: score_day(spark, params))


@task(name="land-cases", retries=2, retry_delay_seconds=[2, 10], cache_policy=NO_CACHE)
def land_stage(config: RunConfig, day: date, run_id: str) -> dict[str, Any]:
    from flows.landing import build_landing
    from review.db import open_queue
    from review.landing import land_sweep
    from review.service import count_cases, list_cases

    settings = config.settings()
    spark = spark_session(settings)
    with scheduler_pool(spark, SWEEP_POOL):
        landing = build_landing(spark, settings, day, run_id)
    engine = open_queue(settings.queue_database_url)
    try:
        result = land_sweep(engine, landing, intake_cap=settings.daily_intake_cap)
        new_cases = [
            {
                "case": case.id,
                "status": case.status,
                "priority": round(case.priority, 1),
                "accounts": case.accounts_count,
                "customers": case.customers_count,
                "cluster": case.cluster_id,
                "output_tokens": case.output_tokens,
            }
            for case in list_cases(engine, status="all", first_seen=day, limit=NEW_CASES_REPORTED)
        ]
        new_cases_total = sum(count_cases(engine, first_seen=day).values())
    finally:
        engine.dispose()
    summary = summary_dict(result)
    summary["flagged_accounts"] = len(landing.accounts)
    summary["new_cases"] = new_cases
    summary["new_cases_total"] = new_cases_total
    record_stage(config, day, "land", summary)
    return summary
