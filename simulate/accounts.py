"""The account directory: every account of the run, who it really is, how it behaves.

Built once per run from the seed alone (never from a day's generator), so each
day can be generated on its own. Legitimate populations follow the issue:
ordinary individuals (the bulk), SaaS backends and enterprises, and the look-
alikes, each sharing one trait with some campaign: benchmark researchers,
tutoring apps, student cohorts, agencies and resellers, office / coworking
egress and carrier-NAT users, users of an open-source app that ships one
system prompt, batch processors on cloud IPs, release-day adopters and
promotion cohorts. Campaign accounts come from ``campaigns``. Identifiers are
random so that nothing in an id or its position gives the population away;
the truth is written separately.

Where a behavioural number comes from is said next to it; none was chosen for
what a detector does with it.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import numpy as np

from simulate import catalog, products, text
from simulate.config import SimulationConfig
from simulate.network import (
    DEVICE_V6,
    FIXED,
    LINE,
    POOL,
    AddressBook,
    AddressSpaceFull,
    EgressOption,
    choose_option,
)

DAY_MS = 86_400_000
HOUR_MS = 3_600_000
NEVER = 1 << 30  # a day index later than any run

INDIVIDUAL = "individual"
SAAS = "saas_backend"
ENTERPRISE = "enterprise"
RESEARCHER = "benchmark_researcher"
TUTORING = "tutoring_app"
COHORT = "student_cohort"
AGENCY = "agency_reseller"
OFFICE = "office_egress"
CARRIER = "carrier_nat"
OSS = "oss_app_user"
BATCH = "batch_processor"
ADOPTER = "release_adopter"
PROMO = "promo_cohort"
CAMPAIGN = "campaign"
LEGITIMATE_POPULATIONS: tuple[str, ...] = (
    INDIVIDUAL,
    SAAS,
    ENTERPRISE,
    RESEARCHER,
    TUTORING,
    COHORT,
    AGENCY,
    OFFICE,
    CARRIER,
    OSS,
    BATCH,
    ADOPTER,
    PROMO,
)
POPULATIONS: tuple[str, ...] = (*LEGITIMATE_POPULATIONS, CAMPAIGN)


@dataclass(frozen=True)
class LookAlike:
    trait: str  # the campaign trait the population shares (truth column ``lookalike_of``)
    tactics: tuple[str, ...]  # campaign tactics that show the same trait
    description: str


LOOKALIKES: dict[str, LookAlike] = {
    SAAS: LookAlike(
        "fixed_system_prompt_templated_cloud",
        ("aggressive_sweep", "unique_cards"),
        "templated requests behind one fixed system prompt from a few cloud IPs, all day",
    ),
    ENTERPRISE: LookAlike(
        "many_accounts_one_org_payment_egress",
        ("org_many_keys",),
        "many accounts of one org on one payment instrument behind office NAT and security edges",
    ),
    RESEARCHER: LookAlike(
        "cot_and_judge_prompts_at_volume",
        ("low_and_slow", "release_pivot", "org_many_keys"),
        "chain-of-thought benchmark items and LLM-judge prompts in eval-harness bursts",
    ),
    TUTORING: LookAlike(
        "cot_system_prompt_reasoning_questions",
        ("aggressive_sweep", "proxy_network"),
        "one chain-of-thought system prompt over thousands of end users' homework questions",
    ),
    COHORT: LookAlike(
        "signup_burst_synchronized_same_content",
        ("aggressive_sweep",),
        "a class signs up together from one campus network and works one assignment in sessions",
    ),
    AGENCY: LookAlike(
        "one_payment_many_accounts",
        ("aggressive_sweep", "proxy_network"),
        "one payment instrument for many customer accounts on varied egress",
    ),
    OFFICE: LookAlike(
        "shared_egress_ip",
        ("proxy_network", "aggressive_sweep"),
        "unrelated customers behind one office or coworking NAT address or /24",
    ),
    CARRIER: LookAlike(
        "shared_egress_ip",
        ("proxy_network", "paraphrased_multilingual"),
        "unrelated mobile customers behind a carrier's few CGNAT addresses",
    ),
    OSS: LookAlike(
        "shared_system_prompt",
        ("aggressive_sweep", "release_pivot"),
        "thousands of unrelated users of one open-source app that ships one system prompt",
    ),
    BATCH: LookAlike(
        "machine_regular_templated_cloud",
        ("unique_cards", "org_many_keys"),
        "one instruction over many records at machine-regular times from cloud IPs",
    ),
    ADOPTER: LookAlike(
        "new_model_on_release_day",
        ("release_pivot",),
        "developers who move to a new model within hours of its release",
    ),
    PROMO: LookAlike(
        "dormant_accounts_wake_together",
        ("warmed_up", "low_and_slow"),
        "dormant accounts woken on one day by a promotion email",
    ),
}

# Arrival schedules (traffic.day_arrivals) and hour profiles (traffic.HOUR_PROFILES).
SESSIONS, PROFILE, REGULAR, FLAT, WINDOWS, RESEARCH, CLASS, PROMO_WAKE = range(8)
HUMAN, BUSINESS, STUDENT, CONSUMER, GLOBAL = range(5)
# What an account sends (text.py generators; traffic._texts dispatches).
C_USER, C_SAAS, C_ENTERPRISE, C_RESEARCH, C_TUTOR, C_CLASS, C_BATCH, C_OSS, C_CAMPAIGN = range(9)


def day_start_ms(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()) * 1000


def iso_ms(ms: int) -> str:
    """``2026-11-26T13:45:12.123Z`` for epoch milliseconds."""
    moment = datetime.fromtimestamp(ms / 1000, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


@dataclass
class Account:
    """One row of the directory, with the behaviour the traffic generator needs."""

    account_id: str
    population: str
    created_ms: int
    email_domain: str
    tier: str
    verified: bool
    org_id: str | None = None
    payment_fingerprint: str | None = None
    billing_country: str | None = None
    signup_ip: str | None = None
    campaign: int = -1  # index into Directory.campaigns; -1 for legitimate accounts
    country: str = "US"
    language: str = "en"
    non_english_share: float = 0.0
    company: str | None = None
    tz: int = 0  # hours to add to UTC for the account's local time
    schedule: int = SESSIONS
    profile: int = HUMAN
    rate: float = 0.0  # mean requests on a day it is active
    active_prob: float = 1.0
    content: int = C_USER
    variant: int = 0  # which product, batch job, eval harness or class assignment it sends
    param: int = 0  # schedule: a job's start minute (local), a class's index
    param2: int = 0  # schedule: a job's minutes, an eval run's items
    code_bias: float = 0.0  # share of an ordinary user's requests about code
    egress: list[EgressOption] = field(default_factory=list)
    agents: list[str | None] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)
    key_days: list[tuple[int, int]] | None = None  # per key: first and last day it is used
    system_prompt: str | None = None
    system_prompt_share: float = 0.0
    first_day: int = -NEVER  # day index from which it may be active
    extract_day: int = -NEVER  # campaigns: the day extraction starts (warm-up before it)
    woke_day: int | None = None  # dormant accounts: the day they wake (truth)
    banned_day: int = NEVER  # day index from which the account sends nothing
    retire_day: int = NEVER  # the operator stops using it (campaigns)
    enforcement_day: int | None = None  # the day enforcement decided the ban (label date)
    review_ms: int | None = None  # when a reviewer cleared it (label 0)
    key: int = 0  # the account's hash key for sticky address picks

    @property
    def lookalike_of(self) -> str | None:
        lookalike = LOOKALIKES.get(self.population)
        return lookalike.trait if lookalike else None

    def snapshot_line(self) -> str:
        """The account's record in the directory snapshot (CONTRACT section 3)."""
        return json.dumps(
            {
                "account_id": self.account_id,
                "org_id": self.org_id,
                "created_at": iso_ms(self.created_ms),
                "email_domain": self.email_domain,
                "payment_fingerprint": self.payment_fingerprint,
                "billing_country": self.billing_country,
                "signup_ip": self.signup_ip,
                "tier": self.tier,
                "verified": self.verified,
            },
            ensure_ascii=False,
        )


@dataclass
class Directory:
    """All accounts of a run, the address book and the campaigns' plans."""

    accounts: list[Account]
    addresses: AddressBook
    campaigns: list  # campaigns.CampaignPlan, by index
    start_ms: int

    def __post_init__(self) -> None:
        self.population_codes = np.asarray(
            [POPULATIONS.index(a.population) for a in self.accounts], dtype=np.int16
        )
        self.campaign_index = np.asarray([a.campaign for a in self.accounts], dtype=np.int64)
        self.created_ms = np.asarray([a.created_ms for a in self.accounts], dtype=np.int64)
        self.first_day = np.asarray([a.first_day for a in self.accounts], dtype=np.int64)
        self.extract_day = np.asarray([a.extract_day for a in self.accounts], dtype=np.int64)
        self.stop_day = np.asarray(
            [min(a.banned_day, a.retire_day) for a in self.accounts], dtype=np.int64
        )
        self.rate = np.asarray([a.rate for a in self.accounts], dtype=np.float64)
        self.active_prob = np.asarray([a.active_prob for a in self.accounts], dtype=np.float64)
        self.tz = np.asarray([a.tz for a in self.accounts], dtype=np.int64)
        self.schedule = np.asarray([a.schedule for a in self.accounts], dtype=np.int64)
        self.profile = np.asarray([a.profile for a in self.accounts], dtype=np.int64)
        self.param = np.asarray([a.param for a in self.accounts], dtype=np.int64)
        self.param2 = np.asarray([a.param2 for a in self.accounts], dtype=np.int64)
        self._snapshot_lines: dict[int, str] = {}
        # Snapshot order: by creation time (a directory export), never by population.
        self.snapshot_order = np.lexsort(
            (np.asarray([a.account_id for a in self.accounts]), self.created_ms)
        )

    def snapshot_line(self, index: int) -> str:
        """Account ``index``'s snapshot record; rendered once, written every day."""
        line = self._snapshot_lines.get(index)
        if line is None:
            line = self._snapshot_lines[index] = self.accounts[index].snapshot_line()
        return line

    def created_by(self, end_ms: int) -> np.ndarray:
        """Indices of accounts created before ``end_ms``, in snapshot order."""
        order = self.snapshot_order
        return order[self.created_ms[order] < end_ms]


class Ids:
    """Random, unique identifiers in the formats an API provider uses."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.seen: set[str] = set()

    def new(self, prefix: str, hex_digits: int) -> str:
        while True:
            value = f"{prefix}{self.rng.bytes((hex_digits + 1) // 2).hex()[:hex_digits]}"
            if value not in self.seen:
                self.seen.add(value)
                return value


# Accounts per unit of scale, and the least a population gets at tiny scales. At scale 1 they
# send ~25k legitimate requests a day (the old demo's volume), most accounts ordinary people and
# most requests backends (SaaS, batch, tutoring apps), as on a general-purpose API.
POPULATION_SIZE: dict[str, tuple[float, int]] = {
    INDIVIDUAL: (2000, 24),
    SAAS: (40, 2),
    ENTERPRISE: (180, 8),
    RESEARCHER: (15, 3),
    TUTORING: (4, 1),  # apps (each one org with one to three accounts)
    COHORT: (60, 12),
    AGENCY: (8, 1),  # agencies (each with several customer accounts)
    OFFICE: (200, 10),
    CARRIER: (300, 10),
    OSS: (350, 12),
    BATCH: (20, 2),
    ADOPTER: (60, 5),
    PROMO: (150, 8),
}


def population_size(population: str, scale: float) -> int:
    per_scale, least = POPULATION_SIZE[population]
    return max(least, round(per_scale * scale))


class Infrastructure:
    """Shared address pools of the world the accounts live in, built before any account."""

    def __init__(self, r: random.Random, book: AddressBook, scale: float) -> None:
        self.r = r
        self.book = book

        def scaled(low: int, high: int) -> int:
            # Shared pools shrink with the scale so that the number of our customers behind
            # one address stays what it is at scale 1.
            return max(1, round(r.randint(low, high) * scale))

        def fill(
            system: catalog.AutonomousSystem, count: int, country: str | None = None
        ) -> list[int]:
            # A pool of ``count`` fresh addresses, or of all a small system announces: at a
            # large scale (160, the 4M-request day) a VPN asked for up to 4,800 exits has
            # about 2,000 (NordVPN's two /22s), and its customers share them more. The
            # draws are the same as before until a system fills.
            rows: list[int] = []
            for _ in range(count):
                try:
                    rows.append(book.new_address(r, system, country=country))
                except AddressSpaceFull:
                    if not rows:
                        raise
                    break
            return rows

        self.cgnat: dict[tuple[int, str], int] = {}
        # Carrier-grade NAT: each carrier's region hands its subscribers a few public IPv4
        # addresses (thousands of subscribers per address in life; the provider's customers
        # are a small share of them, so a handful of addresses per carrier gives the rate at
        # which unrelated customers meet on one address).
        for system in catalog.ALL_SYSTEMS:
            if not system.cgnat:
                continue
            for country in sorted({c for _, c in system.v4}):
                rows = fill(system, scaled(3, 8), country)
                self.cgnat[(system.asn, country)] = book.pool(f"cgnat:{system.asn}:{country}", rows)
        # Offices and coworking spaces: one egress /24 (a few NAT addresses) per building.
        self.offices: list[tuple[int, str]] = []
        for index in range(max(2, round(24 * scale))):
            system = r.choice(catalog.BUSINESS_ASES)
            country = r.choice(system.v4)[1]
            first = book.new_address(r, system, country=country)
            rows = book.neighbours(r, first, r.randint(0, 3))
            self.offices.append((book.pool(f"office:{index}", rows), country))
        # Security edges and privacy relays: many unrelated people per address.
        self.edges: dict[str, int] = {}
        for system in catalog.EDGE_ASES:
            rows = fill(system, scaled(6, 20))
            self.edges[system.name] = book.pool(f"edge:{system.asn}", rows)
        # Commercial VPN exits: consumers and some operators rent the same ones.
        self.vpns: list[int] = []
        for system in catalog.VPN_ASES:
            rows = fill(system, scaled(10, 30))
            self.vpns.append(book.pool(f"vpn:{system.asn}", rows))
        # Serverless platforms and notebooks: tenants share the platform's NAT gateways.
        self.platforms: dict[str, int] = {}
        for name, asn, count in (
            ("serverless-aws", 16509, 8),
            ("serverless-gcp", 396982, 6),
            ("notebooks", 15169, 24),
            ("ci-runners", 8075, 16),
            ("app-platform", 40509, 6),
        ):
            system = next(s for s in catalog.CLOUD_ASES if s.asn == asn)
            rows = fill(system, scaled(count, count))
            self.platforms[name] = book.pool(f"platform:{name}", rows)
        # Campus NAT: a university's egress block.
        self.campuses: dict[int, tuple[int, str]] = {}
        for system in catalog.CAMPUS_ASES:
            first = book.new_address(r, system)
            rows = book.neighbours(r, first, r.randint(2, 5))
            self.campuses[system.asn] = (book.pool(f"campus:{system.asn}", rows), system.v4[0][1])

    def cgnat_pool(self, system: catalog.AutonomousSystem, country: str) -> int:
        """The CGNAT pool of ``system`` in ``country`` (its nearest one when it has none there)."""
        if (system.asn, country) in self.cgnat:
            return self.cgnat[(system.asn, country)]
        for key in sorted(self.cgnat):
            if key[0] == system.asn:
                return self.cgnat[key]
        for key in sorted(self.cgnat):
            if key[1] == country:
                return self.cgnat[key]
        return self.cgnat[sorted(self.cgnat)[0]]


class DirectoryBuilder:
    """Creates the accounts of every population for one configuration."""

    def __init__(self, config: SimulationConfig, bank: text.TextBank) -> None:
        self.config = config
        self.bank = bank
        self.rng = np.random.default_rng([config.seed, 0xACC0])
        self.r = random.Random(int(self.rng.integers(2**62)))
        self.ids = Ids(self.rng)
        self.book = AddressBook()
        self.infra = Infrastructure(self.r, self.book, config.scale)
        self.accounts: list[Account] = []
        self.start_ms = day_start_ms(config.start)
        self.end_ms = day_start_ms(config.end) + DAY_MS
        self.scale = config.scale
        self.campaigns: list = []

    # --- identity helpers ------------------------------------------------------------
    def days_ago(self, low: float, high: float) -> int:
        """A creation time between ``low`` and ``high`` days before the run starts."""
        return self.start_ms - int(self.r.uniform(low, high) * DAY_MS)

    def during_run(self) -> int:
        return self.start_ms + int(self.r.uniform(0, self.end_ms - self.start_ms))

    def keys(self, count: int) -> list[str]:
        return [self.ids.new("key_", 20) for _ in range(count)]

    def payment(self) -> str:
        return self.rng.bytes(32).hex()  # a SHA-256 hex digest

    def company(self) -> tuple[str, str]:
        """A company name and its email domain."""
        r = self.r
        name = f"{r.choice(catalog.COMPANY_WORDS_A)}{r.choice(catalog.COMPANY_WORDS_B)}"
        return name.title(), f"{name}.{r.choice(catalog.COMPANY_TLDS)}"

    def home_country(self) -> str:
        return self.r.choices(catalog.HOME_COUNTRIES, catalog.HOME_WEIGHTS)[0]

    def webmail(self, country: str) -> str:
        return self.r.choice(catalog.COUNTRIES[country].webmail)

    def language(self, country: str) -> tuple[str, float]:
        info = catalog.COUNTRIES[country]
        return info.language, info.non_english_share

    # --- egress helpers -----------------------------------------------------------------
    def access_system(self, country: str, kind: str) -> catalog.AutonomousSystem:
        local = catalog.systems(kind, country=country)
        if not local:
            local = catalog.systems(catalog.ISP, catalog.MOBILE, country=country)
        return self.r.choice(local or catalog.systems(kind, country="US"))

    def home_line(self, country: str) -> list[EgressOption]:
        """A household's fixed line: a leased address, or the ISP's CGNAT on some networks."""
        system = self.access_system(country, catalog.ISP)
        if system.cgnat or system.kind == catalog.MOBILE:
            options = [EgressOption(1.0, POOL, self.infra.cgnat_pool(system, country), 6)]
            device = self.book.device_prefix(system) if system.v6 else None
            if device is not None and self.r.random() < 0.6:  # DS-Lite and fibre are dual stack
                options.append(EgressOption(0.8, DEVICE_V6, device))
            return options
        # Lease lengths: DSL lines were re-dialled daily (German ISPs), cable leases last weeks.
        lease = 1 if country == "DE" and self.r.random() < 0.4 else self.r.choice((7, 14, 30, 60))
        v6_share = 0.4 if system.v6 and self.r.random() < 0.5 else 0.0
        return [EgressOption(1.0, LINE, self.book.line(self.r, system, country, lease, v6_share))]

    def carrier(self, country: str) -> catalog.AutonomousSystem:
        """A mobile carrier of ``country`` (a CGNAT access network when it has no carrier here)."""
        local = catalog.systems(catalog.MOBILE, country=country)
        if not local:
            local = tuple(s for s in catalog.systems(catalog.ISP, country=country) if s.cgnat)
        return self.r.choice(local or catalog.systems(catalog.MOBILE, country="US"))

    def mobile(self, country: str, weight: float) -> list[EgressOption]:
        """A phone on a carrier: CGNAT IPv4 per session, the device's own IPv6 when it has it."""
        system = self.carrier(country)
        pool = self.infra.cgnat_pool(system, country)
        device = self.book.device_prefix(system) if system.v6 else None
        if device is None:
            return [EgressOption(weight, POOL, pool, 3)]
        return [
            EgressOption(weight * 0.5, POOL, pool, 3),
            EgressOption(weight * 0.5, DEVICE_V6, device),
        ]

    def person_egress(
        self, country: str, *, mobile_share: float, vpn: float = 0.06
    ) -> list[EgressOption]:
        """Where an ordinary person's requests come from: home, phone, sometimes a VPN or relay.

        Shares: about a third of people also use the product from a phone; ~6% of them
        through a commercial VPN and ~4% through a privacy relay (surveys of VPN use among
        developers and Safari's iCloud Private Relay share), occasionally from work.
        """
        r = self.r
        options = self.home_line(country)
        if r.random() < mobile_share:
            options += self.mobile(country, r.uniform(0.1, 0.5))
        if r.random() < vpn:
            options.append(EgressOption(r.uniform(0.2, 0.9), POOL, r.choice(self.infra.vpns), 12))
        if r.random() < 0.04:
            relay = self.infra.edges[
                r.choice(("Akamai (iCloud Private Relay)", "Cloudflare (WARP)"))
            ]
            options.append(EgressOption(r.uniform(0.3, 1.0), POOL, relay, 1))
        if r.random() < 0.08:
            office, _ = r.choice(self.infra.offices)
            options.append(EgressOption(r.uniform(0.1, 0.4), POOL, office, 8))
        return options

    def cloud_egress(self, count: int, *, shared_platform: float = 0.25) -> list[EgressOption]:
        """A backend's egress: its own NAT addresses at one cloud, or a platform's shared NAT."""
        r = self.r
        if r.random() < shared_platform:
            name = r.choice(("serverless-aws", "serverless-gcp", "app-platform"))
            return [EgressOption(1.0, POOL, self.infra.platforms[name], 0)]
        system = r.choice(catalog.CLOUD_ASES[:8])
        return [
            EgressOption(1.0, FIXED, self.book.new_address(r, system, ipv6=r.random() < 0.1))
            for _ in range(count)
        ]

    def signup_ip(self, account: Account, day: int) -> str | None:
        option = choose_option(account.egress, self.r.random())
        ip, _, _ = self.book.resolve(option, account.key, day, self.r.randrange(24), self.r)
        return ip

    def human_agents(self, sdk_share: float = 0.55, mobile: bool = False) -> list[str | None]:
        r = self.r
        agents: list[str | None] = []
        for _ in range(r.choice((1, 1, 2))):
            roll = r.random()
            if roll < 0.08:
                agents.append(r.choice(catalog.HTTP_CLIENT_AGENTS))
            elif roll < 0.08 + sdk_share:
                agents.append(r.choice(catalog.OFFICIAL_SDK_AGENTS))
            elif roll < 0.2 + sdk_share:
                agents.append(r.choice(catalog.APP_AGENTS))
            else:
                pool = catalog.MOBILE_BROWSER_AGENTS if mobile else catalog.BROWSER_AGENTS
                agents.append(r.choice(pool))
        if r.random() < 0.02:
            agents.append(None)  # a client that sends no User-Agent header
        return agents

    def add(self, account: Account) -> Account:
        account.key = self.r.getrandbits(62)
        self.accounts.append(account)
        return account

    def finish(self, account: Account, signup_day: int | None = None) -> Account:
        """Register the account and record where it signed up from."""
        self.add(account)
        if account.signup_ip is None and self.r.random() < 0.9:
            day = signup_day
            if day is None:
                day = (account.created_ms - self.start_ms) // DAY_MS
            account.signup_ip = self.signup_ip(account, day)
        return account

    def individual_like(
        self,
        population: str,
        country: str,
        *,
        created_ms: int,
        rate: float,
        active_prob: float,
        egress: list[EgressOption],
        profile: int = HUMAN,
        mobile_agents: bool = False,
    ) -> Account:
        r = self.r
        language, native = self.language(country)
        tier = "build" if r.random() < 0.45 else "free"
        young = created_ms > self.start_ms - 30 * DAY_MS
        system_prompt = None
        if r.random() < 0.15 and self.bank.role_prompts:  # people who set a persona keep it
            system_prompt = r.choice(self.bank.role_prompts)
        return Account(
            account_id=self.ids.new("acct_", 16),
            population=population,
            created_ms=created_ms,
            email_domain=self.webmail(country) if r.random() < 0.85 else self.company()[1],
            tier=tier,
            verified=r.random() < (0.3 if young else 0.7),
            org_id=self.ids.new("org_", 12) if r.random() < 0.1 else None,
            payment_fingerprint=self.payment() if tier == "build" else None,
            billing_country=country if tier == "build" or r.random() < 0.5 else None,
            country=country,
            language=language,
            non_english_share=native,
            tz=catalog.COUNTRIES[country].utc_offset,
            schedule=SESSIONS,
            profile=profile,
            rate=rate,
            active_prob=active_prob,
            content=C_USER,
            code_bias=r.choice((0.0, 0.1, 0.3, 0.6)),  # from hobbyists to developers
            egress=egress,
            agents=self.human_agents(mobile=mobile_agents),
            keys=self.keys(r.choice((1, 1, 2))),
            system_prompt=system_prompt,
            system_prompt_share=0.8 if system_prompt else 0.0,
        )

    # --- legitimate populations ------------------------------------------------------
    def individuals(self) -> None:
        r = self.r
        for _ in range(population_size(INDIVIDUAL, self.scale)):
            country = self.home_country()
            new_signup = r.random() < 0.12  # signed up during the run: young, but human
            created = self.during_run() if new_signup else self.days_ago(1, 900)
            account = self.individual_like(
                INDIVIDUAL,
                country,
                created_ms=created,
                # A few requests on a day of use, heavy-tailed; used on about a third of days.
                rate=float(self.rng.lognormal(np.log(6.0), 0.7)),
                active_prob=float(self.rng.beta(1.6, 3.0)),
                egress=self.person_egress(country, mobile_share=0.35),
            )
            self.finish(account)

    def saas_backends(self) -> None:
        r = self.r
        for _ in range(population_size(SAAS, self.scale)):
            company, domain = self.company()
            product = r.randrange(len(products.SAAS_PRODUCTS))
            country = r.choice(("US", "US", "US", "DE", "GB", "FR", "IN", "CA", "NL", "JP"))
            account = Account(
                account_id=self.ids.new("acct_", 16),
                population=SAAS,
                created_ms=self.days_ago(30, 900),
                email_domain=domain,
                tier="scale" if r.random() < 0.7 else "build",
                verified=True,
                org_id=self.ids.new("org_", 12),
                payment_fingerprint=self.payment(),
                billing_country=country,
                country=country,
                language=catalog.COUNTRIES[country].language,
                company=company,
                tz=catalog.COUNTRIES[country].utc_offset,
                schedule=PROFILE,
                profile=CONSUMER,
                rate=float(self.rng.lognormal(np.log(110.0), 0.8)),
                content=C_SAAS,
                variant=product,
                egress=self.cloud_egress(r.randint(1, 3)),
                agents=[
                    r.choice(catalog.OFFICIAL_SDK_AGENTS)
                    if r.random() < 0.8
                    else r.choice(("python-httpx/0.27.2", "axios/1.7.7", "okhttp/4.12.0"))
                ],
                keys=self.keys(r.randint(2, 4)),
                system_prompt=products.SAAS_PRODUCTS[product].system.replace("{company}", company),
                system_prompt_share=1.0,
            )
            self.finish(account)

    def enterprises(self) -> None:
        r = self.r
        total = population_size(ENTERPRISE, self.scale)
        orgs = max(1, round(total / 18))
        sizes = np.full(orgs, total // orgs)
        sizes[: total % orgs] += 1
        for size in sizes.tolist():
            company, domain = self.company()
            country = r.choice(("US", "US", "DE", "GB", "FR", "JP", "IN", "NL"))
            system = self.access_system(country, catalog.BUSINESS)
            first = self.book.new_address(r, system, country=country)
            office = self.book.pool(
                f"org-nat:{domain}", self.book.neighbours(r, first, r.randint(1, 3))
            )
            options = [EgressOption(1.0, POOL, office, 4)]
            # Many enterprises send all web traffic through a cloud security edge (Zscaler,
            # Netskope): its addresses carry unrelated companies' employees too.
            if r.random() < 0.4:
                edge = r.choice(("Zscaler", "Zscaler (SJC)", "Netskope"))
                options = [EgressOption(1.0, POOL, self.infra.edges[edge], 2)]
            org_id = self.ids.new("org_", 12)
            payment = self.payment()
            org_created = self.days_ago(200, 900)
            system_prompt = products.ENTERPRISE_SYSTEM_PROMPT.replace("{company}", company)
            language, native = self.language(country)
            for _ in range(size):
                egress = list(options)
                if r.random() < 0.3:  # remote days from home
                    egress += [
                        EgressOption(0.5, o.kind, o.ref, o.sticky_hours)
                        for o in self.home_line(country)
                    ]
                account = Account(
                    account_id=self.ids.new("acct_", 16),
                    population=ENTERPRISE,
                    created_ms=org_created
                    + int(r.uniform(0, self.start_ms - org_created - DAY_MS)),
                    email_domain=domain,
                    tier="enterprise",
                    verified=True,
                    org_id=org_id,
                    payment_fingerprint=payment,
                    billing_country=country,
                    country=country,
                    language=language,
                    non_english_share=native * 0.5,
                    company=company,
                    tz=catalog.COUNTRIES[country].utc_offset,
                    schedule=SESSIONS,
                    profile=BUSINESS,
                    rate=float(self.rng.lognormal(np.log(12.0), 0.6)),
                    active_prob=0.7,
                    content=C_ENTERPRISE,
                    code_bias=r.choice((0.1, 0.3, 0.5)),
                    egress=egress,
                    agents=[r.choice(catalog.OFFICIAL_SDK_AGENTS)]
                    if r.random() < 0.6
                    else [r.choice(catalog.BROWSER_AGENTS)],
                    keys=self.keys(r.choice((1, 2))),
                    system_prompt=system_prompt,
                    system_prompt_share=0.6,
                )
                self.finish(account)

    def researchers(self) -> None:
        r = self.r
        for _ in range(population_size(RESEARCHER, self.scale)):
            campus_asn = r.choice(sorted(self.infra.campuses))
            campus_pool, country = self.infra.campuses[campus_asn]
            egress = [EgressOption(1.0, POOL, campus_pool, 8)]
            if r.random() < 0.5:  # eval runs from notebooks or a cloud GPU box
                egress.append(EgressOption(1.0, POOL, self.infra.platforms["notebooks"], 6))
            egress += [
                EgressOption(0.3, o.kind, o.ref, o.sticky_hours) for o in self.home_line(country)
            ]
            domains = catalog.UNIVERSITY_DOMAINS.get(country, catalog.UNIVERSITY_DOMAINS["US"])
            account = Account(
                account_id=self.ids.new("acct_", 16),
                population=RESEARCHER,
                created_ms=self.days_ago(60, 900),
                email_domain=r.choice(domains) if r.random() < 0.7 else self.webmail(country),
                tier="build",
                verified=True,
                org_id=self.ids.new("org_", 12) if r.random() < 0.5 else None,
                payment_fingerprint=self.payment(),
                billing_country=country,
                country=country,
                language=catalog.COUNTRIES[country].language,
                tz=catalog.COUNTRIES[country].utc_offset,
                schedule=RESEARCH,
                profile=BUSINESS,
                rate=float(self.rng.lognormal(np.log(5.0), 0.5)),
                active_prob=0.55,
                content=C_RESEARCH,
                variant=r.randrange(1000),  # which harness format the group's code uses
                param2=int(self.rng.integers(150, 500)),  # items in one eval run
                egress=egress,
                agents=[r.choice(catalog.OFFICIAL_SDK_AGENTS[:4] + ("litellm/1.52.0",))],
                keys=self.keys(r.choice((1, 2, 3))),
                system_prompt="You are a helpful assistant." if r.random() < 0.3 else None,
                system_prompt_share=1.0,
            )
            self.finish(account)

    def tutoring_apps(self) -> None:
        r = self.r
        for app in range(population_size(TUTORING, self.scale)):
            company, domain = self.company()
            country = r.choice(("US", "IN", "GB", "BR", "FR", "ID"))
            org_id = self.ids.new("org_", 12)
            payment = self.payment()
            system_prompt = products.TUTORING_SYSTEM_PROMPTS[
                app % len(products.TUTORING_SYSTEM_PROMPTS)
            ]
            egress = self.cloud_egress(r.randint(1, 2))
            language, native = self.language(country)
            for _ in range(r.randint(1, 3)):  # production, staging, a second region
                account = Account(
                    account_id=self.ids.new("acct_", 16),
                    population=TUTORING,
                    created_ms=self.days_ago(40, 500),
                    email_domain=domain,
                    tier="scale",
                    verified=True,
                    org_id=org_id,
                    payment_fingerprint=payment,
                    billing_country=country,
                    country=country,
                    language=language,
                    non_english_share=native,
                    company=company,
                    tz=catalog.COUNTRIES[country].utc_offset,
                    schedule=PROFILE,
                    profile=STUDENT,
                    # End users' questions: a few hundred a day for a small app.
                    rate=float(self.rng.lognormal(np.log(220.0), 0.6)),
                    content=C_TUTOR,
                    egress=egress,
                    agents=[r.choice(("anthropic-typescript/0.52.0", "anthropic-python/0.57.1"))],
                    keys=self.keys(r.randint(1, 3)),
                    system_prompt=system_prompt,
                    system_prompt_share=1.0,
                )
                self.finish(account)

    def student_cohorts(self) -> None:
        r = self.r
        total = population_size(COHORT, self.scale)
        classes = max(1, round(total / 60))
        sizes = np.full(classes, total // classes)
        sizes[: total % classes] += 1
        signup_day = (self.config.class_signup_day - self.config.start).days
        for index, size in enumerate(sizes.tolist()):
            campus_asn = r.choice(sorted(self.infra.campuses))
            campus_pool, country = self.infra.campuses[campus_asn]
            domains = catalog.UNIVERSITY_DOMAINS.get(country, catalog.UNIVERSITY_DOMAINS["US"])
            domain = r.choice(domains)
            # The lab session: 14:00 local on the sign-up day, everyone within the hour.
            tz = catalog.COUNTRIES[country].utc_offset
            session_ms = self.start_ms + signup_day * DAY_MS + ((14 - tz) % 24) * HOUR_MS
            assignment = r.getrandbits(30)
            language, native = self.language(country)
            for _ in range(size):
                egress = [EgressOption(1.0, POOL, campus_pool, 2)] + [
                    EgressOption(0.8, o.kind, o.ref, o.sticky_hours)
                    for o in self.person_egress(country, mobile_share=0.5, vpn=0.03)
                ]
                account = Account(
                    account_id=self.ids.new("acct_", 16),
                    population=COHORT,
                    created_ms=session_ms + int(r.uniform(0, 50 * 60_000)),
                    email_domain=domain,
                    tier="free",
                    verified=False,
                    billing_country=country if r.random() < 0.3 else None,
                    country=country,
                    language=language,
                    non_english_share=native,
                    tz=tz,
                    schedule=CLASS,
                    profile=STUDENT,
                    rate=float(self.rng.lognormal(np.log(7.0), 0.5)),
                    active_prob=0.45,
                    content=C_CLASS,
                    variant=assignment,
                    param=index,
                    egress=egress,
                    agents=self.human_agents(sdk_share=0.4),
                    keys=self.keys(1),
                )
                self.add(account)
                account.signup_ip = self.book.ips[self.book.pools[campus_pool][0]]

    def agencies(self) -> None:
        r = self.r
        for _ in range(population_size(AGENCY, self.scale)):
            _, agency_domain = self.company()
            payment = self.payment()  # the agency pays for every customer account
            country = r.choice(("US", "GB", "DE", "SG", "IN", "NL"))
            system = self.access_system(country, catalog.BUSINESS)
            first = self.book.new_address(r, system, country=country)
            office = self.book.pool(f"agency:{agency_domain}", self.book.neighbours(r, first, 1))
            for _ in range(r.randint(4, 16)):
                company, domain = self.company()
                product = r.randrange(len(products.SAAS_PRODUCTS))
                saas_like = r.random() < 0.5
                egress = [EgressOption(0.3, POOL, office, 8)] + self.cloud_egress(
                    1, shared_platform=0.4
                )
                account = Account(
                    account_id=self.ids.new("acct_", 16),
                    population=AGENCY,
                    created_ms=self.days_ago(20, 600),
                    email_domain=domain if r.random() < 0.6 else agency_domain,
                    tier=r.choice(("build", "scale")),
                    verified=r.random() < 0.8,
                    org_id=self.ids.new("org_", 12) if r.random() < 0.7 else None,
                    payment_fingerprint=payment,
                    billing_country=country,
                    country=country,
                    language=catalog.COUNTRIES[country].language,
                    company=company,
                    tz=catalog.COUNTRIES[country].utc_offset,
                    schedule=PROFILE,
                    profile=GLOBAL,
                    rate=float(self.rng.lognormal(np.log(20.0), 0.9)),
                    active_prob=0.8,
                    content=C_SAAS if saas_like else C_USER,
                    variant=product,
                    code_bias=0.2,
                    egress=egress,
                    agents=[r.choice(catalog.OFFICIAL_SDK_AGENTS + catalog.APP_AGENTS[:3])],
                    keys=self.keys(r.randint(1, 3)),
                    system_prompt=products.SAAS_PRODUCTS[product].system.replace(
                        "{company}", company
                    )
                    if saas_like
                    else None,
                    system_prompt_share=1.0,
                )
                self.finish(account)

    def office_users(self) -> None:
        """People of unrelated small companies and freelancers in shared offices and coworking."""
        r = self.r
        for _ in range(population_size(OFFICE, self.scale)):
            office, country = r.choice(self.infra.offices)
            egress = [EgressOption(1.0, POOL, office, 8)] + [
                EgressOption(0.4, o.kind, o.ref, o.sticky_hours)
                for o in self.person_egress(country, mobile_share=0.3, vpn=0.03)
            ]
            account = self.individual_like(
                OFFICE,
                country,
                created_ms=self.days_ago(5, 800),
                rate=float(self.rng.lognormal(np.log(9.0), 0.6)),
                active_prob=0.55,
                egress=egress,
                profile=BUSINESS,
            )
            account.email_domain = self.company()[1] if r.random() < 0.6 else account.email_domain
            self.finish(account)

    def carrier_users(self) -> None:
        """Mobile-first people: nearly everything through their carrier's CGNAT."""
        r = self.r
        for _ in range(population_size(CARRIER, self.scale)):
            country = self.home_country()
            egress = self.mobile(country, 1.0)
            if r.random() < 0.3:
                egress += [
                    EgressOption(0.2, o.kind, o.ref, o.sticky_hours)
                    for o in self.home_line(country)
                ]
            account = self.individual_like(
                CARRIER,
                country,
                created_ms=self.days_ago(1, 700) if r.random() < 0.9 else self.during_run(),
                rate=float(self.rng.lognormal(np.log(5.0), 0.7)),
                active_prob=float(self.rng.beta(2.0, 3.0)),
                egress=egress,
                profile=CONSUMER,
                mobile_agents=True,
            )
            self.finish(account)

    def oss_app_users(self) -> None:
        """Developers who run the same open-source coding assistant with their own key."""
        for _ in range(population_size(OSS, self.scale)):
            country = self.home_country()
            account = self.individual_like(
                OSS,
                country,
                created_ms=self.days_ago(1, 500) if self.r.random() < 0.85 else self.during_run(),
                rate=float(self.rng.lognormal(np.log(14.0), 0.8)),
                active_prob=float(self.rng.beta(2.0, 3.0)),
                egress=self.person_egress(country, mobile_share=0.1),
            )
            account.content = C_OSS
            account.code_bias = 0.8
            account.agents = [products.OSS_APP_AGENT]
            account.system_prompt = products.OSS_APP_SYSTEM_PROMPT
            account.system_prompt_share = 1.0
            account.tier = "build"
            account.payment_fingerprint = account.payment_fingerprint or self.payment()
            account.billing_country = account.billing_country or country
            self.finish(account)

    def batch_processors(self) -> None:
        r = self.r
        for _ in range(population_size(BATCH, self.scale)):
            company, domain = self.company()
            country = r.choice(("US", "DE", "GB", "JP", "IN", "FR", "BR"))
            account = Account(
                account_id=self.ids.new("acct_", 16),
                population=BATCH,
                created_ms=self.days_ago(30, 700),
                email_domain=domain,
                tier=r.choice(("build", "scale")),
                verified=True,
                org_id=self.ids.new("org_", 12),
                payment_fingerprint=self.payment(),
                billing_country=country,
                country=country,
                company=company,
                tz=catalog.COUNTRIES[country].utc_offset,
                schedule=REGULAR,
                rate=float(self.rng.lognormal(np.log(140.0), 0.5)),
                content=C_BATCH,
                param=r.randint(0, 23) * 60 + r.randrange(0, 60, 15),  # local start, minutes
                param2=r.randint(30, 150),  # job length, minutes
                egress=self.cloud_egress(1, shared_platform=0.3),
                agents=[
                    r.choice(
                        ("anthropic-python/0.52.2", "anthropic-go/1.4.0", "anthropic-java/2.1.0")
                    )
                ],
                keys=self.keys(1),
            )
            account.variant = r.randrange(len(products.BATCH_JOBS))  # which job template
            self.finish(account)

    def release_adopters(self) -> None:
        for _ in range(population_size(ADOPTER, self.scale)):
            country = self.r.choice(("US", "US", "GB", "DE", "IN", "JP", "FR", "CA", "KR"))
            account = self.individual_like(
                ADOPTER,
                country,
                created_ms=self.days_ago(10, 700),
                rate=float(self.rng.lognormal(np.log(12.0), 0.6)),
                active_prob=0.6,
                egress=self.person_egress(country, mobile_share=0.2),
            )
            account.code_bias = 0.5
            account.tier = "build"
            account.payment_fingerprint = account.payment_fingerprint or self.payment()
            account.agents = [
                self.r.choice(catalog.OFFICIAL_SDK_AGENTS[-5:] + catalog.APP_AGENTS[:4])
            ]
            self.finish(account)

    def promo_cohort(self) -> None:
        wake = (self.config.promotion_day - self.config.start).days
        for _ in range(population_size(PROMO, self.scale)):
            country = self.home_country()
            account = self.individual_like(
                PROMO,
                country,
                created_ms=self.days_ago(60, 700),
                rate=float(self.rng.lognormal(np.log(6.0), 0.6)),
                active_prob=0.3,
                egress=self.person_egress(country, mobile_share=0.35),
            )
            account.schedule = PROMO_WAKE
            account.first_day = wake
            account.woke_day = wake
            self.finish(account, signup_day=-60)

    # --- labels an operator would hold -------------------------------------------------
    def reviews(self) -> None:
        """Reviewers clear some legitimate accounts, look-alikes more often (they get flagged).

        The shares stand for what a review queue closes as legitimate over a few weeks; the
        label only counts once the account was active (runner.write_labels checks).
        """
        r = self.r
        for account in self.accounts:
            if account.campaign >= 0:
                continue
            prob = 0.04 if account.population == INDIVIDUAL else 0.2
            if r.random() >= prob:
                continue
            earliest = max(self.start_ms + 3 * DAY_MS, account.created_ms + DAY_MS)
            if account.first_day > -NEVER:
                earliest = max(earliest, self.start_ms + (account.first_day + 1) * DAY_MS)
            if earliest >= self.end_ms:
                continue
            account.review_ms = earliest + int(r.uniform(0, self.end_ms - earliest))

    def legitimate_populations(self) -> None:
        """Every legitimate population, in a fixed order (the seed's draws depend on it)."""
        self.individuals()
        self.saas_backends()
        self.enterprises()
        self.researchers()
        self.tutoring_apps()
        self.student_cohorts()
        self.agencies()
        self.office_users()
        self.carrier_users()
        self.oss_app_users()
        self.batch_processors()
        self.release_adopters()
        self.promo_cohort()

    def directory(self) -> Directory:
        """Reviews of legitimate accounts, then the directory of accounts created in the run."""
        self.reviews()
        # Accounts whose creation falls after the run never existed in it.
        accounts = [a for a in self.accounts if a.created_ms < self.end_ms]
        return Directory(
            accounts=accounts,
            addresses=self.book,
            campaigns=self.campaigns,
            start_ms=self.start_ms,
        )
