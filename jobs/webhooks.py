"""Posting one JSON alert to a configured webhook: the GX gate's and the flows' alerts.

Plain ``urllib`` (no Spark, no GX), so the flows import it at load and the
ingest job's Checkpoint action calls it from its thread. A receiver that
answers slowly is given up after ``TIMEOUT_SECONDS``; the caller decides what
a failed delivery means (both callers log it and go on).
"""

from __future__ import annotations

import json
import urllib.request
from typing import Any

TIMEOUT_SECONDS = 10.0


def post_json(url: str, payload: dict[str, Any], timeout: float = TIMEOUT_SECONDS) -> None:
    """POST ``payload`` as JSON to ``url``; raise on a network error or an HTTP error status."""
    request = urllib.request.Request(
        url,
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - a configured URL
        response.read()
