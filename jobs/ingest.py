"""Ingest one day: raw JSON lines -> quarantine + curated tables behind a Great Expectations gate.

For day D the job refuses to start unless both ``_SUCCESS`` markers exist,
reads ``raw/requests/dt=D`` and ``raw/accounts/dt=D`` as text, and hands the
lines to the pure transforms of ``features.ingest``: every line is parsed
with an explicit schema and either set aside in ``quarantine/<dataset>/dt=D``
with its reason, or normalised, de-duplicated and written to a staging
folder. The staged day is validated with Great Expectations (``jobs.
validation``); only when the gate passes is it moved into ``curated/
<dataset>/dt=D``, replacing that partition exactly. A failing day leaves no
curated partition behind (an older one is removed, since it no longer
matches the raw day), keeps its quarantine, and raises ``ValidationFailed``
naming the Data Docs page of its first failed batch. Either way the GX result
JSON lands in ``reports/validation/dt=D/``, the day's pages in the lake's one
Data Docs site (``reports/validation/gx/data_docs/``, whose index lists every
validated day), and the typed ``IngestSummary`` in ``reports/ingest/dt=D/
summary.json``; later stages call ``ingest_validated`` (or ``load_summary``)
to see whether a day passed. A failed batch also alerts the webhook, when one
is configured.

Reruns are byte-for-byte idempotent: rows are hash-partitioned by key into a
number of files fixed by the row count, sorted within each file, and the
files get fixed names when promoted.
"""

from __future__ import annotations

import logging
import math
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import partial
from typing import Any

from pyspark import StorageLevel
from pyspark.sql import DataFrame, Observation, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from features.ingest import (
    LINE_COLUMN,
    RAW_LINES_SCHEMA,
    REASON_COLUMN,
    SOURCE_FILE_COLUMN,
    curate_accounts,
    curate_requests,
    drop_duplicate_accounts,
    drop_duplicate_requests,
    good_rows,
    parse_account_lines,
    parse_request_lines,
    quarantine_rows,
    reason_category,
)
from features.schemas import CURATED_ACCOUNTS_SCHEMA, CURATED_REQUESTS_SCHEMA
from jobs.errors import JobError
from jobs.validation import (
    ACCOUNTS,
    DAY_METRICS,
    REQUESTING_ACCOUNTS,
    REQUESTS,
    DayLimits,
    ValidationOutcome,
    ValidationReport,
    day_metrics,
    local_batch,
    local_day_metrics,
    local_requesting_accounts,
    parquet_batch,
    requesting_accounts,
    validate_day,
    validated_columns,
)
from lakeio import LakeRef, ObjectStore, layout
from lakeio.reports import StageSummary
from lakeio.tables import LakeTables, StagedDay

log = logging.getLogger(__name__)

# A day's volume is compared with the trailing days only once this many passed days exist.
MIN_TRAILING_DAYS = 3


@dataclass(frozen=True)
class IngestParams:
    day: date
    lake: LakeRef
    # Share of a dataset's lines that may be bad before the day fails.
    max_bad_line_share: float = 0.05
    # The day's curated request count must lie in [mean / tol, mean * tol] of the
    # trailing passed days. 2.0 tolerates weekly seasonality (weekend traffic is
    # typically 0.6-0.8 of the weekly mean) and organic bursts, while a day that
    # lost half its files or had its delivery replayed twice is stopped.
    volume_tolerance: float = 2.0
    trailing_days: int = 7
    # Curated files hold about this many rows; the count, and so the file layout, is
    # a function of the data, which keeps reruns byte-identical.
    rows_per_file: int = 250_000
    # Batches of at most this many rows are validated in pandas on the driver
    # (the checked columns only, about 1 KB of driver memory a request row; read
    # by pyarrow from the staged Parquet when it is on this machine, else through
    # Spark's toPandas); larger ones by Spark, where GX costs a Spark job a metric
    # (bench/README.md: the ingest's GX batches).
    local_validation_rows: int = 1_500_000
    # A batch that fails the gate POSTs a JSON alert here (the GX Checkpoint's action);
    # None: the failure is in the summary, the report and the raised error only.
    alert_webhook_url: str | None = None

    def __post_init__(self) -> None:
        if not 0.0 <= self.max_bad_line_share <= 1.0:
            raise ValueError(
                f"max_bad_line_share must be within [0, 1], got {self.max_bad_line_share}"
            )
        if self.volume_tolerance < 1.0:
            raise ValueError(f"volume_tolerance must be >= 1, got {self.volume_tolerance}")
        if self.trailing_days < 0 or self.rows_per_file < 1:
            raise ValueError("trailing_days must be >= 0 and rows_per_file >= 1")
        if self.local_validation_rows < 0:
            raise ValueError(
                f"local_validation_rows must be >= 0, got {self.local_validation_rows}"
            )


@dataclass(frozen=True)
class ReportPaths:
    """Keys under the lake root of everything the run wrote for the day."""

    summary: str
    validation_result: str
    data_docs_index: str  # the index of the lake's Data Docs site, every validated day
    quarantine_requests: str
    quarantine_accounts: str
    curated_requests: str
    curated_accounts: str
    # This day's page in that site, by batch (absent from summaries written before
    # the site was shared, whose index was then a folder of the day's own).
    data_docs_pages: dict[str, str] = field(default_factory=dict)

    @classmethod
    def for_day(cls, day: date, data_docs_pages: dict[str, str]) -> ReportPaths:
        return cls(
            summary=layout.report_key(layout.INGEST_SUMMARY, day),
            validation_result=layout.report_key(layout.VALIDATION_RESULT, day),
            data_docs_index=layout.GX_DATA_DOCS_INDEX,
            quarantine_requests=layout.table_day_prefix(layout.QUARANTINE_REQUESTS, day),
            quarantine_accounts=layout.table_day_prefix(layout.QUARANTINE_ACCOUNTS, day),
            curated_requests=layout.table_day_prefix(layout.CURATED_REQUESTS, day),
            curated_accounts=layout.table_day_prefix(layout.CURATED_ACCOUNTS, day),
            data_docs_pages=dict(data_docs_pages),
        )


@dataclass(frozen=True)
class IngestSummary(StageSummary):
    """What the ingest of a day did; saved as ``reports/ingest/dt=D/summary.json``."""

    day: date
    lake_uri: str
    rows_read: int  # request lines read, bad ones included
    bad_lines_by_reason: dict[str, int]
    duplicates_dropped: int
    curated_rows: int  # curated requests (0 when validation failed: nothing was published)
    account_lines_read: int
    account_bad_lines_by_reason: dict[str, int]
    account_duplicates_dropped: int
    accounts_rows: int
    validation: ValidationOutcome
    reports: ReportPaths
    # Raw objects not read, with why: not named *.jsonl.gz, or a name that would
    # escape the day's folder. Set aside and counted; the rest of the day goes on.
    files_set_aside: dict[str, str] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return self.validation.success

    @property
    def data_docs_page(self) -> str:
        """The key of the day's Data Docs page to open: its first failed batch's, else the first."""
        pages = self.reports.data_docs_pages
        failed = [failure.batch for failure in self.validation.failed if failure.batch in pages]
        if failed:
            return pages[failed[0]]
        return next(iter(pages.values()), self.reports.data_docs_index)

    @property
    def data_docs_url(self) -> str:
        """``data_docs_page`` as a person opens it: ``file://...`` or ``s3://...``."""
        return f"{self.lake_uri.rstrip('/')}/{self.data_docs_page}"

    @property
    def bad_lines(self) -> int:
        return sum(self.bad_lines_by_reason.values())

    @property
    def bad_line_share(self) -> float:
        return self.bad_lines / self.rows_read if self.rows_read else 0.0

    @property
    def bad_lines_by_category(self) -> dict[str, int]:
        categories: dict[str, int] = {}
        for reason, count in self.bad_lines_by_reason.items():
            categories[reason_category(reason)] = categories.get(reason_category(reason), 0) + count
        return dict(sorted(categories.items()))

    def as_dict(self) -> dict[str, Any]:
        return {
            "day": self.day.isoformat(),
            "lake_uri": self.lake_uri,
            "passed": self.passed,
            "rows_read": self.rows_read,
            "bad_lines": self.bad_lines,
            "bad_line_share": self.bad_line_share,
            "bad_lines_by_reason": dict(sorted(self.bad_lines_by_reason.items())),
            "bad_lines_by_category": self.bad_lines_by_category,
            "duplicates_dropped": self.duplicates_dropped,
            "curated_rows": self.curated_rows,
            "account_lines_read": self.account_lines_read,
            "account_bad_lines_by_reason": dict(sorted(self.account_bad_lines_by_reason.items())),
            "account_duplicates_dropped": self.account_duplicates_dropped,
            "accounts_rows": self.accounts_rows,
            "validation": self.validation.as_dict(),
            "reports": dict(self.reports.__dict__),
            "files_set_aside": dict(sorted(self.files_set_aside.items())),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> IngestSummary:
        return cls(
            day=date.fromisoformat(data["day"]),
            lake_uri=data["lake_uri"],
            rows_read=int(data["rows_read"]),
            bad_lines_by_reason={k: int(v) for k, v in data["bad_lines_by_reason"].items()},
            duplicates_dropped=int(data["duplicates_dropped"]),
            curated_rows=int(data["curated_rows"]),
            account_lines_read=int(data["account_lines_read"]),
            account_bad_lines_by_reason={
                k: int(v) for k, v in data["account_bad_lines_by_reason"].items()
            },
            account_duplicates_dropped=int(data["account_duplicates_dropped"]),
            accounts_rows=int(data["accounts_rows"]),
            validation=ValidationOutcome.from_dict(data["validation"]),
            reports=ReportPaths(**data["reports"]),
            files_set_aside={
                **{key: "not a data file (*.jsonl.gz)" for key in data.get("ignored_files", [])},
                **data.get("files_set_aside", {}),
            },
        )


class DayNotReady(JobError):
    """The day lacks one or both ``_SUCCESS`` markers: the producer has not finished it."""

    def __init__(self, day: date, missing_markers: Sequence[str]) -> None:
        self.day = day
        self.missing_markers = tuple(missing_markers)
        super().__init__(
            f"{day.isoformat()} is not ready: missing {', '.join(self.missing_markers)} "
            "(producers write _SUCCESS last; wait for them or check the producer)"
        )


class ValidationFailed(JobError):
    """The day failed the Great Expectations gate; nothing was published to curated."""

    def __init__(self, summary: IngestSummary) -> None:
        self.summary = summary
        super().__init__(
            f"{summary.day.isoformat()} failed validation: {summary.validation.describe()} "
            f"(report: {summary.data_docs_url})"
        )


def load_summary(store: ObjectStore, day: date) -> IngestSummary | None:
    """The saved summary of the day's last ingest, or None when it was never ingested."""
    data = store.read_json(layout.report_key(layout.INGEST_SUMMARY, day))
    return None if data is None else IngestSummary.from_dict(data)


def curated_requests(store: ObjectStore, day: date) -> int | None:
    """The curated requests the day's last ingest counted, or None when it did not say."""
    data = store.read_json(layout.report_key(layout.INGEST_SUMMARY, day)) or {}
    rows = data.get("curated_rows")
    return rows if isinstance(rows, int) and not isinstance(rows, bool) else None


def ingest_validated(store: ObjectStore, day: date) -> bool:
    """Whether the ingest report of ``day`` exists and says validation succeeded."""
    data = store.read_json(layout.report_key(layout.INGEST_SUMMARY, day)) or {}
    return bool((data.get("validation") or {}).get("success"))


# --- one dataset of the day -------------------------------------------------------
@dataclass(frozen=True)
class _Dataset:
    name: str  # "requests" / "accounts"
    parse: Callable[[DataFrame], DataFrame]
    curate: Callable[[DataFrame], DataFrame]
    drop_duplicates: Callable[[DataFrame], DataFrame]
    key: str
    sort_columns: tuple[str, ...]
    schema: T.StructType
    curated_table: str
    quarantine_table: str


@dataclass(frozen=True)
class _Staged:
    lines_read: int
    bad_lines_by_reason: dict[str, int]
    duplicates_dropped: int
    curated_rows: int
    curated: StagedDay
    files_set_aside: dict[str, str]

    @property
    def bad_line_share(self) -> float:
        return sum(self.bad_lines_by_reason.values()) / self.lines_read if self.lines_read else 0.0


def _datasets(day: date) -> tuple[_Dataset, _Dataset]:
    requests = _Dataset(
        name="requests",
        parse=partial(parse_request_lines, day=day),
        curate=curate_requests,
        drop_duplicates=drop_duplicate_requests,
        key="request_id",
        sort_columns=("ts", "request_id"),
        schema=CURATED_REQUESTS_SCHEMA,
        curated_table=layout.CURATED_REQUESTS,
        quarantine_table=layout.QUARANTINE_REQUESTS,
    )
    accounts = _Dataset(
        name="accounts",
        parse=parse_account_lines,
        curate=curate_accounts,
        drop_duplicates=drop_duplicate_accounts,
        key="account_id",
        sort_columns=("account_id",),
        schema=CURATED_ACCOUNTS_SCHEMA,
        curated_table=layout.CURATED_ACCOUNTS,
        quarantine_table=layout.QUARANTINE_ACCOUNTS,
    )
    return requests, accounts


def _read_raw_lines(
    tables: LakeTables, dataset: str, day: date
) -> tuple[DataFrame, dict[str, str]]:
    """The day's raw lines as (``line``, ``source_file``), plus the files set aside, with why."""
    store, lake = tables.store, tables.lake
    prefix = layout.raw_day_prefix(dataset, day)
    files, set_aside = store.raw_day_listing(dataset, day)
    if not files:
        return tables.spark.createDataFrame([], RAW_LINES_SCHEMA), set_aside
    lake.stage(prefix, files)
    lines = tables.spark.read.text([lake.uri(key) for key in files]).select(
        F.col("value").alias(LINE_COLUMN),
        # The lake key, not the (possibly staged) local path, is what a person looks up.
        F.concat(F.lit(prefix), F.col("_metadata.file_name")).alias(SOURCE_FILE_COLUMN),
    )
    return lines, set_aside


def _stage_dataset(tables: LakeTables, dataset: _Dataset, params: IngestParams) -> _Staged:
    """Parse, quarantine (published at once) and stage the curated rows of one dataset."""
    day = params.day
    lines, set_aside = _read_raw_lines(tables, dataset.name, day)
    # Counting, quarantining and curating all read the parse; parse once.
    classified = dataset.parse(lines).persist(StorageLevel.MEMORY_AND_DISK)
    try:
        counts = {
            row[REASON_COLUMN]: row["count"]
            for row in classified.groupBy(REASON_COLUMN).count().collect()
        }
        good = counts.pop(None, 0)
        lines_read = good + sum(counts.values())
        # One file per rows_per_file bad lines, hashed by line: a day of many bad lines
        # is not written by one task (one file, as before, while they are few).
        quarantine_files = max(1, math.ceil(sum(counts.values()) / params.rows_per_file))
        tables.write_day(
            quarantine_rows(classified)
            .repartition(quarantine_files, SOURCE_FILE_COLUMN, LINE_COLUMN)
            .sortWithinPartitions(SOURCE_FILE_COLUMN, LINE_COLUMN, REASON_COLUMN),
            dataset.quarantine_table,
            day,
        )
        files = max(1, math.ceil(good / params.rows_per_file))
        # Hash-partition by key first: the de-duplicating window reuses that
        # partitioning (one shuffle), and the file a row lands in depends on its key only.
        # The rows written are counted by the write itself (an observation), not by
        # reading the staged files back: one Spark job fewer per dataset.
        written = Observation(f"curated_{dataset.name}")
        curated = (
            dataset.drop_duplicates(
                dataset.curate(good_rows(classified)).repartition(files, dataset.key)
            )
            .observe(written, F.count(F.lit(1)).alias("rows"))
            .sortWithinPartitions(*dataset.sort_columns)
        )
        staged = tables.stage(curated, dataset.curated_table, day)
        curated_rows = int(written.get["rows"])
    finally:
        classified.unpersist()
    log.info(
        "%s %s: %d lines, %d bad, %d duplicates, %d curated",
        day,
        dataset.name,
        lines_read,
        lines_read - good,
        good - curated_rows,
        curated_rows,
    )
    return _Staged(
        lines_read=lines_read,
        bad_lines_by_reason=dict(sorted(counts.items())),
        duplicates_dropped=good - curated_rows,
        curated_rows=curated_rows,
        curated=staged,
        files_set_aside=set_aside,
    )


# --- the gate -------------------------------------------------------------------------
def _volume_limits(
    store: ObjectStore, params: IngestParams
) -> tuple[tuple[float, float] | None, str | None]:
    """Bounds on the day's curated request count from the trailing passed days.

    Trailing volumes come from the days' saved summaries (the count of rows the
    job published), which costs one small read per day instead of staging and
    scanning whole curated partitions.
    """
    volumes = []
    for offset in range(1, params.trailing_days + 1):
        summary = load_summary(store, params.day - timedelta(days=offset))
        if summary is not None and summary.passed:
            volumes.append(summary.curated_rows)
    if len(volumes) < MIN_TRAILING_DAYS:
        return None, (
            f"volume check skipped: {len(volumes)} passed day(s) in the trailing "
            f"{params.trailing_days}, need {MIN_TRAILING_DAYS}"
        )
    mean = sum(volumes) / len(volumes)
    return (mean / params.volume_tolerance, mean * params.volume_tolerance), None


def _batches(
    tables: LakeTables, requests: _Staged, accounts: _Staged, limits: DayLimits, local_rows: int
) -> dict[str, Any]:
    """The four GX batches of the day, in pandas where they are small enough."""
    checked = validated_columns(limits)
    requests_batch = _dataset_batch(
        tables, requests, CURATED_REQUESTS_SCHEMA, local_rows, checked[REQUESTS]
    )
    accounts_batch = _dataset_batch(
        tables, accounts, CURATED_ACCOUNTS_SCHEMA, local_rows, checked[ACCOUNTS]
    )
    if isinstance(requests_batch, DataFrame) or isinstance(accounts_batch, DataFrame):
        # Spark computes it; at most one row per curated request comes to the driver.
        requesting = local_batch(
            requesting_accounts(
                tables.read_staged(requests.curated, CURATED_REQUESTS_SCHEMA),
                tables.read_staged(accounts.curated, CURATED_ACCOUNTS_SCHEMA),
            ),
            requests.curated_rows,
            local_rows,
        )
    else:
        requesting = local_requesting_accounts(requests_batch, accounts_batch)
    metrics: Callable[..., Any] = (
        partial(day_metrics, tables.spark) if local_rows < 1 else local_day_metrics
    )
    return {
        REQUESTS: requests_batch,
        ACCOUNTS: accounts_batch,
        REQUESTING_ACCOUNTS: requesting,
        DAY_METRICS: metrics(
            request_bad_line_share=requests.bad_line_share,
            account_bad_line_share=accounts.bad_line_share,
            curated_requests=requests.curated_rows,
        ),
    }


def _dataset_batch(
    tables: LakeTables,
    staged: _Staged,
    schema: T.StructType,
    local_rows: int,
    checked: frozenset[str],
) -> Any:
    """A staged dataset as a GX batch: pandas when it is small enough, else Spark.

    ``account_id`` always comes along: the requesting-accounts check of two
    pandas batches is computed from them.
    """
    checked = checked | {"account_id"}
    directory = tables.staged_folder(staged.curated)
    if directory is not None and staged.curated_rows <= local_rows:
        return parquet_batch(directory, schema, checked)  # no Spark job: the parts are here
    frame = tables.read_staged(staged.curated, schema)
    return local_batch(frame, staged.curated_rows, local_rows, checked)


def _validate(
    tables: LakeTables, requests: _Staged, accounts: _Staged, params: IngestParams
) -> ValidationReport:
    """Run the day's gate; its GX result JSON and Data Docs pages go to the lake either way."""
    day = params.day
    volume_bounds, volume_note = _volume_limits(tables.store, params)
    limits = DayLimits(
        day=day, max_bad_line_share=params.max_bad_line_share, volume_bounds=volume_bounds
    )
    batches = _batches(tables, requests, accounts, limits, params.local_validation_rows)
    report = validate_day(
        batches,
        limits,
        tables.store,
        notes=(volume_note,) if volume_note else (),
        alert_webhook_url=params.alert_webhook_url,
    )
    tables.store.write_json(layout.report_key(layout.VALIDATION_RESULT, day), report.result_json)
    return report


# --- the day ------------------------------------------------------------------------
def run(spark: SparkSession, params: IngestParams) -> IngestSummary:
    """Ingest and validate ``params.day``; raise ``DayNotReady`` or ``ValidationFailed``."""
    day = params.day
    tables = LakeTables.open(spark, params.lake)
    missing = tables.store.missing_markers(day)
    if missing:
        raise DayNotReady(day, missing)
    requests_spec, accounts_spec = _datasets(day)
    requests = _stage_dataset(tables, requests_spec, params)
    accounts = _stage_dataset(tables, accounts_spec, params)
    for dataset in layout.RAW_DATASETS:
        tables.lake.unstage(layout.raw_day_prefix(dataset, day))  # read: both are written out

    report = _validate(tables, requests, accounts, params)
    outcome = report.outcome
    for staged in (requests.curated, accounts.curated):
        if outcome.success:
            tables.promote(staged)
        else:
            # The raw day changed or is bad: an older curated partition no longer
            # describes it, and downstream must not read this day.
            tables.discard_day(staged.table, day)
            tables.discard(staged)

    published = outcome.success
    summary = IngestSummary(
        day=day,
        lake_uri=tables.store.uri,
        rows_read=requests.lines_read,
        bad_lines_by_reason=requests.bad_lines_by_reason,
        duplicates_dropped=requests.duplicates_dropped,
        curated_rows=requests.curated_rows if published else 0,
        account_lines_read=accounts.lines_read,
        account_bad_lines_by_reason=accounts.bad_lines_by_reason,
        account_duplicates_dropped=accounts.duplicates_dropped,
        accounts_rows=accounts.curated_rows if published else 0,
        validation=outcome,
        reports=ReportPaths.for_day(day, report.data_docs_pages),
        files_set_aside={**requests.files_set_aside, **accounts.files_set_aside},
    )
    tables.store.write_json(summary.reports.summary, summary.as_dict())
    if not published:
        raise ValidationFailed(summary)
    return summary


# --- spark-submit entry point ---------------------------------------------------------
def main(argv: Sequence[str] | None = None) -> int:
    from jobs.entry import job_parser, lake_ref, run_job

    parser = job_parser("jobs.ingest", __doc__)
    parser.add_argument("--max-bad-line-share", type=float, default=IngestParams.max_bad_line_share)
    parser.add_argument("--volume-tolerance", type=float, default=IngestParams.volume_tolerance)
    parser.add_argument("--trailing-days", type=int, default=IngestParams.trailing_days)
    parser.add_argument(
        "--alert-webhook-url", default=None, help="POST a JSON alert here for a failed batch"
    )
    args = parser.parse_args(argv)
    params = IngestParams(
        day=args.day,
        lake=lake_ref(args),
        max_bad_line_share=args.max_bad_line_share,
        volume_tolerance=args.volume_tolerance,
        trailing_days=args.trailing_days,
        alert_webhook_url=args.alert_webhook_url,
    )
    # Refuse an incomplete day before paying for a Spark session.
    missing = params.lake.store().missing_markers(params.day)
    if missing:
        print(f"error: {DayNotReady(params.day, missing)}", file=sys.stderr)
        return 1
    return run_job("ingest", args, lambda spark: run(spark, params))


if __name__ == "__main__":
    sys.exit(main())
