"""The Spark jobs on a real Spark standalone cluster, submitted as the docs say.

A master and a worker start on loopback from the pyspark package's own
scripts (``infra/spark/standalone.sh``). The ingest and features jobs for one
day of a tiny simulated lake go through ``spark-submit --master spark://...
--py-files <zip> infra/spark/run_job.py <job>`` with
``infra/spark/spark-defaults.conf`` as the cluster configuration, in
subprocesses (this test process already holds a local SparkContext, and a
process gets one). The master must list both applications as finished with
an executor on the worker; the ingested partitions must equal a local run of
the same job, and the day's account features must cover exactly the day's
active accounts with the declared columns. The features job decides its
prompt-signal engine on the cluster (``auto`` asks the executors whether they
import Hyperscan) and names it in its summary.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from pyspark.sql import SparkSession

from features.feature_set import FEATURE_SET, KEY_COLUMNS
from features.signal_scan import hyperscan_available
from lakeio import LakeRef, layout
from tests.support import REPO_ROOT
from tests.support.frames import assert_frames_equal
from tests.support.lakes import day_partitions, write_tiny_lake
from tests.support.standalone_spark import StandaloneCluster, standalone_cluster

pytestmark = pytest.mark.slow

DAY = date(2026, 11, 26)
SPARK_SUBMIT = str(Path(sys.executable).with_name("spark-submit"))
JOBS = ("ingest", "featurize")
# What the jobs need on executors, per the import direction jobs -> features, lakeio.
SHIPPED_PACKAGES = ("jobs", "features", "lakeio")


def test_jobs_submitted_to_a_standalone_cluster(spark: SparkSession, tmp_path: Path) -> None:
    cluster_lake, local_lake = tmp_path / "cluster" / "lake", tmp_path / "local" / "lake"
    write_tiny_lake(cluster_lake, DAY)
    shutil.copytree(cluster_lake, local_lake)
    conf_dir = _cluster_conf_dir(tmp_path / "conf")
    py_files = _zip_packages(tmp_path / "dist" / "hydrasweep-jobs.zip")

    with standalone_cluster(tmp_path / "standalone", worker_cores=2, worker_memory="2g") as cluster:
        outputs = {
            job: _spark_submit(
                cluster, job, cluster_lake, tmp_path / "cluster" / "scratch", conf_dir, py_files
            )
            for job in JOBS
        }
        apps = cluster.completed_apps()

    # One finished application per job (names carry the job, e.g. hydrasweep-ingest-<day>).
    by_job = {
        job: [app for app in apps if app["name"].startswith(f"hydrasweep-{job}")] for job in JOBS
    }
    assert {job: [app["state"] for app in found] for job, found in by_job.items()} == {
        job: ["FINISHED"] for job in JOBS
    }, apps
    for (app,) in by_job.values():
        executors = list((cluster.work_dir / app["id"]).iterdir())
        assert executors, f"{app['name']} ran no executor on the worker"

    # Ingest: every table partition equals a local run of the same job.
    _ingest_locally(spark, local_lake, tmp_path / "local" / "scratch")
    ingested = day_partitions(cluster_lake, DAY, ("curated", "quarantine"))
    assert ingested == day_partitions(local_lake, DAY, ("curated", "quarantine"))
    assert layout.CURATED_REQUESTS in ingested
    for table in sorted(ingested):
        partition = layout.table_day_prefix(table, DAY)
        assert_frames_equal(
            spark.read.parquet(str(cluster_lake / partition)),
            spark.read.parquet(str(local_lake / partition)),
        )

    # Features (too slow to run twice in a test): the declared columns, one row
    # for exactly each account with a curated request on the day.
    account_day = _read_day(spark, cluster_lake, layout.ACCOUNT_DAY_FEATURES)
    declared = [name for name in (*KEY_COLUMNS, *FEATURE_SET.names) if name != "dt"]
    assert account_day.columns == declared
    active = _read_day(spark, cluster_lake, layout.CURATED_REQUESTS).select("account_id").distinct()
    assert sorted(account_day.select("account_id").collect()) == sorted(active.collect())
    # The executors share this interpreter: they import Hyperscan where it is installed.
    summary = _printed_summary(outputs["featurize"])
    assert summary["signal_engine"] == ("hyperscan" if hyperscan_available() else "spark")


def _read_day(spark: SparkSession, lake: Path, table: str):
    return spark.read.parquet(str(lake / layout.table_day_prefix(table, DAY)))


def _cluster_conf_dir(conf_dir: Path) -> Path:
    """The real-cluster defaults, with executors sized to the one small local worker."""
    conf_dir.mkdir(parents=True)
    defaults = (REPO_ROOT / "infra" / "spark" / "spark-defaults.conf").read_text()
    overrides = "\n# test worker: 2 cores, 2g\nspark.executor.memory 1g\nspark.executor.cores 2\n"
    (conf_dir / "spark-defaults.conf").write_text(defaults + overrides)
    return conf_dir


def _zip_packages(zip_path: Path) -> Path:
    """The ``--py-files`` archive, built the way infra/spark/README.md says."""
    zip_path.parent.mkdir(parents=True)
    subprocess.run(
        [sys.executable, "-m", "zipfile", "-c", str(zip_path), *SHIPPED_PACKAGES],
        cwd=REPO_ROOT,
        check=True,
        timeout=60,
    )
    return zip_path


def _spark_submit(
    cluster: StandaloneCluster,
    job: str,
    lake: Path,
    scratch: Path,
    conf_dir: Path,
    py_files: Path,
) -> str:
    """Submit ``job`` for the day and return what it printed."""
    env = {
        **_clean_env(),
        "SPARK_CONF_DIR": str(conf_dir),
        "PYSPARK_PYTHON": sys.executable,
        "PYSPARK_DRIVER_PYTHON": sys.executable,
        "SPARK_LOCAL_IP": "127.0.0.1",
    }
    argv = [
        SPARK_SUBMIT,
        "--master", cluster.master_url,
        "--deploy-mode", "client",
        "--driver-memory", "1g",
        "--py-files", str(py_files),
        str(REPO_ROOT / "infra" / "spark" / "run_job.py"), job,
        "--day", DAY.isoformat(),
        "--lake", str(lake),
        "--scratch", str(scratch),
    ]  # fmt: skip
    result = subprocess.run(
        argv, env=env, cwd=scratch.parent, capture_output=True, text=True, timeout=600, check=False
    )
    assert result.returncode == 0, (
        f"spark-submit {job} exited {result.returncode}:\n{result.stdout[-2000:]}\n"
        f"{result.stderr[-4000:]}\n{cluster.log_tail()}"
    )
    # No --master of its own: the job runs where spark-submit sent it (the
    # driver's Python output may come out on either stream).
    output = result.stdout + result.stderr
    assert f"on master {cluster.master_url}" in output, [
        line for line in output.splitlines() if " on master " in line
    ]
    return result.stdout


def _printed_summary(stdout: str) -> dict:
    """The JSON summary a job prints last (``json.dumps(summary, indent=2)``)."""
    lines = stdout.splitlines()
    start = max(index for index, line in enumerate(lines) if line == "{")
    return json.loads("\n".join(lines[start:]))


def _clean_env() -> dict[str, str]:
    import os

    # The driver must not pick up the test session's Spark settings.
    return {k: v for k, v in os.environ.items() if not k.startswith(("PYSPARK_", "SPARK_"))}


def _ingest_locally(spark: SparkSession, lake: Path, scratch: Path) -> None:
    from jobs.ingest import IngestParams, run

    run(spark, IngestParams(day=DAY, lake=LakeRef(str(lake), str(scratch))))
