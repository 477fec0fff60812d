"""Progress a person at a terminal can watch: the backfill reports each day it finishes.

The backfill flow calls ``report_day`` after every day (and once before the
first); whoever listens in this process gets it. ``terminal_progress`` is the
CLI's listener: a Rich progress bar on standard error (days done of all, the
day, elapsed time), drawn only when standard error is a terminal and the
output is text, so JSON output, pipes and CI logs stay clean. Prefect's own
progress artifact and per-day table are the same facts for the UI.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DayProgress:
    done: int  # days finished so far
    total: int
    day: date | None  # the day just finished (None before the first)
    failure: str | None = None


_listeners: list[Callable[[DayProgress], None]] = []
_lock = threading.Lock()


@contextmanager
def listening(callback: Callable[[DayProgress], None]) -> Iterator[None]:
    """Call ``callback`` with every ``DayProgress`` reported while inside."""
    with _lock:
        _listeners.append(callback)
    try:
        yield
    finally:
        with _lock:
            _listeners.remove(callback)


def report_day(progress: DayProgress) -> None:
    """Tell the listeners; a listener's error never stops the backfill."""
    with _lock:
        listeners = list(_listeners)
    for callback in listeners:
        try:
            callback(progress)
        except Exception as exc:  # noqa: BLE001 - a progress bar must not fail a run
            log.warning("progress listener failed: %s", exc)


@contextmanager
def terminal_progress(description: str, *, console: Any = None) -> Iterator[None]:
    """A Rich progress bar of the days reported while inside (on ``console``, else stderr)."""
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("days"),
        TimeElapsedColumn(),
        console=console or Console(stderr=True),
    )
    task = bar.add_task(description, total=None)

    def update(progress: DayProgress) -> None:
        state = "failed" if progress.failure else "done"
        label = f"{description}: {progress.day} {state}" if progress.day else description
        bar.update(task, total=progress.total, completed=progress.done, description=label)

    with bar, listening(update):
        yield
