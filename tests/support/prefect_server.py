"""A real Prefect server for tests that need its services (the scheduler above all).

The ephemeral server Prefect starts for a flow called as a function does not
schedule anything, so scheduled deployments are tested against ``prefect
server start`` in a subprocess: its own home and SQLite database in a
temporary folder, telemetry and UI off, the scheduler looping every couple of
seconds instead of every minute. ``PrefectServer.env`` is the environment for
the subprocesses that talk to it (CLI, worker); the test process's own
environment is left alone, because other tests use Prefect's test harness.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tests.support.processes import background_process, free_port, log_tail, wait_for

PREFECT_CLI = str(Path(sys.executable).with_name("prefect"))
TERMINAL_STATES = frozenset({"COMPLETED", "FAILED", "CRASHED", "CANCELLED"})
# Seconds between the attempts of an API call the server answered 503 (``_send``).
RETRY_DELAYS = (0.5, 1.0, 2.0, 4.0)


@dataclass(frozen=True)
class PrefectServer:
    api_url: str
    env: dict[str, str] = field(repr=False)
    log_path: Path

    def get(self, path: str) -> Any:
        return self._send("GET", path).json()

    def post(self, path: str, body: Any) -> Any:
        response = self._send("POST", path, body)
        return response.json() if response.content else None

    def patch(self, path: str, body: Any) -> None:
        self._send("PATCH", path, body)

    def _send(self, method: str, path: str, body: Any = None) -> httpx.Response:
        """One API call, sent again while the server answers 503.

        The server answers 503 when its SQLite database is busy (its scheduler
        and a worker write beside the test), and says the client may retry:
        Prefect's own client does, with backoff; so does this.
        """
        for delay in (*RETRY_DELAYS, None):
            response = httpx.request(method, f"{self.api_url}{path}", json=body, timeout=10)
            if response.status_code != 503 or delay is None:
                return response.raise_for_status()
            time.sleep(delay)
        raise AssertionError("unreachable")

    def deployments(self) -> dict[str, dict[str, Any]]:
        """Every deployment on the server by ``flow-name/deployment-name``."""
        flows = {flow["id"]: flow["name"] for flow in self.post("/flows/filter", {})}
        return {
            f"{flows[deployment['flow_id']]}/{deployment['name']}": deployment
            for deployment in self.post("/deployments/filter", {})
        }

    def flow_runs(self, deployment_id: str) -> list[dict[str, Any]]:
        return self.post(
            "/flow_runs/filter",
            {
                "flow_runs": {"deployment_id": {"any_": [deployment_id]}},
                "sort": "EXPECTED_START_TIME_ASC",
            },
        )

    def flow_run(self, flow_run_id: str) -> dict[str, Any]:
        return self.get(f"/flow_runs/{flow_run_id}")

    def run(self, argv: Sequence[str], *, cwd: Path, timeout: float = 120) -> str:
        """Run a command against this server; fail with its output if it fails."""
        result = subprocess.run(
            list(argv),
            cwd=cwd,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if result.returncode != 0:
            raise AssertionError(
                f"{' '.join(argv)} exited {result.returncode}:\n"
                f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
            )
        return result.stdout


def server_env(home: Path, api_url: str) -> dict[str, str]:
    """Environment for the server and its clients: private home and database, offline."""
    env = {
        key: value
        for key, value in os.environ.items()
        # Never inherit another server's address or a developer's profile.
        if not key.startswith("PREFECT_API_") and key != "PREFECT_PROFILE"
    }
    env.update(
        {
            "PREFECT_HOME": str(home / "prefect-home"),
            "PREFECT_API_URL": api_url,
            "PREFECT_API_DATABASE_CONNECTION_URL": f"sqlite+aiosqlite:///{home / 'prefect.db'}",
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "DO_NOT_TRACK": "true",
            "PREFECT_SERVER_UI_ENABLED": "false",
            # The scheduler inserts runs every 60 s by default; a test cannot wait that long.
            "PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS": "2",
            "PREFECT_LOGGING_LEVEL": "INFO",
            # Scripts (infra/deploy.sh) call `prefect` by name: this venv's.
            "PATH": os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")]),
        }
    )
    return env


@contextmanager
def prefect_server(home: Path, *, startup_timeout: float = 90.0) -> Iterator[PrefectServer]:
    """``prefect server start`` on a free loopback port; yields once ``/api/health`` answers."""
    home.mkdir(parents=True, exist_ok=True)
    port = free_port()
    api_url = f"http://127.0.0.1:{port}/api"
    env = server_env(home, api_url)
    log_path = home / "server.log"
    with background_process(
        [PREFECT_CLI, "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        log_path=log_path,
        cwd=home,
    ) as process:

        def healthy() -> bool | None:
            if process.poll() is not None:
                raise AssertionError(
                    f"prefect server exited {process.returncode}\n{log_tail(log_path)}"
                )
            try:
                return httpx.get(f"{api_url}/health", timeout=2).status_code == 200
            except httpx.HTTPError:
                return None

        wait_for(
            healthy,
            timeout=startup_timeout,
            what=f"prefect server at {api_url}",
            describe=lambda: log_tail(log_path),
        )
        yield PrefectServer(api_url=api_url, env=env, log_path=log_path)
