"""Exports of review data as files people open: CSV that a spreadsheet cannot be tricked by.

Account ids, customer ids and reasons are attacker-written; a cell starting
with ``=``, ``+``, ``-``, ``@`` (or a tab or carriage return) would run as a
formula in a spreadsheet, so it is written with a leading quote. Nested values
(links, reasons) are JSON text.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from typing import Any

EXPORT_COLUMNS = (
    "case_id",
    "account_id",
    "customer_id",
    "cluster_id",
    "score",
    "max_score",
    "first_seen",
    "last_seen",
    "output_tokens",
    "requests",
    "outcome",
    "links",
    "reasons",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def members_csv(rows: list[dict[str, Any]]) -> str:
    """CSV of a case's member records (``review.service.case_members_export``)."""
    return records_csv(rows, EXPORT_COLUMNS)


def records_csv(rows: list[dict[str, Any]], columns: Sequence[str]) -> str:
    """CSV of records; nested values as JSON, formula-like cells quoted."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row.get(column)) for column in columns])
    return out.getvalue()


def _cell(value: Any) -> str:
    text = (
        json.dumps(value, sort_keys=True)
        if isinstance(value, list | dict)
        else str("" if value is None else value)
    )
    # Account ids and reasons are attacker text: "=HYPERLINK(...)" must stay text.
    return "'" + text if text.startswith(_FORMULA_START) else text
