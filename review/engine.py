"""Engines and sessions for the review queue, on SQLite or PostgreSQL.

``create_queue_engine(url)`` makes an engine without touching the schema
(``review.db.open_queue`` also migrates it). SQLite gets WAL (readers never
block the writer), a generous busy timeout, foreign keys, and
SQLAlchemy-managed transactions so that a *write* transaction starts with
``BEGIN IMMEDIATE``: it takes SQLite's single write lock before its first
read, which makes "select the next case, then mark it claimed" as safe as
PostgreSQL's ``FOR UPDATE SKIP LOCKED`` (claimers queue up instead of
racing). Read-only work uses a plain deferred ``BEGIN``.

A SQLite queue file is created readable by its owner only, and every SQLite
connection carries an authorizer that refuses schema changes to the audit log
(dropping or adding its triggers, dropping or altering the table, writing the
schema directly) unless the connection is running a migration
(``schema_changes_allowed``): the application's own connection cannot lift the
log's append-only guard.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from review.errors import ReviewError

_WRITE_OPTION = "hydrasweep_write"
_SCHEMA_CHANGES = "hydrasweep_schema_changes"  # connection info flag, set by migrations
_AUDIT_TABLE = "audit_log"
SQLITE_BUSY_TIMEOUT_S = 30.0
IN_CHUNK = 500  # bound parameters per IN (...) list

T = TypeVar("T")


def create_queue_engine(url: str, **engine_kwargs: Any) -> Engine:
    """An engine for ``url`` with the queue's connection settings, without touching the schema."""
    parsed = sa.make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:" and not database.startswith("file:"):
            _create_private_file(Path(database).expanduser())
        engine_kwargs.setdefault("connect_args", {}).setdefault("timeout", SQLITE_BUSY_TIMEOUT_S)
        engine = sa.create_engine(parsed, **engine_kwargs)
        _configure_sqlite(engine)
        return engine
    if backend == "postgresql":
        engine_kwargs.setdefault("pool_pre_ping", True)
        if parsed.get_driver_name() == "psycopg":
            # psycopg prepares a statement run 5 times; PostgreSQL then may switch to a
            # generic plan, and for ``account_id IN (500 parameters)`` on a table just
            # filled (no statistics yet) that is a scan comparing every row with every
            # parameter: a rerun of a 20,000-account landing took 17 s instead of 10.
            engine_kwargs.setdefault("connect_args", {}).setdefault("prepare_threshold", None)
        return sa.create_engine(parsed, **engine_kwargs)
    raise ReviewError(f"unsupported queue database {backend!r}: use sqlite:/// or postgresql://")


def _create_private_file(path: Path) -> None:
    """Create the queue file (and its folder) for its owner only, before SQLite does.

    SQLite makes its -wal and -shm files with the database file's permissions,
    so they stay private too. An existing file keeps the mode it has.
    """
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    with suppress(FileExistsError):
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))


@contextmanager
def schema_changes_allowed(conn: sa.Connection) -> Iterator[None]:
    """Let this connection change the audit log's schema (migrations only)."""
    conn.info[_SCHEMA_CHANGES] = True
    try:
        yield
    finally:
        conn.info.pop(_SCHEMA_CHANGES, None)


_AUDIT_DDL = {
    sqlite3.SQLITE_CREATE_TRIGGER: 1,  # action -> which argument names the table
    sqlite3.SQLITE_CREATE_TEMP_TRIGGER: 1,
    sqlite3.SQLITE_DROP_TRIGGER: 1,
    sqlite3.SQLITE_DROP_TEMP_TRIGGER: 1,
    sqlite3.SQLITE_DROP_TABLE: 0,
    sqlite3.SQLITE_ALTER_TABLE: 1,
}


def _audit_guard(info: dict[str, Any]) -> Any:
    def authorize(action: int, arg1: str | None, arg2: str | None, *_: Any) -> int:
        if info.get(_SCHEMA_CHANGES):
            return sqlite3.SQLITE_OK
        if action == sqlite3.SQLITE_PRAGMA and (arg1 or "").lower() == "writable_schema":
            return sqlite3.SQLITE_DENY
        position = _AUDIT_DDL.get(action)
        if position is not None and ((arg1, arg2)[position] or "").lower() == _AUDIT_TABLE:
            return sqlite3.SQLITE_DENY
        return sqlite3.SQLITE_OK

    return authorize


def _configure_sqlite(engine: Engine) -> None:
    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, record: Any) -> None:
        dbapi_connection.set_authorizer(_audit_guard(record.info))
        # SQLAlchemy, not the sqlite3 module, decides when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={int(SQLITE_BUSY_TIMEOUT_S * 1000)}")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        immediate = conn.get_execution_options().get(_WRITE_OPTION, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def is_postgresql(engine: Engine | sa.Connection) -> bool:
    return engine.dialect.name == "postgresql"


@contextmanager
def write_session(engine: Engine) -> Iterator[Session]:
    """A session in one write transaction, committed when the block exits cleanly."""
    with engine.connect() as conn:
        conn.execution_options(**{_WRITE_OPTION: True})
        with Session(bind=conn, expire_on_commit=False) as session, session.begin():
            yield session


@contextmanager
def read_session(engine: Engine) -> Iterator[Session]:
    """A session for reading; nothing it does is committed."""
    with Session(bind=engine, expire_on_commit=False) as session:
        try:
            yield session
        finally:
            session.rollback()


def in_chunks(values: list[T]) -> Iterable[list[T]]:
    """``values`` in slices of ``IN_CHUNK``: one ``IN (...)`` list each."""
    for start in range(0, len(values), IN_CHUNK):
        yield values[start : start + IN_CHUNK]
