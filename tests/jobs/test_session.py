"""The session every job runs in."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

WORKER_IMPORTS = """
import os

from jobs.session import SparkConfig, build_spark_session

spark = build_spark_session(SparkConfig(master="local[1]", shuffle_partitions=1))


def version(_):
    import xgboost

    return xgboost.__version__


print("worker xgboost", spark.sparkContext.parallelize([0], 1).map(version).collect()[0])
print("local ip", os.environ.get("SPARK_LOCAL_IP"))
spark.stop()
"""


def test_python_workers_run_on_the_drivers_interpreter() -> None:
    # Scoring's pandas UDF imports xgboost in the Python workers: they must run
    # on the driver's interpreter (the project's virtualenv), not on whatever
    # "python3" comes first on PATH. Here PATH holds only the system's Python.
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"PYSPARK_PYTHON", "PATH", "SPARK_LOCAL_IP"}
    }
    env["PATH"] = "/usr/local/bin:/usr/bin:/bin"
    result = subprocess.run(
        [sys.executable, "-c", WORKER_IMPORTS],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "worker xgboost" in result.stdout
    # A local application binds to loopback unless told otherwise.
    assert "local ip 127.0.0.1" in result.stdout


def test_only_a_local_driver_defaults_to_loopback() -> None:
    from jobs.session import process_defaults

    assert process_defaults("local[2]")["SPARK_LOCAL_IP"] == "127.0.0.1"
    # Client mode on a cluster: the driver must advertise an address the
    # executors reach (spark.driver.host), not 127.0.0.1.
    assert "SPARK_LOCAL_IP" not in process_defaults("spark://spark-master.internal:7077")
    assert "SPARK_LOCAL_IP" not in process_defaults("spark://127.0.0.1:7077")
    assert process_defaults("yarn") == {}
    assert process_defaults("spark://127.0.0.1:7077")["PYSPARK_PYTHON"] == sys.executable


def test_generated_code_of_earlier_queries_is_reused(spark) -> None:
    """A day of features generates hundreds of classes; repeating a query must not compile again.

    Spark's default cache holds 100 generated classes, so after 150 distinct
    queries the first one would be compiled anew (the features job compiled
    ~700 classes every day, most of them the same as the day before).
    """
    from pyspark.sql import functions as F

    compilations = (
        spark._jvm.org.apache.spark.metrics.source.CodegenMetrics.METRIC_COMPILATION_TIME()
    )

    def query(i: int) -> list:
        # The literal is inlined into the generated code: each i is a class of its own.
        return spark.range(3).select((F.col("id") * i + i).alias("v")).collect()

    first = query(1)
    for i in range(2, 152):
        query(i)
    before = compilations.getCount()
    assert query(1) == first
    assert compilations.getCount() == before


def test_sweep_stages_run_in_their_scheduler_pool(spark) -> None:
    from jobs.session import INGEST_POOL, SWEEP_POOL, scheduler_pool

    context = spark.sparkContext
    jvm_context = context._jsc.sc()
    assert jvm_context.getSchedulingMode().toString() == "FAIR"
    # The pools come from the packaged allocation file: the ordered stages of a
    # sweep take every core they ask for, ingest of later days what is left.
    sweep = jvm_context.getPoolForName(SWEEP_POOL).get()
    ingest = jvm_context.getPoolForName(INGEST_POOL).get()
    assert (sweep.weight(), ingest.weight()) == (4, 1)
    assert sweep.minShare() > ingest.minShare() == 0

    before = context.getLocalProperty("spark.scheduler.pool")
    seen_running: list[int] = []

    def slow(rows):
        time.sleep(3)
        return [sum(1 for _ in rows)]

    def ingest_job() -> None:
        with scheduler_pool(spark, INGEST_POOL):
            assert context.getLocalProperty("spark.scheduler.pool") == INGEST_POOL
            context.parallelize(range(4), 2).mapPartitions(slow).collect()

    worker = threading.Thread(target=ingest_job)
    worker.start()
    while worker.is_alive():
        seen_running.append(ingest.runningTasks())
        time.sleep(0.1)
    worker.join()
    assert max(seen_running) > 0  # the job's tasks ran in the ingest pool
    assert sweep.runningTasks() == 0
    assert context.getLocalProperty("spark.scheduler.pool") == before


def test_a_stage_numbered_differently_is_not_compiled_again(spark) -> None:
    """AQE numbers codegen stages by their place in a query; the number must not be in the class.

    The projection is the only stage of its own query, and the second shuffle
    stage of the union: with the stage id in the class name its source differs
    there and Janino compiles it again (two classes here; ~70 a repeated
    features day).
    """
    from pyspark.sql import functions as F

    compilations = (
        spark._jvm.org.apache.spark.metrics.source.CodegenMetrics.METRIC_COMPILATION_TIME()
    )

    def projected(factor: int):
        # The factor is inlined into the generated code: a class of its own.
        return spark.range(5).select((F.col("id") * factor + 7).alias("v"))

    def union(factor: int):
        shifted = spark.range(5).select((F.col("id") + 3).alias("v"))
        return shifted.repartition(2).unionAll(projected(factor).repartition(2))

    union(7901).collect()  # the union's own code, compiled once
    projected(7907).collect()
    before = compilations.getCount()
    rows = union(7907).collect()
    assert compilations.getCount() == before
    assert sorted(row.v for row in rows) == [3, 4, 5, 6, 7, 7, 7914, 15821, 23728, 31635]


def _hotspot(spark):
    """The driver JVM's HotSpotDiagnosticMXBean (its -XX options as running)."""
    management = spark._jvm.java.lang.management.ManagementFactory
    return management.getPlatformMXBean(
        spark._jvm.java.lang.Class.forName("com.sun.management.HotSpotDiagnosticMXBean")
    )


def test_local_driver_runs_the_throughput_collector_in_utc(spark) -> None:
    management = spark._jvm.java.lang.management.ManagementFactory
    collectors = {bean.getName() for bean in management.getGarbageCollectorMXBeans()}
    assert collectors == {"PS Scavenge", "PS MarkSweep"}  # -XX:+UseParallelGC
    assert spark._jvm.java.lang.System.getProperty("user.timezone") == "UTC"


def test_local_driver_runs_with_the_smaller_c2_inlining_budget(spark) -> None:
    """The flags reach the JVM that runs the tasks (a typo in a -XX flag name
    would stop the JVM from starting; a dropped flag would leave HotSpot's)."""
    from jobs.session import LOCAL_DRIVER_JIT

    hotspot = _hotspot(spark)
    assert {name: int(hotspot.getVMOption(name).getValue()) for name in LOCAL_DRIVER_JIT} == {
        "InlineSmallCode": 1000,
        "FreqInlineSize": 100,
    }


def test_whole_stage_code_too_big_for_the_jit_is_not_run_interpreted(spark) -> None:
    """Spark's limit on a generated method is HotSpot's, not Java's 64 KB.

    HotSpot never compiles a method over 8,000 bytes of bytecode (while
    DontCompileHugeMethods is on, as by default), and the ingest parse generates
    ~27 KB ones: with Spark's default that code ran in the interpreter.
    """
    from jobs.session import HOTSPOT_HUGE_METHOD_LIMIT

    hotspot = _hotspot(spark)
    assert hotspot.getVMOption("DontCompileHugeMethods").getValue() == "true"
    assert int(spark.conf.get("spark.sql.codegen.hugeMethodLimit")) == HOTSPOT_HUGE_METHOD_LIMIT


def test_the_ingest_parse_runs_as_compiled_projections_not_one_huge_method(spark, tmp_path) -> None:
    """Spark says it set the parse's whole-stage code aside (it is past HotSpot's limit).

    With Spark's default limit the ~27 KB method is kept and HotSpot interprets
    it; the message below is then never logged.
    """
    from datetime import date

    from features.ingest import RAW_LINES_SCHEMA, parse_request_lines

    jvm = spark._jvm
    log4j = jvm.org.apache.logging.log4j
    context = log4j.LogManager.getContext(False)
    name = "org.apache.spark.sql.execution.WholeStageCodegenExec"
    logger = context.getLogger(name)
    level = logger.getLevel()
    log_file = tmp_path / "codegen.log"
    appender = (
        log4j.core.appender.FileAppender.newBuilder()
        .withFileName(str(log_file))
        .setName("hugeMethodLimit-test")
        .setLayout(log4j.core.layout.PatternLayout.createDefaultLayout())
        .build()
    )
    appender.start()
    logger.addAppender(appender)
    log4j.core.config.Configurator.setLevel(name, log4j.Level.INFO)
    try:
        lines = spark.createDataFrame(
            [('{"request_id": "r1"}', "raw/f.jsonl.gz")], RAW_LINES_SCHEMA
        )
        (row,) = parse_request_lines(lines, date(2026, 11, 2)).collect()
    finally:
        logger.removeAppender(appender)
        appender.stop()
        log4j.core.config.Configurator.setLevel(name, level)
    assert row.reason == "missing_required:ts"
    assert "whole-stage codegen was disabled" in log_file.read_text()


def test_cached_frames_are_kept_uncompressed(spark) -> None:
    """A cached column of one repeated 100-character text takes its full size.

    Compressed, Spark's columnar cache would dictionary-encode it to a few KB.
    """
    from pyspark.sql import functions as F

    rows = 20_000
    frame = spark.range(rows, numPartitions=1).select(F.lit("x" * 100).alias("text")).persist()
    try:
        frame.count()
        (cached,) = [
            info
            for info in spark.sparkContext._jsc.sc().getRDDStorageInfo()
            if info.numCachedPartitions() > 0 and "text" in info.name()
        ]
        assert cached.memSize() > rows * 100
    finally:
        frame.unpersist(blocking=True)


def test_the_executor_probe_asks_the_python_workers(spark) -> None:
    from jobs.session import executors_import

    assert executors_import(spark, "pyarrow")
    assert not executors_import(spark, "hydrasweep_no_such_module")


def test_a_block_counts_the_spark_jobs_its_own_thread_ran(spark) -> None:
    import threading

    from jobs.session import counted_jobs

    def work() -> None:  # two actions (with AQE, a shuffle is a job of its own)
        frame = spark.range(1000)
        frame.groupBy((frame.id % 7).alias("k")).count().collect()
        spark.range(10).collect()

    with counted_jobs(spark, "probe") as first:
        work()
    with counted_jobs(spark, "other-thread") as elsewhere:
        thread = threading.Thread(target=work)  # another stage's thread: not this block's
        thread.start()
        thread.join()
    with counted_jobs(spark, "outer") as outer:
        work()
        with counted_jobs(spark, "inner") as inner:  # a stage's part: counted in both
            work()
        work()
    assert first.jobs is not None and first.jobs >= 2
    assert (elsewhere.jobs, inner.jobs, outer.jobs) == (0, first.jobs, 3 * first.jobs)


def test_building_a_column_records_no_python_call_site_in_the_jvm(spark, monkeypatch) -> None:
    """DataFrame debugging is off: building a column sends the JVM no Python call site.

    With PySpark's default every call of a DataFrame or column function also looks up
    the active session, reads a setting and sets then clears the JVM's
    ``PySparkCurrentOrigin`` (a features day: 25,925 Py4J calls against 11,935).
    """
    from pyspark.sql import functions as F

    client = spark.sparkContext._gateway._gateway_client
    sent: list[str] = []
    send = client.send_command

    def counted(command: str, *args, **kwargs):
        sent.append(command)
        return send(command, *args, **kwargs)

    monkeypatch.setattr(client, "send_command", counted)
    F.lower(F.col("prompt"))
    assert sent, "the column was built without the JVM: nothing measured"
    assert not [command for command in sent if "PySparkCurrentOrigin" in command]


def test_a_jobs_dataframe_debugging_flag_reaches_its_session(monkeypatch) -> None:
    """``python -m jobs.<job> --dataframe-debugging`` builds its session with the setting on
    (a static setting: the job's own application must start with it); off by default."""
    import argparse
    from datetime import date

    import jobs.entry as entry
    import jobs.session as session
    from lakeio.reports import StageSummary

    built: list[session.SparkConfig] = []

    class Stopped:
        def stop(self) -> None:
            pass

    def build(config: session.SparkConfig) -> Stopped:
        built.append(config)
        return Stopped()

    monkeypatch.setattr(session, "build_spark_session", build)
    monkeypatch.setattr(session, "master", lambda spark: "local[1]")
    monkeypatch.setattr(session, "application_id", lambda spark: "app-test")

    class Done(StageSummary):
        def as_dict(self) -> dict:
            return {}

    parser = entry.job_parser("jobs.test", "A test job.")
    common = ["--day", "2026-11-03", "--lake", "lake", "--scratch", "scratch"]
    for argv in (common, [*common, "--dataframe-debugging"]):
        args: argparse.Namespace = parser.parse_args(argv)
        assert args.day == date(2026, 11, 3)
        assert entry.run_job("test", args, lambda spark: Done()) == 0
    assert [config.dataframe_debugging for config in built] == [False, True]
    assert [
        session.application_settings(config)["spark.python.sql.dataFrameDebugging.enabled"]
        for config in built
    ] == ["false", "true"]
