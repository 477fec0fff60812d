"""Alerts: a failed or crashed sweep tells someone, not only the Prefect UI.

The daily sweep and the backfill carry ``alert_on_failure`` as Prefect state
hooks (``on_failure``, ``on_crashed``). The hook POSTs one JSON object to the
``alert_webhook_url`` setting: which flow, which run (its name says the day),
the state and the one-line reason. An alert that cannot be delivered is logged
and never masks the run's own failure.

A run that never starts runs no hook: the worker is down, or a backfill holds
the one-run ``sweeps`` queue past the schedule. For that, ``install_late_alert``
(run by ``infra/deploy.sh`` after the deployments) registers on the Prefect
server a Webhook block for the same URL and an automation: when the daily
sweep's deployment has a flow run turn ``Late`` (the server marks a scheduled
run late ``PREFECT_SERVER_SERVICES_LATE_RUNS_AFTER_SECONDS`` after its time,
15 s by default), the server POSTs the same JSON shape with state ``Late``. It
is the server that sends it, so it works with no hydrasweep process alive.
"""

from __future__ import annotations

import logging
import sys
import urllib.parse
from typing import Any, cast
from uuid import UUID

from flows.errors import UserError
from flows.runtime import RunConfig
from flows.settings import load_settings
from jobs.webhooks import post_json

log = logging.getLogger(__name__)
TIMEOUT_SECONDS = 10.0
DAILY_DEPLOYMENT = "daily-sweep/daily"
LATE_AUTOMATION = "hydrasweep-daily-sweep-late"
WEBHOOK_BLOCK = "hydrasweep-alert-webhook"
# Rendered by the Prefect server (Jinja) when the automation fires; the shape of
# ``alert_payload``. ``tojson`` quotes the names as JSON strings.
LATE_PAYLOAD = (
    '{"source": "hydrasweep", "flow": {{ flow.name | tojson }}, '
    '"run": {{ flow_run.name | tojson }}, "state": "Late", '
    '"message": {{ ("scheduled for " ~ flow_run.expected_start_time ~ " and not started: '
    'is a worker polling the sweeps queue, or is a backfill holding it?") | tojson }}}'
)


def _settings_of(parameters: dict[str, Any]) -> Any:
    config = parameters.get("config")
    if isinstance(config, RunConfig):
        return config.settings()
    if isinstance(config, dict):
        return RunConfig(**config).settings()
    return load_settings()


def alert_payload(flow_name: str, run_name: str, state_name: str, message: str) -> dict[str, str]:
    return {
        "source": "hydrasweep",
        "flow": flow_name,
        "run": run_name,
        "state": state_name,
        "message": message,
    }


def send_alert(url: str, payload: dict[str, str]) -> None:
    post_json(url, payload, TIMEOUT_SECONDS)


def alert_on_failure(flow: Any, flow_run: Any, state: Any) -> None:
    """Prefect state hook: POST the failure to the configured webhook (if any)."""
    try:
        url = _settings_of(dict(flow_run.parameters or {})).alert_webhook_url
        if not url:
            return
        payload = alert_payload(flow.name, flow_run.name, state.name, _reason(state))
        send_alert(url, payload)
    except Exception as exc:  # noqa: BLE001 - the run's own failure must stay what is reported
        log.warning("could not deliver the failure alert: %s", exc)


def _reason(state: Any) -> str:
    """The failure's one line: the exception's message, else the state's."""
    try:
        state.result()
    except Exception as exc:  # noqa: BLE001 - the failure is what we want to read
        text = str(exc) or type(exc).__name__
    else:
        text = state.message or state.name
    return text.strip().splitlines()[0][:1000] if text.strip() else state.name


def install_late_alert(webhook_url: str | None, deployment: str = DAILY_DEPLOYMENT) -> str:
    """Register (or replace) the late-run automation of ``deployment``; say what was done.

    Needs ``PREFECT_API_URL`` (the server the deployments are on). Without a
    webhook URL any earlier automation is removed, and the message says so: no
    alert goes to a stale URL.
    """
    from datetime import timedelta

    from prefect.automations import Automation
    from prefect.blocks.webhook import Webhook
    from prefect.client.orchestration import get_client
    from prefect.events.actions import CallWebhook
    from prefect.events.schemas.automations import EventTrigger, Posture
    from prefect.exceptions import ObjectNotFound
    from prefect.types import SecretDict
    from pydantic import SecretStr

    with get_client(sync_client=True) as client:
        earlier = [a.id for a in client.read_automations_by_name(LATE_AUTOMATION)]
        if not webhook_url:
            for automation_id in earlier:
                client.delete_automation(automation_id)
            return (
                "no alert webhook configured (HYDRASWEEP_ALERT_WEBHOOK_URL): late runs alert "
                "nobody" + (" (the earlier late-run automation was removed)" if earlier else "")
            )
        try:
            deployment_id = client.read_deployment_by_name(deployment).id
        except ObjectNotFound:
            raise UserError(
                f"no deployment {deployment} on the server: deploy infra/prefect.yaml first"
            ) from None
        block = Webhook(
            method="POST",
            url=SecretStr(webhook_url),
            headers=SecretDict({"Content-Type": "application/json"}),
            # A paging or chat relay inside the network is the usual receiver.
            allow_private_urls=True,
        )
        # Sync here (Prefect's sync/async dispatch types it as either).
        block_id = cast(UUID, block.save(WEBHOOK_BLOCK, overwrite=True))
        Automation(
            name=LATE_AUTOMATION,
            description=f"POST to the hydrasweep alert webhook when a {deployment} run is late",
            trigger=EventTrigger(
                expect={"prefect.flow-run.Late"},
                match_related={"prefect.resource.id": f"prefect.deployment.{deployment_id}"},
                posture=Posture.Reactive,
                threshold=1,
                within=timedelta(0),
            ),
            actions=[CallWebhook(block_document_id=block_id, payload=LATE_PAYLOAD)],
        ).create()
        # The new one first, then the old: a failure on the way leaves an alert in place.
        for automation_id in earlier:
            client.delete_automation(automation_id)
    # The URL itself often carries a token: name its host only.
    host = urllib.parse.urlsplit(webhook_url).hostname or "the webhook"
    return f"late runs of {deployment} alert {host} (automation {LATE_AUTOMATION})"


def main() -> int:
    """``python -m flows.alerts``: install the late-run alert from the settings."""
    try:
        print(install_late_alert(load_settings().alert_webhook_url))
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
