"""Benchmark: the whole daily sweep of a simulated 1M-request day, beside DuckDB.

Usage: ``python bench/bench_sweep.py [--scale 40] [--master local[2]]
[--driver-memory 6g] [--keep DIR]``. Scale 40 is about 1M requests a day.

Three child processes, so each peak memory is its own:

1. ``setup`` (not timed): a champion to score with. A short small history
   (``--history-days`` at ``--history-scale``) is simulated, backfilled up to
   features, trained and promoted through the demo's gates, in its own lake
   with the MLflow store the sweep will use; then one day at ``--scale`` is
   simulated into the sweep's lake.
2. ``sweep`` (timed): ``flows.daily.daily_sweep`` for that day as the scheduled
   run does it, under Prefect: wait for the markers, ingest with the GX gate,
   features and clusters, scoring with the champion, landing in the review
   queue (SQLite) and the run report. Peak memory is the JVM's VmHWM plus the
   Python driver's ``ru_maxrss``.
3. ``duckdb`` (timed): DuckDB reads the same raw ``jsonl.gz`` files, drops the
   lines that are not valid request records and the duplicate deliveries, and
   computes basic account-day aggregates (volume, tokens, errors, 429s,
   distinct IPs and ASNs, active hours).
4. ``spark`` (timed): the same query in Spark, in a fresh process with the
   sweep's session settings, timed from the session's start like the sweep.
   It is the floor of the engine the pipeline is built on: what of the sweep's
   ratio to DuckDB is Spark doing DuckDB's work, and what is the pipeline's
   own work (validation, text signals, templates, linking, scoring, the queue).

Target from the issue: the sweep within 5x the DuckDB time (about a minute on
2 cores); peak memory under 8 GB.

On the resident Spark application (#26: within 6x of DuckDB), start it first
and name it as the master: ``python -m jobs.resident --driver-memory 6g &``,
then ``python bench/bench_sweep.py --master sc://127.0.0.1:15002``. The setup's
history backfill then runs in the same application, so the timed sweep finds it
warm, as a scheduled day does; its peak memory is the server's (not measured
here: the children have no JVM of their own).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from _harness import child_options, jvm_peak_mb, print_result, python_peak_mb, run_child

HISTORY_START = date(2026, 10, 1)
SWEEP_DAY = date(2026, 11, 2)


def _config(root: Path, lake: str, master: str):
    from flows.runtime import RunConfig

    return RunConfig(
        home=str(root / "home"),
        lake=str(root / lake),
        queue_url=f"sqlite:///{root / 'queue.db'}",
        mlflow_tracking_uri=f"sqlite:///{root / 'mlflow.db'}",
        spark_master=master,
        min_cluster_recall=0.3,  # the demo's floor: a short, small training history
    )


def setup(root: Path, scale: float, history_days: int, history_scale: float, master: str) -> dict:
    from flows.backfill import backfill
    from flows.settings import apply_offline_defaults
    from flows.training import promote, retrain
    from lakeio import open_store
    from simulate import SimulationConfig, run_simulation

    apply_offline_defaults()
    sweep = _config(root, "lake", master)
    if (root / "mlflow.db").exists() and not open_store(sweep.settings().lake_uri).missing_markers(
        SWEEP_DAY
    ):
        return {"reused": str(root)}  # a kept folder: its champion and its day are ready
    history = _config(root, "history-lake", master)
    history_end = HISTORY_START + timedelta(days=history_days - 1)
    run_simulation(
        open_store(history.settings().lake_uri),
        SimulationConfig(start=HISTORY_START, days=history_days, scale=history_scale, seed=5),
    )
    backfill(start=HISTORY_START, end=history_end, config=history, features_only=True)
    trained = retrain(as_of=history_end - timedelta(days=1), config=history, export_labels=False)
    decision = promote(config=history)
    if not decision.get("promoted"):
        raise SystemExit(f"setup: the history model was not promoted: {decision.get('reason')}")
    simulated = run_simulation(
        open_store(sweep.settings().lake_uri),
        SimulationConfig(start=SWEEP_DAY, days=1, scale=scale, seed=11),
    )
    return {
        "model_version": (trained.get("train") or {}).get("model_version"),
        "requests_simulated": getattr(simulated, "total_requests", None),
    }


def measure_sweep(root: Path, master: str, driver_memory: str) -> dict:
    import os

    from flows.settings import apply_offline_defaults

    apply_offline_defaults()
    os.environ["HYDRASWEEP_SPARK_DRIVER_MEMORY"] = driver_memory
    from flows.daily import daily_sweep
    from flows.runtime import spark_session

    config = _config(root, "lake", master)
    started = time.perf_counter()
    result = daily_sweep(day=SWEEP_DAY, config=config)
    seconds = time.perf_counter() - started
    spark = spark_session(config.settings())
    jvm = jvm_peak_mb(spark)
    return {
        "seconds": seconds,
        "peak_mb": jvm + python_peak_mb(),
        "jvm_peak_mb": jvm,
        "rows_read": result["ingest"].get("rows_read"),
        "curated": result["ingest"].get("curated_rows"),
        "accounts": result["features"].get("accounts"),
        "clusters": result["features"].get("clusters"),
        "flagged": result["score"].get("flagged"),
        "cases_opened": result["land"].get("cases_opened"),
        "stage_seconds": result.get("stage_seconds"),
        "feature_seconds": result["features"].get("timings"),
        "feature_spark_jobs": result["features"].get("spark_jobs_by_part"),
        "spark_jobs": {
            stage: result[stage].get("spark_jobs")
            for stage in ("ingest", "features", "score", "land")
        },
    }


# Valid request records only (the contract's required fields and types), one row
# per request_id, then the account-day aggregates.
DUCKDB_SWEEP = r"""
WITH lines AS (
    SELECT line FROM read_csv(?, columns = {'line': 'VARCHAR'}, delim = '\x01',
                              quote = '', escape = '', header = false,
                              compression = 'gzip', max_line_size = 10000000)
),
parsed AS (
    SELECT try_cast(line AS JSON) AS j FROM lines
),
typed AS (
    SELECT j ->> 'request_id' AS request_id,
           try_cast(j ->> 'ts' AS TIMESTAMP) AS ts,
           j ->> 'account_id' AS account_id,
           j ->> 'ip' AS ip,
           try_cast(j ->> 'asn' AS BIGINT) AS asn,
           try_cast(j ->> 'input_tokens' AS BIGINT) AS input_tokens,
           try_cast(j ->> 'output_tokens' AS BIGINT) AS output_tokens,
           try_cast(j ->> 'status' AS INTEGER) AS status
    FROM parsed
    WHERE j IS NOT NULL AND json_type(j) = 'OBJECT'
),
valid AS (
    SELECT * FROM typed
    WHERE request_id IS NOT NULL AND account_id IS NOT NULL AND ip IS NOT NULL
      AND ts IS NOT NULL AND CAST(ts AS DATE) = ?::DATE
      AND input_tokens >= 0 AND output_tokens >= 0 AND status IS NOT NULL
),
deduplicated AS (
    SELECT * FROM valid QUALIFY row_number() OVER (PARTITION BY request_id ORDER BY ts) = 1
)
SELECT account_id,
       count(*) AS requests,
       sum(input_tokens) AS input_tokens,
       sum(output_tokens) AS output_tokens,
       sum(CASE WHEN status >= 400 THEN 1 ELSE 0 END) AS error_requests,
       sum(CASE WHEN status = 429 THEN 1 ELSE 0 END) AS rate_limited_requests,
       count(DISTINCT ip) AS distinct_ips,
       count(DISTINCT asn) AS distinct_asns,
       count(DISTINCT hour(ts)) AS active_hours
FROM deduplicated
GROUP BY account_id
"""


def measure_duckdb(root: Path) -> dict:
    import duckdb

    files = str(root / "lake" / "raw" / "requests" / f"dt={SWEEP_DAY}" / "*.jsonl.gz")
    connection = duckdb.connect()
    started = time.perf_counter()
    accounts, requests = connection.execute(
        f"SELECT count(*), sum(requests) FROM ({DUCKDB_SWEEP})", [files, SWEEP_DAY.isoformat()]
    ).fetchone()
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "peak_mb": python_peak_mb(),
        "accounts": accounts,
        "requests": int(requests or 0),
    }


def measure_spark_baseline(root: Path, master: str, driver_memory: str) -> dict:
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    from jobs.session import SparkConfig, build_spark_session

    started = time.perf_counter()
    spark = build_spark_session(SparkConfig(master=master, driver_memory=driver_memory))
    session_seconds = time.perf_counter() - started
    files = str(root / "lake" / "raw" / "requests" / f"dt={SWEEP_DAY}" / "*.jsonl.gz")
    fields = (
        "request_id",
        "ts",
        "account_id",
        "ip",
        "asn",
        "input_tokens",
        "output_tokens",
        "status",
    )
    # Every field as text, then cast leniently: DuckDB's ->> and try_cast.
    parsed = spark.read.text(files).select(
        F.from_json("value", ", ".join(f"{name} string" for name in fields)).alias("j")
    )
    typed = parsed.select(
        "j.request_id",
        F.col("j.ts").try_cast("timestamp").alias("ts"),
        "j.account_id",
        "j.ip",
        F.col("j.asn").try_cast("bigint").alias("asn"),
        F.col("j.input_tokens").try_cast("bigint").alias("input_tokens"),
        F.col("j.output_tokens").try_cast("bigint").alias("output_tokens"),
        F.col("j.status").try_cast("int").alias("status"),
    )
    valid = typed.where(
        F.col("request_id").isNotNull()
        & F.col("account_id").isNotNull()
        & F.col("ip").isNotNull()
        & (F.to_date("ts") == F.lit(SWEEP_DAY))
        & (F.col("input_tokens") >= 0)
        & (F.col("output_tokens") >= 0)
        & F.col("status").isNotNull()
    )
    first = Window.partitionBy("request_id").orderBy("ts")
    deduplicated = valid.withColumn("n", F.row_number().over(first)).where("n = 1")
    per_account = deduplicated.groupBy("account_id").agg(
        F.count(F.lit(1)).alias("requests"),
        F.sum("input_tokens").alias("input_tokens"),
        F.sum("output_tokens").alias("output_tokens"),
        F.sum((F.col("status") >= 400).cast("int")).alias("error_requests"),
        F.sum((F.col("status") == 429).cast("int")).alias("rate_limited_requests"),
        F.countDistinct("ip").alias("distinct_ips"),
        F.countDistinct("asn").alias("distinct_asns"),
        F.countDistinct(F.hour("ts")).alias("active_hours"),
    )
    accounts, requests = per_account.agg(F.count(F.lit(1)), F.sum("requests")).first()
    seconds = time.perf_counter() - started
    jvm = jvm_peak_mb(spark)
    return {
        "seconds": seconds,
        "session_seconds": session_seconds,
        "peak_mb": jvm + python_peak_mb(),
        "accounts": accounts,
        "requests": int(requests or 0),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=40.0, help="40 is ~1M requests a day")
    # Enough labeled history for the demo's gates with the current simulator: 12 days
    # at 0.2 no longer held the 12 labeled days training needs (2026-12-04).
    parser.add_argument("--history-days", type=int, default=21)
    parser.add_argument("--history-scale", type=float, default=0.3)
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--driver-memory", default="6g")
    parser.add_argument("--keep", default=None, help="work in this folder and keep it")
    parser.add_argument(
        "--child", choices=("setup", "sweep", "duckdb", "spark"), help=argparse.SUPPRESS
    )
    parser.add_argument("--root", help=argparse.SUPPRESS)
    args = parser.parse_args()
    root = Path(args.root) if args.root else None

    if args.child == "setup":
        result = setup(root, args.scale, args.history_days, args.history_scale, args.master)
    elif args.child == "sweep":
        result = measure_sweep(root, args.master, args.driver_memory)
    elif args.child == "duckdb":
        result = measure_duckdb(root)
    elif args.child == "spark":
        result = measure_spark_baseline(root, args.master, args.driver_memory)
    if args.child:
        print_result(result)
        return

    base = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench-sweep-"))
    common = ["--root", str(base), "--master", args.master]
    started = time.perf_counter()
    prepared = run_child(
        __file__,
        [
            "--child",
            "setup",
            *common,
            *child_options(
                scale=args.scale, history_days=args.history_days, history_scale=args.history_scale
            ),
        ],
    )
    print(f"setup (not timed): {time.perf_counter() - started:.0f} s, {prepared}", flush=True)
    sweep = run_child(
        __file__, ["--child", "sweep", *common, "--driver-memory", args.driver_memory]
    )
    duck = run_child(__file__, ["--child", "duckdb", *common])
    baseline = run_child(
        __file__, ["--child", "spark", *common, "--driver-memory", args.driver_memory]
    )

    header = f"{'engine':<22} {'requests':>10} {'seconds':>8} {'µs/req':>7} {'peak MB':>8} {'accounts':>9}"
    print(header)
    print("-" * len(header))
    for name, row, requests in (
        ("hydrasweep daily_sweep", sweep, sweep["curated"]),
        ("duckdb raw->aggregates", duck, duck["requests"]),
        ("spark raw->aggregates", baseline, baseline["requests"]),
    ):
        print(
            f"{name:<22} {requests:>10,} {row['seconds']:>8.1f} "
            f"{row['seconds'] / max(requests, 1) * 1e6:>7.1f} {row['peak_mb']:>8.0f} "
            f"{row['accounts']:>9,}"
        )
    jobs = sweep["spark_jobs"]
    print(
        f"spark jobs: {sum(n or 0 for n in jobs.values())} (target <= 70): "
        + ", ".join(f"{stage} {n}" for stage, n in jobs.items())
    )
    ratio = sweep["seconds"] / duck["seconds"]
    print(f"sweep / duckdb: {ratio:.1f}x (target <= 5x); sweep peak {sweep['peak_mb']:.0f} MB")
    print(
        f"spark's own floor: the same query takes Spark {baseline['seconds'] / duck['seconds']:.1f}x "
        f"DuckDB's time ({baseline['session_seconds']:.1f} s of it starting the session); "
        f"the sweep is {sweep['seconds'] / baseline['seconds']:.1f}x that"
    )
    print(f"sweep details: {json.dumps({k: v for k, v in sweep.items() if k != 'seconds'})}")
    print(f"work folder: {base}")


if __name__ == "__main__":
    main()
