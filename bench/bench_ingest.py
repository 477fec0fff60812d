"""Benchmark: ingest one simulated day (~1M requests at scale 40) and print a table.

Usage: ``python bench/bench_ingest.py [--scale 40] [--master local[2]] [--keep DIR]``.
The day is written by ``simulate.run_simulation`` into a temporary local lake,
then ``jobs.ingest.run`` ingests it twice (cold: first JIT/codegen in the JVM;
warm: the same day again). Rows per second count raw request lines read.
Peak memory is the driver's Python RSS (``resource.getrusage``) and the JVM's
(VmHWM), both from ``bench/_harness.py``.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from datetime import date
from pathlib import Path

from _harness import jvm_peak_mb, python_peak_mb

DAY = date(2026, 11, 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=40.0)
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--driver-memory", default="4g")
    parser.add_argument("--keep", default=None, help="work in this folder and keep it")
    args = parser.parse_args()

    from flows.settings import apply_offline_defaults

    apply_offline_defaults()
    from jobs.ingest import IngestParams, run
    from jobs.session import SparkConfig, build_spark_session
    from lakeio import LakeRef, open_store
    from simulate import SimulationConfig, run_simulation

    root = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    lake = root / "lake"
    started = time.perf_counter()
    run_simulation(open_store(str(lake)), SimulationConfig(start=DAY, days=1, scale=args.scale))
    simulated = time.perf_counter() - started

    spark = build_spark_session(
        SparkConfig(master=args.master, app_name="bench-ingest", driver_memory=args.driver_memory)
    )
    params = IngestParams(
        day=DAY, lake=LakeRef(str(lake), str(root / "scratch")), max_bad_line_share=0.05
    )
    rows = []
    jvm_mb = None
    try:
        for label in ("cold", "warm"):
            started = time.perf_counter()
            summary = run(spark, params)
            seconds = time.perf_counter() - started
            rows.append(
                (label, summary.rows_read, summary.curated_rows, summary.bad_lines, seconds)
            )
        jvm_mb = jvm_peak_mb(spark)
    finally:
        spark.stop()
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)

    raw_mb = (
        sum(p.stat().st_size for p in (lake / "raw").rglob("*.gz")) / 2**20 if args.keep else None
    )
    print(f"simulated 1 day at scale {args.scale} in {simulated:.1f}s; master {args.master}")
    print(f"{'run':<6}{'lines':>12}{'curated':>12}{'bad':>8}{'seconds':>10}{'rows/s':>12}")
    for label, read, curated, bad, seconds in rows:
        print(
            f"{label:<6}{read:>12,}{curated:>12,}{bad:>8,}{seconds:>10.1f}{read / seconds:>12,.0f}"
        )
    print(
        f"peak RSS: driver (python) {python_peak_mb():,.0f} MB, JVM {jvm_mb:,.0f} MB"
        + (f"; raw day {raw_mb:,.0f} MB gzip" if raw_mb is not None else "")
    )


if __name__ == "__main__":
    main()
