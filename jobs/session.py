"""Building the SparkSession every job runs in.

One function so that tests, the flows and ``spark-submit`` entry points get the
same session settings: UTC everywhere (the contract's timestamps are UTC and a
day partition must not shift with the machine's zone), dynamic partition
overwrite (a rerun replaces exactly the days it writes), UI off locally.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from pyspark.sql import SparkSession

# Fair-scheduler pools (see the file): the day-ordered stages of a sweep before
# the ingest of later days that runs beside them.
SCHEDULER_POOLS_FILE = Path(__file__).with_name("spark_pools.xml")
SWEEP_POOL = "sweep"
INGEST_POOL = "ingest"
JVM_UTC = "-Duser.timezone=UTC"
# Locally the driver JVM runs the tasks too, and a batch job wants the throughput
# collector rather than G1's concurrent threads on two cores (bench/bench_sweep.py,
# 1.1M requests: 266/257 s with G1, 251 s with this, 235/246 s with this and
# spark.sql.codegen.useIdInClassName=false).
LOCAL_DRIVER_GC = "-XX:+UseParallelGC"
# C2's inlining budget for the short-lived local JVM. In a fresh JVM, ingest
# and features of a 1.1M-request day spent ~80 s of CPU in the C2 compiler
# (on two cores, beside ~170 s of tasks), much of it on Spark's generated
# processNext methods (100-160 KB of machine code each, up to 2.5 s a compile)
# and on Janino's own code. Inlining only callees of at most 100 bytecodes, or
# already compiled to under 1,000 bytes (HotSpot's defaults: 325 and 2,500),
# still inlines the small accessors generated code calls (UnsafeRow,
# UTF8String). C2 CPU 80-82 s -> 44-46 s; ingest + features 156-178 s (mean
# 167) over seven runs -> 146-160 s (mean 154) over four. Tighter (500 / 50)
# was slower: the tasks then call what they should inline. A cluster's
# long-lived executors keep the defaults.
LOCAL_DRIVER_JIT = {"InlineSmallCode": 1000, "FreqInlineSize": 100}
# HotSpot's HugeMethodLimit: bytecode size past which a method is never JIT-compiled.
HOTSPOT_HUGE_METHOD_LIMIT = 8000


@dataclass(frozen=True)
class SparkConfig:
    master: str = "local[*]"
    app_name: str = "hydrasweep"
    driver_memory: str = "4g"
    shuffle_partitions: int = 8
    codegen_cache_entries: int = 4096
    extra: dict[str, str] = field(default_factory=dict)


def _on_this_machine(master: str) -> bool:
    return master.startswith("local") or master.startswith(
        ("spark://127.0.0.1:", "spark://localhost:")
    )


def build_spark_session(config: SparkConfig | None = None) -> SparkSession:
    """Get or create the session; safe to call again from within one process."""
    config = config or SparkConfig()
    local = config.master.startswith("local")
    driver_java_options = (
        " ".join([JVM_UTC, LOCAL_DRIVER_GC, *(f"-XX:{k}={v}" for k, v in LOCAL_DRIVER_JIT.items())])
        if local
        else JVM_UTC
    )
    builder = (
        SparkSession.builder.master(config.master)
        .appName(config.app_name)
        .config("spark.driver.memory", config.driver_memory)
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.driver.extraJavaOptions", driver_java_options)
        .config("spark.executor.extraJavaOptions", JVM_UTC)
        .config("spark.sql.shuffle.partitions", str(config.shuffle_partitions))
        .config("spark.sql.sources.partitionOverwriteMode", "dynamic")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.adaptive.enabled", "true")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        # A features day runs ~240 jobs whose ~700 generated classes mostly repeat
        # from day to day; Spark's default cache (100 classes) evicts them within
        # the day, so every day compiled all of them again with Janino.
        .config("spark.sql.codegen.cache.maxEntries", str(config.codegen_cache_entries))
        # Generated classes are cached by their source; with the stage id in the
        # class name the same stage was compiled again whenever AQE numbered it
        # differently (a demo features day run again: ~70 compiles, ~20 without).
        .config("spark.sql.codegen.useIdInClassName", "false")
        # HotSpot runs a method of over 8,000 bytes of bytecode in its interpreter,
        # never compiled; Spark's default limit is Java's 64 KB. The ingest parse
        # and curation generate 27-31 KB methods (rule checks over 16 fields, the
        # IP and user-agent expressions): past 8,000 Spark runs that part of the
        # plan as its split, compiled per-operator projections instead. A 1.1M-line
        # ingest on 2 cores: 55.9/56.9/58.3 s -> 50.1/54.4/56.0 s. Features days
        # generate no method that large and are unchanged.
        .config("spark.sql.codegen.hugeMethodLimit", str(HOTSPOT_HUGE_METHOD_LIMIT))
        # A job's caches (the ingest's parsed lines, the features' activity rows)
        # are read a few times soon after they are built. Compressing them cost
        # more than it saved: persisting the parse of a 1.1M-line day and counting
        # it took 18.1-19.7 s compressed, 14.0-14.1 s not, and a read back was 1.0 s
        # either way (most of the difference: DictionaryEncoding's hash map trying
        # the prompts). They are MEMORY_AND_DISK, so a short heap spills.
        .config("spark.sql.inMemoryColumnarStorage.compressed", "false")
        # Parquet written by the pipeline must read back identically on every run.
        .config("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MICROS")
    )
    if SCHEDULER_POOLS_FILE.is_file():
        # Not a file when the code runs from a zip (spark-submit --py-files):
        # jobs then share Spark's default FIFO queue, as one job per process does.
        builder = builder.config("spark.scheduler.mode", "FAIR").config(
            "spark.scheduler.allocation.file", SCHEDULER_POOLS_FILE.as_uri()
        )
    if local:
        builder = builder.config("spark.driver.host", "127.0.0.1").config(
            "spark.driver.bindAddress", "127.0.0.1"
        )
    if _on_this_machine(config.master) and not os.environ.get("PYSPARK_PYTHON"):
        # Python workers (scoring's pandas UDF) must import what the driver
        # imports: run them on this interpreter, not whatever "python3" is on
        # PATH. PySpark reads the variable when the context starts; a remote
        # cluster names its own (PYSPARK_PYTHON, infra/spark).
        os.environ["PYSPARK_PYTHON"] = sys.executable
    for key, value in config.extra.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


@contextmanager
def scheduler_pool(spark: SparkSession, pool: str) -> Iterator[None]:
    """Run the Spark jobs this thread submits inside ``pool`` (``spark_pools.xml``)."""
    context = spark.sparkContext
    previous = context.getLocalProperty("spark.scheduler.pool")
    context.setLocalProperty("spark.scheduler.pool", pool)
    try:
        yield
    finally:
        context.setLocalProperty("spark.scheduler.pool", previous)  # type: ignore[arg-type]


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
    job: str, day: object, requested_master: str | None, driver_memory: str
) -> SparkSession:
    """The session of a job's ``main`` (``hydrasweep-<job>-<day>``); says on stderr where it runs."""
    spark = build_spark_session(
        SparkConfig(
            master=job_master(requested_master),
            app_name=f"hydrasweep-{job}-{day}",
            driver_memory=driver_memory,
        )
    )
    print(f"{job} {day} on master {spark.sparkContext.master}", file=sys.stderr)
    return spark
