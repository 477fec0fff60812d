"""Parallel claimers never claim the same case twice (PostgreSQL SKIP LOCKED, SQLite IMMEDIATE)."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from datetime import date

import pytest
import sqlalchemy as sa

from review.db import open_queue
from review.engine import create_queue_engine
from review.landing import land_sweep
from review.service import claim_next_case
from review.tables import AuditEntry
from tests.review.builders import account, landing
from tests.review.conftest import T0, postgres_schema_url


def _claim_race(url: str, claimers: int, cases: int) -> tuple[list[int], dict[str, int]]:
    """Land ``cases`` open cases, then let ``claimers`` threads claim until none is left.

    Every claimer has its own engine (its own connection), like separate analysts'
    processes; a barrier starts them together.
    """
    engine = open_queue(url)
    singles = [account(f"acc-{i:04d}", tokens=1000 + i) for i in range(cases)]
    land_sweep(engine, landing(date(2026, 11, 1), singles=singles), intake_cap=cases, now=T0)
    with engine.connect() as conn:
        case_ids = sorted(conn.execute(sa.text("SELECT id FROM cases")).scalars())

    claimed: list[list[int]] = [[] for _ in range(claimers)]
    errors: list[BaseException] = []
    start = threading.Barrier(claimers)

    def work(index: int) -> None:
        own = create_queue_engine(url, pool_size=1, max_overflow=0)
        try:
            start.wait()
            while (case := claim_next_case(own, f"analyst-{index:02d}", now=T0)) is not None:
                claimed[index].append(case.id)
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)
        finally:
            own.dispose()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(claimers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not errors, errors
    all_claims = [case_id for per_claimer in claimed for case_id in per_claimer]
    assert sorted(all_claims) == case_ids  # every case exactly once
    with engine.connect() as conn:
        owners = dict(conn.execute(sa.text("SELECT id, claimed_by FROM cases")).all())
        audit_claims = conn.execute(
            sa.select(sa.func.count()).where(AuditEntry.action == "case.claimed")
        ).scalar_one()
    engine.dispose()
    for index, per_claimer in enumerate(claimed):
        assert all(owners[case_id] == f"analyst-{index:02d}" for case_id in per_claimer)
    assert audit_claims == cases
    return all_claims, dict(Counter(f"analyst-{i:02d}" for i, c in enumerate(claimed) for _ in c))


@pytest.fixture
def pg_url(postgres_url: str) -> Iterator[str]:
    yield from postgres_schema_url(postgres_url)


@pytest.mark.postgres
def test_twenty_parallel_claimers_over_500_cases_on_postgresql(pg_url: str) -> None:
    claims, per_claimer = _claim_race(pg_url, claimers=20, cases=500)
    assert len(claims) == len(set(claims)) == 500
    assert len(per_claimer) > 1  # the claimers really ran side by side


def test_parallel_claimers_on_sqlite(tmp_path) -> None:  # type: ignore[no-untyped-def]
    claims, _ = _claim_race(f"sqlite:///{tmp_path / 'queue.db'}", claimers=6, cases=60)
    assert len(claims) == len(set(claims)) == 60
