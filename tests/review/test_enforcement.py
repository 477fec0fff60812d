"""The enforcement hand-off end to end: a decision of abuse fills the outbox in its own
transaction; a dispatcher delivers to a signed webhook on loopback that fails and comes back;
nothing is lost, nothing is delivered twice; dead letters; undo."""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy.engine import Engine

from review.decisions import decide_case
from review.enforcement import (
    SIGNATURE_HEADER,
    ReleasePolicy,
    RetryPolicy,
    Webhook,
    count_actions,
    dispatch_due,
    list_actions,
    retry_dead,
    undo_enforcement,
    verify_signature,
)
from review.landing import land_sweep
from review.service import claim_case, list_cases, read_audit
from review.vocabulary import AuditAction, DeliveryStatus, EnforcementKind
from tests.conftest import free_port
from tests.review.builders import account, landing
from tests.review.conftest import T0

SECRET = b"webhook-secret-for-tests"
D1 = date(2026, 11, 1)
RELEASE = ReleasePolicy(min_delay=timedelta(hours=1), window=timedelta(hours=4))
FAST = RetryPolicy(max_attempts=4, first_backoff=timedelta(seconds=10))


@dataclass
class Receiver:
    """The account system's side: verifies signatures, applies each key once, can be down."""

    url: str = ""
    failing: int = 0  # answer 503 to this many more requests
    applied: list[dict] = field(default_factory=list)
    requests: Counter[str] = field(default_factory=Counter)
    bad_signatures: int = 0


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            body = self.rfile.read(int(self.headers["Content-Length"]))
            key = self.headers["Idempotency-Key"]
            state.requests[key] += 1
            if not verify_signature(SECRET, self.headers[SIGNATURE_HEADER], body):
                state.bad_signatures += 1
                self.send_response(401)
            elif state.failing > 0:
                state.failing -= 1
                self.send_response(503)
            else:
                if key not in {a["idempotency_key"] for a in state.applied}:
                    state.applied.append(json.loads(body))
                self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/enforce"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def _decided_farm(queue: Engine) -> int:
    """Four accounts: three abusive (two behind one card), one legitimate sharing a prefix."""
    farm = [
        replace(account(f"farm-{i}", "c-1"), links=[
            {"type": "payment_fingerprint", "value": "pf-farm" if i < 2 else f"pf-{i}"},
            {"type": "ip_prefix", "value": "198.51.100.0/24"},
            {"type": "email_domain", "value": "mailinator.example"},
        ])
        for i in range(4)
    ]  # fmt: skip
    land_sweep(queue, landing(D1, {"c-1": farm}), intake_cap=5, now=T0)
    [case] = list_cases(queue)
    claim_case(queue, case.id, "ana", now=T0)
    decide_case(queue, case.id, reviewer="ana", outcome="abuse", reason="card farm",
                except_accounts=["farm-3"], release=RELEASE, now=T0)  # fmt: skip
    return case.id


def test_an_abuse_decision_fills_the_outbox(queue: Engine) -> None:
    case_id = _decided_farm(queue)
    actions = list_actions(queue, case_id=case_id)
    planned = sorted((a.action, a.target) for a in actions)
    assert planned == sorted(
        [(kind, f"farm-{i}") for i in range(3)
         for kind in (EnforcementKind.SUSPEND_ACCOUNT, EnforcementKind.REVOKE_API_KEYS)]
        # farm-3 (legitimate) shares the prefix: no prefix block; its card is its own.
        + [(EnforcementKind.BLOCK_PAYMENT, "pf-farm"), (EnforcementKind.BLOCK_PAYMENT, "pf-2")]
    )  # fmt: skip
    releases = {a.release_at for a in actions}
    assert len(releases) == 1  # one moment for the whole case ...
    [release] = releases
    assert T0 + RELEASE.min_delay <= release <= T0 + RELEASE.min_delay + RELEASE.window
    assert len({a.idempotency_key for a in actions}) == len(actions)
    entry = read_audit(queue, case_id=case_id, limit=1)[0]
    assert entry.detail["enforcement_actions"] == 8


def test_nothing_is_sent_before_its_release(queue: Engine, receiver: Receiver) -> None:
    case_id = _decided_farm(queue)
    hook = Webhook(receiver.url, SECRET)
    assert dispatch_due(queue, hook, now=T0 + timedelta(minutes=59)).to_dict() == {
        "delivered": 0, "retrying": 0, "dead": 0,
    }  # fmt: skip
    assert receiver.requests == Counter()
    assert count_actions(queue, case_id=case_id) == {DeliveryStatus.PENDING: 8}


RELEASED = T0 + RELEASE.min_delay + RELEASE.window  # every action of the farm is out by now


def test_a_receiver_that_fails_and_comes_back_gets_everything_once(
    queue: Engine, receiver: Receiver
) -> None:
    case_id = _decided_farm(queue)
    hook, later = Webhook(receiver.url, SECRET), RELEASED
    receiver.failing = 5  # down for the first five requests

    first = dispatch_due(queue, hook, now=later, retry=FAST)
    assert (first.delivered, first.retrying) == (3, 5)
    # Nothing is due again until its backoff has passed.
    assert dispatch_due(queue, hook, now=later, retry=FAST).delivered == 0
    second = dispatch_due(queue, hook, now=later + timedelta(minutes=5), retry=FAST)
    assert (second.delivered, second.retrying, second.dead) == (5, 0, 0)

    keys = {a.idempotency_key for a in list_actions(queue, case_id=case_id)}
    assert {a["idempotency_key"] for a in receiver.applied} == keys  # none lost
    assert len(receiver.applied) == len(keys) == 8  # none applied twice
    assert sum(receiver.requests.values()) == 8 + 5  # the five failures were each retried once
    assert receiver.bad_signatures == 0
    assert count_actions(queue, case_id=case_id) == {DeliveryStatus.DELIVERED: 8}
    assert dispatch_due(queue, hook, now=later + timedelta(days=1)).delivered == 0


def test_a_receiver_down_for_good_leaves_dead_letters_to_retry(
    queue: Engine, receiver: Receiver
) -> None:
    _decided_farm(queue)
    hook = Webhook(receiver.url, SECRET)
    moment = T0 + RELEASE.min_delay + RELEASE.window
    receiver.failing = 10**6
    for _ in range(FAST.max_attempts):
        dispatch_due(queue, hook, now=moment, retry=FAST)
        moment += FAST.max_backoff
    dead = list_actions(queue, status=DeliveryStatus.DEAD)
    assert len(dead) == 8 and all(a.attempts == FAST.max_attempts for a in dead)
    assert all(a.last_error == "HTTP 503" for a in dead)

    receiver.failing = 0
    assert retry_dead(queue, [a.id for a in dead], actor="lena") == 8
    assert dispatch_due(queue, hook, retry=FAST).delivered == 8
    assert len(receiver.applied) == 8
    assert read_audit(queue, limit=1)[0].action == AuditAction.ENFORCEMENT_RETRIED


def test_an_unreachable_receiver_is_a_retry_not_a_crash(queue: Engine) -> None:
    _decided_farm(queue)
    hook = Webhook(f"http://127.0.0.1:{free_port()}/nobody", SECRET, timeout_s=2)
    result = dispatch_due(queue, hook, now=T0 + timedelta(days=1), retry=FAST)
    assert result.retrying == 8
    assert list_actions(queue)[0].last_error.startswith("no answer")


def test_undo_cancels_what_was_not_sent_and_undoes_what_was(
    queue: Engine, receiver: Receiver
) -> None:
    case_id, release = _decided_farm(queue), RELEASED
    dispatch_due(queue, Webhook(receiver.url, SECRET), now=release, limit=3)  # three went out
    hook = Webhook(receiver.url, SECRET)
    undone = undo_enforcement(queue, case_id, actor="lena", reason="wrong cluster", now=release)
    assert (undone.cancelled, undone.undone) == (5, 3)

    dispatch_due(queue, hook, now=release + timedelta(seconds=1))
    undos = [a for a in receiver.applied if a["action"] == EnforcementKind.UNDO]
    delivered = {a["idempotency_key"] for a in receiver.applied if a["action"] != "undo"}
    assert len(delivered) == 3 and {a["undoes"] for a in undos} == delivered
    assert count_actions(queue, case_id=case_id) == {
        DeliveryStatus.DELIVERED: 6, DeliveryStatus.CANCELLED: 5,
    }  # fmt: skip
    again = undo_enforcement(queue, case_id, actor="lena", reason="twice", now=release)
    assert (again.cancelled, again.undone) == (0, 0)


def test_signatures_are_checked_and_replays_refused() -> None:
    from review.enforcement import signature

    body = b'{"action":"suspend_account"}'
    header = signature(SECRET, 1_700_000_000, body)
    assert verify_signature(SECRET, header, body, now=1_700_000_100)
    assert not verify_signature(SECRET, header, body + b" ", now=1_700_000_100)
    assert not verify_signature(b"other", header, body, now=1_700_000_100)
    assert not verify_signature(SECRET, header, body, now=1_700_000_000 + 3600)  # a replay
    assert not verify_signature(SECRET, "garbage", body)


def test_the_cli_dispatches_lists_and_undoes(
    cli_queue: str,
    receiver: Receiver,
    tmp_path,
    capsys: pytest.CaptureFixture[str],  # type: ignore[no-untyped-def]
) -> None:
    from review.db import open_queue
    from tests.review.console import run_cli

    q = ("--queue-url", cli_queue)
    engine = open_queue(cli_queue)
    claim_case(engine, 2, "ana", now=T0)
    decide_case(engine, 2, reviewer="ana", outcome="abuse", reason="farm",
                release=ReleasePolicy(min_delay=timedelta(0), window=timedelta(0)))  # fmt: skip
    engine.dispose()
    key = tmp_path / "hook.key"
    key.write_bytes(SECRET + b"\n")

    code, out, err = run_cli(capsys, "queue", "enforce", "dispatch", "--webhook-url", receiver.url,
                             "--secret-file", str(key), "--format", "json", *q)  # fmt: skip
    assert code == 0, err
    assert json.loads(out) == {"delivered": 4, "retrying": 0, "dead": 0}
    assert sorted(a["target"] for a in receiver.applied) == ["farm-00"] * 2 + ["farm-01"] * 2
    code, out, _ = run_cli(
        capsys, "queue", "enforce", "list", "--case", "2", "--format", "json", *q
    )
    assert {a["status"] for a in json.loads(out)} == {"delivered"}

    code, _, err = run_cli(capsys, "queue", "enforce", "undo", "2", "--reason", "oops",
                           "--reviewer", "ana", *q)  # fmt: skip
    assert code == 1 and "only leads" in err
    code, out, err = run_cli(capsys, "queue", "enforce", "undo", "2", "--reason", "oops",
                             "--reviewer", "lena", *q)  # fmt: skip
    assert (code, out) == (0, "case 2: 0 cancelled, 4 undo(s) queued\n"), err
