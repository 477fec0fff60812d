"""Labels as an operator holds them (CONTRACT section 4).

Enforcement history marks some abusive accounts (label 1, source
``enforcement``) on the day the ban was decided, a few days into their
campaign; reviewers clear some legitimate accounts (label 0, source
``review``), hard negatives more often because they are the ones that get
flagged. The reasoning campaign is never caught, so it has no labels at all:
a model trained before it starts has never seen it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from lakeio import ObjectStore, layout
from simulate.accounts import Directory, iso_ms
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


def enforcement_labels(config: SimulationConfig, directory: Directory) -> list[LabelRecord]:
    days = config.day_list
    rows = [
        # Enforcement decisions are logged by date.
        LabelRecord(a.account_id, 1, days[a.enforcement_day].isoformat(), "enforcement")
        for a in directory.accounts
        if a.enforcement_day is not None
    ]
    return sorted(rows, key=lambda row: (row.labeled_at, row.account_id))


def review_labels(directory: Directory) -> list[LabelRecord]:
    rows = [
        # Review decisions carry the moment the reviewer closed the case.
        LabelRecord(a.account_id, 0, iso_ms(a.review_ms)[:19] + "Z", "review")
        for a in directory.accounts
        if a.review_ms is not None
    ]
    return sorted(rows, key=lambda row: (row.labeled_at, row.account_id))


def write_labels(
    store: ObjectStore, config: SimulationConfig, directory: Directory
) -> dict[str, int]:
    """Write both label files; returns label counts by file key."""
    written = {}
    for key, rows in (
        (ENFORCEMENT_KEY, enforcement_labels(config, directory)),
        (REVIEW_KEY, review_labels(directory)),
    ):
        store.write_bytes(key, "".join(row.line() + "\n" for row in rows).encode("utf-8"))
        written[key] = len(rows)
    return written
