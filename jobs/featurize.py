"""The features job: account-day features, the customer link graph, hydra clusters.

For day D it reads only days up to D: curated requests of the days whose
activity rows are missing (always D itself), the activity rows of D-27..D, the
account snapshot of D and the most recent cluster members before D (for stable
ids). It writes exactly day D's partition of each table, so a rerun replaces
the day and a backfill runs days in order:

- ``features/account_activity/dt=D`` (``layout.ACCOUNT_ACTIVITY``): per account-day
  partial aggregates (``features.account`` docstring); earlier missing days of
  the 28-day window are computed and written too, in the same pass over the text;
- ``features/account_day/dt=D``: ``KEY_COLUMNS`` + ``FEATURE_SET.names``, one
  row per account with a request on D;
- ``features/links/dt=D``: the customer pairs that link, per entity type
  (``features.linking.LINK_COLUMNS``);
- ``features/cluster_members/dt=D``: hydra_cluster_id, account_id,
  customer_id, first_seen, for every account of a linked customer active in
  D-6..D;
- ``features/clusters/dt=D``: the analyst evidence table
  (``features.clusters`` docstring).

A backfill computes the activity rows of several days first, in one pass over
their text (``write_activity``: one read, one plan keyed by day, one write), and
then runs the days with ``activity_written``, which reads their rows as stored,
through ``run_days``: the rolling account features, memberships, cluster and
cohort features of all of them in one plan keyed by day, only the stable ids walking
day by day (on the driver), and the four tables of all its days (their member links and
evidence keyed by day too) in one write each. Every table is what the days' own runs
write (``tests/features/test_job.py``), at one plan's fixed cost for the batch instead
of one per day.

A day is usable once its ingest report says validation succeeded; day D must
be usable, earlier days that are not are left out of the windows (and named
in the summary).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Generator, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

import pandas as pd
from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from features.account import (
    NEW_MODEL_DAYS,
    ROLLING_DAYS,
    WEEK_DAYS,
    ActivityParams,
    account_day_activity,
    covering_days,
    model_first_seen,
    rolling_account_features,
    rolling_features_by_day,
    rolling_windows,
    with_crowd_content,
    with_template_reuse,
)
from features.clusters import (
    ASSIGNMENT_SCHEMA,
    MEMBER_COLUMNS,
    cluster_evidence,
    cluster_features,
    cluster_names,
    cohort_features,
)
from features.coordination import (
    BLOCK_ENTITY_COLUMNS,
    BLOCK_SCHEMAS,
    MEMBER_WEIGHT_SCHEMA,
    CoordinationParams,
    cluster_frames,
    coordination_memberships,
    memberships_by_day,
    recent_models,
    shared_memberships,
)
from features.dense_blocks import DenseBlockParams
from features.feature_set import FEATURE_SET, KEY_COLUMNS
from features.indicators import PARTNER_LINK, IndicatorRow, indicator_matches
from features.schemas import CURATED_ACCOUNTS_SCHEMA, CURATED_REQUESTS_SCHEMA
from features.text import SIGNAL_ENGINES, signal_engine
from features.text_intent import TextIntentModel, with_extraction_intent
from jobs.errors import JobError
from jobs.ingest import curated_requests, ingest_validated
from jobs.session import (
    application_id,
    counted_jobs,
    default_parallelism,
    executors_import,
    is_connect,
    num_partitions,
    runs_on_this_interpreter,
)
from lakeio import LakeRef, layout
from lakeio import indicators as shared_indicators
from lakeio.reports import StageSummary
from lakeio.tables import LakeTables

LINKS_TYPE = layout.MEMBER_LINKS_TYPE
# Entity types whose memberships are per day (``features.coordination``: value@day).
DAY_SCOPED_TYPES = ("ip", "datacenter_ip", "ip_prefix", "datacenter_ip_prefix")
# The stable-id columns of ``features/cluster_members`` (``MEMBER_COLUMNS``): read with
# this schema, the Parquet footers are not inferred by a Spark job of their own.
MEMBERS_SCHEMA_DDL = (
    "hydra_cluster_id string, account_id string, customer_id string, first_seen date"
)
MEMBERS_SCHEMA = T.StructType(
    [
        T.StructField("hydra_cluster_id", T.StringType()),
        T.StructField("account_id", T.StringType()),
        T.StructField("customer_id", T.StringType()),
        T.StructField("first_seen", T.DateType()),
    ]
)


class FeatureInputError(JobError):
    """Day D cannot be computed: its curated data is missing or failed validation."""


@dataclass(frozen=True)
class FeatureParams:
    day: date
    lake: LakeRef
    # What decides the prompt signals: auto, hyperscan or spark (features.text);
    # ``auto`` is resolved once per run (``resolve_signal_engine``).
    signal_engine: str = "auto"
    # The activity's own settings; its signal_engine is the one resolved above.
    activity: ActivityParams = ActivityParams()
    # The extraction-intent text model's weights (a local file written by
    # models.text_intent), and its version; None: no intent scores (0), the regexes only.
    text_model_path: str | None = None
    text_model_version: str | None = None
    # Day D's activity rows were written just before by ``write_activity`` (a backfill's
    # batch, with the same text model): read as stored, not recomputed.
    activity_written: bool = False
    coordination: CoordinationParams = field(default_factory=CoordinationParams)
    blocks: DenseBlockParams = DenseBlockParams()
    # How far back to look for the last cluster members when D-1 was skipped.
    previous_clusters_lookback_days: int = 7
    largest_clusters_reported: int = 5
    # The key partners agreed on for indicator sharing (a local file): keyed indicators
    # (payment, system prompt, template) are matched only with it (lakeio.indicators).
    sharing_key_file: str | None = None
    # A member's links in the cluster members table: its most specific block entities.
    # The queue stores one row per link and member, so a 20,000-account proxy block
    # whose members each used twenty exits would land 400,000 rows a day at no cap;
    # a dozen per member (plus its partner indicators) is what a reviewer reads.
    member_links: int = 12


@dataclass(frozen=True)
class FeatureSummary(StageSummary):
    day: date
    accounts: int
    clusters: int
    linked_accounts: int
    linked_customers: int
    largest_clusters: list[dict[str, Any]]
    # Shared entities that formed the day's clusters, by type.
    block_entities_by_type: dict[str, int]
    activity_days_computed: list[date]
    unusable_days: list[date]
    timings: dict[str, float]
    # What decided the prompt signals: hyperscan or spark (``auto`` resolved).
    signal_engine: str
    text_model_version: str | None = None
    # Spark jobs per part of the job (empty over Spark Connect, where they are not visible).
    spark_jobs_by_part: dict[str, int] = field(default_factory=dict)
    # Partners' indicators: "valid" on the day, "unreadable" lines, "keyed_unmatched"
    # (keyed ones that cannot be matched without a sharing key).
    shared_indicators: dict[str, int] = field(default_factory=dict)
    # The run's shuffle partitions (``shuffle_partitions``: one per core on a small day).
    shuffle_partitions: int | None = None
    # The days whose rolling account features and memberships came from one plan with
    # this day's (``run_days``); empty when the day computed its own.
    batch_days: list[date] = field(default_factory=list)


class _Timer:
    """Seconds and Spark jobs per part of the job (the summary's ``timings`` and ``spark_jobs``)."""

    def __init__(self, spark: SparkSession) -> None:
        self.spark = spark
        self.seconds: dict[str, float] = {}
        self.jobs: dict[str, int] = {}

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        with counted_jobs(self.spark, f"features-{name}") as counted:
            yield
        self.seconds[name] = round(self.seconds.get(name, 0.0) + time.perf_counter() - start, 3)
        if counted.jobs is not None:
            self.jobs[name] = self.jobs.get(name, 0) + counted.jobs


# Per Spark application: whether its executors' Python workers import hyperscan.
_EXECUTORS_HAVE_HYPERSCAN: dict[str, bool] = {}


def resolve_signal_engine(spark: SparkSession, requested: str = "auto") -> str:
    """``hyperscan`` or ``spark`` for this run: ``auto`` is Hyperscan where it imports.

    The scan runs in the executors' Python workers. Unless they run this very
    interpreter (a local classic session), ``auto`` therefore also asks the
    executors (a probe job, once per application): a driver that has Hyperscan
    must not choose it for executors that lack it (an x86-64 laptop driving an
    ARM cluster), where every task of the job would fail. ``hyperscan`` named
    explicitly is taken as given.
    """
    engine = signal_engine(requested)
    if requested != "auto" or engine != "hyperscan" or runs_on_this_interpreter(spark):
        return engine
    application = application_id(spark)
    if application not in _EXECUTORS_HAVE_HYPERSCAN:
        _EXECUTORS_HAVE_HYPERSCAN[application] = executors_import(spark, "hyperscan")
    return "hyperscan" if _EXECUTORS_HAVE_HYPERSCAN[application] else "spark"


# Partitions per core for the day's per-request text work (prompt regexes,
# shingling). A scan has as many partitions as the files pack into: three for a
# day of five curated files, say, which on two cores is two rounds with one
# core idle in the second. Equal hash partitions, a whole number per core, keep
# every core busy to the end; more per core only adds task overhead on small days.
PARTITIONS_PER_CORE = 2
# Requests per task of the activity stage on a large day. A task holds 1/n of the
# day plus whatever account hashes to it whole: bench_skew's day, where one account
# sends 5% of 551,167 requests, put 29.2% of the stage in one of 4 tasks (#26 asks
# for at most a quarter). The activity spends about 175 us of core time per request
# (bench_features, 1.2M requests: 105 s on 2 cores), so a task of 50,000 requests
# runs ~9 s and Spark's fixed cost per task (~0.1 s) stays about 1%; at that size a
# 5% account and a task's even share together stay under a quarter from ~250,000
# requests on, and a small day (the tests', the demo's 25,000-35,000) keeps
# PARTITIONS_PER_CORE per core.
REQUESTS_PER_TASK = 50_000


def spread_partitions(cores: int, requests: int | None) -> int:
    """Partitions for a day of ``requests`` curated requests (None: not known) on ``cores``.

    ``PARTITIONS_PER_CORE`` per core, or, on a day large enough, one per
    ``REQUESTS_PER_TASK`` requests rounded up to a whole number per core.
    """
    partitions = PARTITIONS_PER_CORE * cores
    if requests:
        rounds = -(-requests // (REQUESTS_PER_TASK * cores))
        partitions = max(partitions, rounds * cores)
    return partitions


def spread(frame: DataFrame, cores: int, requests: int | None = None) -> DataFrame:
    """``frame`` in at least ``spread_partitions(cores, requests)`` partitions, by (account_id, dt).

    A day's curated requests arrive in as many splits as their files pack into
    (one at small volumes: a Parquet file is not split below its row groups),
    which leaves cores idle while the text work runs. Hashing by (account_id,
    dt) is the partitioning the activity's window and aggregations need, so
    they add no shuffle of their own. Each branch of the activity that reads
    the requests (aggregates, models, templates) shuffles only the columns it
    uses, so those shuffles differ and are not reused: the prompt is shuffled
    by two of them. Days already in enough splits are left as they are.
    ``requests`` (the ingest's count of the day's curated rows) makes a large
    day's tasks smaller, so that a heavy account's whole day in one task is a
    small part of the stage.
    """
    partitions = spread_partitions(cores, requests)
    if num_partitions(frame) >= partitions:
        return frame
    return frame.repartition(partitions, "account_id", "dt")


SHUFFLE_PARTITIONS = "spark.sql.shuffle.partitions"
# A small day shuffles in one partition per this many curated requests (at least one,
# at most one per core). Measured (bench/README.md, "Shuffle partitions of a small
# day"), the same day featurized warm, alternately, four times each in one process:
# 4,418 requests 13.0 s with two partitions, 11.4 s with one; 19,570 requests 16.0 s
# and 14.4 s; 24,000-37,000 requests (four days, not alternated) 74.1 s with two and
# 77.6 s with one. Where between 19,570 and 24,000 one partition stops paying is not
# measured finer: the cut is the round number inside that gap.
REQUESTS_PER_PARTITION = 20_000


def shuffle_partitions(configured: int, cores: int, requests: int | None) -> int:
    """The shuffle partitions of a features run on a day of ``requests`` curated requests.

    A day whose activity fits one ``REQUESTS_PER_TASK`` task per core is small: its
    account-level stages shuffle a few thousand rows, and a task's fixed cost is most
    of a stage. There it is one partition per ``REQUESTS_PER_PARTITION`` requests, at
    least one and at most one per core (never more than configured). A larger day
    (None: not known) keeps the configured value, which the skew and scale benches
    were measured with.

    Where it comes from (bench/README.md, "Shuffle partitions of a small day"): the
    features job of one 25,800-request day (scale 1.0, 2,031 accounts, ``local[2]``,
    adaptive execution off) ran 53 Spark jobs either way, the largest with 109 shuffle
    stages: 866 tasks and 65-69 s warm with 8 partitions, 218 tasks and 43 s with 2;
    below ~20,000 requests a day one partition is faster again (10-13%).
    """
    if requests is not None and requests <= REQUESTS_PER_TASK * cores:
        wanted = max(1, -(-requests // REQUESTS_PER_PARTITION))
        return min(configured, cores, wanted)
    return configured


def _sized_session(spark: SparkSession, partitions: int) -> SparkSession:
    """``spark``, or a session of its application with ``partitions`` shuffle partitions.

    A session of its own (``newSession``: the application's settings, its own SQL
    settings; caches and the SparkContext shared), so ingests of later days that a
    backfill runs beside the features job keep the application's setting. Over Spark
    Connect the session is the server's and stays as configured.
    """
    if is_connect(spark) or int(spark.conf.get(SHUFFLE_PARTITIONS) or 0) == partitions:
        return spark
    session = spark.newSession()
    session.conf.set(SHUFFLE_PARTITIONS, str(partitions))
    return session


@dataclass(frozen=True)
class _Days:
    """Which days of the 28-day window the run reads, and which it must compute."""

    usable: list[date]  # curated, with a snapshot, validated
    unusable: list[date]
    history_start: date  # the first curated day of the lake
    have_activity: set[date]


def _days(tables: LakeTables, day: date) -> _Days:
    curated_days = tables.days(layout.CURATED_REQUESTS)
    account_days = set(tables.days(layout.CURATED_ACCOUNTS))
    window_start = day - timedelta(days=ROLLING_DAYS - 1)
    candidates = [d for d in curated_days if window_start <= d <= day]
    usable = [d for d in candidates if d in account_days and ingest_validated(tables.store, d)]
    if day not in usable:
        raise FeatureInputError(
            f"features for {day}: no validated curated data for that day in {tables.store.uri} "
            f"(run ingest first; curated days present: {len(curated_days)})"
        )
    return _Days(
        usable=usable,
        unusable=sorted(set(candidates) - set(usable)),
        history_start=min(d for d in curated_days if d in account_days),
        have_activity=set(tables.days(layout.ACCOUNT_ACTIVITY)),
    )


def _write_activity_days(
    tables: LakeTables,
    compute_days: Sequence[date],
    usable: Sequence[date],
    have_activity: set[date],
    params: ActivityParams,
    text_model: TextIntentModel | None,
    requests_count: int | None,
) -> None:
    """Compute and write the activity rows of ``compute_days`` in one pass over their text.

    One read of the days' curated requests (``requests_count`` of them, None: not
    known), one plan (every transform groups by account and day, and template reuse
    is keyed by its target day), one write. Template reuse also reads the stored
    bucket columns of the days before each compute day that have activity rows
    already (``have_activity``, ``usable``).
    """
    spark = tables.spark
    compute = sorted(set(compute_days))
    requests = spread(
        tables.read(layout.CURATED_REQUESTS, compute, CURATED_REQUESTS_SCHEMA),
        default_parallelism(spark),
        requests_count,
    )
    if text_model is not None:
        requests = with_extraction_intent(requests, text_model)
    activity = account_day_activity(requests, params).persist()
    bucket_columns = ("account_id", "dt", "template_buckets", "org_id")
    history_days = sorted(
        {
            d
            for target in compute
            for d in usable
            if target - timedelta(days=WEEK_DAYS - 1) <= d < target
            and d in have_activity
            and d not in compute
        }
    )
    window_rows = activity.select(*bucket_columns)
    if history_days:
        window_rows = (
            tables.read(layout.ACCOUNT_ACTIVITY, history_days)
            .select(*bucket_columns)
            .unionByName(window_rows)
        )
    snapshots = tables.read(layout.CURATED_ACCOUNTS, compute, CURATED_ACCOUNTS_SCHEMA)
    rows = with_template_reuse(with_crowd_content(activity), window_rows, snapshots, compute)
    if len(compute) > 1:
        # Several days: one task per day writes it, so each day is one file (a day's own run
        # writes one per shuffle partition: one or two on a small day), not one per task of
        # the plan (14 a day in a batch of 17 demo days) for every later features run to
        # list and open in its 28-day window. A batch holds
        # at most BATCH_REQUESTS requests, so a day's rows are at most one large day's
        # accounts; a single day keeps its tasks (bench_skew's heavy day).
        rows = rows.repartition("dt")
    tables.write_days(rows, layout.ACCOUNT_ACTIVITY, compute)
    activity.unpersist()


# The most curated requests one activity pass of a backfill takes (``activity_batches``):
# the largest day the features job is measured on (bench_features' 1.2M-request day,
# peak 6.7-8.4 GB with the text model), so a batch is never a plan larger than a day
# already benchmarked. A day larger than this goes alone.
BATCH_REQUESTS = 1_200_000


def activity_batch(days: Sequence[date], requests: Sequence[int | None]) -> list[date]:
    """The leading days of ``days`` that one activity pass takes: as many as fit
    ``BATCH_REQUESTS`` curated requests (``requests``, per day; None: not known, taken
    as a full batch), at least the first."""
    batch: list[date] = []
    total = 0
    for day, count in zip(days, requests, strict=True):
        total += BATCH_REQUESTS if count is None else count
        if batch and total > BATCH_REQUESTS:
            break
        batch.append(day)
    return batch


@dataclass(frozen=True)
class ActivitySummary(StageSummary):
    """One activity pass of a backfill (``write_activity``)."""

    days: list[date]  # the days asked for
    computed: list[date]  # with the earlier days their windows lacked, oldest first
    unusable: list[date]  # asked for but not validated: left to their features run
    requests: int | None
    seconds: float
    spark_jobs: int | None
    shuffle_partitions: int


def write_activity(
    spark: SparkSession, params: FeatureParams, days: Sequence[date]
) -> ActivitySummary:
    """The activity rows of several days in one pass over their text (a backfill's batch).

    Writes what the features runs of ``days`` would each compute first (their day
    and any earlier day of its 28-day window that has no activity rows yet), so
    that each of them then runs with ``activity_written`` and reads them. Days
    whose curated data is not validated are left out (their features run refuses
    them as before). ``params.day`` is not used.
    """
    started = time.perf_counter()
    tables = LakeTables.open(spark, params.lake)
    wanted = sorted(set(days))
    if not wanted:
        raise ValueError("write_activity: no days given")
    account_days = set(tables.days(layout.CURATED_ACCOUNTS))
    usable = [
        d
        for d in tables.days(
            layout.CURATED_REQUESTS,
            start=wanted[0] - timedelta(days=ROLLING_DAYS - 1),
            end=wanted[-1],
        )
        if d in account_days and ingest_validated(tables.store, d)
    ]
    targets = [d for d in wanted if d in usable]
    have_activity = set(tables.days(layout.ACCOUNT_ACTIVITY))
    compute = sorted(
        set(targets)
        | {
            d
            for target in targets
            for d in usable
            if target - timedelta(days=ROLLING_DAYS - 1) <= d < target and d not in have_activity
        }
    )
    counts = [curated_requests(tables.store, d) for d in compute]
    requests = None if None in counts else sum(c or 0 for c in counts)
    partitions = shuffle_partitions(
        int(spark.conf.get(SHUFFLE_PARTITIONS) or 0) or 1, default_parallelism(spark), requests
    )
    spark = _sized_session(spark, partitions)
    partitions = int(spark.conf.get(SHUFFLE_PARTITIONS) or 0) or partitions
    tables = LakeTables(spark, tables.lake)
    engine = resolve_signal_engine(spark, params.signal_engine)
    jobs = None
    if compute:
        with counted_jobs(spark, "activity-batch") as counted:
            _write_activity_days(
                tables,
                compute,
                usable,
                have_activity,
                replace(params.activity, signal_engine=engine),
                _load_text_model(params.text_model_path),
                requests,
            )
        jobs = counted.jobs
    return ActivitySummary(
        days=wanted,
        computed=compute,
        unusable=[d for d in wanted if d not in usable],
        requests=requests,
        seconds=round(time.perf_counter() - started, 3),
        spark_jobs=jobs,
        shuffle_partitions=partitions,
    )


def run(spark: SparkSession, params: FeatureParams) -> FeatureSummary:
    """The features of ``params.day`` (the module docstring)."""
    tables = LakeTables.open(spark, params.lake)
    spark = _sized_session(spark, _day_partitions(spark, tables, [params.day]))
    return _run_day(spark, params)


def _day_partitions(spark: SparkSession, tables: LakeTables, days: Sequence[date]) -> int:
    """The shuffle partitions for a run of ``days``: the policy of the largest of them
    (``shuffle_partitions``), so each day runs as its own run would, or wider."""
    configured = int(spark.conf.get(SHUFFLE_PARTITIONS) or 0) or 1
    cores = default_parallelism(spark)
    return max(
        shuffle_partitions(configured, cores, curated_requests(tables.store, day)) for day in days
    )


@dataclass(frozen=True)
class _DayClusters:
    """A day's dense blocks and their stable ids (``_day_clusters``), as Spark frames or
    as the driver's pandas frames (the same columns)."""

    components: Any  # (node, component)
    block_entities: Any  # BLOCK_ENTITY_COLUMNS
    member_weights: Any  # MEMBER_WEIGHT_COLUMNS
    assignments: Any  # (customer_id, hydra_cluster_id, first_seen)
    stats: Any  # (hydra_cluster_id, cluster_block_density, cluster_entity_families)
    links: Any  # (hydra_cluster_id, entity_type, entity_value, customers, weight)


_CLUSTER_SCHEMAS = {
    "components": "node string, component string",
    "block_entities": BLOCK_SCHEMAS[2],
    "member_weights": MEMBER_WEIGHT_SCHEMA,
    "assignments": ASSIGNMENT_SCHEMA,
    "stats": "hydra_cluster_id string, cluster_block_density double, cluster_entity_families long",
    "links": "hydra_cluster_id string, entity_type string, entity_value string, customers long, "
    "weight double",
}


def _day_clusters(
    shared: pd.DataFrame,
    customers: pd.DataFrame,
    previous_members: pd.DataFrame,
    day: date,
    params: FeatureParams,
) -> _DayClusters:
    """Day D's dense blocks of its shared memberships (``customer_id, entity_type,
    entity_value``) as hydra clusters, named from the previous members
    (``features.clusters.cluster_names``), all on the driver: ``customers`` ``(account_id,
    customer_id)`` of D's accounts, ``previous_members`` ``MEMBER_COLUMNS``."""
    components, block_stats, block_entities, member_weights = cluster_frames(
        shared, params.coordination, params.blocks
    )
    assignments = cluster_names(components, customers, previous_members, day)
    cluster_of_component = components.merge(
        assignments.rename(columns={"customer_id": "node"})[["node", "hydra_cluster_id"]],
        on="node",
    )[["component", "hydra_cluster_id"]].drop_duplicates()
    return _DayClusters(
        components=components,
        block_entities=block_entities,
        member_weights=member_weights,
        assignments=assignments,
        stats=block_stats.merge(cluster_of_component, on="component")[
            ["hydra_cluster_id", "cluster_block_density", "cluster_entity_families"]
        ],
        links=block_entities.merge(cluster_of_component, on="component")[
            ["hydra_cluster_id", *BLOCK_ENTITY_COLUMNS[1:]]
        ],
    )


def _cluster_frames(spark: SparkSession, held: _DayClusters) -> _DayClusters:
    """``held`` (pandas) as Spark frames."""
    return _DayClusters(
        **{
            part: spark.createDataFrame(getattr(held, part), schema)
            for part, schema in _CLUSTER_SCHEMAS.items()
        }
    )


@dataclass(frozen=True)
class _Batch:
    """What one plan computes for a batch of days, keyed by day (``dt`` or ``target``)."""

    windows: dict[date, _Days]  # each day's, listed once for the batch
    activity: DataFrame  # the activity rows of all their windows, read once
    rolling: DataFrame  # rolling_features_by_day
    memberships: DataFrame  # memberships_by_day
    shared: DataFrame  # their shared memberships, per day
    # The days' dense blocks and stable ids (named day after day on the driver), as
    # local tables keyed by ``target``.
    clusters: _DayClusters
    clustered: DataFrame  # cluster_features with the cohorts, per day (a local checkpoint)
    # Leaves (lazy local checkpoints) of what the batch's writes read besides ``clustered``.
    shared_rows: DataFrame  # ``shared``
    membership_rows: DataFrame  # ``memberships``
    activity_days: DataFrame  # the batch days' own activity rows, ``target`` = ``dt``

    @property
    def days(self) -> list[date]:
        return sorted(self.windows)

    def unpersist(self) -> None:
        """Every frame the batch cached (a resident application outlives its batches)."""
        for frame in (self.activity, self.rolling, self.memberships, self.shared):
            frame.unpersist()


def run_days(
    spark: SparkSession, params: FeatureParams, days: Sequence[date]
) -> Generator[FeatureSummary, None, None]:
    """The features of ``days`` in order, each as its own run writes them: a summary is
    yielded as each day is written, and a failing day raises there (the days before it
    are written; the ones after are not run). A batch's days are written together, before
    the first of them is yielded; an error there fails the batch's first day, with none
    of its days recorded as done.

    A backfill's batch (``_batch``): the rolling account features and the memberships
    of the leading consecutive days whose activity rows are all written come from one
    plan keyed by day (``features.account.rolling_features_by_day``,
    ``features.coordination.memberships_by_day``); their dense blocks and stable ids
    walk day by day on the driver (day D's ids inherit from D-1's members, as its own
    run reads them back from the lake); their cluster and cohort features are one plan
    keyed by day again, and so are their member links and evidence: each of the four
    tables is one write of every day of the batch (``_write_batch``). A day outside the batch
    (``params.activity_written`` unset, a day of its window missing, after a gap)
    runs as ``run`` does. ``params.day`` is not used.
    """
    days = sorted(set(days))
    if not days:
        raise ValueError("run_days: no days given")
    tables = LakeTables.open(spark, params.lake)
    spark = _sized_session(spark, _day_partitions(spark, tables, days))
    tables = LakeTables(spark, tables.lake)
    # The batch's own work runs before its first day: that day's summary carries it.
    timer = _Timer(spark)
    batch = None
    if params.activity_written and len(days) > 1:
        with timer.stage("batch"):
            batch = _batch(tables, days, params)
    try:
        written: dict[date, FeatureSummary] = {}
        if batch is not None:
            with timer.stage("batch_writes"):
                written = _write_batch(tables, batch, params)
        for day in days:
            summary = written.get(day) or _run_day(spark, replace(params, day=day))
            if timer.seconds:
                summary = replace(
                    summary,
                    timings={**timer.seconds, **summary.timings},
                    spark_jobs_by_part={**timer.jobs, **summary.spark_jobs_by_part},
                )
                timer = _Timer(spark)
            yield summary
    finally:
        if batch is not None:
            batch.unpersist()


def _batch(tables: LakeTables, days: Sequence[date], params: FeatureParams) -> _Batch | None:
    """What ``run_days`` computes once for the leading consecutive days of ``days`` whose
    windows' activity rows are all written (two or more, or no batch): the rolling
    features, memberships and shared memberships (persisted), each day's clusters and
    stable ids, and the cluster features (a local checkpoint, computed by the first
    day's write)."""
    windows: dict[date, _Days] = {}
    for day in days:
        # Consecutive days: each names its clusters from the day before's members.
        if windows and day - timedelta(days=1) not in windows:
            break
        try:
            info = _days(tables, day)
        except FeatureInputError:
            break  # its own run says why
        if not all(d in info.have_activity for d in info.usable):
            break
        windows[day] = info
    if len(windows) < 2 or params.previous_clusters_lookback_days < 1:
        return None
    targets = sorted(windows)
    window_days = sorted({d for info in windows.values() for d in info.usable})
    history_start = windows[targets[-1]].history_start
    activity = tables.read(layout.ACCOUNT_ACTIVITY, window_days).persist()
    snapshots = tables.read(layout.CURATED_ACCOUNTS, targets, CURATED_ACCOUNTS_SCHEMA)
    rolling = rolling_features_by_day(activity, snapshots, targets, history_start).persist()
    by_target = rolling.withColumnRenamed("dt", "target")
    new_models = recent_models(
        model_first_seen(rolling_windows(activity, targets, history_start), by=("target",)),
        F.col("target"),
        NEW_MODEL_DAYS,
        history_start,
    )
    memberships = memberships_by_day(
        activity.withColumn("target", F.explode(covering_days(targets, WEEK_DAYS))),
        snapshots,
        by_target.select("target", "account_id", "customer_id"),
        by_target.where(
            F.col("content_share_7d") >= params.coordination.slot_min_content_share
        ).select("target", "account_id"),
        new_models,
        params.coordination,
    ).persist()
    shared = shared_memberships(memberships, by=("target",)).persist()

    # Dense blocks and stable ids, day after day: day D's clusters inherit the ids of
    # D-1's members (the accounts of D-1's rolling rows whose customer it clustered,
    # what D-1's run writes as its cluster members and D's run reads back).
    # The walk runs on the driver (as a day's run names its clusters): the batch's shared
    # memberships, its accounts' customers and the members before it, collected once.
    spark = tables.spark
    shared_rows = pd.DataFrame(
        shared.select("target", "customer_id", "entity_type", "entity_value").toPandas()
    )
    customer_rows = pd.DataFrame(by_target.select("target", "account_id", "customer_id").toPandas())
    previous = pd.DataFrame(
        _previous_members(tables, targets[0], params).select(*MEMBER_COLUMNS).toPandas()
    )
    held: dict[date, _DayClusters] = {}
    previous_by_day: dict[date, pd.DataFrame] = {}
    for day in targets:
        customers = customer_rows[customer_rows["target"] == day].drop(columns="target")
        of_day = shared_rows[shared_rows["target"] == day].drop(columns="target")
        held[day] = _day_clusters(of_day, customers, previous, day, params)
        previous_by_day[day] = previous
        previous = customers.merge(held[day].assignments, on="customer_id")[list(MEMBER_COLUMNS)]

    def keyed(parts: dict[date, pd.DataFrame], schema: str) -> DataFrame:
        """One local table of every day's rows, keyed by ``target``."""
        frames = [frame.assign(target=day) for day, frame in parts.items()]
        rows = pd.concat([f for f in frames if not f.empty] or frames[:1], ignore_index=True)
        return spark.createDataFrame(rows, f"{schema}, target date")

    clusters = _DayClusters(
        **{
            part: keyed({d: getattr(found, part) for d, found in held.items()}, schema)
            for part, schema in _CLUSTER_SCHEMAS.items()
        }
    )

    # Their cluster and cohort features in one plan keyed by day. It reads the batch's
    # rolling rows and shared memberships as checkpoints, leaves without their plans:
    # over the whole plans, the optimizer's inferred filters on the target key
    # multiplied through the plan's dozen joins on it (the driver ran out of memory
    # planning a 3-day batch).
    rolling_rows = by_target.localCheckpoint(eager=False)
    shared_leaf = shared.localCheckpoint(eager=False)
    snapshots_by_target = snapshots.withColumnRenamed("dt", "target")
    activity_days = (
        activity.where(F.col("dt").between(targets[0], targets[-1]))
        .withColumn("target", F.col("dt"))
        .localCheckpoint(eager=False)
    )
    by = ("target",)
    cohorts = cohort_features(snapshots_by_target, rolling_rows, activity_days, by)
    clustered = (
        cluster_features(
            rolling_rows,
            clusters.assignments,
            shared_leaf,
            shared_leaf.select("target", "entity_type", "entity_value").distinct(),
            keyed(previous_by_day, MEMBERS_SCHEMA_DDL),
            clusters.stats,
            clusters.member_weights,
            by,
        )
        .join(cohorts, on=["target", "account_id"], how="left")
        .localCheckpoint(eager=False)
    )
    return _Batch(
        windows,
        activity,
        rolling,
        memberships,
        shared,
        clusters,
        clustered,
        shared_rows=shared_leaf,
        membership_rows=memberships.localCheckpoint(eager=False),
        activity_days=activity_days,
    )


def _write_batch(
    tables: LakeTables, batch: _Batch, params: FeatureParams
) -> dict[date, FeatureSummary]:
    """Every day of ``batch`` written as its own run writes it, in one plan per table.

    The four tables of the days (account features, cluster members with their links,
    the links, the cluster evidence) are each one keyed plan and one write of all the
    days (``LakeTables.write_days``), instead of four writes a day; what differs per
    day is read per day: the partners' indicators valid on it. Returns each day's
    summary (one collect a day, over the batch's checkpoints).
    """
    days = batch.days
    by = ("target",)
    clustered, found = batch.clustered, batch.clusters
    account_day = clustered.where("active_on_day").select(
        "account_id",
        F.col("target").alias("dt"),
        "customer_id",
        "hydra_cluster_id",
        *[F.col(spec.name).cast(spec.dtype).alias(spec.name) for spec in FEATURE_SET.specs],
    )
    assert tuple(account_day.columns[: len(KEY_COLUMNS)]) == KEY_COLUMNS
    tables.write_days(account_day, layout.ACCOUNT_DAY_FEATURES, days)

    matches: list[DataFrame] = []
    indicator_counts: dict[date, dict[str, int]] = {}
    for day in days:
        indicators, indicator_counts[day] = _shared_indicators(tables, day, params)
        if indicators:
            memberships = batch_of(batch.membership_rows, "target", day)
            matched = indicator_matches(
                memberships,
                indicators,
                {t: (s.indicator_type, s.keyed) for t, s in shared_indicators.SHARED_TYPES.items()},
                shared_indicators.SCOPED_TYPES,
                _sharing_key(params),
            )
            if matched is not None:
                matches.append(
                    memberships.join(
                        F.broadcast(matched), on=["entity_type", "entity_value"]
                    ).select(F.lit(day).alias("target"), "account_id", "label")
                )
    partner_matches = None
    for part in matches:
        partner_matches = part if partner_matches is None else partner_matches.unionByName(part)
    members = (
        clustered.where(F.col("hydra_cluster_id").isNotNull())
        .join(
            found.assignments.select("target", "customer_id", "first_seen"),
            on=["target", "customer_id"],
            how="inner",
        )
        .join(
            member_links(
                batch.shared_rows,
                found.components,
                found.block_entities,
                params.member_links,
                partner_matches=partner_matches,
                by=by,
            ),
            on=["target", "account_id"],
            how="left",
        )
    )
    tables.write_days(
        members.select(*MEMBER_COLUMNS, "links", F.col("target").alias("dt")),
        layout.CLUSTER_MEMBERS,
        days,
    )
    tables.write_days(found.links.withColumnRenamed("target", "dt"), layout.ACCOUNT_LINKS, days)
    requests = tables.read(layout.CURATED_REQUESTS, days, CURATED_REQUESTS_SCHEMA)
    evidence = cluster_evidence(
        clustered,
        found.assignments,
        batch.shared_rows,
        batch.activity_days,
        requests.withColumnRenamed("dt", "target"),
        by,
    )
    tables.write_days(evidence.withColumnRenamed("target", "dt"), layout.CLUSTER_FEATURES, days)

    engine = resolve_signal_engine(tables.spark, params.signal_engine)
    partitions = int(tables.spark.conf.get(SHUFFLE_PARTITIONS) or 0) or 1
    summaries = {}
    for day in days:
        timer = _Timer(tables.spark)
        with timer.stage("summary"):
            summary = _summarise(
                day,
                engine,
                batch_of(clustered, "target", day),
                batch_of(found.links, "target", day),
                params,
                [],
                batch.windows[day].unusable,
                timer.seconds,
            )
        summaries[day] = replace(
            summary,
            timings=dict(timer.seconds),
            shared_indicators=indicator_counts[day],
            spark_jobs_by_part=dict(timer.jobs),
            shuffle_partitions=partitions,
            batch_days=list(days),
        )
    return summaries


def batch_of(frame: DataFrame, key: str, day: date) -> DataFrame:
    """``frame``'s rows of ``day`` (keyed by ``key``), without the key."""
    return frame.where(F.col(key) == F.lit(day)).drop(key)


def _run_day(spark: SparkSession, params: FeatureParams) -> FeatureSummary:
    day = params.day
    # What the session runs with (over Spark Connect: the server's setting).
    partitions = int(spark.conf.get(SHUFFLE_PARTITIONS) or 0) or 1
    tables = LakeTables.open(spark, params.lake)
    timer = _Timer(spark)
    days = _days(tables, day)
    usable, have_activity = days.usable, days.have_activity
    # The signal engine, decided once per run (on a cluster ``auto`` asks the executors).
    engine = resolve_signal_engine(spark, params.signal_engine)
    activity_params = replace(params.activity, signal_engine=engine)
    accounts = tables.read(layout.CURATED_ACCOUNTS, [day], CURATED_ACCOUNTS_SCHEMA)
    text_model = _load_text_model(params.text_model_path)

    # 1. Activity rows: recompute D (unless a backfill's batch just wrote it) and fill
    # in missing earlier days, all in one pass.
    to_compute = [
        d
        for d in usable
        if (d == day and not (params.activity_written and d in have_activity))
        or d not in have_activity
    ]
    with timer.stage("activity"):
        if to_compute:
            counts = [curated_requests(tables.store, d) for d in to_compute]
            _write_activity_days(
                tables,
                to_compute,
                usable,
                have_activity,
                activity_params,
                text_model,
                None if None in counts else sum(c or 0 for c in counts),
            )
            have_activity.update(to_compute)

    # 2. Rolling account features over D-27..D.
    window_days = [d for d in usable if d in have_activity]
    with timer.stage("account_features"):
        activity_window = tables.read(layout.ACCOUNT_ACTIVITY, window_days).persist()
        rolling = rolling_account_features(activity_window, accounts, day, days.history_start)
        # The checkpoints of this job are lazy: each cuts the lineage the next parts
        # plan over, and is computed by the first job that reads it rather than by
        # an eager job of its own (five Spark jobs a day fewer, same data).
        rolling = rolling.localCheckpoint(eager=False)
        customers = rolling.select("account_id", "customer_id")

    # 3. What customers share: the customer x entity graph of D-6..D.
    with timer.stage("linking"):
        week = activity_window.where(F.col("dt") >= F.lit(day - timedelta(days=WEEK_DAYS - 1)))
        content_accounts = rolling.where(
            F.col("content_share_7d") >= params.coordination.slot_min_content_share
        ).select("account_id")
        new_models = recent_models(
            model_first_seen(activity_window), day, NEW_MODEL_DAYS, days.history_start
        )
        memberships = coordination_memberships(
            week, accounts, customers, content_accounts, new_models, day, params.coordination
        )
        indicators, indicator_counts = _shared_indicators(tables, day, params)
        matches = (
            indicator_matches(
                memberships,
                indicators,
                {t: (s.indicator_type, s.keyed) for t, s in shared_indicators.SHARED_TYPES.items()},
                shared_indicators.SCOPED_TYPES,
                _sharing_key(params),
            )
            if indicators
            else None
        )
        shared = shared_memberships(memberships).localCheckpoint(eager=False)

    # 4. Dense blocks as hydra clusters, and stable ids.
    with timer.stage("components"):
        previous_members = _previous_members(tables, day, params)
        held = _day_clusters(
            pd.DataFrame(shared.select("customer_id", "entity_type", "entity_value").toPandas()),
            pd.DataFrame(customers.toPandas()),
            pd.DataFrame(previous_members.select(*MEMBER_COLUMNS).toPandas()),
            day,
            params,
        )
        found = _cluster_frames(spark, held)
        components, block_entities = found.components, found.block_entities
        assignments, links = found.assignments, found.links

    # 5. Cluster and cohort features, evidence; write the day.
    with timer.stage("clusters_and_writes"):
        activity_day = activity_window.where(F.col("dt") == F.lit(day))
        cohorts = cohort_features(accounts, rolling, activity_day)
        clustered = (
            cluster_features(
                rolling,
                assignments,
                shared,
                shared.select("entity_type", "entity_value").distinct(),
                previous_members,
                found.stats,
                found.member_weights,
            )
            .join(cohorts, on="account_id", how="left")
            .localCheckpoint(eager=False)
        )
        account_day = clustered.where("active_on_day").select(
            "account_id",
            F.lit(day).alias("dt"),
            "customer_id",
            "hydra_cluster_id",
            *[F.col(spec.name).cast(spec.dtype).alias(spec.name) for spec in FEATURE_SET.specs],
        )
        assert tuple(account_day.columns[: len(KEY_COLUMNS)]) == KEY_COLUMNS
        tables.write_day(account_day, layout.ACCOUNT_DAY_FEATURES, day)
        members = (
            clustered.where(F.col("hydra_cluster_id").isNotNull())
            .join(assignments.select("customer_id", "first_seen"), on="customer_id", how="inner")
            .join(
                member_links(
                    shared,
                    components,
                    block_entities,
                    params.member_links,
                    partner_matches=(
                        None
                        if matches is None
                        else memberships.join(
                            F.broadcast(matches), on=["entity_type", "entity_value"]
                        ).select("account_id", "label")
                    ),
                ),
                on="account_id",
                how="left",
            )
        )
        tables.write_day(members.select(*MEMBER_COLUMNS, "links"), layout.CLUSTER_MEMBERS, day)
        tables.write_day(links, layout.ACCOUNT_LINKS, day)
        requests_day = tables.read(layout.CURATED_REQUESTS, [day], CURATED_REQUESTS_SCHEMA)
        evidence = cluster_evidence(clustered, assignments, shared, activity_day, requests_day)
        tables.write_day(evidence, layout.CLUSTER_FEATURES, day)

    with timer.stage("summary"):
        summary = _summarise(
            day,
            engine,
            clustered,
            links,
            params,
            to_compute,
            days.unusable,
            timer.seconds,
        )
    activity_window.unpersist()
    return replace(
        summary,
        timings=dict(timer.seconds),
        shared_indicators=indicator_counts,
        spark_jobs_by_part=dict(timer.jobs),
        shuffle_partitions=partitions,
    )


def member_links(
    shared: DataFrame,
    components: DataFrame,
    block_entities: DataFrame,
    limit: int,
    partner_matches: DataFrame | None = None,
    by: Sequence[str] = (),
) -> DataFrame:
    """``(*by, account_id, links)``: what tied each member into its cluster, most specific
    first (``by``: key columns of every input, a batch's target day).

    ``links`` is ``LINKS_TYPE``, what the review queue stores as the member's
    links and acts on (blocking a card or an address, exporting indicators): the
    block entities the member holds, as themselves (an address without the day it
    was used, ``lakeio.indicators.shared_value``), with how many customers hold
    it inside the block (the most on any one day for an address) and the days of
    the week the member used it (``DAY_SCOPED_TYPES``), ordered by the entity's
    weight in the block (a card shared by three before an exit address shared by
    three hundred) and cut at ``limit``; first, one ``partner_indicator`` link per
    partner indicator (``partner_matches``: ``account_id``, ``label``) that names
    one of its entities (no customers, no days).
    """
    scoped = F.col("entity_type").isin(*sorted(shared_indicators.SCOPED_TYPES))
    keys = list(by)
    held = (
        shared.join(components.withColumnRenamed("node", "customer_id"), on=[*keys, "customer_id"])
        .join(block_entities, on=[*keys, "component", "entity_type", "entity_value"], how="inner")
        .groupBy(
            *keys,
            "account_id",
            "entity_type",
            F.when(scoped, F.regexp_replace("entity_value", "@[^@]*$", ""))
            .otherwise(F.col("entity_value"))
            .alias("value"),
        )
        .agg(
            F.max("weight").alias("weight"),
            F.max("customers").alias("customers"),
            F.array_sort(
                F.collect_set(
                    F.when(
                        F.col("entity_type").isin(*DAY_SCOPED_TYPES),
                        F.to_date(F.regexp_extract("entity_value", "@([^@]*)$", 1)),
                    )
                )
            ).alias("days"),
        )
        .select(
            *keys,
            "account_id",
            F.struct(
                (-F.col("weight")).alias("order"),
                F.col("entity_type").alias("type"),
                F.col("value"),
                F.col("customers").cast("bigint").alias("customers"),
                F.col("days"),
            ).alias("link"),
        )
    )  # fmt: skip

    def as_link(link: Column) -> Column:
        return F.struct(
            link["type"].alias("type"),
            link["value"].alias("value"),
            link["customers"].alias("customers"),
            link["days"].alias("days"),
        )

    own = held.groupBy(*keys, "account_id").agg(
        F.transform(F.slice(F.array_sort(F.collect_list("link")), 1, limit), as_link).alias("own")
    )
    if partner_matches is None:
        return own.withColumnRenamed("own", "links")
    partner = partner_matches.groupBy(*keys, "account_id").agg(
        F.transform(
            F.array_sort(F.collect_set("label")),
            lambda label: F.struct(
                F.lit(PARTNER_LINK).alias("type"),
                label.alias("value"),
                F.lit(None).cast("bigint").alias("customers"),
                F.array().cast("array<date>").alias("days"),
            ),
        ).alias("partner")
    )
    return own.join(partner, on=[*keys, "account_id"], how="full").select(
        *keys,
        "account_id",
        F.concat(
            F.coalesce("partner", F.array().cast(LINKS_TYPE)),
            F.coalesce("own", F.array().cast(LINKS_TYPE)),
        ).alias("links"),
    )


def _shared_indicators(
    tables: LakeTables, day: date, params: FeatureParams
) -> tuple[list[IndicatorRow], dict[str, int]]:
    """The partners' indicators valid on ``day`` (``indicators/`` in the lake), and counts."""
    read, unreadable = shared_indicators.read_indicators(tables.store, day)
    usable = [i for i in read if params.sharing_key_file is not None or not i.keyed]
    rows = [
        IndicatorRow(
            i.indicator_type, i.value, i.keyed, f"{i.source}:{i.indicator_type}:{i.indicator_id}"
        )
        for i in usable
    ]
    counts = {
        "valid": len(read),
        "unreadable": unreadable,
        "keyed_unmatched": len(read) - len(usable),
    }
    return rows, counts if read or unreadable else {}


def _sharing_key(params: FeatureParams) -> bytes | None:
    if params.sharing_key_file is None:
        return None
    return shared_indicators.read_sharing_key(params.sharing_key_file)


def _load_text_model(path: str | None) -> TextIntentModel | None:
    """The text model's weights from the local file flows hand over (``models.text_intent``)."""
    if path is None:
        return None
    from pathlib import Path

    from features.text_intent import from_bytes

    return from_bytes(Path(path).read_bytes())


def _previous_members(tables: LakeTables, day: date, params: FeatureParams) -> DataFrame:
    earliest = day - timedelta(days=params.previous_clusters_lookback_days)
    earlier = tables.days(layout.CLUSTER_MEMBERS, start=earliest, end=day - timedelta(days=1))
    if not earlier:
        return tables.spark.createDataFrame([], MEMBERS_SCHEMA)
    previous = tables.read(layout.CLUSTER_MEMBERS, [earlier[-1]], MEMBERS_SCHEMA)
    return previous.select(*MEMBER_COLUMNS).localCheckpoint(eager=False)


def _summarise(
    day: date,
    engine: str,
    clustered: DataFrame,
    links: DataFrame,
    params: FeatureParams,
    computed: list[date],
    unusable: list[date],
    timings: dict[str, float],
) -> FeatureSummary:
    # One collect (one Spark job) of aggregates, never per-request data: a row per
    # cluster (and one for the unclustered accounts), and a row per block entity type.
    per_cluster = clustered.groupBy("hydra_cluster_id").agg(
        F.sum(F.col("active_on_day").cast("long")).alias("active"),
        F.count(F.lit(1)).alias("accounts"),
        F.countDistinct("customer_id").alias("customers"),
    )
    rows = (
        per_cluster.select(
            F.lit("cluster").alias("kind"),
            F.col("hydra_cluster_id").alias("key"),
            "active",
            "accounts",
            "customers",
        )
        .unionByName(
            links.groupBy("entity_type").agg(F.count(F.lit(1)).alias("accounts"))
            .select(
                F.lit("entity").alias("kind"),
                F.col("entity_type").alias("key"),
                F.lit(0).cast("long").alias("active"),
                "accounts",
                F.lit(0).cast("long").alias("customers"),
            )
        )
        .collect()
    )  # fmt: skip
    clusters = [r for r in rows if r["kind"] == "cluster" and r["key"] is not None]
    largest = sorted(clusters, key=lambda r: (-r["accounts"], r["key"]))
    return FeatureSummary(
        day=day,
        accounts=sum(int(r["active"] or 0) for r in rows if r["kind"] == "cluster"),
        clusters=len(clusters),
        linked_accounts=sum(int(r["accounts"]) for r in clusters),
        # A customer is in one cluster at most (clusters are blocks of customers).
        linked_customers=sum(int(r["customers"]) for r in clusters),
        largest_clusters=[
            {"hydra_cluster_id": r["key"], "accounts": r["accounts"], "customers": r["customers"]}
            for r in largest[: params.largest_clusters_reported]
        ],
        block_entities_by_type={
            r["key"]: int(r["accounts"]) for r in rows if r["kind"] == "entity"
        },
        activity_days_computed=list(computed),
        unusable_days=list(unusable),
        timings=dict(timings),
        signal_engine=engine,
        text_model_version=params.text_model_version,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m jobs.featurize --day D --lake URI --scratch DIR`` (also under spark-submit)."""
    from jobs.entry import job_parser, lake_ref, run_job

    parser = job_parser("jobs.featurize", __doc__)
    parser.add_argument(
        "--signal-engine",
        choices=SIGNAL_ENGINES,
        default="auto",
        help="what decides the prompt signals (hyperscan must be on the executors too)",
    )
    parser.add_argument(
        "--sharing-key-file",
        help="the key partners agreed on for keyed indicators (lakeio.indicators)",
    )
    args = parser.parse_args(argv)
    params = FeatureParams(
        day=args.day,
        lake=lake_ref(args),
        signal_engine=args.signal_engine,
        sharing_key_file=args.sharing_key_file,
    )
    return run_job("featurize", args, lambda spark: run(spark, params))


if __name__ == "__main__":
    sys.exit(main())
