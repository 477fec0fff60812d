"""The review queue's tables as SQLAlchemy 2 declarative models.

One ``Case`` per hydra cluster (or per lone flagged account); its ``Member``
rows are the accounts, each with one ``Sighting`` per sweep day that flagged
it, so totals are recomputed from sightings and a rerun of a day replaces that
day's rows instead of adding to them. ``Evidence`` holds what a sweep saw of a
cluster on a day (linking entities, volume and timing, sample prompts);
``Decision`` and ``Comment`` are the analysts' work, and ``AuditEntry`` is the
append-only log (the migration adds triggers that refuse UPDATE and DELETE).
The schema itself is created by the Alembic migrations in
``review/migrations``, never by ``create_all``; a test checks the two agree.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from review.vocabulary import (
    ACCOUNT_OUTCOMES,
    CaseStatus,
    CommentKind,
    DeliveryStatus,
    EnforcementKind,
    Outcome,
    Role,
    sql_in_list,
)

# JSONB on PostgreSQL (indexable, compact), plain JSON text on SQLite.
JsonType = sa.JSON().with_variant(JSONB(), "postgresql")


def utcnow() -> datetime:
    return datetime.now(UTC)


E = TypeVar("E", bound=StrEnum)


class EnumText(sa.TypeDecorator[E]):
    """A ``StrEnum`` stored as its value in a short text column, read back as the member.

    A plain string column underneath (the check constraints list the values), so
    the schema is the same text on every backend and migrations compare cleanly.
    """

    impl = sa.String
    cache_ok = True

    def __init__(self, enum: type[E], length: int = 16) -> None:
        super().__init__(length)
        self.enum = enum

    def process_bind_param(self, value: E | str | None, dialect: sa.Dialect) -> str | None:
        return None if value is None else self.enum(value).value

    def process_result_value(self, value: str | None, dialect: sa.Dialect) -> E | None:
        return None if value is None else self.enum(value)


class UtcDateTime(sa.TypeDecorator[datetime]):
    """Timestamps stored as naive UTC on every backend, returned timezone-aware.

    SQLite has no time zone type; storing naive UTC everywhere keeps comparisons
    (claim expiry) identical on SQLite and PostgreSQL.
    """

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: the queue stores UTC, pass an aware time")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    metadata = sa.MetaData(
        naming_convention={
            "ix": "ix_%(table_name)s_%(column_0_N_name)s",
            "uq": "uq_%(table_name)s_%(column_0_N_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


class User(Base):
    """A person (analyst, lead) or a service identity; the console and the CLI both log in."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(64), unique=True)
    role: Mapped[Role] = mapped_column(EnumText(Role))
    password_hash: Mapped[str] = mapped_column(sa.String(256))
    disabled: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())

    __table_args__ = (sa.CheckConstraint(sql_in_list("role", Role), name="role"),)


class Sweep(Base):
    """One row per sweep day; a rerun of the day updates it."""

    __tablename__ = "sweeps"

    id: Mapped[int] = mapped_column(primary_key=True)
    sweep_date: Mapped[date] = mapped_column(sa.Date, unique=True)
    run_id: Mapped[str] = mapped_column(sa.String(128))
    model_version: Mapped[str] = mapped_column(sa.String(128))
    stats: Mapped[dict[str, Any]] = mapped_column(JsonType)
    accounts_flagged: Mapped[int]
    clusters_flagged: Mapped[int]
    land_count: Mapped[int] = mapped_column(default=1)
    first_landed_at: Mapped[datetime] = mapped_column(UtcDateTime())
    landed_at: Mapped[datetime] = mapped_column(UtcDateTime())


class DayLease(Base):
    """Which sweep holds a lake day: two sweeps of one day must not interleave.

    They would share the day's staging folders, its ``status.json`` and its
    landing. A lease lapses at ``expires_at`` unless its holder renews it, so a
    sweep that died frees its days (``review.leases``).
    """

    __tablename__ = "day_leases"

    lake: Mapped[str] = mapped_column(sa.String(500), primary_key=True)
    day: Mapped[date] = mapped_column(sa.Date, primary_key=True)
    holder: Mapped[str] = mapped_column(sa.String(200))
    acquired_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())


class Case(Base):
    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(300))
    cluster_id: Mapped[str | None] = mapped_column(sa.String(200))
    status: Mapped[CaseStatus] = mapped_column(EnumText(CaseStatus))
    escalated: Mapped[bool] = mapped_column(default=False)
    # Priority = risk x volume: the highest member score times output tokens seen.
    risk: Mapped[float] = mapped_column(sa.Double)
    output_tokens: Mapped[int] = mapped_column(sa.BigInteger)
    requests: Mapped[int] = mapped_column(sa.BigInteger)
    priority: Mapped[float] = mapped_column(sa.Double)
    accounts_count: Mapped[int]
    customers_count: Mapped[int]
    first_seen: Mapped[date] = mapped_column(sa.Date)
    last_seen: Mapped[date] = mapped_column(sa.Date)
    # The sweep day the case entered the open queue (the daily intake cap counts these).
    intake_date: Mapped[date | None] = mapped_column(sa.Date)
    claimed_by: Mapped[str | None] = mapped_column(sa.String(64))
    claimed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    claim_expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    outcome: Mapped[Outcome | None] = mapped_column(EnumText(Outcome))
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    closed_by: Mapped[str | None] = mapped_column(sa.String(64))
    # What the case looked like when it was closed, to judge "materially new" evidence.
    closed_through_date: Mapped[date | None] = mapped_column(sa.Date)
    closed_members: Mapped[int | None]
    closed_output_tokens: Mapped[int | None] = mapped_column(sa.BigInteger)
    reopen_count: Mapped[int] = mapped_column(default=0)
    # Raised whenever an account joins or leaves the case: a decision names the
    # version its reviewer saw and is refused when the members changed since.
    members_version: Mapped[int] = mapped_column(default=1, server_default="1")
    # The version the current claim showed (the CLI prints the case on claim).
    claim_members_version: Mapped[int | None]
    # Evidence families its members' reasons named (",family,family,"), for list filters.
    evidence_families: Mapped[str] = mapped_column(sa.String(400), default="", server_default="")
    # The model version of the latest sweep that landed evidence on it.
    model_version: Mapped[str | None] = mapped_column(sa.String(128))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())

    members: Mapped[list[Member]] = relationship(
        back_populates="case", order_by="Member.account_id", cascade="all, delete-orphan"
    )

    __table_args__ = (
        sa.CheckConstraint(sql_in_list("status", CaseStatus), name="status"),
        sa.CheckConstraint("outcome IS NULL OR " + sql_in_list("outcome", Outcome), name="outcome"),
        sa.Index(None, "status", "priority"),
    )


class Member(Base):
    """A flagged account inside a case; totals come from its sightings."""

    __tablename__ = "members"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"))
    account_id: Mapped[str] = mapped_column(sa.String(200), index=True)
    customer_id: Mapped[str | None] = mapped_column(sa.String(200))
    score: Mapped[float] = mapped_column(sa.Double)
    max_score: Mapped[float] = mapped_column(sa.Double)
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JsonType)
    cluster_id: Mapped[str | None] = mapped_column(sa.String(200))
    first_seen: Mapped[date] = mapped_column(sa.Date)
    last_seen: Mapped[date] = mapped_column(sa.Date)
    output_tokens: Mapped[int] = mapped_column(sa.BigInteger)
    requests: Mapped[int] = mapped_column(sa.BigInteger)
    outcome: Mapped[Outcome | None] = mapped_column(EnumText(Outcome))
    decision_id: Mapped[int | None] = mapped_column(sa.ForeignKey("decisions.id"))
    added_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # The case's members_version that this account's arrival made.
    added_version: Mapped[int] = mapped_column(default=1, server_default="1")

    case: Mapped[Case] = relationship(back_populates="members")
    sightings: Mapped[list[Sighting]] = relationship(
        back_populates="member", order_by="Sighting.sweep_date", cascade="all, delete-orphan"
    )

    __table_args__ = (
        sa.UniqueConstraint("case_id", "account_id"),
        sa.CheckConstraint(
            "outcome IS NULL OR " + sql_in_list("outcome", ACCOUNT_OUTCOMES), name="outcome"
        ),
    )


class Sighting(Base):
    """One sweep day's flag of one member: a rerun of the day replaces these rows."""

    __tablename__ = "sightings"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id", ondelete="CASCADE"))
    sweep_date: Mapped[date] = mapped_column(sa.Date, index=True)
    cluster_id: Mapped[str | None] = mapped_column(sa.String(200))
    score: Mapped[float] = mapped_column(sa.Double)
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JsonType)
    output_tokens: Mapped[int] = mapped_column(sa.BigInteger)
    requests: Mapped[int] = mapped_column(sa.BigInteger)
    # The account's requests per UTC hour that day (24 values; empty when not handed over).
    hourly_requests: Mapped[list[int] | None] = mapped_column(JsonType)

    member: Mapped[Member] = relationship(back_populates="sightings")

    __table_args__ = (sa.UniqueConstraint("member_id", "sweep_date"),)


class MemberLink(Base):
    """An entity that linked a member into its cluster (a payment fingerprint, an IP prefix).

    Links accumulate over the days that showed them; they drive per-entity
    decisions, the cluster graph, related cases and enforcement actions.
    """

    __tablename__ = "member_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id", ondelete="CASCADE"))
    entity_type: Mapped[str] = mapped_column(sa.String(32))
    entity_value: Mapped[str] = mapped_column(sa.String(200))
    first_seen: Mapped[date] = mapped_column(sa.Date)
    last_seen: Mapped[date] = mapped_column(sa.Date)
    # Customers holding the entity inside the member's block on the latest sweep that
    # showed it (an org counts once; none when the sweep did not say).
    customers: Mapped[int | None] = mapped_column(nullable=True)
    # ISO dates the member used it (exit addresses and prefixes), the latest
    # ``LINK_DAYS_KEPT`` of every sweep's week; none for entities without a day.
    days: Mapped[list[str] | None] = mapped_column(JsonType, nullable=True)

    __table_args__ = (
        sa.UniqueConstraint("member_id", "entity_type", "entity_value"),
        sa.Index(None, "case_id", "entity_type", "entity_value"),
        sa.Index(None, "entity_type", "entity_value"),
    )


class Evidence(Base):
    """What one sweep day saw of one cluster (or lone account) of a case."""

    __tablename__ = "evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    sweep_date: Mapped[date] = mapped_column(sa.Date)
    # "cluster:<id>" or "account:<id>": unique per day, whichever case it landed in.
    group_key: Mapped[str] = mapped_column(sa.String(220))
    cluster_id: Mapped[str | None] = mapped_column(sa.String(200))
    accounts_count: Mapped[int]
    customers_count: Mapped[int]
    requests: Mapped[int] = mapped_column(sa.BigInteger)
    output_tokens: Mapped[int] = mapped_column(sa.BigInteger)
    entities: Mapped[list[dict[str, Any]]] = mapped_column(JsonType)
    hourly_requests: Mapped[list[int]] = mapped_column(JsonType)
    sample_prompts: Mapped[list[str]] = mapped_column(JsonType)
    sample_system_prompts: Mapped[list[str]] = mapped_column(JsonType)
    extra: Mapped[dict[str, Any]] = mapped_column(JsonType)

    __table_args__ = (sa.UniqueConstraint("sweep_date", "group_key"),)


class Decision(Base):
    __tablename__ = "decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    reviewer: Mapped[str] = mapped_column(sa.String(64))
    outcome: Mapped[Outcome] = mapped_column(EnumText(Outcome))
    reason: Mapped[str] = mapped_column(sa.Text)
    # account_id -> abuse | legitimate for every member at decision time.
    account_outcomes: Mapped[dict[str, str]] = mapped_column(JsonType)
    # The case's members_version the reviewer decided on (None: before versions existed).
    members_version: Mapped[int | None]
    decided_at: Mapped[datetime] = mapped_column(UtcDateTime())

    __table_args__ = (sa.CheckConstraint(sql_in_list("outcome", Outcome), name="outcome"),)


class Comment(Base):
    """Free text on a case: comments, escalation reasons, reassignment notes."""

    __tablename__ = "comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    author: Mapped[str] = mapped_column(sa.String(64))
    kind: Mapped[CommentKind] = mapped_column(EnumText(CommentKind))
    body: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class AuditEntry(Base):
    """Append-only: who did what to which case, with the state before and after.

    ``case_id`` is deliberately not a foreign key: the log must outlive anything
    it describes. Each entry carries the previous entry's hash and its own
    (``review.audit``), so an edit or a removal shows on any database.
    """

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    actor: Mapped[str] = mapped_column(sa.String(64))
    action: Mapped[str] = mapped_column(sa.String(64))
    case_id: Mapped[int | None] = mapped_column(index=True)
    before: Mapped[dict[str, Any] | None] = mapped_column(JsonType)
    after: Mapped[dict[str, Any] | None] = mapped_column(JsonType)
    detail: Mapped[dict[str, Any] | None] = mapped_column(JsonType)
    prev_hash: Mapped[str] = mapped_column(sa.String(64))
    entry_hash: Mapped[str] = mapped_column(sa.String(64))


class ConsoleSession(Base):
    """A console login: the cookie holds a random token, this row its SHA-256.

    Logging out, a password change and disabling the user revoke it; it also
    ends after ``idle`` without a request and at ``expires_at`` whatever happens.
    """

    __tablename__ = "console_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    revoked_reason: Mapped[str | None] = mapped_column(sa.String(32))
    address: Mapped[str | None] = mapped_column(sa.String(64))


class LoginAttempt(Base):
    """One login try (console or CLI), kept for throttling by user and by address."""

    __tablename__ = "login_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    user_name: Mapped[str] = mapped_column(sa.String(64))
    address: Mapped[str] = mapped_column(sa.String(64))
    succeeded: Mapped[bool]

    __table_args__ = (sa.Index(None, "user_name", "at"), sa.Index(None, "address", "at"))


class EnforcementAction(Base):
    """One action for the account system (the outbox), written with the decision behind it.

    A dispatcher delivers due actions to a webhook, signed, with the idempotency
    key; failures are retried with backoff until ``max_attempts``, then the
    action is dead (shown to leads). ``release_at`` is delayed by a random
    amount per case, so a ban cannot be tied to the detection that caused it.
    A reversal is an action of its own that names the one it undoes.
    """

    __tablename__ = "enforcement_actions"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    decision_id: Mapped[int | None] = mapped_column(sa.ForeignKey("decisions.id"))
    action: Mapped[EnforcementKind] = mapped_column(EnumText(EnforcementKind, 32))
    target_type: Mapped[str] = mapped_column(sa.String(32))
    target: Mapped[str] = mapped_column(sa.String(200))
    idempotency_key: Mapped[str] = mapped_column(sa.String(64), unique=True)
    reverses_id: Mapped[int | None] = mapped_column(sa.ForeignKey("enforcement_actions.id"))
    status: Mapped[DeliveryStatus] = mapped_column(EnumText(DeliveryStatus))
    attempts: Mapped[int] = mapped_column(default=0)
    release_at: Mapped[datetime] = mapped_column(UtcDateTime())
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime())
    lease_until: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_error: Mapped[str | None] = mapped_column(sa.String(500))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    __table_args__ = (sa.Index(None, "status", "next_attempt_at"),)
