"""Tiny simulated lakes for infrastructure tests: a few days of contract traffic
from the project's simulator, small enough that a sweep of one day takes seconds."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from lakeio import layout, open_store


def write_tiny_lake(lake_root: Path, last_day: date, *, days: int = 3) -> None:
    """Simulate ``days`` complete days ending on ``last_day`` into a local lake folder."""
    from simulate.config import SimulationConfig
    from simulate.runner import run_simulation

    lake_root.mkdir(parents=True, exist_ok=True)
    config = SimulationConfig(
        start=last_day - timedelta(days=days - 1),
        days=days,
        seed=11,
        scale=0.05,
        files_per_day=1,
    )
    run_simulation(open_store(str(lake_root)), config)


def day_partitions(lake: Path, day: date, areas: tuple[str, ...]) -> set[str]:
    """The tables under ``areas`` (e.g. ``curated``) with a ``dt=day`` partition."""
    suffix = layout.day_partition(day)
    return {
        str(partition.parent.relative_to(lake))
        for area in areas
        for partition in (lake / area).rglob(suffix)
        if partition.is_dir()
    }
