"""Where everything lives under the lake root.

The ``raw/`` and ``labels/`` prefixes are the contract (producers write them);
everything else is the pipeline's own. Keys are relative to the lake root and
use ``/`` separators; day partitions are ``dt=YYYY-MM-DD``.
"""

from __future__ import annotations

from datetime import date
from typing import NamedTuple

RAW_DATASETS: tuple[str, ...] = ("requests", "accounts")
SUCCESS_MARKER = "_SUCCESS"

LABELS_PREFIX = "labels/"
TRUTH_PREFIX = "sim/truth/"  # simulator ground truth: never read by the pipeline


def day_partition(day: date) -> str:
    return f"dt={day.isoformat()}"


def raw_day_prefix(dataset: str, day: date) -> str:
    """``raw/<dataset>/dt=D/``: the producer's files for one day."""
    if dataset not in RAW_DATASETS:
        raise ValueError(f"unknown raw dataset {dataset!r}; expected one of {RAW_DATASETS}")
    return f"raw/{dataset}/{day_partition(day)}/"


def success_key(dataset: str, day: date) -> str:
    return raw_day_prefix(dataset, day) + SUCCESS_MARKER


def table_prefix(table: str) -> str:
    """Root of one of the pipeline's own partitioned tables, e.g. ``curated/requests/``."""
    return f"{table.strip('/')}/"


def table_day_prefix(table: str, day: date) -> str:
    return f"{table_prefix(table)}{day_partition(day)}/"


# The pipeline's own tables (Parquet, partitioned by dt).
CURATED_REQUESTS = "curated/requests"
CURATED_ACCOUNTS = "curated/accounts"
QUARANTINE_REQUESTS = "quarantine/requests"
QUARANTINE_ACCOUNTS = "quarantine/accounts"
ACCOUNT_DAY_FEATURES = "features/account_day"
CLUSTER_MEMBERS = "features/cluster_members"
# A cluster member's ``links`` column: the entity, the customers holding it inside
# the member's block (an org counts once), and the days of the week the member used
# it (day-scoped entities: exit addresses and prefixes; empty for the others). The
# features job writes it, the review feed reads it.
MEMBER_LINKS_TYPE = "array<struct<type:string,value:string,customers:bigint,days:array<date>>>"
CLUSTER_FEATURES = "features/clusters"
ACCOUNT_LINKS = "features/links"
# The features job's per account-day partial aggregates (jobs/featurize.py); the
# review feed reads a day's volumes from it too.
ACCOUNT_ACTIVITY = "features/account_activity"
SCORES = "scores"
# What the review queue lands for a sweep day (jobs/review_feed.py, review/feed.py).
REVIEW_FEED = "review_feed"

# Where a table's day is written before it replaces the published one
# (lakeio.tables): beside the tables, so the swap is a rename on one file system.
STAGING_PREFIX = "_staging/"


def staging_day_prefix(table: str, day: date) -> str:
    return f"{STAGING_PREFIX}{table_day_prefix(table, day)}"


def staging_batch_root(batch: str) -> str:
    """The folder of one write of several days (removed whole once its days are promoted)."""
    return f"{STAGING_PREFIX}_batches/{batch}/"


def staging_batch_prefix(table: str, batch: str) -> str:
    """Where one Spark write of several days of ``table`` lands (``dt=D/`` folders under it)."""
    return f"{staging_batch_root(batch)}{table_prefix(table)}"


# Reports people open (JSON, HTML, Markdown), per kind and day.
REPORTS_PREFIX = "reports/"


def report_day_prefix(kind: str, day: date) -> str:
    return f"{REPORTS_PREFIX}{kind}/{day_partition(day)}/"


class ReportFile(NamedTuple):
    """A file under ``reports/<kind>/dt=D/`` (``report_key``)."""

    kind: str
    name: str


# The ingest job's IngestSummary of the day; says whether validation passed.
INGEST_SUMMARY = ReportFile("ingest", "summary.json")
# Great Expectations' result JSON of the day's ingest gate.
VALIDATION_RESULT = ReportFile("validation", "validation_result.json")
# Which stages of the day's sweep are done (resume and skip), its result, its report.
SWEEP_STATUS = ReportFile("sweep", "status.json")
SWEEP_SUMMARY = ReportFile("sweep", "summary.json")
SWEEP_REPORT = ReportFile("sweep", "report.md")


def report_key(report: ReportFile, day: date) -> str:
    return report_day_prefix(report.kind, day) + report.name


# Great Expectations' stores that outlive a day (jobs/validation_checkpoint.py):
# every day's validation results, and the one Data Docs site rendered from them,
# whose index lists every validated day and whose pages are keyed by the day.
GX_PREFIX = f"{REPORTS_PREFIX}validation/gx/"
GX_VALIDATION_RESULTS = f"{GX_PREFIX}results/"
GX_DATA_DOCS = f"{GX_PREFIX}data_docs/"
GX_DATA_DOCS_INDEX = f"{GX_DATA_DOCS}index.html"


def backtest_report_key(model_version: str, start: date, end: date) -> str:
    return f"{REPORTS_PREFIX}backtest/v{model_version}/{start.isoformat()}_{end.isoformat()}.json"
