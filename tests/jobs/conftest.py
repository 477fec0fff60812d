"""Fixtures for job tests: raw contract lines written into a temporary lake.

``raw_request`` / ``raw_account`` build one valid contract record (override
any field); ``write_raw_day`` gzips lines into ``raw/<dataset>/dt=D/`` of a
store and writes the ``_SUCCESS`` markers, as a producer does.
"""

from __future__ import annotations

import gzip
import itertools
import json
from collections.abc import Callable, Iterable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from lakeio import ObjectStore, layout

_ids = itertools.count()


def make_raw_request(day: date, **fields: Any) -> dict[str, Any]:
    """A valid raw request record of ``day`` (CONTRACT section 2)."""
    record: dict[str, Any] = {
        "request_id": f"req-{next(_ids):08d}",
        "ts": f"{day.isoformat()}T12:00:00.000Z",
        "account_id": "acct-1",
        "api_key_id": "key-1",
        "org_id": None,
        "ip": "203.0.113.9",
        "asn": 64500,
        "country": "US",
        "user_agent": "anthropic-python/0.40.0",
        "model": "claude-sonnet",
        "input_tokens": 120,
        "output_tokens": 340,
        "latency_ms": 900,
        "status": 200,
        "system_prompt": None,
        "prompt": "Summarise the attached paper.",
    }
    record.update(fields)
    return record


def make_raw_account(account_id: str, **fields: Any) -> dict[str, Any]:
    """A valid raw account snapshot record (CONTRACT section 3)."""
    record: dict[str, Any] = {
        "account_id": account_id,
        "org_id": None,
        "created_at": "2026-01-15T09:30:00Z",
        "email_domain": "example.com",
        "payment_fingerprint": None,
        "billing_country": "US",
        "signup_ip": None,
        "tier": "build",
        "verified": True,
    }
    record.update(fields)
    return record


def as_line(record: dict[str, Any] | str) -> str:
    return record if isinstance(record, str) else json.dumps(record)


def write_raw_day(
    store: ObjectStore,
    day: date,
    requests: Iterable[dict[str, Any] | str],
    accounts: Iterable[dict[str, Any] | str],
    *,
    markers: bool = True,
    files: int = 1,
) -> None:
    """Replace the raw day with these lines (records or literal lines), split over ``files`` files."""
    for dataset, lines in (("requests", list(requests)), ("accounts", list(accounts))):
        prefix = layout.raw_day_prefix(dataset, day)
        store.delete_prefix(prefix)
        for number in range(files):
            chunk = lines[number::files]
            body = "".join(as_line(line) + "\n" for line in chunk)
            store.write_bytes(
                f"{prefix}part-{number:04d}.jsonl.gz", gzip.compress(body.encode(), mtime=0)
            )
        if markers:
            store.write_bytes(layout.success_key(dataset, day), b"")


@pytest.fixture
def local_lake(tmp_path: Path) -> Path:
    root = tmp_path / "lake"
    root.mkdir()
    return root


@pytest.fixture
def scratch(tmp_path: Path) -> Path:
    return tmp_path / "scratch"


@pytest.fixture(scope="session")
def raw_day() -> Callable[..., None]:
    return write_raw_day


@pytest.fixture(scope="session")
def raw_request() -> Callable[..., dict[str, Any]]:
    return make_raw_request


@pytest.fixture(scope="session")
def raw_account() -> Callable[..., dict[str, Any]]:
    return make_raw_account
