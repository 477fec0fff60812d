"""The Great Expectations gate on hand-made curated frames: what fails is named and explained."""

from __future__ import annotations

import subprocess
import sys
from datetime import date, datetime

import pandas as pd
import pytest

from features.schemas import CURATED_ACCOUNTS_SCHEMA, CURATED_REQUESTS_SCHEMA
from jobs import validation
from jobs.validation import DayLimits, FailedExpectation, ValidationOutcome
from lakeio import LocalStore, layout

DAY = date(2026, 11, 3)


def request_row(request_id: str, ts: datetime, **fields):
    row = {
        "request_id": request_id, "ts": ts, "account_id": "a-1", "api_key_id": "k-1", "org_id": None,
        "ip": "203.0.113.9", "ip_prefix": "203.0.113.0/24", "ip_version": 4, "asn": 1, "country": "US",
        "user_agent": "curl/8", "ua_family": "curl", "ua_kind": "http_client", "model": "m",
        "input_tokens": 1, "output_tokens": 1, "latency_ms": 1, "status": 200, "system_prompt": None,
        "system_prompt_hash": None, "prompt": "p",
    }  # fmt: skip
    row.update(fields)
    return tuple(row[name] for name in CURATED_REQUESTS_SCHEMA.fieldNames())


def day_frames(spark, rows, *, request_bad_line_share: float = 0.0) -> dict:
    """The four batches of a day of request ``rows`` sent by account a-1, as Spark frames."""
    requests = spark.createDataFrame(rows, CURATED_REQUESTS_SCHEMA)
    accounts = spark.createDataFrame(
        [("a-1", None, datetime(2026, 1, 1), "x.com", None, None, None, "free", True)],
        CURATED_ACCOUNTS_SCHEMA,
    )
    return {
        validation.REQUESTS: requests,
        validation.ACCOUNTS: accounts,
        validation.REQUESTING_ACCOUNTS: validation.requesting_accounts(requests, accounts),
        validation.DAY_METRICS: validation.day_metrics(
            spark,
            request_bad_line_share=request_bad_line_share,
            account_bad_line_share=0.0,
            curated_requests=len(rows),
        ),
    }


@pytest.mark.parametrize("engine", ["spark", "pandas"])
def test_gate_names_each_broken_rule_with_examples(spark, tmp_path, engine):
    rows = [
        request_row("r-1", datetime(2026, 11, 3, 1)),
        request_row("r-1", datetime(2026, 11, 3, 2)),
        request_row("r-2", datetime(2026, 11, 4, 0, 30), ua_kind="robot", status=700),
    ]
    batches = day_frames(spark, rows, request_bad_line_share=0.01)
    # The same suites on either engine: small batches go to pandas, large ones stay in Spark.
    local_rows = 3 if engine == "pandas" else 2
    checked = validation.validated_columns(DayLimits(day=DAY, max_bad_line_share=0.05))
    batches = {
        name: validation.local_batch(frame, 3, local_rows, checked[name])
        for name, frame in batches.items()
    }
    assert all(isinstance(b, pd.DataFrame) == (engine == "pandas") for b in batches.values())

    lake = LocalStore(tmp_path / "lake")
    report = validation.validate_day(
        batches,
        DayLimits(day=DAY, max_bad_line_share=0.05),
        lake,
        notes=("volume check skipped",),
    )

    assert report.outcome.failed == (
        FailedExpectation(
            "requests",
            "expect_column_values_to_be_unique(request_id)",
            "2 of 3 rows unexpected (e.g. r-1, r-1)",
        ),
        FailedExpectation(
            "requests",
            "expect_column_values_to_be_between(ts)",
            "1 of 3 rows unexpected (e.g. 2026-11-04 00:30:00), "
            "expected between 2026-11-03 00:00:00 and 2026-11-03 23:59:59.999999",
        ),
        FailedExpectation(
            "requests",
            "expect_column_values_to_be_in_set(ua_kind)",
            "1 of 3 rows unexpected (e.g. robot), "
            "expected in ['browser', 'http_client', 'missing', 'official_sdk', 'other']",
        ),
        FailedExpectation(
            "requests",
            "expect_column_values_to_be_between(status)",
            "1 of 3 rows unexpected (e.g. 700), expected between 100 and 599",
        ),
    )
    assert not report.outcome.success
    assert report.outcome.evaluated_expectations == 27  # 16 + 8 + 1 + 2 (no volume bounds)
    assert report.outcome.notes == ("volume check skipped",)
    assert lake.exists(layout.GX_DATA_DOCS_INDEX)
    assert set(report.data_docs_pages) == set(validation.BATCHES)
    assert all(lake.exists(page) for page in report.data_docs_pages.values())
    assert set(report.result_json["batches"]) == set(validation.BATCHES)
    assert ValidationOutcome.from_dict(report.outcome.as_dict()) == report.outcome


def test_pandas_batches_are_validated_copy_on_write_with_wide_ints(spark, tmp_path, monkeypatch):
    """GX copies a whole pandas batch for each row filter unless pandas copies on write, and
    checks the range of an int32 column in Python: the gate runs GX's pandas engine with
    copy-on-write (restored after) and widens narrow ints (``_pandas_gx``, ``_widened``)."""
    import great_expectations as gx

    rows = [
        request_row("r-1", datetime(2026, 11, 3, 1)),
        request_row("r-2", datetime(2026, 11, 3, 2)),
    ]
    batches = {
        name: validation.local_batch(frame, 2, 10)
        for name, frame in day_frames(spark, rows).items()
    }
    assert batches[validation.REQUESTS]["status"].dtype == "int32"  # as Spark converts it
    seen = {}
    run = gx.ValidationDefinition.run

    def spy(self, *args, **kwargs):
        frame = kwargs["batch_parameters"]["dataframe"]
        narrow = [c for c, t in frame.dtypes.items() if t.kind in "iu" and t.itemsize < 8]
        seen[self.name] = (pd.options.mode.copy_on_write, narrow)
        return run(self, *args, **kwargs)

    monkeypatch.setattr(gx.ValidationDefinition, "run", spy)
    before = pd.options.mode.copy_on_write
    limits = DayLimits(day=DAY, max_bad_line_share=0.05)
    report = validation.validate_day(batches, limits, LocalStore(tmp_path / "lake"))

    assert report.outcome.success
    assert seen == {f"ingest_{name}": (True, []) for name in validation.BATCHES}
    assert pd.options.mode.copy_on_write == before
    assert batches[validation.REQUESTS]["status"].dtype == "int32"  # the caller's frame untouched


@pytest.mark.parametrize("engine", ["spark", "pandas"])
def test_gate_passes_a_clean_day_and_checks_the_day_metrics(spark, tmp_path, engine):
    rows = [
        request_row("r-1", datetime(2026, 11, 3, 1)),
        request_row("r-2", datetime(2026, 11, 3, 2)),
    ]
    local_rows = 10 if engine == "pandas" else 0

    def gate(bad_share: float, volume_bounds=None):
        batches = day_frames(spark, rows, request_bad_line_share=bad_share)
        batches = {k: validation.local_batch(v, 2, local_rows) for k, v in batches.items()}
        limits = DayLimits(day=DAY, max_bad_line_share=0.05, volume_bounds=volume_bounds)
        return validation.validate_day(batches, limits, LocalStore(tmp_path / "lake")).outcome

    clean = gate(0.01, volume_bounds=(1.0, 4.0))
    assert clean.success and clean.evaluated_expectations == 28
    broken = gate(0.2, volume_bounds=(5.0, 10.0))
    assert [(f.batch, f.expectation, f.detail) for f in broken.failed] == [
        (
            "day_metrics",
            "expect_column_values_to_be_between(request_bad_line_share)",
            "observed 0.2, expected between 0 and 0.05",
        ),
        (
            "day_metrics",
            "expect_column_values_to_be_between(curated_requests)",
            "observed 2, expected between 5 and 10",
        ),
    ]


def test_a_local_batch_carries_only_the_values_the_suites_check(spark):
    requests = spark.createDataFrame(
        [request_row("r-1", datetime(2026, 11, 3, 1), prompt="a long prompt", country="DE")],
        CURATED_REQUESTS_SCHEMA,
    )
    checked = validation.validated_columns(DayLimits(day=DAY, max_bad_line_share=0.05))

    local = validation.local_batch(requests, 1, 1, checked[validation.REQUESTS])

    assert {"request_id", "ts", "ua_kind", "status"} <= checked[validation.REQUESTS]
    assert not {"prompt", "system_prompt", "country"} & checked[validation.REQUESTS]
    assert list(local.columns) == CURATED_REQUESTS_SCHEMA.fieldNames()  # the column-list rule
    assert local.loc[0, "request_id"] == "r-1" and local.loc[0, "ua_kind"] == "http_client"
    assert local[["prompt", "system_prompt", "country"]].isna().all().all()
    assert validation.local_batch(requests, 1, 0, checked[validation.REQUESTS]) is requests


@pytest.mark.parametrize("rows", [3, 0])
def test_a_parquet_batch_is_the_local_batch_of_the_same_files(spark, tmp_path, rows):
    requests = spark.createDataFrame(
        [
            request_row("r-1", datetime(2026, 11, 3, 1, 2, 3, 456789), asn=None),
            request_row("r-2", datetime(2026, 11, 3, 23, 59), ip_version=None, status=503),
            request_row("r-3", datetime(2026, 11, 3, 0, 0), input_tokens=0, ua_kind="missing"),
        ][:rows],
        CURATED_REQUESTS_SCHEMA,
    )
    accounts = spark.createDataFrame(
        [
            ("a-1", None, datetime(2026, 1, 1, 5), "x.com", "pf", "DE", None, "free", True),
            ("a-2", "o-1", datetime(2025, 2, 1), "y.org", None, None, "1.2.3.4", "scale", False),
        ][: min(rows, 2)],
        CURATED_ACCOUNTS_SCHEMA,
    )
    checked = validation.validated_columns(DayLimits(day=DAY, max_bad_line_share=0.05))
    for name, frame, schema in (
        (validation.REQUESTS, requests, CURATED_REQUESTS_SCHEMA),
        (validation.ACCOUNTS, accounts, CURATED_ACCOUNTS_SCHEMA),
    ):
        folder = tmp_path / name
        frame.repartition(1).write.parquet(str(folder))  # one part: the same row order

        by_spark = validation.local_batch(
            spark.read.schema(schema).parquet(str(folder)), rows, rows, checked[name]
        )
        by_pyarrow = validation.parquet_batch(folder, schema, checked[name])

        pd.testing.assert_frame_equal(by_pyarrow, by_spark)
        # Columns of a dtype share a block, as Spark's frame has them: GX copies
        # the frame for its row filters, and a block per column doubled its time.
        assert by_pyarrow._mgr.nblocks == by_spark._mgr.nblocks
    assert rows == 0 or by_spark.loc[0, "created_at"] == pd.Timestamp("2026-01-01 05:00")


def test_requesting_accounts_of_pandas_batches_are_those_of_spark(spark):
    requests = spark.createDataFrame(
        [
            request_row("r-1", datetime(2026, 11, 3, 1), account_id="a-1"),
            request_row("r-2", datetime(2026, 11, 3, 2), account_id="a-ghost"),
            request_row("r-3", datetime(2026, 11, 3, 3), account_id="a-1"),
            request_row("r-4", datetime(2026, 11, 3, 4), account_id="a-2"),
        ],
        CURATED_REQUESTS_SCHEMA,
    )
    accounts = spark.createDataFrame(
        [
            (account, None, datetime(2026, 1, 1), "x.com", None, None, None, "free", True)
            for account in ("a-1", "a-2", "a-idle")
        ],
        CURATED_ACCOUNTS_SCHEMA,
    )

    by_spark = validation.requesting_accounts(requests, accounts).toPandas()
    by_pandas = validation.local_requesting_accounts(requests.toPandas(), accounts.toPandas())

    def ordered(frame):
        return frame.sort_values("account_id").reset_index(drop=True)

    pd.testing.assert_frame_equal(ordered(by_pandas), ordered(by_spark))
    assert by_pandas[validation.MISSING_ACCOUNT_COLUMN].dropna().tolist() == ["a-ghost"]


def test_validated_columns_work_first_thing_in_a_new_process(tmp_path):
    # GX builds suites only inside a data context; the ingest job asks for the
    # checked columns before validate_day has made one. (A script file, not
    # ``python -c``: under -c an import in this stack ends the process with 0.)
    script = tmp_path / "columns.py"
    script.write_text(
        "from datetime import date\n"
        "from jobs.validation import DayLimits, REQUESTS, validated_columns\n"
        "columns = validated_columns(DayLimits(day=date(2026, 11, 3), max_bad_line_share=0.05))\n"
        "assert 'request_id' in columns[REQUESTS], columns\n"
    )
    completed = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, check=False
    )
    assert completed.returncode == 0, completed.stderr[-2000:]


# --- the Checkpoints: one Data Docs site in the lake, an alert for a failed batch ----------
NEXT_DAY = date(2026, 11, 4)


def pandas_day(spark, day: date, *, ghost: bool = False) -> dict:
    """A clean day of two requests as pandas batches; ``ghost``: one from an account
    missing from the snapshot, so only ``requesting_accounts`` fails."""
    rows = [
        request_row(f"{day}-r-1", datetime(day.year, day.month, day.day, 1)),
        request_row(
            f"{day}-r-2",
            datetime(day.year, day.month, day.day, 2),
            account_id="a-ghost" if ghost else "a-1",
        ),
    ]
    return {
        name: validation.local_batch(frame, 2, 10)
        for name, frame in day_frames(spark, rows).items()
    }


def gate(spark, lake, day: date, *, ghost: bool = False, alert_webhook_url=None):
    limits = DayLimits(day=day, max_bad_line_share=0.05)
    return validation.validate_day(
        pandas_day(spark, day, ghost=ghost), limits, lake, alert_webhook_url=alert_webhook_url
    )


def index_links(lake) -> set[str]:
    """The validation pages the site's index links to, as lake keys."""
    import re

    # GX renders the index's table from rows embedded in the page, each with its link path.
    index = lake.read_bytes(layout.GX_DATA_DOCS_INDEX).decode()
    return {
        layout.GX_DATA_DOCS + path
        for path in re.findall(r"'_table_row_link_path': '(validations/[^']+\.html)'", index)
    }


def test_every_day_lands_in_one_data_docs_site_whose_index_lists_them_all(spark, tmp_path):
    lake = LocalStore(tmp_path / "lake")

    first = gate(spark, lake, DAY)
    second = gate(spark, lake, NEXT_DAY, ghost=True)

    assert first.outcome.success and not second.outcome.success
    pages = {**{(DAY, b): k for b, k in first.data_docs_pages.items()},
             **{(NEXT_DAY, b): k for b, k in second.data_docs_pages.items()}}  # fmt: skip
    assert len(set(pages.values())) == 8  # four batches a day, each its own page
    assert all(lake.exists(page) for page in pages.values())
    assert index_links(lake) == set(pages.values())
    assert f"ingest-{NEXT_DAY}" in second.data_docs_pages[validation.REQUESTING_ACCOUNTS]
    assert (
        "a-ghost"
        in lake.read_bytes(second.data_docs_pages[validation.REQUESTING_ACCOUNTS]).decode()
    )
    # The results behind the pages persist in the lake too, one per batch and day.
    assert (
        len([k for k in lake.list_keys(layout.GX_VALIDATION_RESULTS) if k.endswith(".json")]) == 8
    )

    # A rerun of a day replaces its pages (and results): the index lists the rerun once.
    rerun = gate(spark, lake, DAY)

    assert not any(lake.exists(page) for page in first.data_docs_pages.values())
    assert index_links(lake) == set(rerun.data_docs_pages.values()) | set(
        second.data_docs_pages.values()
    )
    assert (
        len([k for k in lake.list_keys(layout.GX_VALIDATION_RESULTS) if k.endswith(".json")]) == 8
    )


def test_days_validated_in_threads_all_reach_the_index(spark, tmp_path):
    """A backfill validates several days at once in one process: every day's pages
    are in the index at the end. Two days are Spark batches: GX on pandas runs one
    day at a time anyway (``_pandas_gx``), Spark days do not. (The threads'
    interleaving is not forced, so this checks the outcome, not every schedule.)"""
    from concurrent.futures import ThreadPoolExecutor

    lake = LocalStore(tmp_path / "lake")
    days = [date(2026, 11, d) for d in range(3, 7)]
    batches = {day: pandas_day(spark, day) for day in days[:2]}
    for day in days[2:]:
        rows = [request_row(f"{day}-r-1", datetime(day.year, day.month, day.day, 1))]
        batches[day] = day_frames(spark, rows)
    limits = {day: DayLimits(day=day, max_bad_line_share=0.05) for day in days}

    with ThreadPoolExecutor(max_workers=len(days)) as pool:
        reports = list(
            pool.map(lambda day: validation.validate_day(batches[day], limits[day], lake), days)
        )

    pages = {page for report in reports for page in report.data_docs_pages.values()}
    assert len(pages) == 4 * len(days)
    assert index_links(lake) == pages


def test_a_failed_batch_alerts_the_webhook_and_a_passed_day_does_not(
    spark, tmp_path, alert_receiver
):
    url, received = alert_receiver
    lake = LocalStore(tmp_path / "lake")

    gate(spark, lake, DAY, alert_webhook_url=url)
    assert received == []

    failing = gate(spark, lake, NEXT_DAY, ghost=True, alert_webhook_url=url)

    page = failing.data_docs_pages[validation.REQUESTING_ACCOUNTS]
    assert received == [
        {
            "source": "hydrasweep",
            "check": "ingest-validation",
            "day": NEXT_DAY.isoformat(),
            "batch": validation.REQUESTING_ACCOUNTS,
            "state": "Failed",
            "message": f"{NEXT_DAY} failed validation on requesting_accounts: 1 of 1 "
            "expectations failed (expect_column_values_to_be_null(account_id_missing_from_snapshot))",
            "failed_expectations": [
                "expect_column_values_to_be_null(account_id_missing_from_snapshot)"
            ],
            "report": f"{lake.uri}/{page}",
        }
    ]
    assert lake.exists(page)


def test_an_alert_that_cannot_be_delivered_is_logged_and_the_day_still_decided(
    spark, tmp_path, caplog
):
    from tests.conftest import free_port

    lake = LocalStore(tmp_path / "lake")
    nobody = f"http://127.0.0.1:{free_port()}/hook"  # nothing listens there

    report = gate(spark, lake, NEXT_DAY, ghost=True, alert_webhook_url=nobody)

    assert [f.batch for f in report.outcome.failed] == [validation.REQUESTING_ACCOUNTS]
    assert all(lake.exists(page) for page in report.data_docs_pages.values())
    assert f"could not deliver the validation failure alert of {NEXT_DAY}" in caplog.text


@pytest.mark.slow
def test_on_an_s3_lake_the_site_lands_under_the_lake_prefix(spark, s3_bucket):
    import boto3

    from lakeio import open_store

    lake = open_store(f"s3://{s3_bucket}/lake")

    first = gate(spark, lake, DAY)
    second = gate(spark, lake, NEXT_DAY, ghost=True)

    pages = set(first.data_docs_pages.values()) | set(second.data_docs_pages.values())
    assert len(pages) == 8 and all(lake.exists(page) for page in pages)
    assert index_links(lake) == pages
    client = boto3.client("s3")
    keys = [
        item["Key"]
        for listing in client.get_paginator("list_objects_v2").paginate(Bucket=s3_bucket)
        for item in listing.get("Contents", [])
    ]
    assert all(key.startswith(f"lake/{layout.GX_PREFIX}") for key in keys)
    assert f"lake/{layout.GX_DATA_DOCS_INDEX}" in keys
    head = client.head_object(Bucket=s3_bucket, Key=f"lake/{layout.GX_DATA_DOCS_INDEX}")
    assert head["ContentType"].startswith("text/html")
    page = second.data_docs_pages[validation.REQUESTING_ACCOUNTS]
    assert "a-ghost" in lake.read_bytes(page).decode()
