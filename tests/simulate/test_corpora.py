"""The corpora package: the packaged subset loads on a fresh install, the split is disjoint.

The packaged subset must load with nothing but the installed package (no
``/work/shared``); the full corpora folder, when this machine has it, must load
through ``corpus_dir`` and rebuild the packaged subset byte for byte.
"""

from __future__ import annotations

import fnmatch
import json
import shutil
import subprocess
import sys
import tomllib
from dataclasses import FrozenInstanceError
from pathlib import Path

import pytest

import corpora
from corpora import EVALUATION, PROMPT_KINDS, SPLITS, TEXT_MODEL, normalise
from tests.simulate.conftest import FULL_CORPORA

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "corpora"
PERMISSIVE_FAMILIES = {
    "human": {"arena_hard_v0.1", "arena_hard_v2.0"},
    "human_system": {"awesome-chatgpt-prompts"},
    "distill": {"flan_cot", "gpteacher", "self_instruct", "mt_bench", "vicuna_bench"},
}
needs_full_corpora = pytest.mark.skipif(
    FULL_CORPORA is None, reason="the full corpora folder is not on this machine"
)


def _corpus_dirs() -> list[Path | None]:
    return [None] if FULL_CORPORA is None else [None, FULL_CORPORA]


def test_the_packaged_subset_loads_without_a_corpus_dir() -> None:
    human = corpora.load_prompts("human")
    system = corpora.load_prompts("human_system")
    distill = corpora.load_prompts("distill")
    templates = corpora.load_templates()
    assert len(human) == 1250 and len(system) == 517 and len(distill) > 45_000
    for kind, records in (("human", human), ("human_system", system), ("distill", distill)):
        families = {r.source.split("/", 1)[0] for r in records}
        assert families <= PERMISSIVE_FAMILIES[kind], families
    assert {r.kind for r in distill} >= {"reasoning_question", "tool_use", "roleplay", "code"}
    assert all(r.kind is None for r in human) and all(r.act for r in system)
    assert len(templates.flan_cot_templates) == 107 and len(templates.grading_items) == 1371
    assert all("{question}" in t.text for t in templates.flan_cot_templates)
    with pytest.raises(FrozenInstanceError):
        human[0].text = "changed"  # type: ignore[misc]
    assert corpora.load_prompts("human") is human  # cached


def test_splits_partition_every_kind() -> None:
    for kind in PROMPT_KINDS:
        everything = corpora.load_prompts(kind)
        parts = [corpora.load_prompts(kind, split=s) for s in SPLITS]
        assert sum(map(len, parts)) == len(everything)
        assert all(parts), kind
    by_source = {
        r.source: corpora.prompt_split("distill", r) for r in corpora.load_prompts("distill")
    }
    assert by_source["flan_cot/gsm8k"] == TEXT_MODEL and by_source["flan_cot/aqua"] == EVALUATION
    assert by_source["gpteacher/codegen"] == TEXT_MODEL
    assert by_source["gpteacher/toolformer"] == EVALUATION
    assert {s for src, s in by_source.items() if src.startswith("mt_bench")} == {TEXT_MODEL}
    assert {s for src, s in by_source.items() if src.startswith("vicuna_bench")} == {EVALUATION}
    judges = {s: corpora.load_templates(split=s).judge_prompts for s in SPLITS}
    assert {j.source.split("@")[0] for j in judges[TEXT_MODEL]} == {"lm-sys/FastChat"}
    assert {j.source.split("@")[0] for j in judges[EVALUATION]} == {"tatsu-lab/alpaca_eval"}
    # Hash-split sections get roughly half each.
    for section in ("flan_cot_templates", "flan_cot_suffixes"):
        sizes = [len(getattr(corpora.load_templates(split=s), section)) for s in SPLITS]
        assert min(sizes) > 0.35 * sum(sizes), (section, sizes)
    assert min(len(corpora.load_prompts("human_system", split=s)) for s in SPLITS) > 200


def _split_texts(split: str, corpus_dir: Path | None) -> set[str]:
    texts = {
        normalise(r.text)
        for kind in PROMPT_KINDS
        for r in corpora.load_prompts(kind, split=split, corpus_dir=corpus_dir)
    }
    templates = corpora.load_templates(split=split, corpus_dir=corpus_dir)
    for section in templates.__dataclass_fields__:
        for record in getattr(templates, section):
            texts.update(normalise(t) for t in corpora.record_texts(record))
            for extra in ("answer", "rationale"):  # grading items: long answers count too
                value = getattr(record, extra, "")
                if len(value) >= 40:
                    texts.add(normalise(value))
    return texts


@pytest.mark.parametrize(
    "corpus_dir", _corpus_dirs(), ids=["packaged", "full"][: len(_corpus_dirs())]
)
def test_no_text_is_in_both_splits(corpus_dir: Path | None) -> None:
    text_model = _split_texts(TEXT_MODEL, corpus_dir)
    evaluation = _split_texts(EVALUATION, corpus_dir)
    assert text_model and evaluation
    assert text_model.isdisjoint(evaluation), sorted(text_model & evaluation)[:3]
    for text in list(evaluation)[:50]:
        assert corpora.split_of_text(text, corpus_dir=corpus_dir) in (EVALUATION, None)


@needs_full_corpora
def test_the_full_folder_adds_the_non_commercial_sources_to_evaluation_only() -> None:
    packaged = corpora.load_prompts("human", split=TEXT_MODEL)
    full = corpora.load_prompts("human", split=TEXT_MODEL, corpus_dir=FULL_CORPORA)
    assert [r.text for r in packaged] == [r.text for r in full]
    evaluation = corpora.load_prompts("human", split=EVALUATION, corpus_dir=FULL_CORPORA)
    assert {"oasst1", "sharegpt", "arena_hard_v2.0"} <= {r.source for r in evaluation}
    distill = corpora.load_prompts("distill", split=EVALUATION, corpus_dir=FULL_CORPORA)
    assert {"code_alpaca_2k", "alpaca_en_demo"} <= {r.source for r in distill}


def test_a_missing_corpus_dir_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="is not a corpora folder: human_prompts"):
        corpora.load_prompts("human", corpus_dir=tmp_path / "nowhere")
    assert not corpora.is_corpus_dir(tmp_path)
    with pytest.raises(ValueError, match="unknown prompt kind"):
        corpora.load_prompts("sharegpt")
    with pytest.raises(ValueError, match="unknown split"):
        corpora.load_templates(split="train")


def _declared_data_files() -> list[Path]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    setuptools = config["tool"]["setuptools"]
    assert any(
        fnmatch.fnmatch("corpora", pattern) for pattern in setuptools["packages"]["find"]["include"]
    )
    globs = setuptools["package-data"]["corpora"]
    files = [p for p in (PACKAGE / "data").iterdir() if p.is_file()]
    undeclared = [
        p.name for p in files if not any(fnmatch.fnmatch(f"data/{p.name}", g) for g in globs)
    ]
    assert undeclared == []
    return files


def test_a_fresh_install_has_the_data(tmp_path: Path) -> None:
    """Only what pyproject declares as the package and its data, imported from elsewhere."""
    site = tmp_path / "site" / "corpora"
    (site / "data").mkdir(parents=True)
    shutil.copy(PACKAGE / "__init__.py", site / "__init__.py")
    for path in _declared_data_files():
        shutil.copy(path, site / "data" / path.name)
    probe = (
        "import json, corpora; "
        "print(json.dumps([len(corpora.load_prompts(k)) for k in corpora.PROMPT_KINDS]"
        " + [len(corpora.load_templates(split='evaluation').judge_prompts), corpora.__file__]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=tmp_path,
        env={"PYTHONPATH": str(tmp_path / "site"), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
    )
    *counts, judges, location = json.loads(done.stdout)
    assert counts == [len(corpora.load_prompts(k)) for k in PROMPT_KINDS]
    assert judges == 35 and location.startswith(str(tmp_path))


@needs_full_corpora
def test_make_subset_rebuilds_the_package_data_byte_for_byte(tmp_path: Path) -> None:
    from corpora import make_subset

    make_subset.main([str(FULL_CORPORA), "--out", str(tmp_path)])
    for path in (PACKAGE / "data").iterdir():
        assert (tmp_path / path.name).read_bytes() == path.read_bytes(), path.name
