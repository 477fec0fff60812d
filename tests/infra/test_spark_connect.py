"""The Spark jobs over Spark Connect: a day's ingest and features in a resident application.

The resident Spark application starts on loopback as a deployment starts it
(``python -m jobs.resident``: a Spark Connect server from the pyspark package,
``tests.support.spark_connect``), and the ingest and features jobs of one day
of a tiny simulated lake run against it through their own ``main`` (``--master
sc://...``), each in a process of its own, as the scheduled runs are: a
process is either a classic or a Connect client, and this test process holds
the session's classic one. Each job must say it ran on the server's master, in
the server's one application (both jobs in the same one, the server still the
same process after them), and its output must equal a local classic run of the
same job on a copy of the lake: every ingested partition, and the day's account
features. The features job decides its prompt-signal engine by asking the
server's Python workers (a probe job over Connect) and runs MinHash LSH and the
Hyperscan UDF there.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from pyspark.sql import SparkSession

from features.signal_scan import hyperscan_available
from lakeio import LakeRef, layout
from tests.support import REPO_ROOT
from tests.support.frames import assert_frames_equal
from tests.support.lakes import day_partitions, write_tiny_lake
from tests.support.spark_connect import connect_server_jar, spark_connect_server

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        connect_server_jar() is None,
        reason="this pyspark package ships no Spark Connect server (jars/spark-connect_*.jar)",
    ),
]

DAY = date(2026, 11, 26)
JOBS = ("ingest", "featurize")


def test_a_days_ingest_and_features_over_spark_connect(spark: SparkSession, tmp_path: Path) -> None:
    connect_lake, local_lake = tmp_path / "connect" / "lake", tmp_path / "local" / "lake"
    write_tiny_lake(connect_lake, DAY)
    shutil.copytree(connect_lake, local_lake)

    with spark_connect_server(tmp_path) as server:
        runs = {
            job: _run_job(job, server.url, server.master, connect_lake, tmp_path / "connect")
            for job in JOBS
        }
        # One resident application served both jobs, and it is still up after them.
        assert len({application for _, application in runs.values()}) == 1, runs
        os.kill(server.pid, 0)
    summaries = {job: summary for job, (summary, _) in runs.items()}

    _run_locally(spark, local_lake, tmp_path / "local" / "scratch")
    ingested = day_partitions(connect_lake, DAY, ("curated", "quarantine"))
    assert layout.CURATED_REQUESTS in ingested
    assert ingested == day_partitions(local_lake, DAY, ("curated", "quarantine"))
    for table in sorted(ingested) + [layout.ACCOUNT_DAY_FEATURES, layout.CLUSTER_MEMBERS]:
        assert_frames_equal(
            _read_day(spark, connect_lake, table),
            _read_day(spark, local_lake, table),
            rel_tol=1e-6,
        )
    assert summaries["ingest"]["validation"]["success"] is True
    # Asked over Connect: the server's workers run this interpreter.
    assert summaries["featurize"]["signal_engine"] == (
        "hyperscan" if hyperscan_available() else "spark"
    )


def _run_job(job: str, url: str, server_master: str, lake: Path, home: Path) -> tuple[dict, str]:
    """Run ``python -m jobs.<job>`` as a Connect client: its printed summary, and the
    application it said it ran in."""
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("PYSPARK_")},
        "PYTHONPATH": str(REPO_ROOT),
    }
    argv = [
        sys.executable, "-m", f"jobs.{job}",
        "--day", DAY.isoformat(),
        "--lake", str(lake),
        "--scratch", str(home / "scratch"),
        "--master", url,
    ]  # fmt: skip
    result = subprocess.run(
        argv, env=env, cwd=home, capture_output=True, text=True, timeout=900, check=False
    )
    assert result.returncode == 0, (
        f"{job} over Connect:\n{result.stdout[-2000:]}\n{result.stderr[-4000:]}"
    )
    # The job runs where the server runs it and says so.
    said = re.search(rf"{job} {DAY} on master (\S+), application (\S+)", result.stderr)
    assert said is not None, result.stderr[-2000:]
    assert said.group(1) == server_master
    return json.loads(result.stdout), said.group(2)


def _run_locally(spark: SparkSession, lake: Path, scratch: Path) -> None:
    from jobs import featurize, ingest

    ref = LakeRef(str(lake), str(scratch))
    ingest.run(spark, ingest.IngestParams(day=DAY, lake=ref))
    featurize.run(spark, featurize.FeatureParams(day=DAY, lake=ref))


def _read_day(spark: SparkSession, lake: Path, table: str):
    return spark.read.parquet(str(lake / layout.table_day_prefix(table, DAY)))
