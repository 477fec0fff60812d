"""Cases of any size: members by page and filter, decisions with exceptions and per entity,
list filters and orders, bulk actions, exports, related cases, reasons in words."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from datetime import date, timedelta

import pytest
from sqlalchemy.engine import Engine

from flows.commands import queue_render as render
from review.decisions import bulk_close, bulk_escalate, decide_case
from review.errors import InvalidDecision
from review.exports import members_csv
from review.landing import land_sweep
from review.records import EntityCount
from review.service import (
    MemberQuery,
    case_entities,
    claim_case,
    get_case,
    list_cases,
    read_audit,
    related_cases,
)
from review.text import link_in_words, reason_in_words
from review.vocabulary import AuditAction, CaseSort, CaseStatus, Outcome
from tests.review.builders import account, landing
from tests.review.conftest import T0
from tests.review.console import login

D1 = date(2026, 11, 1)
D2 = D1 + timedelta(days=1)
CARD = {"type": "payment_fingerprint", "value": "pf-shared"}


def _farm(n: int, *, card_every: int = 3, prefix: str = "farm", cluster: str = "c-farm") -> list:
    """``n`` accounts; every ``card_every``-th pays with the shared card, all share a prefix."""
    return [
        replace(
            account(f"{prefix}-{i:03d}", cluster, score=0.5 + i / (2 * n), tokens=100 + i),
            links=[{"type": "ip_prefix", "value": "198.51.100.0/24"}]
            + ([CARD] if i % card_every == 0 else []),
        )
        for i in range(n)
    ]


def test_members_come_by_page_and_filter(queue: Engine) -> None:
    land_sweep(queue, landing(D1, {"c-farm": _farm(30)}), intake_cap=5, now=T0)
    land_sweep(queue, landing(D2, {"c-farm": _farm(36)}), intake_cap=5, now=T0)
    [case] = list_cases(queue)
    page = get_case(queue, case.id, members=MemberQuery(offset=10, limit=10))
    assert page.members_matching == 36 and len(page.members) == 10
    everyone = get_case(queue, case.id).members
    assert [m.account_id for m in page.members] == [m.account_id for m in everyone[10:20]]
    assert everyone == sorted(everyone, key=lambda m: (-m.score, m.account_id))

    card = get_case(
        queue, case.id, members=MemberQuery(entity=("payment_fingerprint", "pf-shared"))
    )
    assert card.members_matching == 12 and all(
        CARD.items() <= link.items() for m in card.members for link in m.links[-1:]
    )
    late = get_case(queue, case.id, members=MemberQuery(first_seen=D2))
    assert sorted(m.account_id for m in late.members) == [f"farm-{i:03d}" for i in range(30, 36)]
    joined = get_case(queue, case.id, members=MemberQuery(joined_after=1))
    assert joined.members_matching == 6
    strong = get_case(queue, case.id, members=MemberQuery(min_score=0.9))
    assert all(m.score >= 0.9 for m in strong.members) and strong.members_matching > 0
    assert case_entities(queue, case.id)[:2] == [
        EntityCount("ip_prefix", "198.51.100.0/24", 36, D1, D2),
        EntityCount("payment_fingerprint", "pf-shared", 12, D1, D2),
    ]


def test_abuse_except_some_accounts_and_per_entity(queue: Engine) -> None:
    land_sweep(queue, landing(D1, {"c-farm": _farm(30)}), intake_cap=5, now=T0)
    [case] = list_cases(queue)
    claim_case(queue, case.id, "ana", now=T0)
    with pytest.raises(InvalidDecision, match="not members of case"):
        decide_case(queue, case.id, reviewer="ana", outcome="abuse", reason="x",
                    except_accounts=["nobody"], now=T0)  # fmt: skip
    with pytest.raises(InvalidDecision, match="no member of case .* is linked to ip 10.0.0.1"):
        decide_case(queue, case.id, reviewer="ana", outcome="abuse", reason="x",
                    except_entities=[("ip", "10.0.0.1")], now=T0)  # fmt: skip

    # Legitimate, except every member behind the shared card, and one more account.
    decision = decide_case(
        queue,
        case.id,
        reviewer="ana",
        outcome="legitimate",
        reason="a lab, but the card farm is not",
        except_entities=[("payment_fingerprint", "pf-shared")],
        except_accounts=["farm-001"],
        now=T0,
    )

    abusive = {f"farm-{i:03d}" for i in range(0, 30, 3)} | {"farm-001"}
    assert decision.outcome == Outcome.MIXED
    outcomes = {m.account_id: m.outcome for m in get_case(queue, case.id).members}
    assert {a for a, o in outcomes.items() if o == Outcome.ABUSE} == abusive
    assert sum(o == Outcome.LEGITIMATE for o in outcomes.values()) == 30 - len(abusive)
    entry = read_audit(queue, case_id=case.id, limit=1)[0]
    assert entry.detail["accounts"] == {"abuse": 11, "legitimate": 19}
    assert entry.detail["exceptions_count"] == 11


def test_every_account_excepted_is_refused(queue: Engine) -> None:
    land_sweep(queue, landing(D1, {"c-farm": _farm(3)}), intake_cap=5, now=T0)
    [case] = list_cases(queue)
    claim_case(queue, case.id, "ana", now=T0)
    with pytest.raises(InvalidDecision, match="every account of case"):
        decide_case(queue, case.id, reviewer="ana", outcome="abuse", reason="x",
                    except_entities=[("ip_prefix", "198.51.100.0/24")], now=T0)  # fmt: skip


def test_lists_filter_and_sort(queue: Engine) -> None:
    evidence = [{"kind": "cluster_evidence", "evidence": "lockstep_activity", "strength": 0.8}]
    big = [replace(a, reasons=evidence) for a in _farm(8)]
    land_sweep(queue, landing(D1, {"c-farm": big}), intake_cap=10, now=T0)
    land_sweep(
        queue,
        replace(landing(D2, {"c-two": _farm(2, prefix="two", cluster="c-two")}), model_version="9"),
        intake_cap=10,
        now=T0,
    )
    by = {sort: [c.cluster_id for c in list_cases(queue, sort=sort)] for sort in CaseSort}
    assert by[CaseSort.SIZE] == ["c-farm", "c-two"]
    assert by[CaseSort.LAST_SEEN] == ["c-two", "c-farm"]
    assert [c.cluster_id for c in list_cases(queue, family="lockstep_activity")] == ["c-farm"]
    assert [c.cluster_id for c in list_cases(queue, model_version="9")] == ["c-two"]
    assert [c.cluster_id for c in list_cases(queue, min_accounts=5)] == ["c-farm"]
    assert list_cases(queue, family="lockstep")[:1] == []  # whole family names only


def test_bulk_close_refuses_cases_that_changed(queue: Engine) -> None:
    land_sweep(
        queue,
        landing(D1, {"c-a": _farm(2, prefix="a", cluster="c-a"),
                     "c-b": _farm(2, prefix="b", cluster="c-b")}),
        intake_cap=10,
        now=T0,
    )  # fmt: skip
    seen = {c.id: c.members_version for c in list_cases(queue)}
    # The second case grows after the list was read.
    land_sweep(queue, landing(D2, {"c-b": _farm(3, prefix="b", cluster="c-b")}), intake_cap=10)
    result = bulk_close(queue, seen, lead="lena", outcome="legitimate", reason="test traffic")

    [a, b] = sorted(seen)
    assert result.done == [a] and "changed since you saw them" in result.refused[b]
    assert get_case(queue, a).case.status == CaseStatus.CLOSED
    assert get_case(queue, b).case.status == CaseStatus.OPEN  # released again, not left claimed
    escalated = bulk_escalate(queue, [b], actor="ana", reason="too big for me")
    assert escalated.done == [b] and get_case(queue, b).case.status == CaseStatus.ESCALATED


def test_related_cases_share_an_entity(queue: Engine) -> None:
    land_sweep(
        queue,
        landing(D1, {"c-a": _farm(3, prefix="a", cluster="c-a"),
                     "c-b": _farm(3, prefix="b", cluster="c-b")},
                [replace(account("loner"), links=[{"type": "ip", "value": "192.0.2.1"}])]),
        intake_cap=10,
        now=T0,
    )  # fmt: skip
    cases = {c.cluster_id or c.title: c.id for c in list_cases(queue)}
    related = related_cases(queue, cases["c-a"])
    assert [(r.case.id, r.shared_entities) for r in related] == [(cases["c-b"], 2)]
    assert related_cases(queue, cases["account loner"]) == []


def test_a_rerun_keeps_one_link_per_member_and_entity(queue: Engine) -> None:
    land_sweep(queue, landing(D1, {"c-farm": _farm(6)}), intake_cap=5, now=T0)
    land_sweep(queue, landing(D1, {"c-farm": _farm(6)}), intake_cap=5, now=T0)
    land_sweep(queue, landing(D2, {"c-farm": _farm(6)}), intake_cap=5, now=T0)
    [case] = list_cases(queue)
    assert case_entities(queue, case.id)[0] == EntityCount(
        "ip_prefix", "198.51.100.0/24", 6, D1, D2
    )
    assert all(len(m.links) in (1, 2) for m in get_case(queue, case.id).members)


def test_a_link_says_how_many_customers_hold_it_and_on_which_days(
    queue: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    def farm(day: date, exit_customers: int, used: list[str]) -> list:
        return [
            replace(
                account(f"farm-{i}", "c-farm"),
                links=[
                    {"type": "ip_prefix", "value": "198.51.100.0/24",
                     "customers": exit_customers, "days": used},
                    {"type": "payment_fingerprint", "value": "pf-shared", "customers": 3},
                ],
            )
            for i in range(3)
        ]  # fmt: skip

    land_sweep(queue, landing(D1, {"c-farm": farm(D1, 40, ["2026-10-30", "2026-11-01"])}),
               intake_cap=5, now=T0)  # fmt: skip
    land_sweep(queue, landing(D2, {"c-farm": farm(D2, 55, ["2026-11-01", "2026-11-02"])}),
               intake_cap=5, now=T0)  # fmt: skip
    # A rerun of the earlier day neither shrinks the days nor restores the older count.
    land_sweep(queue, landing(D1, {"c-farm": farm(D1, 40, ["2026-10-30", "2026-11-01"])}),
               intake_cap=5, now=T0)  # fmt: skip
    [case] = list_cases(queue)
    member = get_case(queue, case.id).members[0]
    # The most specific link first: the card three customers hold before the exits of 55.
    assert member.links == [
        {"type": "payment_fingerprint", "value": "pf-shared", "customers": 3,
         "first_seen": "2026-11-01", "last_seen": "2026-11-02"},
        {"type": "ip_prefix", "value": "198.51.100.0/24", "customers": 55,
         "days": ["2026-10-30", "2026-11-01", "2026-11-02"],
         "first_seen": "2026-11-01", "last_seen": "2026-11-02"},
    ]  # fmt: skip
    assert link_in_words(member.links[1]) == (
        "ip_prefix 198.51.100.0/24: 55 customers; used 2026-10-30, 2026-11-01, 2026-11-02; "
        "linked 2026-11-01 to 2026-11-02"
    )
    assert link_in_words({"type": "ip", "value": "192.0.2.1"}) == "ip 192.0.2.1"
    # `queue show`: a member's first two links in words, then how many more.
    assert render.links_line(member.links, top=1) == (
        "payment_fingerprint pf-shared: 3 customers; linked 2026-11-01 to 2026-11-02 (+1 more)"
    )
    assert render.links_line([]) == "-"
    render.print_case(get_case(queue, case.id))
    assert "linked by" in capsys.readouterr().out

    # What cannot be a count or a day is set aside with its link, and counted.
    bad = replace(
        account("odd", "c-odd"),
        links=[{"type": "ip", "value": "192.0.2.9", "customers": -1},
               {"type": "ip", "value": "192.0.2.8", "days": ["yesterday"]},
               {"type": "ip", "value": "192.0.2.6", "days": [20261102]},
               {"type": "ip", "value": "192.0.2.7", "customers": 2, "days": ["2026-11-02"]}],
    )  # fmt: skip
    result = land_sweep(
        queue, landing(D2 + timedelta(days=1), {"c-odd": [bad]}), intake_cap=5, now=T0
    )
    assert result.quarantined == 3
    [odd] = [c for c in list_cases(queue) if c.cluster_id == "c-odd"]
    assert [link["value"] for link in get_case(queue, odd.id).members[0].links] == ["192.0.2.7"]


def test_exports_quote_formulas_and_are_audited(app: object, engine: Engine) -> None:
    hostile = [replace(account('=HYPERLINK("http://x")', "c-x"), customer_id="@SUM(1)")]
    land_sweep(engine, landing(D2, {"c-x": hostile}), intake_cap=10, now=T0)
    [case] = [c for c in list_cases(engine, status="all") if c.cluster_id == "c-x"]
    client, _ = login(app, "alice")

    response = client.get(f"/cases/{case.id}/members.csv")
    [row] = list(csv.DictReader(io.StringIO(response.text)))
    assert row["account_id"] == '\'=HYPERLINK("http://x")' and row["customer_id"] == "'@SUM(1)"
    assert response.headers["content-disposition"] == f'attachment; filename="case-{case.id}.csv"'
    as_json = json.loads(client.get(f"/cases/{case.id}/members.json").text)
    assert as_json[0]["account_id"] == '=HYPERLINK("http://x")'
    exported = [
        e for e in read_audit(engine, case_id=case.id) if e.action == AuditAction.EXPORT_CASE
    ]
    assert [e.detail["format"] for e in exported] == ["json", "csv"]
    assert members_csv([]).splitlines()[0].startswith("case_id,account_id")


def test_reasons_read_as_words() -> None:
    descriptions = {"output_tokens_sum_1d": "output tokens the account drew that day"}
    model = {
        "kind": "model",
        "feature": "output_tokens_sum_1d",
        "value": 1234567,
        "contribution": 0.4213,
    }
    assert reason_in_words(model, descriptions) == (
        "output tokens the account drew that day: 1,234,567 (output_tokens_sum_1d, +0.421)"
    )
    family = {
        "kind": "cluster_evidence",
        "evidence": "lockstep_activity",
        "strength": 0.8,
        "description": "the cluster's accounts are active in the same minutes",
        "signals": {"cluster_synchrony_score": 0.91},
    }
    assert reason_in_words(family, {"cluster_synchrony_score": "synchrony"}) == (
        "the cluster's accounts are active in the same minutes (strength 0.8): synchrony 0.91"
    )
    assert reason_in_words({"odd": 1}, {}) == "odd=1"


def test_the_cli_shows_three_reasons_for_and_the_first_against() -> None:
    from flows.commands.queue_render import reasons_line

    def model(feature: str, contribution: float) -> dict:
        kind = "model" if contribution > 0 else "model_against"
        return {"kind": kind, "feature": feature, "value": 1, "contribution": contribution}

    reasons = [model(f"f{i}", 0.5 - i / 10) for i in range(4)]
    reasons += [{"kind": "cluster_evidence", "evidence": "dense_block", "strength": 1.0}]
    reasons += [model("a0", -0.7), model("a1", -0.2)]
    assert reasons_line(reasons, {}) == "; ".join(
        ["f0: 1 (f0, +0.5)", "f1: 1 (f1, +0.4)", "f2: 1 (f2, +0.3)", "against: a0: 1 (a0, -0.7)"]
    )
    assert reasons_line(reasons[-2:], {}) == "against: a0: 1 (a0, -0.7)"
    assert reasons_line([], {}) == ""


def test_reasons_read_against_the_population_and_say_what_speaks_against() -> None:
    descriptions = {"requests_count_1d": "requests that day"}
    for_it = {
        "kind": "model",
        "feature": "requests_count_1d",
        "value": 1200,
        "contribution": 0.81,
        "baseline": {"median": 40, "p90": 312.5},
    }
    assert reason_in_words(for_it, descriptions) == (
        "requests that day: 1,200 (typical 40, 9 in 10 at most 312) (requests_count_1d, +0.81)"
    )
    against = {**for_it, "kind": "model_against", "value": 3, "contribution": -0.52}
    assert reason_in_words(against, descriptions) == (
        "against: requests that day: 3 (typical 40, 9 in 10 at most 312) (requests_count_1d, -0.52)"
    )
    unknown = {**for_it, "baseline": {"median": None, "p90": None}}
    assert reason_in_words(unknown, descriptions).startswith("requests that day: 1,200 (requests")
    family = {
        "kind": "cluster_evidence",
        "evidence": "shared_infrastructure",
        "strength": 1.0,
        "description": "shares egress",
        "signals": {"member_infrastructure_weight": 3.5, "cluster_customers_count": 12},
        "baselines": {"member_infrastructure_weight": {"median": 0.0, "p90": 0.4}},
    }
    assert reason_in_words(family, {}) == (
        "shares egress (strength 1): cluster customers count 12, "
        "member infrastructure weight 3.5 (typical 0, 9 in 10 at most 0.4)"
    )


def test_the_case_page_shows_a_page_of_members_and_reasons_in_words(
    console_url: str, engine: Engine
) -> None:
    from review.web import create_app
    from tests.review.console import SECRET

    app = create_app(
        console_url,
        SECRET,
        engine=engine,
        feature_descriptions={"output_tokens_sum_1d": "output tokens drawn that day"},
    )
    land_sweep(engine, landing(D2, {"c-farm": _farm(250)}), intake_cap=10, now=T0)
    [case] = [c for c in list_cases(engine, status="all") if c.cluster_id == "c-farm"]
    client, _ = login(app, "alice")
    html = client.get(f"/cases/{case.id}?page=2").text
    assert "100 of 250 matching members shown (page 2 of 3)" in html
    assert html.count('<input type="hidden" name="account"') == 0  # no per-account selects
    assert "output tokens drawn that day: " in html
    card = client.get(f"/cases/{case.id}?entity=payment_fingerprint:pf-shared").text
    assert "84 of 84 matching members shown" in card


def test_the_cli_pages_members_decides_with_exceptions_and_exports_csv(
    cli_queue: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.review.console import run_cli

    q = ("--queue-url", cli_queue)
    code, out, _ = run_cli(capsys, "queue", "show", "2", "--members", "1", "--page", "2",
                           "--format", "json", *q)  # fmt: skip
    shown = json.loads(out)
    assert [m["account_id"] for m in shown["members"]] == ["farm-01"]
    assert shown["members_matching"] == 2
    code, out, _ = run_cli(capsys, "queue", "list", "--sort", "size", "--format", "json", *q)
    assert [c["title"] for c in json.loads(out)["cases"]] == ["cluster c-1", "account solo"]

    run_cli(capsys, "queue", "claim", "--reviewer", "ana", *q)
    code, out, err = run_cli(capsys, "queue", "decide", "2", "--reviewer", "ana", "--outcome",
                             "abuse", "--reason", "x", "--except", "farm-01", *q)  # fmt: skip
    assert code == 0 and "1 abuse, 1 legitimate accounts" in out, err

    code, out, err = run_cli(capsys, "queue", "export", "--case", "2", "--format", "csv", *q)
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and [(r["account_id"], r["outcome"]) for r in rows] == [
        ("farm-00", "abuse"), ("farm-01", "legitimate"),
    ]  # fmt: skip
    code, out, _ = run_cli(capsys, "queue", "export", "--format", "csv", *q)
    assert out.splitlines()[0] == "account_id,case_id,cluster_id,score,sweep_date,reasons"
