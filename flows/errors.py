"""Errors whose message is the whole story for the user (no type name needed)."""

from __future__ import annotations


class UserError(RuntimeError):
    """A failure the user can act on: bad input, a day not ready, no champion model."""
