"""A throwaway resident Spark application on loopback, started as a deployment starts one.

``python -m jobs.resident`` (the product's command: a Spark Connect server with
the jobs' application settings, run by spark-submit from the pyspark package)
in the foreground of its own process group, on a free port, with its logs in
a given folder, and always stopped. Its Python workers run this interpreter
with the repository on their path, as a deployment installs the project there.
"""

from __future__ import annotations

import os
import socket
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pyspark

from tests.support import REPO_ROOT
from tests.support.processes import background_process, free_port, log_tail, wait_for

SPARK_HOME = Path(pyspark.__file__).parent


def connect_server_jar() -> Path | None:
    """The Spark Connect server jar the pyspark package ships, if it does."""
    return next(iter(sorted((SPARK_HOME / "jars").glob("spark-connect_*.jar"))), None)


@dataclass(frozen=True)
class ConnectServer:
    url: str  # sc://127.0.0.1:<port>
    master: str  # the server's own master
    log_path: Path
    pid: int  # the server's process (spark-submit's JVM: ``jobs.resident`` execs into it)


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


@contextmanager
def spark_connect_server(
    state_dir: Path, *, master: str = "local[2]", driver_memory: str = "2g"
) -> Iterator[ConnectServer]:
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("PYSPARK_", "SPARK_"))},
        "PYTHONPATH": os.pathsep.join(
            [str(REPO_ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
        ),
    }
    argv = [
        sys.executable, "-m", "jobs.resident",
        "--port", str(port),
        "--master", master,
        "--driver-memory", driver_memory,
        "--state-dir", str(state_dir / "resident"),
    ]  # fmt: skip
    log_path = state_dir / "connect-server.log"
    with background_process(argv, env=env, log_path=log_path, cwd=REPO_ROOT) as process:

        def started() -> bool:
            if process.poll() is not None:
                raise AssertionError(
                    f"the Spark Connect server exited {process.returncode}\n{log_tail(log_path)}"
                )
            return _listening(port)

        wait_for(
            started,
            timeout=180,
            what=f"the Spark Connect server on 127.0.0.1:{port}",
            describe=lambda: log_tail(log_path),
        )
        yield ConnectServer(
            url=f"sc://127.0.0.1:{port}", master=master, log_path=log_path, pid=process.pid
        )
