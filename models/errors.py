"""Errors of the model lifecycle whose message is the whole story for the user.

They derive from ``ModelError`` (a ``RuntimeError``) rather than the CLI's
``UserError`` because ``models`` must not import ``flows``; the CLI shows any
``ModelError`` as one line.
"""

from __future__ import annotations


class ModelError(RuntimeError):
    """A model-lifecycle failure the user can act on."""


class NoChampionError(ModelError):
    """Scoring was asked for but no model version holds the ``champion`` alias."""

    def __init__(self, model_name: str, tracking_uri: str) -> None:
        super().__init__(
            f"no model has the champion alias in '{model_name}' at {tracking_uri}: "
            "run `hydrasweep train` and `hydrasweep promote` first"
        )


class TrainingDataError(ModelError):
    """The features and labels known at the cut-off cannot train or judge a model."""


class PromotionError(ModelError):
    """Promotion or rollback cannot proceed (no challenger, nothing to roll back to)."""
