"""Logging in: throttled password checks, console sessions that end, audited denials.

``authenticate`` checks a name and password for the console or the CLI. Every
try is recorded (``login_attempts``) and audited; after ``max_user_failures``
failures of one name since its last success, or ``max_address_failures`` from
one address, within ``window``, tries are refused without checking the
password until the window has passed. An unknown name spends a hash like a
known one, so timing does not tell which names exist.

A console login opens a server-side session: the cookie carries a random
token and the ``console_sessions`` row its SHA-256. ``session_user`` honours
it only while it is not revoked (logout, password change, disabled user), was
used within ``idle`` and is younger than ``absolute``; whatever re-signs the
cookie, the row decides.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from review.audit import add_audit, record_event
from review.engine import read_session, write_session
from review.errors import ReviewError
from review.passwords import hash_password, needs_rehash, verify_password
from review.tables import ConsoleSession, LoginAttempt, User, utcnow
from review.users import UserInfo
from review.vocabulary import AuditAction

ANONYMOUS = "anonymous"
_TOUCH_EVERY = timedelta(seconds=60)  # how stale last_seen_at may get (fewer writes)


class LoginFailed(ReviewError):
    """Unknown user, wrong password, disabled user, or a role that may not log in here."""

    def __init__(self) -> None:
        super().__init__("unknown user or wrong password")


class LoginThrottled(ReviewError):
    """Too many failed tries for this user or from this address."""

    def __init__(self, minutes: int) -> None:
        super().__init__(f"too many failed logins: try again in {minutes} minutes")


@dataclass(frozen=True)
class LoginPolicy:
    max_user_failures: int = 10
    max_address_failures: int = 30
    window: timedelta = timedelta(minutes=15)


@dataclass(frozen=True)
class SessionPolicy:
    idle: timedelta = timedelta(minutes=30)
    absolute: timedelta = timedelta(hours=8)


def authenticate(
    engine: Engine,
    name: str,
    password: str,
    *,
    address: str,
    people_only: bool = False,
    policy: LoginPolicy | None = None,
    now: datetime | None = None,
) -> UserInfo:
    """The user ``name`` if ``password`` is theirs; ``LoginFailed`` or ``LoginThrottled`` if not.

    ``people_only``: service identities are refused (the console).
    """
    policy = policy or LoginPolicy()
    now = now or utcnow()
    name, address = name.strip()[:64], address[:64]
    if _throttled(engine, name, address, policy, now):
        _record(engine, name, address, now, AuditAction.LOGIN_THROTTLED)
        raise LoginThrottled(int(policy.window.total_seconds() // 60))
    with read_session(engine) as session:
        user = session.scalar(sa.select(User).where(User.name == name))
        stored = user.password_hash if user is not None else _dummy_hash()
        info = UserInfo(user.name, user.role, user.disabled) if user is not None else None
    matches = verify_password(password, stored)  # spent for unknown names too
    if info is None or not matches or info.disabled or (people_only and not info.is_person):
        _record(engine, name, address, now, AuditAction.LOGIN_FAILED)
        raise LoginFailed()
    # A hash of an older scheme or cost is replaced now that the password is known.
    _record(
        engine,
        name,
        address,
        now,
        AuditAction.LOGIN,
        new_hash=hash_password(password) if needs_rehash(stored) else None,
    )
    return info


def _throttled(engine: Engine, name: str, address: str, policy: LoginPolicy, now: datetime) -> bool:
    since = now - policy.window
    failed = (
        sa.select(sa.func.count())
        .select_from(LoginAttempt)
        .where(LoginAttempt.at > since, LoginAttempt.succeeded.is_(False))
    )
    with read_session(engine) as session:
        last_success = session.scalar(
            sa.select(sa.func.max(LoginAttempt.at)).where(
                LoginAttempt.user_name == name, LoginAttempt.succeeded.is_(True)
            )
        )
        user_since = max(since, last_success) if last_success is not None else since
        by_user = session.scalar(
            failed.where(LoginAttempt.user_name == name, LoginAttempt.at > user_since)
        )
        by_address = session.scalar(failed.where(LoginAttempt.address == address))
    return int(by_user or 0) >= policy.max_user_failures or (
        int(by_address or 0) >= policy.max_address_failures
    )


def _record(
    engine: Engine,
    name: str,
    address: str,
    now: datetime,
    action: AuditAction,
    *,
    new_hash: str | None = None,
) -> None:
    succeeded = action == AuditAction.LOGIN
    with write_session(engine) as session:
        session.add(LoginAttempt(at=now, user_name=name, address=address, succeeded=succeeded))
        detail = {"address": address}
        add_audit(session, actor=name or ANONYMOUS, action=action, at=now, detail=detail)
        if new_hash is not None:
            session.execute(sa.update(User).where(User.name == name).values(password_hash=new_hash))


_DUMMY: list[str] = []


def _dummy_hash() -> str:
    if not _DUMMY:
        _DUMMY.append(hash_password(secrets.token_hex(16)))
    return _DUMMY[0]


# --- console sessions ------------------------------------------------------------
def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def open_session(
    engine: Engine,
    user: UserInfo,
    *,
    address: str,
    policy: SessionPolicy | None = None,
    now: datetime | None = None,
) -> str:
    """A new console session for ``user``; returns the token for the cookie."""
    policy = policy or SessionPolicy()
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    with write_session(engine) as session:
        user_id = session.scalar(sa.select(User.id).where(User.name == user.name))
        if user_id is None:
            raise LoginFailed()
        session.add(
            ConsoleSession(
                token_hash=_token_hash(token),
                user_id=user_id,
                created_at=now,
                last_seen_at=now,
                expires_at=now + policy.absolute,
                address=address[:64],
            )
        )
    return token


def session_user(
    engine: Engine,
    token: str,
    *,
    policy: SessionPolicy | None = None,
    now: datetime | None = None,
) -> UserInfo | None:
    """The user a session token stands for, while the session lives; None otherwise."""
    policy = policy or SessionPolicy()
    now = now or utcnow()
    query = (
        sa.select(
            ConsoleSession.id,
            ConsoleSession.revoked_at,
            ConsoleSession.expires_at,
            ConsoleSession.last_seen_at,
            User.name,
            User.role,
            User.disabled,
        )
        .join(User, User.id == ConsoleSession.user_id)
        .where(ConsoleSession.token_hash == _token_hash(token))
    )
    with read_session(engine) as session:
        row = session.execute(query).first()
    if row is None:
        return None
    user = UserInfo(row.name, row.role)
    alive = (
        row.revoked_at is None
        and now < row.expires_at
        and now - row.last_seen_at < policy.idle
        and not row.disabled
        and user.is_person
    )
    if not alive:
        return None
    if now - row.last_seen_at >= _TOUCH_EVERY:
        with write_session(engine) as session:
            session.execute(
                sa.update(ConsoleSession)
                .where(ConsoleSession.id == row.id)
                .values(last_seen_at=now)
            )
    return user


def close_session(engine: Engine, token: str, *, actor: str, now: datetime | None = None) -> None:
    """Log out: the session is revoked, so its cookie is worthless even if replayed."""
    now = now or utcnow()
    with write_session(engine) as session:
        session.execute(
            sa.update(ConsoleSession)
            .where(
                ConsoleSession.token_hash == _token_hash(token), ConsoleSession.revoked_at.is_(None)
            )
            .values(revoked_at=now, revoked_reason="logout")
        )
        add_audit(session, actor=actor, action=AuditAction.LOGOUT, at=now)


def record_denial(
    engine: Engine, actor: str, what: str, *, case_id: int | None = None, **detail: Any
) -> None:
    """Audit a refusal: a role that may not do ``what``, a forged form, missing credentials."""
    record_event(
        engine,
        actor=actor or ANONYMOUS,
        action=AuditAction.DENIED,
        case_id=case_id,
        detail={"what": what, **detail},
    )
