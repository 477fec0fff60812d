"""Deciding cases: one case at a time, or many at once, at any size.

A decision names an outcome for the whole case and its exceptions: "abuse,
except these accounts", "legitimate, except every member behind this card"
(members linked to an entity), or, for a small case, an outcome per account
(``mixed``). It covers the members its reviewer saw (``members_version``) and
is refused when a landing changed them since. Members' outcomes are written
with a few set-based updates, so a 20,000-account case decides in seconds; the
decision's enforcement actions go to the outbox in the same transaction
(``review.enforcement``). Leads may close, escalate or assign many cases from
the list; each case is done on its own, so one refusal does not undo the rest.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from review.audit import audit_case_change
from review.enforcement import ReleasePolicy, plan_actions
from review.engine import in_chunks, write_session
from review.errors import InvalidDecision, MembersChanged, ReviewError
from review.records import DecisionView, case_state
from review.service import (
    DEFAULT_LEASE,
    ClaimPolicy,
    claim_case,
    escalate_case,
    locked_case,
    reassign_case,
    release_case,
    require_holder,
    text_field,
)
from review.tables import Case, Decision, Member, MemberLink, utcnow
from review.vocabulary import ACCOUNT_OUTCOMES, AuditAction, CaseStatus, Outcome

MAX_LISTED = 50  # exceptions named in an audit entry (all are in the decision)


def decide_case(
    engine: Engine,
    case_id: int,
    *,
    reviewer: str,
    outcome: Outcome | str,
    reason: str,
    account_outcomes: dict[str, str] | None = None,
    except_accounts: Iterable[str] = (),
    except_entities: Iterable[tuple[str, str]] = (),
    members_version: int | None = None,
    release: ReleasePolicy | None = None,
    now: datetime | None = None,
) -> DecisionView:
    """Close a case the reviewer holds with an outcome and a required reason.

    ``abuse`` / ``legitimate`` apply to every member but the exceptions
    (``except_accounts``; members linked to any of ``except_entities``), who
    get the other outcome; the case is then ``mixed``. ``mixed`` may also come
    with an outcome for every member in ``account_outcomes``. The decision
    covers the members the reviewer saw: ``members_version`` (the case's
    version on the page they read; by default the one their claim showed).
    When a landing has added or removed accounts since, the decision is
    refused (``MembersChanged``, naming the accounts that joined).
    """
    now = now or utcnow()
    verdict = _outcome(outcome)
    reason = text_field(reason, "reason")
    given = _account_outcomes(account_outcomes or {})
    with write_session(engine) as session:
        case = locked_case(session, case_id)
        require_holder(case, reviewer)
        members = session.execute(
            sa.select(Member.id, Member.account_id, Member.added_version).where(
                Member.case_id == case.id
            )
        ).all()
        _require_seen(case, members, members_version)
        excepted = _exceptions(session, case.id, members, except_accounts, except_entities)
        per_account = _per_account(case.id, verdict, given, [m.account_id for m in members])
        if excepted:
            per_account = _with_exceptions(case.id, verdict, per_account, excepted)
        final = _case_outcome(per_account, verdict)
        return _record(session, case, reviewer, final, reason, per_account, excepted, release, now)


def _record(
    session: Session,
    case: Case,
    reviewer: str,
    outcome: Outcome,
    reason: str,
    per_account: dict[str, Outcome],
    excepted: set[str],
    release: ReleasePolicy | None,
    now: datetime,
) -> DecisionView:
    before = case_state(case)
    decision = Decision(
        case_id=case.id,
        reviewer=reviewer,
        outcome=outcome,
        reason=reason,
        account_outcomes=per_account,
        members_version=case.members_version,
        decided_at=now,
    )
    session.add(decision)
    session.flush()
    _write_outcomes(session, case.id, decision.id, per_account)
    _close(case, outcome, reviewer, len(per_account), now)
    actions = plan_actions(
        session, case_id=case.id, decision_id=decision.id, now=now, policy=release
    )
    counts = Counter(per_account.values())
    detail = {
        "decision_id": decision.id,
        "reason": reason,
        "accounts": {str(k): n for k, n in sorted(counts.items())},
        "exceptions": sorted(excepted)[:MAX_LISTED],
        "exceptions_count": len(excepted),
        "enforcement_actions": actions,
    }
    audit_case_change(
        session, case, before, actor=reviewer, action=AuditAction.CASE_DECIDED, at=now,
        detail=detail,
    )  # fmt: skip
    session.flush()
    return DecisionView.of(decision)


def _write_outcomes(
    session: Session, case_id: int, decision_id: int, per_account: dict[str, Outcome]
) -> None:
    """Members' outcomes in a few statements: the commonest for the case, then the rest."""
    counts = Counter(per_account.values())
    if not counts:
        return
    common = counts.most_common(1)[0][0]
    session.execute(
        sa.update(Member)
        .where(Member.case_id == case_id)
        .values(outcome=common, decision_id=decision_id)
        .execution_options(synchronize_session=False)
    )
    for value in counts:
        if value == common:
            continue
        accounts = sorted(a for a, v in per_account.items() if v == value)
        for chunk in in_chunks(accounts):
            session.execute(
                sa.update(Member)
                .where(Member.case_id == case_id, Member.account_id.in_(chunk))
                .values(outcome=value)
                .execution_options(synchronize_session=False)
            )


def _require_seen(case: Case, members: Sequence[Any], seen: int | None) -> None:
    """Refuse a decision on members the reviewer did not see."""
    seen = seen if seen is not None else case.claim_members_version
    if seen is None or seen == case.members_version:
        return  # (no version at all: a claim made before versions existed)
    joined = sorted(m.account_id for m in members if m.added_version > seen)
    raise MembersChanged(case.id, seen, case.members_version, joined, len(members))


def _exceptions(
    session: Session,
    case_id: int,
    members: Sequence[Any],
    accounts: Iterable[str],
    entities: Iterable[tuple[str, str]],
) -> set[str]:
    """The account ids the exceptions name; unknown accounts or entities are refused."""
    ids = {m.account_id for m in members}
    named = {a.strip() for a in accounts if a.strip()}
    unknown = sorted(named - ids)
    if unknown:
        raise InvalidDecision(f"not members of case {case_id}: {', '.join(unknown[:5])}")
    for kind, value in entities:
        linked = set(
            session.scalars(
                sa.select(Member.account_id)
                .join(MemberLink, MemberLink.member_id == Member.id)
                .where(
                    MemberLink.case_id == case_id,
                    MemberLink.entity_type == kind,
                    MemberLink.entity_value == value,
                )
            )
        )
        if not linked:
            raise InvalidDecision(f"no member of case {case_id} is linked to {kind} {value}")
        named |= linked
    return named


def _with_exceptions(
    case_id: int, outcome: Outcome, per_account: dict[str, Outcome], excepted: set[str]
) -> dict[str, Outcome]:
    if outcome == Outcome.MIXED:
        raise InvalidDecision("exceptions go with abuse or legitimate, not mixed")
    if excepted >= set(per_account):
        raise InvalidDecision(
            f"every account of case {case_id} is an exception: decide it the other way"
        )
    other = Outcome.LEGITIMATE if outcome == Outcome.ABUSE else Outcome.ABUSE
    return {a: other if a in excepted else v for a, v in per_account.items()}


def _case_outcome(per_account: dict[str, Outcome], verdict: Outcome) -> Outcome:
    values = set(per_account.values())
    return values.pop() if len(values) == 1 else (Outcome.MIXED if values else verdict)


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


# --- many cases at once (a lead's list actions) ---------------------------------------------
@dataclass(frozen=True)
class BulkResult:
    done: list[int]
    refused: dict[int, str]  # case id -> why

    def to_dict(self) -> dict[str, Any]:
        return {"done": self.done, "refused": {str(k): v for k, v in self.refused.items()}}


def bulk_close(
    engine: Engine,
    seen: dict[int, int],
    *,
    lead: str,
    outcome: Outcome | str,
    reason: str,
    release: ReleasePolicy | None = None,
) -> BulkResult:
    """Close each case (id -> the members version the list showed) with one outcome.

    The lead takes each case, then decides it; a case that changed since the
    list was read, or that someone else holds, is refused and left as it was.
    """
    lead_policy = ClaimPolicy(include_escalated=True)

    def close(case_id: int, version: int) -> None:
        claimed = claim_case(engine, case_id, lead, policy=lead_policy)
        try:
            decide_case(
                engine,
                case_id,
                reviewer=lead,
                outcome=outcome,
                reason=reason,
                members_version=version,
                release=release,
            )
        except ReviewError:
            if claimed.status == CaseStatus.CLAIMED:
                release_case(engine, case_id, lead)
            raise

    return _each(seen, close)


def bulk_escalate(
    engine: Engine, case_ids: Iterable[int], *, actor: str, reason: str
) -> BulkResult:
    """Pass open cases to the leads (each taken by ``actor``, then escalated)."""
    return _each(
        dict.fromkeys(case_ids, 0),
        lambda case_id, _: (
            claim_case(engine, case_id, actor),
            escalate_case(engine, case_id, reviewer=actor, reason=reason),
        ),
    )


def bulk_assign(
    engine: Engine,
    case_ids: Iterable[int],
    *,
    lead: str,
    to_reviewer: str,
    lease: timedelta = DEFAULT_LEASE,
) -> BulkResult:
    return _each(
        dict.fromkeys(case_ids, 0),
        lambda case_id, _: reassign_case(
            engine, case_id, to_reviewer=to_reviewer, actor=lead, lease=lease
        ),
    )


def _each(cases: dict[int, int], act: Any) -> BulkResult:
    done: list[int] = []
    refused: dict[int, str] = {}
    for case_id, version in sorted(cases.items()):
        try:
            act(case_id, version)
        except ReviewError as exc:
            refused[case_id] = str(exc)
        else:
            done.append(case_id)
    return BulkResult(done=done, refused=refused)
