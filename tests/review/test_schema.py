"""The Alembic migrations build exactly the schema the models declare, on both databases."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Engine

from review.db import open_queue
from review.migrations import current_revision, downgrade, head_revision, upgrade
from review.tables import Base


def test_migrations_match_the_models(queue: Engine) -> None:
    with queue.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []
    assert current_revision(queue) == head_revision()


def test_opening_twice_is_a_no_op_and_downgrade_round_trips(queue_url: str) -> None:
    engine = open_queue(queue_url)
    open_queue(queue_url).dispose()
    downgrade(engine, "base")
    assert current_revision(engine) is None
    assert "cases" not in sa.inspect(engine).get_table_names()
    upgrade(engine)
    assert {"cases", "members", "sightings", "evidence", "audit_log"} <= set(
        sa.inspect(engine).get_table_names()
    )
    engine.dispose()


def test_sqlite_queue_uses_wal_and_foreign_keys(sqlite_queue: Engine) -> None:
    with sqlite_queue.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


@pytest.mark.postgres
def test_postgresql_queue_plans_each_statement_for_its_values(postgres_url: str) -> None:
    # Prepared statements get generic plans, which scan a freshly landed table
    # comparing each row with every value of a 500-value IN list.
    engine = open_queue(postgres_url)
    try:
        with engine.connect() as conn:
            assert conn.connection.driver_connection.prepare_threshold is None
    finally:
        engine.dispose()
