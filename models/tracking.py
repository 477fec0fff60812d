"""MLflow plumbing: where MLflow lives, tracking URI scoping, the experiment, aliases and tags.

``TrackingRef`` (tracking URI, registered model name, artifact root) is what
the flows' runtime builds once and every model stage's parameters carry.
Nothing is configured at import time (and MLflow is imported only when used):
every entry point enters ``tracking(uri)``,
which points MLflow's fluent API (and its model registry) at the given store for
the duration of the block and restores what was there before, so two stores in
one process (tests, a notebook) cannot bleed into each other.

Aliases replace the deprecated stages: ``challenger`` (the latest trained
candidate), ``champion`` (what scoring loads) and ``previous-champion`` (where
``rollback`` returns). What scoring needs besides the model, the flagging
thresholds chosen on validation data, lives in version tags under
``hydrasweep.*``; promotion decisions live under ``promotion.*``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mlflow import MlflowClient
    from mlflow.entities.model_registry import ModelVersion

CHAMPION = "champion"
CHALLENGER = "challenger"
PREVIOUS_CHAMPION = "previous-champion"

# The booster inside the registered pyfunc model (``models.served``): its artifact name.
BOOSTER_ARTIFACT = "booster"
TAG_THRESHOLD = "hydrasweep.threshold"
TAG_CORROBORATION_FLOOR = "hydrasweep.corroboration_floor"
TAG_TARGET_PRECISION = "hydrasweep.target_precision"
TAG_THRESHOLD_REACHED = "hydrasweep.threshold_reaches_target"
TAG_FEATURE_SET = "hydrasweep.feature_set"
TAG_AS_OF = "hydrasweep.as_of"
TAG_TRAIN_START = "hydrasweep.train_start"
TAG_VALIDATION_START = "hydrasweep.validation_start"
TAG_VALIDATION_END = "hydrasweep.validation_end"

TAG_DECISION = "promotion.decision"
TAG_REASON = "promotion.reason"
TAG_DECIDED_AT = "promotion.decided_at"
TAG_COMPARED_WITH = "promotion.compared_with"
TAG_REPLACED = "promotion.replaced_version"
TAG_ROLLED_BACK = "promotion.rolled_back_at"
TAG_RESTORED = "promotion.restored_at"
TAG_ROLLBACK_REASON = "promotion.rollback_reason"


@dataclass(frozen=True)
class TrackingRef:
    """Where MLflow keeps runs and the registered model; built once by the flows' runtime."""

    uri: str  # tracking (and registry) store URI
    model_name: str = "hydrasweep-extraction"
    # Absolute; the artifact location of an experiment training creates (else ./mlruns).
    artifact_root: str | None = None


class Tracked:
    """Mixin of a stage's parameters that carry a ``tracking`` reference."""

    tracking: TrackingRef

    @property
    def tracking_uri(self) -> str:
        return self.tracking.uri

    @property
    def model_name(self) -> str:
        return self.tracking.model_name


@contextlib.contextmanager
def tracking(tracking_uri: str) -> Iterator[MlflowClient]:
    """Point MLflow at ``tracking_uri`` for the block; yield a client for it."""
    import mlflow

    previous_tracking = mlflow.get_tracking_uri()
    previous_registry = mlflow.get_registry_uri()
    mlflow.set_tracking_uri(tracking_uri)
    mlflow.set_registry_uri(tracking_uri)
    try:
        yield store_client(tracking_uri)
    finally:
        mlflow.set_tracking_uri(previous_tracking)
        mlflow.set_registry_uri(previous_registry)


def store_client(tracking_uri: str) -> MlflowClient:
    """A client of one store, for tracking and registry alike (whatever is process-wide)."""
    from mlflow import MlflowClient

    return MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)


def ensure_experiment(client: MlflowClient, name: str, artifact_root: str) -> str:
    """The experiment's id, created with an absolute artifact location when new.

    Without an explicit location a SQLite store puts artifacts in ``./mlruns`` of
    whatever directory the process happens to run in.
    """
    existing = client.get_experiment_by_name(name)
    if existing is not None:
        return existing.experiment_id
    location = (
        Path(artifact_root).resolve().as_uri() if "://" not in artifact_root else artifact_root
    )
    return client.create_experiment(name, artifact_location=location)


def version_by_alias(client: MlflowClient, model_name: str, alias: str) -> ModelVersion | None:
    """The version holding ``alias``, or ``None`` when the model or the alias does not exist."""
    from mlflow.exceptions import MlflowException

    try:
        return client.get_model_version_by_alias(model_name, alias)
    except MlflowException as exc:
        if exc.error_code in ("RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE"):
            return None
        raise


def model_uri(model_name: str, version: str) -> str:
    return f"models:/{model_name}/{version}"


def champion_version(ref: TrackingRef) -> str | None:
    """The version that holds the ``champion`` alias, or ``None`` when none does."""
    version = version_by_alias(store_client(ref.uri), ref.model_name, CHAMPION)
    return None if version is None else str(version.version)
