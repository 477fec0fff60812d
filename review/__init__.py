"""The review queue: where analysts work flagged hydra clusters as cases.

``review.db.open_queue(url)`` opens (and migrates) the queue database, SQLite
by default and PostgreSQL in production. ``review.landing.land_sweep`` turns a
sweep day's flagged accounts and clusters into cases, idempotently;
``review.service`` claims, decides, escalates and comments with an append-only
audit log; ``review.feedback.export_labels`` writes decisions back to the lake
as training labels; ``review.web.create_app`` is the analysts' console.
"""

from review.db import open_queue
from review.errors import ReviewError
from review.landing import (
    ClusterEvidence,
    FlaggedAccount,
    LandingResult,
    ReopenPolicy,
    SweepLanding,
    land_sweep,
)

__all__ = [
    "ClusterEvidence",
    "FlaggedAccount",
    "LandingResult",
    "ReopenPolicy",
    "ReviewError",
    "SweepLanding",
    "land_sweep",
    "open_queue",
]
