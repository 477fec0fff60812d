"""Console sessions end (logout, password change, disable, idle, absolute); logins are throttled;
passwords are hashed with Argon2id; cookies are Secure and ``__Host-`` over TLS."""

from __future__ import annotations

import base64
import hashlib
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from review.auth import (
    LoginFailed,
    LoginPolicy,
    LoginThrottled,
    SessionPolicy,
    authenticate,
    open_session,
    session_user,
)
from review.passwords import PRODUCTION, hash_password, verify_password
from review.service import read_audit
from review.users import UserInfo, add_user, set_disabled
from review.vocabulary import AuditAction, Role
from review.web import create_app
from tests.review.conftest import PASSWORD, T0
from tests.review.console import SECRET, csrf_token, flashes, login


def _replay(app: object, cookies: dict[str, str]) -> TestClient:
    """A fresh client carrying a copy of someone's cookies, as an attacker would."""
    client = TestClient(app)  # type: ignore[arg-type]
    for name, value in cookies.items():
        client.cookies.set(name, value)
    return client


def _lands_on_login(client: TestClient) -> bool:
    response = client.get("/", follow_redirects=False)
    return response.status_code == 303 and response.headers["location"].startswith("/login")


def test_a_cookie_replayed_after_logout_gets_the_login_page(app: object, engine: Engine) -> None:
    client, token = login(app, "alice")
    stolen = dict(client.cookies)
    assert not _lands_on_login(_replay(app, stolen))  # the copy works while the session lives

    client.post("/logout", data={"csrf_token": token})

    assert _lands_on_login(_replay(app, stolen))
    actions = [e.action for e in read_audit(engine, limit=3)]
    assert actions[:2] == [AuditAction.LOGOUT, AuditAction.LOGIN]


def test_a_password_change_or_disabling_ends_every_session(app: object, engine: Engine) -> None:
    alice, _ = login(app, "alice")
    lena, _ = login(app, "lena")
    add_user(engine, "alice", role=Role.ANALYST, password="a new long passphrase", replace=True)
    set_disabled(engine, "lena", True)

    assert _lands_on_login(alice) and _lands_on_login(lena)
    set_disabled(engine, "lena", False)
    assert _lands_on_login(lena)  # enabling again does not bring old sessions back
    login(app, "lena")


def test_sessions_have_an_idle_and_an_absolute_lifetime(engine: Engine) -> None:
    policy = SessionPolicy(idle=timedelta(minutes=30), absolute=timedelta(hours=8))
    alice = UserInfo("alice", Role.ANALYST)
    token = open_session(engine, alice, address="10.0.0.1", policy=policy, now=T0)

    assert session_user(engine, token, policy=policy, now=T0 + timedelta(minutes=29)) == alice
    assert session_user(engine, token, policy=policy, now=T0 + timedelta(minutes=61)) is None

    token = open_session(engine, alice, address="10.0.0.1", policy=policy, now=T0)
    for step in range(1, 24):  # busy all day, never idle, up to 7 h 40 min
        moment = T0 + step * timedelta(minutes=20)
        assert session_user(engine, token, policy=policy, now=moment) == alice
    assert session_user(engine, token, policy=policy, now=T0 + timedelta(hours=8)) is None
    assert session_user(engine, "not-a-token", policy=policy, now=T0) is None


def test_the_31st_wrong_password_in_a_minute_is_throttled(app: object, engine: Engine) -> None:
    client = TestClient(app)  # type: ignore[arg-type]
    statuses = []
    for _ in range(30):
        page = client.get("/login")
        response = client.post(
            "/login",
            data={"username": "alice", "password": "guess", "csrf_token": csrf_token(page.text)},
        )
        statuses.append(response.status_code)
    page = client.get("/login")
    right = client.post(
        "/login",
        data={"username": "alice", "password": PASSWORD, "csrf_token": csrf_token(page.text)},
    )

    assert statuses == [401] * 10 + [429] * 20
    assert right.status_code == 429
    assert flashes(right.text) == ["too many failed logins: try again in 15 minutes"]
    assert _lands_on_login(client)
    audited = [e.action for e in read_audit(engine, limit=31)]
    assert audited.count(AuditAction.LOGIN_FAILED) == 10
    assert audited.count(AuditAction.LOGIN_THROTTLED) == 21


def test_throttling_by_address_and_its_window(engine: Engine) -> None:
    policy = LoginPolicy(max_user_failures=10, max_address_failures=30)
    for i in range(30):  # one address spraying thirty names
        with pytest.raises(LoginFailed):
            authenticate(engine, f"user-{i}", "x", address="203.0.113.9", policy=policy, now=T0)
    with pytest.raises(LoginThrottled):
        authenticate(engine, "alice", PASSWORD, address="203.0.113.9", policy=policy, now=T0)
    # Alice from her own address is not held back by someone else's spraying ...
    assert authenticate(engine, "alice", PASSWORD, address="10.0.0.7", policy=policy, now=T0)
    # ... and once the window has passed the address may try again.
    later = T0 + policy.window + timedelta(seconds=1)
    assert authenticate(engine, "alice", PASSWORD, address="203.0.113.9", policy=policy, now=later)


def test_a_success_resets_the_users_count(engine: Engine) -> None:
    for _ in range(9):
        with pytest.raises(LoginFailed):
            authenticate(engine, "alice", "nope", address="10.0.0.7", now=T0)
    authenticate(engine, "alice", PASSWORD, address="10.0.0.7", now=T0 + timedelta(seconds=1))
    for _ in range(9):
        with pytest.raises(LoginFailed):
            authenticate(engine, "alice", "nope", address="10.0.0.7", now=T0 + timedelta(seconds=2))


def test_service_identities_cannot_use_the_console(app: object, engine: Engine) -> None:
    add_user(engine, "nightly-export", role=Role.SERVICE, password="a long service token")
    client = TestClient(app)  # type: ignore[arg-type]
    page = client.get("/login")
    refused = client.post(
        "/login",
        data={
            "username": "nightly-export",
            "password": "a long service token",
            "csrf_token": csrf_token(page.text),
        },
    )
    assert refused.status_code == 401


def test_passwords_are_argon2id_at_a_production_cost_and_old_hashes_are_replaced(
    engine: Engine,
) -> None:
    # The suite hashes cheaply; the default it replaces is RFC 9106's second choice.
    assert (PRODUCTION.memory_cost, PRODUCTION.time_cost, PRODUCTION.parallelism) == (65536, 3, 4)
    assert PRODUCTION.type.name == "ID"
    assert hash_password("x" * 15).startswith("$argon2id$")
    # An earlier queue's scrypt hash (N=2^14) of PASSWORD still logs in, and is replaced.
    salt = b"0123456789abcdef"
    digest = hashlib.scrypt(PASSWORD.encode(), salt=salt, n=2**14, r=8, p=1, dklen=32)
    legacy = "$".join(
        [
            "scrypt",
            "16384",
            "8",
            "1",
            base64.b64encode(salt).decode(),
            base64.b64encode(digest).decode(),
        ]
    )
    assert verify_password(PASSWORD, legacy) and not verify_password("wrong", legacy)
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE users SET password_hash = ? WHERE name = 'alice'", (legacy,))
    authenticate(engine, "alice", PASSWORD, address="10.0.0.7")
    with engine.connect() as conn:
        stored = conn.exec_driver_sql(
            "SELECT password_hash FROM users WHERE name = 'alice'"
        ).scalar()
    assert stored.startswith("$argon2id$") and verify_password(PASSWORD, stored)


def test_cookies_over_tls_are_secure_host_prefixed_with_hsts(
    console_url: str, engine: Engine
) -> None:
    app = create_app(console_url, SECRET, engine=engine, secure_cookies=True)
    client = TestClient(app, base_url="https://console.example")
    page = client.get("/login")
    cookie = page.headers["set-cookie"]
    assert cookie.startswith("__Host-hydrasweep_session=")
    assert "secure" in cookie.lower() and "path=/" in cookie.lower()
    assert "domain" not in cookie.lower()
    assert page.headers["strict-transport-security"].startswith("max-age=")
    plain = TestClient(create_app(console_url, SECRET, engine=engine)).get("/login")
    assert "strict-transport-security" not in plain.headers
