"""Ground truth of a run under ``sim/truth/``: who every account really is, and the manifest.

The pipeline never reads these; evaluation, tests and the demo do.
``accounts.jsonl`` has one line per account: its population, campaign and
tactic (None for legitimate accounts), org, creation time, the first day it
sent a request in the run, when it woke, was banned, labelled or cleared, the
campaign trait a legitimate look-alike shares (``lookalike_of``) and, for
campaign accounts, the day extraction started (later than the first activity
for warmed-up accounts). ``manifest.json`` describes the run: configuration,
campaigns with their tactics, populations, the release day and models, per-day
line counts with bad lines by kind and duplicates, and where the labels went.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd

from lakeio import ObjectStore, layout
from simulate.accounts import NEVER, Directory, iso_ms

TRUTH_ACCOUNTS_KEY = layout.TRUTH_PREFIX + "accounts.jsonl"
MANIFEST_KEY = layout.TRUTH_PREFIX + "manifest.json"

TRUTH_COLUMNS: tuple[str, ...] = (
    "account_id",
    "population",
    "campaign_id",
    "tactic",
    "org_id",
    "created_at",
    "first_active_on",
    "woke_on",
    "banned_on",
    "enforcement_labeled_on",
    "reviewed_at",
    "lookalike_of",
    "extraction_from",
)


def truth_rows(
    directory: Directory,
    days: list,
    first_active: np.ndarray,
    enforced: set[str],
    reviewed: set[str],
) -> list[dict[str, Any]]:
    def day_or_none(index: int | None) -> str | None:
        if index is None or index in (NEVER, -NEVER) or not 0 <= index < len(days):
            return None
        return days[index].isoformat()

    rows = []
    for position, a in enumerate(directory.accounts):
        plan = directory.campaigns[a.campaign] if a.campaign >= 0 else None
        active = int(first_active[position])
        rows.append(
            {
                "account_id": a.account_id,
                "population": a.population,
                "campaign_id": plan.campaign_id if plan else None,
                "tactic": plan.tactic if plan else None,
                "org_id": a.org_id,
                "created_at": iso_ms(a.created_ms),
                "first_active_on": day_or_none(active if active >= 0 else None),
                "woke_on": day_or_none(a.woke_day),
                "banned_on": day_or_none(a.banned_day),
                "enforcement_labeled_on": day_or_none(a.enforcement_day)
                if a.account_id in enforced
                else None,
                "reviewed_at": iso_ms(a.review_ms)
                if a.review_ms is not None and a.account_id in reviewed
                else None,
                "lookalike_of": a.lookalike_of,
                "extraction_from": day_or_none(max(a.extract_day, 0)) if plan else None,
            }
        )
    return sorted(rows, key=lambda row: row["account_id"])


def write_truth(store: ObjectStore, rows: list[dict[str, Any]], manifest: dict[str, Any]) -> None:
    store.write_bytes(
        TRUTH_ACCOUNTS_KEY,
        "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows).encode("utf-8"),
    )
    store.write_bytes(
        MANIFEST_KEY, (json.dumps(manifest, indent=2, sort_keys=False) + "\n").encode()
    )


def load_truth(store: ObjectStore) -> pd.DataFrame:
    """Every account of the simulated run with its real population, campaign and tactic.

    String columns hold Python ``None`` where empty (e.g. ``campaign_id`` of a
    legitimate account); ``created_at`` is a UTC timestamp.
    """
    lines = store.read_bytes(TRUTH_ACCOUNTS_KEY).decode("utf-8").splitlines()
    rows = [json.loads(line) for line in lines if line]
    frame = pd.DataFrame(
        {
            column: pd.Series([row.get(column) for row in rows], dtype=object)
            for column in TRUTH_COLUMNS
        }
    )
    frame["created_at"] = pd.to_datetime(frame["created_at"], utc=True, format="ISO8601")
    return frame


def load_manifest(store: ObjectStore) -> dict[str, Any]:
    """The run's manifest: config, campaigns, release day, models, per-day counts, labels."""
    return json.loads(store.read_bytes(MANIFEST_KEY))
