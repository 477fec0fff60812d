"""Alembic environment of the review queue.

Migrations run programmatically (``review.migrations.upgrade``), which hands
over an open connection already inside a write transaction; the plain
``alembic`` command line works too when ``sqlalchemy.url`` is set.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context

from review.engine import create_queue_engine, schema_changes_allowed
from review.tables import Base

config = context.config
target_metadata = Base.metadata


def _run(connection: sa.Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things in place; batch mode copies the table.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise SystemExit("set sqlalchemy.url (the review queue database) to run migrations")
    engine = create_queue_engine(url)
    with engine.begin() as conn, schema_changes_allowed(conn):
        _run(conn)
    engine.dispose()
