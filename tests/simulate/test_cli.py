"""``hydrasweep simulate`` writes a lake and fails on bad input with one line."""

from __future__ import annotations

import json
from datetime import date

import pytest

from flows.cli import main
from lakeio import open_store
from simulate import load_manifest


def test_simulate_command_writes_the_lake(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    lake = tmp_path / "lake"
    code = main(
        [
            "simulate",
            "--start",
            "2026-11-02",
            "--days",
            "2",
            "--seed",
            "4",
            "--scale",
            "0.02",
            "--release-day",
            "2026-11-03",
            "--bad-line-rate",
            "0.01",
            "--lake",
            str(lake),
        ]
    )
    assert code == 0
    out = capsys.readouterr().out
    assert "2026-11-02" in out and "2026-11-03" in out and "labels/enforcement.jsonl" in out
    assert "proxy_network" in out and "packaged (evaluation split)" in out
    store = open_store(str(lake))
    assert store.list_days("requests") == store.list_days("accounts")
    assert all(store.day_complete(day) for day in store.list_days("requests"))
    manifest = load_manifest(store)
    assert manifest["config"]["seed"] == 4
    assert manifest["config"]["bad_line_rate"] == 0.01
    assert manifest["release_day"] == "2026-11-03"
    assert [d["day"] for d in manifest["days"]] == ["2026-11-02", "2026-11-03"]
    assert json.loads(store.read_bytes("sim/truth/manifest.json")) == manifest


def test_campaign_flags_choose_tactics_starts_and_labelling(tmp_path, capsys) -> None:
    lake = tmp_path / "lake"
    args = ["simulate", "--start", "2026-11-02", "--days", "2", "--scale", "0.02"]
    args += ["--tactic", "unique_cards", "--tactic", "org_many_keys"]
    args += ["--campaign-start", "org_many_keys=2026-11-03", "--unlabelled", "unique_cards"]
    assert main([*args, "--lake", str(lake)]) == 0
    manifest = load_manifest(open_store(str(lake)))
    campaigns = {c["campaign_id"]: c for c in manifest["campaigns"]}
    assert list(campaigns) == ["unique_cards", "org_many_keys"]
    assert campaigns["org_many_keys"]["start_day"] == "2026-11-03"
    assert campaigns["unique_cards"]["labelled"] is False
    assert campaigns["org_many_keys"]["labelled"] is True


def test_lake_comes_from_the_environment(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HYDRASWEEP_LAKE", str(tmp_path / "env-lake"))
    assert main(["simulate", "--start", "2026-11-02", "--days", "1", "--scale", "0.01"]) == 0
    assert open_store(str(tmp_path / "env-lake")).day_complete(date(2026, 11, 2))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--start", "2026-13-01", "--days", "2"],
            "--start must be a date like 2026-11-03, got '2026-13-01'",
        ),
        (["--start", "2026-11-01", "--days", "0"], "--days must be at least 1, got 0"),
        (
            ["--start", "2026-11-01", "--days", "2", "--scale", "0"],
            "--scale must be positive, got 0.0",
        ),
        (
            ["--start", "2026-11-01", "--days", "2", "--release-day", "soon"],
            "--release-day must be a date like 2026-11-03, got 'soon'",
        ),
        (
            ["--start", "2026-11-01", "--days", "2", "--bad-line-rate", "1.5"],
            "--bad-line-rate must be in [0, 1), got 1.5",
        ),
        (
            ["--start", "2026-11-01", "--days", "2", "--tactic", "teleport"],
            "unknown tactic 'teleport'; expected one of aggressive_sweep, low_and_slow, "
            "mixed_traffic, paraphrased_multilingual, warmed_up, unique_cards, "
            "residential_rotation, org_many_keys, release_pivot, proxy_network",
        ),
        (
            ["--start", "2026-11-01", "--days", "2", "--campaign-start", "warmed_up"],
            "--campaign-start must be TACTIC=YYYY-MM-DD, got 'warmed_up'",
        ),
        (
            ["--start", "2026-11-01", "--days", "2", "--tactic", "warmed_up"]
            + ["--unlabelled", "unique_cards"],
            "unique_cards is not among the tactics run (--tactic)",
        ),
        (
            ["--start", "2026-11-01", "--days", "2", "--corpus-dir", "/nowhere/corpora"],
            "--corpus-dir /nowhere/corpora is not a prompt-corpora folder",
        ),
    ],
)
def test_bad_input_is_one_line_and_exit_1(tmp_path, capsys, args: list[str], message: str) -> None:
    assert main(["simulate", *args, "--lake", str(tmp_path)]) == 1
    assert capsys.readouterr().err.strip().splitlines() == [f"hydrasweep: error: {message}"]
    assert not any(tmp_path.iterdir())  # nothing written
