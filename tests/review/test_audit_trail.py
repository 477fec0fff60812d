"""An attributable audit: the CLI logs in, refusals and exports are recorded, and the log's
hash chain shows an edited or removed entry; the database keeps the application's own
connection (SQLite) and role (PostgreSQL) from changing it."""

from __future__ import annotations

import json
import sqlite3
import uuid
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from review.audit import verify_chain
from review.db import open_queue
from review.decisions import decide_case
from review.landing import land_sweep
from review.migrations import upgrade
from review.service import claim_case, get_case, list_cases, read_audit
from review.users import add_user
from review.vocabulary import AuditAction
from tests.review.builders import cluster, landing
from tests.review.conftest import PASSWORD, T0, postgres_schema_url
from tests.review.console import login, run_cli

D1 = date(2026, 11, 1)


def _actions(url: str, limit: int = 5) -> list[tuple[str, str]]:
    engine = open_queue(url)
    try:
        return [(e.action, e.actor) for e in read_audit(engine, limit=limit)]
    finally:
        engine.dispose()


def test_a_cli_decision_without_valid_credentials_is_refused(
    cli_queue: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HYDRASWEEP_QUEUE_PASSWORD")
    q = ("--queue-url", cli_queue)
    decide = ("queue", "decide", "2", "--reviewer", "ana", "--outcome", "abuse", "--reason", "x")

    code, _, err = run_cli(capsys, *decide, *q)
    assert code == 1 and "ana's password is needed" in err
    assert _actions(cli_queue, 1) == [(AuditAction.DENIED, "ana")]

    monkeypatch.setenv("HYDRASWEEP_QUEUE_PASSWORD", "not her password")
    code, _, err = run_cli(capsys, *decide, *q)
    assert (code, err) == (1, "hydrasweep: error: ana: unknown user or wrong password\n")
    assert _actions(cli_queue, 1) == [(AuditAction.LOGIN_FAILED, "ana")]

    monkeypatch.setenv("HYDRASWEEP_QUEUE_PASSWORD", PASSWORD)
    code, _, err = run_cli(capsys, "queue", "claim", "--reviewer", "ana", *q)
    assert code == 0, err
    code, out, err = run_cli(capsys, *decide, *q)
    assert code == 0, err
    assert out.startswith("case 2 decided abuse by ana")
    assert _actions(cli_queue, 2) == [(AuditAction.CASE_DECIDED, "ana"), (AuditAction.LOGIN, "ana")]


def test_a_self_asserted_lead_cannot_take_escalated_cases(
    cli_queue: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HYDRASWEEP_QUEUE_PASSWORD", PASSWORD)
    q = ("--queue-url", cli_queue)
    code, _, err = run_cli(capsys, "queue", "claim", "--reviewer", "not-a-user", "--escalated", *q)
    assert (code, err) == (1, "hydrasweep: error: not-a-user: unknown user or wrong password\n")
    code, _, err = run_cli(capsys, "queue", "claim", "--reviewer", "ana", "--escalated", *q)
    assert code == 1 and "only leads can do that, and ana is an analyst" in err
    assert _actions(cli_queue, 2) == [(AuditAction.DENIED, "ana"), (AuditAction.LOGIN, "ana")]
    code, _, err = run_cli(capsys, "queue", "claim", "--reviewer", "lena", "--escalated", *q)
    assert code == 0, err
    engine = open_queue(cli_queue)
    assert [c.claimed_by for c in list_cases(engine, status="claimed")] == ["lena"]
    engine.dispose()


def test_the_password_can_come_from_stdin_and_users_can_be_disabled(
    cli_queue: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    q = ("--queue-url", cli_queue)
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    code, _, err = run_cli(capsys, "queue", "claim", "--reviewer", "ana", "--password-stdin", *q)
    assert code == 0, err
    code, out, _ = run_cli(capsys, "queue", "users", "disable", "ana", "--format", "json", *q)
    assert json.loads(out) == {"name": "ana", "role": "analyst", "disabled": True}
    assert _actions(cli_queue, 1)[0][0] == AuditAction.USER_DISABLED
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    code, _, err = run_cli(
        capsys, "queue", "release", "2", "--reviewer", "ana", "--password-stdin", *q
    )
    assert code == 1 and "unknown user or wrong password" in err
    code, _, _ = run_cli(capsys, "queue", "users", "enable", "ana", *q)
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    code, out, err = run_cli(
        capsys, "queue", "release", "2", "--reviewer", "ana", "--password-stdin", *q
    )
    assert code == 0 and out == "released case 2: open\n", err


def test_logins_failures_logouts_denials_and_exports_are_audited(
    app: object, engine: Engine, console_url: str, capsys: pytest.CaptureFixture[str],
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    from fastapi.testclient import TestClient

    from tests.review.console import csrf_token

    anonymous = TestClient(app)  # type: ignore[arg-type]
    page = anonymous.get("/login")
    anonymous.post(
        "/login", data={"username": "alice", "password": "no", "csrf_token": csrf_token(page.text)}
    )
    alice, token = login(app, "alice")
    assert alice.get("/audit").status_code == 403  # a lead's page
    forged = alice.post("/cases/1/claim", data={"csrf_token": "forged"})
    assert forged.status_code == 403
    alice.post("/logout", data={"csrf_token": token})

    code, _, err = run_cli(capsys, "queue", "export", "--queue-url", console_url)
    assert code == 0, err
    monkeypatch.setenv("HYDRASWEEP_QUEUE_PASSWORD", PASSWORD)
    code, _, err = run_cli(capsys, "queue", "export-labels", "--reviewer", "lena",
                        "--lake", str(tmp_path / "lake"), "--queue-url", console_url)  # fmt: skip
    assert code == 0, err

    entries = read_audit(engine, limit=20)
    seen = [
        (e.action, e.actor) for e in reversed(entries) if e.action.startswith(("auth.", "export."))
    ]
    assert seen == [
        (AuditAction.LOGIN_FAILED, "alice"),
        (AuditAction.LOGIN, "alice"),
        (AuditAction.DENIED, "alice"),
        (AuditAction.DENIED, "alice"),
        (AuditAction.LOGOUT, "alice"),
        (AuditAction.EXPORT_FLAGGED, seen[5][1]),
        (AuditAction.LOGIN, "lena"),
        (AuditAction.EXPORT_LABELS, "lena"),
    ]
    assert seen[5][1].startswith("cli:") and seen[5][1].endswith("(no login)")
    by_action = {e.action: e for e in entries}
    assert by_action[AuditAction.EXPORT_FLAGGED].detail == {"sweep_date": None, "accounts": 5}
    assert by_action[AuditAction.EXPORT_LABELS].detail["key"] == "labels/review-decisions.jsonl"
    assert verify_chain(engine).intact


def _decided_case(queue: Engine) -> int:
    land_sweep(queue, landing(D1, {"c-1": cluster("farm", 2)}), intake_cap=5, now=T0)
    [case] = list_cases(queue)
    claim_case(queue, case.id, "ana", now=T0)
    decide_case(queue, case.id, reviewer="ana", outcome="abuse", reason="farm", now=T0)
    return case.id


def _tamper(queue: Engine, statement: str) -> None:
    """Change the log the way someone with the database's owner rights could."""
    if queue.dialect.name == "postgresql":
        with queue.begin() as conn:
            conn.exec_driver_sql("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only")
            conn.exec_driver_sql(statement)
            conn.exec_driver_sql("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only")
        return
    path = queue.url.database
    assert path
    raw = sqlite3.connect(path)  # outside the application: no guard on this connection
    try:
        raw.executescript(
            f"DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;{statement};"
        )
    finally:
        raw.close()


def test_an_edited_audit_entry_is_detected(queue: Engine) -> None:
    _decided_case(queue)
    check = verify_chain(queue)
    assert check.intact and check.entries == 4  # created, landed, claimed, decided
    decided = read_audit(queue, limit=1)[0]

    _tamper(queue, f"UPDATE audit_log SET actor = 'mallory' WHERE id = {decided.id}")

    check = verify_chain(queue)
    assert (check.broken_at, check.entries) == (decided.id, 3)
    assert "edited" in str(check.problem)


def test_a_removed_audit_entry_is_detected(queue: Engine) -> None:
    _decided_case(queue)
    claimed = read_audit(queue, limit=2)[1]
    _tamper(queue, f"DELETE FROM audit_log WHERE id = {claimed.id}")
    check = verify_chain(queue)
    assert check.broken_at == claimed.id + 1 and "removed" in str(check.problem)


def test_the_cli_verifies_the_chain(
    cli_queue: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HYDRASWEEP_QUEUE_PASSWORD", PASSWORD)
    q = ("--reviewer", "lena", "--queue-url", cli_queue)
    code, out, _ = run_cli(capsys, "queue", "audit", "--verify", "--format", "json", *q)
    assert code == 0 and json.loads(out)["intact"] is True
    engine = open_queue(cli_queue)
    _tamper(engine, "UPDATE audit_log SET actor = 'mallory' WHERE id = 1")
    engine.dispose()
    code, out, _ = run_cli(capsys, "queue", "audit", "--verify", *q)
    assert code == 1 and out.startswith("audit log BROKEN at entry 1: its content does not match")


def test_the_applications_own_sqlite_connection_cannot_lift_the_guard(sqlite_queue: Engine) -> None:
    _decided_case(sqlite_queue)
    with sqlite_queue.connect() as conn:
        for statement in (
            "DROP TRIGGER audit_log_no_update",
            "CREATE TEMP TRIGGER quiet BEFORE INSERT ON audit_log BEGIN SELECT RAISE(IGNORE); END",
            "ALTER TABLE audit_log RENAME TO old_log",
            "DROP TABLE audit_log",
            "PRAGMA writable_schema = ON",
        ):
            with pytest.raises(sa.exc.DatabaseError, match="not authorized"), conn.begin():
                conn.exec_driver_sql(statement)
        # Other tables are the application's to change as before.
        with conn.begin():
            conn.exec_driver_sql("CREATE TEMP TABLE scratch (x INTEGER)")
    assert verify_chain(sqlite_queue).intact


@pytest.mark.postgres
def test_the_application_role_cannot_change_audit_entries(postgres_url: str) -> None:
    schema_urls = postgres_schema_url(postgres_url)
    url = next(schema_urls)
    login_role = f"hydrasweep_app_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    try:
        queue = open_queue(url)  # migrated by the owner (here the superuser)
        _decided_case(queue)
        queue.dispose()
        with admin.connect() as conn:
            conn.exec_driver_sql(f"CREATE ROLE {login_role} LOGIN IN ROLE hydrasweep_queue_app")
        app_url = sa.make_url(url).set(username=login_role).render_as_string(hide_password=False)
        app = open_queue(app_url)
        [case] = list_cases(app, status="all")
        with app.connect() as conn:
            for statement in (
                "UPDATE audit_log SET actor = 'mallory'",
                "DELETE FROM audit_log",
                "TRUNCATE audit_log",
                "ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only",
                "DROP TRIGGER audit_log_append_only ON audit_log",
            ):
                with (
                    pytest.raises(sa.exc.ProgrammingError, match="permission denied|must be owner"),
                    conn.begin(),
                ):
                    conn.exec_driver_sql(statement)
        # ... while the application itself still works the queue as that role.
        add_user(app, "bea", role="analyst", password=PASSWORD)
        land_sweep(app, landing(D1, {"c-1": cluster("farm", 3)}), intake_cap=5, now=T0)
        assert get_case(app, case.id).case.accounts_count == 3
        assert verify_chain(app).intact
        app.dispose()
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP ROLE IF EXISTS {login_role}")
        admin.dispose()
        next(schema_urls, None)


def test_an_older_queues_log_is_chained_by_the_migration(queue_url: str) -> None:
    engine = open_queue(queue_url)
    from review.migrations import downgrade

    downgrade(engine, "0001")
    rows: list[dict[str, Any]] = [
        {"at": T0, "actor": "sweep", "action": "sweep.landed", "detail": {"accounts": 3}},
        {"at": T0, "actor": "ana", "action": "case.claimed", "case_id": 1, "before": {"x": 1e16}},
    ]
    log = sa.table(
        "audit_log",
        sa.column("at", sa.DateTime()),
        *(sa.column(name) for name in ("actor", "action", "case_id")),
        *(sa.column(name, sa.JSON()) for name in ("before", "after", "detail")),
    )
    with engine.begin() as conn:
        for row in rows:
            conn.execute(log.insert().values({**row, "at": T0.replace(tzinfo=None)}))
    upgrade(engine)
    check = verify_chain(engine)
    assert (check.intact, check.entries) == (True, 2)
    engine.dispose()
