"""The ingest job on an s3:// lake (staged through boto3) and under a real spark-submit."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pyarrow.parquet as pq
import pytest

import jobs.ingest
from jobs.ingest import IngestParams, load_summary
from lakeio import LakeRef, layout, open_store

DAY = date(2026, 11, 5)


@pytest.mark.slow
def test_s3_lake_end_to_end(spark, s3_bucket, tmp_path, raw_day, raw_request, raw_account):
    lake_uri = f"s3://{s3_bucket}/lake"
    store = open_store(lake_uri)
    lines = [raw_request(DAY, request_id=f"s3-{i}") for i in range(5)] + ['{"nope"']
    raw_day(store, DAY, lines, [raw_account("acct-1")])
    # Keys a producer (or an attacker) named so that a local copy would escape the
    # day's staging folder: set aside with their reason, never written, the day goes on.
    import boto3

    day_prefix = layout.raw_day_prefix("requests", DAY)
    evil = {
        f"{day_prefix}../../../escaped.jsonl.gz": "'..' segment",
        f"{day_prefix}a//b.jsonl.gz": "empty, '.' or '..' segment",
        f"{day_prefix}notes.txt": "not a data file",
    }
    client = boto3.client("s3", endpoint_url=os.environ["AWS_ENDPOINT_URL"])
    for key in evil:
        client.put_object(Bucket=s3_bucket, Key=f"lake/{key}", Body=b"{}\n")

    summary = jobs.ingest.run(
        spark,
        IngestParams(day=DAY, lake=LakeRef(lake_uri, str(tmp_path)), max_bad_line_share=0.5),
    )

    assert (summary.rows_read, summary.bad_lines_by_reason, summary.curated_rows) == (
        6,
        {"unparseable": 1},
        5,
    )
    curated_key = f"{layout.table_day_prefix(layout.CURATED_REQUESTS, DAY)}part-00000.parquet"
    assert [k for k in store.list_keys("curated/")] == [
        f"{layout.table_day_prefix(layout.CURATED_ACCOUNTS, DAY)}part-00000.parquet",
        curated_key,
    ]
    table = pq.read_table(io.BytesIO(store.read_bytes(curated_key)))
    assert sorted(table.column("request_id").to_pylist()) == [f"s3-{i}" for i in range(5)]
    quarantine = pq.read_table(
        io.BytesIO(
            store.read_bytes(
                f"{layout.table_day_prefix(layout.QUARANTINE_REQUESTS, DAY)}part-00000.parquet"
            )
        )
    )
    assert quarantine.column("line").to_pylist() == ['{"nope"']
    assert load_summary(store, DAY) == summary
    assert sorted(summary.files_set_aside) == sorted(evil)
    for key, words in evil.items():
        assert words in summary.files_set_aside[key]
    assert not [p for p in tmp_path.rglob("escaped*")] and not list(tmp_path.rglob("b.jsonl.gz"))
    assert store.exists(summary.reports.data_docs_index)
    # Nothing of the staged copies is left to grow the scratch folder.
    assert not list((tmp_path / "lake-stage").rglob("*.parquet"))
    assert not list((tmp_path / "lake-stage").rglob("*.jsonl.gz"))


@pytest.mark.slow
def test_main_under_spark_submit(tmp_path, raw_day, raw_request, raw_account):
    import pyspark

    lake = tmp_path / "lake"
    raw_day(
        open_store(str(lake)), DAY, [raw_request(DAY) for _ in range(3)], [raw_account("acct-1")]
    )
    spark_submit = Path(pyspark.__file__).parent / "bin" / "spark-submit"
    env = {
        **os.environ,
        "PYSPARK_PYTHON": sys.executable,
        "PYSPARK_DRIVER_PYTHON": sys.executable,
        "SPARK_LOCAL_IP": "127.0.0.1",
    }
    repo = Path(jobs.ingest.__file__).resolve().parents[1]

    done = subprocess.run(
        [
            str(spark_submit),
            "--master",
            "local[1]",
            "--driver-memory",
            "1g",
            "--conf",
            "spark.ui.enabled=false",
            str(repo / "jobs" / "ingest.py"),
            "--day",
            DAY.isoformat(),
            "--lake",
            str(lake),
            "--scratch",
            str(tmp_path / "scratch"),
            "--driver-memory",
            "1g",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
    )

    assert done.returncode == 0, done.stderr[-3000:]
    # spark-submit merges the driver's stderr into its stdout: the summary is the JSON block.
    lines = done.stdout.splitlines()
    start = lines.index("{")
    printed = json.loads("\n".join(lines[start : lines.index("}", start) + 1]))
    assert (printed["rows_read"], printed["bad_lines"], printed["curated_rows"]) == (3, 0, 3)
    summary = load_summary(open_store(str(lake)), DAY)
    assert summary is not None and summary.passed and summary.curated_rows == 3
