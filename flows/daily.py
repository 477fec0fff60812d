"""The daily sweep: wait for the day, ingest and validate, compute features and
clusters, score with the champion, land cases in the review queue, publish a
run report (Prefect artifacts, and the same markdown under ``reports/`` in the
lake).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from prefect import flow, get_run_logger
from prefect.runtime import flow_run

from flows.alerts import alert_on_failure
from flows.report import publish_sweep_report
from flows.runtime import RunConfig
from flows.stages import (
    day_leases,
    features_stage,
    ingest_stage,
    land_stage,
    score_stage,
    wait_for_day,
)


def scheduled_day() -> date:
    """The day a run without an explicit day sweeps: the UTC day before its scheduled start.

    The *scheduled* start, not the wall clock: a run scheduled for 00:30 that
    waited past midnight behind a backfill, or was started late after a worker
    outage, still sweeps the day it was scheduled for. A run started by hand
    (no schedule) is scheduled for the moment it was created.
    """
    start = flow_run.get_scheduled_start_time() if flow_run.get_id() else None
    moment = datetime.now(UTC) if start is None else start.astimezone(UTC)
    return (moment - timedelta(days=1)).date()


def _run_name() -> str:
    day = flow_run.get_parameters().get("day") or scheduled_day()
    return f"daily-sweep-{day}"


@flow(
    name="daily-sweep",
    flow_run_name=_run_name,
    log_prints=False,
    on_failure=[alert_on_failure],
    on_crashed=[alert_on_failure],
)
def daily_sweep(
    day: date | None = None,
    config: RunConfig | None = None,
    features_only: bool = False,
) -> dict[str, Any]:
    """Sweep one UTC day end to end (default: the day before the run's scheduled
    start, for the scheduled run); with ``features_only`` stop after features."""
    day = day or scheduled_day()
    config = config or RunConfig()
    logger = get_run_logger()
    stage_seconds: dict[str, float] = {}
    result: dict[str, Any] = {
        "day": day.isoformat(),
        "features_only": features_only,
        "stage_seconds": stage_seconds,
    }

    run_id = str(flow_run.get_id() or f"local-{day.isoformat()}")

    def timed(name: str, stage: Callable[..., Any], *args: Any) -> Any:
        started = time.perf_counter()
        try:
            return stage(*args)
        finally:
            stage_seconds[name] = round(time.perf_counter() - started, 1)

    timed("wait", wait_for_day, config, day)
    # The day is this run's until it returns: another sweep of it waits or fails.
    with day_leases(config, [day], run_id) as leases:
        leases.check()
        result["ingest"] = timed("ingest", ingest_stage, config, day)
        leases.check()
        result["features"] = timed("features", features_stage, config, day)
        if features_only:
            logger.info("%s: features only, no scoring", day)
            return result
        leases.check()
        result["score"] = timed("score", score_stage, config, day)
        leases.check()
        result["land"] = timed("land", land_stage, config, day, run_id)
        result["report"] = publish_sweep_report(config, day, result)
    return result
