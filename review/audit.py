"""The append-only audit log, chained so that an edited or deleted entry shows.

Every entry stores the hash of the entry before it (``prev_hash``) and its own
hash over that and its content (``entry_hash``, SHA-256 over canonical JSON),
so changing, removing or reordering any entry breaks the chain from there on,
on any database; ``verify_chain`` walks it. The database refuses changes as
well (triggers on both backends; on PostgreSQL the application role has no
UPDATE or DELETE grant on the table, see migration 0002). Appends are
serialised so that the chain has one tip: on PostgreSQL by a transaction-level
advisory lock, on SQLite by the write transaction's ``BEGIN IMMEDIATE``. What
the chain cannot show by itself is the newest entries cut off the end; the
grants are the guard there.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from review.engine import is_postgresql, read_session, write_session
from review.records import case_state, jsonable
from review.tables import AuditEntry, Case, utcnow
from review.vocabulary import AuditAction

GENESIS = "0" * 64
_PG_AUDIT_LOCK = 0x68796461  # "hyda": one appender at a time
_TIP = "hydrasweep_audit_tip"  # session.info key: the chain's tip in this transaction


def audit_row(
    *,
    actor: str,
    action: AuditAction,
    at: datetime,
    case_id: int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    detail: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The column values of one audit entry, before it is chained."""
    return {
        "at": at.astimezone(UTC),
        "actor": actor[:64],
        "action": str(action),
        "case_id": case_id,
        "before": before,  # case states: plain JSON values already (records.case_state)
        "after": after,
        "detail": jsonable(detail) if detail is not None else None,
    }


def chain_hash(prev_hash: str, row: dict[str, Any]) -> str:
    """Version 1 of the entry hash: SHA-256 of the previous hash and the entry as canonical JSON.

    Timestamps as UTC ISO text to the microsecond (what both backends keep);
    JSON with sorted keys, ASCII only, and every number as a float: PostgreSQL's
    JSONB hands ``1e+16`` back as the integer ``10000000000000000``, so a value
    read back must hash the same as the value written.
    """
    content = {
        "at": row["at"].astimezone(UTC).isoformat(),
        "actor": row["actor"],
        "action": row["action"],
        "case_id": row["case_id"],
        "before": row["before"],
        "after": row["after"],
        "detail": row["detail"],
    }
    text = json.dumps(
        _numbers_as_floats(content), sort_keys=True, separators=(",", ":"), ensure_ascii=True
    )
    return hashlib.sha256(f"{prev_hash}\n{text}".encode()).hexdigest()


def _numbers_as_floats(value: Any) -> Any:
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, dict):
        return {key: _numbers_as_floats(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_numbers_as_floats(item) for item in value]
    return value


def audit_case_change(
    session: Session,
    case: Case,
    before: dict[str, Any],
    *,
    actor: str,
    action: AuditAction,
    at: datetime,
    detail: dict[str, Any] | None = None,
) -> None:
    """Append the change of ``case`` from its state ``before`` to its state now."""
    after = case_state(case)
    append_audit(
        session,
        [audit_row(actor=actor, action=action, at=at, case_id=case.id, before=before,
                   after=after, detail=detail)],
    )  # fmt: skip


def add_audit(session: Session, **entry: Any) -> None:
    """Append one entry; ``entry`` is ``audit_row``'s keyword arguments."""
    append_audit(session, [audit_row(**entry)])


def record_event(engine: Engine, **entry: Any) -> None:
    """Audit something that changed nothing else (a login, a denial, an export) on its own;
    ``entry`` is ``audit_row``'s keyword arguments but the time, which is now."""
    with write_session(engine) as session:
        add_audit(session, at=utcnow(), **entry)


def append_audit(session: Session, rows: Iterable[dict[str, Any]]) -> None:
    """Append ``audit_row`` values in order, chained to the log's tip, in one insert."""
    tip = _tip(session)
    chained = []
    for row in rows:
        entry_hash = chain_hash(tip, row)
        chained.append({**row, "prev_hash": tip, "entry_hash": entry_hash})
        tip = entry_hash
    if chained:
        session.execute(sa.insert(AuditEntry), chained)
        session.info[_TIP] = tip


def _tip(session: Session) -> str:
    if _TIP not in session.info:
        if is_postgresql(session.connection()):
            session.execute(sa.select(sa.func.pg_advisory_xact_lock(_PG_AUDIT_LOCK)))
        last = session.scalar(
            sa.select(AuditEntry.entry_hash).order_by(AuditEntry.id.desc()).limit(1)
        )
        session.info[_TIP] = last or GENESIS
    return str(session.info[_TIP])


@dataclass(frozen=True)
class ChainCheck:
    """What ``verify_chain`` found: how many entries hold, and the first that does not."""

    entries: int
    broken_at: int | None = None  # id of the first entry whose hash does not hold
    problem: str | None = None

    @property
    def intact(self) -> bool:
        return self.broken_at is None

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "intact": self.intact}


def verify_chain(engine: Engine, *, batch: int = 5000) -> ChainCheck:
    """Recompute every entry's hash in id order; report the first one that does not match."""
    columns = [getattr(AuditEntry, name) for name in _CHAINED]
    expected_prev = GENESIS
    checked = 0
    with read_session(engine) as session:
        last_id = 0
        while True:
            rows = session.execute(
                sa.select(AuditEntry.id, *columns)
                .where(AuditEntry.id > last_id)
                .order_by(AuditEntry.id)
                .limit(batch)
            ).all()
            if not rows:
                return ChainCheck(entries=checked)
            for entry_id, *values in rows:
                row = dict(zip(_CHAINED, values, strict=True))
                problem = _entry_problem(row, expected_prev)
                if problem is not None:
                    return ChainCheck(entries=checked, broken_at=entry_id, problem=problem)
                expected_prev = row["entry_hash"]
                checked += 1
                last_id = entry_id


_CHAINED = (
    "at",
    "actor",
    "action",
    "case_id",
    "before",
    "after",
    "detail",
    "prev_hash",
    "entry_hash",
)


def _entry_problem(row: dict[str, Any], expected_prev: str) -> str | None:
    if row["prev_hash"] != expected_prev:
        return "does not follow the entry before it (one was removed or inserted)"
    if chain_hash(expected_prev, row) != row["entry_hash"]:
        return "its content does not match its hash (it was edited)"
    return None
