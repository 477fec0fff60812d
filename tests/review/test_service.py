"""Working cases: claims and their leases, decisions, escalation, comments, audit log."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from review.decisions import decide_case
from review.errors import CaseNotFound, ClaimConflict, InvalidDecision
from review.landing import land_sweep
from review.service import (
    ClaimPolicy,
    add_comment,
    claim_case,
    claim_next_case,
    escalate_case,
    get_case,
    list_cases,
    read_audit,
    reassign_case,
    release_case,
)
from tests.review.builders import account, cluster, landing
from tests.review.conftest import T0

D1 = date(2026, 11, 1)
LEASE = ClaimPolicy(lease=timedelta(minutes=30))


@pytest.fixture
def three_cases(queue: Engine) -> list[int]:
    """Three open cases, ids returned by priority (highest first)."""
    land_sweep(
        queue,
        landing(
            D1,
            {"c-1": cluster("one", 3, tokens=3000), "c-2": cluster("two", 2, tokens=100)},
            [account("solo", tokens=1000)],
        ),
        intake_cap=10,
        now=T0,
    )
    return [c.id for c in list_cases(queue)]


def test_claim_next_takes_cases_by_priority_and_never_twice(
    queue: Engine, three_cases: list[int]
) -> None:
    claimed = [claim_next_case(queue, f"analyst-{i}", policy=LEASE, now=T0) for i in range(4)]

    assert [c.id if c else None for c in claimed] == [*three_cases, None]
    assert [c.claimed_by for c in claimed if c] == ["analyst-0", "analyst-1", "analyst-2"]
    assert all(c.claim_expires_at == T0 + timedelta(minutes=30) for c in claimed if c)


def test_a_lapsed_claim_is_free_again(queue: Engine, three_cases: list[int]) -> None:
    first = three_cases[0]
    claim_case(queue, first, "walked-away", policy=LEASE, now=T0)
    with pytest.raises(ClaimConflict, match="claimed by walked-away"):
        claim_case(queue, first, "bea", policy=LEASE, now=T0 + timedelta(minutes=29))

    later = T0 + timedelta(minutes=31)
    taken = claim_next_case(queue, "bea", policy=LEASE, now=later)

    assert taken is not None and taken.id == first and taken.claimed_by == "bea"
    entry = read_audit(queue, case_id=first, limit=1)[0]
    assert entry.detail == {"lease_seconds": 1800, "taken_from": "walked-away"}
    # The one who walked away can no longer decide it.
    with pytest.raises(ClaimConflict, match="claimed by bea"):
        decide_case(queue, first, reviewer="walked-away", outcome="abuse", reason="x", now=later)


def test_claiming_a_case_you_hold_renews_the_lease(queue: Engine, three_cases: list[int]) -> None:
    claim_case(queue, three_cases[1], "ana", policy=LEASE, now=T0)
    renewed = claim_case(queue, three_cases[1], "ana", policy=LEASE, now=T0 + timedelta(minutes=20))
    assert renewed.claim_expires_at == T0 + timedelta(minutes=50)


def test_release_returns_the_case_to_the_queue(queue: Engine, three_cases: list[int]) -> None:
    claim_case(queue, three_cases[0], "ana", now=T0)
    with pytest.raises(ClaimConflict):
        release_case(queue, three_cases[0], "bea", now=T0)
    assert release_case(queue, three_cases[0], "ana", now=T0).status == "open"
    assert claim_next_case(queue, "bea", now=T0).id == three_cases[0]  # type: ignore[union-attr]


def test_decide_needs_a_claim_and_a_reason(queue: Engine, three_cases: list[int]) -> None:
    case_id = three_cases[0]
    with pytest.raises(ClaimConflict, match="claim it first"):
        decide_case(queue, case_id, reviewer="ana", outcome="abuse", reason="obvious", now=T0)
    claim_case(queue, case_id, "ana", now=T0)
    with pytest.raises(InvalidDecision, match="reason is required"):
        decide_case(queue, case_id, reviewer="ana", outcome="abuse", reason="   ", now=T0)
    with pytest.raises(InvalidDecision, match="outcome must be one of"):
        decide_case(queue, case_id, reviewer="ana", outcome="ban", reason="x", now=T0)
    assert get_case(queue, case_id).case.status == "claimed"


def test_confirming_abuse_closes_the_case_for_every_member(
    queue: Engine, three_cases: list[int]
) -> None:
    case_id = three_cases[0]
    claim_case(queue, case_id, "ana", now=T0)
    decision = decide_case(
        queue,
        case_id,
        reviewer="ana",
        outcome="abuse",
        reason="shared card, template prompts",
        now=T0,
    )

    detail = get_case(queue, case_id)
    assert decision.account_outcomes == {"one-00": "abuse", "one-01": "abuse", "one-02": "abuse"}
    assert [m.outcome for m in detail.members] == ["abuse", "abuse", "abuse"]
    assert (detail.case.status, detail.case.outcome, detail.case.closed_by) == (
        "closed",
        "abuse",
        "ana",
    )
    assert detail.case.claimed_by is None
    assert detail.decisions == [decision]
    with pytest.raises(ClaimConflict, match="is closed"):
        claim_case(queue, case_id, "bea", now=T0)


def test_per_account_outcomes(queue: Engine, three_cases: list[int]) -> None:
    case_id = three_cases[0]
    claim_case(queue, case_id, "ana", now=T0)
    with pytest.raises(InvalidDecision, match="missing: one-02"):
        decide_case(
            queue,
            case_id,
            reviewer="ana",
            outcome="mixed",
            reason="one is a real customer",
            account_outcomes={"one-00": "abuse", "one-01": "legitimate"},
            now=T0,
        )
    with pytest.raises(InvalidDecision, match="not members of case"):
        decide_case(
            queue,
            case_id,
            reviewer="ana",
            outcome="mixed",
            reason="x",
            account_outcomes={"someone-else": "abuse"},
            now=T0,
        )
    with pytest.raises(InvalidDecision, match="use outcome mixed"):
        decide_case(
            queue,
            case_id,
            reviewer="ana",
            outcome="abuse",
            reason="x",
            account_outcomes={"one-01": "legitimate"},
            now=T0,
        )
    decision = decide_case(
        queue,
        case_id,
        reviewer="ana",
        outcome="mixed",
        reason="one-01 is a university lab",
        account_outcomes={"one-00": "abuse", "one-01": "legitimate", "one-02": "abuse"},
        now=T0,
    )
    members = {m.account_id: m.outcome for m in get_case(queue, case_id).members}
    assert (
        members
        == decision.account_outcomes
        == {
            "one-00": "abuse",
            "one-01": "legitimate",
            "one-02": "abuse",
        }
    )


def test_escalated_cases_go_to_leads(queue: Engine, three_cases: list[int]) -> None:
    case_id = three_cases[0]
    claim_case(queue, case_id, "ana", now=T0)
    with pytest.raises(InvalidDecision, match="reason is required"):
        escalate_case(queue, case_id, reviewer="ana", reason="", now=T0)
    escalate_case(queue, case_id, reviewer="ana", reason="a big customer's org", now=T0)

    assert claim_next_case(queue, "bea", now=T0).id == three_cases[1]  # type: ignore[union-attr]
    with pytest.raises(ClaimConflict, match="a lead must take it"):
        claim_case(queue, case_id, "bea", now=T0)
    lead_policy = ClaimPolicy(include_escalated=True)
    taken = claim_next_case(queue, "lena", policy=lead_policy, now=T0)
    assert taken is not None and taken.id == case_id and taken.escalated
    comments = get_case(queue, case_id).comments
    assert [(c.kind, c.author, c.body) for c in comments] == [
        ("escalation", "ana", "a big customer's org")
    ]


def test_reassign_hands_the_case_over(queue: Engine, three_cases: list[int]) -> None:
    case_id = three_cases[0]
    claim_case(queue, case_id, "ana", now=T0)
    reassign_case(queue, case_id, to_reviewer="bea", actor="lena", note="ana is out", now=T0)
    with pytest.raises(ClaimConflict, match="claimed by bea"):
        decide_case(queue, case_id, reviewer="ana", outcome="abuse", reason="x", now=T0)
    decide_case(queue, case_id, reviewer="bea", outcome="legitimate", reason="a lab", now=T0)
    entry = [e for e in read_audit(queue, case_id=case_id) if e.action == "case.reassigned"][0]
    assert (entry.actor, entry.before["claimed_by"], entry.after["claimed_by"]) == (
        "lena",
        "ana",
        "bea",
    )


def test_comments_and_unknown_cases(queue: Engine, three_cases: list[int]) -> None:
    add_comment(queue, three_cases[2], author="ana", text="  same ASN as last week  ", now=T0)
    assert [c.body for c in get_case(queue, three_cases[2]).comments] == ["same ASN as last week"]
    with pytest.raises(InvalidDecision):
        add_comment(queue, three_cases[2], author="ana", text="", now=T0)
    with pytest.raises(CaseNotFound):
        claim_case(queue, 999_999, "ana", now=T0)
    with pytest.raises(CaseNotFound):
        get_case(queue, 999_999)


def test_audit_log_records_before_and_after_and_is_append_only(
    queue: Engine, three_cases: list[int]
) -> None:
    case_id = three_cases[0]
    claim_case(queue, case_id, "ana", now=T0)
    decide_case(queue, case_id, reviewer="ana", outcome="abuse", reason="farm", now=T0)

    decided, claimed = read_audit(queue, case_id=case_id, limit=2)
    assert (claimed.action, claimed.actor) == ("case.claimed", "ana")
    assert (claimed.before["status"], claimed.after["status"]) == ("open", "claimed")
    assert decided.action == "case.decided"
    assert (decided.before["status"], decided.after["status"], decided.after["outcome"]) == (
        "claimed",
        "closed",
        "abuse",
    )
    assert decided.detail["reason"] == "farm"

    with queue.connect() as conn:
        for statement in (
            "UPDATE audit_log SET actor = 'mallory'",
            "DELETE FROM audit_log",
        ):
            with pytest.raises(sa.exc.DatabaseError, match="append-only"), conn.begin():
                conn.execute(sa.text(statement))
    assert read_audit(queue, case_id=case_id, limit=2) == [decided, claimed]
