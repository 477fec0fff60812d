"""The simulator's text is real corpus text of the evaluation split only, with or without
the full corpora folder, and varied the way people and operators vary it."""

from __future__ import annotations

import re
from datetime import date
from functools import cache
from pathlib import Path

import pytest

import corpora
from simulate import SimulationConfig, text
from tests.simulate.conftest import FULL_CORPORA, simulate_lake
from tests.simulate.contract_check import lake_bytes

SHINGLE = 8
MIN_CHARS = 40  # shorter texts ("continue", a bare yes/no question) are not evidence of origin


@cache
def _texts_by_first_shingle(split: str, corpus_dir: str | None) -> dict[str, list[str]]:
    """Normalised texts of one split (>= MIN_CHARS), keyed by their first word 8-shingle."""
    texts: list[str] = []
    for kind in corpora.PROMPT_KINDS:
        texts += [r.text for r in corpora.load_prompts(kind, split=split, corpus_dir=corpus_dir)]
    templates = corpora.load_templates(split=split, corpus_dir=corpus_dir)
    for section in templates.__dataclass_fields__:
        for record in getattr(templates, section):
            texts += list(corpora.record_texts(record))
    table: dict[str, list[str]] = {}
    for raw in texts:
        normal = corpora.normalise(raw)
        words = normal.split(" ")
        if len(normal) >= MIN_CHARS and len(words) >= SHINGLE:
            table.setdefault(" ".join(words[:SHINGLE]), []).append(normal)
    return table


def contained_texts(emitted: str, split: str, corpus_dir: Path | None = None) -> list[str]:
    """Texts of ``split`` that occur whole inside ``emitted``."""
    table = _texts_by_first_shingle(split, None if corpus_dir is None else str(corpus_dir))
    normal = corpora.normalise(emitted)
    words = normal.split(" ")
    found = []
    for i in range(len(words) - SHINGLE + 1):
        for candidate in table.get(" ".join(words[i : i + SHINGLE]), ()):
            if candidate in normal:
                found.append(candidate)
    return found


def _emitted(requests) -> list[str]:
    return list(requests["prompt"]) + list(requests["system_prompt"].dropna().unique())


def test_only_evaluation_text_is_emitted(shared_requests) -> None:
    emitted = _emitted(shared_requests)
    leaked = [t for e in emitted for t in contained_texts(e, corpora.TEXT_MODEL)]
    assert leaked == []
    # ... while evaluation texts are there, whole, in campaign and legitimate traffic alike.
    campaign = shared_requests[shared_requests["campaign_id"].notna()]
    legit = shared_requests[shared_requests["campaign_id"].isna()]
    for rows in (campaign, legit):
        hits = sum(bool(contained_texts(p, corpora.EVALUATION)) for p in rows["prompt"].head(2000))
        assert hits > 0.3 * min(2000, len(rows))


def test_the_bank_holds_only_evaluation_records() -> None:
    bank = text.load_bank(None)
    pools = {
        "user": [t for texts in bank.user_prompts.values() for t in texts],
        "harvested": list(bank.harvested),
        "reasoning": list(bank.reasoning) + list(bank.reasoning_legit),
        "other": list(bank.tool_use + bank.roleplay + bank.benchmark + bank.code),
        "templates": list(bank.cot_templates + bank.cot_suffixes + bank.orca_system_prompts),
    }
    for name, texts in pools.items():
        assert texts, name
        splits = {corpora.split_of_text(t) for t in texts}
        assert splits == {corpora.EVALUATION}, name
    grading = {corpora.split_of_text(g.question) for g in bank.grading + bank.grading_legit}
    assert grading == {corpora.EVALUATION}


def test_it_runs_from_the_package_when_the_corpora_folder_is_absent(tmp_path) -> None:
    base = dict(start=date(2026, 11, 2), days=1, seed=4, scale=0.02, files_per_day=1)
    packaged = simulate_lake(tmp_path / "packaged", SimulationConfig(**base))
    absent = simulate_lake(
        tmp_path / "absent", SimulationConfig(**base, corpus_dir=tmp_path / "no" / "corpora")
    )
    assert packaged.manifest["corpus"]["source"] == "packaged"
    assert absent.manifest["corpus"]["source"] == "packaged"
    data = {k: v for k, v in lake_bytes(packaged.store).items() if k.startswith("raw/")}
    assert data == {k: v for k, v in lake_bytes(absent.store).items() if k.startswith("raw/")}
    # Nothing in the simulator knows where the shared corpora live.
    package = Path(text.__file__).parent
    assert not [p for p in package.rglob("*.py") if "/work/shared" in p.read_text()]


@pytest.mark.skipif(FULL_CORPORA is None, reason="the full corpora folder is not on this machine")
def test_a_full_corpora_folder_widens_the_text(tmp_path) -> None:
    config = SimulationConfig(
        start=date(2026, 11, 2),
        days=2,
        seed=4,
        scale=0.03,
        files_per_day=1,
        corpus_dir=FULL_CORPORA,
    )
    lake = simulate_lake(tmp_path, config)
    assert lake.manifest["corpus"]["source"] == str(FULL_CORPORA.resolve())
    assert lake.manifest["corpus"]["pools"]["user_prompts"] > 5000
    requests = lake.all_good_requests()
    leaked = [
        t for e in _emitted(requests) for t in contained_texts(e, corpora.TEXT_MODEL, FULL_CORPORA)
    ]
    assert leaked == []
    full_only = {
        corpora.normalise(r.text)
        for r in corpora.load_prompts("human", split=corpora.EVALUATION, corpus_dir=FULL_CORPORA)
        if r.source in ("oasst1", "sharegpt")
    }
    prompts = {corpora.normalise(p) for p in requests["prompt"]}
    assert len(prompts & full_only) >= 10


def test_people_repeat_popular_prompts_and_campaigns_vary(shared_requests) -> None:
    legit = shared_requests[shared_requests["campaign_id"].isna()]
    people = legit[legit["population"].isin(("individual", "carrier_nat", "office_egress"))]
    owners = people.groupby("prompt")["account_id"].nunique()
    # Popular prompts ("hi", famous act-as prompts) come from many unrelated people.
    assert owners.max() >= 10
    # Campaign text is rarely the same string twice, however templated.
    campaign = shared_requests[shared_requests["campaign_id"].notna()]
    assert campaign["prompt"].nunique() / len(campaign) > 0.8
    # Several languages among ordinary people too.
    languages = people["prompt"].head(3000).map(text.guess_language)
    assert languages.nunique() >= 5 and (languages != "en").mean() > 0.03


def test_guess_language_reads_scripts_and_common_words() -> None:
    assert text.guess_language("How do I sort a list in Python?") == "en"
    assert text.guess_language("¿Cómo puedo ordenar una lista en Python? Es para mi clase") == "es"
    assert (
        text.guess_language("Wie kann ich eine Liste in Python sortieren? Das ist für die Uni")
        == "de"
    )
    assert text.guess_language("如何在Python中对列表进行排序？") == "zh"
    assert text.guess_language("Pythonでリストを並べ替えるにはどうすればいいですか") == "ja"
    assert text.guess_language("Как отсортировать список в Python?") == "ru"
    assert re.fullmatch(r"[a-z]{2}", text.guess_language("def f(x):\n    return x"))
