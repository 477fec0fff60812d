"""Password hashes: Argon2id (argon2-cffi), with the scrypt hashes of earlier queues still read.

The cost is RFC 9106's second recommended setting (argon2-cffi's default
profile: 64 MiB, 3 passes, 4 lanes), above OWASP's Argon2id minimum; a hash
records its own parameters, so raising them later keeps old hashes valid and
``needs_rehash`` says when to replace one (the login does). Hashes written by
earlier versions (``scrypt$n$r$p$salt$hash``, N = 2^14) verify and are
replaced at the next successful login.

Tests may trade the cost for speed with ``cheap_hashing_for_tests()``, an
explicit switch that only the test suite calls; nothing else lowers the cost.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterator
from contextlib import contextmanager

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

PRODUCTION = PasswordHasher()  # argon2id, RFC 9106 low-memory profile
# Test suites only: the smallest cost Argon2 accepts, so a test login takes microseconds.
_CHEAP = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
_hasher = PRODUCTION


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password: str, stored: str) -> bool:
    if stored.startswith("scrypt$"):
        return _verify_scrypt(password, stored)
    try:
        return _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    """Whether ``stored`` was made with another scheme or other parameters than today's."""
    return stored.startswith("scrypt$") or _hasher.check_needs_rehash(stored)


@contextmanager
def cheap_hashing_for_tests() -> Iterator[None]:
    """Within the block, hash at the lowest cost Argon2 allows. For test suites only."""
    global _hasher
    saved, _hasher = _hasher, _CHEAP
    try:
        yield
    finally:
        _hasher = saved


def _verify_scrypt(password: str, stored: str) -> bool:
    try:
        _, n, r, p, salt, digest = stored.split("$")
        expected = base64.b64decode(digest)
        actual = hashlib.scrypt(
            password.encode("utf-8"),
            salt=base64.b64decode(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            maxmem=256 * 1024 * 1024,
            dklen=len(expected),
        )
    except ValueError:
        return False
    return hmac.compare_digest(actual, expected)
