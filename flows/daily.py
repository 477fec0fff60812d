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

from flows.report import publish_sweep_report
from flows.runtime import RunConfig
from flows.stages import (
    features_stage,
    ingest_stage,
    land_stage,
    score_stage,
    wait_for_day,
)


def yesterday_utc() -> date:
    return (datetime.now(UTC) - timedelta(days=1)).date()


@flow(name="daily-sweep", log_prints=False)
def daily_sweep(
    day: date | None = None,
    config: RunConfig | None = None,
    features_only: bool = False,
) -> dict[str, Any]:
    """Sweep one UTC day end to end (default: yesterday, for the scheduled run);
    with ``features_only`` stop after features."""
    day = day or yesterday_utc()
    config = config or RunConfig()
    logger = get_run_logger()
    stage_seconds: dict[str, float] = {}
    result: dict[str, Any] = {
        "day": day.isoformat(),
        "features_only": features_only,
        "stage_seconds": stage_seconds,
    }

    def timed(name: str, stage: Callable[..., Any], *args: Any) -> Any:
        started = time.perf_counter()
        try:
            return stage(*args)
        finally:
            stage_seconds[name] = round(time.perf_counter() - started, 1)

    timed("wait", wait_for_day, config, day)
    result["ingest"] = timed("ingest", ingest_stage, config, day)
    result["features"] = timed("features", features_stage, config, day)
    if features_only:
        logger.info("%s: features only, no scoring", day)
        return result
    result["score"] = timed("score", score_stage, config, day)
    run_id = str(flow_run.get_id() or f"local-{day.isoformat()}")
    result["land"] = timed("land", land_stage, config, day, run_id)
    result["report"] = publish_sweep_report(config, day, result)
    return result
