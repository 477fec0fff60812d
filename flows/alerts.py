"""Alerts: a failed or crashed sweep tells someone, not only the Prefect UI.

The daily sweep and the backfill carry ``alert_on_failure`` as Prefect state
hooks (``on_failure``, ``on_crashed``). The hook POSTs one JSON object to the
``alert_webhook_url`` setting: which flow, which run (its name says the day),
the state and the one-line reason. An alert that cannot be delivered is logged
and never masks the run's own failure.
"""

from __future__ import annotations

import json
import logging
import urllib.request
from typing import Any

from flows.runtime import RunConfig
from flows.settings import load_settings

log = logging.getLogger(__name__)
TIMEOUT_SECONDS = 10.0


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
    request = urllib.request.Request(
        url,
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310 - a configured URL
        response.read()


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
