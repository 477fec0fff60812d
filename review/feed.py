"""Read a sweep day's review feed from the lake: what the queue lands.

``jobs.review_feed`` writes ``review_feed/dt=D`` (Parquet: one row per hydra
cluster with a flagged account, one per flagged account of no cluster, each
with its flagged accounts and its cluster's evidence). ``read_review_feed``
turns it into the ``SweepLanding`` that ``review.landing.land_sweep`` lands,
with pyarrow through the lake's object store: the queue needs no Spark.
"""

from __future__ import annotations

import io
import json
from datetime import UTC, date, datetime
from typing import Any

from lakeio import ObjectStore, layout
from review.errors import LandingError
from review.landing import ClusterEvidence, FlaggedAccount, SweepLanding


def read_review_feed(store: ObjectStore, day: date, run_id: str) -> SweepLanding:
    """The landing of ``day`` as the review feed job wrote it."""
    rows = _feed_rows(store, day)
    accounts: list[FlaggedAccount] = []
    clusters: list[ClusterEvidence] = []
    versions: set[str] = set()
    for row in rows:
        cluster_id = row["cluster_id"]
        for account in row["accounts"]:
            accounts.append(
                FlaggedAccount(
                    account_id=account["account_id"],
                    cluster_id=cluster_id,
                    customer_id=account["customer_id"],
                    score=float(account["score"]),
                    reasons=_json_list(account["reasons"]),
                    output_tokens=int(account["output_tokens"]),
                    requests=int(account["requests"]),
                    links=[_link(link) for link in account.get("links") or []],
                )
            )
            versions.add(str(account["model_version"]))
        if cluster_id is not None and row["evidence"] is not None:
            clusters.append(_evidence(cluster_id, row["evidence"]))
    accounts.sort(key=lambda account: (-account.score, account.account_id))
    cluster_ids = {row["cluster_id"] for row in rows if row["cluster_id"] is not None}
    return SweepLanding(
        sweep_date=day,
        run_id=run_id,
        model_version=",".join(sorted(versions)) or "none",
        accounts=accounts,
        clusters=sorted(clusters, key=lambda cluster: cluster.cluster_id),
        stats={"flagged_accounts": len(accounts), "clusters": len(cluster_ids)},
    )


def _feed_rows(store: ObjectStore, day: date) -> list[dict[str, Any]]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    prefix = layout.table_day_prefix(layout.REVIEW_FEED, day)
    parts = [key for key in store.list_keys(prefix) if key.endswith(".parquet")]
    if not parts:
        raise LandingError(
            f"no review feed for {day} under {store.uri}/{prefix}: "
            "run the review feed job for that day (after scoring) first"
        )
    tables = [pq.read_table(io.BytesIO(store.read_bytes(key))) for key in parts]
    return pa.concat_tables(tables).to_pylist()


def _evidence(cluster_id: str, evidence: dict[str, Any]) -> ClusterEvidence:
    record = dict(evidence)
    return ClusterEvidence(
        cluster_id=cluster_id,
        accounts_count=int(record.pop("accounts_count", 0) or 0),
        customers_count=int(record.pop("customers_count", 0) or 0),
        requests=int(record.pop("requests_1d", 0) or 0),
        output_tokens=int(record.pop("output_tokens_1d", 0) or 0),
        entities=_json_list(record.pop("top_entities", None)),
        hourly_requests=[int(v) for v in _json_list(record.pop("hourly_requests", None))],
        sample_prompts=[str(v) for v in _json_list(record.pop("sample_prompts", None))],
        sample_system_prompts=[
            str(v) for v in _json_list(record.pop("sample_system_prompts", None))
        ],
        extra=json.loads(json.dumps(_naive_utc(record), default=str)),
    )


def _json_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, str):
        try:
            parsed = json.loads(value)
        except ValueError:
            return [value]
        return parsed if isinstance(parsed, list) else [parsed]
    return list(value)


def _naive_utc(value: Any) -> Any:
    """Timestamps as Spark hands them to Python in a UTC session: naive, in UTC."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)
    if isinstance(value, dict):
        return {key: _naive_utc(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_naive_utc(item) for item in value]
    return value


def _link(link: dict[str, Any]) -> dict[str, Any]:
    """A member's link as the hand-off carries it: type and value, and when the features
    job wrote them, the customers holding it in the block and the days it was used."""
    out: dict[str, Any] = {"type": str(link["type"]), "value": str(link["value"])}
    if link.get("customers") is not None:
        out["customers"] = int(link["customers"])
    if link.get("days"):
        out["days"] = sorted(day.isoformat() for day in link["days"] if day is not None)
    return out
