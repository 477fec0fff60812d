"""The ingest job end to end on a local lake: quarantine, dedup, idempotence, the gate.

A full run costs a few seconds of Spark and Great Expectations, so one module
fixture ingests a day full of bad lines twice (the rerun must be byte-for-byte
the same) and several tests read that result; the rewrite and failure tests
start from a copy of its lake.
"""

from __future__ import annotations

import json
import math
import shutil
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pyspark.sql import Row

from features.schemas import CURATED_ACCOUNTS_SCHEMA, CURATED_REQUESTS_SCHEMA
from jobs import ingest, validation
from jobs.ingest import DayNotReady, IngestParams, IngestSummary, ValidationFailed, load_summary
from jobs.validation import ValidationOutcome
from lakeio import LakeRef, layout, open_store

DAY = date(2026, 11, 3)


def assert_rows(actual, expected: list[Row]) -> None:
    """Whole-frame equality, row order ignored.

    ``pyspark.testing.assertDataFrameEqual`` imports ``pyspark.pandas``, which
    fails under pandas 3 in this environment; this compares the same things.
    """
    assert sorted(actual.collect()) == sorted(expected)


def job(lake: Path, scratch: Path, **overrides: Any) -> IngestParams:
    return IngestParams(day=DAY, lake=LakeRef(str(lake), str(scratch)), **overrides)


def table(spark, lake: Path, name: str, schema=None):
    reader = spark.read.schema(schema) if schema is not None else spark.read
    return reader.parquet(str(lake / layout.table_day_prefix(name, DAY)))


def files_under(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def published(lake: Path) -> dict[str, bytes]:
    return {
        f"{folder}/{name}": data
        for folder in ("curated", "quarantine")
        for name, data in files_under(lake / folder).items()
    }


BAD_REQUESTS: dict[str, Any] = {}  # reason -> the line that earns it; filled by the fixture


@pytest.fixture(scope="module")
def bad_lines_day(spark, tmp_path_factory, raw_request, raw_account, raw_day):
    """A day with one line of every bad kind, duplicates and bad account lines, ingested twice."""
    make_raw_request, make_raw_account, write_raw_day = raw_request, raw_account, raw_day
    root = tmp_path_factory.mktemp("bad-lines-day")
    lake, scratch = root / "lake", root / "scratch"
    good = [
        make_raw_request(
            DAY,
            request_id=f"good-{i:02d}",
            account_id=f"acct-{i % 2 + 1}",
            ts=f"{DAY}T{i % 24:02d}:{i % 60:02d}:00.{i:03d}Z",
        )
        for i in range(40)
    ]
    first = make_raw_request(DAY, request_id="dup", output_tokens=10)
    duplicates = [first, dict(first), make_raw_request(DAY, request_id="dup", output_tokens=5)]
    BAD_REQUESTS.update(
        {
            "unparseable": '{"request_id": "cut-off", "ts": "2026-11-03T',
            "not_an_object": '["an", "array"]',
            "blank_line": "   ",
            "wrong_type:input_tokens": make_raw_request(
                DAY, request_id="bad-type", input_tokens="12"
            ),
            "wrong_type:account_id": make_raw_request(DAY, request_id="bad-type-2", account_id=42),
            "missing_required:prompt": {
                k: v
                for k, v in make_raw_request(DAY, request_id="no-prompt").items()
                if k != "prompt"
            },
            "missing_required:api_key_id": make_raw_request(
                DAY, request_id="null-key", api_key_id=None
            ),
            "ts_outside_day": make_raw_request(DAY, request_id="late", ts="2026-11-04T00:00:00Z"),
            "invalid_timestamp": make_raw_request(DAY, request_id="bad-ts", ts="3 Nov 2026"),
            "negative_count:output_tokens": make_raw_request(
                DAY, request_id="neg", output_tokens=-5
            ),
            "invalid_value:status": make_raw_request(DAY, request_id="bad-status", status=42),
        }
    )
    accounts = [
        make_raw_account("acct-1"),
        make_raw_account("acct-2", tier="free", verified=False),
        make_raw_account("acct-1"),  # the snapshot repeats an account
        make_raw_account("acct-x", tier="platinum"),
        make_raw_account("acct-y", verified="yes"),
        make_raw_account("acct-z", created_at="not a time"),
        "{",
    ]
    write_raw_day(
        open_store(str(lake)),
        DAY,
        good + duplicates + list(BAD_REQUESTS.values()),
        accounts,
        files=3,
    )
    params = job(lake, scratch, max_bad_line_share=0.6, rows_per_file=7)

    summary = ingest.run(spark, params)
    first_files = published(lake)
    rerun = ingest.run(spark, params)
    return {
        "lake": lake,
        "summary": summary,
        "rerun": rerun,
        "first": first_files,
        "second": published(lake),
    }


def test_every_bad_line_kind_is_counted_and_quarantined_with_its_reason(spark, bad_lines_day):
    summary = bad_lines_day["summary"]
    lake = bad_lines_day["lake"]

    assert summary.bad_lines_by_reason == {reason: 1 for reason in BAD_REQUESTS}
    assert summary.rows_read == 40 + 3 + len(BAD_REQUESTS)
    assert summary.passed
    quarantine = table(spark, lake, layout.QUARANTINE_REQUESTS)
    assert_rows(
        quarantine.select("reason", "line"),
        [
            Row(reason=reason, line=line if isinstance(line, str) else json.dumps(line))
            for reason, line in BAD_REQUESTS.items()
        ],
    )
    assert {row.source_file for row in quarantine.collect()} <= {
        f"raw/requests/dt={DAY}/part-{n:04d}.jsonl.gz" for n in range(3)
    }
    assert [
        row.reasons for row in quarantine.where("reason = 'wrong_type:input_tokens'").collect()
    ] == [["wrong_type:input_tokens"]]
    assert load_summary(open_store(str(lake)), DAY) == bad_lines_day["rerun"]


def test_bad_account_lines_and_repeated_accounts_are_set_aside(spark, bad_lines_day):
    summary = bad_lines_day["summary"]

    assert summary.account_bad_lines_by_reason == {
        "invalid_value:tier": 1,
        "wrong_type:verified": 1,
        "invalid_timestamp": 1,
        "unparseable": 1,
    }
    assert (
        summary.account_lines_read,
        summary.account_duplicates_dropped,
        summary.accounts_rows,
    ) == (7, 1, 2)
    accounts = table(spark, bad_lines_day["lake"], layout.CURATED_ACCOUNTS, CURATED_ACCOUNTS_SCHEMA)
    created = datetime(2026, 1, 15, 9, 30)
    assert_rows(
        accounts,
        [
            Row("acct-1", None, created, "example.com", None, "US", None, "build", True),
            Row("acct-2", None, created, "example.com", None, "US", None, "free", False),
        ],
    )


def test_duplicate_request_ids_keep_one_deterministic_copy(spark, bad_lines_day):
    summary = bad_lines_day["summary"]
    requests = table(spark, bad_lines_day["lake"], layout.CURATED_REQUESTS, CURATED_REQUESTS_SCHEMA)

    assert (summary.duplicates_dropped, summary.curated_rows) == (2, 41)
    assert [(f.name, f.dataType) for f in requests.schema] == [
        (f.name, f.dataType) for f in CURATED_REQUESTS_SCHEMA
    ]
    # The copy that sorts first on every column survives (output_tokens 5 < 10).
    assert_rows(
        requests.where("request_id = 'dup'").select("output_tokens"), [Row(output_tokens=5)]
    )
    assert requests.select("request_id").distinct().count() == 41


def test_rerun_leaves_byte_identical_files(bad_lines_day):
    first, second = bad_lines_day["first"], bad_lines_day["second"]

    # One file per rows_per_file (7) rows of the parse: 43 good request lines (41 after
    # de-duplication) and the bad ones, so the quarantine is several files too: a day of
    # many bad lines is not written by one task.
    quarantine_files = math.ceil(len(BAD_REQUESTS) / 7)
    assert quarantine_files > 1
    assert sorted(first) == [
        f"curated/accounts/dt={DAY}/part-00000.parquet",
        *[f"curated/requests/dt={DAY}/part-{n:05d}.parquet" for n in range(7)],
        f"quarantine/accounts/dt={DAY}/part-00000.parquet",
        *[f"quarantine/requests/dt={DAY}/part-{n:05d}.parquet" for n in range(quarantine_files)],
    ]
    assert first == second
    summary, rerun = bad_lines_day["summary"], bad_lines_day["rerun"]
    # The same summary, but for the Data Docs pages: they are named by the
    # validation's run time, and the rerun's replace the first run's in the site.
    assert replace(summary, reports=replace(summary.reports, data_docs_pages={})) == replace(
        rerun, reports=replace(rerun.reports, data_docs_pages={})
    )
    store = open_store(str(bad_lines_day["lake"]))
    assert set(rerun.reports.data_docs_pages) == set(summary.reports.data_docs_pages)
    assert all(store.exists(page) for page in rerun.reports.data_docs_pages.values())
    assert not any(store.exists(page) for page in summary.reports.data_docs_pages.values())
    assert not list((bad_lines_day["lake"] / "_staging").rglob("*.parquet"))


def copy_lake(bad_lines_day, tmp_path: Path) -> Path:
    lake = tmp_path / "lake"
    shutil.copytree(bad_lines_day["lake"], lake)
    return lake


def test_late_rewrite_of_the_day_replaces_its_partition(
    spark, bad_lines_day, tmp_path, raw_day, raw_request, raw_account
):
    lake = copy_lake(bad_lines_day, tmp_path)
    accounts = [raw_account("acct-1")]
    raw_day(
        open_store(str(lake)),
        DAY,
        [raw_request(DAY, request_id="late-1"), raw_request(DAY, request_id="late-2")],
        accounts,
    )

    summary = ingest.run(spark, job(lake, tmp_path / "scratch"))

    assert (summary.rows_read, summary.bad_lines_by_reason, summary.curated_rows) == (2, {}, 2)
    assert sorted(files_under(lake / layout.CURATED_REQUESTS)) == [f"dt={DAY}/part-00000.parquet"]
    assert_rows(
        table(spark, lake, layout.CURATED_REQUESTS, CURATED_REQUESTS_SCHEMA).select("request_id"),
        [Row(request_id="late-1"), Row(request_id="late-2")],
    )
    assert table(spark, lake, layout.QUARANTINE_REQUESTS).count() == 0


def write_passed_summary(store, day: date, curated_rows: int) -> None:
    """A trailing day as the job would have recorded it."""
    reports = ingest.ReportPaths.for_day(day, data_docs_pages={})
    summary = IngestSummary(
        day=day,
        lake_uri=store.uri,
        rows_read=curated_rows,
        bad_lines_by_reason={},
        duplicates_dropped=0,
        curated_rows=curated_rows,
        account_lines_read=1,
        account_bad_lines_by_reason={},
        account_duplicates_dropped=0,
        accounts_rows=1,
        validation=ValidationOutcome(success=True),
        reports=reports,
    )
    store.write_bytes(reports.summary, json.dumps(summary.as_dict()).encode())


@pytest.mark.parametrize("engine", ["pandas", "spark"])
def test_failing_day_names_its_failures_and_publishes_nothing(
    spark, bad_lines_day, tmp_path, raw_day, raw_request, raw_account, monkeypatch, engine
):
    # Small days are validated in pandas, read from the staged Parquet without a
    # Spark job; a day over local_validation_rows in Spark. The report is the same.
    parquet_reads = []
    monkeypatch.setattr(
        ingest,
        "parquet_batch",
        lambda *args: parquet_reads.append(args[1]) or validation.parquet_batch(*args),
    )
    local_rows = IngestParams.local_validation_rows if engine == "pandas" else 0
    lake = copy_lake(bad_lines_day, tmp_path)  # holds a published partition of the day
    store = open_store(str(lake))
    for offset in (1, 2, 3):
        write_passed_summary(store, DAY - timedelta(days=offset), curated_rows=100)
    requests = [raw_request(DAY) for _ in range(8)] + [
        raw_request(DAY, account_id="acct-ghost"),
        '{"cut": ',
    ]
    raw_day(store, DAY, requests, [raw_account("acct-1")])

    with pytest.raises(ValidationFailed) as failure:
        ingest.run(
            spark,
            job(
                lake,
                tmp_path / "scratch",
                max_bad_line_share=0.05,
                volume_tolerance=2.0,
                local_validation_rows=local_rows,
            ),
        )

    expected_reads = (
        [CURATED_REQUESTS_SCHEMA, CURATED_ACCOUNTS_SCHEMA] if engine == "pandas" else []
    )
    assert parquet_reads == expected_reads

    message = str(failure.value)
    assert "\n" not in message and message.startswith(f"{DAY} failed validation: ")
    assert (
        "expect_column_values_to_be_between(request_bad_line_share) on day_metrics: observed 0.1, expected between 0 and 0.05"
        in message
    )
    assert (
        "expect_column_values_to_be_between(curated_requests) on day_metrics: observed 9, expected between 50 and 200"
        in message
    )
    assert (
        "expect_column_values_to_be_null(account_id_missing_from_snapshot) on requesting_accounts: 1 of 2 rows unexpected (e.g. acct-ghost)"
        in message
    )
    assert [(f.batch, f.expectation) for f in failure.value.summary.validation.failed] == [
        (
            "requesting_accounts",
            "expect_column_values_to_be_null(account_id_missing_from_snapshot)",
        ),
        ("day_metrics", "expect_column_values_to_be_between(request_bad_line_share)"),
        ("day_metrics", "expect_column_values_to_be_between(curated_requests)"),
    ]
    # No curated partition for downstream to read, the old one included.
    assert list(store.list_keys(layout.table_day_prefix(layout.CURATED_REQUESTS, DAY))) == []
    assert list(store.list_keys(layout.table_day_prefix(layout.CURATED_ACCOUNTS, DAY))) == []
    saved = load_summary(store, DAY)
    assert saved == failure.value.summary and not saved.passed and saved.curated_rows == 0
    assert saved.bad_lines_by_reason == {"unparseable": 1}
    # The error names the page of the day's first failed batch in the lake's one
    # Data Docs site, whose index lists it.
    page = saved.reports.data_docs_pages["requesting_accounts"]
    assert message.endswith(f"(report: {store.uri}/{page})")
    assert page.startswith(
        f"{layout.GX_DATA_DOCS}validations/ingest_requesting_accounts/ingest-{DAY}/"
    )
    assert "acct-ghost" in store.read_bytes(page).decode()
    assert saved.reports.data_docs_index == layout.GX_DATA_DOCS_INDEX
    index = store.read_bytes(saved.reports.data_docs_index).decode()
    assert page.removeprefix(layout.GX_DATA_DOCS) in index
    result = json.loads(store.read_bytes(saved.reports.validation_result))
    assert result["success"] is False
    assert set(result["batches"]) == {"requests", "accounts", "requesting_accounts", "day_metrics"}
    assert table(spark, lake, layout.QUARANTINE_REQUESTS).select("reason").collect() == [
        Row(reason="unparseable")
    ]


def test_day_without_success_marker_is_refused(spark, tmp_path, raw_day, raw_request, raw_account):
    lake = tmp_path / "lake"
    store = open_store(str(lake))
    raw_day(store, DAY, [raw_request(DAY)], [raw_account("acct-1")], markers=False)
    store.write_bytes(layout.success_key("accounts", DAY), b"")

    with pytest.raises(DayNotReady) as refusal:
        ingest.run(spark, job(lake, tmp_path / "scratch"))

    assert refusal.value.missing_markers == (f"raw/requests/dt={DAY}/_SUCCESS",)
    assert str(refusal.value).startswith(
        f"{DAY} is not ready: missing raw/requests/dt={DAY}/_SUCCESS"
    )
    assert list(store.list_keys("curated/")) == [] and list(store.list_keys("reports/")) == []


def test_main_refuses_an_incomplete_day_with_one_line(tmp_path, capsys):
    code = ingest.main(
        [
            "--day",
            DAY.isoformat(),
            "--lake",
            str(tmp_path / "lake"),
            "--scratch",
            str(tmp_path / "s"),
        ]
    )

    err = capsys.readouterr().err.strip()
    assert code == 1
    assert "\n" not in err and err.startswith(
        f"error: {DAY} is not ready: missing raw/requests/dt={DAY}/_SUCCESS"
    )
