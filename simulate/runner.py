"""``run_simulation``: the whole run, day after day, then labels, truth and manifest.

The account directory is built once from the seed; each day is then generated
from its own generator and written completely (markers last) before the next
starts, so memory stays flat in the number of days and a progress callback can
report after every day. Labels and ground truth are written at the end.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from lakeio import ObjectStore
from simulate import catalog, labels, truth
from simulate.accounts import HARD_NEGATIVE_SIGNAL, POPULATIONS, build_directory
from simulate.config import BAD_LINE_KINDS, CAMPAIGNS, SimulationConfig
from simulate.writer import DaySummary, write_day

CAMPAIGN_DESCRIPTIONS = {
    "campaign-aggressive": (
        "Young unverified free/build accounts created in bursts, shared datacenter proxies, "
        "payment instruments shared in small groups, templated instruction sweeps over many "
        "domains with chain-of-thought system prompts, flat 24-hour machine-paced traffic, "
        "raw HTTP clients."
    ),
    "campaign-distributed": (
        "Aged accounts dormant for months that wake together, residential proxies with little "
        "IP reuse, half ordinary prompts, three campaign-wide system prompts, synchronized "
        "operator windows."
    ),
    "campaign-reasoning": (
        "Small reasoning-focused campaign: one shared grader/rubric system prompt, reasoning "
        "questions, starts late and is never labelled."
    ),
}


@dataclass(frozen=True)
class SimulationSummary:
    """What a run wrote and where: the CLI prints it, tests and the demo read it."""

    lake_uri: str
    config: SimulationConfig
    days: tuple[DaySummary, ...]
    accounts: int
    accounts_by_population: dict[str, int]
    campaign_starts: dict[str, date]
    release_day: date | None
    labels: dict[str, int]  # label count by file key
    truth_key: str
    manifest_key: str

    @property
    def total_requests(self) -> int:
        return sum(day.requests for day in self.days)

    @property
    def total_bad_lines(self) -> int:
        return sum(day.bad_line_total for day in self.days)

    @property
    def total_duplicates(self) -> int:
        return sum(day.duplicates for day in self.days)

    @property
    def label_keys(self) -> tuple[str, ...]:
        return tuple(self.labels)


def run_simulation(
    store: ObjectStore,
    config: SimulationConfig,
    progress: Callable[[int, int], None] | None = None,
) -> SimulationSummary:
    """Write ``config.days`` days of contract traffic, labels and ground truth into ``store``."""
    directory = build_directory(config)
    summaries: list[DaySummary] = []
    for index in range(config.days):
        summaries.append(write_day(store, config, directory, index))
        if progress is not None:
            progress(index + 1, config.days)

    label_counts = labels.write_labels(store, config, directory)
    rows = truth.truth_rows(directory, config.day_list)
    by_population = Counter(row["population"] for row in rows)
    campaign_starts = {c: config.campaign_start(c) for c in CAMPAIGNS}
    manifest = _manifest(config, summaries, rows, label_counts, campaign_starts)
    truth.write_truth(store, rows, manifest)
    return SimulationSummary(
        lake_uri=store.uri,
        config=config,
        days=tuple(summaries),
        accounts=len(rows),
        accounts_by_population={p: by_population.get(p, 0) for p in POPULATIONS},
        campaign_starts=campaign_starts,
        release_day=config.effective_release_day,
        labels=label_counts,
        truth_key=truth.TRUTH_ACCOUNTS_KEY,
        manifest_key=truth.MANIFEST_KEY,
    )


def _manifest(
    config: SimulationConfig,
    summaries: list[DaySummary],
    rows: list[dict[str, Any]],
    label_counts: dict[str, int],
    campaign_starts: dict[str, date],
) -> dict[str, Any]:
    release = config.effective_release_day
    campaigns = []
    for campaign_id in CAMPAIGNS:
        members = [row for row in rows if row["campaign_id"] == campaign_id]
        campaigns.append(
            {
                "campaign_id": campaign_id,
                "start_day": campaign_starts[campaign_id].isoformat(),
                "in_range": config.start <= campaign_starts[campaign_id] <= config.end,
                "accounts": len(members),
                "labelled_accounts": sum(1 for row in members if row["enforcement_labeled_on"]),
                "description": CAMPAIGN_DESCRIPTIONS[campaign_id],
            }
        )
    return {
        "generator": "hydrasweep.simulate",
        "config": config.describe(),
        "start": config.start.isoformat(),
        "end": config.end.isoformat(),
        "campaigns": campaigns,
        "release_day": release.isoformat() if release else None,
        "release_at": f"{release.isoformat()}T00:00:00.000Z" if release else None,
        "models": {
            "before_release": list(catalog.MODELS_BEFORE_RELEASE),
            "new": catalog.MODEL_NEW,
        },
        "promotion_day": config.promotion_day.isoformat(),
        "class_signup_day": config.class_signup_day.isoformat(),
        "populations": {p: sum(1 for row in rows if row["population"] == p) for p in POPULATIONS},
        "hard_negative_signals": HARD_NEGATIVE_SIGNAL,
        "bad_line_kinds": list(BAD_LINE_KINDS),
        "user_agent_kinds": catalog.USER_AGENT_KINDS,
        "labels": label_counts,
        "days": [summary.describe() for summary in summaries],
        "totals": {
            "requests": sum(s.requests for s in summaries),
            "lines": sum(s.lines for s in summaries),
            "bad_lines": {k: sum(s.bad_lines[k] for s in summaries) for k in BAD_LINE_KINDS},
            "duplicates": sum(s.duplicates for s in summaries),
        },
    }
