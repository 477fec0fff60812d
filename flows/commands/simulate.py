"""``hydrasweep simulate``: write synthetic contract traffic into the lake.

A thin shell over ``simulate.run_simulation``: parses and checks the flags,
opens the lake from the settings, shows a progress bar per day and prints a
short summary table. Bad input ends as a one-line ``UserError``.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import date
from typing import TYPE_CHECKING, Annotated

import typer

from flows.commands.options import FormatOption, LakeOption, OutputFormat, day_option
from flows.errors import UserError

if TYPE_CHECKING:
    from lakeio import ObjectStore
    from simulate import SimulationConfig, SimulationSummary


def register(app: typer.Typer) -> None:
    @app.command("simulate")
    def simulate_command(
        start: Annotated[date, day_option("--start", "First day to simulate")],
        days: Annotated[int, typer.Option("--days", help="Number of days to simulate.")],
        seed: Annotated[
            int, typer.Option("--seed", help="Random seed; same seed, same bytes.")
        ] = 7,
        scale: Annotated[
            float, typer.Option("--scale", help="Traffic scale: 1.0 is about 25k requests a day.")
        ] = 1.0,
        release_day: Annotated[
            date | None,
            day_option(
                "--release-day", "Day a new model is released (default: ~60% into the range)"
            ),
        ] = None,
        bad_line_rate: Annotated[
            float, typer.Option("--bad-line-rate", help="Share of request lines that are bad.")
        ] = 0.004,
        duplicate_rate: Annotated[
            float, typer.Option("--duplicate-rate", help="Share of requests delivered twice.")
        ] = 0.003,
        files_per_day: Annotated[
            int, typer.Option("--files-per-day", help="Request files written per day.")
        ] = 4,
        lake: LakeOption = None,
        output: FormatOption = OutputFormat.text,
    ) -> None:
        """Write synthetic traffic that follows the contract into the lake."""
        from flows.settings import load_settings
        from lakeio import open_store
        from lakeio.errors import LakeError
        from simulate import SimulationConfig

        if days < 1:
            raise UserError(f"--days must be at least 1, got {days}")
        try:
            config = SimulationConfig(
                start=start,
                days=days,
                seed=seed,
                scale=scale,
                release_day=release_day,
                bad_line_rate=bad_line_rate,
                duplicate_rate=duplicate_rate,
                files_per_day=files_per_day,
            )
        except ValueError as exc:
            raise UserError(_as_flags(str(exc))) from None

        settings = load_settings(lake=lake)
        try:
            store = open_store(settings.lake_uri)
            summary = _run_with_progress(store, config)
        except LakeError as exc:
            raise UserError(str(exc)) from None
        if output is OutputFormat.json:
            typer.echo(json.dumps(asdict(summary), indent=2, default=str))
        else:
            _print_summary(summary)


def _as_flags(message: str) -> str:
    """Name the flag the user typed, not the config field behind it."""
    for field in ("bad_line_rate", "duplicate_rate", "files_per_day", "scale", "days"):
        message = message.replace(f"{field} must", f"--{field.replace('_', '-')} must")
    return message


def _run_with_progress(store: ObjectStore, config: SimulationConfig) -> SimulationSummary:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from simulate import run_simulation

    console = Console(stderr=True)
    with Progress(
        TextColumn("[bold]simulating[/bold] {task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as progress:
        task = progress.add_task(f"{config.start} .. {config.end}", total=config.days)

        def advance(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        return run_simulation(store, config, progress=advance)


def _print_summary(summary: SimulationSummary) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    table = Table(title=f"Simulated traffic in {summary.lake_uri}")
    for column in ("day", "requests", "lines", "bad lines", "duplicates", "accounts", "active"):
        table.add_column(column, justify="left" if column == "day" else "right")
    for day in summary.days:
        table.add_row(
            day.day.isoformat(),
            f"{day.requests:,}",
            f"{day.lines:,}",
            f"{day.bad_line_total:,}",
            f"{day.duplicates:,}",
            f"{day.accounts_in_snapshot:,}",
            f"{day.active_accounts:,}",
        )
    console.print(table)
    starts = ", ".join(f"{name} {day}" for name, day in summary.campaign_starts.items())
    console.print(f"campaigns start: {starts}")
    console.print(f"model release: {summary.release_day or 'none in range'}")
    labels = ", ".join(f"{key} ({count})" for key, count in summary.labels.items())
    console.print(f"labels: {labels}")
    console.print(f"ground truth: {summary.truth_key}, {summary.manifest_key}")
