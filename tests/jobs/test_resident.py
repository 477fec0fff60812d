"""The resident Spark application's command: the jobs' own application settings, resident.

What it runs is tested in ``tests/infra/test_spark_connect.py`` (a day's ingest
and features in one resident application); here, without starting anything,
that the server starts with what a job's classic session gives itself and
only the differences a long-lived server needs.
"""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from jobs import resident
from jobs.session import LOCAL_DRIVER_JIT, SparkConfig, application_settings, session_settings


def _confs(argv: list[str]) -> dict[str, str]:
    pairs = [argv[i + 1] for i, arg in enumerate(argv) if arg == "--conf"]
    return dict(pair.split("=", 1) for pair in pairs)


def test_the_server_starts_with_the_jobs_settings_and_binds_where_it_is_told(
    tmp_path: Path,
) -> None:
    config = SparkConfig(master="local[2]", app_name="hydrasweep-resident", driver_memory="3g")
    argv = resident.server_argv(config, "127.0.0.1", 15123, tmp_path)
    assert argv[argv.index("--class") + 1] == resident.SERVER_CLASS
    assert argv[argv.index("--master") + 1] == "local[2]"
    assert argv[argv.index("--driver-memory") + 1] == "3g"
    confs = _confs(argv)
    # Every SQL setting of a job's session, and the application's own (scheduler pools,
    # the generated-class cache, UI off, DataFrame debugging off), as a classic local session
    # of the jobs has them.
    for key, value in session_settings(config).items():
        assert confs[key] == value, key
    for key in (
        "spark.scheduler.mode",
        "spark.sql.codegen.cache.maxEntries",
        "spark.ui.enabled",
        "spark.python.sql.dataFrameDebugging.enabled",
    ):
        assert confs[key] == application_settings(config)[key]
    assert confs["spark.connect.grpc.binding.address"] == "127.0.0.1"
    assert confs["spark.connect.grpc.binding.port"] == "15123"
    assert confs["spark.driver.bindAddress"] == confs["spark.driver.host"] == "127.0.0.1"
    assert confs["spark.local.dir"] == str(tmp_path / "local")
    assert confs["spark.log.level"] == "WARN"
    # UTC in the JVM; the short-lived driver's C2 budget is not a resident one's.
    java = confs["spark.driver.extraJavaOptions"]
    assert "-Duser.timezone=UTC" in java
    assert not any(f"-XX:{flag}=" in java for flag in LOCAL_DRIVER_JIT)


def test_print_shows_the_command_and_starts_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert resident.main(["--print", "--port", "15124", "--state-dir", str(tmp_path / "s")]) == 0
    argv = shlex.split(capsys.readouterr().out)
    assert argv[0].endswith("spark-submit")
    assert _confs(argv)["spark.connect.grpc.binding.port"] == "15124"
    assert not (tmp_path / "s").exists()


def test_a_port_out_of_range_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        resident.main(["--port", "70000", "--print"])
    assert stopped.value.code == 2
    assert "--port must be a TCP port" in capsys.readouterr().err
