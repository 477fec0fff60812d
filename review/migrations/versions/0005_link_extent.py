"""Member links say how far they reach: the customers holding the entity inside the
block, and the days the member used it.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    # Links landed before stay without them (null): the sweeps of their days did not say.
    op.add_column("member_links", sa.Column("customers", sa.Integer(), nullable=True))
    op.add_column("member_links", sa.Column("days", JSON, nullable=True))


def downgrade() -> None:
    op.drop_column("member_links", "days")
    op.drop_column("member_links", "customers")
