"""The benchmark scripts start: their imports (bench/_harness.py included) and arguments parse.

They are run by hand on a quiet machine, never in the suite, so without this a
broken import would only show the next time someone needs a number.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"
SCRIPTS = sorted(path for path in BENCH.glob("bench_*.py")) + [BENCH / "flag_arms.py"]


def test_every_benchmark_is_listed() -> None:
    assert {path.name for path in SCRIPTS} >= {
        "bench_simulate.py",
        "bench_ingest.py",
        "bench_features.py",
        "bench_sweep.py",
    }


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda path: path.stem)
def test_benchmark_script_starts(script: Path) -> None:
    completed = subprocess.run(
        [sys.executable, str(script), "--help"], capture_output=True, text=True, timeout=120
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.startswith("usage:")
