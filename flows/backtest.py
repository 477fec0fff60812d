"""Backtest flow: replay a model version over a date range (see ``models.backtest``)
and keep the report under ``reports/backtest/`` in the lake."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from prefect import flow, get_run_logger
from prefect.artifacts import create_table_artifact

from flows.runtime import RunConfig, lake_store, spark_session
from flows.stages import summary_dict


@flow(name="backtest")
def backtest(
    start: date,
    end: date,
    model_version: str | None = None,
    config: RunConfig | None = None,
) -> dict[str, Any]:
    from models.backtest import BacktestParams
    from models.backtest import backtest as run_backtest

    config = config or RunConfig()
    settings = config.settings()
    result = summary_dict(
        run_backtest(
            spark_session(settings),
            BacktestParams(
                start=start,
                end=end,
                lake_uri=settings.lake_uri,
                scratch_dir=str(settings.scratch_dir),
                tracking_uri=settings.tracking_uri,
                model_name=settings.model_name,
                model_version=model_version,
                direct_s3a=settings.spark_s3a,
            ),
        )
    )
    key = f"reports/backtest/v{result['model_version']}/{start.isoformat()}_{end.isoformat()}.json"
    lake_store(settings).write_bytes(key, json.dumps(result, indent=2).encode())
    if result["clusters"]:
        create_table_artifact(
            table=result["clusters"][:200],
            key=f"backtest-v{result['model_version']}",
            description=f"First flag day per cluster, {start}..{end}",
        )
    get_run_logger().info(
        "backtest v%s: %d clusters flagged", result["model_version"], len(result["clusters"])
    )
    result["report"] = f"{settings.lake_uri}/{key}"
    return result
