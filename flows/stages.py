"""Prefect tasks: one per pipeline stage, each a thin call into jobs, models
or review with small serialisable values in and out.

Retries go only where I/O can fail transiently (waiting on the lake, landing
in the queue database); a stage that fails on its data fails the run with the
stage's own one-line reason. A day that fails validation also leaves a link
artifact to its page in the lake's Data Docs site (``validation-YYYY-MM-DD``).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from prefect import get_run_logger, task
from prefect.artifacts import create_link_artifact
from prefect.cache_policies import NO_CACHE

from flows.errors import UserError
from flows.runtime import RunConfig, Runtime
from jobs.session import INGEST_POOL, SWEEP_POOL, counted_jobs, scheduler_pool
from lakeio import layout
from lakeio.reports import StageSummary, jsonable

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from jobs.ingest import IngestSummary
    from review.leases import DayLeases

STAGES = ("ingest", "features", "score", "land")
# The run report's table of new cases shows this many, by priority; the count is of all.
NEW_CASES_REPORTED = 200


def summary_dict(summary: Any) -> dict[str, Any]:
    """A stage's result as plain JSON values (what tasks exchange).

    Stage results follow ``lakeio.reports.StageSummary``; the review queue's
    results are plain dataclasses, taken field by field.
    """
    if isinstance(summary, StageSummary):
        return summary.as_dict()
    return jsonable(dataclasses.asdict(summary))


def read_day_status(config: RunConfig, day: date) -> dict[str, Any]:
    """Which stages of a day are done (written after each stage), for resume/skip."""
    status = Runtime.of(config).store().read_json(layout.report_key(layout.SWEEP_STATUS, day))
    return status if status is not None else {"day": day.isoformat(), "stages": {}}


def record_stage(config: RunConfig, day: date, stage: str, summary: dict[str, Any]) -> None:
    status = read_day_status(config, day)
    status["stages"][stage] = {
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "summary": summary,
    }
    # A stage redone invalidates every later stage of the same day.
    for later in STAGES[STAGES.index(stage) + 1 :]:
        status["stages"].pop(later, None)
    Runtime.of(config).store().write_json(layout.report_key(layout.SWEEP_STATUS, day), status)


@contextmanager
def day_leases(config: RunConfig, days: list[date], run_id: str) -> Iterator[DayLeases]:
    """Hold ``days`` of the lake for this run: no other sweep of them runs meanwhile.

    Waits (``day_lease_wait_seconds``) for a day another sweep holds, then fails
    naming that sweep. The leases live in the queue database, where every sweep
    of the lake lands (``review.leases``).
    """
    from review.db import open_queue
    from review.errors import ReviewError
    from review.leases import DayLeases, new_holder

    runtime = Runtime.of(config)
    settings = runtime.settings
    engine = open_queue(settings.queue_database_url)
    leases = DayLeases(
        engine,
        runtime.lake.uri,
        new_holder(run_id),
        ttl=timedelta(seconds=settings.day_lease_seconds),
        wait=timedelta(seconds=settings.day_lease_wait_seconds),
    )
    try:
        try:
            leases.acquire(days)
        except ReviewError as exc:
            raise UserError(str(exc)) from exc
        yield leases
    finally:
        leases.close()
        engine.dispose()


def run_day_job(
    config: RunConfig,
    day: date,
    stage: str,
    pool: str,
    job: Callable[[SparkSession, Runtime], StageSummary],
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Run one stage's Spark job in its scheduler pool and record the day's stage as done
    (with ``extra`` added to its summary)."""
    runtime = Runtime.of(config)
    spark = runtime.spark()
    with scheduler_pool(spark, pool), counted_jobs(spark, f"{stage}-{day}") as count:
        summary = job(spark, runtime).as_dict()
    summary["spark_jobs"] = count.jobs
    summary.update(extra or {})
    record_stage(config, day, stage, summary)
    return summary


def _transient(task: Any, task_run: Any, state: Any) -> bool:
    """Retry on I/O trouble, never on a ``UserError``: retrying cannot change its answer."""
    try:
        state.result()
    except UserError:
        return False
    except Exception:  # noqa: BLE001 - anything else may be a blip of the store
        return True
    return True


@task(
    name="wait-for-day",
    task_run_name="wait-for-{day}",
    retries=3,
    retry_delay_seconds=[2, 10, 30],
    retry_condition_fn=_transient,
    cache_policy=NO_CACHE,
)
def wait_for_day(config: RunConfig, day: date) -> None:
    """Wait (up to the configured time) for both _SUCCESS markers of the day."""
    runtime = Runtime.of(config)
    store = runtime.store()
    deadline = time.monotonic() + runtime.settings.success_wait_seconds
    while True:
        missing = store.missing_markers(day)
        if not missing:
            return
        if time.monotonic() >= deadline:
            raise UserError(
                f"{day} is not complete: missing {', '.join(missing)} in {runtime.lake.uri}"
            )
        get_run_logger().info("waiting for %s", ", ".join(missing))
        time.sleep(min(30.0, max(1.0, deadline - time.monotonic())))


def validation_artifact_key(day: date) -> str:
    """The key of a day's validation link artifact: each failure of the day is a version of it."""
    return f"validation-{day.isoformat()}"


def publish_validation_failure(summary: IngestSummary) -> None:
    """A link artifact to the failed day's page in the lake's Data Docs site.

    The link is the page of the day's first failed batch, as the lake names it
    (``file://`` for a local lake, ``s3://`` otherwise); the description is the
    day's one-line verdict, so the run's artifacts say what failed and where
    to look without opening its logs.
    """
    try:
        create_link_artifact(
            key=validation_artifact_key(summary.day),
            link=summary.data_docs_url,
            link_text=f"Data Docs of {summary.day}",
            description=f"{summary.day} failed validation: {summary.validation.describe()}",
        )
    except Exception as exc:  # noqa: BLE001 - the day's own failure is what must be reported
        get_run_logger().warning("could not create the validation link artifact: %s", exc)


@task(name="ingest", task_run_name="ingest-{day}", cache_policy=NO_CACHE)
def ingest_stage(config: RunConfig, day: date) -> dict[str, Any]:
    from jobs.ingest import IngestParams, ValidationFailed, run

    def ingest(spark: SparkSession, runtime: Runtime) -> StageSummary:
        settings = runtime.settings
        params = IngestParams(
            day=day,
            lake=runtime.lake,
            max_bad_line_share=settings.max_bad_line_share,
            local_validation_rows=settings.local_validation_rows,
            alert_webhook_url=settings.alert_webhook_url,
        )
        try:
            return run(spark, params)
        except ValidationFailed as failure:
            publish_validation_failure(failure.summary)
            raise

    summary = run_day_job(config, day, "ingest", INGEST_POOL, ingest)
    get_run_logger().info("ingested %s: %s curated rows", day, summary.get("curated_rows"))
    return summary


def text_model(runtime: Runtime) -> tuple[Any, str]:
    """The text model's local weights and version: trained on first use, then found."""
    from models.text_intent import ensure_text_model

    return ensure_text_model(
        runtime.tracking.uri,
        runtime.tracking.artifact_root,
        runtime.settings.scratch_dir / "text-intent",
    )


def _feature_params(runtime: Runtime, day: date, **extra: Any) -> Any:
    """The features job's parameters for ``day`` (the text model trained once, then found)."""
    from jobs.featurize import FeatureParams

    path, version = text_model(runtime)
    return FeatureParams(
        day=day,
        lake=runtime.lake,
        signal_engine=runtime.settings.signal_engine,
        text_model_path=str(path),
        text_model_version=version,
        sharing_key_file=(
            str(runtime.settings.sharing_key_file) if runtime.settings.sharing_key_file else None
        ),
        **extra,
    )


@task(name="activity", task_run_name="activity-{days[0]}+{days_after}", cache_policy=NO_CACHE)
def activity_stage(config: RunConfig, days: list[date], days_after: int = 0) -> dict[str, Any]:
    """A backfill's batch: the activity rows of ``days`` in one pass over their text.

    Not a stage of its own in the days' status: each day's features stage, which
    reads the rows, records the batch in its summary (``activity_batch``).
    ``days_after`` only names the task run (the days after the first).
    """
    from jobs.featurize import write_activity

    runtime = Runtime.of(config)
    spark = runtime.spark()
    with scheduler_pool(spark, SWEEP_POOL):
        summary = write_activity(spark, _feature_params(runtime, days[0]), days).as_dict()
    get_run_logger().info(
        "activity of %d day(s) in one pass (%s..%s): %s s, %s Spark jobs",
        len(summary["computed"]),
        days[0],
        days[-1],
        summary["seconds"],
        summary["spark_jobs"],
    )
    return summary


@task(name="features", task_run_name="features-{day}", cache_policy=NO_CACHE)
def features_stage(
    config: RunConfig, day: date, activity_batch: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The features job of ``day``; with ``activity_batch`` (what ``activity_stage``
    returned for a batch holding the day) its activity rows are read as written."""
    from jobs.featurize import run

    written = activity_batch is not None and day.isoformat() in activity_batch["computed"]

    def featurize(spark: SparkSession, runtime: Runtime) -> StageSummary:
        return run(spark, _feature_params(runtime, day, activity_written=written))

    summary = run_day_job(
        config,
        day,
        "features",
        SWEEP_POOL,
        featurize,
        extra={"activity_batch": activity_batch} if written else None,
    )
    get_run_logger().info(
        "features %s: %s", day, {k: summary.get(k) for k in ("accounts", "clusters")}
    )
    return summary


@task(name="features-batch", task_run_name="features-{days[0]}+{days_after}", cache_policy=NO_CACHE)
def features_batch_stage(
    config: RunConfig, days: list[date], activity_batch: dict[str, Any], days_after: int = 0
) -> dict[str, Any]:
    """The features jobs of a backfill's batch of days, in order (``jobs.featurize.run_days``:
    their rolling account features and memberships in one plan), each day recorded as
    done as it is written, as ``features_stage`` records it.

    Returns ``{"done": [days], "failed": {"day": ..., "error": ...} or None}``: a failing
    day stops the batch (the days after it read its clusters), and the backfill
    reports it as that day's failure. ``days_after`` only names the task run.
    """
    from jobs.featurize import run_days

    runtime = Runtime.of(config)
    spark = runtime.spark()
    params = _feature_params(runtime, days[0], activity_written=True)
    done: list[str] = []
    failed = None
    with scheduler_pool(spark, SWEEP_POOL):
        summaries = run_days(spark, params, days)
        try:
            for day in sorted(days):
                try:
                    with counted_jobs(spark, f"features-{day}") as count:
                        summary = next(summaries).as_dict()
                except Exception as exc:  # noqa: BLE001 - the backfill reports the day
                    failed = {"day": day.isoformat(), "error": str(exc)}
                    break
                summary["spark_jobs"] = count.jobs
                if day.isoformat() in activity_batch["computed"]:
                    summary["activity_batch"] = activity_batch
                record_stage(config, day, "features", summary)
                done.append(day.isoformat())
                get_run_logger().info(
                    "features %s: %s", day, {k: summary.get(k) for k in ("accounts", "clusters")}
                )
        finally:
            summaries.close()
    return {"done": done, "failed": failed}


@task(name="score", task_run_name="score-{day}", cache_policy=NO_CACHE)
def score_stage(config: RunConfig, day: date) -> dict[str, Any]:
    from models.scoring import ScoreParams, score_day

    def score(spark: SparkSession, runtime: Runtime) -> StageSummary:
        return score_day(spark, ScoreParams(day=day, lake=runtime.lake, tracking=runtime.tracking))

    return run_day_job(config, day, "score", SWEEP_POOL, score)


@task(
    name="land-cases",
    task_run_name="land-{day}",
    retries=2,
    retry_delay_seconds=[2, 10],
    retry_condition_fn=_transient,
    cache_policy=NO_CACHE,
)
def land_stage(config: RunConfig, day: date, run_id: str) -> dict[str, Any]:
    """The day's review feed (a Spark job), then its landing in the queue."""
    from jobs.review_feed import ReviewFeedParams
    from jobs.review_feed import run as write_review_feed
    from review.db import open_queue
    from review.feed import read_review_feed
    from review.landing import land_sweep
    from review.service import count_cases, list_cases

    runtime = Runtime.of(config)
    spark = runtime.spark()
    with scheduler_pool(spark, SWEEP_POOL), counted_jobs(spark, f"land-{day}") as count:
        write_review_feed(spark, ReviewFeedParams(day=day, lake=runtime.lake))
    landing = read_review_feed(runtime.store(), day, run_id)
    engine = open_queue(runtime.settings.queue_database_url)
    try:
        result = land_sweep(engine, landing, intake_cap=runtime.settings.daily_intake_cap)
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
    summary["spark_jobs"] = count.jobs
    record_stage(config, day, "land", summary)
    return summary
