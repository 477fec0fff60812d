"""The Great Expectations gate of a day's ingest, built in code, with a typed outcome.

Four batches are validated, each a whole DataFrame run through a GX
Checkpoint of an ephemeral context: the curated ``requests`` and ``accounts``
of the day (keys not null, value ranges and sets, unique keys, the exact
column list), the day's ``requesting_accounts`` (every account that sent a
request is in the day's snapshot) and a one-row ``day_metrics`` frame computed
by the job (bad-line shares under the limit, the day's volume within a
tolerance of the trailing days). Putting the job's own metrics through GX makes
the report name them like any other expectation. Results become a
``ValidationOutcome`` the job acts on; the Checkpoints' actions keep every
day's results and pages in one Data Docs site in the lake and post an alert
for a failed batch (``jobs.validation_checkpoint``).

A batch is a Spark DataFrame or, when the job found it small enough to bring
to the driver (``local_batch``; ``parquet_batch`` reads the same frame from
Parquet on this machine without Spark), a pandas one: the same suites then run on GX's
pandas engine, which answers a small batch in milliseconds where each Spark
metric query costs a job (most of a small day's ingest; bench/README.md has the
figures). Only the columns an expectation reads (``validated_columns``) come to
the driver with their values.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Collection, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from features.ingest import UA_KINDS
from features.schemas import ACCOUNT_TIERS, CURATED_ACCOUNTS_SCHEMA, CURATED_REQUESTS_SCHEMA
from lakeio import ObjectStore

REQUESTS = "requests"
ACCOUNTS = "accounts"
REQUESTING_ACCOUNTS = "requesting_accounts"
DAY_METRICS = "day_metrics"
BATCHES: tuple[str, ...] = (REQUESTS, ACCOUNTS, REQUESTING_ACCOUNTS, DAY_METRICS)

MISSING_ACCOUNT_COLUMN = "account_id_missing_from_snapshot"
DAY_METRICS_SCHEMA = T.StructType(
    [
        T.StructField("request_bad_line_share", T.DoubleType(), False),
        T.StructField("account_bad_line_share", T.DoubleType(), False),
        T.StructField("curated_requests", T.LongType(), False),
    ]
)
_EXAMPLES = 5


@dataclass(frozen=True)
class DayLimits:
    """What the day must meet besides the per-row rules."""

    day: date
    max_bad_line_share: float
    # (low, high) bounds on the curated request count; None when too few trailing days
    volume_bounds: tuple[float, float] | None = None


@dataclass(frozen=True)
class FailedExpectation:
    batch: str
    expectation: str  # e.g. "expect_column_values_to_be_unique(request_id)"
    detail: str  # e.g. "2 of 1000 rows unexpected, e.g. ['r-1', 'r-1']"

    def describe(self) -> str:
        return f"{self.expectation} on {self.batch}: {self.detail}"

    def as_dict(self) -> dict[str, str]:
        return {"batch": self.batch, "expectation": self.expectation, "detail": self.detail}


@dataclass(frozen=True)
class ValidationOutcome:
    """Whether the day passed the gate, and what failed."""

    success: bool
    failed: tuple[FailedExpectation, ...] = ()
    evaluated_expectations: int = 0
    successful_expectations: int = 0
    notes: tuple[str, ...] = ()  # checks not run and why, e.g. too few trailing days

    def describe(self) -> str:
        if self.success:
            return (
                f"passed {self.successful_expectations}/{self.evaluated_expectations} expectations"
            )
        return "; ".join(failure.describe() for failure in self.failed)

    def as_dict(self) -> dict[str, Any]:
        return {
            "success": self.success,
            "failed": [failure.as_dict() for failure in self.failed],
            "statistics": {
                "evaluated_expectations": self.evaluated_expectations,
                "successful_expectations": self.successful_expectations,
                "unsuccessful_expectations": self.evaluated_expectations
                - self.successful_expectations,
            },
            "notes": list(self.notes),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ValidationOutcome:
        statistics = data.get("statistics", {})
        return cls(
            success=bool(data["success"]),
            failed=tuple(FailedExpectation(**failure) for failure in data.get("failed", [])),
            evaluated_expectations=int(statistics.get("evaluated_expectations", 0)),
            successful_expectations=int(statistics.get("successful_expectations", 0)),
            notes=tuple(data.get("notes", [])),
        )


@dataclass(frozen=True)
class ValidationReport:
    outcome: ValidationOutcome
    result_json: dict[str, Any]  # GX's validation results, one entry per batch
    # Lake key of each batch's page in the lake's Data Docs site, by batch.
    data_docs_pages: dict[str, str]


# --- the frames the job builds for the day-level checks -----------------------
def requesting_accounts(requests: DataFrame, accounts: DataFrame) -> DataFrame:
    """Distinct requesting accounts; ``account_id_missing_from_snapshot`` is set when absent."""
    in_snapshot = accounts.select("account_id").distinct().withColumn("_in_snapshot", F.lit(True))
    return (
        requests.select("account_id")
        .distinct()
        .join(in_snapshot, on="account_id", how="left")
        .select(
            "account_id",
            F.when(F.col("_in_snapshot").isNull(), F.col("account_id")).alias(
                MISSING_ACCOUNT_COLUMN
            ),
        )
    )


def _day_metrics_row(
    request_bad_line_share: float, account_bad_line_share: float, curated_requests: int
) -> tuple[float, float, int]:
    """The one ``DAY_METRICS_SCHEMA`` row."""
    return float(request_bad_line_share), float(account_bad_line_share), int(curated_requests)


def day_metrics(
    spark: SparkSession,
    *,
    request_bad_line_share: float,
    account_bad_line_share: float,
    curated_requests: int,
) -> DataFrame:
    row = _day_metrics_row(request_bad_line_share, account_bad_line_share, curated_requests)
    return spark.createDataFrame([row], DAY_METRICS_SCHEMA)


def local_day_metrics(
    *, request_bad_line_share: float, account_bad_line_share: float, curated_requests: int
) -> Any:
    """``day_metrics`` as the pandas batch ``local_batch`` makes of it, without a Spark job."""
    import pandas as pd

    row = _day_metrics_row(request_bad_line_share, account_bad_line_share, curated_requests)
    return pd.DataFrame([row], columns=DAY_METRICS_SCHEMA.fieldNames())


def local_batch(
    frame: DataFrame, max_rows: int, local_rows: int, checked: Collection[str] | None = None
) -> Any:
    """``frame`` as pandas when it has at most ``local_rows`` rows (``max_rows`` bounds its count).

    ``max_rows`` is what the caller already knows (a count it made, or an upper
    bound such as the day's request count for its distinct accounts), so the
    choice costs no Spark job. Timestamps arrive naive in the session time zone
    (UTC, jobs.session), as the suites' bounds are.

    With ``checked`` (``validated_columns``), the other columns come over as
    nulls of their type: the suites only check their names, and the prompts of
    a million-request day would be gigabytes on the driver.
    """
    if max_rows > local_rows:
        return frame
    if checked is not None:
        frame = frame.select(
            *(
                F.col(field.name)
                if field.name in checked
                else F.lit(None).cast(field.dataType).alias(field.name)
                for field in frame.schema.fields
            )
        )
    return frame.toPandas()


def parquet_batch(directory: Path, schema: T.StructType, checked: Collection[str]) -> Any:
    """The pandas frame ``local_batch`` would give for the Parquet parts in a local folder.

    The ingest stages each curated dataset in a folder on this machine (a local
    lake, or the scratch mirror of an S3 one), so pyarrow can read the checked
    columns without a Spark job, several times faster than ``toPandas``. The
    frame is the same:
    ``schema``'s columns in order, the unchecked ones nulls of their type, and
    timestamps naive UTC in nanoseconds, as Spark's Arrow conversion gives in a
    UTC session. Rows come in part order.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq
    from pyspark.sql.pandas.types import to_arrow_schema

    arrow = to_arrow_schema(schema, timezone="UTC")
    names = [name for name in schema.fieldNames() if name in checked]
    parts = sorted(directory.glob("part-*.parquet"))
    read = (
        pa.concat_tables([pq.read_table(part, columns=names) for part in parts])
        if parts
        else pa.schema([arrow.field(name) for name in names]).empty_table()
    )
    table = pa.Table.from_arrays(
        [
            read.column(field.name).cast(field.type)
            if field.name in checked
            else pa.nulls(read.num_rows, field.type)
            for field in arrow
        ],
        names=arrow.names,
    )
    del read
    # Columns of one dtype consolidated into one block, as Spark's conversion
    # gives them: GX copies the frame for its row filters, and with a block a
    # column it took twice as long.
    frame = table.to_pandas(coerce_temporal_nanoseconds=True)
    del table
    # pyarrow's allocator (mimalloc) keeps the pages it freed: hand them back, or
    # the driver stays as large as the read for the rest of the run.
    pa.default_memory_pool().release_unused()
    for field in arrow:
        if pa.types.is_timestamp(field.type):
            frame[field.name] = frame[field.name].dt.tz_localize(None)
    return frame


def local_requesting_accounts(requests: Any, accounts: Any) -> Any:
    """``requesting_accounts`` of two pandas batches, as pandas (the batches hold ``account_id``)."""
    import pandas as pd

    ids = requests["account_id"].drop_duplicates().reset_index(drop=True)
    missing = ~ids.isin(accounts["account_id"])
    return pd.DataFrame(
        {"account_id": ids, MISSING_ACCOUNT_COLUMN: ids.where(missing, None)},
        columns=["account_id", MISSING_ACCOUNT_COLUMN],
    )


def validated_columns(limits: DayLimits) -> dict[str, frozenset[str]]:
    """The columns whose values some expectation of each batch reads."""
    import great_expectations as gx

    gx.get_context(mode="ephemeral")  # GX suites are only built inside a context
    return {
        name: frozenset(
            column
            for expectation in suite.expectations
            if (column := getattr(expectation, "column", None)) is not None
        )
        for name, suite in build_suites(limits).items()
    }


# --- suites -------------------------------------------------------------------------
def build_suites(limits: DayLimits) -> dict[str, Any]:
    """The expectation suites of a day, by batch name."""
    import great_expectations as gx

    ex = gx.expectations
    start = datetime(limits.day.year, limits.day.month, limits.day.day)
    last = start + timedelta(days=1) - timedelta(microseconds=1)

    requests = gx.ExpectationSuite(name=f"ingest_{REQUESTS}")
    requests.add_expectation(
        ex.ExpectTableColumnsToMatchOrderedList(column_list=CURATED_REQUESTS_SCHEMA.fieldNames())
    )
    for column in ("request_id", "ts", "account_id", "api_key_id", "ip", "model", "ua_kind"):
        requests.add_expectation(ex.ExpectColumnValuesToNotBeNull(column=column))
    requests.add_expectation(ex.ExpectColumnValuesToBeUnique(column="request_id"))
    # Session time zone is UTC (jobs.session), so naive bounds are UTC instants.
    requests.add_expectation(
        ex.ExpectColumnValuesToBeBetween(column="ts", min_value=start, max_value=last)
    )
    for column in ("input_tokens", "output_tokens", "latency_ms"):
        requests.add_expectation(ex.ExpectColumnValuesToBeBetween(column=column, min_value=0))
    requests.add_expectation(
        ex.ExpectColumnValuesToBeBetween(column="status", min_value=100, max_value=599)
    )
    requests.add_expectation(
        ex.ExpectColumnValuesToBeInSet(column="ua_kind", value_set=list(UA_KINDS))
    )
    requests.add_expectation(ex.ExpectColumnValuesToBeInSet(column="ip_version", value_set=[4, 6]))

    accounts = gx.ExpectationSuite(name=f"ingest_{ACCOUNTS}")
    accounts.add_expectation(
        ex.ExpectTableColumnsToMatchOrderedList(column_list=CURATED_ACCOUNTS_SCHEMA.fieldNames())
    )
    for column in ("account_id", "created_at", "email_domain", "tier", "verified"):
        accounts.add_expectation(ex.ExpectColumnValuesToNotBeNull(column=column))
    accounts.add_expectation(ex.ExpectColumnValuesToBeUnique(column="account_id"))
    accounts.add_expectation(
        ex.ExpectColumnValuesToBeInSet(column="tier", value_set=list(ACCOUNT_TIERS))
    )

    requesting = gx.ExpectationSuite(name=f"ingest_{REQUESTING_ACCOUNTS}")
    requesting.add_expectation(ex.ExpectColumnValuesToBeNull(column=MISSING_ACCOUNT_COLUMN))

    metrics = gx.ExpectationSuite(name=f"ingest_{DAY_METRICS}")
    for column in ("request_bad_line_share", "account_bad_line_share"):
        metrics.add_expectation(
            ex.ExpectColumnValuesToBeBetween(
                column=column, min_value=0.0, max_value=limits.max_bad_line_share
            )
        )
    if limits.volume_bounds is not None:
        low, high = limits.volume_bounds
        metrics.add_expectation(
            ex.ExpectColumnValuesToBeBetween(
                column="curated_requests", min_value=low, max_value=high
            )
        )
    return {
        REQUESTS: requests,
        ACCOUNTS: accounts,
        REQUESTING_ACCOUNTS: requesting,
        DAY_METRICS: metrics,
    }


# --- running the gate -------------------------------------------------------------
def _quiet_gx() -> None:
    # GX logs every metric batch at INFO and draws progress bars; a job log wants neither.
    logging.getLogger("great_expectations").setLevel(logging.WARNING)


# Only one thread at a time runs GX on pandas under copy-on-write (``_pandas_gx``):
# the mode is a process-wide pandas option, and GX's work holds the GIL anyway.
_PANDAS_GX_LOCK = threading.Lock()


@contextmanager
def _pandas_gx() -> Iterator[None]:
    """Run GX's pandas engine with pandas' copy-on-write.

    For every row filter of every expectation GX indexes the whole batch with a
    boolean mask, and pandas answers an all-true mask with a deep copy of the
    frame: dozens of copies of the whole batch. Under copy-on-write (pandas 3's default) those copies are lazy and nothing
    is copied, as GX only reads the batch; the results are the same.
    """
    import pandas as pd

    with _PANDAS_GX_LOCK, pd.option_context("mode.copy_on_write", True):
        yield


def _widened(batch: Any) -> Any:
    """A pandas batch with its narrow integer columns as int64.

    GX compares int64 and float64 columns with bounds in one vectorised step,
    other dtypes element by element in Python, as ``status`` (int32 from
    Spark's IntegerType) would be. The values, and so the results, are the
    same. Called under ``_pandas_gx``, where the other columns are not copied.
    """
    import numpy as np

    narrow = {
        name: np.int64
        for name, dtype in batch.dtypes.items()
        if isinstance(dtype, np.dtype) and dtype.kind in "iu" and dtype.itemsize < 8
    }
    return batch.astype(narrow) if narrow else batch


def validate_day(
    batches: dict[str, Any],
    limits: DayLimits,
    lake: ObjectStore,
    *,
    notes: tuple[str, ...] = (),
    alert_webhook_url: str | None = None,
) -> ValidationReport:
    """Validate the day's batches (Spark or pandas DataFrames) through GX Checkpoints.

    One Checkpoint a batch: a Checkpoint hands the same batch parameters to each
    of its validation definitions, and a dataframe batch is its parameter, so
    four frames take four runs. They share the day's run id; each run stores its
    result in the lake, adds its page to the lake's Data Docs site (the last one
    rebuilds the site's index) and, when it failed and ``alert_webhook_url`` is
    set, posts an alert (``jobs.validation_checkpoint``).
    """
    import great_expectations as gx
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.base import ProgressBarsConfig

    from jobs import validation_checkpoint as gx_checkpoint

    _quiet_gx()
    context = gx.get_context(mode="ephemeral", project_config=gx_checkpoint.context_config(lake))
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    sources: dict[bool, Any] = {}

    def source_for(local: bool) -> Any:
        if local not in sources:
            sources[local] = (
                context.data_sources.add_pandas(name="ingest_local")
                if local
                else context.data_sources.add_spark(name="ingest", persist=False)
            )
        return sources[local]

    day = limits.day.isoformat()
    suites = build_suites(limits)
    gx_checkpoint.forget_day(lake, limits.day, [suite.name for suite in suites.values()])
    run_id = RunIdentifier(run_name=gx_checkpoint.run_name(limits.day), run_time=datetime.now(UTC))
    results: dict[str, Any] = {}
    pages: dict[str, str] = {}
    failed: list[FailedExpectation] = []
    evaluated = successful = 0
    for name in BATCHES:
        batch = batches[name]
        local = not isinstance(batch, DataFrame)
        asset = source_for(local).add_dataframe_asset(name=name)
        batch_definition = asset.add_batch_definition_whole_dataframe(f"{name}_day")
        suite = context.suites.add(suites[name])
        definition = context.validation_definitions.add(
            gx.ValidationDefinition(name=f"ingest_{name}", data=batch_definition, suite=suite)
        )
        actions: list[Any] = [
            gx_checkpoint.SerialUpdateDataDocsAction(
                name="update_data_docs",
                site_names=[gx_checkpoint.SITE_NAME],
                build_index=name == BATCHES[-1],  # once a day, with all four pages in
            )
        ]
        if alert_webhook_url:
            actions.append(
                gx_checkpoint.FailureWebhookAction(
                    name="alert_on_failure",
                    url=alert_webhook_url,
                    day=day,
                    batch=name,
                    lake_uri=lake.uri,
                )
            )
        checkpoint = context.checkpoints.add(
            gx.Checkpoint(
                name=f"ingest_{name}",
                validation_definitions=[definition],
                actions=actions,
                result_format={"result_format": "SUMMARY", "partial_unexpected_count": _EXAMPLES},
            )
        )
        with _pandas_gx() if local else nullcontext():
            checkpoint_result = checkpoint.run(
                batch_parameters={"dataframe": _widened(batch) if local else batch},
                run_id=run_id,
            )
        ((result_id, result),) = checkpoint_result.run_results.items()
        results[name] = result.to_json_dict()
        pages[name] = gx_checkpoint.page_key(result_id)
        for expectation_result in result.results:
            evaluated += 1
            if expectation_result.success:
                successful += 1
            else:
                failed.append(_failure(name, expectation_result))
    outcome = ValidationOutcome(
        success=not failed,
        failed=tuple(failed),
        evaluated_expectations=evaluated,
        successful_expectations=successful,
        notes=notes,
    )
    result_json = {
        "day": day,
        "success": outcome.success,
        "batches": results,
    }
    # Round-trip through json so the caller gets plain, serialisable values.
    return ValidationReport(
        outcome=outcome,
        result_json=json.loads(json.dumps(result_json, default=str)),
        data_docs_pages=pages,
    )


def _failure(batch: str, expectation_result: Any) -> FailedExpectation:
    from jobs.validation_checkpoint import expectation_label

    config = expectation_result.expectation_config
    return FailedExpectation(
        batch=batch,
        expectation=expectation_label(config),
        detail=_detail(config.kwargs, expectation_result),
    )


def _detail(kwargs: dict[str, Any], expectation_result: Any) -> str:
    info = expectation_result.exception_info or {}
    if info.get("raised_exception"):
        message = str(info.get("exception_message", "")).splitlines()[0:1]
        return f"could not be evaluated: {message[0] if message else 'error'}"
    result = expectation_result.result or {}
    expected = _expected(kwargs)
    if "unexpected_count" in result:
        examples = result.get("partial_unexpected_list") or []
        shown = ", ".join(_short(value) for value in examples[:_EXAMPLES])
        element_count = result.get("element_count", "?")
        if element_count == 1 and len(examples) == 1:
            return f"observed {shown}, expected {expected}"
        return (
            f"{result['unexpected_count']} of {element_count} rows unexpected"
            + (f" (e.g. {shown})" if shown else "")
            + (f", expected {expected}" if expected else "")
        )
    if "observed_value" in result:
        return f"observed {_short(result['observed_value'])}" + (
            f", expected {expected}" if expected else ""
        )
    return "failed"


def _expected(kwargs: dict[str, Any]) -> str:
    if "value_set" in kwargs:
        return f"in {sorted(map(str, kwargs['value_set']))}"
    low, high = kwargs.get("min_value"), kwargs.get("max_value")
    if low is not None and high is not None:
        return f"between {_short(low)} and {_short(high)}"
    if low is not None:
        return f">= {_short(low)}"
    if high is not None:
        return f"<= {_short(high)}"
    if "column_list" in kwargs:
        return f"columns {kwargs['column_list']}"
    return ""


def _short(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    text = str(value)
    return text if len(text) <= 60 else text[:57] + "..."
