"""The one door to day partitions, on a local lake and on S3 over HTTP (staged)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from pyspark.sql import types as T

from lakeio import LakeRef, layout, open_store
from lakeio.tables import LakeTables

TABLE = "features/demo"
D1, D2, D3 = date(2026, 11, 1), date(2026, 11, 2), date(2026, 11, 3)
SCHEMA = T.StructType([T.StructField("n", T.IntegerType()), T.StructField("s", T.StringType())])


def rows(frame) -> list[tuple]:
    return sorted(tuple(row) for row in frame.collect())


@pytest.fixture(params=["local", "s3"])
def tables(request, spark, tmp_path: Path) -> LakeTables:
    uri = (
        str(tmp_path / "lake")
        if request.param == "local"
        else f"s3://{request.getfixturevalue('s3_bucket')}/root"
    )
    return LakeTables.open(spark, LakeRef(uri, str(tmp_path / "scratch")))


def test_days_are_listed_written_read_and_replaced(spark, tables: LakeTables) -> None:
    for day, values in ((D1, [(1, "a")]), (D2, [(2, "b"), (3, "c")]), (D3, [(4, "d")])):
        tables.write_day(spark.createDataFrame(values, SCHEMA), TABLE, day)
    tables.store.write_bytes(f"{layout.table_prefix(TABLE)}dt=not-a-day/x", b"")  # not a day

    assert tables.days(TABLE) == [D1, D2, D3]
    assert tables.days(TABLE, start=D2) == [D2, D3] and tables.days(TABLE, end=D1) == [D1]
    assert tables.days("features/none") == [] and not tables.has_day(TABLE, date(2026, 1, 1))

    # The given days only, with their dt; an explicit schema is kept as given.
    read = tables.read(TABLE, [D1, D3], SCHEMA)
    assert read.schema.fieldNames() == ["n", "s", "dt"]
    assert rows(read) == [(1, "a", D1), (4, "d", D3)]
    assert rows(tables.read(TABLE, [D2])) == [(2, "b", D2), (3, "c", D2)]
    assert tables.read(TABLE, [], SCHEMA).count() == 0
    with pytest.raises(ValueError, match="no days given"):
        tables.read(TABLE, [])

    # A rewrite replaces exactly that day, its parts named by number.
    tables.write_day(spark.createDataFrame([(5, "e")], SCHEMA).repartition(1), TABLE, D2)
    assert rows(tables.read(TABLE, [D1, D2, D3], SCHEMA)) == [
        (1, "a", D1),
        (4, "d", D3),
        (5, "e", D2),
    ]
    assert list(tables.store.list_keys(layout.table_day_prefix(TABLE, D2))) == [
        f"{layout.table_day_prefix(TABLE, D2)}part-00000.parquet"
    ]
    assert not list(tables.store.list_keys(layout.STAGING_PREFIX))

    tables.discard_day(TABLE, D3)
    assert tables.days(TABLE) == [D1, D2]


def test_several_days_are_replaced_by_one_write(spark, tables: LakeTables) -> None:
    for day in (D1, D2, D3):
        tables.write_day(spark.createDataFrame([(0, "old")], SCHEMA), TABLE, day)
    frame = spark.createDataFrame(
        [(1, "a", D1), (2, "b", D2), (3, "c", D2)], "n int, s string, dt date"
    )
    # D1 and D2 from the frame, and D3 (asked for, no rows in it) replaced by an empty day.
    tables.write_days(frame, TABLE, [D1, D2, D3])

    assert tables.days(TABLE) == [D1, D2, D3]
    assert rows(tables.read(TABLE, [D1, D2, D3], SCHEMA)) == [
        (1, "a", D1),
        (2, "b", D2),
        (3, "c", D2),
    ]
    # The parts of each day named by number as ``write_day`` names them, no staging left.
    assert all(
        key.rsplit("/", 1)[-1].startswith("part-0")
        for key in tables.store.list_keys(layout.table_day_prefix(TABLE, D2))
    )
    assert not list(tables.store.list_keys(layout.STAGING_PREFIX))
    staged = tables.lake.local_path(layout.STAGING_PREFIX)
    assert staged is None or not list(staged.rglob("*.parquet"))
    # Nor the write's folders (one a batch's table, empty, had been left before).
    assert staged is None or not list(staged.glob("_batches/*"))


def test_a_staged_day_is_published_only_when_promoted(spark, tables: LakeTables) -> None:
    tables.write_day(spark.createDataFrame([(1, "old")], SCHEMA), TABLE, D1)
    staged = tables.stage(spark.createDataFrame([(2, "new")], SCHEMA), TABLE, D1)

    assert rows(tables.read_staged(staged, SCHEMA)) == [(2, "new")]
    assert rows(tables.read(TABLE, [D1], SCHEMA)) == [(1, "old", D1)]
    tables.discard(staged)
    assert rows(tables.read(TABLE, [D1], SCHEMA)) == [(1, "old", D1)]

    tables.promote(tables.stage(spark.createDataFrame([(2, "new")], SCHEMA), TABLE, D1))
    assert rows(tables.read(TABLE, [D1], SCHEMA)) == [(2, "new", D1)]


def test_only_the_days_read_are_staged(spark, tmp_path: Path, s3_bucket: str) -> None:
    ref = LakeRef(f"s3://{s3_bucket}/root", str(tmp_path / "scratch"))
    writer = LakeTables.open(spark, ref)
    for day in (D1, D2, D3):
        writer.write_day(spark.createDataFrame([(day.day, "x")], SCHEMA), TABLE, day)
    # Nothing of a published day stays on the writer's disk.
    assert not list((tmp_path / "scratch").rglob("*.parquet"))

    LakeTables.open(spark, ref).read(TABLE, [D2], SCHEMA).collect()
    staged = {path.parent.name for path in (tmp_path / "scratch").rglob("*.parquet")}
    assert staged == {layout.day_partition(D2)}


def test_reports_are_json_documents_of_the_store(tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "lake"))
    key = layout.report_key(layout.SWEEP_STATUS, D1)
    assert key == "reports/sweep/dt=2026-11-01/status.json"
    assert store.read_json(key) is None
    store.write_json(key, {"day": D1, "stages": {"ingest": {}}})
    assert store.read_json(key) == {"day": "2026-11-01", "stages": {"ingest": {}}}
