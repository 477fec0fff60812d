"""The CLI's promises: --help everywhere, one-line errors, non-zero exits."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from flows.cli import app, main

COMMANDS = [
    [],
    ["demo"],
    ["simulate"],
    ["sweep"],
    ["backfill"],
    ["train"],
    ["promote"],
    ["backtest"],
    ["queue"],
    ["queue", "list"],
    ["queue", "show"],
    ["queue", "claim"],
    ["queue", "decide"],
    ["queue", "export"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "root")
def test_every_command_has_help(command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*command, "--help"]) == 0
    assert "Usage: hydrasweep" in capsys.readouterr().out


def test_bad_date_is_one_line_and_non_zero(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sweep", "--date", "yesterday"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["hydrasweep: error: --date must be a date like 2026-11-03, got 'yesterday'"]


def test_backfill_rejects_reversed_range(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["backfill", "--start", "2026-11-05", "--end", "2026-11-01"]) == 1
    assert "before --start" in capsys.readouterr().err


def test_an_evaluation_keeps_its_prefect_state_in_its_home(
    tmp_path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two evaluations side by side, each with its own --home, share no Prefect database;
    an explicit PREFECT_HOME wins."""
    monkeypatch.delenv("PREFECT_HOME")
    assert main(["evaluate", "--seeds", "bogus", "--home", str(tmp_path / "a")]) == 1
    assert "--seeds takes" in capsys.readouterr().err
    assert os.environ["PREFECT_HOME"] == str((tmp_path / "a" / ".prefect").resolve())
    assert (tmp_path / "a" / ".prefect").is_dir()  # made before Prefect reads it
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path / "mine"))
    assert main(["evaluate", "--seeds", "bogus", "--home", str(tmp_path / "b")]) == 1
    assert os.environ["PREFECT_HOME"] == str(tmp_path / "mine")
    assert not (tmp_path / "b").exists()


def test_unknown_option_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sweep", "--no-such-flag"]) == 2
    assert "No such option" in capsys.readouterr().err


def test_console_script_is_installed() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "flows.cli", "--help"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0 and "hydrasweep" in result.stdout
    assert {c.name for c in app.registered_commands} >= {
        "sweep",
        "backfill",
        "train",
        "promote",
        "demo",
    }


DAY_FLAGS = [
    ["sweep", "--date"],
    ["backfill", "--end", "2026-11-05", "--start"],
    ["train", "--as-of"],
    ["backtest", "--end", "2026-11-05", "--start"],
    ["demo", "--start"],
    ["simulate", "--days", "1", "--start"],
]


@pytest.mark.parametrize("command", DAY_FLAGS, ids=lambda c: c[0])
def test_every_day_option_fails_alike(command: list[str], capsys) -> None:
    assert main([*command, "11/05/2026"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        f"hydrasweep: error: {command[-1]} must be a date like 2026-11-03, got '11/05/2026'"
    ]


@pytest.mark.parametrize("command", [c[0] for c in DAY_FLAGS] + ["promote"])
def test_every_command_takes_the_one_format_option(command: str, capsys) -> None:
    assert main([command, "--format", "xml"]) == 2
    assert "'xml' is not one of 'text', 'json'" in capsys.readouterr().err


def test_json_output_is_the_result_alone(tmp_path, capsys) -> None:
    argv = ["simulate", "--start", "2026-11-02", "--days", "1", "--scale", "0.01"]
    assert main([*argv, "--lake", str(tmp_path / "lake"), "--format", "json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert [day["day"] for day in printed["days"]] == ["2026-11-02"]


def test_version_is_printed(capsys: pytest.CaptureFixture[str]) -> None:
    from importlib.metadata import version

    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"hydrasweep {version('hydrasweep')}"


def test_train_summary_says_when_the_model_does_not_flag_alone() -> None:
    from flows.commands.summaries import train_lines
    from models.scoring import MODEL_NEVER_ALONE

    def first_line(threshold: float) -> str:
        train = {"model_version": "3", "run_id": "r", "threshold": threshold}
        return train_lines({"train": {**train, "corroboration_floor": 0.42}})[0]

    assert first_line(0.81).endswith("flag threshold 0.81")
    never = first_line(MODEL_NEVER_ALONE)
    assert "flags only with corroboration over 0.42" in never
    assert "threshold 2.0" not in never
