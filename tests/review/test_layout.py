"""The review package's shape: one spelling of its words, no import loop, stable hand-off names.

Read from the source with ``ast`` (imports inside functions included), so a
lazy import that closes a loop fails here too.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from review.vocabulary import CaseFilter, CaseStatus, Outcome, Role

ROOT = Path(__file__).resolve().parents[2]
REVIEW = ROOT / "review"
# The words whose bare spelling outside review/vocabulary.py is a defect.
WORDS = {member.value for enum in (CaseStatus, Outcome, Role) for member in enum}
# Migrations are frozen history: they keep the text they were written with.
FROZEN = REVIEW / "migrations" / "versions"
CHECKED_SOURCES = [
    path
    for path in sorted(REVIEW.rglob("*.py"))
    if FROZEN not in path.parents and path.name != "vocabulary.py"
] + [ROOT / "flows" / "commands" / "queue.py", ROOT / "flows" / "commands" / "queue_render.py"]


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _review_imports(path: Path) -> set[str]:
    """The review modules ``path`` imports anywhere in its body."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return {name for name in found if name.startswith("review.")}


def test_no_review_module_imports_itself_back() -> None:
    graph = {_module_name(p): _review_imports(p) for p in sorted(REVIEW.rglob("*.py"))}

    def loop_from(start: str) -> list[str] | None:
        stack = [(start, [start])]
        seen: set[str] = set()
        while stack:
            module, path = stack.pop()
            for target in sorted(graph.get(module, ())):
                if target == start:
                    return [*path, target]
                if target not in seen:
                    seen.add(target)
                    stack.append((target, [*path, target]))
        return None

    loops = [loop for module in graph if (loop := loop_from(module))]
    assert loops == []


@pytest.mark.parametrize("path", CHECKED_SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_statuses_outcomes_and_roles_are_never_bare_strings(path: Path) -> None:
    tree = ast.parse(path.read_text(), filename=str(path))
    # Keys of a dict are field names (a case's "escalated" flag, an export's "abuse" count).
    keys = {id(key) for node in ast.walk(tree) if isinstance(node, ast.Dict) for key in node.keys}
    bare = [
        f"line {node.lineno}: {node.value!r}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and node.value in WORDS and id(node) not in keys
    ]
    assert bare == []


@pytest.mark.parametrize(
    "path", sorted((REVIEW / "web" / "templates").glob("*.html")), ids=lambda p: p.name
)
def test_templates_compare_with_the_vocabulary(path: Path) -> None:
    quoted = re.findall(r"""["']([a-z]+)["']""", path.read_text())
    assert sorted(set(quoted) & WORDS) == []


def test_the_list_filters_cover_every_status() -> None:
    assert {s.value for s in CaseStatus} <= {f.value for f in CaseFilter}
    assert all(CaseFilter(s.value).statuses == {s} for s in CaseStatus)


def test_the_hand_off_types_stay_importable_from_landing() -> None:
    from review import handoff, landing

    for name in ("SweepLanding", "FlaggedAccount", "ClusterEvidence"):
        assert getattr(landing, name) is getattr(handoff, name)
