"""The Prefect deployments in ``infra/prefect.yaml``, on a real Prefect server.

Fast checks read the file against the flows' signatures (every scheduled
deployment must be runnable with the parameters it carries). The integration
test deploys the file unchanged with ``prefect deploy --all`` to a server in a
subprocess, gives the daily sweep a schedule that fires in a few seconds, and
lets the server's scheduler create the run and a process worker pick it up:
the scheduled sweep of yesterday (the flow's default day) runs features-only
on a tiny simulated lake and must complete with the day's features written.
"""

from __future__ import annotations

import inspect
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support import REPO_ROOT
from tests.support.lakes import write_tiny_lake
from tests.support.prefect_server import PREFECT_CLI, TERMINAL_STATES, prefect_server
from tests.support.processes import background_process, log_tail, wait_for
from tests.support.webhooks import webhook_receiver

PREFECT_FILE = REPO_ROOT / "infra" / "prefect.yaml"
DEPLOY_SCRIPT = REPO_ROOT / "infra" / "deploy.sh"
WORK_POOL = "hydrasweep-process"
# flow/deployment: (entrypoint, work queue)
EXPECTED_DEPLOYMENTS = {
    "daily-sweep/daily": ("flows/daily.py:daily_sweep", "sweeps"),
    "retrain/weekly": ("flows/training.py:retrain", "training"),
    "promote/manual": ("flows/training.py:promote", "training"),
    "backfill/manual": ("flows/backfill.py:backfill", "sweeps"),
}


def test_the_server_helper_sends_a_call_again_while_the_server_is_busy(tmp_path, monkeypatch):
    """Prefect's server answers 503 while its SQLite database is busy and says to retry; a
    test's API call is sent again (``PrefectServer._send``), a lasting 503 still fails it."""
    import http.server
    import json
    import threading

    import httpx

    from tests.support import prefect_server as helper

    busy_answers = [2]
    calls = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_PATCH(self) -> None:
            calls.append(self.path)
            self.rfile.read(int(self.headers["Content-Length"]))
            status = 503 if busy_answers[0] > 0 else 200
            busy_answers[0] -= 1
            body = json.dumps({"ok": status == 200}).encode()
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setattr(helper, "RETRY_DELAYS", (0.0, 0.0, 0.0))
    api = helper.PrefectServer(f"http://127.0.0.1:{server.server_port}/api", {}, tmp_path / "log")
    try:
        api.patch("/deployments/d/schedules/s", {"active": False})
        assert calls == ["/api/deployments/d/schedules/s"] * 3
        busy_answers[0] = 10
        with pytest.raises(httpx.HTTPStatusError, match="503"):
            api.patch("/deployments/d/schedules/s", {"active": False})
        assert len(calls) == 3 + 4  # three retries, then the answer stands
    finally:
        server.shutdown()


def _prefect_file() -> dict[str, Any]:
    return yaml.safe_load(PREFECT_FILE.read_text())


def _load_flow(entrypoint: str):
    from prefect.flows import load_flow_from_entrypoint

    path, name = entrypoint.split(":")
    return load_flow_from_entrypoint(f"{REPO_ROOT / path}:{name}")


@pytest.mark.parametrize(
    "deployment", _prefect_file()["deployments"], ids=lambda d: f"{d['entrypoint']}/{d['name']}"
)
def test_every_deployment_can_start_with_its_parameters(deployment: dict[str, Any]) -> None:
    flow = _load_flow(deployment["entrypoint"])
    signature = inspect.signature(flow.fn)
    unknown = set(deployment.get("parameters", {})) - set(signature.parameters)
    assert not unknown, f"{flow.name}/{deployment['name']} sets unknown parameters {unknown}"
    assert deployment["work_pool"]["name"] == WORK_POOL
    for schedule in deployment.get("schedules") or []:
        # A scheduled run gets only what the deployment and schedule carry: any
        # required flow parameter missing here fails every scheduled run.
        parameters = {**deployment.get("parameters", {}), **schedule.get("parameters", {})}
        flow.validate_parameters(parameters)


def test_deployments_run_in_the_checkout_they_were_deployed_from() -> None:
    spec = _prefect_file()
    (build_step,) = spec["build"]
    (pull_step,) = spec["pull"]
    step_id = build_step["prefect.deployments.steps.run_shell_script"]["id"]
    assert pull_step["prefect.deployments.steps.set_working_directory"]["directory"] == (
        f"{{{{ {step_id}.stdout }}}}"
    )


@pytest.mark.slow
def test_scheduled_daily_sweep_is_run_by_a_process_worker(tmp_path: Path) -> None:
    """The deploy script's deployments on a real server; a run that does not start alerts."""
    now = datetime.now(UTC)
    day = (now - timedelta(days=1)).date()
    schedule_parameters: dict[str, Any] = {"features_only": True}
    if (now + timedelta(minutes=3)).date() != now.date():
        # Near midnight the run could start on the next day and sweep a day
        # that was not simulated: name the day instead of relying on the default.
        schedule_parameters["day"] = day.isoformat()
    home = tmp_path / "hydrasweep"
    write_tiny_lake(home / "lake", day)

    with prefect_server(tmp_path / "prefect") as server, webhook_receiver() as (url, alerts):
        deployed = server.run(
            ["env", f"HYDRASWEEP_ALERT_WEBHOOK_URL={url}", "bash", str(DEPLOY_SCRIPT)],
            cwd=tmp_path,
        )
        assert "late runs of daily-sweep/daily alert 127.0.0.1" in deployed
        assert url not in deployed  # a webhook URL often carries a token

        queues = server.post(f"/work_pools/{WORK_POOL}/queues/filter", {})
        assert {queue["name"]: queue["concurrency_limit"] for queue in queues} == {
            "default": None,
            "sweeps": 1,
            "training": 1,
        }

        deployments = server.deployments()
        assert {
            name: (d["entrypoint"], d["work_queue_name"]) for name, d in deployments.items()
        } == EXPECTED_DEPLOYMENTS
        for deployment in deployments.values():
            assert deployment["work_pool_name"] == WORK_POOL
            assert deployment["pull_steps"] == [
                {"prefect.deployments.steps.set_working_directory": {"directory": str(REPO_ROOT)}}
            ]
        assert _cron_schedules(deployments) == {
            "daily-sweep/daily": [("0 6 * * *", "UTC")],
            "retrain/weekly": [("0 8 * * 0", "UTC")],
            "promote/manual": [],
            "backfill/manual": [],
        }
        daily = deployments["daily-sweep/daily"]
        assert daily["parameters"] == {"features_only": False}

        # The committed schedules must not fire during the test (it may run at
        # 06:00 UTC); a one-off schedule a few seconds ahead stands in for them.
        for deployment in deployments.values():
            for schedule in deployment["schedules"]:
                server.patch(
                    f"/deployments/{deployment['id']}/schedules/{schedule['id']}",
                    {"active": False},
                )
        # A daily run scheduled two minutes ago that no worker takes: the server marks
        # it Late and its automation (flows.alerts.install_late_alert) calls the webhook.
        late = server.post(
            f"/deployments/{daily['id']}/create_flow_run",
            {
                "name": "daily-sweep-not-started",
                "parameters": {"features_only": True, "day": day.isoformat()},
                "state": {
                    "type": "SCHEDULED",
                    "name": "Scheduled",
                    "state_details": {
                        "scheduled_time": (datetime.now(UTC) - timedelta(minutes=2)).isoformat()
                    },
                },
            },
        )
        alert = wait_for(
            lambda: next((a for a in alerts if a.get("run") == late["name"]), None),
            timeout=90,
            what="the late-run alert",
            describe=lambda: f"{alerts}\n{log_tail(server.log_path)}",
        )
        assert (alert["source"], alert["flow"], alert["state"]) == (
            "hydrasweep", "daily-sweep", "Late",
        )  # fmt: skip
        assert "not started" in alert["message"]
        server.post(
            f"/flow_runs/{late['id']}/set_state",
            {"state": {"type": "CANCELLED", "name": "Cancelled"}, "force": True},
        )

        fire_at = datetime.now(UTC) + timedelta(seconds=8)
        server.post(
            f"/deployments/{daily['id']}/schedules",
            [
                {
                    "schedule": {
                        "interval": 3600,
                        "anchor_date": fire_at.isoformat(),
                        "timezone": "UTC",
                    },
                    "active": True,
                    "parameters": schedule_parameters,
                }
            ],
        )

        def scheduled_run() -> dict[str, Any] | None:
            runs = [
                run
                for run in server.flow_runs(daily["id"])
                if run["auto_scheduled"] and run["parameters"].get("features_only") is True
            ]
            return runs[0] if runs else None

        run = wait_for(
            scheduled_run,
            timeout=45,
            what="the scheduler to create the daily sweep's run",
            describe=lambda: log_tail(server.log_path),
        )
        assert run["state_type"] == "SCHEDULED"
        assert run["parameters"] == {"features_only": True, **schedule_parameters}

        worker_log = tmp_path / "worker.log"
        worker_env = {
            **server.env,
            "HYDRASWEEP_HOME": str(home),
            "HYDRASWEEP_SPARK_MASTER": "local[2]",
            "HYDRASWEEP_SPARK_DRIVER_MEMORY": "1g",
            "HYDRASWEEP_SPARK_SHUFFLE_PARTITIONS": "2",
            "PREFECT_WORKER_QUERY_SECONDS": "2",
        }
        with background_process(
            [PREFECT_CLI, "worker", "start", "--pool", WORK_POOL, "--limit", "1"],
            env=worker_env,
            log_path=worker_log,
            cwd=tmp_path,
        ):
            finished = wait_for(
                lambda: _terminal(server.flow_run(run["id"])),
                timeout=600,
                interval=1,
                what=f"flow run {run['name']} to finish",
                describe=lambda: log_tail(worker_log, 60),
            )

    assert finished["state_type"] == "COMPLETED", (
        f"{finished['state_name']}: {finished['state'].get('message')}\n{log_tail(worker_log, 80)}"
    )
    assert finished["work_pool_name"] == WORK_POOL
    _assert_features_written(
        home / "lake", date.fromisoformat(schedule_parameters.get("day", day.isoformat()))
    )


def _cron_schedules(deployments: dict[str, dict[str, Any]]) -> dict[str, list[tuple[str, str]]]:
    return {
        name: [
            (schedule["schedule"]["cron"], schedule["schedule"]["timezone"])
            for schedule in deployment["schedules"]
            if schedule["active"]
        ]
        for name, deployment in deployments.items()
    }


def _terminal(run: dict[str, Any]) -> dict[str, Any] | None:
    return run if run["state_type"] in TERMINAL_STATES else None


def _assert_features_written(lake: Path, day: date) -> None:
    import json

    from lakeio import layout

    status = json.loads((lake / layout.report_day_prefix("sweep", day) / "status.json").read_text())
    assert set(status["stages"]) == {"ingest", "features"}
    features_day = lake / layout.table_day_prefix(layout.ACCOUNT_DAY_FEATURES, day)
    assert any(features_day.glob("*.parquet")), f"no features written under {features_day}"
