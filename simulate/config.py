"""What a simulation run produces: the range, the seed, the scale and the schedule.

``SimulationConfig`` is the one parameter object of the simulator. Everything
not given has a default derived from the range, so ``SimulationConfig(start,
days)`` gives the standard scenario: the aggressive campaign starts on ~day 2,
the distributed one on ~day 7, a model is released at ~60% of the range and
the reasoning campaign starts just after it, so a model trained before the
release never saw it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from typing import Any

BAD_LINE_KINDS: tuple[str, ...] = (
    "truncated_json",
    "wrong_type",
    "missing_field",
    "ts_outside_day",
    "negative_tokens",
    "non_object_json",
    "invalid_ts",
)

CAMPAIGN_AGGRESSIVE = "campaign-aggressive"
CAMPAIGN_DISTRIBUTED = "campaign-distributed"
CAMPAIGN_REASONING = "campaign-reasoning"
CAMPAIGNS: tuple[str, ...] = (CAMPAIGN_AGGRESSIVE, CAMPAIGN_DISTRIBUTED, CAMPAIGN_REASONING)


@dataclass(frozen=True)
class SimulationConfig:
    """One simulation run; frozen so a run can be described (and repeated) exactly."""

    start: date
    days: int
    seed: int = 7
    scale: float = 1.0
    release_day: date | None = None  # None: start + ~60% of the range (when that is inside it)
    bad_line_rate: float = 0.004  # share of request lines that are bad, split evenly over kinds
    duplicate_rate: float = 0.003  # share of requests delivered twice
    files_per_day: int = 4
    # Day offsets from ``start`` at which each campaign starts; None derives them from ``days``.
    campaign_start_offsets: tuple[int, int, int] | None = None
    # Days from an abusive account's first activity until enforcement catches (some of) it.
    enforcement_delay_days: tuple[int, int] = (4, 6)
    promotion_offset: int | None = None  # the day dormant accounts are woken by a promotion
    class_signup_offset: int | None = None  # the day a university class signs up together
    chunk_size: int = field(default=20_000, repr=False)  # requests rendered at a time

    def __post_init__(self) -> None:
        if self.days < 1:
            raise ValueError(f"days must be at least 1, got {self.days}")
        if not self.scale > 0:
            raise ValueError(f"scale must be positive, got {self.scale}")
        for name in ("bad_line_rate", "duplicate_rate"):
            value = getattr(self, name)
            if not 0.0 <= value < 1.0:
                raise ValueError(f"{name} must be in [0, 1), got {value}")
        if self.files_per_day < 1:
            raise ValueError(f"files_per_day must be at least 1, got {self.files_per_day}")
        if self.chunk_size < 1:
            raise ValueError("chunk_size must be positive")

    # --- derived schedule ----------------------------------------------------
    @property
    def end(self) -> date:
        """The last simulated day (inclusive)."""
        return self.start + timedelta(days=self.days - 1)

    @property
    def day_list(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range(self.days)]

    @property
    def effective_release_day(self) -> date | None:
        if self.release_day is not None:
            return self.release_day
        offset = round(0.6 * self.days)
        return self.start + timedelta(days=offset) if offset < self.days else None

    @property
    def campaign_offsets(self) -> dict[str, int]:
        if self.campaign_start_offsets is not None:
            aggressive, distributed, reasoning = self.campaign_start_offsets
        else:
            aggressive = min(2, self.days // 4)
            distributed = min(7, self.days // 3)
            reasoning = min(self.days - 1, round(0.6 * self.days) + 1)
        return {
            CAMPAIGN_AGGRESSIVE: aggressive,
            CAMPAIGN_DISTRIBUTED: distributed,
            CAMPAIGN_REASONING: reasoning,
        }

    def campaign_start(self, campaign_id: str) -> date:
        return self.start + timedelta(days=self.campaign_offsets[campaign_id])

    @property
    def promotion_day(self) -> date:
        offset = (
            self.promotion_offset if self.promotion_offset is not None else round(0.4 * self.days)
        )
        return self.start + timedelta(days=min(offset, self.days - 1))

    @property
    def class_signup_day(self) -> date:
        offset = (
            self.class_signup_offset if self.class_signup_offset is not None else self.days // 5
        )
        return self.start + timedelta(days=min(offset, self.days - 1))

    def describe(self) -> dict[str, Any]:
        """JSON-ready description for the manifest."""
        described = asdict(self)
        described["start"] = self.start.isoformat()
        described["release_day"] = self.release_day.isoformat() if self.release_day else None
        described.pop("chunk_size")
        return described
