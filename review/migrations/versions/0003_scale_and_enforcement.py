"""Scale and enforcement: member links (the entities that tie accounts together), each
sighting's hourly activity, cases' evidence families and model version, and the
enforcement outbox.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
UTC_TIMESTAMP = sa.DateTime()
APP_ROLE = "hydrasweep_queue_app"
_NEW_TABLES = "member_links, enforcement_actions"


def upgrade() -> None:
    op.add_column(
        "cases", sa.Column("evidence_families", sa.String(400), server_default="", nullable=False)
    )
    op.add_column("cases", sa.Column("model_version", sa.String(128), nullable=True))
    op.add_column("sightings", sa.Column("hourly_requests", JSON, nullable=True))
    op.create_table(
        "member_links",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("entity_type", sa.String(32), nullable=False),
        sa.Column("entity_value", sa.String(200), nullable=False),
        sa.Column("first_seen", sa.Date(), nullable=False),
        sa.Column("last_seen", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name=op.f("fk_member_links_case_id_cases"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_member_links_member_id_members"),
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint(
            "member_id",
            "entity_type",
            "entity_value",
            name=op.f("uq_member_links_member_id_entity_type_entity_value"),
        ),
    )
    op.create_index(
        op.f("ix_member_links_case_id_entity_type_entity_value"),
        "member_links",
        ["case_id", "entity_type", "entity_value"],
    )
    op.create_index(
        op.f("ix_member_links_entity_type_entity_value"),
        "member_links",
        ["entity_type", "entity_value"],
    )
    op.create_table(
        "enforcement_actions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "case_id", sa.Integer(), sa.ForeignKey("cases.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("decision_id", sa.Integer(), sa.ForeignKey("decisions.id")),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("target_type", sa.String(32), nullable=False),
        sa.Column("target", sa.String(200), nullable=False),
        sa.Column("idempotency_key", sa.String(64), nullable=False, unique=True),
        sa.Column("reverses_id", sa.Integer(), sa.ForeignKey("enforcement_actions.id")),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("release_at", UTC_TIMESTAMP, nullable=False),
        sa.Column("next_attempt_at", UTC_TIMESTAMP, nullable=False),
        sa.Column("lease_until", UTC_TIMESTAMP, nullable=True),
        sa.Column("last_error", sa.String(500), nullable=True),
        sa.Column("created_at", UTC_TIMESTAMP, nullable=False),
        sa.Column("delivered_at", UTC_TIMESTAMP, nullable=True),
    )
    op.create_index(op.f("ix_enforcement_actions_case_id"), "enforcement_actions", ["case_id"])
    op.create_index(
        op.f("ix_enforcement_actions_status_next_attempt_at"),
        "enforcement_actions",
        ["status", "next_attempt_at"],
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"""
            DO $$
            BEGIN
                IF EXISTS (SELECT FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN
                    EXECUTE 'GRANT SELECT, INSERT, UPDATE, DELETE ON {_NEW_TABLES} TO {APP_ROLE}';
                    EXECUTE format(
                        'GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA %I TO {APP_ROLE}',
                        current_schema()
                    );
                END IF;
            END
            $$
            """
        )


def downgrade() -> None:
    op.drop_table("enforcement_actions")
    op.drop_table("member_links")
    op.drop_column("sightings", "hourly_requests")
    op.drop_column("cases", "model_version")
    op.drop_column("cases", "evidence_families")
