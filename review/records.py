"""Plain read models of the queue and the helpers that build them from rows.

Everything the CLI, the console and the audit log show is one of these frozen
dataclasses (``to_dict()`` gives JSON-ready values), so callers never hold ORM
objects past their session.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any

from review.tables import AuditEntry, Case, Comment, Decision, Evidence, Member, Sighting
from review.vocabulary import CaseStatus, CommentKind, Outcome


def jsonable(value: Any) -> Any:
    """``value`` as plain JSON types: dates as ISO text, NaN as None, NUL bytes replaced.

    Sweep data comes from numpy/pandas (numpy scalars) and from attackers (NUL
    characters, which PostgreSQL text cannot hold), so it is normalised once here.
    """
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(jsonable(k)): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    if hasattr(value, "item"):  # numpy scalar
        return jsonable(value.item())
    if hasattr(value, "tolist"):  # numpy array
        return jsonable(value.tolist())
    return jsonable(str(value))


class _Record:
    def to_dict(self) -> dict[str, Any]:
        return jsonable(asdict(self))  # type: ignore[call-overload]


@dataclass(frozen=True)
class CaseSummary(_Record):
    id: int
    title: str
    status: CaseStatus
    priority: float
    risk: float
    output_tokens: int
    requests: int
    accounts_count: int
    customers_count: int
    cluster_id: str | None
    first_seen: date
    last_seen: date
    intake_date: date | None
    escalated: bool
    claimed_by: str | None
    claim_expires_at: datetime | None
    outcome: Outcome | None
    closed_at: datetime | None
    closed_by: str | None
    reopen_count: int
    members_version: int
    claim_members_version: int | None = None  # the version the current claim showed
    model_version: str | None = None
    evidence_families: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, case: Case) -> CaseSummary:
        return cls(
            id=case.id,
            title=case.title,
            status=case.status,
            priority=case.priority,
            risk=case.risk,
            output_tokens=case.output_tokens,
            requests=case.requests,
            accounts_count=case.accounts_count,
            customers_count=case.customers_count,
            cluster_id=case.cluster_id,
            first_seen=case.first_seen,
            last_seen=case.last_seen,
            intake_date=case.intake_date,
            escalated=case.escalated,
            claimed_by=case.claimed_by,
            claim_expires_at=case.claim_expires_at,
            outcome=case.outcome,
            closed_at=case.closed_at,
            closed_by=case.closed_by,
            reopen_count=case.reopen_count,
            members_version=case.members_version,
            claim_members_version=case.claim_members_version,
            model_version=case.model_version,
            evidence_families=[f for f in (case.evidence_families or "").split(",") if f],
        )


@dataclass(frozen=True)
class SightingView(_Record):
    sweep_date: date
    cluster_id: str | None
    score: float
    output_tokens: int
    requests: int
    hourly_requests: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class MemberView(_Record):
    account_id: str
    customer_id: str | None
    cluster_id: str | None
    score: float
    max_score: float
    reasons: list[dict[str, Any]]
    first_seen: date
    last_seen: date
    output_tokens: int
    requests: int
    outcome: Outcome | None
    added_version: int = 1  # the case's members version this account's arrival made
    sightings: list[SightingView] = field(default_factory=list)
    # Entities that linked it (``review.service``: type, value, first and last sweep day,
    # and when known the customers holding it in the block and the days it was used).
    links: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def of(cls, member: Member, links: list[dict[str, Any]] | None = None) -> MemberView:
        return cls(
            account_id=member.account_id,
            customer_id=member.customer_id,
            cluster_id=member.cluster_id,
            score=member.score,
            max_score=member.max_score,
            reasons=list(member.reasons or []),
            first_seen=member.first_seen,
            last_seen=member.last_seen,
            output_tokens=member.output_tokens,
            requests=member.requests,
            outcome=member.outcome,
            added_version=member.added_version,
            sightings=[_sighting(s) for s in member.sightings],
            links=list(links or []),
        )


def _sighting(sighting: Sighting) -> SightingView:
    return SightingView(
        sweep_date=sighting.sweep_date,
        cluster_id=sighting.cluster_id,
        score=sighting.score,
        output_tokens=sighting.output_tokens,
        requests=sighting.requests,
        hourly_requests=list(sighting.hourly_requests or []),
    )


@dataclass(frozen=True)
class EvidenceView(_Record):
    sweep_date: date
    cluster_id: str | None
    accounts_count: int
    customers_count: int
    requests: int
    output_tokens: int
    entities: list[dict[str, Any]]
    hourly_requests: list[int]
    sample_prompts: list[str]
    sample_system_prompts: list[str]
    extra: dict[str, Any]

    @classmethod
    def of(cls, evidence: Evidence) -> EvidenceView:
        return cls(
            sweep_date=evidence.sweep_date,
            cluster_id=evidence.cluster_id,
            accounts_count=evidence.accounts_count,
            customers_count=evidence.customers_count,
            requests=evidence.requests,
            output_tokens=evidence.output_tokens,
            entities=list(evidence.entities or []),
            hourly_requests=list(evidence.hourly_requests or []),
            sample_prompts=list(evidence.sample_prompts or []),
            sample_system_prompts=list(evidence.sample_system_prompts or []),
            extra=dict(evidence.extra or {}),
        )


@dataclass(frozen=True)
class DecisionView(_Record):
    id: int
    case_id: int
    reviewer: str
    outcome: Outcome
    reason: str
    account_outcomes: dict[str, str]
    decided_at: datetime
    members_version: int | None = None

    @classmethod
    def of(cls, decision: Decision) -> DecisionView:
        return cls(
            id=decision.id,
            case_id=decision.case_id,
            reviewer=decision.reviewer,
            outcome=decision.outcome,
            reason=decision.reason,
            account_outcomes=dict(decision.account_outcomes or {}),
            decided_at=decision.decided_at,
            members_version=decision.members_version,
        )


@dataclass(frozen=True)
class CommentView(_Record):
    id: int
    author: str
    kind: CommentKind
    body: str
    created_at: datetime

    @classmethod
    def of(cls, comment: Comment) -> CommentView:
        return cls(
            id=comment.id,
            author=comment.author,
            kind=comment.kind,
            body=comment.body,
            created_at=comment.created_at,
        )


@dataclass(frozen=True)
class AuditView(_Record):
    id: int
    at: datetime
    actor: str
    action: str
    case_id: int | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    detail: dict[str, Any] | None

    @classmethod
    def of(cls, entry: AuditEntry) -> AuditView:
        return cls(
            id=entry.id,
            at=entry.at,
            actor=entry.actor,
            action=entry.action,
            case_id=entry.case_id,
            before=entry.before,
            after=entry.after,
            detail=entry.detail,
        )


@dataclass(frozen=True)
class CaseDetail(_Record):
    case: CaseSummary
    members: list[MemberView]  # the page asked for (all by default)
    evidence: list[EvidenceView]
    decisions: list[DecisionView]
    comments: list[CommentView]
    members_matching: int = 0  # members the page's filter keeps, over all pages


@dataclass(frozen=True)
class EntityCount(_Record):
    """An entity (a payment fingerprint, an IP prefix) and how many members it links."""

    type: str
    value: str
    members: int
    first_seen: date | None = None  # the days it linked them
    last_seen: date | None = None


@dataclass(frozen=True)
class RelatedCase(_Record):
    case: CaseSummary
    shared_entities: int


def case_state(case: Case) -> dict[str, Any]:
    """The fields of a case the audit log records before and after a change."""
    return jsonable(
        {
            "status": case.status,
            "escalated": case.escalated,
            "priority": case.priority,
            "risk": case.risk,
            "output_tokens": case.output_tokens,
            "accounts_count": case.accounts_count,
            "members_version": case.members_version,
            "last_seen": case.last_seen,
            "intake_date": case.intake_date,
            "claimed_by": case.claimed_by,
            "claim_expires_at": case.claim_expires_at,
            "outcome": case.outcome,
        }
    )
