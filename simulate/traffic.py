"""One day of requests: when each account calls (arrivals), then what each call looks like.

Arrivals are drawn per schedule with numpy: Poisson counts per account-day,
times from local hour-of-day profiles with human sessions, machine-regular
spacing for jobs, operator shifts (windows) shared by a campaign's accounts,
eval-harness bursts, a class's lab sessions, a promotion's wake-up. Request
attributes are then drawn a chunk at a time (bounded memory at any scale):
numeric fields vectorised, text from ``text``'s generators, addresses from the
address book. Everything comes from one generator per day, seeded from (seed,
day), so a day never depends on the days before it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date

import numpy as np

from simulate import accounts as A
from simulate import catalog, products, text
from simulate.accounts import DAY_MS, HOUR_MS, Directory
from simulate.campaigns import (
    BENCHMARK,
    CODE,
    CONTENT_STYLE,
    GRADING,
    REASONING,
    ROLEPLAY,
    SWEEP,
    TOOL_USE,
    CampaignPlan,
)
from simulate.config import RELEASE_PIVOT, SimulationConfig
from simulate.network import choose_option

MINUTE_MS = 60_000

# Relative request intensity by local hour of day (consumer apps' and workplaces' daily curves).
HOUR_PROFILES = np.array(
    [
        # HUMAN: evenings and late mornings, quiet at night
        [
            1.0,
            0.6,
            0.4,
            0.3,
            0.3,
            0.4,
            0.8,
            1.5,
            2.5,
            3.2,
            3.6,
            3.8,
            3.5,
            3.4,
            3.5,
            3.6,
            3.5,
            3.4,
            3.3,
            3.6,
            3.9,
            3.7,
            3.0,
            2.0,
        ],
        # BUSINESS: office hours with a lunch dip
        [
            0.2,
            0.1,
            0.1,
            0.1,
            0.1,
            0.2,
            0.5,
            1.5,
            3.5,
            5.0,
            5.2,
            5.0,
            3.8,
            4.6,
            5.0,
            4.8,
            4.2,
            3.0,
            1.5,
            0.8,
            0.5,
            0.4,
            0.3,
            0.2,
        ],
        # STUDENT: afternoons and late evenings
        [
            1.5,
            0.8,
            0.3,
            0.2,
            0.2,
            0.2,
            0.4,
            0.8,
            1.5,
            2.2,
            2.8,
            3.0,
            3.0,
            3.2,
            3.4,
            3.5,
            3.6,
            3.5,
            3.5,
            3.8,
            4.2,
            4.4,
            4.0,
            2.8,
        ],
        # CONSUMER: an app's users over the day
        [
            1.2,
            0.8,
            0.5,
            0.4,
            0.4,
            0.6,
            1.2,
            2.2,
            3.0,
            3.3,
            3.4,
            3.5,
            3.6,
            3.5,
            3.4,
            3.4,
            3.5,
            3.6,
            3.8,
            4.0,
            4.0,
            3.6,
            2.8,
            1.9,
        ],
        # GLOBAL: customers or workers in every time zone: flat with a shallow wave
        [
            3.2,
            2.8,
            2.5,
            2.4,
            2.4,
            2.6,
            3.2,
            4.2,
            5.0,
            5.3,
            5.4,
            5.5,
            5.6,
            5.5,
            5.4,
            5.4,
            5.5,
            5.6,
            5.8,
            6.0,
            6.0,
            5.6,
            4.8,
            3.9,
        ],
    ],
    dtype=np.float64,
)

# Answer styles decide output length: (median output tokens, lognormal sigma).
STYLE_OUTPUT = np.array(
    [(220, 0.8), (850, 0.45), (700, 0.35), (12, 0.6), (160, 0.5), (1150, 0.35), (600, 0.5)]
)
MAX_OUTPUT_TOKENS = 8192

# Status code mix: 200, 429, 400, 500, 529 (API status pages' typical error budgets).
STATUS_CODES = np.array([200, 429, 400, 500, 529])
LEGIT_STATUS = (0.975, 0.008, 0.010, 0.004, 0.003)
BUSY_STATUS = (0.95, 0.03, 0.01, 0.005, 0.005)  # heavy users hit rate limits more often
FREE_TIER_STATUS = (0.90, 0.08, 0.01, 0.005, 0.005)  # free-tier limits at machine pace
# Model preferences before the release: (large, small, legacy).
POPULATION_MODELS: dict[str, tuple[float, float, float]] = {
    A.INDIVIDUAL: (0.55, 0.40, 0.05),
    A.SAAS: (0.30, 0.65, 0.05),
    A.ENTERPRISE: (0.60, 0.35, 0.05),
    A.RESEARCHER: (0.70, 0.20, 0.10),
    A.TUTORING: (0.40, 0.60, 0.0),
    A.COHORT: (0.50, 0.50, 0.0),
    A.AGENCY: (0.45, 0.50, 0.05),
    A.OFFICE: (0.55, 0.40, 0.05),
    A.CARRIER: (0.45, 0.55, 0.0),
    A.OSS: (0.80, 0.20, 0.0),
    A.BATCH: (0.10, 0.85, 0.05),
    A.ADOPTER: (0.75, 0.25, 0.0),
    A.PROMO: (0.55, 0.45, 0.0),
}
# (time to first token median ms, ms per output token) by model.
MODEL_SPEED = np.array([(450, 22.0), (250, 9.0), (600, 30.0), (400, 18.0)])
NEW_MODEL = 3


@dataclass(frozen=True)
class DayContext:
    index: int  # days since the run's start
    day: date
    start_ms: int
    weekend: bool
    release_index: int | None
    # Per campaign: its operators' shifts of the day, (start ms, length ms), and its throughput.
    windows: tuple[tuple[tuple[int, int], ...], ...]
    campaign_factor: tuple[float, ...]


def day_context(
    config: SimulationConfig, directory: Directory, index: int, rng: np.random.Generator
) -> DayContext:
    day = config.day_list[index]
    release = config.effective_release_day
    windows = []
    factors = []
    for plan in directory.campaigns:
        # Shifts start between 08:00 and 22:00 at the operators' desks and last 30-150 min.
        local = rng.integers(8 * 60, 22 * 60, size=plan.windows)
        starts = np.sort((local - plan.operator_tz * 60) % 1440) * MINUTE_MS
        lengths = rng.integers(30, 151, size=plan.windows) * MINUTE_MS
        windows.append(tuple(zip(starts.tolist(), lengths.tolist(), strict=True)))
        # An operator's daily throughput varies (jobs, queue sizes, outages): +-25%.
        factors.append(float(rng.lognormal(0.0, 0.25)))
    return DayContext(
        index=index,
        day=day,
        start_ms=A.day_start_ms(day),
        weekend=day.weekday() >= 5,
        release_index=(release - config.start).days if release is not None else None,
        windows=tuple(windows),
        campaign_factor=tuple(factors),
    )


# --- arrivals -------------------------------------------------------------------------
def _hours(rng: np.random.Generator, profile: np.ndarray, n: int) -> np.ndarray:
    cdf = np.cumsum(profile) / profile.sum()
    return np.minimum(np.searchsorted(cdf, rng.random(n), side="right"), 23)


def _profile_times(
    rng: np.random.Generator, members: np.ndarray, counts: np.ndarray, tz: np.ndarray, profile: int
) -> tuple[np.ndarray, np.ndarray]:
    """Independent arrivals from a local-time hour profile (a non-homogeneous Poisson day)."""
    accounts = np.repeat(members, counts)
    local = _hours(rng, HOUR_PROFILES[profile], accounts.size)
    utc_hour = (local - np.repeat(tz, counts)) % 24
    return accounts, utc_hour * HOUR_MS + rng.integers(0, HOUR_MS, accounts.size)


def _session_times(
    rng: np.random.Generator,
    members: np.ndarray,
    counts: np.ndarray,
    tz: np.ndarray,
    profile: int,
    span_minutes: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Human use: a few sessions a day, requests clustered inside each session."""
    keep = counts > 0
    members, counts, tz = members[keep], counts[keep], tz[keep]
    sessions = np.minimum(1 + rng.poisson(0.7, members.size), counts)
    total = int(sessions.sum())
    local = _hours(rng, HOUR_PROFILES[profile], total)
    starts = ((local - np.repeat(tz, sessions)) % 24) * HOUR_MS + rng.integers(0, HOUR_MS, total)
    spans = rng.lognormal(np.log(span_minutes * MINUTE_MS), 0.8, total)
    first_session = np.cumsum(sessions) - sessions
    accounts = np.repeat(members, counts)
    chosen = np.repeat(first_session, counts) + (
        rng.random(accounts.size) * np.repeat(sessions, counts)
    ).astype(np.int64)
    times = starts[chosen] + (rng.random(accounts.size) * spans[chosen]).astype(np.int64)
    return accounts, times % DAY_MS


def _regular_times(
    rng: np.random.Generator,
    members: np.ndarray,
    counts: np.ndarray,
    starts: np.ndarray,
    lengths: np.ndarray,
    jitter: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Automation: requests evenly spaced over [start, start + length), slightly jittered."""
    accounts = np.repeat(members, counts)
    rank = np.arange(accounts.size) - np.repeat(np.cumsum(counts) - counts, counts)
    step = np.repeat(lengths / np.maximum(counts, 1), counts)
    offset = (rank + 0.5 + jitter * rng.standard_normal(accounts.size)) * step
    return accounts, (np.repeat(starts, counts) + offset.astype(np.int64)) % DAY_MS


def _eligible(directory: Directory, ctx: DayContext) -> np.ndarray:
    """Accounts that exist and may send on the day (woken, not banned or retired)."""
    end_ms = ctx.start_ms + DAY_MS
    keep = (
        (directory.created_ms < end_ms)
        & (directory.first_day <= ctx.index)
        & (directory.stop_day > ctx.index)
    )
    return np.flatnonzero(keep)


def _day_rates(
    directory: Directory, config: SimulationConfig, ctx: DayContext, members: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Each account's mean requests and chance of being active on the day."""
    rate = directory.rate[members].copy()
    active = directory.active_prob[members].copy()
    profile = directory.profile[members]
    schedule = directory.schedule[members]
    population = directory.population_codes[members]
    campaign = directory.campaign_index[members]
    human = np.isin(schedule, (A.SESSIONS, A.RESEARCH, A.CLASS, A.PROMO_WAKE))
    if ctx.weekend:
        # Offices are closed at weekends; people use chat a little more; backends dip.
        office = human & (profile == A.BUSINESS)
        active[office] *= 0.15
        rate[human & (profile == A.HUMAN)] *= 1.15
        rate[schedule == A.PROFILE] *= np.where(campaign[schedule == A.PROFILE] >= 0, 1.0, 0.8)
    is_campaign = campaign >= 0
    if is_campaign.any():
        factors = np.asarray(ctx.campaign_factor, dtype=np.float64)
        rate[is_campaign] *= factors[campaign[is_campaign]]
        # Warm-up: before extraction starts an account is used like anybody's (a few a day).
        warming = is_campaign & (directory.extract_day[members] > ctx.index)
        rate[warming] = np.minimum(rate[warming], 6.0)
    release = ctx.release_index
    if release is not None and ctx.index >= release:
        adopters = population == A.POPULATIONS.index(A.ADOPTER)
        # Release-day adopters try the new model hard for a few days.
        rate[adopters] *= 1.8 if ctx.index - release < 3 else 1.1
        active[adopters] = np.where(ctx.index - release < 2, 0.9, active[adopters])
        for plan in directory.campaigns:
            if plan.tactic == RELEASE_PIVOT:
                rate[campaign == plan.index] *= 1.6  # the network runs flat out on the new model
    return rate, active


def day_arrivals(
    directory: Directory, config: SimulationConfig, ctx: DayContext, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Every request of the day as (account index, ms since midnight UTC), in time order."""
    members = _eligible(directory, ctx)
    rate, active = _day_rates(directory, config, ctx, members)
    on = rng.random(members.size) < active
    counts = np.where(on, rng.poisson(rate), 0)
    tz = directory.tz[members]
    schedule = directory.schedule[members]
    profile = directory.profile[members]
    parts: list[tuple[np.ndarray, np.ndarray]] = []

    def pick(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return members[mask], counts[mask], tz[mask]

    for code in range(len(HOUR_PROFILES)):
        who, n, zone = pick((schedule == A.SESSIONS) & (profile == code))
        parts.append(_session_times(rng, who, n, zone, code, 20 if code != A.BUSINESS else 35))
        who, n, zone = pick((schedule == A.PROFILE) & (profile == code))
        parts.append(_profile_times(rng, who, n, zone, code))

    # Jobs: evenly spaced from a fixed local start minute for a fixed length.
    mask = schedule == A.REGULAR
    who, n, zone = pick(mask)
    starts = ((directory.param[who] - zone * 60) % 1440) * MINUTE_MS + rng.integers(
        0, 3 * MINUTE_MS, who.size
    )
    parts.append(_regular_times(rng, who, n, starts, directory.param2[who] * MINUTE_MS, 0.1))

    # Round-the-clock workers: each spreads its share over the whole day.
    who, n, _ = pick(schedule == A.FLAT)
    phase = rng.integers(0, DAY_MS, who.size)
    parts.append(_regular_times(rng, who, n, phase, np.full(who.size, DAY_MS), 0.3))

    # Operator shifts: a campaign's accounts send inside the shifts of the day.
    who, n, _ = pick(schedule == A.WINDOWS)
    accounts = np.repeat(who, n)
    if accounts.size:
        campaign = directory.campaign_index[accounts]
        times = np.empty(accounts.size, dtype=np.int64)
        for index, windows in enumerate(ctx.windows):
            mask = campaign == index
            if not mask.any():
                continue
            table = np.asarray(windows, dtype=np.int64)
            chosen = rng.integers(0, len(table), int(mask.sum()))
            times[mask] = table[chosen, 0] + (
                rng.random(int(mask.sum())) * table[chosen, 1]
            ).astype(np.int64)
        parts.append((accounts, times % DAY_MS))

    # Researchers: working sessions, and on some days a whole eval suite at the harness's pace.
    who, n, zone = pick(schedule == A.RESEARCH)
    parts.append(_session_times(rng, who, n, zone, A.BUSINESS, 30))
    burst = who[rng.random(who.size) < 0.2]
    burst_counts = (directory.param2[burst] * rng.uniform(0.8, 1.2, burst.size)).astype(np.int64)
    starts = (
        (_hours(rng, HOUR_PROFILES[A.BUSINESS], burst.size) - directory.tz[burst]) % 24
    ) * HOUR_MS
    lengths = rng.integers(40, 181, burst.size) * MINUTE_MS
    parts.append(_regular_times(rng, burst, burst_counts, starts, lengths, 0.4))

    parts.append(_class_arrivals(directory, config, ctx, rng, members[schedule == A.CLASS]))
    promo = schedule == A.PROMO_WAKE
    parts.append(_promo_arrivals(directory, ctx, rng, members[promo], tz[promo]))

    accounts = np.concatenate([p[0] for p in parts]).astype(np.int64)
    times = np.concatenate([p[1] for p in parts]).astype(np.int64)
    # Nobody calls before their account exists; nothing leaves the day.
    keep = (
        (times >= directory.created_ms[accounts] - ctx.start_ms) & (times >= 0) & (times < DAY_MS)
    )
    accounts, times = accounts[keep], times[keep]
    order = np.lexsort((accounts, times))
    return accounts[order], times[order]


def _class_arrivals(
    directory: Directory,
    config: SimulationConfig,
    ctx: DayContext,
    rng: np.random.Generator,
    members: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """A class: everyone in the lab on sign-up day and on the weekly lab day, homework between."""
    if members.size == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    signup = (config.class_signup_day - config.start).days
    since = ctx.index - signup
    tz = directory.tz[members]
    if since >= 0 and since % 7 == 0:
        # The lab session: 14:00-15:30 local; on sign-up day right after signing up.
        present = members[rng.random(members.size) < (1.0 if since == 0 else 0.8)]
        counts = rng.poisson(5.0, present.size) + 1
        if since == 0:
            starts = directory.created_ms[present] - ctx.start_ms + 2 * MINUTE_MS
        else:
            starts = ((14 - directory.tz[present]) % 24) * HOUR_MS + rng.integers(
                0, 10 * MINUTE_MS, present.size
            )
        return _regular_times(
            rng, present, counts, starts, np.full(present.size, 80 * MINUTE_MS), 0.6
        )
    # Homework: the evening before the lab is busier (deadlines).
    before_lab = since >= 0 and since % 7 == 6
    prob = 0.7 if before_lab else (0.25 if ctx.weekend else 0.4)
    on = rng.random(members.size) < prob
    counts = np.where(on, rng.poisson(directory.rate[members]), 0)
    return _session_times(rng, members, counts, tz, A.STUDENT, 30)


def _promo_arrivals(
    directory: Directory,
    ctx: DayContext,
    rng: np.random.Generator,
    members: np.ndarray,
    tz: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Dormant accounts woken by a promotion email sent at 15:00 UTC on the wake day."""
    if members.size == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    woke = directory.first_day[members]
    today = woke == ctx.index
    # On the day most recipients who click try it within hours; afterwards interest decays.
    wake_counts = np.where(
        rng.random(members.size) < 0.9, rng.poisson(directory.rate[members] * 1.5), 0
    )
    accounts = np.repeat(members[today], wake_counts[today])
    times = 15 * HOUR_MS + rng.exponential(2.5 * HOUR_MS, accounts.size).astype(np.int64)
    later = ~today
    decay = 0.15 + 0.3 * np.exp(-(ctx.index - woke[later]) / 10)
    on = rng.random(int(later.sum())) < decay
    later_counts = np.where(on, rng.poisson(directory.rate[members[later]]), 0)
    more = _session_times(rng, members[later], later_counts, tz[later], A.HUMAN, 20)
    return np.concatenate([accounts, more[0]]), np.concatenate([times, more[1]])


# --- request attributes -------------------------------------------------------------------
@dataclass
class RequestChunk:
    """Fields of a run of consecutive requests, ready to render as JSON lines."""

    account: np.ndarray
    ts_ms: np.ndarray
    request_id: list[str]
    api_key_id: list[str]
    ip: list[str]
    asn: list[int | None]
    country: list[str | None]
    user_agent: list[str | None]
    model: list[str]
    input_tokens: np.ndarray
    output_tokens: np.ndarray
    latency_ms: np.ndarray
    status: np.ndarray
    stream: list[bool]
    region: list[str]
    system_prompt: list[str | None]
    prompt: list[str]


def _campaign_text(
    account: A.Account, plan: CampaignPlan, ctx: DayContext, r: random.Random, bank: text.TextBank
) -> tuple[str | None, str, int]:
    profile = plan.profile
    if ctx.index < account.extract_day or r.random() < profile.ordinary_share:
        prompt, style = text.user_prompt(
            r, bank, account.language, non_english_share=account.non_english_share, code_bias=0.2
        )
        return None, prompt, style
    if profile.system_policy == "orca" and plan.system_variants:
        system = r.choice(plan.system_variants) if r.random() < profile.system_share else None
    else:
        system = account.system_prompt if r.random() < account.system_prompt_share else None
    kind = plan.content_kind(r.random())
    voice = plan.voice
    if kind == REASONING:
        prompt = text.reasoning_request(r, bank, voice)
    elif kind == GRADING:
        judge_system, prompt = text.grading_request(r, bank, voice)
        system = judge_system or system
    elif kind == SWEEP:
        prompt = text.sweep_request(r, bank, voice)
    elif kind == CODE:
        prompt = text.code_request(r, bank, voice)
    elif kind == TOOL_USE:
        prompt = text.plain_request(r, voice, bank.tool_use)
    elif kind == ROLEPLAY:
        prompt = text.plain_request(r, voice, bank.roleplay)
    elif kind == BENCHMARK:
        prompt = text.plain_request(r, voice, bank.benchmark or bank.reasoning)
    else:  # ORDINARY
        prompt, _ = text.user_prompt(r, bank, "en", non_english_share=0.0)
    return system, prompt, CONTENT_STYLE.get(kind, text.CHAT)


def _texts(
    account: A.Account, directory: Directory, ctx: DayContext, r: random.Random, bank: text.TextBank
) -> tuple[str | None, str, int]:
    """(system prompt, prompt, answer style) of one request from ``account``."""
    content = account.content
    if content == A.C_CAMPAIGN:
        return _campaign_text(account, directory.campaigns[account.campaign], ctx, r, bank)
    system = account.system_prompt if r.random() < account.system_prompt_share else None
    if content in (A.C_USER, A.C_ENTERPRISE, A.C_OSS):
        prompt, style = text.user_prompt(
            r,
            bank,
            account.language,
            non_english_share=account.non_english_share,
            code_bias=account.code_bias,
        )
        return system, prompt, style
    if content == A.C_SAAS:
        product = products.SAAS_PRODUCTS[account.variant % len(products.SAAS_PRODUCTS)]
        prompt, style = text.product_request(r, bank, product, account.language)
        return system, prompt, style
    if content == A.C_TUTOR:
        native = account.language if r.random() < account.non_english_share else "en"
        return system, text.homework_question(r, bank, native), text.COT
    if content == A.C_BATCH:
        job = products.BATCH_JOBS[account.variant % len(products.BATCH_JOBS)]
        return None, text.batch_request(r, bank, job), text.SHORT
    if content == A.C_RESEARCH:
        roll = r.random()
        if roll < 0.2:
            prompt, style = text.user_prompt(r, bank, "en", non_english_share=0.0, code_bias=0.4)
            return system, prompt, style
        if roll < 0.45 and bank.judge_prompts:
            # The group's judge: one of the public judge templates, always the same one.
            judge = bank.judge_prompts[account.variant % len(bank.judge_prompts)]
            judge_system, prompt = text.judge_request(r, bank, judge, bank.grading_legit)
            return judge_system, prompt, text.GRADER
        items = bank.benchmark + bank.reasoning_legit if r.random() < 0.3 else bank.reasoning_legit
        return system, text.eval_item(r, bank, account.variant, items), text.COT
    # C_CLASS: the assignment's few items, each student in their own words.
    rng = random.Random(account.variant)
    assignment = [rng.choice(bank.reasoning_legit) for _ in range(4)] + [
        rng.choice(bank.user_code or bank.user_pool("en")) for _ in range(2)
    ]
    item = r.choice(assignment)
    if r.random() < 0.3:
        prompt, style = text.user_prompt(
            r, bank, account.language, non_english_share=account.non_english_share
        )
        return None, prompt, style
    return None, text.humanize(r, item), text.CHAT


def _new_model_share(directory: Directory, account: A.Account, ctx: DayContext, hour: int) -> float:
    release = ctx.release_index
    if release is None or ctx.index < release:
        return 0.0
    since = ctx.index - release
    hours = since * 24 + hour
    if account.campaign >= 0:
        switch_hours, share, ramp_days = directory.campaigns[account.campaign].profile.chase
        if hours < switch_hours:
            return 0.0
        if ramp_days <= 0:
            return share
        return share * min(1.0, (hours - switch_hours) / (24 * ramp_days) + 0.2)
    if account.population == A.ADOPTER:
        return 0.7 if hours >= 2 else 0.0  # developers read the announcement and switch
    # Everybody else adopts slowly: a few per cent on day one, rising over weeks.
    return min(0.45, 0.03 + 0.04 * since)


def _model_prefs(directory: Directory, account: A.Account) -> tuple[float, float, float]:
    if account.campaign >= 0:
        large = directory.campaigns[account.campaign].profile.large_model_share
        return (large, 1.0 - large, 0.0)
    return POPULATION_MODELS[account.population]


def _status_mix(directory: Directory, account: A.Account) -> tuple[float, ...]:
    if account.campaign >= 0:
        return FREE_TIER_STATUS if account.tier == "free" and account.rate > 20 else BUSY_STATUS
    if account.population in (A.RESEARCHER, A.AGENCY, A.SAAS):
        return BUSY_STATUS
    return LEGIT_STATUS


def _estimate_tokens(prompt: str, system: str | None) -> float:
    """~3.8 characters a token for Latin text; CJK and Cyrillic cost more tokens per character."""
    total = 0.0
    for part in (prompt, system):
        if part:
            chars = len(part)
            extra = len(part.encode("utf-8")) - chars  # 1 per 2-byte, 2 per 3-byte character
            total += chars / 3.8 + extra * 0.4
    return total


def request_chunk(
    directory: Directory,
    ctx: DayContext,
    accounts: np.ndarray,
    times: np.ndarray,
    rng: np.random.Generator,
    bank: text.TextBank,
) -> RequestChunk:
    """Draw every field of the requests (accounts[i] at times[i]) of one chunk."""
    n = accounts.size
    r = random.Random(int(rng.integers(2**62)))

    # Numeric draws, vectorised for the whole chunk in a fixed order.
    u_egress, u_agent, u_key, u_geo, u_stream = rng.random((5, n)).tolist()
    u_model, u_model_kind, u_status = rng.random((3, n)).tolist()
    z_out, z_in, z_ttft, z_tok, z_hist = rng.standard_normal((5, n))
    u_hist = rng.random(n)
    id_hi = rng.integers(0, 2**62, n).tolist()
    id_lo = rng.integers(0, 2**30, n).tolist()

    book = directory.addresses
    rows = directory.accounts
    hour_list = (times // HOUR_MS).tolist()
    model = np.empty(n, dtype=np.int64)
    status = np.empty(n, dtype=np.int64)
    styles = np.empty(n, dtype=np.int64)
    system_prompts: list[str | None] = [None] * n
    prompts: list[str] = [""] * n
    ips: list[str] = [""] * n
    asns: list[int | None] = [None] * n
    countries: list[str | None] = [None] * n
    user_agents: list[str | None] = [None] * n
    keys: list[str] = [""] * n
    stream: list[bool] = [False] * n
    for i, a in enumerate(accounts.tolist()):
        account = rows[a]
        hour = hour_list[i]
        system_prompt, prompt, styles[i] = _texts(account, directory, ctx, r, bank)
        # The producer truncates what it logs (CONTRACT section 2).
        prompts[i] = text.clip_prompt(prompt)
        system_prompts[i] = text.clip_system_prompt(system_prompt) if system_prompt else None

        option = choose_option(account.egress, u_egress[i])
        ip, asn, country = book.resolve(option, account.key, ctx.index, hour, r)
        ips[i] = ip
        # GeoIP misses: a small share of addresses resolve to no ASN or country.
        if u_geo[i] < 0.006:
            asns[i], countries[i] = None, None
        elif u_geo[i] < 0.009:
            asns[i], countries[i] = asn, None
        else:
            asns[i], countries[i] = asn, country

        agent = account.agents[int(u_agent[i] * len(account.agents))]
        user_agents[i] = agent
        if account.key_days:
            live = [
                k
                for k, (first, last) in zip(account.keys, account.key_days, strict=True)
                if first <= ctx.index <= last
            ] or account.keys
            keys[i] = live[int(u_key[i] * len(live))]
        else:
            keys[i] = account.keys[int(u_key[i] * len(account.keys))]
        kind = catalog.USER_AGENT_KINDS.get(agent or "", "http_client")
        chance = {"browser": 1.0, "official_sdk": 0.5, "app": 0.7}.get(kind, 0.1)
        stream[i] = bool(styles[i] != text.SHORT) and u_stream[i] < chance

        large, small, _ = _model_prefs(directory, account)
        if u_model[i] < _new_model_share(directory, account, ctx, hour):
            model[i] = NEW_MODEL
        else:
            kind_u = u_model_kind[i]
            model[i] = 0 if kind_u < large else (1 if kind_u < large + small else 2)
        mix = _status_mix(directory, account)
        edge = 0.0
        status_index = len(mix) - 1
        for index, share in enumerate(mix):
            edge += share
            if u_status[i] < edge:
                status_index = index
                break
        status[i] = status_index

    # Token counts: input from the text plus, for chats, the earlier turns of the conversation;
    # output lognormal by answer style.
    estimate = np.fromiter(
        (_estimate_tokens(p, s) for p, s in zip(prompts, system_prompts, strict=True)),
        dtype=np.float64,
        count=n,
    )
    history = np.where((styles == text.CHAT) & (u_hist < 0.35), np.exp(np.log(500) + z_hist), 0.0)
    input_tokens = np.maximum(1, np.round(estimate * np.exp(0.05 * z_in) + history)).astype(
        np.int64
    )
    median, sigma = STYLE_OUTPUT[styles, 0], STYLE_OUTPUT[styles, 1]
    output_tokens = np.clip(np.round(median * np.exp(sigma * z_out)), 1, MAX_OUTPUT_TOKENS).astype(
        np.int64
    )
    speed = MODEL_SPEED[model]
    latency = speed[:, 0] * np.exp(0.35 * z_ttft) + output_tokens * speed[:, 1] * np.exp(
        0.15 * z_tok
    )

    code = STATUS_CODES[status]
    failed = code != 200
    output_tokens[failed] = 0
    input_tokens[code == 429] = 0  # rejected before the request was read
    latency = np.where(code == 429, 3 + 40 * np.abs(z_tok), latency)
    latency = np.where(code == 400, 15 + 60 * np.abs(z_tok), latency)
    latency = np.where(code == 500, 2000 * np.exp(0.8 * z_tok), latency)
    latency = np.where(code == 529, 800 * np.exp(0.6 * z_tok), latency)

    return RequestChunk(
        account=accounts,
        ts_ms=times,
        request_id=[f"req_{hi:016x}{lo:08x}" for hi, lo in zip(id_hi, id_lo, strict=True)],
        api_key_id=keys,
        ip=ips,
        asn=asns,
        country=countries,
        user_agent=user_agents,
        model=[catalog.MODELS[m] for m in model.tolist()],
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        latency_ms=np.round(latency).astype(np.int64),
        status=code,
        stream=stream,
        region=[
            catalog.COUNTRIES[c].region if c in catalog.COUNTRIES else "us-east-1"
            for c in countries
        ],
        system_prompt=system_prompts,
        prompt=prompts,
    )
