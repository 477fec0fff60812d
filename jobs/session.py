"""Building the SparkSession every job runs in, and the one seam to the SparkContext.

One function so that tests, the flows and ``spark-submit`` entry points get the
same session settings: UTC everywhere (the contract's timestamps are UTC and a
day partition must not shift with the machine's zone), dynamic partition
overwrite (a rerun replaces exactly the days it writes), UI off locally.

A master ``sc://host:port`` gives a Spark Connect session (a Spark Connect
server, Databricks serverless or shared clusters), which has no SparkContext
and no RDDs: only the session's SQL settings reach it, the application's own
(memory, JVM flags, pools) are the server's. Everything else a job needs of
the SparkContext or the RDD API (log level, checkpoint folder, scheduler pools,
the master, the application id, the default parallelism, a frame's partition
count, what the executors' Python imports) is a function here that answers on
both kinds of session, and nothing outside this module calls ``sparkContext``
or ``.rdd``. pyspark is imported only when a function needs it, so importing
this module (the flows do) starts nothing.
"""

from __future__ import annotations

import importlib
import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

# Fair-scheduler pools (see the file): the day-ordered stages of a sweep before
# the ingest of later days that runs beside them.
SCHEDULER_POOLS_FILE = Path(__file__).with_name("spark_pools.xml")
SWEEP_POOL = "sweep"
INGEST_POOL = "ingest"
CONNECT_SCHEME = "sc://"
JVM_UTC = "-Duser.timezone=UTC"
# Locally the driver JVM runs the tasks too, and a batch job wants the throughput
# collector rather than G1's concurrent threads on two cores (bench/README.md:
# garbage collectors of the local driver).
LOCAL_DRIVER_GC = "-XX:+UseParallelGC"
# C2's inlining budget for the short-lived local JVM. In a fresh JVM most of
# the C2 compiler's time went to Spark's generated processNext methods
# (100-160 KB of machine code each) and to Janino's own code. Inlining only
# callees of at most 100 bytecodes, or already compiled to under 1,000 bytes
# (HotSpot's defaults: 325 and 2,500), still inlines the small accessors
# generated code calls (UnsafeRow, UTF8String), and halves the compile time;
# tighter was slower: the tasks then call what they should inline
# (bench/README.md: the local driver's C2 inlining budget). A cluster's
# long-lived executors keep the defaults.
LOCAL_DRIVER_JIT = {"InlineSmallCode": 1000, "FreqInlineSize": 100}
# HotSpot's HugeMethodLimit: bytecode size past which a method is never JIT-compiled.
HOTSPOT_HUGE_METHOD_LIMIT = 8000


@dataclass(frozen=True)
class SparkConfig:
    master: str = "local[*]"  # or sc://host:port for Spark Connect
    app_name: str = "hydrasweep"
    driver_memory: str = "4g"
    shuffle_partitions: int = 8
    # Adaptive query execution (spark.sql.adaptive.enabled). Off by default: AQE submits
    # every shuffle and broadcast stage as a Spark job of its own, and each job costs
    # the driver ~0.1 s whatever its data. A features day ran 213-219 jobs with it and
    # 44-51 without (ingest 14 -> 6), with the same feature rows (float sums equal to
    # 1e-9) and no measured loss at 1.2M requests (bench/README.md: Spark jobs per
    # stage). A cluster with many shuffle partitions can turn it on
    # (HYDRASWEEP_SPARK_ADAPTIVE=true) for its partition coalescing and skew joins.
    adaptive: bool = False
    codegen_cache_entries: int = 4096
    # PySpark's DataFrame debugging (spark.python.sql.dataFrameDebugging.enabled, on by
    # default since 4.0): every call of a DataFrame or column function also asks the JVM
    # for the active session and a setting and records the Python call site there, for
    # the "DataFrame context" of an error message. A features day made 25,925 Py4J calls
    # with it and 11,935 without (bench/README.md: DataFrame debugging), all of it driver
    # time before any Spark job runs. Off; an error still names the failing expression,
    # not the Python line that built it (HYDRASWEEP_SPARK_DATAFRAME_DEBUGGING=true).
    dataframe_debugging: bool = False
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def connect(self) -> bool:
        return self.master.startswith(CONNECT_SCHEME)


def _on_this_machine(master: str) -> bool:
    return master.startswith("local") or master.startswith(
        ("spark://127.0.0.1:", "spark://localhost:")
    )


def process_defaults(master: str) -> dict[str, str]:
    """Environment variables a driver of ``master`` sets when the user has not.

    PySpark reads them when it starts the JVM and the Python workers.
    """
    defaults = {}
    if master.startswith("local"):
        # A local application only talks to itself: bind it to loopback (the
        # hostname may resolve to another interface). A driver in client mode
        # of a remote master must advertise an address its executors reach
        # (spark.driver.host, infra/spark/README.md), so it is left alone there.
        defaults["SPARK_LOCAL_IP"] = "127.0.0.1"
    if _on_this_machine(master):
        # Python workers (scoring's pandas UDF) must import what the driver
        # imports: run them on this interpreter, not whatever "python3" is on
        # PATH. A remote cluster names its own (PYSPARK_PYTHON, infra/spark).
        defaults["PYSPARK_PYTHON"] = sys.executable
    return defaults


def session_settings(config: SparkConfig) -> dict[str, str]:
    """The SQL settings of every session, a Spark Connect one included."""
    return {
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.shuffle.partitions": str(config.shuffle_partitions),
        "spark.sql.sources.partitionOverwriteMode": "dynamic",
        "spark.sql.adaptive.enabled": str(config.adaptive).lower(),
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        # Generated classes are cached by their source; with the stage id in the
        # class name the same stage was compiled again whenever AQE numbered it
        # differently (a demo features day run again: ~70 compiles, ~20 without).
        "spark.sql.codegen.useIdInClassName": "false",
        # HotSpot runs a method of over 8,000 bytes of bytecode in its interpreter,
        # never compiled; Spark's default limit is Java's 64 KB. The ingest parse
        # and curation generate 27-31 KB methods (rule checks over 16 fields, the
        # IP and user-agent expressions): past 8,000 Spark runs that part of the
        # plan as its split, compiled per-operator projections instead
        # (bench/README.md: HotSpot's limit on a generated method).
        "spark.sql.codegen.hugeMethodLimit": str(HOTSPOT_HUGE_METHOD_LIMIT),
        # A job's caches (the ingest's parsed lines, the features' activity rows)
        # are read a few times soon after they are built, and compressing them
        # cost more than it saved (bench/README.md: uncompressed columnar caches;
        # most of it DictionaryEncoding's hash map trying the prompts). They are
        # MEMORY_AND_DISK, so a short heap spills.
        "spark.sql.inMemoryColumnarStorage.compressed": "false",
        # Parquet written by the pipeline must read back identically on every run.
        "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",
    }


def application_settings(config: SparkConfig) -> dict[str, str]:
    """The settings of an application this process starts (not a Spark Connect server's)."""
    local = config.master.startswith("local")
    driver_java_options = (
        " ".join([JVM_UTC, LOCAL_DRIVER_GC, *(f"-XX:{k}={v}" for k, v in LOCAL_DRIVER_JIT.items())])
        if local
        else JVM_UTC
    )
    settings = {
        "spark.driver.memory": config.driver_memory,
        "spark.driver.extraJavaOptions": driver_java_options,
        "spark.executor.extraJavaOptions": JVM_UTC,
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        # A features day runs ~240 jobs whose ~700 generated classes mostly repeat
        # from day to day; Spark's default cache (100 classes) evicts them within
        # the day, so every day compiled all of them again with Janino.
        "spark.sql.codegen.cache.maxEntries": str(config.codegen_cache_entries),
        # A static setting (the application's, not a session's): a Spark Connect client
        # reads its server's.
        "spark.python.sql.dataFrameDebugging.enabled": str(config.dataframe_debugging).lower(),
    }
    if SCHEDULER_POOLS_FILE.is_file():
        # Not a file when the code runs from a zip (spark-submit --py-files):
        # jobs then share Spark's default FIFO queue, as one job per process does.
        settings["spark.scheduler.mode"] = "FAIR"
        settings["spark.scheduler.allocation.file"] = SCHEDULER_POOLS_FILE.as_uri()
    if local:
        settings["spark.driver.host"] = "127.0.0.1"
        settings["spark.driver.bindAddress"] = "127.0.0.1"
    return settings


def build_spark_session(config: SparkConfig | None = None) -> SparkSession:
    """Get or create the session; safe to call again from within one process."""
    from pyspark.sql import SparkSession

    config = config or SparkConfig()
    if config.connect:
        builder = SparkSession.builder.remote(config.master)
        for key, value in {**session_settings(config), **config.extra}.items():
            builder = builder.config(key, value)
        return builder.getOrCreate()
    for name, value in process_defaults(config.master).items():
        if not os.environ.get(name):
            os.environ[name] = value
    builder = SparkSession.builder.master(config.master).appName(config.app_name)
    settings = {**application_settings(config), **session_settings(config), **config.extra}
    for key, value in settings.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    set_log_level(spark, "ERROR")
    return spark


# --- the seam: what a classic session's SparkContext answers, on any session -------------
def is_connect(spark: SparkSession) -> bool:
    """Whether ``spark`` is a Spark Connect session (no SparkContext, no RDDs)."""
    return type(spark).__module__.startswith("pyspark.sql.connect")


def master(spark: SparkSession) -> str:
    """The master the application runs on (a Spark Connect server's own, over Connect)."""
    if is_connect(spark):
        return str(spark.conf.get("spark.master", "unknown"))
    return str(spark.sparkContext.master)


def application_id(spark: SparkSession) -> str:
    if is_connect(spark):
        return str(spark.conf.get("spark.app.id"))
    return str(spark.sparkContext.applicationId)


def runs_on_this_interpreter(spark: SparkSession) -> bool:
    """Whether the Python workers are this process's interpreter (a local classic session)."""
    return not is_connect(spark) and master(spark).startswith("local")


# Per Spark Connect application: its default parallelism (a job to find out).
_CONNECT_PARALLELISM: dict[str, int] = {}


def default_parallelism(spark: SparkSession) -> int:
    """The cores the application's tasks run on (``defaultParallelism``)."""
    if not is_connect(spark):
        return spark.sparkContext.defaultParallelism
    application = application_id(spark)
    if application not in _CONNECT_PARALLELISM:
        # A range without a partition count is split into defaultParallelism
        # partitions (spark.sql.leafNodeDefaultParallelism when set), all non-empty.
        _CONNECT_PARALLELISM[application] = num_partitions(spark.range(0, 1 << 16))
    return _CONNECT_PARALLELISM[application]


def num_partitions(frame: DataFrame) -> int:
    """How many partitions ``frame`` is computed in (over Connect: its non-empty ones, a job)."""
    if not is_connect(frame.sparkSession):
        return frame.rdd.getNumPartitions()
    from pyspark.sql import functions as F

    partition = frame.select(F.spark_partition_id().alias("partition"))
    (last,) = partition.agg(F.max("partition")).collect()[0]
    return 0 if last is None else int(last) + 1


def set_log_level(spark: SparkSession, level: str) -> None:
    """The driver's log level; a Spark Connect server keeps its own."""
    if not is_connect(spark):
        spark.sparkContext.setLogLevel(level)


def set_checkpoint_dir(spark: SparkSession, folder: Path) -> None:
    """Where reliable checkpoints go; a Spark Connect server has its own (spark.checkpoint.dir).

    The jobs checkpoint locally (``localCheckpoint``), which needs no folder.
    """
    if not is_connect(spark):
        folder.mkdir(parents=True, exist_ok=True)
        spark.sparkContext.setCheckpointDir(str(folder))


@contextmanager
def scheduler_pool(spark: SparkSession, pool: str) -> Iterator[None]:
    """Run the Spark jobs this thread submits inside ``pool`` (``spark_pools.xml``).

    Pools are the application's: over Spark Connect jobs run in the server's.
    """
    if is_connect(spark):
        yield
        return
    context = spark.sparkContext
    previous = context.getLocalProperty("spark.scheduler.pool")
    context.setLocalProperty("spark.scheduler.pool", pool)
    try:
        yield
    finally:
        context.setLocalProperty("spark.scheduler.pool", previous)  # type: ignore[arg-type]


@dataclass
class JobCount:
    """How many Spark jobs a block of code ran (None over Spark Connect: not visible)."""

    jobs: int | None = None
    _nested: int = 0  # jobs of blocks counted inside this one


_COUNTING = threading.local()  # the counts open in this thread, outermost first


@contextmanager
def counted_jobs(spark: SparkSession, label: str) -> Iterator[JobCount]:
    """Count the Spark jobs this thread submits inside the block (its own job group).

    Every job costs driver time whatever its data (about 0.1 s here), so the
    count is the plan's size: each stage's summary carries it and the benches
    print it. The group is a thread-local property, as the scheduler pool is:
    stages running in other threads (a backfill's ingest) count their own.
    Blocks nest: a job counted inside an inner block counts for the outer ones
    too (the features stage, and each part of it). The application's status
    store keeps the last ``spark.ui.retainedJobs`` (1,000) jobs, far more than a
    stage runs.
    """
    import uuid

    count = JobCount()
    if is_connect(spark):
        yield count
        return
    context = spark.sparkContext
    group = f"{label}-{uuid.uuid4().hex[:12]}"
    previous = context.getLocalProperty("spark.jobGroup.id")
    enclosing: list[JobCount] = getattr(_COUNTING, "stack", [])
    _COUNTING.stack = [*enclosing, count]
    context.setLocalProperty("spark.jobGroup.id", group)
    try:
        yield count
    finally:
        context.setLocalProperty("spark.jobGroup.id", previous)  # type: ignore[arg-type]
        _COUNTING.stack = enclosing
        own = len(context.statusTracker().getJobIdsForGroup(group))
        count.jobs = own + count._nested
        for outer in enclosing:
            outer._nested += own


def executors_import(spark: SparkSession, module: str) -> bool:
    """Whether the Python workers of ``spark``'s executors import ``module``.

    A probe job of one task per core the application holds, so every executor
    it has is asked in practice; an executor added later (dynamic allocation)
    from the same image answers the same. A DataFrame job (``mapInPandas``), so
    a Spark Connect server's executors answer too.
    """
    tasks = max(default_parallelism(spark), 1)

    def imports(batches: Iterator[Any]) -> Iterator[Any]:
        import pandas as pd

        for _ in batches:
            pass
        try:
            importlib.import_module(module)
        except ImportError:
            yield pd.DataFrame({"imported": [False]})
        else:
            yield pd.DataFrame({"imported": [True]})

    rows = spark.range(0, tasks, 1, tasks).mapInPandas(imports, "imported boolean").collect()
    return all(row["imported"] for row in rows)


# --- a job's own process ----------------------------------------------------------------
def submitted_master() -> str | None:
    """The master spark-submit was given, if this process runs under it."""
    from pyspark import SparkConf, SparkContext

    # Under spark-submit the JVM is already up and holds --master as spark.master;
    # reading it through SparkConf needs the gateway, which this starts (or joins).
    SparkContext._ensure_initialized()
    return SparkConf().get("spark.master", None)


def job_master(requested: str | None) -> str:
    """A job's master: its ``--master`` flag, else spark-submit's, else ``local[*]``."""
    return requested or submitted_master() or "local[*]"


def start_job_session(
    job: str,
    day: object,
    requested_master: str | None,
    driver_memory: str,
    dataframe_debugging: bool = False,
) -> SparkSession:
    """The session of a job's ``main`` (``hydrasweep-<job>-<day>``); says on stderr where it runs
    (the master and the application: a resident one serves many jobs)."""
    spark = build_spark_session(
        SparkConfig(
            master=job_master(requested_master),
            app_name=f"hydrasweep-{job}-{day}",
            driver_memory=driver_memory,
            dataframe_debugging=dataframe_debugging,
        )
    )
    print(
        f"{job} {day} on master {master(spark)}, application {application_id(spark)}",
        file=sys.stderr,
    )
    return spark
