"""``hydrasweep evaluate``: the detection matrix on simulated seeds (``flows.evaluate``)."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from flows.commands.options import day_option
from flows.errors import UserError

console = Console()


def _seeds(value: str) -> tuple[int, ...]:
    from flows.evaluate import EVALUATION_SEEDS, TUNING_SEEDS

    named = {"evaluation": EVALUATION_SEEDS, "tuning": TUNING_SEEDS}
    if value in named:
        return named[value]
    try:
        return tuple(int(part) for part in value.split(",") if part.strip())
    except ValueError:
        raise UserError(
            f"--seeds takes 'evaluation', 'tuning' or numbers like 5101,5102; got {value!r}"
        ) from None


def _leave_out(value: str) -> tuple[str, ...]:
    from simulate.config import TACTICS

    if value in ("", "none"):
        return ()
    if value == "all":
        return TACTICS
    chosen = tuple(part.strip() for part in value.split(",") if part.strip())
    unknown = [t for t in chosen if t not in TACTICS]
    if unknown:
        raise UserError(f"unknown tactic(s) {unknown}; known: {', '.join(TACTICS)}")
    return chosen


def print_card(card, title: str) -> None:  # noqa: ANN001 - a simulate.scorecard.Scorecard
    from simulate.scorecard import (
        POPULATION_HEADER,
        TACTIC_HEADER,
        population_table,
        tactic_table,
    )

    console.print(
        f"[bold]{title}[/bold]: precision {card.precision:.2%}, recall {card.recall:.2%}, "
        f"legitimate FPR {card.legit_false_positive_rate:.3%} "
        f"({card.flagged_accounts} of {card.active_accounts} active accounts flagged)"
    )
    for header, rows in (
        (TACTIC_HEADER, tactic_table(card)),
        (POPULATION_HEADER, population_table(card)),
    ):
        table = Table(show_edge=False)
        for column in header:
            table.add_column(column)
        for row in rows:
            table.add_row(*row)
        console.print(table)


def register(app: typer.Typer) -> None:
    @app.command("evaluate")
    def evaluate_command(
        seeds: Annotated[
            str, typer.Option("--seeds", help="'evaluation', 'tuning' or a list like 5101,5102.")
        ] = "evaluation",
        days: Annotated[int, typer.Option("--days", help="Days to simulate.")] = 28,
        train_days: Annotated[
            int, typer.Option("--train-days", help="Days up to the training cut-off.")
        ] = 21,
        scale: Annotated[float, typer.Option("--scale", help="Simulation scale.")] = 1.0,
        leave_out: Annotated[
            str,
            typer.Option(
                "--leave-out",
                help="Tactics whose labels a further model does not see: a list, 'all' or 'none'.",
            ),
        ] = "none",
        home: Annotated[
            Path, typer.Option("--home", help="Folder for the seeds' lakes and stores.")
        ] = Path(".hydrasweep") / "evaluate",
        corpus_dir: Annotated[
            Path | None,
            typer.Option("--corpus-dir", help="A full corpora folder for the simulator's text."),
        ] = None,
        start: Annotated[date, day_option("--start", "First simulated day")] = date(2026, 9, 1),
        keep: Annotated[
            bool, typer.Option("--keep", help="Reuse seeds already simulated and featurised.")
        ] = False,
        out: Annotated[
            Path | None, typer.Option("--out", help="Write the matrix here (.json and .md).")
        ] = None,
    ) -> None:
        """Simulate campaigns, run the real pipeline, and judge the whole flag rule by the truth."""
        # Each evaluation home keeps its own Prefect state unless PREFECT_HOME says otherwise:
        # evaluations run side by side (a seed each, as bench/README.md does) would race on
        # the migrations of one ephemeral server's database under ~/.prefect. Set before
        # Prefect is first imported, which reads it then (and warns when it cannot make it:
        # its parent, the evaluation home, may not exist yet).
        if "PREFECT_HOME" not in os.environ:
            prefect_home = (home / ".prefect").resolve()
            prefect_home.mkdir(parents=True, exist_ok=True)
            os.environ["PREFECT_HOME"] = str(prefect_home)
        from flows.evaluate import EvaluationPlan, evaluate_seed, summary_rows, write_report

        plan = EvaluationPlan(
            seeds=_seeds(seeds),
            days=days,
            train_days=train_days,
            scale=scale,
            start=start,
            leave_out=_leave_out(leave_out),
            home=home,
            corpus_dir=corpus_dir,
            keep=keep,
        )
        results = []
        for seed in plan.seeds:
            result = evaluate_seed(plan, seed, log=lambda line: console.print(line))
            results.append(result)
            for variant, card in result.cards.items():
                print_card(card, f"seed {seed}, labels left out: {variant}")
        table = Table(title="Summary (whole flag rule over the swept days)")
        for column in (
            "seed",
            "left out",
            "precision",
            "recall",
            "legit FPR",
            "worst population",
            "left-out recall",
        ):
            table.add_column(column)
        for row in summary_rows(results):
            table.add_row(
                str(row["seed"]),
                row["labels_left_out"],
                f"{row['precision']:.2%}",
                f"{row['recall']:.2%}",
                f"{row['legit_fpr']:.3%}",
                f"{row['worst_population_fpr']:.2%}",
                "-" if row["left_out_recall"] is None else f"{row['left_out_recall']:.2%}",
            )
        console.print(table)
        if out is not None:
            write_report(results, plan, out)
            console.print(f"wrote {out.with_suffix('.json')} and {out.with_suffix('.md')}")
