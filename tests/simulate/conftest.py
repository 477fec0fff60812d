"""Fixtures for the simulator tests: one small multi-day lake shared by the read-only tests."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import corpora
from lakeio import ObjectStore, open_store
from simulate import SimulationConfig, SimulationSummary, load_manifest, load_truth, run_simulation
from tests.simulate.contract_check import classify_request_line, read_lines

# The full corpora folder, when this machine has it (tests use it; the product never needs it).
_SHARED_CORPORA = Path("/work/shared/corpora")
FULL_CORPORA: Path | None = _SHARED_CORPORA if corpora.is_corpus_dir(_SHARED_CORPORA) else None

# 14 days of every default campaign at a small scale, from the packaged corpus: the model is
# released on day 8 (2026-11-10); release_pivot starts on day 4, warmed_up accounts warm up
# from day 1 and extract from about day 5.
SHARED_CONFIG = SimulationConfig(
    start=date(2026, 11, 2), days=14, seed=5, scale=0.05, files_per_day=2
)


@dataclass
class SimulatedLake:
    root: Path
    store: ObjectStore
    config: SimulationConfig
    summary: SimulationSummary
    manifest: dict[str, Any]
    truth: pd.DataFrame

    def good_requests(self, day: date) -> pd.DataFrame:
        """The day's good request lines (duplicates dropped) with each account's true identity."""
        rows = []
        for key in self.store.raw_day_files("requests", day):
            for line in read_lines(self.store, key):
                if classify_request_line(line, day) == "good":
                    rows.append(json.loads(line))
        frame = pd.DataFrame(rows).drop_duplicates("request_id")
        truth = self.truth.set_index("account_id")
        for column in ("population", "campaign_id", "tactic", "org_id"):
            frame[f"true_{column}" if column == "org_id" else column] = frame["account_id"].map(
                truth[column]
            )
        return frame

    def all_good_requests(self) -> pd.DataFrame:
        return pd.concat(
            [self.good_requests(day) for day in self.config.day_list], ignore_index=True
        )

    def snapshot(self, day: date | None = None) -> pd.DataFrame:
        """The account snapshot of ``day`` (default: the last day)."""
        key = self.store.raw_day_files("accounts", day or self.config.end)[0]
        return pd.DataFrame([json.loads(line) for line in read_lines(self.store, key)])


def simulate_lake(root: Path, config: SimulationConfig) -> SimulatedLake:
    store = open_store(str(root))
    summary = run_simulation(store, config)
    return SimulatedLake(root, store, config, summary, load_manifest(store), load_truth(store))


@pytest.fixture(scope="session")
def simulated_lake(tmp_path_factory: pytest.TempPathFactory) -> SimulatedLake:
    return simulate_lake(tmp_path_factory.mktemp("simulated-lake"), SHARED_CONFIG)


@pytest.fixture(scope="session")
def shared_requests(simulated_lake: SimulatedLake) -> pd.DataFrame:
    return simulated_lake.all_good_requests()
