"""The review queue: where analysts work flagged hydra clusters as cases.

``review.db.open_queue(url)`` opens (and migrates) the queue database, SQLite
by default and PostgreSQL in production. ``review.handoff`` holds what a sweep
hands over; ``review.landing.land_sweep`` turns a sweep day's flagged accounts
and clusters into cases, idempotently, and ``review.totals`` keeps members'
and cases' totals equal to their sightings; ``review.service`` claims,
decides, escalates and comments with an append-only audit log;
``review.feedback.export_labels`` writes decisions back to the lake as
training labels; ``review.web.create_app`` is the analysts' console;
``review.vocabulary`` spells statuses, outcomes and roles once.

The names below are imported on first use, so that importing a light module
(the vocabulary, for the CLI's options) does not load SQLAlchemy and Alembic.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "ClusterEvidence": "review.handoff",
    "FlaggedAccount": "review.handoff",
    "SweepLanding": "review.handoff",
    "LandingResult": "review.landing",
    "ReopenPolicy": "review.landing",
    "land_sweep": "review.landing",
    "ReviewError": "review.errors",
    "open_queue": "review.db",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'review' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
