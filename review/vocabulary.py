"""The queue's words, spelled once: case statuses, outcomes, roles, comment kinds, audit actions.

Every table, the service, the console, the CLI and the tests name these
members, never the bare strings. They are ``StrEnum``s, so a member is its
value wherever text is expected (a database column, JSON, a form field, a
command-line choice). This module imports nothing heavy: the CLI builds its
options from it before any database library is loaded.
"""

from __future__ import annotations

from enum import StrEnum


class CaseStatus(StrEnum):
    """Where a case is in its life: backlog, queue, someone's hands, a lead's, done."""

    DEFERRED = "deferred"  # over the daily intake cap, waiting in the backlog
    OPEN = "open"
    CLAIMED = "claimed"
    ESCALATED = "escalated"
    CLOSED = "closed"
    WITHDRAWN = "withdrawn"  # a rerun of its sweep no longer flags anything in it

    @property
    def phrase(self) -> str:
        """How a refusal names this status to the analyst."""
        return _STATUS_PHRASES.get(self, self.value)


_STATUS_PHRASES = {
    CaseStatus.DEFERRED: "in the backlog (over the daily intake cap), not yet open",
    CaseStatus.WITHDRAWN: "withdrawn (a rerun of its sweep no longer flags it)",
    CaseStatus.OPEN: "open, not claimed",
}

# Cases someone still has to work (a landing attaches new evidence to these first).
ACTIVE_STATUSES = frozenset(
    {CaseStatus.DEFERRED, CaseStatus.OPEN, CaseStatus.CLAIMED, CaseStatus.ESCALATED}
)
# Cases in the analysts' queue (the "active" filter of the list).
WORKING_STATUSES = frozenset({CaseStatus.OPEN, CaseStatus.CLAIMED, CaseStatus.ESCALATED})


class CaseFilter(StrEnum):
    """Which cases a list shows: one status, the working queue, or everything."""

    OPEN = "open"
    CLAIMED = "claimed"
    ESCALATED = "escalated"
    DEFERRED = "deferred"
    CLOSED = "closed"
    WITHDRAWN = "withdrawn"
    ACTIVE = "active"
    ALL = "all"

    @property
    def statuses(self) -> frozenset[CaseStatus] | None:
        """The statuses it keeps (None: no filter)."""
        if self is CaseFilter.ALL:
            return None
        if self is CaseFilter.ACTIVE:
            return WORKING_STATUSES
        return frozenset({CaseStatus(self.value)})


class CaseSort(StrEnum):
    """How a case list is ordered (largest, latest first; ties by case id)."""

    PRIORITY = "priority"  # risk x output tokens
    LAST_SEEN = "last_seen"
    FIRST_SEEN = "first_seen"
    SIZE = "size"  # accounts
    TOKENS = "tokens"
    SCORE = "score"  # the strongest member score


class Outcome(StrEnum):
    """A decision's outcome; a case is mixed when its accounts got different ones."""

    ABUSE = "abuse"
    LEGITIMATE = "legitimate"
    MIXED = "mixed"


# What one account can be labelled (the contract's label 1 and 0).
ACCOUNT_OUTCOMES = (Outcome.ABUSE, Outcome.LEGITIMATE)


class Role(StrEnum):
    """Queue users: analysts work cases; leads also take escalated cases,
    reassign and read the audit log; a service identity (a script, a scheduled
    export) only reads and exports, and never logs in to the console."""

    ANALYST = "analyst"
    LEAD = "lead"
    SERVICE = "service"


# The roles of people, who log in to the console and work cases.
PERSON_ROLES = (Role.ANALYST, Role.LEAD)


class CommentKind(StrEnum):
    COMMENT = "comment"
    ESCALATION = "escalation"
    REASSIGN = "reassign"


class AuditAction(StrEnum):
    """What an audit entry records."""

    CASE_CREATED = "case.created"
    CASE_UPDATED = "case.updated"
    CASE_REOPENED = "case.reopened"
    CASE_WITHDRAWN = "case.withdrawn"
    CASE_CLAIMED = "case.claimed"
    CASE_RELEASED = "case.released"
    CASE_REASSIGNED = "case.reassigned"
    CASE_DECIDED = "case.decided"
    CASE_ESCALATED = "case.escalated"
    CASE_COMMENTED = "case.commented"
    SWEEP_LANDED = "sweep.landed"
    USER_ADDED = "user.added"
    USER_UPDATED = "user.updated"
    USER_DISABLED = "user.disabled"
    USER_ENABLED = "user.enabled"
    LOGIN = "auth.login"
    LOGIN_FAILED = "auth.login_failed"
    LOGIN_THROTTLED = "auth.login_throttled"
    LOGOUT = "auth.logout"
    DENIED = "auth.denied"
    EXPORT_FLAGGED = "export.flagged"
    EXPORT_LABELS = "export.labels"
    EXPORT_CASE = "export.case"
    EXPORT_INDICATORS = "export.indicators"
    CASES_BULK = "case.bulk"
    ENFORCEMENT_REVERSED = "enforcement.reversed"
    ENFORCEMENT_RETRIED = "enforcement.retried"


class EnforcementKind(StrEnum):
    """What the account system is asked to do (and to undo)."""

    SUSPEND_ACCOUNT = "suspend_account"
    REVOKE_API_KEYS = "revoke_api_keys"
    BLOCK_PAYMENT = "block_payment_fingerprint"
    BLOCK_SIGNUPS_FROM = "block_signups_from_network"
    UNDO = "undo"


class DeliveryStatus(StrEnum):
    PENDING = "pending"  # waiting for its release time or its next try
    SENDING = "sending"  # a dispatcher holds it (a lease)
    DELIVERED = "delivered"
    DEAD = "dead"  # gave up after the last try: a lead retries or cancels it
    CANCELLED = "cancelled"  # undone before it was ever sent


def sql_in_list(column: str, values: tuple[StrEnum, ...] | type[StrEnum]) -> str:
    """``column IN ('a', 'b')`` for a check constraint (values are ours, never user text)."""
    return f"{column} IN ({', '.join(repr(str(v)) for v in values)})"
