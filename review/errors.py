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


class InvalidDecision(ReviewError):
    """A decision, escalation or comment is incomplete (no reason, unknown account)."""


class PermissionDenied(ReviewError):
    """The user's role does not allow this."""


class LandingError(ReviewError):
    """A sweep's landing data is malformed."""
