"""Labels as an operator holds them (CONTRACT section 4).

Enforcement history marks the campaign accounts that were banned (label 1,
source ``enforcement``) on the day the ban was decided; reviewers clear some
legitimate accounts (label 0, source ``review``), look-alikes more often
because they are the ones that get flagged. A label is only written for an
account that had sent something by then: an outcome is about behaviour
somebody saw. Campaigns configured never to be labelled have no labels.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np

from lakeio import ObjectStore, layout
from simulate.accounts import DAY_MS, Directory, iso_ms
from simulate.config import SimulationConfig

ENFORCEMENT_KEY = layout.LABELS_PREFIX + "enforcement.jsonl"
REVIEW_KEY = layout.LABELS_PREFIX + "review.jsonl"


@dataclass(frozen=True)
class LabelRecord:
    account_id: str
    label: int
    labeled_at: str
    source: str

    def line(self) -> str:
        return json.dumps(
            {
                "account_id": self.account_id,
                "label": self.label,
                "labeled_at": self.labeled_at,
                "source": self.source,
            }
        )


def enforcement_labels(
    config: SimulationConfig, directory: Directory, first_active: np.ndarray
) -> list[LabelRecord]:
    days = config.day_list
    rows = [
        # Enforcement decisions are logged by date.
        LabelRecord(a.account_id, 1, days[a.enforcement_day].isoformat(), "enforcement")
        for index, a in enumerate(directory.accounts)
        if a.enforcement_day is not None
        and 0 <= a.enforcement_day < len(days)
        and 0 <= first_active[index] <= a.enforcement_day
    ]
    return sorted(rows, key=lambda row: (row.labeled_at, row.account_id))


def review_labels(directory: Directory, first_active: np.ndarray) -> list[LabelRecord]:
    rows = [
        # Review decisions carry the moment the reviewer closed the case.
        LabelRecord(a.account_id, 0, iso_ms(a.review_ms)[:19] + "Z", "review")
        for index, a in enumerate(directory.accounts)
        if a.review_ms is not None
        and first_active[index] >= 0
        and directory.start_ms + (first_active[index] + 1) * DAY_MS <= a.review_ms
    ]
    return sorted(rows, key=lambda row: (row.labeled_at, row.account_id))


def write_labels(
    store: ObjectStore, config: SimulationConfig, directory: Directory, first_active: np.ndarray
) -> tuple[dict[str, int], set[str], set[str]]:
    """Write both label files; returns label counts by file key and the accounts labelled
    by enforcement and by review."""
    enforcement = enforcement_labels(config, directory, first_active)
    review = review_labels(directory, first_active)
    written = {}
    for key, rows in ((ENFORCEMENT_KEY, enforcement), (REVIEW_KEY, review)):
        store.write_bytes(key, "".join(row.line() + "\n" for row in rows).encode("utf-8"))
        written[key] = len(rows)
    return written, {r.account_id for r in enforcement}, {r.account_id for r in review}
