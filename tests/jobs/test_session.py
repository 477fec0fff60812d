"""The session every job runs in."""

from __future__ import annotations

import os
import subprocess
import sys

WORKER_IMPORTS = """
from jobs.session import SparkConfig, build_spark_session

spark = build_spark_session(SparkConfig(master="local[1]", shuffle_partitions=1))


def version(_):
    import xgboost

    return xgboost.__version__


print("worker xgboost", spark.sparkContext.parallelize([0], 1).map(version).collect()[0])
spark.stop()
"""


def test_python_workers_run_on_the_drivers_interpreter() -> None:
    # Scoring's pandas UDF imports xgboost in the Python workers: they must run
    # on the driver's interpreter (the project's virtualenv), not on whatever
    # "python3" comes first on PATH. Here PATH holds only the system's Python.
    env = {key: value for key, value in os.environ.items() if key not in {"PYSPARK_PYTHON", "PATH"}}
    env["PATH"] = "/usr/local/bin:/usr/bin:/bin"
    result = subprocess.run(
        [sys.executable, "-c", WORKER_IMPORTS],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "worker xgboost" in result.stdout
