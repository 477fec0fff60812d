"""Errors a job raises when it stops for a reason a person can act on.

``JobError`` messages are one readable line (the CLI shows them as they are);
the flows catch ``JobError`` and present it like any other user-facing error.
"""

from __future__ import annotations


class JobError(RuntimeError):
    """A job refused or stopped its work; ``str(error)`` is the whole story in one line."""
