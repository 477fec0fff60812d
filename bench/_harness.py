"""What the benchmark scripts share: peak-memory readings and measuring in a child process.

Each measurement runs in a fresh process so that its peak memory is its own:
the parent runs ``python <script> --child ...`` and reads back the one line
starting with ``RESULT `` (JSON) that the child printed.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
from pathlib import Path
from typing import Any

RESULT_PREFIX = "RESULT "


def jvm_peak_mb(spark) -> float:
    """Peak RSS (VmHWM) of the JVM behind a local session, read while it still runs (0 if unknown:
    over Spark Connect the JVM is the server's, not this process's)."""
    from jobs.session import is_connect

    if is_connect(spark):
        return 0.0
    process = getattr(spark.sparkContext._gateway, "proc", None)
    status = Path(f"/proc/{process.pid}/status") if process is not None else None
    if status is None or not status.exists():
        return 0.0
    for line in status.read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def python_peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def print_result(result: dict[str, Any]) -> None:
    """The child's side: the one line the parent reads."""
    print(RESULT_PREFIX + json.dumps(result, default=str), flush=True)


def child_options(**options: Any) -> list[str]:
    """``--name value`` arguments for a child process (underscores become dashes)."""
    return [
        item
        for name, value in options.items()
        for item in (f"--{name.replace('_', '-')}", str(value))
    ]


def run_child(script: str, args: list[str]) -> dict[str, Any]:
    """Run ``script`` with ``args`` in a fresh interpreter and return its result."""
    completed = subprocess.run(
        [sys.executable, script, *args], capture_output=True, text=True, check=False
    )
    for line in completed.stdout.splitlines():
        if line.startswith(RESULT_PREFIX):
            return json.loads(line[len(RESULT_PREFIX) :])
    raise RuntimeError(f"benchmark child {args[:2]} failed:\n{completed.stderr[-4000:]}")
