"""Queue users: people (analysts, leads) and service identities, their roles and passwords.

Administering users is a database owner's act (the ``queue users`` commands
run with the queue's URL, like a migration); each change is audited under
``admin_actor``. Replacing a password or disabling a user revokes every
console session the user holds, so a stolen cookie dies with the old
password. Names are visible text: no spaces, control, direction-changing or
zero-width characters, so an audit line or a case page cannot be made to lie
about who acted. Logging in is ``review.auth``.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from review.audit import add_audit
from review.engine import read_session, write_session
from review.errors import InvalidDecision, ReviewError
from review.passwords import hash_password
from review.tables import ConsoleSession, User, utcnow
from review.vocabulary import PERSON_ROLES, AuditAction, Role

# NIST SP 800-63B (rev. 4): at least 15 characters where a password is the only factor.
MIN_PASSWORD_LENGTH = 15
DEFAULT_ADMIN = "queue-admin"


@dataclass(frozen=True)
class UserInfo:
    name: str
    role: Role
    disabled: bool = False

    @property
    def is_lead(self) -> bool:
        return self.role == Role.LEAD

    @property
    def is_person(self) -> bool:
        return self.role in PERSON_ROLES


def add_user(
    engine: Engine,
    name: str,
    *,
    role: Role | str,
    password: str,
    replace: bool = False,
    admin_actor: str = DEFAULT_ADMIN,
) -> UserInfo:
    """Create a user (or, with ``replace``, reset their role and password)."""
    name = _valid_name(name)
    if role not in tuple(Role):
        raise InvalidDecision(f"role must be one of {', '.join(Role)}, got {role!r}")
    role = Role(role)
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidDecision(f"passwords need at least {MIN_PASSWORD_LENGTH} characters")
    password_hash = hash_password(password)  # slow on purpose: outside the write lock
    now = utcnow()
    with write_session(engine) as session:
        user = session.scalar(sa.select(User).where(User.name == name))
        if user is not None and not replace:
            raise ReviewError(f"user {name} exists; pass replace to reset it")
        action = AuditAction.USER_UPDATED if user is not None else AuditAction.USER_ADDED
        if user is None:
            user = User(name=name, created_at=now, role=role, password_hash="", disabled=False)
            session.add(user)
            session.flush()
        else:
            revoke_sessions(session, user.id, "password changed", now)
        user.role = role
        user.password_hash = password_hash
        user.disabled = False
        detail = {"user": name, "role": role}
        add_audit(session, actor=admin_actor, action=action, at=now, detail=detail)
        return UserInfo(name=name, role=role)


def set_disabled(
    engine: Engine, name: str, disabled: bool, *, admin_actor: str = DEFAULT_ADMIN
) -> UserInfo:
    """Disable a user (their sessions end at once) or enable them again."""
    now = utcnow()
    with write_session(engine) as session:
        user = session.scalar(sa.select(User).where(User.name == name))
        if user is None:
            raise ReviewError(f"no user {name}")
        user.disabled = disabled
        if disabled:
            revoke_sessions(session, user.id, "user disabled", now)
        action = AuditAction.USER_DISABLED if disabled else AuditAction.USER_ENABLED
        add_audit(session, actor=admin_actor, action=action, at=now, detail={"user": name})
        return UserInfo(name=user.name, role=user.role, disabled=user.disabled)


def revoke_sessions(session: Session, user_id: int, reason: str, now: datetime) -> None:
    session.execute(
        sa.update(ConsoleSession)
        .where(ConsoleSession.user_id == user_id, ConsoleSession.revoked_at.is_(None))
        .values(revoked_at=now, revoked_reason=reason)
    )


def list_users(engine: Engine) -> list[UserInfo]:
    with read_session(engine) as session:
        return [
            UserInfo(name=u.name, role=u.role, disabled=u.disabled)
            for u in session.scalars(sa.select(User).order_by(User.name))
        ]


def get_user(engine: Engine, name: str) -> UserInfo | None:
    """An enabled user by name (None: unknown or disabled)."""
    with read_session(engine) as session:
        user = session.scalar(sa.select(User).where(User.name == name))
        if user is None or user.disabled:
            return None
        return UserInfo(name=user.name, role=user.role)


def _valid_name(name: str) -> str:
    name = name.strip()
    hidden = any(unicodedata.category(c) in ("Cc", "Cf", "Zs", "Zl", "Zp") for c in name)
    if not name or len(name) > 64 or hidden or any(c.isspace() for c in name):
        raise InvalidDecision(
            "a user name is 1 to 64 visible characters (no spaces, control or format characters)"
        )
    return name
