"""``run_simulation``: the whole run, day after day, then labels, truth and manifest.

The account directory is built once from the seed; each day is then generated
from its own generator and written completely (markers last) before the next
starts, so memory stays flat in the number of days (one first-activity day per
account is all that is carried) and a progress callback can report after every
day. Labels and ground truth are written at the end.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np

from lakeio import ObjectStore
from simulate import catalog, labels, text, truth
from simulate.accounts import LOOKALIKES, POPULATIONS, Directory
from simulate.config import BAD_LINE_KINDS, SimulationConfig
from simulate.directory import build_directory
from simulate.writer import DaySummary, write_day


@dataclass(frozen=True)
class SimulationSummary:
    """What a run wrote and where: the CLI prints it, tests and the demo read it."""

    lake_uri: str
    config: SimulationConfig
    days: tuple[DaySummary, ...]
    accounts: int
    accounts_by_population: dict[str, int]
    campaign_starts: dict[str, date]
    campaign_tactics: dict[str, str]
    campaign_accounts: dict[str, int]
    release_day: date | None
    labels: dict[str, int]  # label count by file key
    corpus: str  # "packaged" or the corpora folder the text came from
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
    bank = text.load_bank(config.corpus_dir)
    directory = build_directory(config)
    first_active = np.full(len(directory.accounts), -1, dtype=np.int64)
    summaries: list[DaySummary] = []
    for index in range(config.days):
        summary = write_day(store, config, directory, index, bank)
        active = np.asarray(summary.active_indices, dtype=np.int64)
        fresh = active[first_active[active] < 0]
        first_active[fresh] = index
        summaries.append(summary)
        if progress is not None:
            progress(index + 1, config.days)

    label_counts, enforced, reviewed = labels.write_labels(store, config, directory, first_active)
    rows = truth.truth_rows(directory, config.day_list, first_active, enforced, reviewed)
    by_population = Counter(row["population"] for row in rows)
    campaign_starts = {c: config.campaign_start(c) for c in config.campaign_ids}
    manifest = _manifest(config, directory, bank, summaries, rows, label_counts, campaign_starts)
    truth.write_truth(store, rows, manifest)
    return SimulationSummary(
        lake_uri=store.uri,
        config=config,
        days=tuple(summaries),
        accounts=len(rows),
        accounts_by_population={p: by_population.get(p, 0) for p in POPULATIONS},
        campaign_starts=campaign_starts,
        campaign_tactics={plan.campaign_id: plan.tactic for plan in directory.campaigns},
        campaign_accounts={c["campaign_id"]: c["accounts"] for c in manifest["campaigns"]},
        release_day=config.effective_release_day,
        labels=label_counts,
        corpus=bank.corpus,
        truth_key=truth.TRUTH_ACCOUNTS_KEY,
        manifest_key=truth.MANIFEST_KEY,
    )


def _manifest(
    config: SimulationConfig,
    directory: Directory,
    bank: text.TextBank,
    summaries: list[DaySummary],
    rows: list[dict[str, Any]],
    label_counts: dict[str, int],
    campaign_starts: dict[str, date],
) -> dict[str, Any]:
    release = config.effective_release_day
    campaigns = []
    for plan in directory.campaigns:
        members = [row for row in rows if row["campaign_id"] == plan.campaign_id]
        campaigns.append(
            {
                "campaign_id": plan.campaign_id,
                "tactic": plan.tactic,
                "start_day": campaign_starts[plan.campaign_id].isoformat(),
                "in_range": config.start <= campaign_starts[plan.campaign_id] <= config.end,
                "accounts": len(members),
                "active_accounts": sum(1 for row in members if row["first_active_on"]),
                "labelled": plan.labelled,
                "labelled_accounts": sum(1 for row in members if row["enforcement_labeled_on"]),
                "requests": sum(s.requests_by_campaign.get(plan.campaign_id, 0) for s in summaries),
                "description": plan.description,
            }
        )
    populations = {}
    for population in POPULATIONS:
        count = sum(1 for row in rows if row["population"] == population)
        lookalike = LOOKALIKES.get(population)
        populations[population] = {
            "accounts": count,
            "lookalike_of": lookalike.trait if lookalike else None,
            "resembles_tactics": list(lookalike.tactics) if lookalike else [],
            "description": lookalike.description if lookalike else None,
        }
    return {
        "generator": "hydrasweep.simulate",
        "config": config.describe(),
        "start": config.start.isoformat(),
        "end": config.end.isoformat(),
        "corpus": {"source": bank.corpus, "split": "evaluation", "pools": bank.counts},
        "campaigns": campaigns,
        "release_day": release.isoformat() if release else None,
        "release_at": f"{release.isoformat()}T00:00:00.000Z" if release else None,
        "models": {"before_release": list(catalog.MODELS_BEFORE_RELEASE), "new": catalog.MODEL_NEW},
        "promotion_day": config.promotion_day.isoformat(),
        "class_signup_day": config.class_signup_day.isoformat(),
        "populations": populations,
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
