"""Alembic migrations of the review queue, run programmatically.

``upgrade(engine)`` brings a database to the newest revision inside one write
transaction. On PostgreSQL an advisory lock makes concurrent starters (a
console and a sweep) wait for each other instead of racing to create tables;
on SQLite the write transaction's ``BEGIN IMMEDIATE`` does the same.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

from review.engine import is_postgresql, schema_changes_allowed, write_session

MIGRATIONS_DIR = Path(__file__).resolve().parent
# Any constant works; it only has to be the same for every process migrating the queue.
_PG_MIGRATION_LOCK = 0x68796472  # "hydr"


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "the review queue has no migrations"
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate the queue at ``engine`` to ``revision`` (no-op when already there)."""
    if revision == "head" and current_revision(engine) == head_revision():
        return
    with write_session(engine) as session:
        conn = session.connection()
        if is_postgresql(conn):
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK})
        with schema_changes_allowed(conn):
            command.upgrade(_config_on(conn), revision)


def downgrade(engine: Engine, revision: str) -> None:
    with write_session(engine) as session:
        conn = session.connection()
        with schema_changes_allowed(conn):
            command.downgrade(_config_on(conn), revision)


def _config_on(conn: sa.Connection) -> Config:
    config = alembic_config()
    config.attributes["connection"] = conn
    return config
