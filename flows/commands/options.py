"""Options shared by every command: where things live, the output format, days.

``FormatOption`` is the one ``--format`` of every command (``text`` for people,
``json`` for scripts); ``day_option`` builds every option that takes a UTC day
(``--date``, ``--start``, ``--as-of``...), so they parse and fail alike: a
value that is not a day is one readable line (``UserError``), not a traceback.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Any

import typer

from flows.errors import UserError


class OutputFormat(StrEnum):
    text = "text"
    json = "json"


FormatOption = Annotated[
    OutputFormat, typer.Option("--format", help="Output: text for people, json for scripts.")
]


def parse_day(value: str | date, flag: str) -> date:
    """``value`` as a day, or a ``UserError`` that names ``flag``."""
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise UserError(f"{flag} must be a date like 2026-11-03, got {value!r}") from None


def day_option(flag: str, help: str) -> Any:
    """A ``typer.Option`` that takes a UTC day (YYYY-MM-DD) and gives a ``date``."""
    return typer.Option(
        flag, help=f"{help} (YYYY-MM-DD, UTC).", metavar="DAY", parser=lambda v: parse_day(v, flag)
    )


LakeOption = Annotated[
    str | None,
    typer.Option(
        "--lake",
        help="Lake root URI (folder, file:// or s3://bucket/prefix). Env: HYDRASWEEP_LAKE.",
    ),
]
QueueUrlOption = Annotated[
    str | None,
    typer.Option("--queue-url", help="Review queue SQLAlchemy URL. Env: HYDRASWEEP_QUEUE_URL."),
]
TrackingUriOption = Annotated[
    str | None,
    typer.Option("--tracking-uri", help="MLflow tracking URI. Env: MLFLOW_TRACKING_URI."),
]
SparkMasterOption = Annotated[
    str | None,
    typer.Option(
        "--spark-master",
        help="Spark master URL, or sc://host:port for Spark Connect. Env: HYDRASWEEP_SPARK_MASTER.",
    ),
]
HomeOption = Annotated[
    str | None,
    typer.Option(
        "--home", help="Folder for default lake, databases and scratch. Env: HYDRASWEEP_HOME."
    ),
]
