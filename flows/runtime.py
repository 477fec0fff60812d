"""What a flow needs at run time, built from settings: the run configuration
passed as a flow parameter, the Spark session, the lake store.

Flows exchange a ``RunConfig`` (small, serialisable, typed) instead of
sessions or clients; each task rebuilds what it needs from it. The
SparkSession is a per-process singleton (``getOrCreate``), so rebuilding it in
every task is free after the first.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict
from pyspark.sql import SparkSession

from flows.settings import Settings, load_settings
from jobs.session import SparkConfig, build_spark_session
from lakeio import ObjectStore, open_store


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


def spark_session(settings: Settings) -> SparkSession:
    spark = build_spark_session(
        SparkConfig(
            master=settings.spark_master,
            app_name="hydrasweep",
            driver_memory=settings.spark_driver_memory,
            shuffle_partitions=settings.spark_shuffle_partitions,
        )
    )
    checkpoints = settings.scratch_dir / "spark-checkpoints"
    checkpoints.mkdir(parents=True, exist_ok=True)
    spark.sparkContext.setCheckpointDir(str(checkpoints))
    return spark


def lake_store(settings: Settings) -> ObjectStore:
    return open_store(settings.lake_uri)
