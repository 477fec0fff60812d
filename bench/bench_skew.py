"""Benchmark: a skewed day, one 20,000-account hydra cluster and one account with 5% of requests.

Usage: ``python bench/bench_skew.py [--scale 10] [--hydra-accounts 20000]
[--heavy-share 0.05] [--keep DIR]``.

The seed's largest case was one proxy network running 20,000+ accounts at once,
and real traffic has accounts that send a large share of a day's requests. Spark
spreads work by key: whatever groups, sorts or windows by cluster or by account
puts such a cluster's or account's whole day in one task, and a day that is fine
on average can then hold one core for minutes or run a task out of memory. This
bench builds such a day and reports, for every stage of the sweep (ingest,
features, scoring, landing), the Spark stage whose largest task held the largest
share of that stage's input. The issue's target: no task holds more than a
quarter of its stage's input.

How the day is made: the simulator's day at ``--scale`` (the champion comes from
``bench_sweep``'s setup), then a second producer adds contract records to the
same day, as another writer of the same lake would (``raw/requests`` and
``raw/accounts`` files of their own; the markers are written again last):

- **the hydra**: ``--hydra-accounts`` accounts created the day before, paying
  with a few shared cards or on the free tier, sending 2-20 requests each
  (real prompt text: the day's own prompts, resampled) from a pool of
  datacenter addresses of one hosting provider, in the same scheduler minutes;
- **the heavy account**: one account already in the day sends ``--heavy-share``
  of the day's requests more, from its own address.

How a task's share is read: Spark's event log of the sweep (one application,
written to a folder of this run). For each Spark stage with at least two tasks,
a task's input is the records it read from files plus those it read from
shuffles; the stage's share is the largest task's over the stage's total. Spark
stages are tied to the sweep's stages by the job group each stage's jobs ran
under (``jobs.session.counted_jobs``: ``ingest-D``, ``features-<part>``, ...).
Stages of less than ``MIN_STAGE_RECORDS`` records are left out: a share of a few
hundred rows says nothing about skew.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import tempfile
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

import bench_sweep
from _harness import child_options, print_result, run_child
from bench_sweep import SWEEP_DAY, _config, setup

MIN_STAGE_RECORDS = 10_000
SKEW_PART = "part-skew.jsonl.gz"
TEXT_FIELDS = ("request_id", "ts", "account_id", "api_key_id", "ip", "model", "prompt")
COUNT_FIELDS = ("input_tokens", "output_tokens", "latency_ms")
TARGET_SHARE = 0.25  # the target: no task holds more than a quarter of a stage
TARGET_MIN_TASKS = 4


def _valid(record: object) -> bool:
    """A request record of the contract's types (the simulator writes bad lines too)."""
    return (
        isinstance(record, dict)
        and all(isinstance(record.get(name), str) for name in TEXT_FIELDS)
        and all(isinstance(record.get(name), int) and record[name] >= 0 for name in COUNT_FIELDS)
        and isinstance(record.get("status"), int)
    )


def _scan_day(day_dir: Path, limit: int) -> tuple[int, list[dict]]:
    """The day's request lines (bad ones too), and the first ``limit`` valid records."""
    lines_read = 0
    records: list[dict] = []
    for path in sorted(day_dir.glob("part-*.jsonl.gz")):
        if path.name == SKEW_PART:
            continue
        with gzip.open(path, "rt", encoding="utf-8") as lines:
            for line in lines:
                lines_read += 1
                if len(records) >= limit:
                    continue
                try:
                    record = json.loads(line)
                except json.JSONDecodeError:
                    continue  # the simulator's bad lines
                if _valid(record):
                    records.append(record)
    return lines_read, records


def add_skew(lake: Path, hydra_accounts: int, heavy_share: float, seed: int = 23) -> dict:
    """Write the hydra's and the heavy account's records into the sweep day (idempotent)."""
    r = random.Random(seed)
    day = SWEEP_DAY
    requests_dir = lake / "raw" / "requests" / f"dt={day}"
    accounts_dir = lake / "raw" / "accounts" / f"dt={day}"
    base_requests, samples = _scan_day(requests_dir, 50_000)
    if not samples:
        raise SystemExit(f"no request records to resample under {requests_dir}")
    midnight = datetime(day.year, day.month, day.day, tzinfo=UTC)

    def iso(moment: datetime) -> str:
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"

    def ts(seconds: float) -> str:
        return iso(midnight + timedelta(seconds=min(seconds, 86_399.999)))

    pool = [f"159.89.{r.randrange(256)}.{r.randrange(1, 255)}" for _ in range(600)]
    cards = [f"{r.getrandbits(256):064x}" for _ in range(60)]
    system_prompts = [s.get("system_prompt") for s in samples if s.get("system_prompt")][:3]
    burst_minutes = sorted(r.sample(range(1440), 48))
    model = max(
        {s["model"] for s in samples},
        key=lambda m: sum(1 for s in samples[:2000] if s["model"] == m),
    )
    request_lines: list[str] = []
    account_lines: list[str] = []
    created = midnight - timedelta(days=1)
    for index in range(hydra_accounts):
        account_id = f"acct_hydra{index:07d}"
        paid = r.random() < 0.4
        account_lines.append(
            json.dumps(
                {
                    "account_id": account_id,
                    "org_id": None,
                    "created_at": iso(created + timedelta(seconds=r.uniform(0, 3_600))),
                    "email_domain": r.choice(("gmail.com", "outlook.com", "proton.me")),
                    "payment_fingerprint": r.choice(cards) if paid else None,
                    "billing_country": "US" if paid else None,
                    "signup_ip": r.choice(pool),
                    "tier": "build" if paid else "free",
                    "verified": False,
                }
            )
        )
        minutes = r.sample(burst_minutes, 2)
        for n in range(r.randint(2, 20)):
            sample = r.choice(samples)
            request_lines.append(
                json.dumps(
                    {
                        "request_id": f"req_hydra{index:07d}_{n:02d}",
                        "ts": ts(minutes[n % 2] * 60 + r.uniform(0, 59)),
                        "account_id": account_id,
                        "api_key_id": f"key_hydra{index:07d}",
                        "org_id": None,
                        "ip": r.choice(pool),
                        "asn": 14061,
                        "country": "US",
                        "user_agent": "python-httpx/0.27.0",
                        "model": model,
                        "input_tokens": sample["input_tokens"],
                        "output_tokens": sample["output_tokens"],
                        "latency_ms": sample["latency_ms"],
                        "status": 200,
                        "system_prompt": r.choice(system_prompts) if system_prompts else None,
                        "prompt": sample["prompt"],
                    }
                )
            )
    hydra_requests = len(request_lines)
    heavy = samples[0]
    total = base_requests + hydra_requests
    heavy_requests = round(heavy_share * total / (1 - heavy_share))
    for n in range(heavy_requests):
        sample = r.choice(samples)
        request_lines.append(
            json.dumps(
                {
                    **heavy,
                    "request_id": f"req_heavy_{n:08d}",
                    "ts": ts(r.uniform(0, 86_400)),
                    "prompt": sample["prompt"],
                    "system_prompt": heavy.get("system_prompt"),
                }
            )
        )
    for folder, lines in ((requests_dir, request_lines), (accounts_dir, account_lines)):
        with gzip.open(folder / SKEW_PART, "wt", encoding="utf-8") as out:
            out.write("\n".join(lines) + "\n")
        (folder / "_SUCCESS").write_bytes(b"")  # markers last: the day is complete again
    return {
        "base_requests": base_requests,
        "hydra_accounts": hydra_accounts,
        "hydra_requests": hydra_requests,
        "heavy_account": heavy["account_id"],
        "heavy_requests": heavy_requests,
        "heavy_share": heavy_requests / (total + heavy_requests),
    }


def task_skew(event_log: Path) -> list[dict]:
    """Per Spark stage of the sweep: tasks, records and the largest task's share of them."""
    stage_group: dict[int, str] = {}
    stage_name: dict[int, str] = {}
    task_records: dict[int, list[int]] = defaultdict(list)
    task_seconds: dict[int, list[float]] = defaultdict(list)
    # Spark 4 writes a folder of rolling files (eventlog_v2_<app>/events_<n>_<app>).
    folder = event_log.parent / f"eventlog_v2_{event_log.name}"
    files = (
        sorted(folder.glob("events_*"), key=lambda path: int(path.name.split("_")[1]))
        if folder.is_dir()
        else [event_log]
    )
    for path in files:
        for line in path.read_text(encoding="utf-8").splitlines():
            event = json.loads(line)
            kind = event.get("Event")
            if kind == "SparkListenerJobStart":
                group = (event.get("Properties") or {}).get("spark.jobGroup.id") or "other"
                for stage in event.get("Stage IDs", []):
                    stage_group.setdefault(stage, group)
            elif kind == "SparkListenerStageCompleted":
                info = event["Stage Info"]
                stage_name[info["Stage ID"]] = info.get("Stage Name", "")
            elif kind == "SparkListenerTaskEnd":
                metrics = event.get("Task Metrics") or {}
                records = (metrics.get("Input Metrics") or {}).get("Records Read", 0) + (
                    metrics.get("Shuffle Read Metrics") or {}
                ).get("Total Records Read", 0)
                task_records[event["Stage ID"]].append(int(records))
                task_seconds[event["Stage ID"]].append(metrics.get("Executor Run Time", 0) / 1000)
    rows = []
    for stage, records in task_records.items():
        total = sum(records)
        if len(records) < 2 or total < MIN_STAGE_RECORDS:
            continue
        group = stage_group.get(stage, "other")
        label = group.rsplit("-", 1)[0] if group.count("-") else group
        rows.append(
            {
                "sweep_stage": label.split("-", 1)[0],
                "part": label,
                "spark_stage": stage,
                "name": stage_name.get(stage, ""),
                "tasks": len(records),
                "records": total,
                "largest_share": max(records) / total,
                "largest_task_s": max(task_seconds[stage]),
                "stage_task_s": sum(task_seconds[stage]),
            }
        )
    return rows


def print_report(rows: list[dict]) -> None:
    """The stages of largest task share, then the worst per sweep stage.

    "x even" is the largest task over an even share (1.0: balanced). The quarter
    target is judged on stages of at least ``TARGET_MIN_TASKS`` tasks: a stage of
    two tasks (two files read, two cores) holds half its input in a task when it
    is balanced.
    """
    header = (
        f"{'sweep stage':<12} {'part':<26} {'stage':>5} {'tasks':>5} {'records':>11} "
        f"{'largest':>8} {'x even':>6} {'task s':>7} {'stage s':>8}  call site"
    )
    print(header)
    print("-" * len(header))
    for row in sorted(rows, key=lambda row: -row["largest_share"] * row["tasks"])[:15]:
        print(
            f"{row['sweep_stage']:<12} {row['part'][:26]:<26} {row['spark_stage']:>5} "
            f"{row['tasks']:>5} {row['records']:>11,} {row['largest_share']:>8.1%} "
            f"{row['largest_share'] * row['tasks']:>6.2f} "
            f"{row['largest_task_s']:>7.1f} {row['stage_task_s']:>8.1f}  {row['name'][:60]}"
        )
    judged = [row for row in rows if row["tasks"] >= TARGET_MIN_TASKS]
    worst: dict[str, dict] = {}
    for row in judged:
        current = worst.get(row["sweep_stage"])
        if current is None or row["largest_share"] > current["largest_share"]:
            worst[row["sweep_stage"]] = row
    print(
        f"worst per sweep stage of >= {TARGET_MIN_TASKS} tasks "
        f"(target: largest task <= {TARGET_SHARE:.0%} of its stage's input):"
    )
    for stage, row in sorted(worst.items()):
        verdict = "ok" if row["largest_share"] <= TARGET_SHARE else "OVER"
        print(
            f"  {stage:<10} {row['largest_share']:6.1%} of {row['records']:,} records "
            f"in {row['tasks']} tasks ({row['part']}: {row['name'][:50]}) {verdict}"
        )


def measure_sweep(root: Path, master: str, driver_memory: str, event_dir: Path) -> dict:
    """``bench_sweep``'s timed sweep, with Spark's event log written to ``event_dir``."""
    import os

    conf = root / "spark-conf"
    conf.mkdir(exist_ok=True)
    event_dir.mkdir(parents=True, exist_ok=True)
    (conf / "spark-defaults.conf").write_text(
        "spark.eventLog.enabled true\n"
        f"spark.eventLog.dir file://{event_dir.resolve()}\n"
        "spark.eventLog.compress false\n"
    )
    os.environ["SPARK_CONF_DIR"] = str(conf)  # read by spark-submit when the JVM starts
    from flows.runtime import spark_session

    result = bench_sweep.measure_sweep(root, master, driver_memory)
    spark = spark_session(_config(root, "lake", master).settings())
    return {**result, "application_id": spark.sparkContext.applicationId}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=10.0, help="the simulator's day: 40 ~ 1M")
    parser.add_argument("--hydra-accounts", type=int, default=20_000)
    parser.add_argument("--heavy-share", type=float, default=0.05)
    parser.add_argument("--history-days", type=int, default=21)
    parser.add_argument("--history-scale", type=float, default=0.3)
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--driver-memory", default="6g")
    parser.add_argument("--keep", default=None, help="work in this folder and keep it")
    parser.add_argument("--child", choices=("setup", "sweep"), help=argparse.SUPPRESS)
    parser.add_argument("--root", help=argparse.SUPPRESS)
    args = parser.parse_args()
    root = Path(args.root) if args.root else None

    if args.child == "setup":
        prepared = setup(root, args.scale, args.history_days, args.history_scale, args.master)
        print_result({**prepared, **add_skew(root / "lake", args.hydra_accounts, args.heavy_share)})
        return
    if args.child == "sweep":
        print_result(measure_sweep(root, args.master, args.driver_memory, root / "events"))
        return

    base = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench-skew-"))
    common = ["--root", str(base), "--master", args.master]
    started = time.perf_counter()
    prepared = run_child(
        __file__,
        [
            "--child",
            "setup",
            *common,
            *child_options(
                scale=args.scale,
                hydra_accounts=args.hydra_accounts,
                heavy_share=args.heavy_share,
                history_days=args.history_days,
                history_scale=args.history_scale,
            ),
        ],
    )
    print(f"setup (not timed): {time.perf_counter() - started:.0f} s, {prepared}", flush=True)
    sweep = run_child(
        __file__, ["--child", "sweep", *common, "--driver-memory", args.driver_memory]
    )
    print(
        f"sweep {sweep['seconds']:.1f} s, peak {sweep['peak_mb']:.0f} MB, "
        f"{sweep['curated']:,} requests, {sweep['accounts']:,} accounts, "
        f"{sweep['clusters']} clusters, {sweep['flagged']} flagged; stages {sweep['stage_seconds']}"
    )
    print_report(task_skew(base / "events" / sweep["application_id"]))


if __name__ == "__main__":
    main()
