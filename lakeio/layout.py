"""Where everything lives under the lake root.

The ``raw/`` and ``labels/`` prefixes are the contract (producers write them);
everything else is the pipeline's own. Keys are relative to the lake root and
use ``/`` separators; day partitions are ``dt=YYYY-MM-DD``.
"""

from __future__ import annotations

from datetime import date

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
ACCOUNT_FEATURES = "features/accounts"
CLUSTER_MEMBERS = "features/cluster_members"
CLUSTER_FEATURES = "features/clusters"
ACCOUNT_LINKS = "features/links"
# The features job's per account-day partial aggregates (jobs/featurize.py); the
# landing reads a day's volumes from it too.
ACCOUNT_ACTIVITY = "features/account_activity"
SCORES = "scores"

# Reports people open (JSON, HTML).
REPORTS_PREFIX = "reports/"


def report_day_prefix(kind: str, day: date) -> str:
    return f"{REPORTS_PREFIX}{kind}/{day_partition(day)}/"
