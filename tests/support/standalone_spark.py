"""A throwaway Spark standalone cluster (one master, one worker) on loopback.

Drives ``infra/spark/standalone.sh``, the script the docs tell people to use,
so the test exercises the documented path: the pyspark package's own
``sbin/spark-daemon.sh``, state (pids, logs, executor work dirs) in a given
folder, free ports so parallel runs never collide. ``standalone_cluster``
waits until the worker has registered and always stops both daemons.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.support import REPO_ROOT
from tests.support.processes import free_port

STANDALONE_SCRIPT = REPO_ROOT / "infra" / "spark" / "standalone.sh"


class StandaloneClusterError(RuntimeError):
    """The cluster did not come up; the message carries the daemons' log tails."""


@dataclass(frozen=True)
class StandaloneCluster:
    master_url: str
    webui_url: str
    state_dir: Path

    @property
    def log_dir(self) -> Path:
        return self.state_dir / "logs"

    @property
    def work_dir(self) -> Path:
        """Where the worker starts executors: one ``app-*/<executor id>/`` per application."""
        return self.state_dir / "work"

    def status(self) -> dict[str, Any]:
        """The master's JSON view (``/json/``): workers, active and completed applications."""
        with urllib.request.urlopen(f"{self.webui_url}/json/", timeout=5) as response:
            return json.load(response)

    def completed_apps(self) -> list[dict[str, Any]]:
        return list(self.status().get("completedapps", []))

    def log_tail(self, lines: int = 30) -> str:
        tails = []
        for log in sorted(self.log_dir.glob("*.out")):
            text = log.read_text(errors="replace").splitlines()[-lines:]
            tails.append(f"--- {log.name}\n" + "\n".join(text))
        return "\n".join(tails)


def _script(command: str, env: dict[str, str], timeout: float) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", str(STANDALONE_SCRIPT), command],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@contextmanager
def standalone_cluster(
    state_dir: Path,
    *,
    worker_cores: int = 1,
    worker_memory: str = "2g",
    startup_timeout: float = 90.0,
) -> Iterator[StandaloneCluster]:
    """Start master + worker on 127.0.0.1, yield once the worker is ALIVE, stop both."""
    master_port, webui_port, worker_webui_port = free_port(), free_port(), free_port()
    env = {
        **os.environ,
        "SPARK_STANDALONE_DIR": str(state_dir),
        "SPARK_MASTER_PORT": str(master_port),
        "SPARK_MASTER_WEBUI_PORT": str(webui_port),
        "SPARK_WORKER_WEBUI_PORT": str(worker_webui_port),
        "SPARK_WORKER_CORES": str(worker_cores),
        "SPARK_WORKER_MEMORY": worker_memory,
        "PYTHON": sys.executable,
    }
    cluster = StandaloneCluster(
        master_url=f"spark://127.0.0.1:{master_port}",
        webui_url=f"http://127.0.0.1:{webui_port}",
        state_dir=state_dir,
    )
    try:
        started = _script("start", env, timeout=startup_timeout)
        if started.returncode != 0:
            raise StandaloneClusterError(
                f"standalone.sh start failed ({started.returncode}): {started.stderr.strip()}"
            )
        _wait_for_alive_worker(cluster, deadline=time.monotonic() + startup_timeout)
        yield cluster
    finally:
        _script("stop", env, timeout=60)


def _wait_for_alive_worker(cluster: StandaloneCluster, deadline: float) -> None:
    last_error = "no answer yet"
    while time.monotonic() < deadline:
        try:
            workers = cluster.status().get("workers", [])
            if any(worker.get("state") == "ALIVE" for worker in workers):
                return
            last_error = f"workers: {[worker.get('state') for worker in workers]}"
        except OSError as exc:
            last_error = str(exc)
        time.sleep(0.5)
    raise StandaloneClusterError(
        f"no ALIVE worker at {cluster.webui_url}/json/ ({last_error})\n{cluster.log_tail()}"
    )
