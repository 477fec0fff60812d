"""The smaller holes: secrets on the console's banner, terminal escapes, names shown raw,
ids past 64 bits, unstorable account ids failing a whole day, a world-readable queue file."""

from __future__ import annotations

import os
import stat
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from flows.cli import main
from review.db import open_queue
from review.errors import InvalidDecision
from review.landing import land_sweep
from review.service import add_comment, get_case, list_cases, read_audit
from review.users import add_user
from review.web.app import SECURITY_HEADERS
from tests.review.builders import account, cluster, landing
from tests.review.conftest import T0, postgres_schema_url
from tests.review.console import login

D1 = date(2026, 11, 1)
HUGE = "99999999999999999999999"  # past 2^63


@pytest.mark.postgres
def test_serve_prints_the_queue_url_without_its_password(
    postgres_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    import uvicorn

    schema_urls = postgres_schema_url(postgres_url)
    url = sa.make_url(next(schema_urls)).set(password="hunter2-do-not-print")
    served: dict[str, Any] = {}
    # The server itself is not under test here: record what it would run instead.
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: served.update(app=app, **options))
    try:
        code = main(["queue", "serve", "--port", "8123", "--home", str(tmp_path),
                     "--queue-url", url.render_as_string(hide_password=False)])  # fmt: skip
    finally:
        next(schema_urls, None)
    _, err = capsys.readouterr()
    assert code == 0 and served["port"] == 8123
    assert "hunter2" not in err and "postgres:***@127.0.0.1" in err
    assert err.startswith("review console on http://127.0.0.1:8123/")


def test_queue_show_does_not_pass_terminal_escapes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'queue.db'}"
    engine = open_queue(url)
    hostile = "\x1b]0;owned\x07\x1b[2J\x1b[31mred\u202eevil\u200b"
    land_sweep(
        engine,
        landing(D1, {"c-\x1b[5m": cluster("acc\x1b[8m", 2)}, prompts=[hostile]),
        intake_cap=5,
        now=T0,
    )
    add_comment(engine, 1, author="eve\x1b[1m", text=f"see {hostile}", now=T0)
    engine.dispose()

    for command in (["show", "1"], ["list"]):
        assert main(["queue", *command, "--queue-url", url]) == 0
        out, _ = capsys.readouterr()
        assert "\x1b" not in out and "\x07" not in out and "\u202e" not in out, command
    assert main(["queue", "show", "1", "--queue-url", url]) == 0
    out, _ = capsys.readouterr()
    assert "\\u001b]0;owned\\u0007\\u001b[2J" in out and "\\u202eevil\\u200b" in out


def test_reviewer_names_are_shown_inert_and_new_names_must_be_visible(
    app: object, engine: Engine
) -> None:
    add_comment(engine, 1, author="mal\u202eyrolam", text="noted", now=T0)
    client, _ = login(app, "lena")
    for page in ("/cases/1", "/audit?case=1"):
        html = client.get(page).text
        assert "mal\\u202eyrolam" in html and "\u202e" not in html, page
    with pytest.raises(InvalidDecision, match="visible characters"):
        add_user(engine, "mal\u202eory", role="analyst", password="a long enough password")
    with pytest.raises(InvalidDecision, match="visible characters"):
        add_user(engine, "zero\u200bwidth", role="analyst", password="a long enough password")


def _has_security_headers(response: Any) -> bool:
    return all(response.headers.get(name) == value for name, value in SECURITY_HEADERS.items())


def test_ids_past_64_bits_get_a_page_with_the_security_headers(app: object) -> None:
    client, token = login(app, "lena")
    for response, status in (
        (client.get(f"/cases/{HUGE}"), 404),
        (client.post(f"/cases/{HUGE}/claim", data={"csrf_token": token}), 404),
        (client.get(f"/audit?case={HUGE}"), 400),
        (client.get(f"/?page={HUGE}"), 200),
    ):
        assert response.status_code == status, response.url
        assert _has_security_headers(response), response.url
        assert 'id="error-message"' in response.text or status == 200


def test_an_unexpected_error_still_carries_the_security_headers(
    app: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    client, _ = login(app, "alice")

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("the database went away")

    monkeypatch.setattr("review.web.app.get_case", broken)
    response = TestClient(app, raise_server_exceptions=False, cookies=client.cookies).get(  # type: ignore[arg-type]
        "/cases/1"
    )
    assert response.status_code == 500 and _has_security_headers(response)
    assert "went away" not in response.text


def test_the_cli_refuses_ids_past_64_bits_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["queue", "show", HUGE, "--queue-url", f"sqlite:///{tmp_path / 'q.db'}"])
    _, err = capsys.readouterr()
    assert (
        code == 2 and "Traceback" not in err and "less than or equal to 9223372036854775807" in err
    )


def test_unstorable_account_ids_are_quarantined_not_fatal(queue: Engine) -> None:
    too_long = "a" * 201
    with_nul = "acct\x00evil"
    result = land_sweep(
        queue,
        landing(
            D1,
            {"c-1": cluster("farm", 2), "c-" + "x" * 300: cluster("wide", 1)},
            [account(too_long), account(with_nul), account("fine")],
        ),
        intake_cap=10,
        now=T0,
    )

    assert (result.quarantined, result.cases_created, result.accounts) == (4, 2, 3)
    titles = sorted(c.title for c in list_cases(queue, status="all"))
    assert titles == ["account fine", "cluster c-1"]
    landed = read_audit(queue, limit=1)[0]
    reasons = {q["preview"][:10]: q["reason"] for q in landed.detail["quarantine"]}
    assert reasons == {
        "a" * 10: "account id of 201 characters (at most 200)",
        "acct\ufffdevil": "account id holds a NUL character",
        "wide-00": f"cluster id of {2 + 300} characters (at most 200)",
        "c-" + "x" * 8: f"cluster id of {2 + 300} characters (at most 200)",
    }
    with queue.connect() as conn:
        stats, flagged = conn.execute(sa.text("SELECT stats, accounts_flagged FROM sweeps")).one()
    stats = stats if isinstance(stats, dict) else __import__("json").loads(stats)
    assert flagged == 6 and len(stats["quarantined"]) == 4
    assert get_case(queue, 1).case is not None


def test_a_new_sqlite_queue_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        path = tmp_path / "home" / "queue.db"
        engine = open_queue(f"sqlite:///{path}")
        land_sweep(engine, landing(D1, singles=[account("x")]), intake_cap=1, now=T0)
        for file in (path, path.with_name("queue.db-wal")):
            assert stat.S_IMODE(file.stat().st_mode) == 0o600, file
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
        engine.dispose()
    finally:
        os.umask(old)
