"""One convention for what every stage of the pipeline reports.

A stage's result (ingest, features, scoring, the review feed, training,
promotion, a backtest) is a frozen dataclass that mixes in ``StageSummary``:
``as_dict()`` gives it as plain JSON values (dates as ISO text, tuples as
lists), which is what flows exchange, record in ``reports/sweep/dt=D/`` and
print. A result with derived figures overrides ``as_dict`` and calls
``jsonable`` on what it adds.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any


def jsonable(value: Any) -> Any:
    """``value`` as plain JSON values: dates and paths as text, tuples as lists."""
    return json.loads(json.dumps(value, default=str))


class StageSummary:
    """Mixin of a stage result dataclass: ``as_dict()`` as JSON-safe values."""

    def as_dict(self) -> dict[str, Any]:
        assert dataclasses.is_dataclass(self) and not isinstance(self, type)
        return jsonable(dataclasses.asdict(self))
