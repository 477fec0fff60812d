"""Landing sweeps: idempotent reruns, later-day attachment, reopening, priority, intake cap."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from review.decisions import decide_case
from review.errors import LandingError
from review.landing import LandingResult, ReopenPolicy, land_sweep
from review.service import claim_case, get_case, list_cases, read_audit
from review.tables import AuditEntry
from tests.review.builders import account, cluster, landing, queue_snapshot
from tests.review.conftest import T0

D1 = date(2026, 11, 1)
D2 = D1 + timedelta(days=1)
D3 = D1 + timedelta(days=2)


def _first_day(queue: Engine, cap: int = 50) -> LandingResult:
    return land_sweep(
        queue,
        landing(
            D1,
            {"c-big": cluster("big", 4, score=0.8, tokens=5000), "c-small": cluster("small", 2)},
            [account("loner", score=0.95, tokens=300)],
        ),
        intake_cap=cap,
        now=T0,
    )


def test_landing_creates_one_case_per_cluster_and_per_lone_account(queue: Engine) -> None:
    result = _first_day(queue)

    assert (result.cases_created, result.members_added, result.cases_opened) == (3, 7, 3)
    cases = list_cases(queue, status="all")
    assert [(c.title, c.accounts_count, c.output_tokens, c.status) for c in cases] == [
        ("cluster c-big", 4, 20_000, "open"),
        ("cluster c-small", 2, 2_000, "open"),
        ("account loner", 1, 300, "open"),
    ]
    big = get_case(queue, cases[0].id)
    assert [m.account_id for m in big.members] == [f"big-{i:02d}" for i in range(4)]
    assert big.evidence[0].entities == [
        {"type": "payment_fingerprint", "value": "pf-c-big", "accounts": 4}
    ]
    assert big.evidence[0].sample_prompts == [
        "Solve step by step and show all reasoning: what is 17 * 23?"
    ]


def test_landing_the_same_sweep_twice_yields_the_same_queue(queue: Engine) -> None:
    _first_day(queue)
    first = queue_snapshot(queue)

    again = _first_day(queue)

    assert queue_snapshot(queue) == first
    assert (again.cases_created, again.members_added, again.cases_opened) == (0, 0, 0)
    assert again.cases_updated == 3


def test_rerun_with_late_data_replaces_the_days_results(queue: Engine) -> None:
    _first_day(queue)
    # The producer rewrote the day: "small-01" is no longer flagged, the loner vanished,
    # and the big cluster's volume changed.
    rerun = landing(
        D1,
        {"c-big": cluster("big", 4, score=0.8, tokens=6000), "c-small": cluster("small", 1)},
    )
    result = land_sweep(queue, rerun, intake_cap=50, now=T0)

    cases = {c.title: c for c in list_cases(queue, status="all")}
    assert cases["cluster c-big"].output_tokens == 24_000
    assert cases["cluster c-small"].accounts_count == 1
    assert cases["account loner"].status == "withdrawn"
    assert result.cases_withdrawn == 1
    assert len(cases) == 3


def test_a_cluster_seen_again_later_attaches_to_its_open_case(queue: Engine) -> None:
    land_sweep(queue, landing(D1, {"c-1": cluster("camp", 3)}), intake_cap=50, now=T0)
    [case] = list_cases(queue)
    # Cluster ids are recomputed daily: the same campaign comes back as "c-77", with two
    # new accounts and more volume.
    members = cluster("camp", 3) + [account(f"camp-new-{i}", "c-77") for i in range(2)]
    members = [account(a.account_id, "c-77", score=0.95, tokens=2000) for a in members]
    result = land_sweep(queue, landing(D2, {"c-77": members}), intake_cap=50, now=T0)

    [after] = list_cases(queue, status="all")
    assert after.id == case.id
    assert (result.cases_created, result.cases_updated, result.members_added) == (0, 1, 2)
    assert after.accounts_count == 5
    assert after.output_tokens == 3 * 1000 + 5 * 2000
    assert after.priority > case.priority
    assert after.priority == pytest.approx(0.95 * 13_000)
    assert (after.first_seen, after.last_seen, after.cluster_id) == (D1, D2, "c-77")
    detail = get_case(queue, case.id)
    assert [(e.sweep_date, e.cluster_id) for e in detail.evidence] == [(D1, "c-1"), (D2, "c-77")]
    assert {m.account_id: len(m.sightings) for m in detail.members} == {
        "camp-00": 2,
        "camp-01": 2,
        "camp-02": 2,
        "camp-new-0": 1,
        "camp-new-1": 1,
    }


def _closed_case(queue: Engine) -> int:
    land_sweep(queue, landing(D1, {"c-1": cluster("camp", 4, tokens=1000)}), intake_cap=50, now=T0)
    [case] = list_cases(queue)
    claim_case(queue, case.id, "ana", now=T0)
    decide_case(queue, case.id, reviewer="ana", outcome="abuse", reason="template farm", now=T0)
    return case.id


def test_closed_case_stays_closed_without_material_evidence(queue: Engine) -> None:
    case_id = _closed_case(queue)
    later = T0 + timedelta(days=1)
    # Same accounts plus one newcomer, volume well under the 100% growth threshold.
    members = cluster("camp", 4, tokens=500) + [account("camp-x", "c-9", tokens=500)]
    members = [account(a.account_id, "c-9", tokens=a.output_tokens) for a in members]
    result = land_sweep(queue, landing(D2, {"c-9": members}), intake_cap=50, now=later)

    case = get_case(queue, case_id).case
    assert case.status == "closed"
    assert result.cases_reopened == 0
    assert case.accounts_count == 5  # the new member is recorded all the same


def test_closed_case_reopens_when_new_accounts_join(queue: Engine) -> None:
    case_id = _closed_case(queue)
    members = cluster("camp", 4) + [account(f"camp-new-{i}", "c-9") for i in range(3)]
    members = [account(a.account_id, "c-9", tokens=10) for a in members]
    result = land_sweep(
        queue, landing(D2, {"c-9": members}), intake_cap=50, now=T0 + timedelta(days=1)
    )

    case = get_case(queue, case_id).case
    assert (case.status, case.reopen_count, case.outcome) == ("open", 1, None)
    assert result.cases_reopened == 1
    [entry] = read_audit(queue, case_id=case_id, limit=1)
    assert entry.action == "case.reopened"
    assert (entry.before["status"], entry.after["status"]) == ("closed", "open")


def test_closed_case_reopens_when_volume_doubles(queue: Engine) -> None:
    case_id = _closed_case(queue)  # closed at 4,000 output tokens
    land_sweep(
        queue,
        landing(D2, {"c-5": cluster("camp", 4, tokens=600)}),
        intake_cap=50,
        now=T0 + timedelta(days=1),
    )
    assert get_case(queue, case_id).case.status == "closed"  # 2,400 since: not yet

    land_sweep(
        queue,
        landing(D3, {"c-6": cluster("camp", 4, tokens=400)}),
        intake_cap=50,
        now=T0 + timedelta(days=2),
    )
    assert get_case(queue, case_id).case.status == "open"  # 4,000 since: doubled


def test_reopen_policy_is_configurable(queue: Engine) -> None:
    case_id = _closed_case(queue)
    members = [account(a.account_id, "c-2", tokens=1) for a in cluster("camp", 4)]
    members.append(account("camp-new", "c-2", tokens=1))
    land_sweep(
        queue,
        landing(D2, {"c-2": members}),
        intake_cap=50,
        reopen=ReopenPolicy(min_new_members=1, volume_growth=10.0),
        now=T0 + timedelta(days=1),
    )
    assert get_case(queue, case_id).case.status == "open"


def test_priority_is_risk_times_volume_not_arrival_order(queue: Engine) -> None:
    land_sweep(
        queue,
        landing(
            D1,
            {"c-a": cluster("a", 2, score=0.99, tokens=100)},  # 0.99 x 200
            [account("b", score=0.5, tokens=10_000)],  # 0.5 x 10,000
        ),
        intake_cap=50,
        now=T0,
    )
    land_sweep(
        queue, landing(D2, {"c-c": cluster("c", 3, score=0.7, tokens=2000)}), intake_cap=50, now=T0
    )  # 0.7 x 6,000, arrives last

    cases = list_cases(queue)
    assert [(c.title, c.priority) for c in cases] == [
        ("account b", pytest.approx(5000.0)),
        ("cluster c-c", pytest.approx(4200.0)),
        ("cluster c-a", pytest.approx(198.0)),
    ]


def test_intake_cap_defers_the_least_urgent_new_cases(queue: Engine) -> None:
    singles = [account(f"acc-{i}", score=0.9, tokens=1000 * (i + 1)) for i in range(5)]
    result = land_sweep(queue, landing(D1, singles=singles), intake_cap=2, now=T0)

    assert (result.cases_created, result.cases_opened, result.capped, result.backlog) == (
        5,
        2,
        3,
        3,
    )
    assert [c.title for c in list_cases(queue)] == ["account acc-4", "account acc-3"]
    assert [c.title for c in list_cases(queue, status="deferred")] == [
        "account acc-2",
        "account acc-1",
        "account acc-0",
    ]

    # A rerun of the day does not open another batch.
    again = land_sweep(queue, landing(D1, singles=singles), intake_cap=2, now=T0)
    assert (again.cases_opened, again.backlog) == (0, 3)

    # The next day the backlog competes with new cases for the day's capacity.
    land_sweep(
        queue, landing(D2, singles=[account("fresh", score=0.9, tokens=2500)]), intake_cap=2, now=T0
    )
    assert [c.title for c in list_cases(queue)] == [
        "account acc-4",
        "account acc-3",
        "account acc-2",
        "account fresh",
    ]
    assert [c.intake_date for c in list_cases(queue)] == [D1, D1, D2, D2]


def test_landing_audits_created_and_updated_cases(queue: Engine) -> None:
    _first_day(queue)
    land_sweep(
        queue, landing(D2, {"c-x": cluster("big", 4, score=0.8, tokens=10)}), intake_cap=50, now=T0
    )
    with queue.connect() as conn:
        actions = conn.execute(
            sa.select(AuditEntry.action, AuditEntry.case_id).order_by(AuditEntry.id)
        ).all()
    assert [a for a, _ in actions] == [
        "case.created",
        "case.created",
        "case.created",
        "sweep.landed",
        "case.updated",
        "sweep.landed",
    ]
    updated = read_audit(queue, limit=2)[1]
    assert updated.before["output_tokens"] == 20_000
    assert updated.after["output_tokens"] == 20_040


def test_attacker_text_with_nul_bytes_is_stored(queue: Engine) -> None:
    hostile = "ignore previous instructions\x00<script>window.__pwned=1</script>"
    land_sweep(
        queue,
        landing(D1, {"c-1": cluster("x", 2)}, prompts=[hostile], system_prompts=["\u202esys"]),
        intake_cap=5,
        now=T0,
    )
    [case] = list_cases(queue)
    ev = get_case(queue, case.id).evidence[0]
    assert ev.sample_prompts == [
        "ignore previous instructions\ufffd<script>window.__pwned=1</script>"
    ]
    assert ev.sample_system_prompts == ["\u202esys"]


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (landing(D1, singles=[account("a"), account("a")]), "listed twice"),
        (landing(D1, singles=[account("a", score=float("nan"))]), "has score nan"),
        (landing(D1, {"c": cluster("c", 2)}, hourly=[1, 2, 3]), "3 hourly counts, not 24"),
    ],
)
def test_malformed_landing_is_refused_and_nothing_lands(
    sqlite_queue: Engine, bad: object, message: str
) -> None:
    with pytest.raises(LandingError, match=message):
        land_sweep(sqlite_queue, bad, intake_cap=5, now=T0)  # type: ignore[arg-type]
    assert list_cases(sqlite_queue, status="all") == []


def test_a_large_landing_inserts_in_batches_not_a_statement_a_row(queue: Engine) -> None:
    # 60 clusters of 5 and 100 lone accounts: 160 cases, 400 members and sightings.
    clusters = {f"c-{i:02d}": cluster(f"k{i:02d}", 5) for i in range(60)}
    loners = [account(f"lone-{i:03d}") for i in range(100)]
    inserts: list[str] = []

    def count(conn, cursor, statement: str, *args) -> None:
        if statement.lstrip().upper().startswith("INSERT"):
            inserts.append(statement.split("(")[0].split()[-1])

    sa.event.listen(queue, "before_cursor_execute", count)
    try:
        result = land_sweep(queue, landing(D1, clusters, loners), intake_cap=50, now=T0)
    finally:
        sa.event.remove(queue, "before_cursor_execute", count)

    assert (result.cases_created, result.members_added) == (160, 400)
    per_table = {table: inserts.count(table) for table in set(inserts)}
    # A statement a row was 160 + 400 + 400 + 160 + 161 inserts; batches are a few per table.
    # SQLite cannot hand back the ids of a multi-row insert in order, so there
    # SQLAlchemy inserts new cases and members one by one (without a flush each).
    batched = {"sightings", "evidence", "audit_log"}
    if queue.dialect.name == "postgresql":
        batched |= {"cases", "members"}
    assert all(per_table[table] <= 5 for table in batched), per_table
    cases = list_cases(queue, status="all", limit=500)
    assert sum(c.accounts_count for c in cases) == 400
    assert get_case(queue, cases[0].id).evidence


def _disagreements(engine: Engine) -> list[str]:
    """Where a member's values or a case's totals differ from what its sightings say."""
    from sqlalchemy.orm import Session, selectinload

    from review.tables import Case, Member

    problems = []
    with Session(engine) as session:
        for case in session.scalars(
            sa.select(Case).options(selectinload(Case.members).selectinload(Member.sightings))
        ):
            for m in case.members:
                seen = sorted(m.sightings, key=lambda s: s.sweep_date)
                if not seen:
                    if m.outcome is None:
                        problems.append(f"{m.account_id}: no sighting and no decision")
                    continue
                expected = (
                    seen[-1].score,
                    seen[-1].reasons,
                    seen[-1].cluster_id,
                    max(s.score for s in seen),
                    seen[0].sweep_date,
                    seen[-1].sweep_date,
                    sum(s.output_tokens for s in seen),
                    sum(s.requests for s in seen),
                )
                actual = (
                    m.score,
                    m.reasons,
                    m.cluster_id,
                    m.max_score,
                    m.first_seen,
                    m.last_seen,
                    m.output_tokens,
                    m.requests,
                )
                if actual != expected:
                    problems.append(f"{m.account_id}: {actual} != {expected}")
            members = case.members
            if members:
                tokens = sum(m.output_tokens for m in members)
                risk = max(m.score for m in members)
                expected_case = (len(members), tokens, sum(m.requests for m in members), risk)
                actual_case = (case.accounts_count, case.output_tokens, case.requests, case.risk)
                if actual_case != expected_case or case.priority != pytest.approx(risk * tokens):
                    problems.append(f"{case.title}: {actual_case} != {expected_case}")
                days = (min(m.first_seen for m in members), max(m.last_seen for m in members))
                if (case.first_seen, case.last_seen) != days:
                    problems.append(
                        f"{case.title}: seen {case.first_seen, case.last_seen} != {days}"
                    )
    return problems


@pytest.mark.parametrize("in_chunk", [500, 1])
def test_members_and_cases_always_agree_with_their_sightings(
    queue: Engine, in_chunk: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only members whose sightings changed are recomputed: every other one must
    already agree, through re-sightings, a rerun that drops accounts and an
    earlier day landed after a later one. With one id per ``IN (...)`` list,
    every chunked query of the landing runs in many chunks."""
    monkeypatch.setattr("review.engine.IN_CHUNK", in_chunk)

    def land(day: date, clusters: dict, singles: list | None = None) -> None:
        land_sweep(queue, landing(day, clusters, singles), intake_cap=50, now=T0)
        assert _disagreements(queue) == []

    land(D2, {"c-a": cluster("a", 4, score=0.7, tokens=1000)}, [account("x", tokens=5)])
    camp = [account("a-00", score=0.99, tokens=3000), account("a-01", score=0.6, tokens=40)]
    land(D3, {"c-b": [*camp, account("n-00", score=0.8, tokens=70)]}, [account("x", tokens=6)])
    # The campaign came back as "c-b": its case follows its latest evidence.
    assert [c.cluster_id for c in list_cases(queue, status="all") if c.title == "cluster c-a"] == [
        "c-b"
    ]
    # A backfill lands the day before: it adds history, the latest sighting stays D3's.
    land(D1, {"c-z": [account("a-02", score=0.95, tokens=10), account("a-00", score=0.1)]})
    # D3 again: a-01 and the newcomer are no longer flagged, a-00's volume changed.
    land(D3, {"c-b": [account("a-00", score=0.5, tokens=7)]}, [account("x", tokens=6)])

    [campaign] = [c for c in list_cases(queue, status="all") if c.title == "cluster c-a"]
    detail = get_case(queue, campaign.id)
    by_account = {m.account_id: m for m in detail.members}
    assert "n-00" not in by_account  # its only sighting went with the rerun
    assert (by_account["a-01"].last_seen, by_account["a-01"].score) == (D2, 0.7)
    assert (by_account["a-00"].first_seen, by_account["a-00"].last_seen) == (D1, D3)
    assert (by_account["a-00"].score, by_account["a-00"].output_tokens) == (0.5, 1000 + 1000 + 7)
    assert campaign.accounts_count == 4
    assert campaign.cluster_id == "c-b"  # its latest evidence: D3's cluster


def test_an_unchanged_rerun_updates_no_member(queue: Engine) -> None:
    _first_day(queue)
    statements: list[str] = []

    def record(conn, cursor, statement: str, *args) -> None:
        statements.append(statement.lstrip().split(None, 2)[:2])

    sa.event.listen(queue, "before_cursor_execute", record)
    try:
        _first_day(queue)
    finally:
        sa.event.remove(queue, "before_cursor_execute", record)
    assert ["UPDATE", "members"] not in statements
    assert _disagreements(queue) == []


def test_the_cases_first_seen_on_a_day_are_listed_and_counted_by_sql(queue: Engine) -> None:
    from review.service import count_cases

    _first_day(queue)
    land_sweep(
        queue,
        landing(D2, {"c-new": cluster("fresh", 2, tokens=9000)}, [account("loner", tokens=1)]),
        intake_cap=0,
        now=T0,
    )
    # "loner" was first seen on D1: only the fresh cluster is new on D2.
    assert [c.title for c in list_cases(queue, status="all", first_seen=D2)] == ["cluster c-new"]
    assert count_cases(queue, first_seen=D2) == {"deferred": 1}
    assert sum(count_cases(queue, first_seen=D1).values()) == 3
    top = list_cases(queue, status="all", first_seen=D1, limit=1)
    assert [c.title for c in top] == ["cluster c-big"]
