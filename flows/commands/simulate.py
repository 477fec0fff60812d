"""``hydrasweep simulate``: write synthetic contract traffic into the lake.

A thin shell over ``simulate.run_simulation``: parses and checks the flags,
opens the lake from the settings, shows a progress bar per day and prints a
short summary table. Bad input ends as a one-line ``UserError``.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from flows.commands.options import FormatOption, LakeOption, OutputFormat, day_option, parse_day
from flows.errors import UserError

if TYPE_CHECKING:
    from lakeio import ObjectStore
    from simulate import CampaignSpec, SimulationConfig, SimulationSummary


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
        tactic: Annotated[
            list[str] | None,
            typer.Option(
                "--tactic",
                help="Run only this campaign tactic (repeat for several; default: all ten).",
            ),
        ] = None,
        campaign_start: Annotated[
            list[str] | None,
            typer.Option(
                "--campaign-start",
                help="TACTIC=YYYY-MM-DD: the day a campaign starts (repeatable).",
            ),
        ] = None,
        unlabelled: Annotated[
            list[str] | None,
            typer.Option(
                "--unlabelled",
                help="A tactic whose campaign enforcement never labels (repeatable).",
            ),
        ] = None,
        corpus_dir: Annotated[
            str | None,
            typer.Option(
                "--corpus-dir",
                help="A full prompt-corpora folder (default: the packaged subset).",
            ),
        ] = None,
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
        campaigns = _campaigns(start, tactic or [], campaign_start or [], unlabelled or [])
        corpus = _corpus_dir(corpus_dir)
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
                campaigns=campaigns,
                corpus_dir=corpus,
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


def _campaigns(
    start: date, tactics: list[str], starts: list[str], unlabelled: list[str]
) -> tuple[CampaignSpec, ...]:
    """The default campaigns (one per tactic, named after it), narrowed and adjusted by flags."""
    from simulate import TACTICS, CampaignSpec

    for name in (*tactics, *unlabelled):
        if name not in TACTICS:
            raise UserError(f"unknown tactic {name!r}; expected one of {', '.join(TACTICS)}")
    offsets: dict[str, int] = {}
    for item in starts:
        name, _, day = item.partition("=")
        if name not in TACTICS or not day:
            raise UserError(f"--campaign-start must be TACTIC=YYYY-MM-DD, got {item!r}")
        offsets[name] = (parse_day(day, "--campaign-start") - start).days
    chosen = [t for t in TACTICS if not tactics or t in tactics]
    for name in (*offsets, *unlabelled):
        if name not in chosen:
            raise UserError(f"{name} is not among the tactics run (--tactic)")
    return tuple(
        CampaignSpec(
            campaign_id=name,
            tactic=name,
            start_offset=offsets.get(name),
            labelled=False if name in unlabelled else None,
        )
        for name in chosen
    )


def _corpus_dir(value: str | None) -> Path | None:
    if value is None:
        return None
    import corpora

    path = Path(value).expanduser()
    if not corpora.is_corpus_dir(path):
        raise UserError(f"--corpus-dir {value} is not a prompt-corpora folder")
    return path


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
    campaigns = Table(title="Campaigns")
    for column in ("campaign", "tactic", "starts", "accounts"):
        campaigns.add_column(column, justify="right" if column == "accounts" else "left")
    for name, first_day in summary.campaign_starts.items():
        campaigns.add_row(
            name,
            summary.campaign_tactics.get(name, ""),
            first_day.isoformat(),
            f"{summary.campaign_accounts.get(name, 0):,}",
        )
    console.print(campaigns)
    console.print(f"prompt text: {summary.corpus} (evaluation split)")
    console.print(f"model release: {summary.release_day or 'none in range'}")
    labels = ", ".join(f"{key} ({count})" for key, count in summary.labels.items())
    console.print(f"labels: {labels}")
    console.print(f"ground truth: {summary.truth_key}, {summary.manifest_key}")
