"""A decision covers the accounts its reviewer saw, never ones a later landing attached."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy.engine import Engine

from review.decisions import decide_case
from review.errors import MembersChanged
from review.landing import land_sweep
from review.service import claim_case, get_case, list_cases
from tests.review.builders import account, cluster, landing
from tests.review.conftest import T0
from tests.review.console import flashes, login, members_version

D1 = date(2026, 11, 1)
D2 = D1 + timedelta(days=1)


def _claimed_pair(queue: Engine) -> int:
    """A two-account campaign, claimed by ana."""
    land_sweep(queue, landing(D1, {"c-1": cluster("farm", 2)}), intake_cap=10, now=T0)
    [case] = list_cases(queue)
    claim_case(queue, case.id, "ana", now=T0)
    return case.id


def _third_account_joins(queue: Engine) -> None:
    """The day is re-landed with the same campaign and a third account."""
    members = [account(a.account_id, "c-1") for a in cluster("farm", 2)]
    members.append(account("farm-new", "c-1"))
    land_sweep(queue, landing(D1, {"c-1": members}), intake_cap=10, now=T0)


def test_a_decision_on_members_that_changed_since_the_claim_is_refused(queue: Engine) -> None:
    case_id = _claimed_pair(queue)
    assert get_case(queue, case_id).case.members_version == 1
    _third_account_joins(queue)

    with pytest.raises(MembersChanged, match=r"version 1, now 2: 1 joined \(farm-new\)") as err:
        decide_case(queue, case_id, reviewer="ana", outcome="abuse", reason="farm", now=T0)
    assert err.value.joined == ["farm-new"]
    detail = get_case(queue, case_id)
    assert detail.case.status == "claimed" and detail.decisions == []
    assert {m.account_id: m.outcome for m in detail.members} == {
        "farm-00": None,
        "farm-01": None,
        "farm-new": None,
    }

    # Having read the case again (its version on the page), she decides all three.
    seen = get_case(queue, case_id).case.members_version
    decision = decide_case(
        queue,
        case_id,
        reviewer="ana",
        outcome="abuse",
        reason="farm",
        members_version=seen,
        now=T0,
    )
    assert sorted(decision.account_outcomes) == ["farm-00", "farm-01", "farm-new"]
    assert decision.members_version == 2


def test_an_account_leaving_also_changes_the_members(queue: Engine) -> None:
    case_id = _claimed_pair(queue)
    land_sweep(
        queue, landing(D1, {"c-1": [account("farm-00", "c-1")]}), intake_cap=10, now=T0
    )  # a rerun of the day no longer flags farm-01
    with pytest.raises(MembersChanged, match="some left; 1 accounts now"):
        decide_case(
            queue, case_id, reviewer="ana", outcome="abuse", reason="x", members_version=1, now=T0
        )


def test_unchanged_members_and_a_renewed_claim_decide(queue: Engine) -> None:
    case_id = _claimed_pair(queue)
    # The same day again, and the next day with the same two accounts: nothing joined.
    land_sweep(queue, landing(D1, {"c-1": cluster("farm", 2)}), intake_cap=10, now=T0)
    land_sweep(queue, landing(D2, {"c-9": cluster("farm", 2)}), intake_cap=10, now=T0)
    assert get_case(queue, case_id).case.members_version == 1
    _third_account_joins(queue)
    claim_case(queue, case_id, "ana", now=T0)  # the CLI prints the case again on claim
    decision = decide_case(queue, case_id, reviewer="ana", outcome="legitimate", reason="a lab")
    assert len(decision.account_outcomes) == 3


def test_the_console_refuses_a_stale_form_and_shows_who_joined(app: object, engine: Engine) -> None:
    client, token = login(app, "alice")
    page = client.post("/claim-next", data={"csrf_token": token})
    case_id = int(str(page.url).rsplit("/", 1)[1])
    seen = members_version(page.text)
    members = [account(f"farm-{i:02d}", "c-1", tokens=5000) for i in range(3)]
    members.append(account("farm-late", "c-1", tokens=5000))
    land_sweep(engine, landing(D1, {"c-1": members}), intake_cap=10, now=T0)

    stale = client.post(
        f"/cases/{case_id}/decide",
        data={"csrf_token": token, "outcome": "abuse", "reason": "farm", "members_version": seen},
    )
    [message] = flashes(stale.text)
    assert "changed since you saw them" in message and "farm-late" in message
    assert get_case(engine, case_id).case.status == "claimed"
    fresh = members_version(stale.text)
    assert fresh != seen
    done = client.post(
        f"/cases/{case_id}/decide",
        data={"csrf_token": token, "outcome": "abuse", "reason": "farm", "members_version": fresh},
    )
    assert flashes(done.text) == [f"Case {case_id} decided: abuse."]
    assert len(get_case(engine, case_id).decisions[0].account_outcomes) == 4


def test_the_cli_names_the_newcomers_and_decides_on_the_version_shown(
    cli_queue: str, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    from review.db import open_queue
    from tests.review.console import run_cli

    q = ("--queue-url", cli_queue)
    code, out, err = run_cli(capsys, "queue", "claim", "--reviewer", "ana", *q)
    assert code == 0 and "members version 1" in out, err
    engine = open_queue(cli_queue)
    members = [account(f"farm-{i:02d}", "c-1", tokens=4000) for i in range(2)]
    land_sweep(engine, landing(D1, {"c-1": [*members, account("farm-late", "c-1")]}),
               intake_cap=10, now=T0)  # fmt: skip
    engine.dispose()
    decide = ("queue", "decide", "2", "--reviewer", "ana", "--outcome", "abuse", "--reason", "x")

    code, _, err = run_cli(capsys, *decide, *q)
    assert code == 1 and "1 joined (farm-late)" in err
    code, out, _ = run_cli(capsys, "queue", "show", "2", "--format", "json", *q)
    seen = json.loads(out)["case"]["members_version"]
    code, out, err = run_cli(
        capsys, *decide, "--members-version", str(seen), "--format", "json", *q
    )
    assert code == 0, err
    assert sorted(json.loads(out)["account_outcomes"]) == ["farm-00", "farm-01", "farm-late"]
