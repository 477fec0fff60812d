"""Imports point one way: flows -> jobs, models, review, simulate -> features, lakeio.

Read from the source with ``ast`` so a stray import fails here, not in review.
Besides the direction between packages: models reach jobs only through the
session seam and the job entry points; nothing outside ``jobs/session.py``
touches the SparkContext or RDDs (so every job runs over Spark Connect); the
flows import no pyspark when they load; and no package has an import loop.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("flows", "jobs", "models", "review", "simulate", "corpora", "features", "lakeio")
ALLOWED: dict[str, set[str]] = {
    "flows": {"jobs", "models", "review", "simulate", "corpora", "features", "lakeio"},
    "jobs": {"features", "lakeio"},
    # jobs only as the session seam and the job entry points (MODELS_MAY_IMPORT).
    "models": {"features", "lakeio", "jobs", "corpora"},
    "review": {"lakeio"},
    "simulate": {"lakeio", "corpora"},
    "corpora": set(),
    "features": set(),
    "lakeio": set(),
}
MODELS_MAY_IMPORT = {"jobs.session", "jobs.entry"}
# The SparkContext and the RDD API, which a Spark Connect session does not have.
CLASSIC_ONLY = ("sparkContext", "rdd")
SEAM = ROOT / "jobs" / "session.py"
KNOWN_LOOPS: set[str] = set()


def _sources(package: str) -> Iterator[Path]:
    yield from sorted((ROOT / package).rglob("*.py"))


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(tree: ast.AST) -> Iterator[str]:
    """What every import anywhere in ``tree`` names (``from a import b``: ``a.b``)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield from (f"{node.module}.{alias.name}" for alias in node.names)


def _imported_packages(path: Path) -> set[str]:
    found = {name.split(".")[0] for name in _imports(ast.parse(path.read_text()))}
    return found & (set(PACKAGES) | {"tests"})


@pytest.mark.parametrize("package", PACKAGES)
def test_imports_point_one_way(package: str) -> None:
    offenders = []
    for path in _sources(package):
        bad = _imported_packages(path) - ALLOWED[package] - {package}
        if bad:
            offenders.append(f"{path.relative_to(ROOT)} imports {sorted(bad)}")
    assert offenders == []


def test_models_reach_jobs_only_through_the_session_and_the_entry_points() -> None:
    offenders = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in _sources("models")
        for name in _imports(ast.parse(path.read_text()))
        if name.split(".")[0] == "jobs"
        and name != "jobs"
        and not any(name == m or name.startswith(f"{m}.") for m in MODELS_MAY_IMPORT)
    ]
    assert offenders == []


def test_only_the_session_seam_touches_the_spark_context_or_rdds() -> None:
    offenders = []
    for package in ("flows", "jobs", "models", "features", "lakeio", "review"):
        for path in _sources(package):
            if path == SEAM:
                continue
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Attribute) and node.attr in CLASSIC_ONLY:
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} .{node.attr}")
    assert offenders == []


def _module_level(tree: ast.Module) -> Iterator[ast.stmt]:
    """Statements run when the module is imported (not in functions, not TYPE_CHECKING)."""
    pending: list[ast.stmt] = list(tree.body)
    while pending:
        node = pending.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            pending.extend(node.orelse)
            continue
        yield node
        for field in ("body", "orelse", "finalbody", "handlers"):
            pending.extend(getattr(node, field, []) or [])


def test_flows_import_no_pyspark_when_they_load() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}:{node.lineno}"
        for path in _sources("flows")
        for node in _module_level(ast.parse(path.read_text()))
        if isinstance(node, ast.Import | ast.ImportFrom)
        and any(name.split(".")[0] == "pyspark" for name in _imports(node))
    ]
    assert offenders == []
    # Nor through what they import: the CLI's --help and a Prefect worker loading
    # a flow start no Spark machinery.
    modules = sorted(_module_name(path) for path in _sources("flows"))
    probe = (
        f"import importlib, sys\nfor name in {modules!r}:\n    importlib.import_module(name)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'pyspark'))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert loaded.stdout.strip() == "[]"


def test_the_cli_imports_no_prefect_mlflow_or_spark_when_it_loads() -> None:
    """Commands import what they run: ``--help`` stays fast, and ``hydrasweep evaluate``
    can set ``PREFECT_HOME`` before Prefect reads it (it reads it once, on import)."""
    probe = (
        "import sys, flows.cli\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'prefect', 'mlflow', 'pyspark'}))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert loaded.stdout.strip() == "[]"


def _import_graph() -> dict[str, set[str]]:
    modules = {_module_name(path): path for package in PACKAGES for path in _sources(package)}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        targets = set()
        for imported in _imports(ast.parse(path.read_text())):
            # The module itself when it is one of ours, else the package it names.
            while imported and imported not in modules:
                imported = imported.rpartition(".")[0]
            if imported and imported != name:
                targets.add(imported)
        graph[name] = targets
    return graph


def _loops(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    loops: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                loops.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return loops


def test_no_package_has_an_import_loop() -> None:
    loops = [
        loop for loop in _loops(_import_graph()) if {m.split(".")[0] for m in loop} - KNOWN_LOOPS
    ]
    assert loops == []


def test_the_loop_finder_finds_loops() -> None:
    graph = {"a.x": {"a.y"}, "a.y": {"a.z"}, "a.z": {"a.x"}, "b": {"a.x"}}
    assert _loops(graph) == [["a.x", "a.y", "a.z"]]


def test_features_do_no_io_and_read_no_settings() -> None:
    for path in _sources("features"):
        source = path.read_text()
        assert "os.environ" not in source, path
        assert "import boto3" not in source, path
