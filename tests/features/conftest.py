"""Builders for curated rows (inline test data) and a tiny curated lake.

Rows are dicts with only the fields a test cares about; everything else gets a
plain, legitimate-looking default, so a test reads as the story it tells.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import types as T

from features.schemas import CURATED_ACCOUNTS_SCHEMA, CURATED_REQUESTS_SCHEMA
from lakeio import layout

DAY = date(2026, 11, 26)
_request_ids = itertools.count()


def at(day: date, hour: int = 12, minute: int = 0, second: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, second)


def ip_prefix(ip: str) -> str:
    if ":" in ip:
        return ":".join(ip.split(":")[:3]) + "::/48"
    return ".".join(ip.split(".")[:3]) + ".0/24"


def request(account_id: str, ts: datetime, **fields: Any) -> dict[str, Any]:
    """One curated request; ``fields`` override the defaults."""
    row: dict[str, Any] = {
        "request_id": f"r{next(_request_ids):08d}",
        "ts": ts,
        "account_id": account_id,
        "api_key_id": f"key-{account_id}",
        "org_id": None,
        "ip": "198.51.100.7",
        "asn": 7922,  # Comcast: residential
        "country": "US",
        "user_agent": "anthropic-python/0.40.0",
        "ua_family": "anthropic-python",
        "ua_kind": "official_sdk",
        "model": "claude-sonnet",
        "input_tokens": 100,
        "output_tokens": 200,
        "latency_ms": 800,
        "status": 200,
        "system_prompt": None,
        "prompt": "hello there",
    }
    row.update(fields)
    row.setdefault("ip_prefix", None)
    row["ip_prefix"] = fields.get("ip_prefix") or ip_prefix(row["ip"])
    row["ip_version"] = 6 if ":" in row["ip"] else 4
    sp = row["system_prompt"]
    row["system_prompt_hash"] = hashlib.sha256(sp.encode()).hexdigest() if sp is not None else None
    row["dt"] = row["ts"].date()
    return row


def account(account_id: str, **fields: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "account_id": account_id,
        "org_id": None,
        "created_at": datetime(2026, 1, 15, 9, 30),
        "email_domain": "gmail.com",
        "payment_fingerprint": None,
        "billing_country": "US",
        "signup_ip": None,
        "tier": "build",
        "verified": True,
    }
    row.update(fields)
    return row


def with_dt(schema: T.StructType) -> T.StructType:
    return T.StructType([*schema.fields, T.StructField("dt", T.DateType(), True)])


REQUESTS_WITH_DT = with_dt(CURATED_REQUESTS_SCHEMA)


def requests_frame(spark: SparkSession, rows: list[dict[str, Any]]) -> DataFrame:
    names = REQUESTS_WITH_DT.fieldNames()
    return spark.createDataFrame([tuple(r[n] for n in names) for r in rows], REQUESTS_WITH_DT)


def accounts_frame(spark: SparkSession, rows: list[dict[str, Any]]) -> DataFrame:
    names = CURATED_ACCOUNTS_SCHEMA.fieldNames()
    return spark.createDataFrame(
        [tuple(r[n] for n in names) for r in rows], CURATED_ACCOUNTS_SCHEMA
    )


def write_curated_day(
    spark: SparkSession,
    lake_root: Path,
    day: date,
    requests: list[dict[str, Any]],
    accounts: list[dict[str, Any]],
    *,
    validated: bool = True,
) -> None:
    """Write one day of curated tables and its ingest report, as the ingest job does."""
    requests_frame(spark, requests).drop("dt").write.mode("overwrite").parquet(
        str(lake_root / layout.table_day_prefix(layout.CURATED_REQUESTS, day))
    )
    accounts_frame(spark, accounts).write.mode("overwrite").parquet(
        str(lake_root / layout.table_day_prefix(layout.CURATED_ACCOUNTS, day))
    )
    report = lake_root / layout.report_day_prefix("ingest", day) / "summary.json"
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text(
        json.dumps(
            {
                "day": day.isoformat(),
                "validation": {"success": validated},
                "curated_rows": len(requests),
            }
        )
    )


def days_before(day: date, n: int) -> date:
    return day - timedelta(days=n)


@pytest.fixture
def lake_root(tmp_path: Path) -> Path:
    root = tmp_path / "lake"
    root.mkdir()
    return root


def assert_rows_equal(actual: DataFrame, expected: DataFrame, *, rel_tol: float = 1e-9) -> None:
    """Whole-DataFrame equality: column names and types, then every row (order ignored).

    ``pyspark.testing.assertDataFrameEqual`` cannot run under pandas 3 (see
    ``tests.support.frames``); unlike that helper, nullability is not compared,
    since inline expected rows are always nullable while aggregates are not.
    """
    from tests.support.frames import _close, _plain, _sort_key

    def columns(frame: DataFrame) -> list[tuple[str, str]]:
        return [(field.name, field.dataType.simpleString()) for field in frame.schema.fields]

    assert columns(actual) == columns(expected), f"{columns(actual)}\n!=\n{columns(expected)}"
    got = sorted((_plain(row) for row in actual.collect()), key=_sort_key)
    want = sorted((_plain(row) for row in expected.collect()), key=_sort_key)
    assert len(got) == len(want), f"{len(got)} rows, expected {len(want)}:\n{got}\n{want}"
    for got_row, want_row in zip(got, want, strict=True):
        assert _close(got_row, want_row, rel_tol), f"\n  got      {got_row}\n  expected {want_row}"
