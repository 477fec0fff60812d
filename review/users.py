"""Console users: roles and scrypt password hashes (standard library only).

Hashes are stored as ``scrypt$n$r$p$salt$hash`` (base64), so the cost can be
raised later without breaking stored passwords. A failed login for an unknown
name still spends one hash, so timing does not tell which names exist.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from review.engine import read_session, write_session
from review.errors import InvalidDecision, ReviewError
from review.records import add_audit
from review.tables import User, utcnow
from review.vocabulary import AuditAction, Role

MIN_PASSWORD_LENGTH = 8
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}


@dataclass(frozen=True)
class UserInfo:
    name: str
    role: Role
    disabled: bool = False

    @property
    def is_lead(self) -> bool:
        return self.role == Role.LEAD


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, dklen=32, **_SCRYPT)
    b64 = base64.b64encode
    return "scrypt${n}${r}${p}$".format(**_SCRYPT) + f"{b64(salt).decode()}${b64(digest).decode()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        actual = hashlib.scrypt(
            password.encode("utf-8"),
            salt=base64.b64decode(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(expected),
        )
    except ValueError:
        return False
    return hmac.compare_digest(actual, expected)


_DUMMY_HASH = None


def add_user(
    engine: Engine, name: str, *, role: Role | str, password: str, replace: bool = False
) -> UserInfo:
    """Create a console user (or, with ``replace``, reset their role and password)."""
    name = name.strip()
    if not name or len(name) > 64 or any(c.isspace() for c in name):
        raise InvalidDecision("a user name is 1 to 64 characters without spaces")
    if role not in tuple(Role):
        raise InvalidDecision(f"role must be one of {', '.join(Role)}, got {role!r}")
    role = Role(role)
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidDecision(f"passwords need at least {MIN_PASSWORD_LENGTH} characters")
    now = utcnow()
    with write_session(engine) as session:
        user = session.scalar(sa.select(User).where(User.name == name))
        if user is not None and not replace:
            raise ReviewError(f"user {name} exists; pass replace to reset it")
        action = AuditAction.USER_UPDATED if user is not None else AuditAction.USER_ADDED
        if user is None:
            user = User(name=name, created_at=now, role=role, password_hash="", disabled=False)
            session.add(user)
        user.role = role
        user.password_hash = hash_password(password)
        user.disabled = False
        add_audit(session, actor="cli", action=action, at=now, detail={"user": name, "role": role})
        return UserInfo(name=name, role=role)


def list_users(engine: Engine) -> list[UserInfo]:
    with read_session(engine) as session:
        return [
            UserInfo(name=u.name, role=u.role, disabled=u.disabled)
            for u in session.scalars(sa.select(User).order_by(User.name))
        ]


def get_user(engine: Engine, name: str) -> UserInfo | None:
    with read_session(engine) as session:
        user = session.scalar(sa.select(User).where(User.name == name))
        if user is None or user.disabled:
            return None
        return UserInfo(name=user.name, role=user.role)


def authenticate(engine: Engine, name: str, password: str) -> UserInfo | None:
    global _DUMMY_HASH
    with read_session(engine) as session:
        user = session.scalar(sa.select(User).where(User.name == name.strip()))
        stored = None if user is None else user.password_hash
        info = None if user is None else UserInfo(name=user.name, role=user.role)
        disabled = user is not None and user.disabled
    if stored is None:
        _DUMMY_HASH = _DUMMY_HASH or hash_password(secrets.token_hex(8))
        verify_password(password, _DUMMY_HASH)
        return None
    if not verify_password(password, stored) or disabled:
        return None
    return info
