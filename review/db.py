"""Opening the review queue: an engine with its schema at the newest revision.

``open_queue(url)`` is what every caller uses (the flows, the CLI, the
console); ``review.engine`` makes the engine and ``review.migrations`` brings
the schema up to date. This module sits above both, so neither imports it.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from review.engine import create_queue_engine
from review.errors import ReviewError
from review.migrations import upgrade


def open_queue(url: str, **engine_kwargs: Any) -> Engine:
    """An engine on the queue at ``url`` with the schema migrated to the newest revision."""
    engine = create_queue_engine(url, **engine_kwargs)
    try:
        upgrade(engine)
    except sa.exc.OperationalError as exc:
        engine.dispose()
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise ReviewError(f"cannot open the review queue at {redacted_url(url)}: {reason}") from exc
    return engine


def as_engine(engine_or_url: Engine | str) -> Engine:
    return open_queue(engine_or_url) if isinstance(engine_or_url, str) else engine_or_url


def redacted_url(url: str) -> str:
    """``url`` with its password masked, for messages and logs."""
    try:
        return sa.make_url(url).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        return "<invalid URL>"
