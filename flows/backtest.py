"""Backtest flow: replay a model version over a date range (see ``models.backtest``)
and keep the report under ``reports/backtest/`` in the lake."""

from __future__ import annotations

from datetime import date
from typing import Any

from prefect import flow, get_run_logger
from prefect.artifacts import create_table_artifact

from flows.runtime import RunConfig, Runtime
from lakeio import layout


@flow(name="backtest")
def backtest(
    start: date,
    end: date,
    model_version: str | None = None,
    config: RunConfig | None = None,
) -> dict[str, Any]:
    from models.backtest import BacktestParams
    from models.backtest import backtest as run_backtest

    runtime = Runtime.of(config or RunConfig())
    params = BacktestParams(
        start=start,
        end=end,
        lake=runtime.lake,
        tracking=runtime.tracking,
        model_version=model_version,
    )
    result = run_backtest(runtime.spark(), params).as_dict()
    key = layout.backtest_report_key(result["model_version"], start, end)
    runtime.store().write_json(key, result)
    if result["clusters"]:
        create_table_artifact(
            table=result["clusters"][:200],
            key=f"backtest-v{result['model_version']}",
            description=f"First flag day per cluster, {start}..{end}",
        )
    get_run_logger().info(
        "backtest v%s: %d clusters flagged", result["model_version"], len(result["clusters"])
    )
    result["report"] = f"{runtime.lake.uri}/{key}"
    return result
