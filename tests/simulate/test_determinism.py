"""Same seed and config, same bytes: on a folder, on S3, and one day on its own."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lakeio import layout, open_store
from simulate import SimulationConfig, run_simulation
from simulate.directory import build_directory
from simulate.writer import write_day
from tests.simulate.contract_check import lake_bytes

small_configs = st.builds(
    SimulationConfig,
    start=st.dates(min_value=date(2025, 1, 1), max_value=date(2029, 12, 31)),
    days=st.integers(1, 2),
    seed=st.integers(0, 2**31),
    scale=st.floats(0.01, 0.02),
    files_per_day=st.integers(1, 3),
)


def _simulate(config: SimulationConfig) -> dict[str, bytes]:
    with tempfile.TemporaryDirectory() as root:
        store = open_store(root)
        run_simulation(store, config)
        return lake_bytes(store)


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(config=small_configs)
def test_same_seed_gives_identical_bytes(config: SimulationConfig) -> None:
    first = _simulate(config)
    assert first == _simulate(config)
    assert any(key.endswith(".jsonl.gz") for key in first)


@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(config=small_configs, other_seed=st.integers(0, 2**31))
def test_another_seed_gives_other_traffic(config: SimulationConfig, other_seed: int) -> None:
    if other_seed == config.seed:
        other_seed += 1
    first = _simulate(config)
    second = _simulate(SimulationConfig(**{**config.__dict__, "seed": other_seed}))
    data_keys = [k for k in first if k.startswith("raw/requests/") and k.endswith(".gz")]
    assert data_keys
    assert all(first[key] != second[key] for key in data_keys)


def test_a_day_generated_alone_is_the_same_day(tmp_path) -> None:
    """Days depend on (seed, day) only, not on the days generated before them."""
    config = SimulationConfig(start=date(2026, 3, 1), days=4, seed=3, scale=0.02)
    full = open_store(str(tmp_path / "full"))
    run_simulation(full, config)
    alone = open_store(str(tmp_path / "alone"))
    write_day(alone, config, build_directory(config), 2)
    day = config.day_list[2]
    for dataset in layout.RAW_DATASETS:
        prefix = layout.raw_day_prefix(dataset, day)
        keys = list(full.list_keys(prefix))
        assert keys == list(alone.list_keys(prefix))
        assert [full.read_bytes(k) for k in keys] == [alone.read_bytes(k) for k in keys]


def test_s3_lake_over_http_gets_the_same_bytes(tmp_path, s3_bucket: str) -> None:
    config = SimulationConfig(start=date(2026, 11, 2), days=2, seed=9, scale=0.02, files_per_day=2)
    local = open_store(str(tmp_path))
    run_simulation(local, config)
    remote = open_store(f"s3://{s3_bucket}/lake/prod")
    summary = run_simulation(remote, config)
    assert summary.lake_uri == f"s3://{s3_bucket}/lake/prod"
    assert remote.day_complete(config.start) and remote.day_complete(config.end)
    assert lake_bytes(remote) == lake_bytes(local)


def test_bytes_do_not_depend_on_the_process(tmp_path) -> None:
    """Another interpreter with another string-hash seed writes the same lake (no set or
    hash order leaks into the output)."""
    config = SimulationConfig(start=date(2026, 11, 2), days=1, seed=12, scale=0.02)
    here = open_store(str(tmp_path / "here"))
    run_simulation(here, config)
    env = {**os.environ, "PYTHONHASHSEED": "4242"}
    subprocess.run(
        [
            sys.executable,
            "-m",
            "flows.cli",
            "simulate",
            "--start",
            "2026-11-02",
            "--days",
            "1",
            "--seed",
            "12",
            "--scale",
            "0.02",
            "--lake",
            str(tmp_path / "there"),
        ],
        check=True,
        env=env,
        capture_output=True,
    )
    there = open_store(str(tmp_path / "there"))
    assert lake_bytes(there) == lake_bytes(here)
