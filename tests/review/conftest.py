"""Queue fixtures: every queue test runs on SQLite (a temp file) and on PostgreSQL.

Each PostgreSQL test gets its own schema in the session's throwaway database
(``search_path`` in the URL), so tests never see each other's cases and the
database other test areas use is left alone. SQLite tests start from a copy of
one file migrated once per session (migrating every test's file was half of
this folder's time); tests of creating a queue file make their own.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from review.db import open_queue
from review.landing import land_sweep
from review.users import add_user
from tests.review.builders import account, cluster, landing

T0 = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True, scope="session")
def cheap_password_hashing() -> Iterator[None]:
    """Argon2 at its lowest cost: a test login takes microseconds instead of a quarter second."""
    from review.passwords import cheap_hashing_for_tests

    with cheap_hashing_for_tests():
        yield


def postgres_schema_url(postgres_url: str) -> Iterator[str]:
    schema = f"q_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{postgres_url}?options={quote(f'-csearch_path={schema}')}"
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty SQLite queue at the newest revision, to copy."""
    path = tmp_path_factory.mktemp("queue-template") / "queue.db"
    engine = open_queue(f"sqlite:///{path}")
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


def sqlite_copy(template: Path, path: Path) -> str:
    """The URL of a fresh copy of the migrated template at ``path``."""
    shutil.copyfile(template, path)
    path.chmod(0o600)
    return f"sqlite:///{path}"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def queue_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty queue database URL: a SQLite file, then a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield sqlite_copy(request.getfixturevalue("migrated_sqlite"), tmp_path / "queue.db")
    else:
        yield from postgres_schema_url(request.getfixturevalue("postgres_url"))


@pytest.fixture
def queue(queue_url: str) -> Iterator[Engine]:
    engine = open_queue(queue_url)
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.fixture
def sqlite_queue(tmp_path: Path, migrated_sqlite: Path) -> Iterator[Engine]:
    engine = open_queue(sqlite_copy(migrated_sqlite, tmp_path / "queue.db"))
    try:
        yield engine
    finally:
        engine.dispose()


PASSWORD = "correct horse battery"
SCRIPT_PAYLOAD = "<script>window.__pwned=1</script>"
IMG_PAYLOAD = '<img src=x onerror="window.__pwned=2">'


@pytest.fixture
def console_url(tmp_path: Path, migrated_sqlite: Path) -> str:
    """A SQLite queue with an analyst, a lead, and a cluster whose prompts carry payloads."""
    url = sqlite_copy(migrated_sqlite, tmp_path / "console.db")
    engine = open_queue(url)
    add_user(engine, "alice", role="analyst", password=PASSWORD)
    add_user(engine, "lena", role="lead", password=PASSWORD)
    land_sweep(
        engine,
        landing(
            date(2026, 11, 1),
            {"c-1": cluster("farm", 3, tokens=5000), "c-2": cluster("side", 2, tokens=10)},
            prompts=[f"Translate this: {SCRIPT_PAYLOAD}", f"caption {IMG_PAYLOAD}"],
            system_prompts=[f"</pre>{SCRIPT_PAYLOAD}"],
            entities=[{"type": "user_agent", "value": f"curl/8 {IMG_PAYLOAD}", "accounts": 3}],
            hourly=[0] * 8 + [40] * 10 + [0] * 6,
        ),
        intake_cap=10,
        now=T0,
    )
    engine.dispose()
    return url


@pytest.fixture
def engine(console_url: str) -> Iterator[Engine]:
    """The console queue's engine."""
    engine = open_queue(console_url)
    yield engine
    engine.dispose()


@pytest.fixture
def app(console_url: str, engine: Engine) -> object:
    """The console app over ``console_url`` (alice analyst, lena lead, two open cases)."""
    from review.web import create_app
    from tests.review.console import SECRET

    return create_app(console_url, SECRET, engine=engine)


@pytest.fixture
def cli_queue(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, migrated_sqlite: Path) -> str:
    """A queue with two open cases (1: the lone account solo; 2: the cluster c-1, first in the
    queue), analysts ana, bea and cy, and lena, a lead.

    Their password is in HYDRASWEEP_QUEUE_PASSWORD, as a script would have it.
    """
    url = sqlite_copy(migrated_sqlite, tmp_path / "queue.db")
    engine = open_queue(url)
    for name in ("ana", "bea", "cy"):
        add_user(engine, name, role="analyst", password=PASSWORD)
    add_user(engine, "lena", role="lead", password=PASSWORD)
    monkeypatch.setenv("HYDRASWEEP_QUEUE_PASSWORD", PASSWORD)
    land_sweep(
        engine,
        landing(
            date(2026, 11, 1),
            {"c-1": cluster("farm", 2, tokens=4000)},
            [account("solo", score=0.7, tokens=100)],
        ),
        intake_cap=10,
        now=T0,
    )
    engine.dispose()
    return url
