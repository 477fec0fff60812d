"""Backfill: the sweep over a range of days, idempotent and resumable.

Ingest runs for several days at once (bounded concurrency: days are
independent there); features then run strictly in day order, because rolling
windows and stable cluster ids of day D read day D-1's outputs; scoring and
landing follow in order when a champion model exists (or not at all with
``features_only``). Each finished stage is recorded per day under
``reports/sweep/dt=D/status.json``; a rerun skips finished stages unless
``force``, so a backfill killed mid-way resumes where it stopped.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from prefect import flow, get_run_logger
from prefect.runtime import flow_run
from prefect.task_runners import ThreadPoolTaskRunner

from flows.errors import UserError
from flows.runtime import RunConfig
from flows.stages import (
    features_stage,
    ingest_stage,
    land_stage,
    read_day_status,
    score_stage,
    wait_for_day,
)


def day_range(start: date, end: date) -> list[date]:
    if end < start:
        raise UserError(f"--end {end} is before --start {start}")
    return [start + timedelta(days=offset) for offset in range((end - start).days + 1)]


def champion_exists(config: RunConfig) -> bool:
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    settings = config.settings()
    try:
        # registry_uri too: MLflow otherwise uses the process-wide registry URI,
        # which an earlier training or scoring in this process may have pointed elsewhere.
        MlflowClient(
            tracking_uri=settings.tracking_uri, registry_uri=settings.tracking_uri
        ).get_model_version_by_alias(settings.model_name, "champion")
    except MlflowException:
        return False
    return True


@flow(name="backfill", task_runner=ThreadPoolTaskRunner(max_workers=2))
def backfill(
    start: date,
    end: date,
    config: RunConfig | None = None,
    features_only: bool = False,
    force: bool = False,
) -> dict[str, Any]:
    """Sweep every day from ``start`` to ``end`` inclusive."""
    config = config or RunConfig()
    logger = get_run_logger()
    days = day_range(start, end)
    scoring = not features_only and champion_exists(config)
    if not features_only and not scoring:
        logger.warning("no champion model yet: backfilling up to features only")
    done = {day: set() if force else set(read_day_status(config, day)["stages"]) for day in days}

    # Stage 1: ingest, a few days at once.
    pending = [day for day in days if "ingest" not in done[day]]
    waits = {day: wait_for_day.submit(config, day) for day in pending}
    ingests = {day: ingest_stage.submit(config, day, wait_for=[waits[day]]) for day in pending}
    failed: dict[date, str] = {}
    for position, day in enumerate(pending, start=1):
        try:
            ingests[day].result()
            done[day] = {"ingest"}  # a re-ingested day invalidates its later stages
            logger.info("ingest %d/%d: %s done", position, len(pending), day)
        except Exception as exc:  # noqa: BLE001 - reported per day below
            failed[day] = f"ingest: {exc}"

    # Stage 2 and 3: in day order; stop at the first failure so no later day
    # is computed from a gap.
    run_id = str(flow_run.get_id() or "local-backfill")
    for position, day in enumerate(days, start=1):
        if day in failed:
            break
        try:
            if "features" not in done[day]:
                features_stage(config, day)
            if scoring and "score" not in done[day]:
                score_stage(config, day)
                land_stage(config, day, run_id)
            elif scoring and "land" not in done[day]:
                land_stage(config, day, run_id)
        except Exception as exc:  # noqa: BLE001
            failed[day] = str(exc)
            break
        logger.info("day %d/%d: %s done", position, len(days), day)

    result = {
        "start": start.isoformat(),
        "end": end.isoformat(),
        "days": len(days),
        "scored": scoring,
        "failed": {day.isoformat(): reason for day, reason in failed.items()},
    }
    if failed:
        first = min(failed)
        raise UserError(
            f"backfill stopped: {len(failed)} day(s) failed, first {first}: {failed[first]}"
        )
    return result
