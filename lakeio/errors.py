"""Errors raised by lake I/O, with messages meant for a person."""

from __future__ import annotations


class LakeError(RuntimeError):
    """A lake operation failed for a reason the user can act on."""
