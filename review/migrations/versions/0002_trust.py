"""Trust: member-set versions on cases and decisions, console sessions and login attempts,
a service role, a hash chain over the audit log, and on PostgreSQL an application role
that cannot change or delete audit entries.

Entries already in the log are chained in id order here (the append-only triggers
are lifted for that one update and put back). On PostgreSQL the role
``hydrasweep_queue_app`` gets what the application needs and no UPDATE, DELETE or
TRUNCATE on ``audit_log``: grant it to the login the console, the CLI and the
sweeps use (``GRANT hydrasweep_queue_app TO <login>``) and keep the migrating
owner for migrations only, since a table's owner may drop its triggers. A later
migration that adds a table grants on it too.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from __future__ import annotations

from datetime import UTC

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None

UTC_TIMESTAMP = sa.DateTime()
APP_ROLE = "hydrasweep_queue_app"
_APPEND_ONLY = "audit log is append-only"
_TABLES = (
    "users",
    "sweeps",
    "cases",
    "members",
    "sightings",
    "evidence",
    "decisions",
    "comments",
    "console_sessions",
    "login_attempts",
)


def upgrade() -> None:
    _role_check("role IN ('analyst', 'lead', 'service')")
    op.add_column(
        "cases", sa.Column("members_version", sa.Integer(), server_default="1", nullable=False)
    )
    op.add_column("cases", sa.Column("claim_members_version", sa.Integer(), nullable=True))
    op.add_column(
        "members", sa.Column("added_version", sa.Integer(), server_default="1", nullable=False)
    )
    op.add_column("decisions", sa.Column("members_version", sa.Integer(), nullable=True))
    op.create_table(
        "console_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC_TIMESTAMP, nullable=False),
        sa.Column("last_seen_at", UTC_TIMESTAMP, nullable=False),
        sa.Column("expires_at", UTC_TIMESTAMP, nullable=False),
        sa.Column("revoked_at", UTC_TIMESTAMP, nullable=True),
        sa.Column("revoked_reason", sa.String(length=32), nullable=True),
        sa.Column("address", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_console_sessions_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_console_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_console_sessions_token_hash")),
    )
    op.create_index(op.f("ix_console_sessions_user_id"), "console_sessions", ["user_id"])
    op.create_table(
        "login_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", UTC_TIMESTAMP, nullable=False),
        sa.Column("user_name", sa.String(length=64), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("succeeded", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_attempts")),
    )
    op.create_index(op.f("ix_login_attempts_user_name_at"), "login_attempts", ["user_name", "at"])
    op.create_index(op.f("ix_login_attempts_address_at"), "login_attempts", ["address", "at"])
    op.add_column("audit_log", sa.Column("prev_hash", sa.String(length=64), nullable=True))
    op.add_column("audit_log", sa.Column("entry_hash", sa.String(length=64), nullable=True))
    _drop_append_only_triggers()
    _chain_existing_entries()
    # On SQLite this copies the table, which takes its triggers along: they are made again.
    with op.batch_alter_table("audit_log") as batch:
        batch.alter_column("prev_hash", existing_type=sa.String(length=64), nullable=False)
        batch.alter_column("entry_hash", existing_type=sa.String(length=64), nullable=False)
    _create_append_only_triggers()
    if op.get_bind().dialect.name == "postgresql":
        _grant_app_role()


def _role_check(condition: str) -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_constraint(op.f("ck_users_role"), type_="check")
        batch.create_check_constraint(op.f("ck_users_role"), condition)


def _chain_existing_entries() -> None:
    """Hash the entries the log already holds, oldest first, under lifted triggers."""
    from review.audit import GENESIS, chain_hash  # the chain's format, version 1

    bind = op.get_bind()
    log = sa.table(
        "audit_log",
        sa.column("id"),
        sa.column("at", sa.DateTime()),
        *(sa.column(name) for name in ("actor", "action", "case_id")),
        sa.column("before", sa.JSON()),
        sa.column("after", sa.JSON()),
        sa.column("detail", sa.JSON()),
        sa.column("prev_hash"),
        sa.column("entry_hash"),
    )
    tip = GENESIS
    for row in bind.execute(sa.select(log).order_by(log.c.id)).mappings().all():
        at = row["at"] if row["at"].tzinfo else row["at"].replace(tzinfo=UTC)
        entry_hash = chain_hash(tip, {**row, "at": at})
        bind.execute(
            log.update().where(log.c.id == row["id"]).values(prev_hash=tip, entry_hash=entry_hash)
        )
        tip = entry_hash


def _drop_append_only_triggers() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only")
    else:
        op.execute("DROP TRIGGER audit_log_no_update")
        op.execute("DROP TRIGGER audit_log_no_delete")


# The SQLite triggers of revision 0001, as they were written there.
_SQLITE_TRIGGERS = [
    "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
    f"BEGIN SELECT RAISE(ABORT, '{_APPEND_ONLY}'); END",
    "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log "
    f"BEGIN SELECT RAISE(ABORT, '{_APPEND_ONLY}'); END",
]


def _create_append_only_triggers() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only")
        return
    for statement in _SQLITE_TRIGGERS:
        op.execute(statement)


def _grant_app_role() -> None:
    """The application's role: everything it needs, and no way to change audit entries.

    Creating a role needs CREATEROLE; a migrating login without it (a managed
    database) leaves the role to the operator, and the grants follow once it exists.
    """
    tables = ", ".join(_TABLES)
    op.execute(
        f"""
        DO $$
        BEGIN
            IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN
                BEGIN
                    CREATE ROLE {APP_ROLE} NOLOGIN;
                EXCEPTION
                    WHEN duplicate_object OR unique_violation THEN NULL;  -- a concurrent migration
                    WHEN insufficient_privilege THEN
                        RAISE NOTICE 'cannot create role {APP_ROLE}: create it, then rerun';
                        RETURN;
                END;
            END IF;
            EXECUTE format('GRANT USAGE ON SCHEMA %I TO {APP_ROLE}', current_schema());
            EXECUTE 'GRANT SELECT, INSERT, UPDATE, DELETE ON {tables} TO {APP_ROLE}';
            EXECUTE 'GRANT SELECT, INSERT ON audit_log TO {APP_ROLE}';
            EXECUTE 'GRANT SELECT ON alembic_version TO {APP_ROLE}';
            EXECUTE format(
                'GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA %I TO {APP_ROLE}', current_schema()
            );
        END
        $$
        """
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"""
            DO $$
            BEGIN
                IF EXISTS (SELECT FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN
                    EXECUTE 'REVOKE ALL ON {", ".join(_TABLES)}, audit_log, alembic_version
                             FROM {APP_ROLE}';
                    EXECUTE format(
                        'REVOKE ALL ON ALL SEQUENCES IN SCHEMA %I FROM {APP_ROLE}', current_schema()
                    );
                    EXECUTE format('REVOKE USAGE ON SCHEMA %I FROM {APP_ROLE}', current_schema());
                END IF;
            END
            $$
            """
        )
    with op.batch_alter_table("audit_log", recreate="never") as batch:
        batch.drop_column("entry_hash")
        batch.drop_column("prev_hash")
    op.drop_table("login_attempts")
    op.drop_table("console_sessions")
    op.drop_column("decisions", "members_version")
    op.drop_column("members", "added_version")
    op.drop_column("cases", "claim_members_version")
    op.drop_column("cases", "members_version")
    op.execute("DELETE FROM users WHERE role = 'service'")
    _role_check("role IN ('analyst', 'lead')")
