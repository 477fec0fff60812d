"""One day of requests: when each account calls (arrivals), then what each call looks like.

Arrivals are drawn per population with numpy: Poisson counts per account-day,
times from local hour-of-day profiles with human sessions, machine-regular
spacing for automation, shared operator windows for the distributed campaign.
Request attributes are then drawn a chunk at a time (bounded memory at any
scale): numeric fields vectorised, text from the generators in ``text``.
Everything comes from one generator per day, seeded from (seed, day), so a day
never depends on the days before it.
"""

from __future__ import annotations

import ipaddress
import random
from dataclasses import dataclass
from datetime import date

import numpy as np

from simulate import accounts as A
from simulate import catalog, text
from simulate.accounts import DAY_MS, HOUR_MS, Directory
from simulate.config import (
    CAMPAIGN_AGGRESSIVE,
    SimulationConfig,
)

MINUTE_MS = 60_000

# Relative request intensity by local hour of day.
HUMAN_HOURS = np.array(
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
    ]
)
BUSINESS_HOURS = np.array(
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
        5,
        5.2,
        5,
        3.8,
        4.6,
        5,
        4.8,
        4.2,
        3,
        1.5,
        0.8,
        0.5,
        0.4,
        0.3,
        0.2,
    ]
)
CONSUMER_HOURS = np.array(
    [
        1.2,
        0.8,
        0.5,
        0.4,
        0.4,
        0.6,
        1.2,
        2.2,
        3,
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
        4,
        4,
        3.6,
        2.8,
        1.9,
    ]
)
STUDENT_HOURS = np.array(
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
        3,
        3,
        3.2,
        3.4,
        3.5,
        3.6,
        3.5,
        3.5,
        3.8,
        4.2,
        4.4,
        4,
        2.8,
    ]
)
GLOBAL_HOURS = 2.0 + CONSUMER_HOURS  # a reseller's customers span time zones: flatter
OPERATOR_HOURS = np.array([1.0] * 15 + [0.5] * 9)  # the reasoning campaign's scripts, UTC

# Answer styles decide output length: (median output tokens, lognormal sigma).
CHAT, COT, GRADER, SHORT, DOC, LONG = range(6)
STYLE_OUTPUT = np.array([(220, 0.8), (850, 0.45), (700, 0.35), (12, 0.6), (160, 0.5), (1150, 0.35)])
MAX_OUTPUT_TOKENS = 8192

# Status code mix by population: 200, 429, 400, 500, 529.
STATUS_CODES = np.array([200, 429, 400, 500, 529])
_LEGIT_STATUS = (0.975, 0.008, 0.010, 0.004, 0.003)
POPULATION_STATUS: dict[str, tuple[float, ...]] = {
    **dict.fromkeys(A.POPULATIONS, _LEGIT_STATUS),
    A.RESELLER: (0.95, 0.03, 0.01, 0.005, 0.005),
    A.RESEARCHER: (0.955, 0.03, 0.005, 0.005, 0.005),
    A.AGGRESSIVE: (0.90, 0.08, 0.01, 0.005, 0.005),
}
# Model preferences before the release: (large, small, legacy).
POPULATION_MODELS: dict[str, tuple[float, float, float]] = {
    A.HOBBYIST: (0.55, 0.40, 0.05),
    A.SAAS: (0.30, 0.65, 0.05),
    A.ENTERPRISE: (0.60, 0.35, 0.05),
    A.RESEARCHER: (0.70, 0.20, 0.10),
    A.NIGHT_BATCH: (0.10, 0.85, 0.05),
    A.RESELLER: (0.50, 0.45, 0.05),
    A.CLASS: (0.50, 0.50, 0.0),
    A.PROMOTION: (0.55, 0.45, 0.0),
    A.AGGRESSIVE: (0.95, 0.05, 0.0),
    A.DISTRIBUTED: (0.80, 0.20, 0.0),
    A.REASONING: (0.95, 0.05, 0.0),
}
MODELS = (catalog.MODEL_LARGE, catalog.MODEL_SMALL, catalog.MODEL_LEGACY, catalog.MODEL_NEW)
# (time to first token median ms, ms per output token) by model.
MODEL_SPEED = np.array([(450, 22.0), (250, 9.0), (600, 30.0), (400, 18.0)])
# Campaigns chase a new model: hour of the release day from which they move most traffic.
CAMPAIGN_SWITCH_HOUR = {A.AGGRESSIVE: 2, A.DISTRIBUTED: 3, A.REASONING: 4}
CAMPAIGN_NEW_MODEL_SHARE = 0.85


@dataclass(frozen=True)
class DayContext:
    index: int  # days since the run's start
    day: date
    start_ms: int
    weekend: bool
    release_index: int | None
    operator_windows: tuple[tuple[int, int], ...]  # distributed campaign: (start ms, length ms)


def day_context(config: SimulationConfig, index: int, rng: np.random.Generator) -> DayContext:
    day = config.day_list[index]
    release = config.effective_release_day
    # The distributed campaign's operators work in three shared windows a day.
    starts = np.sort(rng.integers(6 * 60, 22 * 60, size=3)) * MINUTE_MS
    lengths = rng.integers(20, 46, size=3) * MINUTE_MS
    return DayContext(
        index=index,
        day=day,
        start_ms=A.day_start_ms(day),
        weekend=day.weekday() >= 5,
        release_index=(release - config.start).days if release is not None else None,
        operator_windows=tuple(zip(starts.tolist(), lengths.tolist(), strict=True)),
    )


# --- arrivals -------------------------------------------------------------------------
def _hours(rng: np.random.Generator, profile: np.ndarray, n: int) -> np.ndarray:
    cdf = np.cumsum(profile) / profile.sum()
    return np.minimum(np.searchsorted(cdf, rng.random(n), side="right"), 23)


def _profile_times(
    rng: np.random.Generator,
    members: np.ndarray,
    counts: np.ndarray,
    tz: np.ndarray,
    profile: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Independent arrivals from a local-time hour profile (a non-homogeneous Poisson day)."""
    accounts = np.repeat(members, counts)
    local = _hours(rng, profile, accounts.size)
    utc_hour = (local - np.repeat(tz, counts)) % 24
    return accounts, utc_hour * HOUR_MS + rng.integers(0, HOUR_MS, accounts.size)


def _session_times(
    rng: np.random.Generator,
    members: np.ndarray,
    counts: np.ndarray,
    tz: np.ndarray,
    profile: np.ndarray,
    span_minutes: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Human use: a few sessions a day, requests clustered inside each session."""
    keep = counts > 0
    members, counts, tz = members[keep], counts[keep], tz[keep]
    sessions = np.minimum(1 + rng.poisson(0.7, members.size), counts)
    total = int(sessions.sum())
    local = _hours(rng, profile, total)
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


def _eligible(directory: Directory, population: str, ctx: DayContext) -> np.ndarray:
    members = directory.members(population)
    end_ms = ctx.start_ms + DAY_MS
    keep = (
        (directory.created_ms[members] < end_ms)
        & (directory.banned_day[members] > ctx.index)
        & (directory.woke_day[members] <= ctx.index)
    )
    return members[keep]


def _campaign_counts(
    rng: np.random.Generator,
    directory: Directory,
    members: np.ndarray,
    population: str,
    scale: float,
) -> np.ndarray:
    """A campaign's daily volume, load-balanced over its accounts (slightly uneven)."""
    if members.size == 0:
        return np.zeros(0, dtype=np.int64)
    volume = A.CAMPAIGN_DAILY_REQUESTS[population] * scale * rng.uniform(0.9, 1.1)
    weights = rng.lognormal(0.0, 0.15, members.size)
    return rng.poisson(volume * weights / weights.sum())


def day_arrivals(
    directory: Directory, config: SimulationConfig, ctx: DayContext, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Every request of the day as (account index, ms since midnight UTC), in time order."""
    parts: list[tuple[np.ndarray, np.ndarray]] = []
    tz, rate, active = directory.tz, directory.rate, directory.active_prob

    def active_counts(
        members: np.ndarray, prob: np.ndarray | float, mean: np.ndarray
    ) -> np.ndarray:
        on = rng.random(members.size) < prob
        return np.where(on, rng.poisson(mean), 0)

    members = _eligible(directory, A.HOBBYIST, ctx)
    counts = active_counts(members, active[members], rate[members] * (1.15 if ctx.weekend else 1.0))
    parts.append(_session_times(rng, members, counts, tz[members], HUMAN_HOURS, 20))

    members = _eligible(directory, A.SAAS, ctx)
    counts = rng.poisson(rate[members] * (0.8 if ctx.weekend else 1.0))
    parts.append(_profile_times(rng, members, counts, tz[members], CONSUMER_HOURS))

    members = _eligible(directory, A.ENTERPRISE, ctx)
    counts = active_counts(members, 0.08 if ctx.weekend else active[members], rate[members])
    parts.append(_session_times(rng, members, counts, tz[members], BUSINESS_HOURS, 30))

    members = _eligible(directory, A.RESEARCHER, ctx)
    counts = active_counts(members, active[members], rate[members])
    parts.append(_session_times(rng, members, counts, tz[members], BUSINESS_HOURS, 30))
    # Eval runs: a whole suite in one to three hours, at the harness's concurrency.
    burst = members[rng.random(members.size) < 0.15]
    burst_counts = (directory.param2[burst] * rng.uniform(0.8, 1.2, burst.size)).astype(np.int64)
    starts = ((_hours(rng, BUSINESS_HOURS, burst.size) - tz[burst]) % 24) * HOUR_MS
    lengths = rng.integers(60, 181, burst.size) * MINUTE_MS
    parts.append(_regular_times(rng, burst, burst_counts, starts, lengths, 0.4))

    members = _eligible(directory, A.NIGHT_BATCH, ctx)
    counts = rng.poisson(rate[members])
    starts = ((directory.param[members] - tz[members] * 60) % 1440) * MINUTE_MS + rng.integers(
        0, 3 * MINUTE_MS, members.size
    )
    parts.append(
        _regular_times(rng, members, counts, starts, directory.param2[members] * MINUTE_MS, 0.1)
    )

    members = _eligible(directory, A.RESELLER, ctx)
    counts = rng.poisson(rate[members])
    parts.append(_profile_times(rng, members, counts, tz[members], GLOBAL_HOURS))

    members = _eligible(directory, A.CLASS, ctx)
    signup_day = (config.class_signup_day - config.start).days
    if ctx.index == signup_day:
        # The lab session: everyone tries it right after signing up.
        counts = rng.poisson(4.0, members.size) + 1
        created = directory.created_ms[members] - ctx.start_ms
        parts.append(
            _regular_times(
                rng,
                members,
                counts,
                created + 2 * MINUTE_MS,
                np.full(members.size, 80 * MINUTE_MS),
                0.6,
            )
        )
    else:
        counts = active_counts(members, 0.25 if ctx.weekend else active[members], rate[members])
        parts.append(_session_times(rng, members, counts, tz[members], STUDENT_HOURS, 25))

    members = _eligible(directory, A.PROMOTION, ctx)
    if members.size:
        woke = int(directory.woke_day[members[0]])
        if ctx.index == woke:
            # The promotion email goes out at 15:00 UTC; most recipients try it within hours.
            counts = active_counts(members, 0.9, rate[members] * 1.5)
            accounts = np.repeat(members, counts)
            times = 15 * HOUR_MS + rng.exponential(2.5 * HOUR_MS, accounts.size).astype(np.int64)
            keep = times < DAY_MS
            parts.append((accounts[keep], times[keep]))
        else:
            prob = 0.15 + 0.3 * np.exp(-(ctx.index - woke) / 10)
            counts = active_counts(members, prob, rate[members])
            parts.append(_session_times(rng, members, counts, tz[members], HUMAN_HOURS, 20))

    if ctx.index >= config.campaign_offsets[CAMPAIGN_AGGRESSIVE]:
        members = _eligible(directory, A.AGGRESSIVE, ctx)
        counts = _campaign_counts(rng, directory, members, A.AGGRESSIVE, config.scale)
        # Flat over 24 hours, machine-paced: each worker spreads its share over the whole day.
        phase = rng.integers(0, DAY_MS, members.size)
        parts.append(
            _regular_times(rng, members, counts, phase, np.full(members.size, DAY_MS), 0.3)
        )

    members = _eligible(directory, A.DISTRIBUTED, ctx)
    members = members[rng.random(members.size) < active[members]]
    counts = _campaign_counts(rng, directory, members, A.DISTRIBUTED, config.scale)
    accounts = np.repeat(members, counts)
    windows = np.asarray(ctx.operator_windows, dtype=np.int64)
    chosen = rng.integers(0, len(windows), accounts.size)
    times = windows[chosen, 0] + (rng.random(accounts.size) * windows[chosen, 1]).astype(np.int64)
    parts.append((accounts, times))

    members = _eligible(directory, A.REASONING, ctx)
    members = members[rng.random(members.size) < active[members]]
    counts = _campaign_counts(rng, directory, members, A.REASONING, config.scale)
    parts.append(
        _profile_times(rng, members, counts, np.zeros(members.size, dtype=np.int64), OPERATOR_HOURS)
    )

    accounts = np.concatenate([p[0] for p in parts]).astype(np.int64)
    times = np.concatenate([p[1] for p in parts]).astype(np.int64)
    # Nobody calls before their account exists; nothing leaves the day.
    keep = (
        (times >= directory.created_ms[accounts] - ctx.start_ms) & (times >= 0) & (times < DAY_MS)
    )
    accounts, times = accounts[keep], times[keep]
    order = np.lexsort((accounts, times))
    return accounts[order], times[order]


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


def _residential_proxy_ip(r: random.Random) -> tuple[str, int, str]:
    """A fresh residential exit: any ISP, any country, rarely the same address twice."""
    system = r.choice(catalog.RESIDENTIAL_PROXY_ASES)
    if system.v6 and r.random() < 0.25:
        prefix, country = r.choice(system.v6)
        net6 = ipaddress.IPv6Network(prefix)
        host = (r.getrandbits(min(128 - net6.prefixlen - 64, 40)) << 64) | r.getrandbits(64)
        return str(net6.network_address + host), system.asn, country
    prefix, country = r.choice(system.v4)
    net4 = ipaddress.IPv4Network(prefix)
    return str(net4.network_address + r.randrange(1, net4.num_addresses - 1)), system.asn, country


def _texts(
    population: str, account: A.Account, r: random.Random, ctx: DayContext
) -> tuple[str | None, str, int]:
    """(system prompt, prompt, answer style) of one request from ``account``."""
    own_system = account.system_prompt if r.random() < account.system_prompt_share else None
    if population in (A.HOBBYIST, A.PROMOTION):
        return own_system, text.chat_prompt(r), CHAT
    if population == A.SAAS:
        product = text.SAAS_PRODUCTS[account.template]
        style = SHORT if product in ("moderation", "ui_translation", "sql_assistant") else DOC
        return own_system, text.saas_prompt(r, product), style
    if population == A.ENTERPRISE:
        return (
            own_system,
            text.workplace_prompt(r, account.company or "the company"),
            DOC if r.random() < 0.4 else CHAT,
        )
    if population == A.RESEARCHER:
        if r.random() < 0.25:
            return own_system, text.chat_prompt(r), CHAT
        return own_system, text.benchmark_prompt(r, account.template), COT
    if population == A.NIGHT_BATCH:
        job = text.BATCH_JOBS[account.template]
        return None, text.batch_prompt(r, job, account.company or "", account.param2), SHORT
    if population == A.RESELLER:
        system = r.choice(text.PERSONAL_SYSTEM_PROMPTS) if r.random() < 0.3 else None
        if r.random() < 0.2:
            return system, text.saas_prompt(r, r.choice(text.SAAS_PRODUCTS)), DOC
        return system, text.chat_prompt(r), CHAT
    if population == A.CLASS:
        subject = tuple(text.CLASS_SUBJECTS)[account.template]
        return None, text.homework_prompt(r, subject), CHAT
    if population == A.AGGRESSIVE:
        # Sweeps rotate through the operator's templates; each account favours its own.
        template = account.template if r.random() < 0.6 else r.randrange(text.SWEEP_TEMPLATES)
        return own_system, text.sweep_prompt(r, template), LONG
    if population == A.DISTRIBUTED:
        if r.random() < 0.5:
            return own_system, text.chat_prompt(r), CHAT
        return own_system, text.distributed_extraction_prompt(r), COT
    # A.REASONING
    if r.random() < 0.85:
        return own_system, text.grader_prompt(r), GRADER
    question, _ = text.reasoning_question(r)
    return own_system, f"{question}\nThink step by step and show all your work.", COT


def _new_model_share(population: str, ctx: DayContext, hour: np.ndarray) -> np.ndarray:
    if ctx.release_index is None or ctx.index < ctx.release_index:
        return np.zeros(hour.size)
    since = ctx.index - ctx.release_index
    if population in CAMPAIGN_SWITCH_HOUR:
        if since > 0:
            return np.full(hour.size, CAMPAIGN_NEW_MODEL_SHARE)
        return np.where(hour >= CAMPAIGN_SWITCH_HOUR[population], CAMPAIGN_NEW_MODEL_SHARE, 0.0)
    # Legitimate users adopt slowly: a few per cent on day one, rising over weeks.
    return np.full(hour.size, min(0.45, 0.03 + 0.04 * since))


def request_chunk(
    directory: Directory,
    ctx: DayContext,
    accounts: np.ndarray,
    times: np.ndarray,
    rng: np.random.Generator,
) -> RequestChunk:
    """Draw every field of the requests (accounts[i] at times[i]) of one chunk."""
    n = accounts.size
    r = random.Random(int(rng.integers(2**62)))
    pops = directory.population_codes[accounts]
    egress = directory.egress

    # Numeric draws, vectorised for the whole chunk in a fixed order.
    u_egress, u_pick, u_agent, u_key = rng.random((4, n))
    u_model, u_model_kind, u_status, u_geo, u_stream = rng.random((5, n))
    z_out, z_in, z_ttft, z_tok, z_hist = rng.standard_normal((5, n))
    u_hist = rng.random(n)
    id_hi = rng.integers(0, 2**62, n)
    id_lo = rng.integers(0, 2**30, n)

    model = np.empty(n, dtype=np.int64)
    status = np.empty(n, dtype=np.int64)
    hour = times // HOUR_MS
    for population_code, population in enumerate(A.POPULATIONS):
        mask = pops == population_code
        if not mask.any():
            continue
        prefs = np.cumsum(POPULATION_MODELS[population])
        old = np.minimum(np.searchsorted(prefs / prefs[-1], u_model_kind[mask], side="right"), 2)
        model[mask] = np.where(
            u_model[mask] < _new_model_share(population, ctx, hour[mask]), 3, old
        )
        cdf = np.cumsum(POPULATION_STATUS[population])
        status[mask] = np.minimum(np.searchsorted(cdf / cdf[-1], u_status[mask], side="right"), 4)

    account_rows = directory.accounts
    acct_list = accounts.tolist()
    pop_list = pops.tolist()
    system_prompts: list[str | None] = [None] * n
    prompts: list[str] = [""] * n
    styles = np.empty(n, dtype=np.int64)
    ips: list[str] = [""] * n
    asns: list[int | None] = [None] * n
    countries: list[str | None] = [None] * n
    distributed = A.POPULATIONS.index(A.DISTRIBUTED)
    u_egress_l, u_pick_l, u_geo_l = u_egress.tolist(), u_pick.tolist(), u_geo.tolist()
    for i in range(n):
        account = account_rows[acct_list[i]]
        population = A.POPULATIONS[pop_list[i]]
        system_prompt, prompt, styles[i] = _texts(population, account, r, ctx)
        # The producer truncates what it logs (CONTRACT section 2).
        prompts[i] = text.clip_prompt(prompt)
        system_prompts[i] = (
            text.clip_system_prompt(system_prompt) if system_prompt else system_prompt
        )
        if pop_list[i] == distributed:
            ip, asn, country = _residential_proxy_ip(r)
        else:
            rows = account.egress
            if u_egress_l[i] < account.primary_egress_share:
                row = rows[0]
            else:
                row = rows[int(u_pick_l[i] * len(rows))]
            ip, asn, country = egress.ips[row], egress.asns[row], egress.countries[row]
        ips[i] = ip
        # GeoIP misses: a small share of addresses resolve to no ASN or country.
        if u_geo_l[i] < 0.006:
            asns[i], countries[i] = None, None
        elif u_geo_l[i] < 0.009:
            asns[i], countries[i] = asn, None
        else:
            asns[i], countries[i] = asn, country

    user_agents: list[str | None] = []
    keys: list[str] = []
    stream: list[bool] = []
    for i, (a, ua_u, key_u, stream_u) in enumerate(
        zip(acct_list, u_agent.tolist(), u_key.tolist(), u_stream.tolist(), strict=True)
    ):
        account = account_rows[a]
        agent = account.agents[int(ua_u * len(account.agents))]
        user_agents.append(agent)
        keys.append(account.keys[int(key_u * len(account.keys))])
        kind = catalog.USER_AGENT_KINDS.get(agent or "", "http_client")
        chance = {"browser": 1.0, "official_sdk": 0.5}.get(kind, 0.1)
        stream.append(bool(styles[i] != SHORT) and stream_u < chance)

    # Token counts: input from the text length (~3.7 characters a token) plus, for chats,
    # the earlier turns of the conversation; output lognormal by answer style.
    chars = np.fromiter(
        (len(p) + (len(s) if s else 0) for p, s in zip(prompts, system_prompts, strict=True)),
        dtype=np.float64,
        count=n,
    )
    history = np.where((styles == CHAT) & (u_hist < 0.35), np.exp(np.log(500) + z_hist), 0.0)
    input_tokens = np.maximum(1, np.round(chars / 3.7 * np.exp(0.05 * z_in) + history)).astype(
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
        request_id=[
            f"req_{hi:016x}{lo:08x}" for hi, lo in zip(id_hi.tolist(), id_lo.tolist(), strict=True)
        ],
        api_key_id=keys,
        ip=ips,
        asn=asns,
        country=countries,
        user_agent=user_agents,
        model=[MODELS[m] for m in model.tolist()],
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        latency_ms=np.round(latency).astype(np.int64),
        status=code,
        stream=stream,
        region=[catalog.COUNTRY_REGION.get(c or "", "us-east-1") for c in countries],
        system_prompt=system_prompts,
        prompt=prompts,
    )
