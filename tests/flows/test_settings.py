"""Settings precedence: flags, then environment variables, then defaults."""

from __future__ import annotations

from pathlib import Path

import pytest

from flows.settings import apply_offline_defaults, load_settings


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    # MLflow's set_tracking_uri exports MLFLOW_TRACKING_URI for child processes,
    # so an earlier test in the session may have left one behind.
    for name in (
        "MLFLOW_TRACKING_URI",
        "HYDRASWEEP_LAKE",
        "HYDRASWEEP_QUEUE_URL",
        "HYDRASWEEP_SPARK_MASTER",
        "HYDRASWEEP_HOME",
        "HYDRASWEEP_MAX_BAD_LINE_SHARE",
    ):
        monkeypatch.delenv(name, raising=False)


def test_defaults_work_with_nothing_running(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    settings = load_settings()
    assert settings.lake_uri == str(tmp_path / ".hydrasweep" / "lake")
    assert settings.queue_database_url == f"sqlite:///{tmp_path / '.hydrasweep' / 'queue.db'}"
    assert settings.tracking_uri == f"sqlite:///{tmp_path / '.hydrasweep' / 'mlflow.db'}"
    assert settings.spark_master == "local[*]"


def test_environment_overrides_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HYDRASWEEP_LAKE", "s3://bucket/lake")
    monkeypatch.setenv("HYDRASWEEP_QUEUE_URL", "postgresql+psycopg://u@h/db")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://mlflow:5000")
    monkeypatch.setenv("HYDRASWEEP_SPARK_MASTER", "spark://master:7077")
    monkeypatch.setenv("HYDRASWEEP_MAX_BAD_LINE_SHARE", "0.2")
    settings = load_settings()
    assert settings.lake_uri == "s3://bucket/lake"
    assert settings.queue_database_url == "postgresql+psycopg://u@h/db"
    assert settings.tracking_uri == "http://mlflow:5000"
    assert settings.spark_master == "spark://master:7077"
    assert settings.max_bad_line_share == 0.2


def test_flags_override_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HYDRASWEEP_LAKE", "s3://bucket/lake")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://mlflow:5000")
    monkeypatch.setenv("HYDRASWEEP_SPARK_MASTER", "spark://master:7077")
    settings = load_settings(
        lake="/data/lake", mlflow_tracking_uri="sqlite:///x.db", spark_master=None
    )
    assert settings.lake_uri == "/data/lake"
    assert settings.tracking_uri == "sqlite:///x.db"
    # a flag that was not given (None) falls through to the environment
    assert settings.spark_master == "spark://master:7077"


def test_invalid_values_are_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HYDRASWEEP_MAX_BAD_LINE_SHARE", "1.5")
    with pytest.raises(ValueError, match="max_bad_line_share"):
        load_settings()


def test_offline_defaults_respect_user_choices(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DO_NOT_TRACK", raising=False)
    monkeypatch.setenv("MLFLOW_DISABLE_TELEMETRY", "false")
    monkeypatch.delenv("SPARK_LOCAL_IP", raising=False)
    apply_offline_defaults()
    import os

    assert os.environ["DO_NOT_TRACK"] == "true"
    assert os.environ["MLFLOW_DISABLE_TELEMETRY"] == "false"
    # Loopback is the Spark session's default for local masters only (jobs.session).
    assert "SPARK_LOCAL_IP" not in os.environ


def test_run_config_is_flags_for_a_flow_run(monkeypatch: pytest.MonkeyPatch) -> None:
    from flows.runtime import RunConfig

    monkeypatch.setenv("HYDRASWEEP_MIN_CLUSTER_RECALL", "0.4")
    monkeypatch.setenv("HYDRASWEEP_LAKE", "s3://bucket/lake")
    assert RunConfig().settings().min_cluster_recall == 0.4
    config = RunConfig(lake="/data/lake", min_cluster_recall=0.3)
    assert config.settings().lake_uri == "/data/lake"
    assert config.settings().min_cluster_recall == 0.3
