"""Benchmark: land a large sweep day in the review queue and print a table.

Usage: ``python bench/bench_landing.py [--accounts 20000] [--cluster-size 40]
[--lone-share 0.3] [--postgres URL]``.

A 1M-request day at bench scale flags about 20,000 accounts. This lands a
synthetic day of that size with ``review.landing.land_sweep`` on a new SQLite
file (and, with ``--postgres``, in a new schema of that PostgreSQL database),
three times: the first landing of a day (every case and member new), a rerun
of the same day (every member found again), and the next day, where four in
five accounts come back and the rest are new. Cluster evidence carries the
sample prompts a sweep sends. The numbers are the landing alone, without Spark.
"""

from __future__ import annotations

import argparse
import dataclasses
import random
import shutil
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import quote

DAY = date(2026, 11, 2)


def synthetic_landing(day: date, accounts: int, cluster_size: int, lone_share: float, seed: int):
    from review.landing import ClusterEvidence, FlaggedAccount, SweepLanding

    rng = random.Random(seed)
    flagged, clusters = [], []
    lone = int(accounts * lone_share)
    for index in range(accounts):
        clustered = index >= lone
        cluster_id = f"c{(index - lone) // cluster_size:05d}" if clustered else None
        flagged.append(
            FlaggedAccount(
                account_id=f"acct-{index:07d}",
                cluster_id=cluster_id,
                customer_id=f"cust-{index // 3:07d}",
                score=round(rng.uniform(0.5, 1.0), 4),
                reasons=[
                    {"feature": "template_share", "value": rng.random(), "contribution": 1.2},
                    {"feature": "cot_share", "value": rng.random(), "contribution": 0.7},
                ],
                output_tokens=rng.randint(1_000, 200_000),
                requests=rng.randint(5, 400),
            )
        )
    for cluster_id in sorted({a.cluster_id for a in flagged if a.cluster_id is not None}):
        clusters.append(
            ClusterEvidence(
                cluster_id=cluster_id,
                accounts_count=cluster_size,
                customers_count=cluster_size // 3,
                requests=cluster_size * 100,
                output_tokens=cluster_size * 50_000,
                entities=[{"type": "ip", "value": f"10.0.{rng.randint(0, 255)}.1", "accounts": 9}],
                hourly_requests=[rng.randint(0, 500) for _ in range(24)],
                sample_prompts=[
                    f"Solve step by step, problem {i}: " + "x" * 400 for i in range(10)
                ],
                sample_system_prompts=["You are a grader. Score the answer from 1 to 10."],
            )
        )
    return SweepLanding(
        sweep_date=day,
        run_id=f"bench-{day}",
        model_version="1",
        accounts=flagged,
        clusters=clusters,
    )


def measure(url: str, args: argparse.Namespace) -> list[tuple[str, float, object]]:
    from review.db import open_queue
    from review.landing import land_sweep

    engine = open_queue(url)
    first = synthetic_landing(DAY, args.accounts, args.cluster_size, args.lone_share, seed=1)
    # The next day: four in five accounts come back (same ids), the rest are new ones.
    returning = int(args.accounts * 0.8)
    nxt = synthetic_landing(
        DAY + timedelta(days=1), args.accounts, args.cluster_size, args.lone_share, seed=2
    )
    renamed = [
        a if i < returning else dataclasses.replace(a, account_id=f"new-{i:07d}")
        for i, a in enumerate(nxt.accounts)
    ]
    nxt = dataclasses.replace(nxt, accounts=renamed)
    rows = []
    try:
        for label, landing in (("first", first), ("rerun", first), ("next day", nxt)):
            started = time.perf_counter()
            result = land_sweep(engine, landing, intake_cap=200)
            rows.append((label, time.perf_counter() - started, result))
    finally:
        engine.dispose()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=20_000)
    parser.add_argument("--cluster-size", type=int, default=40)
    parser.add_argument("--lone-share", type=float, default=0.3)
    parser.add_argument("--postgres", default=None, help="a PostgreSQL URL to measure as well")
    args = parser.parse_args()

    root = Path(tempfile.mkdtemp(prefix="bench-landing-"))
    results = []
    try:
        results.append(("sqlite", measure(f"sqlite:///{root / 'queue.db'}", args)))
        if args.postgres:
            import sqlalchemy as sa

            schema = f"bench_{uuid.uuid4().hex[:8]}"
            admin = sa.create_engine(args.postgres, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
            try:
                url = f"{args.postgres}?options={quote(f'-csearch_path={schema}')}"
                results.append(("postgresql", measure(url, args)))
            finally:
                with admin.connect() as conn:
                    conn.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
                admin.dispose()
    finally:
        shutil.rmtree(root, ignore_errors=True)

    print(
        f"{args.accounts:,} flagged accounts, clusters of {args.cluster_size}, "
        f"{args.lone_share:.0%} lone"
    )
    print(f"{'queue':<12}{'landing':<10}{'seconds':>9}{'created':>9}{'updated':>9}{'members+':>10}")
    for backend, rows in results:
        for label, seconds, result in rows:
            print(
                f"{backend:<12}{label:<10}{seconds:>9.2f}{result.cases_created:>9,}"
                f"{result.cases_updated:>9,}{result.members_added:>10,}"
            )


if __name__ == "__main__":
    main()
