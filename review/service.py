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

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, selectinload

from review.audit import add_audit, audit_case_change, record_event
from review.engine import in_chunks, read_session, write_session
from review.errors import CaseNotFound, ClaimConflict, InvalidDecision
from review.records import (
    AuditView,
    CaseDetail,
    CaseSummary,
    CommentView,
    DecisionView,
    EntityCount,
    EvidenceView,
    MemberView,
    RelatedCase,
    case_state,
)
from review.tables import (
    AuditEntry,
    Case,
    Comment,
    Decision,
    Evidence,
    Member,
    MemberLink,
    Sighting,
    utcnow,
)
from review.vocabulary import (
    WORKING_STATUSES,
    AuditAction,
    CaseFilter,
    CaseSort,
    CaseStatus,
    CommentKind,
    Outcome,
)

DEFAULT_LEASE = timedelta(minutes=30)
MAX_ID = 2**63 - 1
MAX_TEXT = 4000


@dataclass(frozen=True)
class ClaimPolicy:
    lease: timedelta = DEFAULT_LEASE
    include_escalated: bool = False  # leads work escalated cases, first


# --- reading ------------------------------------------------------------------
_SORT_COLUMNS = {
    CaseSort.PRIORITY: Case.priority,
    CaseSort.LAST_SEEN: Case.last_seen,
    CaseSort.FIRST_SEEN: Case.first_seen,
    CaseSort.SIZE: Case.accounts_count,
    CaseSort.TOKENS: Case.output_tokens,
    CaseSort.SCORE: Case.risk,
}


def list_cases(
    engine: Engine,
    *,
    status: CaseFilter | str = CaseFilter.OPEN,
    limit: int = 50,
    offset: int = 0,
    search: str | None = None,
    claimed_by: str | None = None,
    first_seen: date | None = None,
    sort: CaseSort | str = CaseSort.PRIORITY,
    model_version: str | None = None,
    family: str | None = None,
    min_accounts: int | None = None,
) -> list[CaseSummary]:
    """Cases by ``sort`` (largest, latest first); ``search`` matches case id, cluster id or
    account id; ``first_seen`` keeps the cases first seen on that sweep day; ``model_version``
    the cases whose latest evidence that model flagged; ``family`` the cases whose reasons
    name that evidence family."""
    if status not in tuple(CaseFilter):
        raise InvalidDecision(f"unknown status {status!r}; use one of {', '.join(CaseFilter)}")
    if sort not in tuple(CaseSort):
        raise InvalidDecision(f"unknown order {sort!r}; use one of {', '.join(CaseSort)}")
    column = _SORT_COLUMNS[CaseSort(sort)]
    query = sa.select(Case).order_by(column.desc(), Case.id).limit(limit).offset(offset)
    query = query.where(*_case_filters(status, claimed_by, first_seen, model_version, family))
    if min_accounts is not None:
        query = query.where(Case.accounts_count >= min_accounts)
    if search:
        query = query.where(_search(search.strip()))
    with read_session(engine) as session:
        return [CaseSummary.of(case) for case in session.scalars(query)]


def _case_filters(
    status: CaseFilter | str,
    claimed_by: str | None,
    first_seen: date | None,
    model_version: str | None,
    family: str | None,
) -> list[sa.ColumnElement[bool]]:
    found: list[sa.ColumnElement[bool]] = []
    statuses = CaseFilter(status).statuses
    if statuses is not None:
        found.append(Case.status.in_(statuses))
    if claimed_by:
        found.append(Case.claimed_by == claimed_by)
    if first_seen is not None:
        found.append(Case.first_seen == first_seen)
    if model_version:
        found.append(Case.model_version == model_version)
    if family:
        found.append(Case.evidence_families.contains(f",{family},", autoescape=True))
    return found


def _search(term: str) -> sa.ColumnElement[bool]:
    conditions = [
        Case.cluster_id == term,
        Case.id.in_(sa.select(Member.case_id).where(Member.account_id == term)),
    ]
    if term.isdigit() and int(term) <= MAX_ID:
        conditions.append(Case.id == int(term))
    return sa.or_(*conditions)


def count_cases(engine: Engine, *, first_seen: date | None = None) -> dict[CaseStatus, int]:
    """Cases per status (of those first seen on ``first_seen`` when given)."""
    query = sa.select(Case.status, sa.func.count()).group_by(Case.status)
    if first_seen is not None:
        query = query.where(Case.first_seen == first_seen)
    with read_session(engine) as session:
        return {status: int(n) for status, n in session.execute(query)}


def known_families(engine: Engine) -> list[str]:
    """Every evidence family some case's reasons named (the list's family filter)."""
    query = sa.select(Case.evidence_families).where(Case.evidence_families != "").distinct()
    with read_session(engine) as session:
        found = {f for joined in session.scalars(query) for f in joined.split(",") if f}
    return sorted(found)


def case_members_export(
    engine: Engine, case_id: int, *, actor: str | None = None, what: str = "members"
) -> list[dict[str, Any]]:
    """Every member of a case as a flat record (for CSV and JSON export), by score;
    audited under ``actor`` when given."""
    query = (
        sa.select(Member)
        .where(Member.case_id == case_id)
        .order_by(Member.score.desc(), Member.account_id)
    )
    with read_session(engine) as session:
        if session.get(Case, case_id) is None:
            raise CaseNotFound(f"no case {case_id}")
        members = list(session.scalars(query))
        links = _links_of(session, [m.id for m in members])
        rows = [
            {
                "case_id": case_id,
                "account_id": m.account_id,
                "customer_id": m.customer_id,
                "cluster_id": m.cluster_id,
                "score": m.score,
                "max_score": m.max_score,
                "first_seen": m.first_seen.isoformat(),
                "last_seen": m.last_seen.isoformat(),
                "output_tokens": m.output_tokens,
                "requests": m.requests,
                "outcome": m.outcome,
                "links": links.get(m.id, []),
                "reasons": m.reasons,
            }
            for m in members
        ]
    if actor is not None:
        detail = {"format": what, "accounts": len(rows)}
        record_event(
            engine, actor=actor, action=AuditAction.EXPORT_CASE, case_id=case_id, detail=detail
        )
    return rows


@dataclass(frozen=True)
class MemberQuery:
    """Which of a case's members to show: a page, filtered, by score (highest first)."""

    offset: int = 0
    limit: int | None = None  # None: all of them
    outcome: Outcome | None = None
    undecided: bool = False
    min_score: float | None = None
    first_seen: date | None = None  # joined the case's sightings on this day
    entity: tuple[str, str] | None = None  # (type, value) that linked them
    joined_after: int | None = None  # arrived after this members version

    def conditions(self, case_id: int) -> list[sa.ColumnElement[bool]]:
        found: list[sa.ColumnElement[bool]] = [Member.case_id == case_id]
        if self.outcome is not None:
            found.append(Member.outcome == self.outcome)
        if self.undecided:
            found.append(Member.outcome.is_(None))
        if self.min_score is not None:
            found.append(Member.score >= self.min_score)
        if self.first_seen is not None:
            found.append(Member.first_seen == self.first_seen)
        if self.joined_after is not None:
            found.append(Member.added_version > self.joined_after)
        if self.entity is not None:
            kind, value = self.entity
            found.append(
                Member.id.in_(
                    sa.select(MemberLink.member_id).where(
                        MemberLink.case_id == case_id,
                        MemberLink.entity_type == kind,
                        MemberLink.entity_value == value,
                    )
                )
            )
        return found


def get_case(engine: Engine, case_id: int, *, members: MemberQuery | None = None) -> CaseDetail:
    """A case with its evidence, decisions, comments and members (``members``: which ones;
    by default all, which a console showing a 20,000-account case should not ask for)."""
    query = members or MemberQuery()
    with read_session(engine) as session:
        case = session.get(Case, case_id)
        if case is None:
            raise CaseNotFound(f"no case {case_id}")
        conditions = query.conditions(case_id)
        page = session.scalars(
            sa.select(Member)
            .where(*conditions)
            .order_by(Member.score.desc(), Member.account_id)
            .offset(query.offset)
            .limit(query.limit)
            .options(selectinload(Member.sightings))
        ).all()
        matching = session.scalar(sa.select(sa.func.count()).select_from(Member).where(*conditions))
        links = _links_of(session, [m.id for m in page])
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
            members=[MemberView.of(m, links.get(m.id, [])) for m in page],
            evidence=[EvidenceView.of(e) for e in evidence],
            decisions=[DecisionView.of(d) for d in decisions],
            comments=[CommentView.of(c) for c in comments],
            members_matching=int(matching or 0),
        )


def _links_of(session: Session, member_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """Each member's links: ``type``, ``value``, the sweep days that showed the link
    (``first_seen``, ``last_seen``), and when the sweeps said, the ``customers`` holding
    the entity inside the block and the ``days`` the member used it; fewest customers
    first, then by type and value."""
    links: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for chunk in in_chunks(member_ids):
        query = (
            sa.select(
                MemberLink.member_id,
                MemberLink.entity_type,
                MemberLink.entity_value,
                MemberLink.first_seen,
                MemberLink.last_seen,
                MemberLink.customers,
                MemberLink.days,
            )
            .where(MemberLink.member_id.in_(chunk))
            .order_by(MemberLink.entity_type, MemberLink.entity_value)
        )
        for member_id, kind, value, first, last, customers, days in session.execute(query):
            link: dict[str, Any] = {
                "type": kind,
                "value": value,
                "first_seen": first.isoformat(),
                "last_seen": last.isoformat(),
            }
            if customers is not None:
                link["customers"] = customers
            if days:
                link["days"] = list(days)
            links[member_id].append(link)
    # The most specific first: a card four customers hold before an exit four hundred use.
    for held in links.values():
        held.sort(key=lambda x: (x.get("customers") is None, x.get("customers") or 0))
    return links


def case_entities(engine: Engine, case_id: int, *, limit: int = 100) -> list[EntityCount]:
    """The entities linking a case's members, most shared first."""
    members = sa.func.count(sa.distinct(MemberLink.member_id))
    query = (
        sa.select(
            MemberLink.entity_type,
            MemberLink.entity_value,
            members,
            sa.func.min(MemberLink.first_seen),
            sa.func.max(MemberLink.last_seen),
        )
        .where(MemberLink.case_id == case_id)
        .group_by(MemberLink.entity_type, MemberLink.entity_value)
        .order_by(members.desc(), MemberLink.entity_type, MemberLink.entity_value)
        .limit(limit)
    )
    with read_session(engine) as session:
        return [
            EntityCount(kind, value, int(n), first, last)
            for kind, value, n, first, last in session.execute(query)
        ]


def related_cases(engine: Engine, case_id: int, *, limit: int = 10) -> list[RelatedCase]:
    """Other cases whose members share an entity with this one's, most shared first."""
    mine = (
        sa.select(MemberLink.entity_type, MemberLink.entity_value)
        .where(MemberLink.case_id == case_id)
        .distinct()
        .subquery()
    )
    other = sa.orm.aliased(MemberLink)
    shared = sa.func.count(sa.distinct(other.entity_type + ":" + other.entity_value))
    query = (
        sa.select(other.case_id, shared)
        .join(
            mine,
            (other.entity_type == mine.c.entity_type) & (other.entity_value == mine.c.entity_value),
        )
        .where(other.case_id != case_id)
        .group_by(other.case_id)
        .order_by(shared.desc(), other.case_id)
        .limit(limit)
    )
    with read_session(engine) as session:
        counts = dict(session.execute(query).all())
        cases = {c.id: c for c in session.scalars(sa.select(Case).where(Case.id.in_(counts)))}
        return [RelatedCase(CaseSummary.of(cases[cid]), int(n)) for cid, n in counts.items()]


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
        case = locked_case(session, case_id)
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
        case = locked_case(session, case_id)
        require_holder(case, reviewer)
        before = case_state(case)
        _free(case, now)
        audit_case_change(
            session, case, before, actor=reviewer, action=AuditAction.CASE_RELEASED, at=now
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
        case = locked_case(session, case_id)
        if case.status not in WORKING_STATUSES:
            raise ClaimConflict(f"case {case_id} is {case.status.phrase}")
        if note and note.strip():
            session.add(
                Comment(
                    case_id=case.id,
                    author=actor,
                    kind=CommentKind.REASSIGN,
                    body=text_field(note, "note"),
                    created_at=now,
                )
            )
        _take(
            session, case, to_reviewer, lease, now, action=AuditAction.CASE_REASSIGNED, actor=actor
        )
        return CaseSummary.of(case)


# --- working a case -----------------------------------------------------------
def escalate_case(
    engine: Engine, case_id: int, *, reviewer: str, reason: str, now: datetime | None = None
) -> CaseSummary:
    """Pass a case the reviewer holds to the leads, with a reason."""
    now = now or utcnow()
    reason = text_field(reason, "reason")
    with write_session(engine) as session:
        case = locked_case(session, case_id)
        require_holder(case, reviewer)
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
        audit_case_change(
            session,
            case,
            before,
            actor=reviewer,
            action=AuditAction.CASE_ESCALATED,
            at=now,
            detail={"reason": reason},
        )
        return CaseSummary.of(case)


def add_comment(
    engine: Engine, case_id: int, *, author: str, text: str, now: datetime | None = None
) -> CommentView:
    now = now or utcnow()
    author = _name(author, "author")
    body = text_field(text, "comment")
    with write_session(engine) as session:
        case = locked_case(session, case_id)
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
def locked_case(session: Session, case_id: int) -> Case:
    case = session.scalar(sa.select(Case).where(Case.id == case_id).with_for_update())
    if case is None:
        raise CaseNotFound(f"no case {case_id}")
    return case


def require_holder(case: Case, reviewer: str) -> None:
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
    audit_case_change(session, case, before, actor=actor or reviewer, action=action, at=now,
                      detail=detail)  # fmt: skip


def _free(case: Case, now: datetime) -> None:
    case.status = CaseStatus.ESCALATED if case.escalated else CaseStatus.OPEN
    case.claimed_by = case.claimed_at = case.claim_expires_at = None
    case.updated_at = now


def text_field(value: str | None, what: str) -> str:
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
