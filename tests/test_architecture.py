"""Imports point one way: flows -> jobs, models, review, simulate -> features, lakeio.

Read from the source with ``ast`` so a stray import fails here, not in review.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("flows", "jobs", "models", "review", "simulate", "features", "lakeio")
ALLOWED: dict[str, set[str]] = {
    "flows": {"jobs", "models", "review", "simulate", "features", "lakeio"},
    "jobs": {"features", "lakeio"},
    "models": {"features", "lakeio"},
    "review": {"lakeio"},
    "simulate": {"features", "lakeio"},
    "features": set(),
    "lakeio": set(),
}


def _imported_packages(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found & (set(PACKAGES) | {"tests"})


@pytest.mark.parametrize("package", PACKAGES)
def test_imports_point_one_way(package: str) -> None:
    offenders = []
    for path in sorted((ROOT / package).rglob("*.py")):
        bad = _imported_packages(path) - ALLOWED[package] - {package}
        if bad:
            offenders.append(f"{path.relative_to(ROOT)} imports {sorted(bad)}")
    assert offenders == []


def test_features_do_no_io_and_read_no_settings() -> None:
    for path in sorted((ROOT / "features").rglob("*.py")):
        source = path.read_text()
        assert "os.environ" not in source, path
        assert "import boto3" not in source, path
