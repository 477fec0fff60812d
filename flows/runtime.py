"""What a flow needs at run time, built from settings: the run configuration
passed as a flow parameter, and the ``Runtime`` every task builds from it.

Flows exchange a ``RunConfig`` (small, serialisable, typed) instead of
sessions or clients; each task builds a ``Runtime`` from it: the settings, and
the two references every job's parameters embed, ``LakeRef`` (where the lake
is, how Spark reaches it) and ``TrackingRef`` (MLflow's store and registered
model). This is the one place they are built. The SparkSession is a
per-process singleton (``getOrCreate``), so asking for it in every task is
free after the first.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict

from flows.settings import Settings, load_settings
from jobs.session import SparkConfig, build_spark_session, set_checkpoint_dir
from lakeio import LakeRef, ObjectStore
from models.tracking import TrackingRef

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


class RunConfig(BaseModel):
    """Overrides a run was started with; ``None`` falls back to env, then defaults."""

    model_config = ConfigDict(frozen=True)

    home: str | None = None
    lake: str | None = None
    queue_url: str | None = None
    mlflow_tracking_uri: str | None = None
    spark_master: str | None = None
    # A promotion floor a run may relax (the demo's short, small history); None: settings.
    min_cluster_recall: float | None = None

    def settings(self) -> Settings:
        return load_settings(**self.model_dump())


@dataclass(frozen=True)
class Runtime:
    settings: Settings
    lake: LakeRef
    tracking: TrackingRef

    @classmethod
    def of(cls, config: RunConfig) -> Runtime:
        settings = config.settings()
        return cls(
            settings=settings,
            lake=LakeRef(
                uri=settings.lake_uri,
                scratch_dir=str(settings.scratch_dir),
                direct_s3a=settings.spark_s3a,
            ),
            tracking=TrackingRef(
                uri=settings.tracking_uri,
                model_name=settings.model_name,
                artifact_root=str(settings.artifact_root),
            ),
        )

    def spark(self) -> SparkSession:
        return spark_session(self.settings)

    def store(self) -> ObjectStore:
        return self.lake.store()


def spark_session(settings: Settings) -> SparkSession:
    spark = build_spark_session(
        SparkConfig(
            master=settings.spark_master,
            app_name="hydrasweep",
            driver_memory=settings.spark_driver_memory,
            shuffle_partitions=settings.spark_shuffle_partitions,
            adaptive=settings.spark_adaptive,
            dataframe_debugging=settings.spark_dataframe_debugging,
        )
    )
    set_checkpoint_dir(spark, settings.scratch_dir / "spark-checkpoints")
    return spark
