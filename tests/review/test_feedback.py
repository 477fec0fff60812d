"""Decisions flow back to training as contract labels; a decision survives its day's rerun."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy.engine import Engine

from lakeio import open_store
from review.decisions import decide_case
from review.feedback import LABELS_KEY, export_labels
from review.landing import land_sweep
from review.service import claim_case, get_case, list_cases
from tests.review.builders import account, cluster, landing, queue_snapshot
from tests.review.conftest import T0

D1 = date(2026, 11, 1)


def _day_one(queue: Engine) -> None:
    land_sweep(
        queue,
        landing(D1, {"c-1": cluster("farm", 3)}, [account("lab", score=0.6)]),
        intake_cap=10,
        now=T0,
    )


def _decide_all(queue: Engine) -> None:
    cases = {c.title: c.id for c in list_cases(queue)}
    claim_case(queue, cases["cluster c-1"], "ana", now=T0)
    decide_case(
        queue,
        cases["cluster c-1"],
        reviewer="ana",
        outcome="mixed",
        reason="farm-02 is the owner's real account",
        account_outcomes={"farm-00": "abuse", "farm-01": "abuse", "farm-02": "legitimate"},
        now=T0 + timedelta(hours=1),
    )
    claim_case(queue, cases["account lab"], "bea", now=T0)
    decide_case(
        queue,
        cases["account lab"],
        reviewer="bea",
        outcome="legitimate",
        reason="university eval harness",
        now=T0 + timedelta(hours=2),
    )


def _read_labels(lake: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in (lake / LABELS_KEY).read_text().splitlines()]


def test_labels_follow_the_contract(queue: Engine, tmp_path: Path) -> None:
    _day_one(queue)
    _decide_all(queue)

    result = export_labels(queue, open_store(str(tmp_path)))

    assert (result.key, result.labels, result.abuse, result.legitimate) == (
        "labels/review-decisions.jsonl",
        4,
        2,
        2,
    )
    labels = _read_labels(tmp_path)
    assert labels == [
        {
            "account_id": "farm-00",
            "label": 1,
            "labeled_at": "2026-11-27T10:00:00Z",
            "source": "review",
        },
        {
            "account_id": "farm-01",
            "label": 1,
            "labeled_at": "2026-11-27T10:00:00Z",
            "source": "review",
        },
        {
            "account_id": "farm-02",
            "label": 0,
            "labeled_at": "2026-11-27T10:00:00Z",
            "source": "review",
        },
        {"account_id": "lab", "label": 0, "labeled_at": "2026-11-27T11:00:00Z", "source": "review"},
    ]
    for record in labels:  # parseable the way training reads it
        datetime.fromisoformat(str(record["labeled_at"]))


def test_a_decision_survives_a_rerun_of_its_day(queue: Engine, tmp_path: Path) -> None:
    _day_one(queue)
    _decide_all(queue)
    export_labels(queue, open_store(str(tmp_path)))
    before_labels = (tmp_path / LABELS_KEY).read_bytes()
    before = queue_snapshot(queue)

    _day_one(queue)  # the same day lands again (e.g. a backfill)
    export_labels(queue, open_store(str(tmp_path)))

    assert queue_snapshot(queue) == before
    assert (tmp_path / LABELS_KEY).read_bytes() == before_labels
    farm = get_case(queue, [c.id for c in list_cases(queue, status="closed")][0])
    assert farm.case.status == "closed" and len(farm.decisions) == 1


def test_latest_decision_wins_after_a_reopen(sqlite_queue: Engine, tmp_path: Path) -> None:
    queue = sqlite_queue
    land_sweep(queue, landing(D1, singles=[account("x", tokens=100)]), intake_cap=5, now=T0)
    [case] = list_cases(queue)
    claim_case(queue, case.id, "ana", now=T0)
    decide_case(queue, case.id, reviewer="ana", outcome="legitimate", reason="ok", now=T0)
    # It keeps going, far harder: material new evidence reopens the case.
    land_sweep(
        queue,
        landing(D1 + timedelta(days=1), singles=[account("x", tokens=5000)]),
        intake_cap=5,
        now=T0 + timedelta(days=1),
    )
    later = T0 + timedelta(days=1, hours=1)
    claim_case(queue, case.id, "bea", now=later)
    decide_case(queue, case.id, reviewer="bea", outcome="abuse", reason="ramped up", now=later)

    export_labels(queue, open_store(str(tmp_path)))
    assert _read_labels(tmp_path) == [
        {"account_id": "x", "label": 1, "labeled_at": "2026-11-28T10:00:00Z", "source": "review"}
    ]


def test_labels_export_to_s3(sqlite_queue: Engine, s3_bucket: str) -> None:
    _day_one(sqlite_queue)
    _decide_all(sqlite_queue)
    store = open_store(f"s3://{s3_bucket}/lake")

    export_labels(sqlite_queue, store)
    export_labels(sqlite_queue, store)  # rewritten whole, not appended

    lines = store.read_bytes(LABELS_KEY).decode().splitlines()
    assert [json.loads(line)["account_id"] for line in lines] == [
        "farm-00",
        "farm-01",
        "farm-02",
        "lab",
    ]
