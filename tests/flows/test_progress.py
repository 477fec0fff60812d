"""The backfill's terminal progress: what a person at a terminal sees, drawn by Rich."""

from __future__ import annotations

import io
from datetime import date

from rich.console import Console

from flows.progress import DayProgress, listening, report_day, terminal_progress


def test_the_bar_follows_the_days_reported() -> None:
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=100, color_system=None)
    with terminal_progress("backfill 2026-11-01..2026-11-02", console=console):
        report_day(DayProgress(0, 2, None))
        report_day(DayProgress(1, 2, date(2026, 11, 1)))
        report_day(DayProgress(1, 2, date(2026, 11, 2), failure="ingest: missing marker"))
    text = out.getvalue()
    assert "1/2 days" in text and "2026-11-02 failed" in text


def test_a_failing_listener_does_not_stop_the_report() -> None:
    seen: list[DayProgress] = []

    def broken(progress: DayProgress) -> None:
        raise RuntimeError("terminal went away")

    with listening(broken), listening(seen.append):
        report_day(DayProgress(1, 1, date(2026, 11, 1)))
    report_day(DayProgress(1, 1, date(2026, 11, 2)))  # nobody listens any more
    assert seen == [DayProgress(1, 1, date(2026, 11, 1))]
