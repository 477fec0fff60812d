"""Ground truth of a run under ``sim/truth/``: who every account really is, and the manifest.

The pipeline never reads these; evaluation, tests and the demo do.
``accounts.jsonl`` has one line per account (population, campaign, when it
woke or was banned, which one signal a hard negative trips); ``manifest.json``
describes the run: configuration, campaign start days, the release day and
models, per-day line counts with bad lines by kind and duplicates, and where
the labels went.
"""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

from lakeio import ObjectStore, layout
from simulate.accounts import HARD_NEGATIVE_SIGNAL, NEVER, Directory, iso_ms

TRUTH_ACCOUNTS_KEY = layout.TRUTH_PREFIX + "accounts.jsonl"
MANIFEST_KEY = layout.TRUTH_PREFIX + "manifest.json"

TRUTH_COLUMNS: tuple[str, ...] = (
    "account_id",
    "population",
    "campaign_id",
    "org_id",
    "created_at",
    "hard_negative_signal",
    "woke_on",
    "banned_on",
    "enforcement_labeled_on",
    "reviewed_at",
)


def truth_rows(directory: Directory, days: list) -> list[dict[str, Any]]:
    def day_or_none(index: int | None) -> str | None:
        if index is None or index in (NEVER, -NEVER) or not 0 <= index < len(days):
            return None
        return days[index].isoformat()

    return [
        {
            "account_id": a.account_id,
            "population": a.population,
            "campaign_id": a.campaign_id,
            "org_id": a.org_id,
            "created_at": iso_ms(a.created_ms),
            "hard_negative_signal": HARD_NEGATIVE_SIGNAL.get(a.population),
            "woke_on": day_or_none(a.woke_day),
            "banned_on": day_or_none(a.banned_day),
            "enforcement_labeled_on": day_or_none(a.enforcement_day),
            "reviewed_at": iso_ms(a.review_ms) if a.review_ms is not None else None,
        }
        for a in sorted(directory.accounts, key=lambda a: a.account_id)
    ]


def write_truth(store: ObjectStore, rows: list[dict[str, Any]], manifest: dict[str, Any]) -> None:
    store.write_bytes(
        TRUTH_ACCOUNTS_KEY,
        "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows).encode("utf-8"),
    )
    store.write_bytes(
        MANIFEST_KEY, (json.dumps(manifest, indent=2, sort_keys=False) + "\n").encode()
    )


def load_truth(store: ObjectStore) -> pd.DataFrame:
    """Every account of the simulated run with its real population and campaign.

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
