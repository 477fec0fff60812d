"""The enforcement hand-off: an outbox of actions for the account system, and its dispatcher.

A decision of abuse writes, in its own transaction, one action per thing to
stop: suspend each abusive account and revoke its API keys; block the payment
fingerprints and the networks (IPs, prefixes) that linked only abusive members
of the case (an entity also linked to a member found legitimate is left
alone). Nothing is sent then: every action of a decision is released at one
moment drawn at random within ``ReleasePolicy``'s window, so the people behind
the accounts cannot tie the ban to the sweep that caught them.

``dispatch_due`` delivers released actions to a webhook: a JSON body signed
with HMAC-SHA256 over ``timestamp.body`` (``X-Hydrasweep-Signature:
t=<unix>,v1=<hex>``), and an ``Idempotency-Key`` header that stays the same
over retries, so a receiver applies each action once even when a response is
lost. A dispatcher leases what it sends (two dispatchers never send the same
action at once); failures are retried with exponential backoff and jitter, and
after ``max_attempts`` the action is dead, listed for leads to retry. Undoing a
case's enforcement cancels what was not sent yet and sends an ``undo`` for
each action that was delivered, by the same path.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import random
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from review.audit import add_audit
from review.engine import read_session, write_session
from review.errors import ReviewError
from review.records import jsonable
from review.tables import (
    Case,
    EnforcementAction,
    EnumText,
    Member,
    MemberLink,
    UtcDateTime,
    utcnow,
)
from review.vocabulary import AuditAction, DeliveryStatus, EnforcementKind, Outcome

SIGNATURE_HEADER = "X-Hydrasweep-Signature"
# Entity types whose blocking the account system understands, and how.
ENTITY_ACTIONS = {
    "payment_fingerprint": EnforcementKind.BLOCK_PAYMENT,
    "ip": EnforcementKind.BLOCK_SIGNUPS_FROM,
    "ip_prefix": EnforcementKind.BLOCK_SIGNUPS_FROM,
}
ACCOUNT_ACTIONS = (EnforcementKind.SUSPEND_ACCOUNT, EnforcementKind.REVOKE_API_KEYS)


@dataclass(frozen=True)
class ReleasePolicy:
    """A decision's actions go out at one random moment in [min_delay, min_delay + window]."""

    min_delay: timedelta = timedelta(hours=2)
    window: timedelta = timedelta(hours=22)

    def release_at(self, now: datetime, rng: random.Random | None = None) -> datetime:
        fraction = (rng or random.SystemRandom()).random()
        return now + self.min_delay + fraction * self.window


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 8
    first_backoff: timedelta = timedelta(seconds=30)
    max_backoff: timedelta = timedelta(hours=2)
    lease: timedelta = timedelta(minutes=2)  # a dispatcher that died lets go after this

    def backoff(self, attempts: int, rng: random.Random | None = None) -> timedelta:
        """Exponential, capped, with full jitter on its upper half."""
        ceiling = min(self.max_backoff, self.first_backoff * 2 ** max(0, attempts - 1))
        return ceiling / 2 + (rng or random.SystemRandom()).random() * ceiling / 2


@dataclass(frozen=True)
class Webhook:
    """Where the account system listens, and the key both sides sign with."""

    url: str
    secret: bytes = field(repr=False)
    timeout_s: float = 10.0


@dataclass(frozen=True)
class ActionView:
    """One outbox action as the console and the CLI show it."""

    id: int
    case_id: int
    action: EnforcementKind
    target_type: str
    target: str
    idempotency_key: str
    status: DeliveryStatus
    attempts: int
    release_at: datetime
    next_attempt_at: datetime
    last_error: str | None
    delivered_at: datetime | None
    reverses_id: int | None

    @classmethod
    def of(cls, row: EnforcementAction) -> ActionView:
        return cls(**{f.name: getattr(row, f.name) for f in fields(cls)})

    def to_dict(self) -> dict[str, Any]:
        return jsonable(self.__dict__)


# --- planning (inside the decision's transaction) ------------------------------------
def plan_actions(
    session: Session,
    *,
    case_id: int,
    decision_id: int,
    now: datetime,
    policy: ReleasePolicy | None = None,
) -> int:
    """Write the actions a decision calls for (its abusive members); how many.

    The per-account actions (two for each of up to tens of thousands of
    accounts) are one ``INSERT ... SELECT`` each; their idempotency key names the
    decision, the action and the member row, which is unique and stable.
    """
    release = (policy or ReleasePolicy()).release_at(now)
    abusive = (Member.case_id == case_id) & (Member.outcome == Outcome.ABUSE)
    for kind in ACCOUNT_ACTIONS:
        prefix = f"{decision_id}:{kind}:member:"
        rows = sa.select(
            sa.literal(case_id),
            sa.literal(decision_id),
            sa.literal(kind, EnumText(EnforcementKind, 32)),
            sa.literal("account"),
            Member.account_id,
            sa.literal(prefix) + sa.cast(Member.id, sa.String),
            sa.literal(DeliveryStatus.PENDING, EnumText(DeliveryStatus)),
            sa.literal(0),
            sa.literal(release, UtcDateTime()),
            sa.literal(release, UtcDateTime()),
            sa.literal(now, UtcDateTime()),
        ).where(abusive)
        session.execute(sa.insert(EnforcementAction).from_select(_PLANNED, rows))
    entity_rows = [
        _action_row(case_id, decision_id, ENTITY_ACTIONS[kind], kind, value, release, now)
        for kind, value in _entities_only_abuse_shares(session, case_id)
    ]
    if entity_rows:
        session.execute(sa.insert(EnforcementAction), entity_rows)
    planned = sa.select(sa.func.count()).where(EnforcementAction.decision_id == decision_id)
    return int(session.scalar(planned) or 0)


# The columns ``plan_actions`` fills from its SELECT, in order.
_PLANNED = [
    "case_id",
    "decision_id",
    "action",
    "target_type",
    "target",
    "idempotency_key",
    "status",
    "attempts",
    "release_at",
    "next_attempt_at",
    "created_at",
]


def _entities_only_abuse_shares(session: Session, case_id: int) -> list[tuple[str, str]]:
    """Blockable entities linked to abusive members of the case and to no member found otherwise."""
    linked = (
        sa.select(MemberLink.entity_type, MemberLink.entity_value, Member.outcome)
        .join(Member, Member.id == MemberLink.member_id)
        .where(MemberLink.case_id == case_id, MemberLink.entity_type.in_(ENTITY_ACTIONS))
        .distinct()
    )
    outcomes: dict[tuple[str, str], set[Outcome | None]] = {}
    for kind, value, outcome in session.execute(linked):
        outcomes.setdefault((kind, value), set()).add(outcome)
    return sorted(key for key, seen in outcomes.items() if seen == {Outcome.ABUSE})


def _key(decision_id: int, kind: str, target_type: str, target: str) -> str:
    return hashlib.sha256(f"{decision_id}\n{kind}\n{target_type}\n{target}".encode()).hexdigest()


# --- delivering ------------------------------------------------------------------------
@dataclass(frozen=True)
class DispatchResult:
    delivered: int = 0
    retrying: int = 0
    dead: int = 0

    def to_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


Sender = Callable[[Webhook, bytes, dict[str, str]], None]


def dispatch_due(
    engine: Engine,
    webhook: Webhook,
    *,
    now: datetime | None = None,
    limit: int = 200,
    retry: RetryPolicy | None = None,
    send: Sender | None = None,
) -> DispatchResult:
    """Deliver the actions that are due; each either delivered, retried later, or dead."""
    retry = retry or RetryPolicy()
    now = now or utcnow()
    leased = _lease(engine, now, limit, retry)
    outcomes: list[tuple[int, str | None]] = []
    for action in leased:
        body = json.dumps(action, sort_keys=True).encode("utf-8")
        try:
            (send or post_signed)(webhook, body, {"Idempotency-Key": action["idempotency_key"]})
            outcomes.append((action["id"], None))
        except DeliveryFailed as exc:
            outcomes.append((action["id"], str(exc)[:500]))
    return _settle(engine, outcomes, utcnow() if now is None else now, retry)


def _lease(engine: Engine, now: datetime, limit: int, retry: RetryPolicy) -> list[dict[str, Any]]:
    due = sa.or_(
        sa.and_(
            EnforcementAction.status == DeliveryStatus.PENDING,
            EnforcementAction.release_at <= now,
            EnforcementAction.next_attempt_at <= now,
        ),
        sa.and_(
            EnforcementAction.status == DeliveryStatus.SENDING,
            EnforcementAction.lease_until < now,
        ),
    )
    query = (
        sa.select(EnforcementAction)
        .where(due)
        .order_by(EnforcementAction.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    with write_session(engine) as session:
        rows = list(session.scalars(query))
        reversed_keys = _keys_of(session, [r.reverses_id for r in rows if r.reverses_id])
        for row in rows:
            row.status = DeliveryStatus.SENDING
            row.lease_until = now + retry.lease
        return [
            {
                "id": row.id,
                "idempotency_key": row.idempotency_key,
                "action": row.action.value,
                "target_type": row.target_type,
                "target": row.target,
                "case_id": row.case_id,
                "undoes": reversed_keys.get(row.reverses_id) if row.reverses_id else None,
                "issued_at": now.isoformat(),
            }
            for row in rows
        ]


def _keys_of(session: Session, ids: list[int]) -> dict[int, str]:
    if not ids:
        return {}
    query = sa.select(EnforcementAction.id, EnforcementAction.idempotency_key).where(
        EnforcementAction.id.in_(ids)
    )
    return dict(session.execute(query).all())


def _settle(
    engine: Engine, outcomes: list[tuple[int, str | None]], now: datetime, retry: RetryPolicy
) -> DispatchResult:
    delivered = retrying = dead = 0
    with write_session(engine) as session:
        for action_id, error in outcomes:
            row = session.get(EnforcementAction, action_id)
            if row is None or row.status != DeliveryStatus.SENDING:
                continue  # cancelled (undone) while it was in flight
            row.lease_until = None
            if error is None:
                row.status, row.delivered_at, row.last_error = DeliveryStatus.DELIVERED, now, None
                delivered += 1
                continue
            row.attempts += 1
            row.last_error = error
            if row.attempts >= retry.max_attempts:
                row.status = DeliveryStatus.DEAD
                dead += 1
            else:
                row.status = DeliveryStatus.PENDING
                row.next_attempt_at = now + retry.backoff(row.attempts)
                retrying += 1
    return DispatchResult(delivered=delivered, retrying=retrying, dead=dead)


class DeliveryFailed(Exception):
    """The receiver did not take the action (no answer, or not a 2xx)."""


def signature(secret: bytes, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify_signature(
    secret: bytes, header: str, body: bytes, *, now: float | None = None, tolerance_s: int = 300
) -> bool:
    """For receivers: the body is ours and fresh (replays older than ``tolerance_s`` refused)."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    fresh = abs((now if now is not None else time.time()) - timestamp) <= tolerance_s
    return fresh and hmac.compare_digest(signature(secret, timestamp, body), header)


def post_signed(webhook: Webhook, body: bytes, headers: dict[str, str]) -> None:
    """POST ``body`` to the webhook with its signature; DeliveryFailed unless it answers 2xx."""
    request = urllib.request.Request(
        webhook.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            SIGNATURE_HEADER: signature(webhook.secret, int(time.time()), body),
            **headers,
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=webhook.timeout_s) as response:  # noqa: S310
            if not 200 <= response.status < 300:
                raise DeliveryFailed(f"HTTP {response.status}")
    except urllib.error.HTTPError as exc:
        raise DeliveryFailed(f"HTTP {exc.code}") from exc
    except (urllib.error.URLError, OSError) as exc:
        raise DeliveryFailed(f"no answer: {getattr(exc, 'reason', exc)}") from exc


# --- leads' tools ----------------------------------------------------------------------
def list_actions(
    engine: Engine,
    *,
    status: DeliveryStatus | None = None,
    case_id: int | None = None,
    limit: int = 200,
) -> list[ActionView]:
    query = sa.select(EnforcementAction).order_by(EnforcementAction.id.desc()).limit(limit)
    if status is not None:
        query = query.where(EnforcementAction.status == status)
    if case_id is not None:
        query = query.where(EnforcementAction.case_id == case_id)
    with read_session(engine) as session:
        return [ActionView.of(row) for row in session.scalars(query)]


def count_actions(engine: Engine, *, case_id: int | None = None) -> dict[DeliveryStatus, int]:
    query = sa.select(EnforcementAction.status, sa.func.count()).group_by(EnforcementAction.status)
    if case_id is not None:
        query = query.where(EnforcementAction.case_id == case_id)
    with read_session(engine) as session:
        return {status: int(n) for status, n in session.execute(query)}


def retry_dead(engine: Engine, action_ids: Iterable[int], *, actor: str) -> int:
    """Give dead actions a fresh set of tries, now."""
    now = utcnow()
    ids = list(action_ids)
    with write_session(engine) as session:
        changed = session.execute(  # type: ignore[attr-defined]
            sa.update(EnforcementAction)
            .where(EnforcementAction.id.in_(ids), EnforcementAction.status == DeliveryStatus.DEAD)
            .values(status=DeliveryStatus.PENDING, attempts=0, next_attempt_at=now)
        ).rowcount
        add_audit(
            session,
            actor=actor,
            action=AuditAction.ENFORCEMENT_RETRIED,
            at=now,
            detail={"actions": ids, "retried": changed},
        )
    return int(changed or 0)


@dataclass(frozen=True)
class Reversal:
    cancelled: int
    undone: int


def undo_enforcement(
    engine: Engine, case_id: int, *, actor: str, reason: str, now: datetime | None = None
) -> Reversal:
    """Cancel a case's unsent actions and send an undo for each delivered one (released now)."""
    if not reason.strip():
        raise ReviewError("a reason is required")
    now = now or utcnow()
    with write_session(engine) as session:
        if session.get(Case, case_id) is None:
            raise ReviewError(f"no case {case_id}")
        rows = list(
            session.scalars(
                sa.select(EnforcementAction)
                .where(
                    EnforcementAction.case_id == case_id,
                    EnforcementAction.action != EnforcementKind.UNDO,
                )
                .with_for_update()
            )
        )
        undone_already = set(
            session.scalars(
                sa.select(EnforcementAction.reverses_id).where(
                    EnforcementAction.case_id == case_id,
                    EnforcementAction.action == EnforcementKind.UNDO,
                )
            )
        )
        cancelled = undone = 0
        for row in rows:
            if row.id in undone_already or row.status == DeliveryStatus.CANCELLED:
                continue
            if row.status in (DeliveryStatus.PENDING, DeliveryStatus.DEAD):
                row.status = DeliveryStatus.CANCELLED
                cancelled += 1
                continue
            # Delivered, or in flight (it may land): the account system is told to undo it.
            row.status = (
                DeliveryStatus.CANCELLED if row.status == DeliveryStatus.SENDING else row.status
            )
            session.add(_undo_row(row, now))
            undone += 1
        add_audit(
            session,
            actor=actor,
            action=AuditAction.ENFORCEMENT_REVERSED,
            at=now,
            case_id=case_id,
            detail={"reason": reason, "cancelled": cancelled, "undone": undone},
        )
    return Reversal(cancelled=cancelled, undone=undone)


def _action_row(
    case_id: int,
    decision_id: int | None,
    kind: EnforcementKind,
    target_type: str,
    target: str,
    release: datetime,
    now: datetime,
    reverses: EnforcementAction | None = None,
) -> dict[str, Any]:
    """The columns of a new pending action (an undo names the action it reverses)."""
    key = (
        _key(decision_id or 0, kind, target_type, target)
        if reverses is None
        else hashlib.sha256(f"undo\n{reverses.idempotency_key}".encode()).hexdigest()
    )
    return {
        "case_id": case_id,
        "decision_id": decision_id,
        "action": kind,
        "target_type": target_type,
        "target": target,
        "idempotency_key": key,
        "reverses_id": reverses.id if reverses is not None else None,
        "status": DeliveryStatus.PENDING,
        "attempts": 0,
        "release_at": release,
        "next_attempt_at": release,
        "created_at": now,
    }


def _undo_row(row: EnforcementAction, now: datetime) -> EnforcementAction:
    return EnforcementAction(
        **_action_row(
            row.case_id, row.decision_id, EnforcementKind.UNDO, row.target_type, row.target,
            now, now, reverses=row,
        )
    )  # fmt: skip
