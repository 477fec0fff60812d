"""Test support shared across test packages: subprocess daemons (Prefect server and
worker, Spark standalone cluster) started and always stopped by the tests, and
tiny simulated lakes."""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
