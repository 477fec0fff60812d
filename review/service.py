"""Working the queue: list, show, claim, release, decide, escalate, comment, reassign.

Every change happens in one write transaction that also appends an audit entry
with the case's state before and after. Claims are leases: ``claim_next_case``
takes the highest-priority open case with ``FOR UPDATE SKIP LOCKED`` on
PostgreSQL (concurrent claimers each get a different case without waiting) and
under SQLite's ``BEGIN IMMEDIATE`` write lock (claimers take turns); a claim
whose lease ran out is free again, so an analyst who walked away does not hold
a case forever. Roles are the console's business: functions here take the
acting reviewer's name and, where it matters, whether escalated cases are allowed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, selectinload

from review.audit import add_audit, record_event
from review.engine import read_session, write_session
from review.errors import CaseNotFound, ClaimConflict, InvalidDecision, MembersChanged
from review.records import (
    AuditView,
    CaseDetail,
    CaseSummary,
    CommentView,
    DecisionView,
    EvidenceView,
    MemberView,
    case_state,
)
from review.tables import (
    AuditEntry,
    Case,
    Comment,
    Decision,
    Evidence,
    Member,
    Sighting,
    utcnow,
)
from review.vocabulary import (
    ACCOUNT_OUTCOMES,
    WORKING_STATUSES,
    AuditAction,
    CaseFilter,
    CaseStatus,
    CommentKind,
    Outcome,
)

DEFAULT_LEASE = timedelta(minutes=30)
MAX_TEXT = 4000


@dataclass(frozen=True)
class ClaimPolicy:
    lease: timedelta = DEFAULT_LEASE
    include_escalated: bool = False  # leads work escalated cases, first


# --- reading ------------------------------------------------------------------
def list_cases(
    engine: Engine,
    *,
    status: CaseFilter | str = CaseFilter.OPEN,
    limit: int = 50,
    offset: int = 0,
    search: str | None = None,
    claimed_by: str | None = None,
    first_seen: date | None = None,
) -> list[CaseSummary]:
    """Cases by priority (highest first); ``search`` matches case id, cluster id or account id;
    ``first_seen`` keeps the cases first seen on that sweep day."""
    if status not in tuple(CaseFilter):
        raise InvalidDecision(f"unknown status {status!r}; use one of {', '.join(CaseFilter)}")
    query = sa.select(Case).order_by(Case.priority.desc(), Case.id).limit(limit).offset(offset)
    statuses = CaseFilter(status).statuses
    if statuses is not None:
        query = query.where(Case.status.in_(statuses))
    if claimed_by:
        query = query.where(Case.claimed_by == claimed_by)
    if first_seen is not None:
        query = query.where(Case.first_seen == first_seen)
    if search:
        term = search.strip()
        conditions = [
            Case.cluster_id == term,
            Case.id.in_(sa.select(Member.case_id).where(Member.account_id == term)),
        ]
        if term.isdigit():
            conditions.append(Case.id == int(term))
        query = query.where(sa.or_(*conditions))
    with read_session(engine) as session:
        return [CaseSummary.of(case) for case in session.scalars(query)]


def count_cases(engine: Engine, *, first_seen: date | None = None) -> dict[CaseStatus, int]:
    """Cases per status (of those first seen on ``first_seen`` when given)."""
    query = sa.select(Case.status, sa.func.count()).group_by(Case.status)
    if first_seen is not None:
        query = query.where(Case.first_seen == first_seen)
    with read_session(engine) as session:
        return {status: int(n) for status, n in session.execute(query)}


def get_case(engine: Engine, case_id: int) -> CaseDetail:
    with read_session(engine) as session:
        case = session.scalar(
            sa.select(Case)
            .where(Case.id == case_id)
            .options(selectinload(Case.members).selectinload(Member.sightings))
        )
        if case is None:
            raise CaseNotFound(f"no case {case_id}")
        evidence = session.scalars(
            sa.select(Evidence)
            .where(Evidence.case_id == case_id)
            .order_by(Evidence.sweep_date, Evidence.group_key)
        )
        decisions = session.scalars(
            sa.select(Decision).where(Decision.case_id == case_id).order_by(Decision.id)
        )
        comments = session.scalars(
            sa.select(Comment).where(Comment.case_id == case_id).order_by(Comment.id)
        )
        return CaseDetail(
            case=CaseSummary.of(case),
            members=sorted(
                (MemberView.of(m) for m in case.members),
                key=lambda m: (-m.score, m.account_id),
            ),
            evidence=[EvidenceView.of(e) for e in evidence],
            decisions=[DecisionView.of(d) for d in decisions],
            comments=[CommentView.of(c) for c in comments],
        )


def read_audit(engine: Engine, *, case_id: int | None = None, limit: int = 200) -> list[AuditView]:
    """Audit entries, newest first."""
    query = sa.select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if case_id is not None:
        query = query.where(AuditEntry.case_id == case_id)
    with read_session(engine) as session:
        return [AuditView.of(entry) for entry in session.scalars(query)]


def export_flagged(
    engine: Engine, *, sweep_date: date | None = None, actor: str | None = None
) -> list[dict[str, Any]]:
    """One record per flagged account (CONTRACT: ``queue export --format jsonl``).

    Without ``sweep_date``: every member with its latest sighting. With it: the
    accounts that day's sweep flagged, as that day saw them. With ``actor``, the
    export is audited (who, which day, how many accounts).
    """
    records = _flagged(engine, sweep_date)
    if actor is not None:
        detail = {"sweep_date": sweep_date, "accounts": len(records)}
        record_event(engine, actor=actor, action=AuditAction.EXPORT_FLAGGED, detail=detail)
    return records


def _flagged(engine: Engine, sweep_date: date | None) -> list[dict[str, Any]]:
    with read_session(engine) as session:
        if sweep_date is None:
            rows = session.execute(
                sa.select(Member).order_by(Member.case_id, Member.account_id)
            ).scalars()
            return [
                {
                    "account_id": m.account_id,
                    "case_id": m.case_id,
                    "cluster_id": m.cluster_id,
                    "score": m.score,
                    "sweep_date": m.last_seen.isoformat(),
                    "reasons": m.reasons,
                }
                for m in rows
            ]
        query = (
            sa.select(Member.account_id, Member.case_id, Sighting)
            .join(Sighting, Sighting.member_id == Member.id)
            .where(Sighting.sweep_date == sweep_date)
            .order_by(Member.case_id, Member.account_id)
        )
        return [
            {
                "account_id": account_id,
                "case_id": case_id,
                "cluster_id": s.cluster_id,
                "score": s.score,
                "sweep_date": s.sweep_date.isoformat(),
                "reasons": s.reasons,
            }
            for account_id, case_id, s in session.execute(query)
        ]


# --- claiming -----------------------------------------------------------------
def _claimable(now: datetime, include_escalated: bool) -> sa.ColumnElement[bool]:
    expired = sa.and_(Case.status == CaseStatus.CLAIMED, Case.claim_expires_at < now)
    if include_escalated:
        return sa.or_(Case.status.in_((CaseStatus.OPEN, CaseStatus.ESCALATED)), expired)
    return sa.or_(Case.status == CaseStatus.OPEN, sa.and_(expired, Case.escalated.is_(False)))


def claim_next_case(
    engine: Engine,
    reviewer: str,
    *,
    policy: ClaimPolicy | None = None,
    now: datetime | None = None,
) -> CaseSummary | None:
    """Claim the most urgent free case for ``reviewer``; None when nothing is free."""
    policy = policy or ClaimPolicy()
    now = now or utcnow()
    reviewer = _name(reviewer, "reviewer")
    order = [Case.priority.desc(), Case.id]
    if policy.include_escalated:
        order.insert(0, Case.escalated.desc())
    query = (
        sa.select(Case)
        .where(_claimable(now, policy.include_escalated))
        .order_by(*order)
        .limit(1)
        # PostgreSQL: a row another claimer holds is skipped, not waited for.
        # SQLite ignores the clause; BEGIN IMMEDIATE already serialises claimers.
        .with_for_update(skip_locked=True)
    )
    with write_session(engine) as session:
        case = session.scalar(query)
        if case is None:
            return None
        _take(session, case, reviewer, policy.lease, now, action=AuditAction.CASE_CLAIMED)
        return CaseSummary.of(case)


def claim_case(
    engine: Engine,
    case_id: int,
    reviewer: str,
    *,
    policy: ClaimPolicy | None = None,
    now: datetime | None = None,
) -> CaseSummary:
    """Claim one given case; claiming a case you already hold renews the lease."""
    policy = policy or ClaimPolicy()
    now = now or utcnow()
    reviewer = _name(reviewer, "reviewer")
    with write_session(engine) as session:
        case = _locked(session, case_id)
        held = case.status == CaseStatus.CLAIMED and case.claim_expires_at is not None
        if held and case.claimed_by != reviewer and case.claim_expires_at > now:  # type: ignore[operator]
            raise ClaimConflict(
                f"case {case_id} is claimed by {case.claimed_by} until "
                f"{case.claim_expires_at:%Y-%m-%d %H:%M} UTC"
            )
        if case.status == CaseStatus.ESCALATED or (held and case.escalated):
            if not policy.include_escalated and case.claimed_by != reviewer:
                raise ClaimConflict(f"case {case_id} is escalated: a lead must take it")
        elif case.status not in (CaseStatus.OPEN, CaseStatus.CLAIMED):
            raise ClaimConflict(f"case {case_id} is {case.status.phrase}")
        _take(session, case, reviewer, policy.lease, now, action=AuditAction.CASE_CLAIMED)
        return CaseSummary.of(case)


def release_case(
    engine: Engine, case_id: int, reviewer: str, *, now: datetime | None = None
) -> CaseSummary:
    """Give a claimed case back to the queue."""
    now = now or utcnow()
    with write_session(engine) as session:
        case = _locked(session, case_id)
        _require_holder(case, reviewer)
        before = case_state(case)
        _free(case, now)
        add_audit(
            session,
            actor=reviewer,
            action=AuditAction.CASE_RELEASED,
            at=now,
            case_id=case.id,
            before=before,
            after=case_state(case),
        )
        return CaseSummary.of(case)


def reassign_case(
    engine: Engine,
    case_id: int,
    *,
    to_reviewer: str,
    actor: str,
    note: str | None = None,
    lease: timedelta = DEFAULT_LEASE,
    now: datetime | None = None,
) -> CaseSummary:
    """Hand a case to ``to_reviewer`` (a lead's action; the console checks the role)."""
    now = now or utcnow()
    to_reviewer = _name(to_reviewer, "reviewer")
    with write_session(engine) as session:
        case = _locked(session, case_id)
        if case.status not in WORKING_STATUSES:
            raise ClaimConflict(f"case {case_id} is {case.status.phrase}")
        if note and note.strip():
            session.add(
                Comment(
                    case_id=case.id,
                    author=actor,
                    kind=CommentKind.REASSIGN,
                    body=_text(note, "note"),
                    created_at=now,
                )
            )
        _take(
            session, case, to_reviewer, lease, now, action=AuditAction.CASE_REASSIGNED, actor=actor
        )
        return CaseSummary.of(case)


# --- working a case -----------------------------------------------------------
def decide_case(
    engine: Engine,
    case_id: int,
    *,
    reviewer: str,
    outcome: Outcome | str,
    reason: str,
    account_outcomes: dict[str, str] | None = None,
    members_version: int | None = None,
    now: datetime | None = None,
) -> DecisionView:
    """Close a case the reviewer holds with an outcome and a required reason.

    ``abuse`` / ``legitimate`` apply to every member; ``mixed`` needs an outcome
    for every member in ``account_outcomes``, with both outcomes present. The
    decision covers the members the reviewer saw: ``members_version`` (the
    case's version on the page they read; by default the one their claim
    showed). When a landing has added or removed accounts since, the decision
    is refused (``MembersChanged``, naming the accounts that joined).
    """
    now = now or utcnow()
    verdict = _outcome(outcome)
    reason = _text(reason, "reason")
    given = _account_outcomes(account_outcomes or {})
    with write_session(engine) as session:
        case = _locked(session, case_id)
        _require_holder(case, reviewer)
        members = list(
            session.scalars(
                sa.select(Member).where(Member.case_id == case.id).order_by(Member.account_id)
            )
        )
        _require_seen(case, members, members_version)
        per_account = _per_account(case.id, verdict, given, [m.account_id for m in members])
        before = case_state(case)
        decision = Decision(
            case_id=case.id,
            reviewer=reviewer,
            outcome=verdict,
            reason=reason,
            account_outcomes=per_account,
            members_version=case.members_version,
            decided_at=now,
        )
        session.add(decision)
        session.flush()
        for member in members:
            member.outcome = per_account[member.account_id]
            member.decision_id = decision.id
        _close(case, verdict, reviewer, len(members), now)
        add_audit(
            session,
            actor=reviewer,
            action=AuditAction.CASE_DECIDED,
            at=now,
            case_id=case.id,
            before=before,
            after=case_state(case),
            detail={"decision_id": decision.id, "reason": reason, "account_outcomes": per_account},
        )
        session.flush()
        return DecisionView.of(decision)


def _require_seen(case: Case, members: list[Member], seen: int | None) -> None:
    """Refuse a decision on members the reviewer did not see."""
    seen = seen if seen is not None else case.claim_members_version
    if seen is None or seen == case.members_version:
        return  # (no version at all: a claim made before versions existed)
    joined = sorted(m.account_id for m in members if m.added_version > seen)
    raise MembersChanged(case.id, seen, case.members_version, joined, len(members))


def _outcome(value: Outcome | str) -> Outcome:
    if value not in tuple(Outcome):
        raise InvalidDecision(f"outcome must be one of {', '.join(Outcome)}, got {value!r}")
    return Outcome(value)


def _account_outcomes(given: dict[str, str]) -> dict[str, Outcome]:
    for account_id, value in given.items():
        if value not in ACCOUNT_OUTCOMES:
            raise InvalidDecision(
                f"account {account_id}: outcome must be abuse or legitimate, got {value!r}"
            )
    return {account_id: Outcome(value) for account_id, value in given.items()}


def _per_account(
    case_id: int, outcome: Outcome, given: dict[str, Outcome], members: list[str]
) -> dict[str, Outcome]:
    """Every member's outcome under the decision, or why the decision is incomplete."""
    unknown = sorted(set(given) - set(members))
    if unknown:
        raise InvalidDecision(f"not members of case {case_id}: {', '.join(unknown[:5])}")
    if outcome != Outcome.MIXED:
        contrary = sorted(a for a, v in given.items() if v != outcome)
        if contrary:
            raise InvalidDecision(
                f"accounts {', '.join(contrary[:5])} differ from the case outcome "
                f"{outcome}: use outcome mixed with an outcome per account"
            )
        return dict.fromkeys(members, outcome)
    missing = sorted(set(members) - set(given))
    if missing:
        raise InvalidDecision(
            f"a mixed decision needs an outcome for every account; missing: "
            f"{', '.join(missing[:5])}{' ...' if len(missing) > 5 else ''}"
        )
    if len(set(given.values())) < 2:
        only = next(iter(given.values()), Outcome.ABUSE)
        raise InvalidDecision(f"every account is {only}: decide the case as {only}, not mixed")
    return {account_id: given[account_id] for account_id in members}


def _close(case: Case, outcome: Outcome, reviewer: str, members: int, now: datetime) -> None:
    """Close ``case`` with ``outcome``, remembering what the decision covered."""
    case.status = CaseStatus.CLOSED
    case.outcome = outcome
    case.closed_at = now
    case.closed_by = reviewer
    case.closed_through_date = case.last_seen
    case.closed_members = members
    case.closed_output_tokens = case.output_tokens
    case.escalated = False
    case.claimed_by = case.claimed_at = case.claim_expires_at = None
    case.updated_at = now


def escalate_case(
    engine: Engine, case_id: int, *, reviewer: str, reason: str, now: datetime | None = None
) -> CaseSummary:
    """Pass a case the reviewer holds to the leads, with a reason."""
    now = now or utcnow()
    reason = _text(reason, "reason")
    with write_session(engine) as session:
        case = _locked(session, case_id)
        _require_holder(case, reviewer)
        before = case_state(case)
        case.escalated = True
        case.status = CaseStatus.ESCALATED
        case.claimed_by = case.claimed_at = case.claim_expires_at = None
        case.updated_at = now
        session.add(
            Comment(
                case_id=case.id,
                author=reviewer,
                kind=CommentKind.ESCALATION,
                body=reason,
                created_at=now,
            )
        )
        add_audit(
            session,
            actor=reviewer,
            action=AuditAction.CASE_ESCALATED,
            at=now,
            case_id=case.id,
            before=before,
            after=case_state(case),
            detail={"reason": reason},
        )
        return CaseSummary.of(case)


def add_comment(
    engine: Engine, case_id: int, *, author: str, text: str, now: datetime | None = None
) -> CommentView:
    now = now or utcnow()
    author = _name(author, "author")
    body = _text(text, "comment")
    with write_session(engine) as session:
        case = _locked(session, case_id)
        comment = Comment(
            case_id=case.id, author=author, kind=CommentKind.COMMENT, body=body, created_at=now
        )
        session.add(comment)
        session.flush()
        add_audit(
            session,
            actor=author,
            action=AuditAction.CASE_COMMENTED,
            at=now,
            case_id=case.id,
            detail={"comment_id": comment.id},
        )
        return CommentView.of(comment)


# --- helpers ------------------------------------------------------------------
def _locked(session: Session, case_id: int) -> Case:
    case = session.scalar(sa.select(Case).where(Case.id == case_id).with_for_update())
    if case is None:
        raise CaseNotFound(f"no case {case_id}")
    return case


def _require_holder(case: Case, reviewer: str) -> None:
    if case.status != CaseStatus.CLAIMED:
        raise ClaimConflict(f"case {case.id} is {case.status.phrase}: claim it first")
    if case.claimed_by != reviewer:
        raise ClaimConflict(f"case {case.id} is claimed by {case.claimed_by}, not {reviewer}")


def _take(
    session: Session,
    case: Case,
    reviewer: str,
    lease: timedelta,
    now: datetime,
    *,
    action: AuditAction,
    actor: str | None = None,
) -> None:
    before = case_state(case)
    previous = case.claimed_by if case.status == CaseStatus.CLAIMED else None
    case.status = CaseStatus.CLAIMED
    case.claimed_by = reviewer
    case.claimed_at = now
    case.claim_expires_at = now + lease
    case.claim_members_version = case.members_version
    case.updated_at = now
    detail: dict[str, Any] = {"lease_seconds": int(lease.total_seconds())}
    if previous and previous != reviewer:
        detail["taken_from"] = previous
    add_audit(
        session,
        actor=actor or reviewer,
        action=action,
        at=now,
        case_id=case.id,
        before=before,
        after=case_state(case),
        detail=detail,
    )


def _free(case: Case, now: datetime) -> None:
    case.status = CaseStatus.ESCALATED if case.escalated else CaseStatus.OPEN
    case.claimed_by = case.claimed_at = case.claim_expires_at = None
    case.updated_at = now


def _text(value: str | None, what: str) -> str:
    text = (value or "").strip()
    if not text:
        raise InvalidDecision(f"a {what} is required")
    if len(text) > MAX_TEXT:
        raise InvalidDecision(f"the {what} is longer than {MAX_TEXT} characters")
    return text.replace("\x00", "\ufffd")


def _name(value: str | None, what: str) -> str:
    name = (value or "").strip()
    if not name or len(name) > 64:
        raise InvalidDecision(f"a {what} name of 1 to 64 characters is required")
    return name
