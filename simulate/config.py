"""What a simulation run produces: the range, the seed, the scale, the campaigns and the schedule.

``SimulationConfig`` is the one parameter object of the simulator and
``CampaignSpec`` describes one campaign: its tactic (``TACTICS``), when it
starts, how big its fleet is and whether enforcement ever labels it.
Everything not given has a default derived from the range, so
``SimulationConfig(start, days)`` gives the standard scenario: one campaign
per tactic, named after it and sized by ``scale``, starting at staggered
days; a model released at ~60% of the range that ``release_pivot`` (and,
more slowly, the others) chase; a promotion email and a class sign-up day for
the legitimate look-alikes.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from pathlib import Path
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

AGGRESSIVE_SWEEP = "aggressive_sweep"
LOW_AND_SLOW = "low_and_slow"
MIXED_TRAFFIC = "mixed_traffic"
PARAPHRASED_MULTILINGUAL = "paraphrased_multilingual"
WARMED_UP = "warmed_up"
UNIQUE_CARDS = "unique_cards"
RESIDENTIAL_ROTATION = "residential_rotation"
ORG_MANY_KEYS = "org_many_keys"
RELEASE_PIVOT = "release_pivot"
PROXY_NETWORK = "proxy_network"
TACTICS: tuple[str, ...] = (
    AGGRESSIVE_SWEEP,
    LOW_AND_SLOW,
    MIXED_TRAFFIC,
    PARAPHRASED_MULTILINGUAL,
    WARMED_UP,
    UNIQUE_CARDS,
    RESIDENTIAL_ROTATION,
    ORG_MANY_KEYS,
    RELEASE_PIVOT,
    PROXY_NETWORK,
)
# The default scenario runs one campaign per tactic, named after it.
CAMPAIGNS: tuple[str, ...] = TACTICS

# Where in the range each default campaign starts (share of the days; release_pivot is placed
# relative to the release instead). Staggered like independent operators; the choice of day
# is a scenario, not a detector setting.
DEFAULT_START_SHARE: dict[str, float] = {
    AGGRESSIVE_SWEEP: 0.07,
    LOW_AND_SLOW: 0.14,
    MIXED_TRAFFIC: 0.1,
    PARAPHRASED_MULTILINGUAL: 0.25,
    WARMED_UP: 0.04,
    UNIQUE_CARDS: 0.18,
    RESIDENTIAL_ROTATION: 0.3,
    ORG_MANY_KEYS: 0.12,
    PROXY_NETWORK: 0.05,
}


@dataclass(frozen=True)
class CampaignSpec:
    """One campaign: a tactic and the options an operator chooses; None takes the tactic's
    default (``simulate.campaigns.TACTIC_PROFILES``)."""

    campaign_id: str
    tactic: str
    start_offset: int | None = None  # days after the run's start (may be negative: already on)
    accounts: int | None = None  # fleet size at scale 1: accounts the operator keeps running
    requests_per_account_day: float | None = None  # median of an active account's day
    labelled: bool | None = None  # whether enforcement ever catches (and labels) accounts
    non_english_share: float | None = None
    description: str | None = None

    def __post_init__(self) -> None:
        if self.tactic not in TACTICS:
            raise ValueError(f"unknown tactic {self.tactic!r}; expected one of {TACTICS}")
        if not self.campaign_id:
            raise ValueError("campaign_id must not be empty")
        if self.accounts is not None and self.accounts < 1:
            raise ValueError(f"accounts must be at least 1, got {self.accounts}")
        if self.requests_per_account_day is not None and not self.requests_per_account_day > 0:
            raise ValueError("requests_per_account_day must be positive")
        if self.non_english_share is not None and not 0.0 <= self.non_english_share <= 1.0:
            raise ValueError(f"non_english_share must be in [0, 1], got {self.non_english_share}")


def default_campaigns() -> tuple[CampaignSpec, ...]:
    return tuple(CampaignSpec(campaign_id=tactic, tactic=tactic) for tactic in TACTICS)


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
    campaigns: tuple[CampaignSpec, ...] = field(default_factory=default_campaigns)
    # Legacy override: start offsets of the first campaigns, in order (None: their own).
    campaign_start_offsets: tuple[int, ...] | None = None
    promotion_offset: int | None = None  # the day dormant accounts are woken by a promotion
    class_signup_offset: int | None = None  # the day a university class signs up together
    # A full corpora folder (tests, benchmarks); None or a missing folder: the packaged subset.
    corpus_dir: Path | None = None
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
        object.__setattr__(self, "campaigns", tuple(self.campaigns))
        ids = [spec.campaign_id for spec in self.campaigns]
        if len(set(ids)) != len(ids):
            raise ValueError(f"campaign ids must be unique, got {ids}")
        if self.campaign_start_offsets is not None and len(self.campaign_start_offsets) > len(
            self.campaigns
        ):
            raise ValueError("campaign_start_offsets has more entries than there are campaigns")
        if self.corpus_dir is not None and not isinstance(self.corpus_dir, Path):
            object.__setattr__(self, "corpus_dir", Path(self.corpus_dir))

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
    def release_offset(self) -> int | None:
        release = self.effective_release_day
        return None if release is None else (release - self.start).days

    @property
    def campaign_ids(self) -> tuple[str, ...]:
        return tuple(spec.campaign_id for spec in self.campaigns)

    def campaign_spec(self, campaign_id: str) -> CampaignSpec:
        for spec in self.campaigns:
            if spec.campaign_id == campaign_id:
                return spec
        raise KeyError(campaign_id)

    @property
    def campaign_offsets(self) -> dict[str, int]:
        """Day offset from ``start`` at which each campaign starts."""
        offsets = {}
        legacy = self.campaign_start_offsets or ()
        for index, spec in enumerate(self.campaigns):
            if index < len(legacy):
                offsets[spec.campaign_id] = legacy[index]
            elif spec.start_offset is not None:
                offsets[spec.campaign_id] = spec.start_offset
            elif spec.tactic == RELEASE_PIVOT:
                # The network is busy on the old models for a while before the release.
                release = self.release_offset
                base = self.days if release is None else release
                offsets[spec.campaign_id] = max(0, base - max(2, round(0.25 * self.days)))
            else:
                offsets[spec.campaign_id] = round(DEFAULT_START_SHARE[spec.tactic] * self.days)
        return offsets

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
        described["corpus_dir"] = str(self.corpus_dir) if self.corpus_dir else None
        described["campaign_start_offsets"] = (
            list(self.campaign_start_offsets) if self.campaign_start_offsets else None
        )
        described.pop("chunk_size")
        return described
