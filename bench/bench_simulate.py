"""Benchmark the traffic simulator: throughput and peak memory by scale.

Each scale runs in its own process (so peak RSS is that run's own) and writes
into a temporary local lake that is deleted afterwards. Prints a table:
scale, days, requests, lines written, seconds, requests per minute, peak RSS,
and the prompt corpus the text came from (the packaged subset by default; a
full corpora folder with ``--corpus-dir``).

    python bench/bench_simulate.py                 # scales 1, 4, 10; 2 days each
    python bench/bench_simulate.py --scales 1 40 --days 1
    python bench/bench_simulate.py --corpus-dir /work/shared/corpora
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path


def run_one(scale: float, days: int, corpus_dir: str | None) -> dict[str, float | str]:
    """Simulate in this process and measure it (the child side)."""
    from lakeio import open_store
    from simulate import SimulationConfig, run_simulation, text

    text.load_bank(Path(corpus_dir) if corpus_dir else None)  # load once, outside the timing
    config = SimulationConfig(
        start=date(2026, 11, 2),
        days=days,
        seed=7,
        scale=scale,
        corpus_dir=Path(corpus_dir) if corpus_dir else None,
    )
    with tempfile.TemporaryDirectory(prefix="bench-simulate-") as root:
        started = time.perf_counter()
        summary = run_simulation(open_store(root), config)
        seconds = time.perf_counter() - started
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    return {
        "scale": scale,
        "days": days,
        "requests": summary.total_requests,
        "lines": sum(day.lines for day in summary.days),
        "seconds": seconds,
        "requests_per_minute": summary.total_requests / seconds * 60,
        "peak_rss_mib": peak_kib / 1024,
        "corpus": summary.corpus,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scales", type=float, nargs="+", default=[1.0, 4.0, 10.0])
    parser.add_argument("--days", type=int, default=2)
    parser.add_argument("--corpus-dir", default=None, help="a full prompt-corpora folder")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(run_one(args.scales[0], args.days, args.corpus_dir)))
        return

    header = f"{'scale':>6} {'days':>4} {'requests':>10} {'lines':>10} {'seconds':>8} {'requests/min':>13} {'peak RSS MiB':>13}  corpus"
    print(header)
    print("-" * len(header))
    for scale in args.scales:
        child = subprocess.run(
            [sys.executable, __file__, "--child", "--scales", str(scale), "--days", str(args.days)]
            + (["--corpus-dir", args.corpus_dir] if args.corpus_dir else []),
            check=True,
            capture_output=True,
            text=True,
        )
        row = json.loads(child.stdout.strip().splitlines()[-1])
        print(
            f"{row['scale']:>6g} {row['days']:>4d} {row['requests']:>10,d} {row['lines']:>10,d} "
            f"{row['seconds']:>8.1f} {row['requests_per_minute']:>13,.0f} {row['peak_rss_mib']:>13.0f}"
            f"  {row['corpus']}",
            flush=True,
        )


if __name__ == "__main__":
    main()
