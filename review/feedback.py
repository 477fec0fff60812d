"""Review decisions back to training: contract labels under ``labels/`` in the lake.

Each decided account becomes one label record (CONTRACT section 4):
``account_id``, ``label`` (1 abuse, 0 legitimate), ``labeled_at`` (when the
decision was made, so point-in-time training never sees a decision from its
future) and ``source="review"``. When an account was decided more than once
(a reopened case, or two cases), the latest decision wins. The file is
rewritten whole on every export, so exporting is idempotent.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from lakeio import ObjectStore, layout
from review.audit import record_event
from review.engine import read_session
from review.tables import Decision, Member
from review.vocabulary import AuditAction, Outcome

LABELS_KEY = f"{layout.LABELS_PREFIX}review-decisions.jsonl"
LABEL_SOURCE = "review"
_LABEL_OF = {Outcome.ABUSE: 1, Outcome.LEGITIMATE: 0}


@dataclass(frozen=True)
class ExportResult:
    key: str
    labels: int
    abuse: int
    legitimate: int


def review_labels(engine: Engine) -> list[dict[str, object]]:
    """The label records, one per decided account, sorted by account id."""
    query = (
        sa.select(Member.account_id, Member.outcome, Decision.decided_at, Decision.id)
        .join(Decision, Decision.id == Member.decision_id)
        .where(Member.outcome.is_not(None))
    )
    latest: dict[str, tuple[datetime, int, Outcome]] = {}
    with read_session(engine) as session:
        for account_id, outcome, decided_at, decision_id in session.execute(query):
            seen = latest.get(account_id)
            if outcome is not None and (seen is None or (decided_at, decision_id) > seen[:2]):
                latest[account_id] = (decided_at, decision_id, outcome)
    return [
        {
            "account_id": account_id,
            "label": _LABEL_OF[outcome],
            "labeled_at": _iso(decided_at),
            "source": LABEL_SOURCE,
        }
        for account_id, (decided_at, _, outcome) in sorted(latest.items())
    ]


def export_labels(engine: Engine, store: ObjectStore, *, actor: str = "pipeline") -> ExportResult:
    """Write every review decision as contract labels to ``labels/review-decisions.jsonl``.

    The export is audited under ``actor`` (the CLI passes the logged-in user).
    """
    labels = review_labels(engine)
    body = "".join(json.dumps(record, sort_keys=True) + "\n" for record in labels)
    store.write_bytes(LABELS_KEY, body.encode("utf-8"))
    abuse = sum(1 for record in labels if record["label"] == 1)
    result = ExportResult(
        key=LABELS_KEY, labels=len(labels), abuse=abuse, legitimate=len(labels) - abuse
    )
    record_event(engine, actor=actor, action=AuditAction.EXPORT_LABELS, detail=asdict(result))
    return result


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
