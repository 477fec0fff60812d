"""Reading the operator's labels (``labels/*.jsonl``, CONTRACT section 4).

Labels are small (one line per enforcement or review decision), so they are read
with the object store directly rather than Spark. A bad line (not JSON, a field
missing or mistyped, a label other than 0/1, an unparsable ``labeled_at``) is
counted, named in a warning and skipped: it never crashes a training run and
never vanishes silently.

``labeled_at`` is when the outcome became known. A date means the start of that
UTC day; a timestamp without a zone is taken as UTC. A label is known at the
cut-off ``as_of`` when its UTC date is on or before ``as_of``: the cut-off is the
end of day ``as_of``, the moment that day's features are complete.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import pandas as pd

from lakeio import layout
from lakeio.store import ObjectStore

log = logging.getLogger(__name__)

LABEL_COLUMNS: tuple[str, ...] = ("account_id", "label", "labeled_at", "source")
_EXAMPLES_KEPT = 10


@dataclass(frozen=True)
class LabelSet:
    """Parsed labels (one row per good line) and what was set aside."""

    frame: pd.DataFrame  # account_id str, label int, labeled_at datetime64[UTC], source str|None
    bad_lines: int = 0
    bad_examples: tuple[str, ...] = field(default_factory=tuple)


def parse_labeled_at(text: str) -> datetime:
    """ISO-8601 date or timestamp -> aware UTC datetime; ``ValueError`` when neither."""
    if len(text) == 10:
        day = date.fromisoformat(text)
        return datetime(day.year, day.month, day.day, tzinfo=UTC)
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _parse_line(line: str) -> tuple[str, int, datetime, str | None]:
    record = json.loads(line)
    if not isinstance(record, dict):
        raise ValueError("not a JSON object")
    account_id = record.get("account_id")
    if not isinstance(account_id, str) or not account_id:
        raise ValueError("account_id missing or not a string")
    label = record.get("label")
    # bool is an int subclass in Python; `true` is not a contract label.
    if isinstance(label, bool) or not isinstance(label, int) or label not in (0, 1):
        raise ValueError(f"label must be the integer 0 or 1, got {label!r}")
    labeled_at = record.get("labeled_at")
    if not isinstance(labeled_at, str):
        raise ValueError("labeled_at missing or not a string")
    source = record.get("source")
    if source is not None and not isinstance(source, str):
        raise ValueError("source is not a string")
    return account_id, label, parse_labeled_at(labeled_at), source


def parse_label_lines(lines: dict[str, bytes]) -> LabelSet:
    """Parse label files given as ``{key: content}``; count and describe bad lines."""
    rows: list[tuple[str, int, datetime, str | None]] = []
    bad = 0
    examples: list[str] = []
    for key, content in sorted(lines.items()):
        for number, raw in enumerate(content.decode("utf-8", errors="replace").splitlines(), 1):
            if not raw.strip():
                continue
            try:
                rows.append(_parse_line(raw))
            except (ValueError, TypeError) as exc:
                bad += 1
                if len(examples) < _EXAMPLES_KEPT:
                    examples.append(f"{key}:{number}: {exc}")
    frame = pd.DataFrame(rows, columns=list(LABEL_COLUMNS))
    frame["labeled_at"] = pd.to_datetime(frame["labeled_at"], utc=True)
    frame["label"] = frame["label"].astype("int64")
    if bad:
        log.warning(
            "skipped %d bad label line(s) of %d; first: %s",
            bad,
            bad + len(rows),
            "; ".join(examples),
        )
    return LabelSet(frame=frame, bad_lines=bad, bad_examples=tuple(examples))


def read_labels(store: ObjectStore) -> LabelSet:
    """Every ``labels/*.jsonl`` file in the lake, parsed."""
    keys = [key for key in store.list_keys(layout.LABELS_PREFIX) if key.endswith(".jsonl")]
    return parse_label_lines({key: store.read_bytes(key) for key in keys})


def labels_known_at(labels: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """One label per account: the latest one known by the end of ``as_of``.

    The latest wins because a later decision (an appeal, a re-review) overrides an
    earlier one; labels that became known after the cut-off are dropped.
    """
    end_of_day = pd.Timestamp(as_of, tz="UTC") + pd.Timedelta(days=1)
    known = labels[labels["labeled_at"] < end_of_day]
    # stable sort keeps file order among equal timestamps: the later line wins
    latest = known.sort_values("labeled_at", kind="stable").drop_duplicates(
        "account_id", keep="last"
    )
    return latest.reset_index(drop=True)[list(LABEL_COLUMNS)]


def truth_labels(store: ObjectStore) -> pd.DataFrame | None:
    """A simulated lake's truth as labels (1 for every campaign account), or None without one.

    Only the evaluation asks for it (``PromoteParams.judge_on_truth``): it lets the
    whole flag rule be judged on all traffic, where production knows only its labels.
    """
    key = layout.TRUTH_PREFIX + "accounts.jsonl"
    if not store.exists(key):
        return None
    rows = [json.loads(line) for line in store.read_bytes(key).decode("utf-8").splitlines() if line]
    return pd.DataFrame(
        {
            "account_id": [str(row["account_id"]) for row in rows],
            "label": [int(row.get("campaign_id") is not None) for row in rows],
        }
    )
