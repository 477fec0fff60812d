"""Errors of the review queue, with messages meant for the analyst who hit them.

The CLI turns them into one line (``flows.errors.UserError``); the console
shows them as a notice on the page.
"""

from __future__ import annotations


class ReviewError(RuntimeError):
    """A queue operation was refused for a reason the user can act on."""


class CaseNotFound(ReviewError):
    """No case has that id."""


class ClaimConflict(ReviewError):
    """The case is not in a state this reviewer may act on (claimed by someone else, closed)."""


class MembersChanged(ClaimConflict):
    """A decision named a member set the case no longer has (a landing changed it since)."""

    def __init__(self, case_id: int, seen: int, now: int, joined: list[str], members: int) -> None:
        self.case_id, self.seen, self.now, self.joined = case_id, seen, now, joined
        shown = ", ".join(joined[:10]) + (
            f" and {len(joined) - 10} more" if len(joined) > 10 else ""
        )
        change = f"{len(joined)} joined ({shown})" if joined else "some left"
        super().__init__(
            f"the accounts of case {case_id} changed since you saw them (version {seen}, "
            f"now {now}: {change}; {members} accounts now): read the case again, then decide"
        )


class InvalidDecision(ReviewError):
    """A decision, escalation or comment is incomplete (no reason, unknown account)."""


class PermissionDenied(ReviewError):
    """The user's role does not allow this."""


class LandingError(ReviewError):
    """A sweep's landing data is malformed."""
