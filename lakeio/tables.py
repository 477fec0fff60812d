"""The one door to the pipeline's day-partitioned tables.

Every table the pipeline writes is Parquet under ``<table>/dt=YYYY-MM-DD/``
(``lakeio.layout``), written one day at a time. ``LakeTables`` is how jobs,
models and the review feed list those days, read some of them, and replace one:

- ``days``: the days a table has, optionally within a range;
- ``read``: the given days as one DataFrame with their ``dt`` column, staging
  only those days (an s3:// lake is mirrored day by day, never a whole table),
  with an explicit schema where the caller has one;
- ``stage`` / ``promote`` / ``discard``: Spark writes a day into
  ``_staging/<table>/dt=D/`` first and the published partition is then replaced
  at once (folders swapped by renames on a local lake, parts given fixed names
  so a rerun writes the same keys); ``write_day`` does both;
- ``write_days``: several days written by one Spark job (partitioned by ``dt``),
  then each day's partition replaced as ``write_day`` replaces one;
- ``discard_day``: remove a day's partition.

Nothing here knows what a table holds; the layout names them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import types as T

from lakeio import layout
from lakeio.spark_io import LakeRef, SparkLake
from lakeio.store import ObjectStore

DT = "dt"


@dataclass(frozen=True)
class StagedDay:
    """A day Spark wrote to the staging area, not yet published."""

    table: str
    day: date

    @property
    def prefix(self) -> str:
        return layout.staging_day_prefix(self.table, self.day)

    @property
    def final_prefix(self) -> str:
        return layout.table_day_prefix(self.table, self.day)


def with_dt(schema: T.StructType) -> T.StructType:
    """``schema`` with the partition column ``dt`` (a date) last, unless it has one."""
    if DT in schema.fieldNames():
        return schema
    return T.StructType([*schema.fields, T.StructField(DT, T.DateType(), True)])


class LakeTables:
    def __init__(self, spark: SparkSession, lake: SparkLake) -> None:
        self.spark = spark
        self.lake = lake

    @classmethod
    def open(cls, spark: SparkSession, ref: LakeRef) -> LakeTables:
        return cls(spark, ref.spark_lake())

    @property
    def store(self) -> ObjectStore:
        return self.lake.store

    # --- reading ----------------------------------------------------------------
    def days(self, table: str, *, start: date | None = None, end: date | None = None) -> list[date]:
        """The days ``table`` has a partition for, in order (within ``start``..``end``)."""
        return [
            day
            for day in self.store.partition_days(layout.table_prefix(table))
            if (start is None or day >= start) and (end is None or day <= end)
        ]

    def has_day(self, table: str, day: date) -> bool:
        return any(True for _ in self.store.list_keys(layout.table_day_prefix(table, day)))

    def read(
        self, table: str, days: Sequence[date], schema: T.StructType | None = None
    ) -> DataFrame:
        """The partitions of ``days`` as one DataFrame with its ``dt`` column.

        Only those days are staged and listed by Spark. With ``schema`` (the
        stored columns; ``dt`` is added) Spark infers nothing, and no days give
        an empty frame; without one the Parquet footers decide the columns.
        """
        if not days:
            if schema is None:
                raise ValueError(f"read of {table}: no days given and no schema to say its columns")
            return self.spark.createDataFrame([], with_dt(schema))
        paths = []
        for day in days:
            prefix = layout.table_day_prefix(table, day)
            self.lake.stage(prefix)
            paths.append(self.lake.uri(prefix))
        reader = self.spark.read.option("basePath", self.lake.uri(layout.table_prefix(table)))
        if schema is not None:
            reader = reader.schema(with_dt(schema))
        return reader.parquet(*paths)

    # --- writing ----------------------------------------------------------------
    def stage(self, frame: DataFrame, table: str, day: date) -> StagedDay:
        """Spark writes ``frame`` (its ``dt`` column dropped) as the staged ``day`` of ``table``."""
        staged = StagedDay(table, day)
        frame.drop(DT).write.mode("overwrite").parquet(self.lake.uri(staged.prefix))
        return staged

    def read_staged(self, staged: StagedDay, schema: T.StructType) -> DataFrame:
        return self.spark.read.schema(schema).parquet(self.lake.uri(staged.prefix))

    def staged_folder(self, staged: StagedDay) -> Path | None:
        """The local folder of the staged parts, when they are on this machine."""
        return self.lake.local_path(staged.prefix)

    def promote(self, staged: StagedDay) -> None:
        """Replace the published day with the staged one."""
        self.lake.promote(staged.prefix, staged.final_prefix)

    def discard(self, staged: StagedDay) -> None:
        self.lake.discard(staged.prefix)

    def write_day(self, frame: DataFrame, table: str, day: date) -> None:
        """Replace exactly ``table``'s partition of ``day`` with ``frame``."""
        self.promote(self.stage(frame, table, day))

    def write_days(self, frame: DataFrame, table: str, days: Sequence[date]) -> None:
        """Replace ``table``'s partitions of ``days`` with ``frame``'s rows of each day.

        One Spark job writes every day (``partitionBy(dt)``) into a staging folder of
        its own; each day is then promoted as ``write_day`` promotes one. A day with
        no rows in ``frame`` is written as an empty partition, so it is replaced too.
        ``frame`` must hold no other days.
        """
        import uuid

        batch_id = uuid.uuid4().hex[:12]
        batch = layout.staging_batch_prefix(table, batch_id)
        frame.write.mode("overwrite").partitionBy(DT).parquet(self.lake.uri(batch))
        try:
            for day in days:
                staged = f"{batch}{layout.day_partition(day)}/"
                folder = self.lake.local_path(staged)
                written = (
                    folder.exists()
                    if folder is not None
                    else any(True for _ in self.store.list_keys(staged))
                )
                if not written:
                    self.write_day(frame.limit(0), table, day)
                    continue
                self.lake.promote(staged, layout.table_day_prefix(table, day))
        finally:
            # The whole folder of the write (not only the table's): no empty folders are
            # left behind, one a batch's table.
            self.lake.discard(layout.staging_batch_root(batch_id))

    def discard_day(self, table: str, day: date) -> None:
        """Remove ``table``'s partition of ``day`` (a day that must not be read any more)."""
        self.lake.discard(layout.table_day_prefix(table, day))
