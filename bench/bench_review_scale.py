"""Benchmark: one 20,000-account case in the review console, on SQLite and PostgreSQL.

Usage: ``python bench/bench_review_scale.py [--accounts 20000] [--postgres URL]``.

The seed's largest proxy network ran 20,000+ accounts at once; this lands one
cluster of that size (every account with a payment fingerprint shared by
twenty, a /24 prefix shared by two hundred, and 24 hourly counts), then times
what an analyst waits for: the console's first page of the case (HTTP, logged
in, members paged by 100, the cluster graph and activity lanes drawn), and
recording "abuse, except 20 accounts" (members' outcomes and the enforcement
outbox written in one transaction). Targets: under 1 s and under 5 s. The
landing time is printed too; timings only, no assertions.
"""

from __future__ import annotations

import argparse
import random
import re
import shutil
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import quote

DAY = date(2026, 11, 2)
PASSWORD = "benchmark passphrase"


def big_case(accounts: int, seed: int = 7):  # type: ignore[no-untyped-def]
    from review.handoff import ClusterEvidence, FlaggedAccount, SweepLanding

    rng = random.Random(seed)
    flagged = [
        FlaggedAccount(
            account_id=f"acct-{i:07d}",
            cluster_id="hydra-1",
            customer_id=f"cust-{i // 4:07d}",
            score=round(rng.uniform(0.5, 1.0), 4),
            reasons=[
                {"kind": "model", "feature": "cot_request_share_1d", "value": rng.random(),
                 "contribution": 1.1},
                {"kind": "cluster_evidence", "evidence": "lockstep_activity", "strength": 0.8,
                 "signals": {"cluster_synchrony_score": 0.9}},
            ],
            output_tokens=rng.randint(1_000, 200_000),
            requests=rng.randint(5, 400),
            links=[
                {"type": "payment_fingerprint", "value": f"pf-{i // 20:05d}"},
                {"type": "ip_prefix", "value": f"10.{i // 200 // 256}.{i // 200 % 256}.0/24"},
            ],
            hourly_requests=[rng.randint(0, 30) if 8 <= h < 20 else 0 for h in range(24)],
        )
        for i in range(accounts)
    ]  # fmt: skip
    evidence = ClusterEvidence(
        cluster_id="hydra-1",
        accounts_count=accounts,
        customers_count=accounts // 4,
        requests=sum(a.requests for a in flagged),
        output_tokens=sum(a.output_tokens for a in flagged),
        entities=[{"type": "ip_prefix", "value": "10.0.0.0/24", "accounts": 200}],
        hourly_requests=[rng.randint(0, 5000) for _ in range(24)],
        sample_prompts=["Solve step by step and show every intermediate result."] * 10,
        sample_system_prompts=["You are a grader."],
    )
    return SweepLanding(DAY, "bench-scale", "1", flagged, [evidence])


def measure(url: str, accounts: int) -> dict[str, float]:
    from fastapi.testclient import TestClient

    from review.db import open_queue
    from review.decisions import decide_case
    from review.enforcement import ReleasePolicy
    from review.landing import land_sweep
    from review.passwords import cheap_hashing_for_tests
    from review.service import claim_case, list_cases
    from review.users import add_user
    from review.web import create_app

    engine = open_queue(url)
    timings: dict[str, float] = {}
    try:
        with cheap_hashing_for_tests():  # the login is not what is measured
            add_user(engine, "ana", role="analyst", password=PASSWORD)
            started = time.perf_counter()
            land_sweep(engine, big_case(accounts), intake_cap=10)
            timings["land"] = time.perf_counter() - started
            [case] = list_cases(engine)
            app = create_app(url, "bench-secret-key-0123456789", engine=engine)
            client = TestClient(app)
            page = client.get("/login")
            token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
            client.post(
                "/login", data={"username": "ana", "password": PASSWORD, "csrf_token": token}
            )
            client.get(f"/cases/{case.id}")  # the app's first request (templates compile)
            started = time.perf_counter()
            response = client.get(f"/cases/{case.id}")
            timings["first page"] = time.perf_counter() - started
            assert response.status_code == 200 and f"100 of {accounts:,} matching" in response.text
            claim_case(engine, case.id, "ana")
            exceptions = [f"acct-{i:07d}" for i in range(0, accounts, accounts // 20)][:20]
            started = time.perf_counter()
            decision = decide_case(
                engine,
                case.id,
                reviewer="ana",
                outcome="abuse",
                reason="one network, twenty bystanders",
                except_accounts=exceptions,
                release=ReleasePolicy(),
                now=datetime.now(UTC),
            )
            timings["decide, 20 exceptions"] = time.perf_counter() - started
            assert sum(v == "legitimate" for v in decision.account_outcomes.values()) == 20
    finally:
        engine.dispose()
    return timings


@contextmanager
def postgres_schema(base_url: str) -> Iterator[str]:
    """A throwaway schema in the database at ``base_url``; yields a URL that works in it."""
    import sqlalchemy as sa

    schema = f"bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(base_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
        yield f"{base_url}?options={quote(f'-csearch_path={schema}')}"
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=20_000)
    parser.add_argument("--postgres", default=None, help="a PostgreSQL URL to measure as well")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="bench-review-scale-"))
    results = []
    try:
        results.append(("sqlite", measure(f"sqlite:///{root / 'queue.db'}", args.accounts)))
        if args.postgres:
            with postgres_schema(args.postgres) as url:
                results.append(("postgresql", measure(url, args.accounts)))
    finally:
        shutil.rmtree(root, ignore_errors=True)

    print(f"one case of {args.accounts:,} accounts (targets: first page < 1 s, decide < 5 s)")
    steps = list(results[0][1])
    print(f"{'queue':<12}" + "".join(f"{step:>24}" for step in steps))
    for backend, timings in results:
        print(f"{backend:<12}" + "".join(f"{timings[step]:>23.2f}s" for step in steps))


if __name__ == "__main__":
    main()
