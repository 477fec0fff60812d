"""How days land in the lake: markers last, rewrites replace, bad lines at the configured rate."""

from __future__ import annotations

import contextlib
import math
import tempfile
from collections import Counter
from collections.abc import Iterator
from datetime import date
from typing import BinaryIO

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lakeio import LocalStore, layout, open_store
from simulate import BAD_LINE_KINDS, SimulationConfig, load_manifest, run_simulation
from tests.simulate.contract_check import classify_request_line, read_lines


class RecordingStore(LocalStore):
    """A local lake that remembers the order in which objects became visible.

    ``LocalStore.write_bytes`` goes through ``open_write``, so markers are recorded too.
    """

    def __init__(self, root: str) -> None:
        super().__init__(root)
        self.completed: list[str] = []

    @contextlib.contextmanager
    def open_write(self, key: str) -> Iterator[BinaryIO]:
        with super().open_write(key) as out:
            yield out
        self.completed.append(key)


def test_success_markers_are_written_after_every_data_file(tmp_path) -> None:
    config = SimulationConfig(start=date(2026, 5, 30), days=3, seed=2, scale=0.02, files_per_day=3)
    store = RecordingStore(str(tmp_path))
    run_simulation(store, config)
    order = {key: position for position, key in enumerate(store.completed)}
    for day in config.day_list:
        data = [
            k
            for ds in layout.RAW_DATASETS
            for k in store.completed
            if k.startswith(layout.raw_day_prefix(ds, day)) and k.endswith(".jsonl.gz")
        ]
        assert len(data) == config.files_per_day + 1  # request files and the snapshot
        markers = [order[layout.success_key(ds, day)] for ds in layout.RAW_DATASETS]
        assert min(markers) > max(order[k] for k in data)
    # Labels and truth come after the last day is complete.
    last_marker = max(order[layout.success_key(ds, config.end)] for ds in layout.RAW_DATASETS)
    assert order["labels/enforcement.jsonl"] > last_marker
    assert order["sim/truth/manifest.json"] > last_marker


def test_rewriting_a_day_replaces_its_files(tmp_path) -> None:
    store = open_store(str(tmp_path))
    run_simulation(
        store, SimulationConfig(start=date(2026, 1, 5), days=1, scale=0.02, files_per_day=4)
    )
    config = SimulationConfig(start=date(2026, 1, 5), days=1, scale=0.02, files_per_day=2, seed=8)
    run_simulation(store, config)
    prefix = layout.raw_day_prefix("requests", config.start)
    assert store.raw_day_files("requests", config.start) == [
        f"{prefix}part-00000.jsonl.gz",
        f"{prefix}part-00001.jsonl.gz",
    ]
    assert store.day_complete(config.start)


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rate=st.floats(0.005, 0.12), seed=st.integers(0, 2**31))
def test_bad_line_share_matches_the_setting(rate: float, seed: int) -> None:
    """Each good request turns bad with probability ``rate`` (independently), so the observed
    share is binomial: it must lie within 4.5 standard deviations of the setting (a false
    alarm about once in 150,000 runs), which still catches any systematic error above ~20%."""
    config = SimulationConfig(
        start=date(2027, 2, 1), days=1, seed=seed, scale=0.08, bad_line_rate=rate
    )
    with tempfile.TemporaryDirectory() as root:
        store = open_store(root)
        run_simulation(store, config)
        manifest = load_manifest(store)
        day = manifest["days"][0]
    candidates = day["requests"] + day["bad_lines_total"]  # lines before redelivery
    sigma = math.sqrt(rate * (1 - rate) / candidates)
    assert abs(day["bad_lines_total"] / candidates - rate) <= 4.5 * sigma
    assert candidates > 1500


def test_every_bad_line_kind_occurs_and_is_counted(tmp_path) -> None:
    config = SimulationConfig(
        start=date(2026, 11, 2), days=1, seed=1, scale=0.05, bad_line_rate=0.1
    )
    store = open_store(str(tmp_path))
    summary = run_simulation(store, config)
    found: Counter[str] = Counter()
    for key in store.raw_day_files("requests", config.start):
        found.update(classify_request_line(line, config.start) for line in read_lines(store, key))
    counted = summary.days[0].bad_lines
    assert set(counted) == set(BAD_LINE_KINDS)
    assert all(counted[kind] > 0 for kind in BAD_LINE_KINDS), counted
    assert {kind: found[kind] for kind in BAD_LINE_KINDS} == counted


def test_no_bad_lines_when_the_rate_is_zero(tmp_path) -> None:
    config = SimulationConfig(
        start=date(2026, 11, 2), days=1, scale=0.02, bad_line_rate=0.0, duplicate_rate=0.0
    )
    summary = run_simulation(open_store(str(tmp_path)), config)
    assert summary.total_bad_lines == 0 and summary.total_duplicates == 0
    assert summary.days[0].lines == summary.days[0].requests


def test_duplicates_are_present_at_the_default_rate(simulated_lake) -> None:
    manifest = simulated_lake.manifest
    assert manifest["totals"]["duplicates"] > 0
    assert abs(manifest["totals"]["duplicates"] / manifest["totals"]["requests"] - 0.003) < 0.002
