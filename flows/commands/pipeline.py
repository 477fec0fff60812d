"""Pipeline commands: sweep, backfill, train, promote, backtest and demo.

Each runs the same Prefect flow a deployment runs, locally (Prefect starts a
temporary server on first use; no server needs to be running).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from contextlib import nullcontext
from datetime import date
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from flows.commands import summaries
from flows.commands.options import (
    FormatOption,
    HomeOption,
    LakeOption,
    OutputFormat,
    QueueUrlOption,
    SparkMasterOption,
    TrackingUriOption,
    day_option,
)
from flows.errors import UserError

if TYPE_CHECKING:
    from flows.runtime import RunConfig

console = Console()


def _config(
    home: str | None,
    lake: str | None,
    queue_url: str | None,
    tracking_uri: str | None,
    spark_master: str | None,
) -> RunConfig:
    from flows.runtime import RunConfig

    return RunConfig(
        home=home,
        lake=lake,
        queue_url=queue_url,
        mlflow_tracking_uri=tracking_uri,
        spark_master=spark_master,
    )


def _print(
    result: dict[str, Any],
    output: OutputFormat,
    lines: Callable[[dict[str, Any]], list[str]] | None = None,
) -> None:
    """JSON for scripts; in text mode the command's few ``lines`` (else the JSON, coloured)."""
    if output is OutputFormat.json:
        typer.echo(json.dumps(result, indent=2, default=str))
    elif lines is not None:
        for line in lines(result):
            console.print(line, markup=False, highlight=False, soft_wrap=True)
    else:
        console.print_json(json.dumps(result, default=str))


def _print_decision(result: dict[str, Any], rows: list[dict[str, Any]]) -> None:
    """The promotion as a person reads it: the table first, then the verdict."""
    from rich.table import Table

    if rows:
        window = result.get("window") or {}
        table = Table(title=f"window {window.get('start')}..{window.get('end')}")
        for column in rows[0]:
            table.add_column(column, justify="left" if column == "metric" else "right")
        for row in rows:
            table.add_row(
                *(
                    value if isinstance(value, str) else "-" if value is None else f"{value:.4f}"
                    for value in row.values()
                )
            )
        console.print(table)
    verdict = "dry run, nothing moved: " if result.get("dry_run") else ""
    console.print(f"{verdict}{result.get('reason')}", markup=False, highlight=False)
    console.print(f"champion after: v{result.get('champion_after')}", markup=False)


StartOption = Annotated[date, day_option("--start", "First day")]
EndOption = Annotated[date, day_option("--end", "Last day (inclusive)")]


def register(app: typer.Typer) -> None:
    @app.command("sweep")
    def sweep_command(
        day: Annotated[date, day_option("--date", "UTC day to sweep")],
        features_only: Annotated[
            bool, typer.Option("--features-only", help="Stop after features.")
        ] = False,
        home: HomeOption = None,
        lake: LakeOption = None,
        queue_url: QueueUrlOption = None,
        tracking_uri: TrackingUriOption = None,
        spark_master: SparkMasterOption = None,
        output: FormatOption = OutputFormat.text,
    ) -> None:
        """The daily sweep flow for one day: ingest, validate, features, score, land cases."""
        from flows.daily import daily_sweep

        config = _config(home, lake, queue_url, tracking_uri, spark_master)
        _print(
            daily_sweep(day=day, config=config, features_only=features_only),
            output,
            summaries.sweep_lines,
        )

    @app.command("backfill")
    def backfill_command(
        start: StartOption,
        end: EndOption,
        features_only: Annotated[
            bool, typer.Option("--features-only", help="Only the stages up to features.")
        ] = False,
        force: Annotated[bool, typer.Option("--force", help="Redo days already finished.")] = False,
        home: HomeOption = None,
        lake: LakeOption = None,
        queue_url: QueueUrlOption = None,
        tracking_uri: TrackingUriOption = None,
        spark_master: SparkMasterOption = None,
        output: FormatOption = OutputFormat.text,
    ) -> None:
        """The sweep over a range of days: idempotent, resumable, skips finished days."""
        from flows.backfill import backfill, day_range
        from flows.progress import terminal_progress

        day_range(start, end)  # a reversed range is a usage error before any server starts
        config = _config(home, lake, queue_url, tracking_uri, spark_master)
        watching = output == OutputFormat.text and sys.stderr.isatty()
        with terminal_progress(f"backfill {start}..{end}") if watching else nullcontext():
            result = backfill(
                start=start, end=end, config=config, features_only=features_only, force=force
            )
        _print(result, output, summaries.backfill_lines)

    @app.command("train")
    def train_command(
        as_of: Annotated[date, day_option("--as-of", "Training cut-off day")],
        home: HomeOption = None,
        lake: LakeOption = None,
        queue_url: QueueUrlOption = None,
        tracking_uri: TrackingUriOption = None,
        spark_master: SparkMasterOption = None,
        output: FormatOption = OutputFormat.text,
    ) -> None:
        """Train a challenger on features and labels known at the cut-off, tracked in MLflow."""
        from flows.training import retrain

        config = _config(home, lake, queue_url, tracking_uri, spark_master)
        _print(retrain(as_of=as_of, config=config), output, summaries.train_lines)

    @app.command("promote")
    def promote_command(
        rollback: Annotated[
            bool, typer.Option("--rollback", help="Restore the previous champion.")
        ] = False,
        dry_run: Annotated[
            bool,
            typer.Option("--dry-run", help="Judge and print the comparison; move no alias."),
        ] = False,
        version: Annotated[
            str | None,
            typer.Option("--version", help="The version to judge (default: the challenger)."),
        ] = None,
        home: HomeOption = None,
        lake: LakeOption = None,
        tracking_uri: TrackingUriOption = None,
        spark_master: SparkMasterOption = None,
        output: FormatOption = OutputFormat.text,
    ) -> None:
        """Compare challenger and champion on the same held-out data; promote only through the gates."""
        from flows.training import comparison_rows, promote

        if rollback and (dry_run or version):
            raise UserError("--rollback takes neither --dry-run nor --version")
        config = _config(home, lake, None, tracking_uri, spark_master)
        result = promote(config=config, rollback=rollback, dry_run=dry_run, version=version)
        if output is OutputFormat.json:
            _print(result, output)
        else:
            _print_decision(result, comparison_rows(result))
        if not result.get("promoted") and not rollback and not dry_run:
            raise typer.Exit(code=3)

    @app.command("backtest")
    def backtest_command(
        start: StartOption,
        end: EndOption,
        model_version: Annotated[
            str | None,
            typer.Option("--model-version", help="Registered version (default: champion)."),
        ] = None,
        home: HomeOption = None,
        lake: LakeOption = None,
        tracking_uri: TrackingUriOption = None,
        spark_master: SparkMasterOption = None,
        output: FormatOption = OutputFormat.text,
    ) -> None:
        """Replay a model version over a date range: when would each cluster first have been flagged."""
        from flows.backtest import backtest

        config = _config(home, lake, None, tracking_uri, spark_master)
        result = backtest(start=start, end=end, model_version=model_version, config=config)
        _print(result, output)

    @app.command("demo")
    def demo_command(
        home: Annotated[
            str | None,
            typer.Option("--home", help="Folder for the demo's lake, databases and reports."),
        ] = None,
        days: Annotated[
            int,
            typer.Option(
                "--days",
                min=20,
                help="Days of traffic to simulate (training needs 12 days before the swept week).",
            ),
        ] = 21,
        scale: Annotated[
            float, typer.Option("--scale", help="Traffic scale (1.0 ~ 25k requests/day).")
        ] = 1.0,
        seed: Annotated[int, typer.Option("--seed")] = 7,
        start: Annotated[date, day_option("--start", "First simulated day")] = date(2026, 10, 1),
        output: FormatOption = OutputFormat.text,
    ) -> None:
        """The main job on embedded defaults: simulate, backfill, train, promote, sweep, fill the queue."""
        from flows.demo import run_demo

        # With --format json the progress and summary go to stderr, the result to stdout.
        shown = console if output is OutputFormat.text else Console(stderr=True)
        result = run_demo(home=home, days=days, scale=scale, seed=seed, start=start, console=shown)
        if output is OutputFormat.json:
            _print(result, output)
