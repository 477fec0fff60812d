"""Runtime configuration: flags, then environment variables, then defaults.

The one place that reads the process environment. Defaults work on a laptop
with nothing running: a lake folder, a SQLite review queue and a SQLite MLflow
store under ``./.hydrasweep`` and a ``local[*]`` Spark master. Commands build a
``Settings`` with ``load_settings(**flags)``; flags that were not given are
``None`` and fall through to the environment, then to the defaults.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_HOME = Path(".hydrasweep")

# Telemetry our dependencies send by default; the product runs offline, so it is
# switched off unless the user set these variables themselves.
_OFFLINE_DEFAULTS = {
    "DO_NOT_TRACK": "true",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "GX_ANALYTICS_ENABLED": "false",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "60",
    # A model load is a download: its progress bars would fill a sweep's log.
    "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false",
}


class Settings(BaseSettings):
    """Everything a command needs to know about where things live."""

    model_config = SettingsConfigDict(env_prefix="HYDRASWEEP_", extra="ignore", frozen=True)

    home: Path = Field(
        default=DEFAULT_HOME,
        description="Folder for the default lake, databases and Spark scratch space.",
    )
    lake: str | None = Field(
        default=None, description="Lake root URI: a folder, file:// or s3://bucket/prefix."
    )
    queue_url: str | None = Field(
        default=None, description="SQLAlchemy URL of the review queue database."
    )
    mlflow_tracking_uri: str | None = Field(
        default=None,
        validation_alias=AliasChoices("MLFLOW_TRACKING_URI", "mlflow_tracking_uri"),
        description="MLflow tracking store URI.",
    )
    spark_master: str = Field(
        default="local[*]", description="Spark master URL, or sc://host:port for Spark Connect."
    )
    spark_driver_memory: str = Field(default="4g", description="spark.driver.memory.")
    spark_shuffle_partitions: int = Field(default=8, ge=1)
    spark_adaptive: bool = Field(
        default=False,
        description="spark.sql.adaptive.enabled (adaptive query execution; jobs.session).",
    )
    spark_dataframe_debugging: bool = Field(
        default=False,
        description=(
            "spark.python.sql.dataFrameDebugging.enabled: Python call sites in the "
            "DataFrame context of Spark's error messages, at a Py4J round trip per "
            "DataFrame call (jobs.session)."
        ),
    )
    spark_s3a: bool = Field(
        default=False,
        description=(
            "Read and write s3:// lakes directly as s3a:// from Spark (a real cluster with "
            "hadoop-aws jars). Off: stage objects through a local folder with boto3."
        ),
    )
    model_name: str = Field(default="hydrasweep-extraction", description="MLflow registered model.")
    max_bad_line_share: float = Field(default=0.05, ge=0.0, le=1.0)
    local_validation_rows: int = Field(
        default=1_500_000,
        ge=0,
        description=(
            "Days up to this many curated rows are validated by GX on the driver in pandas "
            "(about 1 KB of driver memory a row); larger ones by GX on Spark."
        ),
    )
    signal_engine: Literal["auto", "hyperscan", "spark"] = Field(
        default="auto",
        description=(
            "What decides the prompt signals: hyperscan (one pass per prompt in Python "
            "workers; must be installed on the executors), spark (Java regexes), or auto "
            "(hyperscan where the driver and, on a cluster, the executors import it)."
        ),
    )
    success_wait_seconds: float = Field(
        default=0.0, ge=0.0, description="How long a sweep waits for a day's _SUCCESS markers."
    )
    day_lease_seconds: float = Field(
        default=600.0,
        ge=5.0,
        description=(
            "A sweep's lease on its days lapses this long after its last renewal (renewed "
            "every third of it): how soon a crashed sweep's days can be swept again."
        ),
    )
    day_lease_wait_seconds: float = Field(
        default=3600.0,
        ge=0.0,
        description="How long a sweep waits for a day another sweep holds before failing.",
    )
    alert_webhook_url: str | None = Field(
        default=None,
        description=(
            "A failed or crashed daily sweep or backfill, and each batch of a day that fails "
            "the GX gate, POSTs a JSON alert here (a chat or paging webhook); unset: failures "
            "are only in Prefect, the logs and the lake's Data Docs."
        ),
    )
    sharing_key_file: Path | None = Field(
        default=None,
        description=(
            "The key agreed with partners for indicator sharing: the features job matches "
            "their keyed indicators (payment, system prompt, template) with it; unset: only "
            "their plain ones (addresses, prefixes, domains)."
        ),
    )
    daily_intake_cap: int = Field(default=50, ge=1, description="New cases a sweep may open a day.")
    # Absolute promotion floors (a first model must reach them; see models.promotion).
    min_pr_auc: float = Field(default=0.5, ge=0.0, le=1.0)
    min_recall_at_precision_95: float = Field(default=0.2, ge=0.0, le=1.0)
    min_cluster_recall: float = Field(default=0.5, ge=0.0, le=1.0)

    @property
    def lake_uri(self) -> str:
        return self.lake or str((self.home / "lake").resolve())

    @property
    def queue_database_url(self) -> str:
        return self.queue_url or f"sqlite:///{(self.home / 'queue.db').resolve()}"

    @property
    def tracking_uri(self) -> str:
        return self.mlflow_tracking_uri or f"sqlite:///{(self.home / 'mlflow.db').resolve()}"

    @property
    def artifact_root(self) -> Path:
        return (self.home / "mlartifacts").resolve()

    @property
    def scratch_dir(self) -> Path:
        """Local scratch space: Spark staging of an s3:// lake, checkpoints."""
        return (self.home / "scratch").resolve()


def load_settings(**flags: Any) -> Settings:
    """Settings from the given flags (``None`` means "not given"), then env, then defaults."""
    given = {name: value for name, value in flags.items() if value is not None}
    return Settings(**given)


def apply_offline_defaults() -> None:
    """Switch dependency telemetry off unless the user configured it explicitly."""
    for name, value in _OFFLINE_DEFAULTS.items():
        os.environ.setdefault(name, value)


def debug_enabled() -> bool:
    """``HYDRASWEEP_DEBUG=1`` makes the CLI show tracebacks instead of one line."""
    return os.environ.get("HYDRASWEEP_DEBUG", "") not in ("", "0", "false")
