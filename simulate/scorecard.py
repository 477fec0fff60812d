"""The detection scorecard: what the whole flag rule caught, against the simulator's truth.

The pipeline never reads the truth; this module does, after the fact, for the
evaluation command, the demo and the benchmarks. It judges **accounts over an
evaluation window**, the unit an analyst and an enforcement team act on:

- an account is *active* in the window when it has at least one scored row
  (a feature row of a day it sent a request) in the window, and *flagged* when
  the flag rule flagged it on at least one of those days;
- **overall**: precision (flagged abusive / flagged), recall (flagged abusive /
  active abusive) and the legitimate false-positive rate (flagged legitimate /
  active legitimate), of the whole rule (model and evidence together) over all
  traffic, not only labeled rows;
- **per tactic** (the campaign's tactic in the truth): recall, and how fast: for
  accounts whose first activity of the whole run falls inside the window, the
  days from that first activity to their first flag (``latency``; an account
  never flagged has none, and counts as not caught within any number of days);
  and for a campaign whose very first activity falls in the window, the days from
  it to the campaign's first flagged account;
- **per population** (every truth population, legitimate ones being the
  look-alikes): active accounts, flagged, and the flag rate (a false-positive rate
  for legitimate populations).

Inputs are plain frames, so the arithmetic is testable on a hand-made table:
``flags`` holds ``account_id, dt, flagged`` (one row per scored account-day; more
columns are ignored) and ``truth`` is ``simulate.truth.load_truth``'s frame.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

import pandas as pd

WITHIN_DAYS = 1  # "flagged within one day of first activity" (issue 25's bar)


@dataclass(frozen=True)
class TacticRow:
    tactic: str
    campaigns: int
    active: int
    flagged: int
    recall: float
    new_accounts: int  # first active inside the window: the accounts latency is judged on
    flagged_within_1d: float  # share of new accounts flagged within WITHIN_DAYS of first activity
    latency_p50_days: float | None  # over new accounts; None when fewer than half are ever flagged
    latency_p90_days: float | None
    # Campaigns whose very first activity falls in the window, and the slowest one's days from
    # that first activity to its first flagged account (None when none started in the window,
    # or when one of them was never flagged: see campaigns_never_flagged).
    campaigns_started_in_window: int
    campaigns_never_flagged: int
    campaign_latency_days: float | None
    labels_left_out: bool = False


@dataclass(frozen=True)
class PopulationRow:
    population: str
    abusive: bool
    active: int
    flagged: int
    rate: float


@dataclass(frozen=True)
class Scorecard:
    window_start: date
    window_end: date
    active_accounts: int
    flagged_accounts: int
    precision: float
    recall: float
    legit_false_positive_rate: float
    tactics: list[TacticRow] = field(default_factory=list)
    populations: list[PopulationRow] = field(default_factory=list)
    left_out: str | None = None  # the tactic whose labels training did not see

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["window_start"] = self.window_start.isoformat()
        out["window_end"] = self.window_end.isoformat()
        return _finite(out)

    @property
    def worst_legit_population_rate(self) -> float:
        rates = [row.rate for row in self.populations if not row.abusive and row.active]
        return max(rates, default=0.0)


def _finite(value: Any) -> Any:
    """NaN and infinities as None, recursively (JSON has neither)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


def _ratio(numerator: int, denominator: int) -> float:
    return numerator / denominator if denominator else float("nan")


def _quantile_days(latencies: pd.Series, q: float) -> float | None:
    """The q-quantile of latencies where never-flagged accounts are +inf; None if it is inf."""
    if latencies.empty:
        return None
    value = float(latencies.fillna(math.inf).quantile(q, interpolation="higher"))
    return None if math.isinf(value) else value


def _as_day(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values, errors="coerce").dt.date


def account_outcomes(flags: pd.DataFrame, truth: pd.DataFrame) -> pd.DataFrame:
    """One row per active account: truth columns, ``flagged``, ``first_flag``.

    ``first_flag`` is the first day in ``flags`` the account was flagged (NaT-like
    None when never).
    """
    if flags.empty:
        columns = ["account_id", "flagged", "first_flag", "population", "campaign_id", "tactic"]
        return pd.DataFrame(columns=columns)
    rows = flags[["account_id", "dt", "flagged"]].copy()
    rows["dt"] = _as_day(rows["dt"])
    rows["flagged"] = rows["flagged"].astype(bool)
    flagged_days = rows[rows["flagged"]].groupby("account_id")["dt"].min().rename("first_flag")
    per_account = rows.groupby("account_id", as_index=False)["flagged"].max()
    per_account = per_account.merge(flagged_days, on="account_id", how="left")
    known = truth.copy()
    if "tactic" not in known:
        known["tactic"] = known.get("campaign_id")
    known["tactic"] = known["tactic"].where(known["tactic"].notna(), known.get("campaign_id"))
    if "first_active_on" in known:
        known["first_active_on"] = _as_day(known["first_active_on"])
    else:
        known["first_active_on"] = None
    outcomes = per_account.merge(known, on="account_id", how="left")
    missing = outcomes["population"].isna()
    if missing.any():
        # Flags of accounts the truth does not know are a bug in the caller, not a legit user.
        raise ValueError(
            f"{int(missing.sum())} flagged or scored account(s) are not in the truth, "
            f"e.g. {outcomes.loc[missing, 'account_id'].iloc[0]!r}"
        )
    outcomes["abusive"] = outcomes["campaign_id"].notna()
    return outcomes


def scorecard(
    flags: pd.DataFrame,
    truth: pd.DataFrame,
    window_start: date,
    window_end: date,
    left_out: str | None = None,
) -> Scorecard:
    """Judge the flags of ``window_start..window_end`` against ``truth`` (see the module doc)."""
    in_window = flags[(_as_day(flags["dt"]) >= window_start) & (_as_day(flags["dt"]) <= window_end)]
    outcomes = account_outcomes(in_window, truth)
    abusive = outcomes[outcomes["abusive"]] if len(outcomes) else outcomes
    legit = outcomes[~outcomes["abusive"]] if len(outcomes) else outcomes
    flagged = int(outcomes["flagged"].sum()) if len(outcomes) else 0
    true_flags = int(abusive["flagged"].sum()) if len(abusive) else 0
    false_flags = int(legit["flagged"].sum()) if len(legit) else 0

    tactics = []
    for tactic, group in abusive.groupby("tactic", sort=True):
        first_active = group["first_active_on"]
        new = group[first_active.notna() & (first_active >= window_start)]
        latency = pd.Series(
            [
                (flag - first).days if isinstance(flag, date) else math.nan
                for flag, first in zip(new["first_flag"], new["first_active_on"], strict=True)
            ],
            dtype="float64",
        )
        campaign_latencies = []
        for _, campaign in group.groupby("campaign_id"):
            started = campaign["first_active_on"].dropna()
            if started.empty or started.min() < window_start:
                continue
            first_flags = campaign["first_flag"].dropna()
            campaign_latencies.append(
                (first_flags.min() - started.min()).days if len(first_flags) else math.inf
            )
        tactics.append(
            TacticRow(
                tactic=str(tactic),
                campaigns=int(group["campaign_id"].nunique()),
                active=len(group),
                flagged=int(group["flagged"].sum()),
                recall=_ratio(int(group["flagged"].sum()), len(group)),
                new_accounts=len(new),
                flagged_within_1d=_ratio(int((latency <= WITHIN_DAYS).sum()), len(new)),
                latency_p50_days=_quantile_days(latency, 0.5),
                latency_p90_days=_quantile_days(latency, 0.9),
                campaigns_started_in_window=len(campaign_latencies),
                campaigns_never_flagged=sum(math.isinf(v) for v in campaign_latencies),
                campaign_latency_days=(
                    None
                    if not campaign_latencies or math.isinf(max(campaign_latencies))
                    else float(max(campaign_latencies))
                ),
                labels_left_out=tactic == left_out,
            )
        )

    populations = [
        PopulationRow(
            population=str(population),
            abusive=bool(group["abusive"].iloc[0]),
            active=len(group),
            flagged=int(group["flagged"].sum()),
            rate=_ratio(int(group["flagged"].sum()), len(group)),
        )
        for population, group in outcomes.groupby("population", sort=True)
    ]
    return Scorecard(
        window_start=window_start,
        window_end=window_end,
        active_accounts=len(outcomes),
        flagged_accounts=flagged,
        precision=_ratio(true_flags, flagged),
        recall=_ratio(true_flags, len(abusive)),
        legit_false_positive_rate=_ratio(false_flags, len(legit)),
        tactics=tactics,
        populations=populations,
        left_out=left_out,
    )


def _pct(value: float | None, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{100 * value:.{digits}f}%"


def _days(value: float | None) -> str:
    return "never" if value is None else f"{value:g}"


def _campaign_cell(row: TacticRow) -> str:
    if not row.campaigns_started_in_window:
        return "-"
    if row.campaigns_never_flagged:
        return f"never ({row.campaigns_never_flagged} of {row.campaigns_started_in_window})"
    return f"{_days(row.campaign_latency_days)} d"


def tactic_table(card: Scorecard) -> list[list[str]]:
    """Rows for a printed table: tactic, accounts, recall, within 1 day, p50/p90 days, campaign."""
    rows = [
        [
            row.tactic + (" (labels left out)" if row.labels_left_out else ""),
            str(row.active),
            _pct(row.recall),
            f"{_pct(row.flagged_within_1d)} of {row.new_accounts}",
            f"{_days(row.latency_p50_days)} / {_days(row.latency_p90_days)}",
            _campaign_cell(row),
        ]
        for row in card.tactics
    ]
    return rows


def population_table(card: Scorecard) -> list[list[str]]:
    """Rows for a printed table: population, abusive, active, flagged, rate."""
    return [
        [
            row.population,
            "yes" if row.abusive else "no",
            str(row.active),
            str(row.flagged),
            _pct(row.rate, 2),
        ]
        for row in card.populations
    ]


TACTIC_HEADER = (
    "tactic",
    "active",
    "recall",
    "new accounts flagged <= 1 d",
    "days to flag p50/p90",
    "campaign start to flag",
)
POPULATION_HEADER = ("population", "abusive", "active", "flagged", "flag rate")


def markdown(card: Scorecard, title: str = "") -> str:
    """The scorecard as Markdown tables (bench/README.md, reports)."""

    def table(header: tuple[str, ...], rows: list[list[str]]) -> str:
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(row) + " |" for row in rows]
        return "\n".join(lines)

    head = f"**{title}** " if title else ""
    summary = (
        f"{head}window {card.window_start}..{card.window_end}: precision "
        f"{_pct(card.precision, 2)}, recall {_pct(card.recall, 2)}, legitimate FPR "
        f"{_pct(card.legit_false_positive_rate, 3)} ({card.flagged_accounts} of "
        f"{card.active_accounts} active accounts flagged)"
    )
    return "\n\n".join(
        [
            summary,
            table(TACTIC_HEADER, tactic_table(card)),
            table(POPULATION_HEADER, population_table(card)),
        ]
    )


def group_figures(flags: pd.DataFrame, truth: pd.DataFrame) -> dict[str, Any]:
    """Flag rates per campaign or legitimate population, with precision and recall.

    ``flags``: ``account_id, flagged`` rows (one per account-day; an account counts
    as flagged if any of its days is); ``truth``: ``account_id, population,
    campaign_id`` (``simulate.truth.load_truth``). The demo's summary table.
    """
    per_account = flags.groupby("account_id", as_index=False)["flagged"].max()
    joined = per_account.merge(
        truth[["account_id", "population", "campaign_id"]], on="account_id", how="left"
    )
    joined["group"] = joined["campaign_id"].fillna(joined["population"]).fillna("unknown")
    joined["abusive"] = joined["campaign_id"].notna()
    by_group = (
        joined.groupby(["group", "abusive"], as_index=False)
        .agg(active=("account_id", "count"), flagged=("flagged", "sum"))
        .sort_values(["abusive", "group"], ascending=[False, True])
    )
    flagged = joined[joined["flagged"]]
    abusive = joined[joined["abusive"]]
    return {
        "groups": by_group.to_dict("records"),
        "precision": float(flagged["abusive"].mean()) if len(flagged) else 0.0,
        "recall": float(abusive["flagged"].mean()) if len(abusive) else 0.0,
        "flagged": int(len(flagged)),
    }
