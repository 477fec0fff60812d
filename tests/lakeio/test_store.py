"""The object-store interface behaves the same on a local folder and on S3 over HTTP."""

from __future__ import annotations

import gzip
from datetime import date
from pathlib import Path

import boto3
import pytest

from lakeio import LakeError, LocalStore, S3Store, SparkLake, layout, open_store

DAY = date(2026, 11, 3)


@pytest.fixture(params=["local", "s3"])
def store(request, tmp_path: Path):
    if request.param == "local":
        return LocalStore(tmp_path / "lake")
    bucket = request.getfixturevalue("s3_bucket")
    return open_store(f"s3://{bucket}/some/prefix")


def test_write_read_list_and_delete(store) -> None:
    store.write_bytes("raw/requests/dt=2026-11-03/part-0.jsonl.gz", gzip.compress(b"{}\n"))
    with store.open_write("raw/requests/dt=2026-11-03/part-1.jsonl.gz") as out:
        out.write(gzip.compress(b'{"a": 1}\n'))
    store.write_bytes("raw/requests/dt=2026-11-04/part-0.jsonl.gz", b"x")
    store.write_bytes("raw/requests/dt=2026-11-03/_SUCCESS", b"")

    assert list(store.list_keys("raw/requests/dt=2026-11-03/")) == [
        "raw/requests/dt=2026-11-03/_SUCCESS",
        "raw/requests/dt=2026-11-03/part-0.jsonl.gz",
        "raw/requests/dt=2026-11-03/part-1.jsonl.gz",
    ]
    assert store.raw_day_files("requests", DAY) == [
        "raw/requests/dt=2026-11-03/part-0.jsonl.gz",
        "raw/requests/dt=2026-11-03/part-1.jsonl.gz",
    ]
    assert (
        gzip.decompress(store.read_bytes("raw/requests/dt=2026-11-03/part-1.jsonl.gz"))
        == b'{"a": 1}\n'
    )
    assert store.list_children("raw/requests") == ["dt=2026-11-03", "dt=2026-11-04"]
    assert store.list_days("requests") == [date(2026, 11, 3), date(2026, 11, 4)]
    assert store.exists("raw/requests/dt=2026-11-03/_SUCCESS")
    assert not store.exists("raw/requests/dt=2026-11-03/nope")

    assert store.delete_prefix("raw/requests/dt=2026-11-03/") == 3
    assert list(store.list_keys("raw/requests/")) == ["raw/requests/dt=2026-11-04/part-0.jsonl.gz"]


def test_day_complete_needs_both_markers(store) -> None:
    assert not store.day_complete(DAY)
    store.write_bytes(layout.success_key("requests", DAY), b"")
    assert not store.day_complete(DAY)
    assert store.missing_markers(DAY) == [layout.success_key("accounts", DAY)]
    store.write_bytes(layout.success_key("accounts", DAY), b"")
    assert store.day_complete(DAY)


def test_missing_object_is_a_clear_error(store) -> None:
    with pytest.raises(LakeError, match="no object 'labels/x.jsonl'"):
        store.read_bytes("labels/x.jsonl")


def test_failed_streaming_write_leaves_no_object(store) -> None:
    with pytest.raises(RuntimeError), store.open_write("labels/half.jsonl") as out:
        out.write(b"partial")
        raise RuntimeError("producer died")
    assert not store.exists("labels/half.jsonl")


def test_upload_dir_replaces_prefix_and_download_mirrors(store, tmp_path: Path) -> None:
    store.write_bytes("curated/requests/dt=2026-11-03/old.parquet", b"old")
    src = tmp_path / "src"
    (src / "sub").mkdir(parents=True)
    (src / "a.bin").write_bytes(b"a")
    (src / "sub" / "b.bin").write_bytes(b"b")
    assert store.upload_dir(src, "curated/requests/dt=2026-11-03") == 2
    assert list(store.list_keys("curated/requests/")) == [
        "curated/requests/dt=2026-11-03/a.bin",
        "curated/requests/dt=2026-11-03/sub/b.bin",
    ]
    dest = tmp_path / "dest"
    store.download_prefix("curated/requests", dest)
    assert (dest / "dt=2026-11-03" / "sub" / "b.bin").read_bytes() == b"b"


def test_s3_listing_paginates_past_1000_keys(s3_bucket: str) -> None:
    client = boto3.client("s3")
    for i in range(1105):
        client.put_object(
            Bucket=s3_bucket, Key=f"lake/raw/requests/dt=2026-11-03/part-{i:05d}.jsonl.gz", Body=b""
        )
    store = open_store(f"s3://{s3_bucket}/lake")
    files = store.raw_day_files("requests", DAY)
    assert len(files) == 1105
    assert files[0].endswith("part-00000.jsonl.gz") and files[-1].endswith("part-01104.jsonl.gz")
    assert store.delete_prefix("raw/") == 1105
    assert list(store.list_keys("raw/")) == []


def test_s3_missing_bucket_is_a_clear_error(s3_endpoint: str) -> None:
    with pytest.raises(LakeError, match="bucket 'no-such-bucket' does not exist"):
        open_store("s3://no-such-bucket/lake")
    unchecked = open_store("s3://no-such-bucket/lake", check=False)
    with pytest.raises(LakeError, match="does not exist"):
        list(unchecked.list_keys("raw/"))


def test_s3_store_talks_to_the_endpoint_from_the_environment(
    s3_endpoint: str, s3_bucket: str
) -> None:
    store = open_store(f"s3://{s3_bucket}")
    assert isinstance(store, S3Store)
    assert store.client.meta.endpoint_url == s3_endpoint
    store.write_bytes("labels/a.jsonl", b"{}\n")
    assert (
        boto3.client("s3").get_object(Bucket=s3_bucket, Key="labels/a.jsonl")["Body"].read()
        == b"{}\n"
    )


def test_open_store_rejects_unknown_schemes(tmp_path: Path) -> None:
    assert isinstance(open_store(str(tmp_path)), LocalStore)
    assert isinstance(open_store(tmp_path.as_uri()), LocalStore)
    with pytest.raises(LakeError, match="unsupported lake URI"):
        open_store("gs://bucket/lake")


def test_spark_lake_uris(tmp_path: Path, s3_bucket: str) -> None:
    local = SparkLake(LocalStore(tmp_path / "lake"), tmp_path / "scratch")
    assert local.uri("curated/requests") == "file://" + str(
        tmp_path / "lake" / "curated" / "requests"
    )
    assert local.uri("curated/requests/dt=2026-11-03/").endswith("/curated/requests/dt=2026-11-03")
    s3 = open_store(f"s3://{s3_bucket}/root")
    assert SparkLake(s3, tmp_path, direct_s3a=True).uri("curated/requests") == (
        f"s3a://{s3_bucket}/root/curated/requests"
    )
    staged = SparkLake(s3, tmp_path / "scratch")
    assert staged.uri("curated/requests").startswith("file://" + str(tmp_path / "scratch"))


def test_spark_lake_stages_and_publishes_through_s3(spark, tmp_path: Path, s3_bucket: str) -> None:
    store = open_store(f"s3://{s3_bucket}/root")
    spark_lake = SparkLake(store, tmp_path / "scratch")
    frame = spark.createDataFrame([(1, "a"), (2, "b")], "n INT, s STRING")
    frame.write.mode("overwrite").parquet(spark_lake.uri("curated/demo"))
    spark_lake.publish("curated/demo")
    assert any(key.endswith(".parquet") for key in store.list_keys("curated/demo/"))

    fresh = SparkLake(store, tmp_path / "other-scratch")
    back = spark.read.parquet(fresh.stage("curated/demo"))
    assert sorted(map(tuple, back.collect())) == [(1, "a"), (2, "b")]


def test_spark_reads_a_day_partition_by_its_uri(spark, tmp_path: Path) -> None:
    spark_lake = SparkLake(LocalStore(tmp_path / "lake"), tmp_path / "scratch")
    frame = spark.createDataFrame([(1, "2026-11-03")], "n INT, dt STRING")
    frame.write.partitionBy("dt").parquet(spark_lake.uri("scores"))
    day = spark.read.parquet(spark_lake.stage("scores/dt=2026-11-03/"))
    assert [tuple(row) for row in day.collect()] == [(1,)]


@pytest.mark.parametrize(
    "evil",
    ["../../outside.txt", "dt=2026-11-03/../../outside.txt", "/etc-like/abs.txt", "a//b.txt"],
)
def test_keys_that_would_land_outside_the_staging_folder_are_refused(
    s3_bucket: str, s3_endpoint: str, tmp_path: Path, evil: str
) -> None:
    import boto3

    store = open_store(f"s3://{s3_bucket}/lake")
    prefix = "raw/requests/"
    boto3.client("s3", endpoint_url=s3_endpoint).put_object(
        Bucket=s3_bucket, Key=f"lake/{prefix}{evil}", Body=b"x"
    )
    dest = tmp_path / "stage" / "inner"
    with pytest.raises(LakeError, match="refusing to copy the object"):
        store.download_prefix(prefix, dest)
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert written == []


def test_s3_publishing_deletes_exactly_the_stale_keys(s3_bucket: str, tmp_path: Path) -> None:
    store = open_store(f"s3://{s3_bucket}/lake")
    prefix = "features/account_day/dt=2026-11-03/"
    store.write_bytes(prefix + "part-1", b"stale")
    src = tmp_path / "src"
    src.mkdir()
    (src / "part-10").write_bytes(b"fresh")
    (src / "part-2").write_bytes(b"fresh")
    # part-1 is stale; a delete by prefix would also remove the fresh part-10.
    assert store.upload_dir(src, prefix) == 2
    assert sorted(store.list_keys(prefix)) == [prefix + "part-10", prefix + "part-2"]
