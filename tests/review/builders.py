"""Small builders of sweep landings and a whole-queue snapshot for comparisons."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from review.landing import ClusterEvidence, FlaggedAccount, SweepLanding
from review.tables import Case, Evidence, Member, Sighting, Sweep

PROMPT = "Solve step by step and show all reasoning: what is 17 * 23?"


def account(
    account_id: str,
    cluster_id: str | None = None,
    *,
    score: float = 0.9,
    tokens: int = 1000,
    requests: int = 10,
    customer_id: str | None = None,
) -> FlaggedAccount:
    return FlaggedAccount(
        account_id=account_id,
        cluster_id=cluster_id,
        customer_id=customer_id or f"cust-{account_id}",
        score=score,
        reasons=[{"feature": "output_tokens_sum_1d", "value": tokens, "contribution": 0.4}],
        output_tokens=tokens,
        requests=requests,
    )


def evidence(
    cluster_id: str,
    accounts: list[FlaggedAccount],
    *,
    prompts: list[str] | None = None,
    system_prompts: list[str] | None = None,
    entities: list[dict[str, Any]] | None = None,
    hourly: list[int] | None = None,
) -> ClusterEvidence:
    return ClusterEvidence(
        cluster_id=cluster_id,
        accounts_count=len(accounts),
        customers_count=len({a.customer_id for a in accounts}),
        requests=sum(a.requests for a in accounts),
        output_tokens=sum(a.output_tokens for a in accounts),
        entities=entities
        if entities is not None
        else [
            {"type": "payment_fingerprint", "value": f"pf-{cluster_id}", "accounts": len(accounts)}
        ],
        hourly_requests=hourly if hourly is not None else [h % 5 for h in range(24)],
        sample_prompts=prompts if prompts is not None else [PROMPT],
        sample_system_prompts=system_prompts
        if system_prompts is not None
        else ["You are a tutor."],
        extra={"min_account_age_days": 2},
    )


def landing(
    day: date,
    clusters: dict[str, list[FlaggedAccount]] | None = None,
    singles: list[FlaggedAccount] | None = None,
    *,
    run_id: str | None = None,
    **evidence_kwargs: Any,
) -> SweepLanding:
    # Accounts take the cluster id they are listed under.
    clusters = {
        cid: [replace(a, cluster_id=cid) for a in members]
        for cid, members in (clusters or {}).items()
    }
    accounts = [a for members in clusters.values() for a in members] + list(singles or [])
    return SweepLanding(
        sweep_date=day,
        run_id=run_id or f"run-{day.isoformat()}",
        model_version="7",
        accounts=accounts,
        clusters=[evidence(cid, members, **evidence_kwargs) for cid, members in clusters.items()],
        stats={"accounts_scored": 1000, "flagged": len(accounts)},
    )


def cluster(prefix: str, n: int, *, score: float = 0.9, tokens: int = 1000) -> list[FlaggedAccount]:
    return [account(f"{prefix}-{i:02d}", prefix, score=score, tokens=tokens) for i in range(n)]


def _row(obj: Any, drop: set[str]) -> dict[str, Any]:
    return {
        c.key: getattr(obj, c.key) for c in sa.inspect(obj).mapper.column_attrs if c.key not in drop
    }


def queue_snapshot(engine: Engine) -> dict[str, Any]:
    """Every case, member, sighting, evidence and sweep row, keyed by natural keys.

    Surrogate ids of replaceable rows and "last touched" timestamps are left out:
    they are bookkeeping, not content.
    """
    from sqlalchemy.orm import Session

    with Session(engine) as session:
        cases = {c.id: _row(c, {"updated_at"}) for c in session.scalars(sa.select(Case))}
        members = {
            (m.case_id, m.account_id): _row(m, {"id"}) for m in session.scalars(sa.select(Member))
        }
        sightings = {
            (m.case_id, m.account_id, s.sweep_date): _row(s, {"id", "member_id"})
            for s, m in session.execute(
                sa.select(Sighting, Member).join(Member, Member.id == Sighting.member_id)
            )
        }
        evidence_rows = {
            (e.case_id, e.sweep_date, e.group_key): _row(e, {"id"})
            for e in session.scalars(sa.select(Evidence))
        }
        sweeps = {
            s.sweep_date: _row(s, {"id", "landed_at", "land_count"})
            for s in session.scalars(sa.select(Sweep))
        }
    return {
        "cases": cases,
        "members": members,
        "sightings": sightings,
        "evidence": evidence_rows,
        "sweeps": sweeps,
    }
