"""Distillation campaigns: one operator per ``CampaignSpec``, each running one tactic.

A ``TacticProfile`` is what an operator running that tactic does (identity,
payment, egress, clients, schedule, content, system prompts, model choice);
every campaign also differs from the others in everything its tactic leaves
open, as separate operators would. Each campaign keeps a fleet running: it
starts with a first wave of accounts, accounts retire after a while or are
banned by enforcement, and the operator adds fresh ones in waves, so accounts
first become active on many days of the campaign's life. Enforcement catches
accounts only once the campaign has been noticed (a discovery delay after its
start) and only accounts with some days of activity, at a daily rate; a
campaign can be configured never to be caught.

Numbers carry their real-world reason in a comment; none was chosen for what
a detector does with it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from simulate import catalog, config, text
from simulate.accounts import (
    C_CAMPAIGN,
    CAMPAIGN,
    DAY_MS,
    FLAT,
    GLOBAL,
    HOUR_MS,
    HUMAN,
    NEVER,
    PROFILE,
    REGULAR,
    SESSIONS,
    WINDOWS,
    Account,
    DirectoryBuilder,
)
from simulate.config import CampaignSpec
from simulate.network import FIXED, LINE, POOL, ROTATING, EgressOption

# Content kinds a campaign mixes (text.py generators) and the answer style of each.
REASONING, GRADING, SWEEP, CODE, TOOL_USE, ROLEPLAY, BENCHMARK, ORDINARY = (
    "reasoning",
    "grading",
    "sweep",
    "code",
    "tool_use",
    "roleplay",
    "benchmark",
    "ordinary",
)
CONTENT_STYLE = {
    REASONING: text.COT,
    GRADING: text.GRADER,
    SWEEP: text.LONG,
    CODE: text.CODE,
    TOOL_USE: text.DOC,
    ROLEPLAY: text.LONG,
    BENCHMARK: text.COT,
    ORDINARY: text.CHAT,
}


@dataclass(frozen=True)
class TacticProfile:
    """Defaults of one tactic (per account unless said otherwise)."""

    fleet: int  # accounts kept running at scale 1
    rate: float  # median requests of an active account-day
    rate_sigma: float  # spread of account rates (workers differ: rate limits, failures, jobs)
    active_prob: float  # days an account is used
    lifetime_days: float  # mean days before the operator retires an account
    wave_every: tuple[int, int]  # days between replenishment waves
    ban_rate: float  # daily chance that enforcement bans a noticed, active account
    discovery_days: tuple[int, int]  # from the campaign's start until enforcement notices it
    labelled: bool
    mix: tuple[tuple[str, float], ...]
    ordinary_share: float  # requests that are ordinary human traffic (cover)
    system_policy: str  # none, variants, per_account, orca
    system_share: float
    paraphrase: float
    non_english_share: float
    large_model_share: float
    chase: tuple[float, float, float]  # release: hours until moving, share moved, days to reach
    schedule: int
    description: str


# Where the numbers come from. Volumes: the reported 2026 campaigns pulled ~16M exchanges through
# ~24k accounts, ~670 per account over a few weeks of life, i.e. tens a day for a busy account
# and a few a day where one network spreads the work over thousands (proxy_network,
# low_and_slow); the spread between accounts is wide (lognormal sigma 0.4-0.8) because workers
# hit rate limits, fail and get different job sizes. Lifetimes, waves, discovery delays and
# daily ban chances are scenario choices in the range trust & safety teams describe (a campaign
# is noticed after days to weeks, then accounts go in batches); they are not measurements and
# were not tuned against any detector. Content mixes follow what each operator is after.
TACTIC_PROFILES: dict[str, TacticProfile] = {
    config.AGGRESSIVE_SWEEP: TacticProfile(
        fleet=80,
        rate=35.0,
        rate_sigma=0.7,
        active_prob=0.92,
        lifetime_days=6.0,  # burned fast: free-tier accounts hit limits and get banned
        wave_every=(2, 3),
        ban_rate=0.12,
        discovery_days=(3, 5),
        labelled=True,
        mix=((SWEEP, 0.35), (CODE, 0.25), (TOOL_USE, 0.2), (REASONING, 0.2)),
        ordinary_share=0.0,
        system_policy="variants",
        system_share=0.85,
        paraphrase=0.1,
        non_english_share=0.0,
        large_model_share=0.95,
        chase=(30.0, 0.6, 2.0),
        schedule=FLAT,
        description=(
            "Young accounts created in sign-up bursts on each wave day, rented datacenter "
            "proxies from small hosting providers shared by many accounts, raw HTTP clients, "
            "flat 24-hour machine-paced volume, instruction sweeps, code, tool use and CoT "
            "questions behind a few composed system prompts."
        ),
    ),
    config.LOW_AND_SLOW: TacticProfile(
        fleet=300,
        rate=2.5,
        rate_sigma=0.4,
        active_prob=0.75,
        lifetime_days=30.0,  # quiet accounts are kept: little to get them banned
        wave_every=(4, 6),
        ban_rate=0.02,
        discovery_days=(8, 12),
        labelled=True,
        mix=((REASONING, 0.45), (GRADING, 0.2), (ROLEPLAY, 0.15), (BENCHMARK, 0.05), (SWEEP, 0.15)),
        ordinary_share=0.0,
        system_policy="orca",
        system_share=0.2,
        paraphrase=0.3,
        non_english_share=0.05,
        large_model_share=0.9,
        chase=(72.0, 0.4, 5.0),
        schedule=SESSIONS,
        description=(
            "Distributed: the work is load-balanced over hundreds of accounts sending a few "
            "requests each a day, on sticky residential proxy sessions in the accounts' claimed "
            "countries, official SDKs, human-like hours; CoT questions, grading and roleplay."
        ),
    ),
    config.MIXED_TRAFFIC: TacticProfile(
        fleet=40,
        rate=15.0,
        rate_sigma=0.6,
        active_prob=0.7,
        lifetime_days=25.0,
        wave_every=(3, 5),
        ban_rate=0.03,
        discovery_days=(6, 10),
        labelled=True,
        mix=((REASONING, 0.4), (CODE, 0.3), (TOOL_USE, 0.3)),
        ordinary_share=0.6,
        system_policy="none",
        system_share=0.0,
        paraphrase=0.2,
        non_english_share=0.05,
        large_model_share=0.8,
        chase=(48.0, 0.5, 4.0),
        schedule=SESSIONS,
        description=(
            "Extraction mixed with ordinary-looking traffic (replayed public human prompts, "
            "follow-ups) in the same accounts, person-like egress and clients, human hours."
        ),
    ),
    config.PARAPHRASED_MULTILINGUAL: TacticProfile(
        fleet=60,
        rate=12.0,
        rate_sigma=0.7,
        active_prob=0.85,
        lifetime_days=14.0,
        wave_every=(3, 5),
        ban_rate=0.04,
        discovery_days=(6, 10),
        labelled=True,
        mix=((REASONING, 0.4), (SWEEP, 0.25), (ROLEPLAY, 0.15), (CODE, 0.1), (GRADING, 0.1)),
        ordinary_share=0.0,
        system_policy="per_account",
        system_share=0.4,
        paraphrase=0.85,
        non_english_share=0.45,
        large_model_share=0.9,
        chase=(24.0, 0.5, 3.0),
        schedule=WINDOWS,
        description=(
            "Paraphrased and non-English requests (recombined wordings, perturbed numbers, "
            "shuffled options, instructions in ten languages), no system prompt shared across "
            "accounts, mobile proxies on carrier CGNAT, operator shifts in UTC+8."
        ),
    ),
    config.WARMED_UP: TacticProfile(
        fleet=50,
        rate=15.0,
        rate_sigma=0.6,
        active_prob=0.75,
        lifetime_days=40.0,
        wave_every=(5, 8),
        ban_rate=0.0,
        discovery_days=(10, 14),
        labelled=False,  # the warmed history made them look legitimate: never caught here
        mix=((GRADING, 0.35), (REASONING, 0.4), (CODE, 0.25)),
        ordinary_share=0.25,
        system_policy="none",
        system_share=0.0,
        paraphrase=0.3,
        non_english_share=0.05,
        large_model_share=0.85,
        chase=(48.0, 0.5, 4.0),
        schedule=SESSIONS,
        description=(
            "Aged accounts (bought or farmed months earlier) warmed up with one to two weeks "
            "of ordinary use before extraction starts; person-like egress; never labelled."
        ),
    ),
    config.UNIQUE_CARDS: TacticProfile(
        fleet=70,
        rate=12.0,
        rate_sigma=0.6,
        active_prob=0.9,
        lifetime_days=15.0,
        wave_every=(3, 4),
        ban_rate=0.05,
        discovery_days=(5, 8),
        labelled=True,
        mix=((TOOL_USE, 0.4), (CODE, 0.3), (SWEEP, 0.3)),
        ordinary_share=0.0,
        system_policy="variants",
        system_share=0.7,
        paraphrase=0.2,
        non_english_share=0.0,
        large_model_share=0.92,
        chase=(36.0, 0.6, 3.0),
        schedule=REGULAR,
        description=(
            "A different (virtual or prepaid) payment card per account on the paid tier, one "
            "VPS per account across many small hosting providers, cron-scheduled jobs, tool-use "
            "and code sweeps."
        ),
    ),
    config.RESIDENTIAL_ROTATION: TacticProfile(
        fleet=80,
        rate=10.0,
        rate_sigma=0.7,
        active_prob=0.85,
        lifetime_days=12.0,
        wave_every=(3, 5),
        ban_rate=0.04,
        discovery_days=(6, 9),
        labelled=True,
        mix=((REASONING, 0.5), (ROLEPLAY, 0.2), (BENCHMARK, 0.1), (SWEEP, 0.2)),
        ordinary_share=0.0,
        system_policy="orca",
        system_share=0.5,
        paraphrase=0.3,
        non_english_share=0.1,
        large_model_share=0.9,
        chase=(48.0, 0.5, 3.0),
        schedule=PROFILE,
        description=(
            "Rotating residential proxies: a fresh exit per request across dozens of ISPs and "
            "carriers in many countries, async HTTP clients, round-the-clock workers."
        ),
    ),
    config.ORG_MANY_KEYS: TacticProfile(
        fleet=5,
        rate=200.0,
        rate_sigma=0.4,
        active_prob=0.95,
        lifetime_days=60.0,
        wave_every=(3, 6),
        ban_rate=0.06,
        discovery_days=(6, 9),
        labelled=True,
        mix=((GRADING, 0.4), (REASONING, 0.3), (CODE, 0.3)),
        ordinary_share=0.0,
        system_policy="variants",
        system_share=0.9,
        paraphrase=0.2,
        non_english_share=0.0,
        large_model_share=0.85,
        chase=(24.0, 0.6, 2.0),
        schedule=PROFILE,
        description=(
            "One verified organisation with a company domain and a handful of accounts, each "
            "rotating through many API keys that are created and revoked every few days; work "
            "spread over the keys from one cloud's NAT; grading and reasoning pipelines."
        ),
    ),
    config.RELEASE_PIVOT: TacticProfile(
        fleet=100,
        rate=12.0,
        rate_sigma=0.7,
        active_prob=0.9,
        lifetime_days=14.0,
        wave_every=(3, 4),
        ban_rate=0.05,
        discovery_days=(5, 8),
        labelled=True,
        mix=((REASONING, 0.4), (CODE, 0.2), (SWEEP, 0.2), (GRADING, 0.2)),
        ordinary_share=0.0,
        system_policy="variants",
        system_share=0.6,
        paraphrase=0.3,
        non_english_share=0.05,
        large_model_share=0.95,
        chase=(2.0, 0.92, 0.0),
        schedule=WINDOWS,
        description=(
            "The whole network moves to the newly released model within hours of its release "
            "(with a fresh wave of accounts and more volume); before it, a steady mix on the "
            "old models; datacenter and residential egress."
        ),
    ),
    config.PROXY_NETWORK: TacticProfile(
        fleet=1200,
        rate=3.5,
        rate_sigma=0.8,
        active_prob=0.8,
        lifetime_days=25.0,
        wave_every=(2, 4),
        ban_rate=0.04,
        discovery_days=(5, 8),
        labelled=True,
        mix=(
            (SWEEP, 0.2),
            (CODE, 0.15),
            (TOOL_USE, 0.15),
            (ROLEPLAY, 0.1),
            (REASONING, 0.25),
            (GRADING, 0.1),
            (BENCHMARK, 0.05),
        ),
        ordinary_share=0.05,
        system_policy="variants",
        system_share=0.5,
        paraphrase=0.4,
        non_english_share=0.1,
        large_model_share=0.9,
        chase=(20.0, 0.6, 3.0),
        schedule=WINDOWS,
        description=(
            "One large proxy network running thousands of accounts (the 20,000-account case, "
            "scaled): a shared pool of residential, mobile and hosting exits that every account "
            "draws from, mixed clients, every kind of extraction content."
        ),
    ),
}


@dataclass
class CampaignPlan:
    """What traffic needs to know about one campaign (shared by its accounts)."""

    index: int
    campaign_id: str
    tactic: str
    start: int  # day offset of its first activity
    labelled: bool
    profile: TacticProfile
    voice: text.Voice
    mix_kinds: tuple[str, ...]
    mix_cdf: tuple[float, ...]
    system_variants: tuple[str, ...]
    operator_tz: int
    description: str
    windows: int = 3  # operator shifts a day (WINDOWS schedule)
    members: list[int] = field(default_factory=list)  # directory indices (set by the runner)

    def content_kind(self, u: float) -> str:
        for kind, edge in zip(self.mix_kinds, self.mix_cdf, strict=True):
            if u < edge:
                return kind
        return self.mix_kinds[-1]


def _pool_size(bank: text.TextBank, kind: str) -> int:
    sizes = {
        REASONING: len(bank.reasoning),
        GRADING: len(bank.grading) * 10,  # each item under many judge templates and rubrics
        SWEEP: len(bank.instructions) + len(bank.tool_use) + len(bank.roleplay),
        CODE: len(bank.code),
        TOOL_USE: len(bank.tool_use),
        ROLEPLAY: len(bank.roleplay),
        BENCHMARK: len(bank.benchmark),
    }
    return sizes.get(kind, 10_000)


def _plan(builder: DirectoryBuilder, index: int, spec: CampaignSpec, start: int) -> CampaignPlan:
    r = builder.r
    profile = TACTIC_PROFILES[spec.tactic]
    non_english = (
        spec.non_english_share if spec.non_english_share is not None else profile.non_english_share
    )
    voice = text.make_voice(r, paraphrase=profile.paraphrase, non_english_share=non_english)
    # Operators re-weight the tactic's content to their own needs; a kind whose pool of
    # distinct items is small (code and benchmarks in the packaged corpus) is sent less, as an
    # operator would not replay a few dozen items thousands of times.
    weights = [
        w * r.uniform(0.6, 1.4) * min(1.0, _pool_size(builder.bank, kind) / 1000)
        for kind, w in profile.mix
    ]
    total = sum(weights)
    cdf = tuple(math.fsum(weights[: i + 1]) / total for i in range(len(weights)))
    variants: tuple[str, ...] = ()
    if profile.system_policy == "variants":
        variants = tuple(
            text.compose_system_prompt(r, builder.bank) for _ in range(r.randint(2, 4))
        )
    elif profile.system_policy == "orca":
        variants = builder.bank.orca_system_prompts or (
            text.compose_system_prompt(r, builder.bank),
        )
    return CampaignPlan(
        index=index,
        campaign_id=spec.campaign_id,
        tactic=spec.tactic,
        start=start,
        labelled=profile.labelled if spec.labelled is None else spec.labelled,
        profile=profile,
        voice=voice,
        mix_kinds=tuple(kind for kind, _ in profile.mix),
        mix_cdf=cdf,
        system_variants=variants,
        # Where the operators sit: most known distillation operators worked UTC+8 hours.
        operator_tz=r.choice((8, 8, 8, 3, 5, -5, 1)),
        description=spec.description or profile.description,
        windows=r.randint(2, 5),
    )


# --- building the fleet ----------------------------------------------------------------------
class CampaignBuilder:
    """Creates one campaign's accounts, wave by wave, with the tactic's identity and egress."""

    def __init__(self, builder: DirectoryBuilder, plan: CampaignPlan, spec: CampaignSpec) -> None:
        self.b = builder
        self.r = builder.r
        self.plan = plan
        self.spec = spec
        self.profile = plan.profile
        days = builder.config.days
        self.days = days
        scale = builder.scale
        fleet = spec.accounts if spec.accounts is not None else self.profile.fleet
        self.fleet = max(3 if spec.tactic == config.ORG_MANY_KEYS else 6, round(fleet * scale))
        self.rate = (
            spec.requests_per_account_day
            if spec.requests_per_account_day is not None
            else self.profile.rate
        )
        if spec.tactic == config.ORG_MANY_KEYS and spec.requests_per_account_day is None:
            # One org's pipeline: at small scales its handful of accounts does less work (the
            # volume follows the scale even where the account count cannot).
            self.rate *= min(1.0, fleet * scale / self.fleet)
        self.discovered = plan.start + self.r.randint(*self.profile.discovery_days)
        self.setup()

    # Shared infrastructure and identity choices of this operator.
    def setup(self) -> None:
        r, b = self.r, self.b
        self.domains = [
            f"{r.choice(catalog.COMPANY_WORDS_A)}{r.getrandbits(20):x}.{r.choice(catalog.THROWAWAY_TLDS)}"
            for _ in range(r.randint(1, 4))
        ]
        self.webmail = r.sample(
            [
                "gmail.com",
                "outlook.com",
                "proton.me",
                "qq.com",
                "163.com",
                "yandex.ru",
                "hotmail.com",
                "mail.com",
            ],
            r.randint(2, 5),
        )
        self.cards = [b.payment() for _ in range(max(2, self.fleet // r.randint(8, 15)))]
        self.claimed = r.sample(list(catalog.HOME_COUNTRIES), r.randint(3, 10))
        tactic = self.plan.tactic
        # Rented datacenter proxies: a seller's block spread over a few small hosts.
        hosts = r.sample(list(catalog.HOSTING_ASES + catalog.VPN_ASES), r.randint(3, 8)) + r.sample(
            list(catalog.CLOUD_ASES), 1
        )
        size = max(6, round(self.fleet * r.uniform(0.1, 0.3)))
        self.datacenter_pool = b.book.pool(
            f"campaign:{self.plan.campaign_id}:dc",
            [b.book.new_address_among(r, hosts, ipv6_share=0.05) for _ in range(size)],
        )
        if tactic == config.PROXY_NETWORK:
            self.proxy_pool = self._proxy_network_pool()
        if tactic == config.RESIDENTIAL_ROTATION:
            isp = list(catalog.ISP_ASES) + list(catalog.MOBILE_ASES)
            chosen = r.sample(isp, min(len(isp), r.randint(25, 45)))
            self.exit_set = b.book.exit_set(chosen)
        if tactic == config.ORG_MANY_KEYS:
            company, domain = b.company()
            self.company, self.domain = company, domain
            self.org_id = b.ids.new("org_", 12)
            self.org_card = b.payment()
            system = r.choice(catalog.CLOUD_ASES[:6])
            self.org_pool = b.book.pool(
                f"campaign:{self.plan.campaign_id}:cloud",
                [b.book.new_address(r, system) for _ in range(r.randint(3, 6))],
            )
        self.agents = self._agents()
        self._used_system_prompts: set[str] = set()

    def _proxy_network_pool(self) -> int:
        """The network's exits: residential and mobile addresses (shared with real customers of
        those carriers) and a long tail of hosting, about one exit per six accounts."""
        r, b = self.r, self.b
        rows: list[int] = []
        size = max(20, self.fleet // 6)
        isps = list(catalog.ISP_ASES)
        for _ in range(size):
            roll = r.random()
            if roll < 0.6:
                rows.append(b.book.new_address_among(r, isps))
            elif roll < 0.85:
                key = r.choice(sorted(b.infra.cgnat))
                rows.append(r.choice(b.book.pools[b.infra.cgnat[key]]))
            else:
                rows.append(b.book.new_address_among(r, catalog.HOSTING_ASES + catalog.VPN_ASES))
        return b.book.pool(f"campaign:{self.plan.campaign_id}:proxies", rows)

    def _agents(self) -> list[str | None]:
        r = self.r
        tactic = self.plan.tactic
        if tactic == config.AGGRESSIVE_SWEEP:
            return r.sample(list(catalog.HTTP_CLIENT_AGENTS[:6]), r.randint(1, 3))
        if tactic in (config.LOW_AND_SLOW, config.RELEASE_PIVOT):
            return r.sample(list(catalog.OFFICIAL_SDK_AGENTS), r.randint(3, 6))
        if tactic == config.PARAPHRASED_MULTILINGUAL:
            return ["anthropic-typescript/0.52.0", "axios/1.7.7"]
        if tactic == config.UNIQUE_CARDS:
            return [r.choice(catalog.OFFICIAL_SDK_AGENTS[:4])]
        if tactic == config.RESIDENTIAL_ROTATION:
            return ["Python/3.12 aiohttp/3.10.10", "Go-http-client/2.0"]
        if tactic == config.ORG_MANY_KEYS:
            return ["anthropic-python/0.57.1", "litellm/1.52.0"]
        if tactic == config.PROXY_NETWORK:
            return list(
                catalog.OFFICIAL_SDK_AGENTS[:5]
                + catalog.HTTP_CLIENT_AGENTS[:5]
                + catalog.HEADLESS_AGENTS
            )
        return list(catalog.BROWSER_AGENTS + catalog.OFFICIAL_SDK_AGENTS[:3])

    # --- the lifecycle -------------------------------------------------------------------
    def build(self) -> None:
        """Waves of accounts from the start until the end of the range: a ramp-up to the full
        fleet over the first week or so, then replacements for retired and banned accounts."""
        r = self.r
        start = self.plan.start
        live: list[Account] = []
        day = start
        ramp_days = r.randint(5, 10)
        while day < self.days:
            live = [a for a in live if min(a.banned_day, a.retire_day) > day]
            # Operators start with part of the fleet and scale up once the pipeline works.
            target = self.fleet * min(1.0, 0.4 + 0.6 * (day - start) / ramp_days)
            want = max(1, round(target)) - len(live)
            if self.plan.tactic == config.RELEASE_PIVOT and self._release_wave(day):
                want += round(self.fleet * 0.5)  # the network scales up for the new model
            for _ in range(max(0, want)):
                live.append(self.account(day))
            step = r.randint(*self.profile.wave_every)
            release = self.b.config.release_offset
            if (
                self.plan.tactic == config.RELEASE_PIVOT
                and release is not None
                and day < release < day + step
            ):
                step = release - day  # a wave on the release day itself
            day += step

    def _release_wave(self, day: int) -> bool:
        return self.b.config.release_offset == day

    def account(self, day: int) -> Account:
        account = getattr(self, f"_{self.plan.tactic}")(day)
        account.population = CAMPAIGN
        account.campaign = self.plan.index
        account.content = C_CAMPAIGN
        account.schedule = self.profile.schedule
        if account.rate == 0.0:
            account.rate = self.rate * math.exp(self.r.gauss(0.0, self.profile.rate_sigma))
        account.active_prob = self.profile.active_prob
        if not account.agents:
            account.agents = [self.r.choice(self.agents) for _ in range(self.r.choice((1, 1, 2)))]
        self._system_prompt(account)
        self._lifecycle(account, day)
        if account.woke_day is None and account.created_ms < self.b.start_ms + (day - 2) * DAY_MS:
            account.woke_day = account.first_day  # an aged account woken for the campaign
        self.b.add(account)
        if account.signup_ip is None:
            account.signup_ip = self.b.signup_ip(account, day - 1)
        return account

    def _system_prompt(self, account: Account) -> None:
        r = self.r
        policy = self.profile.system_policy
        if policy == "per_account":
            if r.random() < 0.4:  # the rest send none at all
                # Each account words its own (the operator re-draws a wording already in use).
                for _ in range(50):
                    prompt = text.compose_system_prompt(r, self.b.bank)
                    if prompt not in self._used_system_prompts:
                        break
                self._used_system_prompts.add(prompt)
                account.system_prompt = prompt
                account.system_prompt_share = r.uniform(0.6, 1.0)
        elif policy in ("variants", "orca") and self.plan.system_variants:
            account.system_prompt = r.choice(self.plan.system_variants)
            account.system_prompt_share = self.profile.system_share

    def _lifecycle(self, account: Account, day: int) -> None:
        r = self.r
        if account.first_day == -NEVER:
            # Accounts of a wave are put into rotation over the next days, not all at once
            # (except a burst operator's, which start right after signing up).
            stagger = 0 if self.plan.tactic == config.AGGRESSIVE_SWEEP else r.randint(0, 2)
            account.first_day = day + stagger
        if account.extract_day == -NEVER:
            account.extract_day = account.first_day
        life = max(2, math.ceil(r.expovariate(1.0 / self.profile.lifetime_days)))
        account.retire_day = account.first_day + life
        if not self.plan.labelled or self.profile.ban_rate <= 0:
            return
        # Enforcement needs the campaign noticed and a few days of the account's own activity.
        earliest = max(self.discovered, account.extract_day + 3)
        ban = earliest + math.floor(r.expovariate(self.profile.ban_rate))
        if ban < min(account.retire_day, self.days):
            account.enforcement_day = ban
            account.banned_day = ban + 1  # the ban takes effect after the day it was decided

    # --- identities per tactic ------------------------------------------------------------
    def _young(self, day: int, *, burst_ms: int | None = None) -> int:
        b = self.b
        if burst_ms is not None:
            return burst_ms + int(self.r.uniform(0, 55 * 60_000))
        # Created the day before (or the morning of) first use.
        return b.start_ms + (day - 1) * DAY_MS + int(self.r.uniform(0, 1.4 * DAY_MS))

    def _base(self, created_ms: int, country: str, **kwargs) -> Account:
        r, b = self.r, self.b
        email = r.choice(self.domains) if r.random() < 0.35 else r.choice(self.webmail)
        account = Account(
            account_id=b.ids.new("acct_", 16),
            population=CAMPAIGN,
            created_ms=created_ms,
            email_domain=email,
            tier="free",
            verified=r.random() < 0.1,
            country=country,
            language="en",
            tz=catalog.COUNTRIES[country].utc_offset,
            keys=b.keys(r.choice((1, 1, 2))),
        )
        for name, value in kwargs.items():
            setattr(account, name, value)
        return account

    def _paid_shared(self, account: Account, paid_share: float) -> None:
        """Paid accounts pay with one of the operator's few cards (shared in small groups)."""
        if self.r.random() < paid_share:
            account.tier = "build"
            account.payment_fingerprint = self.r.choice(self.cards)
            account.billing_country = self.r.choice(self.claimed)

    def _residential_sticky(self, country: str) -> list[EgressOption]:
        """A residential proxy's sticky session: one household address for a day or two."""
        system = self.b.access_system(country, catalog.ISP)
        return [
            EgressOption(1.0, LINE, self.b.book.line(self.r, system, country, self.r.randint(1, 3)))
        ]

    def _aggressive_sweep(self, day: int) -> Account:
        if not hasattr(self, "_bursts"):
            self._bursts: dict[int, int] = {}
        if day not in self._bursts:  # one sign-up burst per wave, within an hour
            self._bursts[day] = (
                self.b.start_ms + (day - 1) * DAY_MS + self.r.randrange(24) * HOUR_MS
            )
        account = self._base(
            self._young(day, burst_ms=self._bursts[day]), self.r.choice(self.claimed)
        )
        self._paid_shared(account, 0.4)
        account.egress = [EgressOption(1.0, POOL, self.datacenter_pool, 0, self.r.randint(2, 5))]
        return account

    def _low_and_slow(self, day: int) -> Account:
        r = self.r
        country = r.choice(self.claimed)
        created = self.b.days_ago(20, 400) if r.random() < 0.5 else self._young(day)
        account = self._base(created, country, verified=r.random() < 0.4)
        self._paid_shared(account, 0.7)
        account.egress = self._residential_sticky(country)
        account.profile = HUMAN
        return account

    def _mixed_traffic(self, day: int) -> Account:
        r = self.r
        country = r.choice(self.claimed)
        account = self._base(self.b.days_ago(5, 300), country, verified=r.random() < 0.5)
        account.email_domain = self.b.webmail(country)
        account.tier = "build"
        account.payment_fingerprint = r.choice(self.cards) if r.random() < 0.5 else self.b.payment()
        account.billing_country = country
        account.egress = self._residential_sticky(country) + [
            EgressOption(0.3, POOL, r.choice(self.b.infra.vpns), 12)
        ]
        account.profile = HUMAN
        account.language, account.non_english_share = self.b.language(country)
        return account

    def _paraphrased_multilingual(self, day: int) -> Account:
        r = self.r
        country = r.choice(self.claimed)
        account = self._base(self._young(day), country)
        self._paid_shared(account, 0.5)
        # Mobile proxy farms: SIM cards on real carriers, so the addresses are CGNAT addresses
        # that the carrier's ordinary subscribers use too.
        carrier = self.b.carrier(country)
        pool = self.b.infra.cgnat_pool(carrier, country)
        account.egress = [EgressOption(1.0, POOL, pool, 1)]
        account.tz = self.plan.operator_tz
        return account

    def _warmed_up(self, day: int) -> Account:
        r = self.r
        country = r.choice(self.claimed)
        account = self._base(self.b.days_ago(90, 700), country, verified=r.random() < 0.6)
        account.email_domain = self.b.webmail(country)
        account.tier = "build" if r.random() < 0.6 else "free"
        if account.tier == "build":
            account.payment_fingerprint = self.b.payment()
            account.billing_country = country
        account.egress = self.b.person_egress(country, mobile_share=0.3, vpn=0.2)
        account.language, account.non_english_share = self.b.language(country)
        account.profile = HUMAN
        account.woke_day = day
        # Warm-up: one to two weeks of ordinary use (shorter in a short run).
        warmup = min(r.randint(7, 14), max(2, self.days // 3))
        account.first_day = day
        account.extract_day = day + warmup
        account.signup_ip = None
        return account

    def _unique_cards(self, day: int) -> Account:
        r = self.r
        country = r.choice(self.claimed)
        account = self._base(self._young(day), country, verified=r.random() < 0.5)
        account.email_domain = (
            r.choice(self.webmail) if r.random() < 0.7 else r.choice(self.domains)
        )
        account.tier = "build"
        account.payment_fingerprint = self.b.payment()  # a card of its own
        account.billing_country = r.choice(list(catalog.HOME_COUNTRIES))
        # One host of its own, at a provider with room (at scale 80 a small one fills up);
        # the draws are the same as one provider's until one is full.
        host = self.b.book.new_address_among(r, catalog.HOSTING_ASES + catalog.VPN_ASES)
        account.egress = [EgressOption(1.0, FIXED, host)]
        account.tz = 0
        account.param = r.randrange(1440)  # the job's start minute (UTC)
        account.param2 = r.randint(40, 240)  # its length in minutes
        return account

    def _residential_rotation(self, day: int) -> Account:
        account = self._base(self._young(day), self.r.choice(self.claimed))
        self._paid_shared(account, 0.3)
        account.egress = [EgressOption(1.0, ROTATING, self.exit_set)]
        account.profile = GLOBAL
        account.tz = self.plan.operator_tz
        return account

    def _org_many_keys(self, day: int) -> Account:
        r = self.r
        country = r.choice(("US", "SG", "GB"))
        account = self._base(self._young(day), country, verified=True)
        account.email_domain = self.domain
        account.org_id = self.org_id
        account.tier = "scale"
        account.payment_fingerprint = self.org_card
        account.billing_country = country
        account.company = self.company
        account.egress = [EgressOption(1.0, POOL, self.org_pool, 0)]
        account.profile = GLOBAL
        # Keys are created and revoked every few days, ~10 live at a time per account.
        keys: list[str] = []
        windows: list[tuple[int, int]] = []
        for slot in range(r.randint(6, 14)):
            first = day - r.randint(0, 3) + slot % 3
            while first < self.days:
                life = r.randint(2, 8)
                keys.append(self.b.ids.new("key_", 20))
                windows.append((first, first + life - 1))
                first += life
        account.keys = keys
        account.key_days = windows
        return account

    def _release_pivot(self, day: int) -> Account:
        r = self.r
        country = r.choice(self.claimed)
        account = self._base(self._young(day), country)
        self._paid_shared(account, 0.5)
        if r.random() < 0.5:
            account.egress = [EgressOption(1.0, POOL, self.datacenter_pool, 4, 2)]
        else:
            account.egress = self._residential_sticky(country)
        account.tz = self.plan.operator_tz
        return account

    def _proxy_network(self, day: int) -> Account:
        r = self.r
        country = r.choice(self.claimed)
        created = self._young(day) if r.random() < 0.7 else self.b.days_ago(30, 500)
        account = self._base(created, country, verified=r.random() < 0.2)
        self._paid_shared(account, 0.35)
        account.egress = [EgressOption(1.0, POOL, self.proxy_pool, 4, 3)]
        account.tz = self.plan.operator_tz
        return account


def build_campaigns(builder: DirectoryBuilder) -> list[CampaignPlan]:
    plans = []
    offsets = builder.config.campaign_offsets
    for index, spec in enumerate(builder.config.campaigns):
        plan = _plan(builder, index, spec, offsets[spec.campaign_id])
        CampaignBuilder(builder, plan, spec).build()
        plans.append(plan)
    return plans
