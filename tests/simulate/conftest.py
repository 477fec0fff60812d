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

# 14 days: the aggressive campaign starts on day 2, the distributed one on day 4, the model
# is released on day 8 and the reasoning campaign starts on day 9.
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
        """The day's good request lines (duplicates dropped) with each account's true population."""
        rows = []
        for key in self.store.raw_day_files("requests", day):
            for line in read_lines(self.store, key):
                if classify_request_line(line, day) == "good":
                    rows.append(json.loads(line))
        frame = pd.DataFrame(rows).drop_duplicates("request_id")
        truth = self.truth.set_index("account_id")
        frame["population"] = frame["account_id"].map(truth["population"])
        frame["campaign_id"] = frame["account_id"].map(truth["campaign_id"])
        return frame

    def all_good_requests(self) -> pd.DataFrame:
        return pd.concat(
            [self.good_requests(day) for day in self.config.day_list], ignore_index=True
        )


@pytest.fixture(scope="session")
def simulated_lake(tmp_path_factory: pytest.TempPathFactory) -> SimulatedLake:
    root = tmp_path_factory.mktemp("simulated-lake")
    store = open_store(str(root))
    summary = run_simulation(store, SHARED_CONFIG)
    return SimulatedLake(
        root, store, SHARED_CONFIG, summary, load_manifest(store), load_truth(store)
    )


@pytest.fixture(scope="session")
def shared_requests(simulated_lake: SimulatedLake) -> pd.DataFrame:
    return simulated_lake.all_good_requests()
