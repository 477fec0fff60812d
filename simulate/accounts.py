"""The account directory: every account of the run, who it really is, how it behaves.

Built once per run from the seed alone (never from a day's generator), so each
day can be generated on its own. Populations follow the issue: legitimate
hobbyists, SaaS backends, enterprises, benchmark researchers, night-time batch
jobs, resellers, a university class and accounts woken by a promotion, several
of them hard negatives that look like abuse on exactly one signal; and the
three distillation campaigns. Identifiers are random so that nothing in an id
or its position gives the population away; the truth is written separately.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import numpy as np

from simulate import catalog, network, text
from simulate.config import (
    CAMPAIGN_AGGRESSIVE,
    CAMPAIGN_DISTRIBUTED,
    CAMPAIGN_REASONING,
    SimulationConfig,
)
from simulate.network import EgressTable

DAY_MS = 86_400_000
HOUR_MS = 3_600_000
NEVER = 1 << 30  # a day index later than any run

HOBBYIST = "hobbyist"
SAAS = "saas_backend"
ENTERPRISE = "enterprise"
RESEARCHER = "benchmark_researcher"
NIGHT_BATCH = "night_batch"
RESELLER = "reseller"
CLASS = "university_class"
PROMOTION = "promotion_wake"
AGGRESSIVE = "campaign_aggressive"
DISTRIBUTED = "campaign_distributed"
REASONING = "campaign_reasoning"
POPULATIONS: tuple[str, ...] = (
    HOBBYIST,
    SAAS,
    ENTERPRISE,
    RESEARCHER,
    NIGHT_BATCH,
    RESELLER,
    CLASS,
    PROMOTION,
    AGGRESSIVE,
    DISTRIBUTED,
    REASONING,
)
POPULATION_CAMPAIGN: dict[str, str] = {
    AGGRESSIVE: CAMPAIGN_AGGRESSIVE,
    DISTRIBUTED: CAMPAIGN_DISTRIBUTED,
    REASONING: CAMPAIGN_REASONING,
}
# The one signal on which each legitimate population looks like abuse.
HARD_NEGATIVE_SIGNAL: dict[str, str] = {
    SAAS: "templated prompts behind one fixed system prompt on cloud IPs",
    ENTERPRISE: "many accounts sharing NAT IPs, a payment instrument and a system prompt (one org)",
    RESEARCHER: "chain-of-thought eval bursts",
    NIGHT_BATCH: "one template at machine-regular night hours",
    RESELLER: "large volume from many IPs and ASNs",
    CLASS: "created in the same hour from one campus /24",
    PROMOTION: "dormant accounts waking on the same day",
}
# Accounts per unit of scale, and the least a population gets at tiny scales.
POPULATION_SIZE: dict[str, tuple[float, int]] = {
    HOBBYIST: (1400, 20),
    SAAS: (50, 2),
    ENTERPRISE: (200, 6),
    RESEARCHER: (15, 2),
    NIGHT_BATCH: (20, 2),
    RESELLER: (6, 1),
    CLASS: (40, 4),
    PROMOTION: (120, 4),
    AGGRESSIVE: (500, 12),
    DISTRIBUTED: (150, 8),
    REASONING: (40, 4),
}
# Campaign requests a day per unit of scale, shared by the campaign's active accounts.
CAMPAIGN_DAILY_REQUESTS: dict[str, float] = {AGGRESSIVE: 4500, DISTRIBUTED: 1200, REASONING: 400}

HOME_COUNTRIES: tuple[tuple[str, float], ...] = (
    ("US", 0.30),
    ("GB", 0.07),
    ("DE", 0.08),
    ("FR", 0.05),
    ("ES", 0.04),
    ("IN", 0.09),
    ("JP", 0.05),
    ("KR", 0.03),
    ("BR", 0.05),
    ("CA", 0.04),
    ("AU", 0.03),
    ("CN", 0.06),
    ("NL", 0.04),
    ("RU", 0.02),
    ("SG", 0.0),
)


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
    company: str | None = None
    tz: int = 0  # hours to add to UTC for the account's local time
    rate: float = 0.0  # mean requests on a day it is active
    active_prob: float = 1.0
    template: int = 0  # which product, batch job, eval harness, sweep template or class subject
    param: int = 0  # population-specific timing: a batch job's local start minute
    param2: int = 0  # population-specific size: a job's minutes, an eval run's items
    egress: list[int] = field(default_factory=list)  # rows of the egress table
    primary_egress_share: float = 0.0  # share of requests from egress[0]; the rest uniform
    agents: list[str | None] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)
    system_prompt: str | None = None
    system_prompt_share: float = 0.0
    woke_day: int = -NEVER  # day index from which a dormant account is active
    banned_day: int = NEVER  # day index from which the account sends nothing
    enforcement_day: int | None = None  # day index of its enforcement label
    review_ms: int | None = None  # when a reviewer cleared it (label 0)

    @property
    def campaign_id(self) -> str | None:
        return POPULATION_CAMPAIGN.get(self.population)

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
    """All accounts of a run, the shared egress table and the campaigns' shared infrastructure."""

    accounts: list[Account]
    egress: EgressTable
    start_ms: int

    def __post_init__(self) -> None:
        self.population_codes = np.asarray(
            [POPULATIONS.index(a.population) for a in self.accounts], dtype=np.int16
        )
        self.created_ms = np.asarray([a.created_ms for a in self.accounts], dtype=np.int64)
        self.banned_day = np.asarray([a.banned_day for a in self.accounts], dtype=np.int64)
        self.woke_day = np.asarray([a.woke_day for a in self.accounts], dtype=np.int64)
        self.rate = np.asarray([a.rate for a in self.accounts], dtype=np.float64)
        self.active_prob = np.asarray([a.active_prob for a in self.accounts], dtype=np.float64)
        self.tz = np.asarray([a.tz for a in self.accounts], dtype=np.int64)
        self.param = np.asarray([a.param for a in self.accounts], dtype=np.int64)
        self.param2 = np.asarray([a.param2 for a in self.accounts], dtype=np.int64)
        self.template = np.asarray([a.template for a in self.accounts], dtype=np.int64)
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

    def members(self, population: str) -> np.ndarray:
        return np.flatnonzero(self.population_codes == POPULATIONS.index(population))

    def created_by(self, end_ms: int) -> np.ndarray:
        """Indices of accounts created before ``end_ms``, in snapshot order."""
        order = self.snapshot_order
        return order[self.created_ms[order] < end_ms]


class _Ids:
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


def _size(population: str, scale: float) -> int:
    per_scale, least = POPULATION_SIZE[population]
    return max(least, round(per_scale * scale))


def _company(r: random.Random) -> tuple[str, str]:
    """A company name and its email domain."""
    name = f"{r.choice(catalog.COMPANY_WORDS_A)}{r.choice(catalog.COMPANY_WORDS_B)}"
    return name.title(), f"{name}.{r.choice(catalog.COMPANY_TLDS)}"


def _home_country(r: random.Random) -> str:
    countries = [c for c, _ in HOME_COUNTRIES]
    weights = [w for _, w in HOME_COUNTRIES]
    return r.choices(countries, weights)[0]


def _webmail(r: random.Random, country: str) -> str:
    return r.choice(
        catalog.COUNTRY_WEBMAIL.get(
            country,
            ("gmail.com", "outlook.com", "yahoo.com", "icloud.com", "proton.me", "hotmail.com"),
        )
    )


class DirectoryBuilder:
    """Creates the accounts of every population for one configuration."""

    def __init__(self, config: SimulationConfig) -> None:
        self.config = config
        self.rng = np.random.default_rng([config.seed, 0xACC0])
        self.r = random.Random(int(self.rng.integers(2**62)))
        self.ids = _Ids(self.rng)
        self.egress = EgressTable()
        self.accounts: list[Account] = []
        self.start_ms = day_start_ms(config.start)
        self.end_ms = day_start_ms(config.end) + DAY_MS
        self.scale = config.scale

    # --- helpers -------------------------------------------------------------
    def _days_ago(self, low: float, high: float) -> int:
        """A creation time between ``low`` and ``high`` days before the run starts."""
        return self.start_ms - int(self.r.uniform(low, high) * DAY_MS)

    def _keys(self, count: int) -> list[str]:
        return [self.ids.new("key_", 20) for _ in range(count)]

    def _payment(self) -> str:
        return self.rng.bytes(32).hex()  # a SHA-256 hex digest

    def _home_egress(self, country: str, *, mobile_share: float = 0.3) -> list[int]:
        asn = network.residential_asn_for_country(self.rng, country)
        ipv6 = network.has_ipv6(asn) and self.r.random() < 0.3
        rows = [self.egress.new_address(self.rng, asn, ipv6=ipv6, country=country)]
        if self.r.random() < mobile_share:
            mobile = network.residential_asn_for_country(self.rng, country)
            rows.append(
                self.egress.new_address(
                    self.rng,
                    mobile,
                    ipv6=network.has_ipv6(mobile) and self.r.random() < 0.5,
                    country=country,
                )
            )
        return rows

    def _cloud_egress(self, count: int, *, ipv6_share: float = 0.1) -> list[int]:
        asn = self.r.choice(catalog.CLOUD_ASNS)  # one provider, one or a few addresses
        return [
            self.egress.new_address(self.rng, asn, ipv6=self.r.random() < ipv6_share)
            for _ in range(count)
        ]

    def _human_agents(self, sdk_share: float = 0.6) -> list[str | None]:
        agents: list[str | None] = []
        for _ in range(self.r.choice((1, 1, 2))):
            roll = self.r.random()
            if roll < 0.04:
                agents.append(self.r.choice(catalog.HTTP_CLIENT_AGENTS))
            elif roll < 0.04 + sdk_share:
                agents.append(self.r.choice(catalog.OFFICIAL_SDK_AGENTS))
            else:
                agents.append(self.r.choice(catalog.BROWSER_AGENTS))
        if self.r.random() < 0.02:
            agents.append(None)  # a client that sends no User-Agent header
        return agents

    def _add(self, account: Account) -> Account:
        self.accounts.append(account)
        return account

    # --- legitimate populations -----------------------------------------------
    def hobbyists(self) -> None:
        for _ in range(_size(HOBBYIST, self.scale)):
            country = _home_country(self.r)
            new_signup = self.r.random() < 0.12
            if new_signup:  # signed up during the run: young like campaign accounts, but human
                created = self.start_ms + int(self.r.uniform(0, self.end_ms - self.start_ms))
            else:
                created = self._days_ago(1, 900)
            tier = "build" if self.r.random() < 0.45 else "free"
            egress = self._home_egress(country)
            self._add(
                Account(
                    account_id=self.ids.new("acct_", 16),
                    population=HOBBYIST,
                    created_ms=created,
                    email_domain=_webmail(self.r, country)
                    if self.r.random() < 0.85
                    else _company(self.r)[1],
                    tier=tier,
                    verified=self.r.random() < (0.3 if new_signup else 0.7),
                    org_id=self.ids.new("org_", 12) if self.r.random() < 0.1 else None,
                    payment_fingerprint=self._payment() if tier == "build" else None,
                    billing_country=country if tier == "build" or self.r.random() < 0.6 else None,
                    signup_ip=self.egress.ips[egress[0]] if self.r.random() < 0.8 else None,
                    tz=catalog.COUNTRY_UTC_OFFSET[country],
                    rate=float(self.rng.lognormal(np.log(6.0), 0.7)),
                    active_prob=float(self.rng.beta(1.6, 3.0)),
                    egress=egress,
                    primary_egress_share=0.8,
                    agents=self._human_agents(),
                    keys=self._keys(self.r.choice((1, 1, 2))),
                    system_prompt=self.r.choice(text.PERSONAL_SYSTEM_PROMPTS)
                    if self.r.random() < 0.2
                    else None,
                    system_prompt_share=0.7,
                )
            )

    def saas_backends(self) -> None:
        for _ in range(_size(SAAS, self.scale)):
            company, domain = _company(self.r)
            product = self.r.randrange(len(text.SAAS_PRODUCTS))
            country = self.r.choice(("US", "US", "DE", "GB", "FR", "IN", "CA", "NL"))
            self._add(
                Account(
                    account_id=self.ids.new("acct_", 16),
                    population=SAAS,
                    created_ms=self._days_ago(30, 900),
                    email_domain=domain,
                    tier="scale" if self.r.random() < 0.7 else "build",
                    verified=True,
                    org_id=self.ids.new("org_", 12),
                    payment_fingerprint=self._payment(),
                    billing_country=country,
                    signup_ip=self.egress.ips[self._home_egress(country, mobile_share=0)[0]],
                    company=company,
                    tz=catalog.COUNTRY_UTC_OFFSET[country],
                    rate=float(self.rng.lognormal(np.log(90.0), 0.8)),
                    active_prob=1.0,
                    template=product,
                    egress=self._cloud_egress(self.r.randint(1, 3)),
                    agents=[
                        self.r.choice(catalog.OFFICIAL_SDK_AGENTS)
                        if self.r.random() < 0.85
                        else "python-httpx/0.27.2"
                    ],
                    keys=self._keys(self.r.randint(2, 4)),
                    system_prompt=text.saas_system_prompt(domain, text.SAAS_PRODUCTS[product]),
                    system_prompt_share=1.0,
                )
            )

    def enterprises(self) -> None:
        total = _size(ENTERPRISE, self.scale)
        orgs = max(1, round(total / 25))
        sizes = np.full(orgs, total // orgs)
        sizes[: total % orgs] += 1
        for size in sizes:
            company, domain = _company(self.r)
            country = self.r.choice(("US", "US", "DE", "GB", "FR"))
            carriers = [s for s in catalog.ENTERPRISE_ASES if s.v4[0][1] == country]
            asn = self.r.choice(carriers).asn
            nat = [self.egress.new_address(self.rng, asn, country=country)]
            for _ in range(self.r.randint(1, 3)):  # NAT pool: a few addresses in one office block
                nat.append(self.egress.new_neighbour(self.rng, nat[0]))
            org_id = self.ids.new("org_", 12)
            payment = self._payment()
            org_created = self._days_ago(200, 900)
            system_prompt = text.enterprise_system_prompt(company)
            for _ in range(size):
                self._add(
                    Account(
                        account_id=self.ids.new("acct_", 16),
                        population=ENTERPRISE,
                        created_ms=org_created
                        + int(self.r.uniform(0, self.start_ms - org_created - DAY_MS)),
                        email_domain=domain,
                        tier="enterprise",
                        verified=True,
                        org_id=org_id,
                        payment_fingerprint=payment,
                        billing_country=country,
                        signup_ip=self.egress.ips[self.r.choice(nat)],
                        company=company,
                        tz=catalog.COUNTRY_UTC_OFFSET[country],
                        rate=float(self.rng.lognormal(np.log(12.0), 0.6)),
                        active_prob=0.75,
                        egress=nat,
                        agents=[self.r.choice(catalog.OFFICIAL_SDK_AGENTS)]
                        if self.r.random() < 0.7
                        else [self.r.choice(catalog.BROWSER_AGENTS)],
                        keys=self._keys(self.r.choice((1, 2))),
                        system_prompt=system_prompt,
                        system_prompt_share=0.6,
                    )
                )

    def researchers(self) -> None:
        for _ in range(_size(RESEARCHER, self.scale)):
            campus = self.r.choice(catalog.CAMPUS_ASES)
            country = campus.v4[0][1]
            egress = [
                self.egress.new_address(self.rng, campus.asn),
                *self._home_egress(country, mobile_share=0),
            ]
            self._add(
                Account(
                    account_id=self.ids.new("acct_", 16),
                    population=RESEARCHER,
                    created_ms=self._days_ago(60, 900),
                    email_domain=self.r.choice(catalog.UNIVERSITY_DOMAINS)
                    if self.r.random() < 0.7
                    else _webmail(self.r, country),
                    tier="build",
                    verified=True,
                    org_id=self.ids.new("org_", 12) if self.r.random() < 0.5 else None,
                    payment_fingerprint=self._payment(),
                    billing_country=country,
                    signup_ip=self.egress.ips[egress[0]],
                    tz=catalog.COUNTRY_UTC_OFFSET[country],
                    rate=float(self.rng.lognormal(np.log(4.0), 0.5)),
                    active_prob=0.5,
                    template=self.r.randrange(3),  # eval harness prompt format
                    param2=int(self.rng.integers(150, 500)),  # items in one eval run
                    egress=egress,
                    primary_egress_share=0.85,
                    agents=[self.r.choice(catalog.OFFICIAL_SDK_AGENTS[:3])],
                    keys=self._keys(self.r.choice((1, 2))),
                    system_prompt="You are a helpful assistant." if self.r.random() < 0.3 else None,
                    system_prompt_share=1.0,
                )
            )

    def night_batches(self) -> None:
        for _ in range(_size(NIGHT_BATCH, self.scale)):
            company, domain = _company(self.r)
            country = self.r.choice(("US", "DE", "GB", "JP", "IN", "FR", "BR"))
            self._add(
                Account(
                    account_id=self.ids.new("acct_", 16),
                    population=NIGHT_BATCH,
                    created_ms=self._days_ago(30, 700),
                    email_domain=domain,
                    tier=self.r.choice(("build", "scale")),
                    verified=True,
                    org_id=self.ids.new("org_", 12),
                    payment_fingerprint=self._payment(),
                    billing_country=country,
                    signup_ip=None
                    if self.r.random() < 0.3
                    else self.egress.ips[self._home_egress(country, mobile_share=0)[0]],
                    company=company,
                    tz=catalog.COUNTRY_UTC_OFFSET[country],
                    rate=float(self.rng.lognormal(np.log(140.0), 0.5)),
                    template=self.r.randrange(len(text.BATCH_JOBS)),
                    param=self.r.randint(1, 4) * 60
                    + self.r.randrange(0, 60, 15),  # local start, minutes
                    param2=self.r.randint(30, 120),  # job length, minutes
                    egress=self._cloud_egress(1, ipv6_share=0.0),
                    agents=[
                        self.r.choice(
                            (
                                "anthropic-python/0.52.2",
                                "anthropic-go/1.4.0",
                                "anthropic-java/2.1.0",
                            )
                        )
                    ],
                    keys=self._keys(1),
                    system_prompt=None,
                )
            )

    def resellers(self) -> None:
        for _ in range(_size(RESELLER, self.scale)):
            company, domain = _company(self.r)
            egress: list[int] = []
            for _ in range(self.r.randint(20, 60)):
                asn = self.r.choice(catalog.CLOUD_ASNS + catalog.DATACENTER_PROXY_ASNS[1:4])
                egress.append(self.egress.new_address(self.rng, asn, ipv6=self.r.random() < 0.2))
            country = self.r.choice(("US", "SG", "DE", "GB"))
            self._add(
                Account(
                    account_id=self.ids.new("acct_", 16),
                    population=RESELLER,
                    created_ms=self._days_ago(100, 900),
                    email_domain=domain,
                    tier="scale",
                    verified=True,
                    org_id=self.ids.new("org_", 12),
                    payment_fingerprint=self._payment(),
                    billing_country=country,
                    signup_ip=self.egress.ips[egress[0]],
                    company=company,
                    tz=catalog.COUNTRY_UTC_OFFSET[country],
                    rate=float(self.rng.lognormal(np.log(650.0), 0.4)),
                    egress=egress,
                    agents=[*self.r.sample(catalog.OFFICIAL_SDK_AGENTS, 3), "python-httpx/0.27.2"],
                    keys=self._keys(self.r.randint(3, 8)),
                    system_prompt=None,
                )
            )

    def university_class(self) -> None:
        campus = self.r.choice(catalog.CAMPUS_ASES)
        country = campus.v4[0][1]
        gateway = self.egress.new_address(self.rng, campus.asn)
        campus_nat = [gateway, *(self.egress.new_neighbour(self.rng, gateway) for _ in range(3))]
        domain = self.r.choice(
            [d for d in catalog.UNIVERSITY_DOMAINS if d.endswith((".edu", ".ac.uk", ".de"))]
        )
        subject = self.r.randrange(len(text.CLASS_SUBJECTS))
        day = self.config.class_signup_day
        # The lab session: 14:00 local on signup day, everyone within the hour.
        session_ms = day_start_ms(day) + ((14 - catalog.COUNTRY_UTC_OFFSET[country]) % 24) * HOUR_MS
        for _ in range(_size(CLASS, self.scale)):
            home = self._home_egress(country, mobile_share=0)
            self._add(
                Account(
                    account_id=self.ids.new("acct_", 16),
                    population=CLASS,
                    created_ms=session_ms + int(self.r.uniform(0, 50 * 60_000)),
                    email_domain=domain,
                    tier="free",
                    verified=False,
                    billing_country=country if self.r.random() < 0.3 else None,
                    signup_ip=self.egress.ips[self.r.choice(campus_nat)],
                    tz=catalog.COUNTRY_UTC_OFFSET[country],
                    rate=float(self.rng.lognormal(np.log(6.0), 0.5)),
                    active_prob=0.5,
                    template=subject,
                    egress=[self.r.choice(campus_nat), *home],
                    primary_egress_share=0.5,
                    agents=self._human_agents(sdk_share=0.3),
                    keys=self._keys(1),
                )
            )

    def promotion_wake(self) -> None:
        wake = (self.config.promotion_day - self.config.start).days
        for _ in range(_size(PROMOTION, self.scale)):
            country = _home_country(self.r)
            tier = "build" if self.r.random() < 0.3 else "free"
            egress = self._home_egress(country)
            self._add(
                Account(
                    account_id=self.ids.new("acct_", 16),
                    population=PROMOTION,
                    created_ms=self._days_ago(60, 700),
                    email_domain=_webmail(self.r, country),
                    tier=tier,
                    verified=self.r.random() < 0.6,
                    payment_fingerprint=self._payment() if tier == "build" else None,
                    billing_country=country if tier == "build" else None,
                    signup_ip=self.egress.ips[egress[0]] if self.r.random() < 0.7 else None,
                    tz=catalog.COUNTRY_UTC_OFFSET[country],
                    rate=float(self.rng.lognormal(np.log(6.0), 0.6)),
                    active_prob=0.3,
                    egress=egress,
                    primary_egress_share=0.8,
                    agents=self._human_agents(),
                    keys=self._keys(1),
                    woke_day=wake,
                )
            )

    # --- campaigns ----------------------------------------------------------------
    def _enforce(
        self,
        account: Account,
        first_active_day: int,
        earliest: int,
        prob: float,
        lag: tuple[int, int],
    ) -> None:
        """Enforcement catches some accounts some days into their activity, then bans them."""
        if self.r.random() >= prob:
            return
        day = max(first_active_day + self.r.randint(*lag), earliest)
        if day < self.config.days:
            account.enforcement_day = day
            account.banned_day = day + 1  # the ban takes effect after the day it was decided

    def aggressive_campaign(self) -> None:
        config = self.config
        start = config.campaign_offsets[CAMPAIGN_AGGRESSIVE]
        size = _size(AGGRESSIVE, self.scale)
        # Shared datacenter proxies: few addresses, many accounts each.
        proxies = [
            self.egress.new_address(
                self.rng, self.r.choice(catalog.DATACENTER_PROXY_ASNS), ipv6=self.r.random() < 0.1
            )
            for _ in range(max(8, round(40 * self.scale)))
        ]
        # Sign-ups in bursts: one the day before the start, then every three days.
        burst_days = [start - 1, *range(start + 2, config.days, 3)]
        later = len(burst_days) - 1
        first = size if later == 0 else round(size * 0.35)
        per_burst = [first] + [round((size - first) / later)] * later if later else [first]
        # Payment instruments shared in small groups by the paid-tier accounts.
        cards = [self._payment() for _ in range(max(2, size // 12))]
        client = [self.r.choice(catalog.HTTP_CLIENT_AGENTS) for _ in range(3)]
        enforcement_start = start + config.enforcement_delay_days[0]
        for burst_day, count in zip(burst_days, per_burst, strict=True):
            burst_ms = self.start_ms + burst_day * DAY_MS + self.r.randrange(24) * HOUR_MS
            for _ in range(count):
                tier = "build" if self.r.random() < 0.4 else "free"
                agents: list[str | None] = [self.r.choice(client)]
                if self.r.random() < 0.03:
                    agents = [None]
                account = self._add(
                    Account(
                        account_id=self.ids.new("acct_", 16),
                        population=AGGRESSIVE,
                        created_ms=burst_ms + int(self.r.uniform(0, 55 * 60_000)),
                        email_domain=self.r.choice(
                            (
                                "gmail.com",
                                "gmail.com",
                                "outlook.com",
                                "proton.me",
                                "qq.com",
                                "163.com",
                                "yandex.ru",
                            )
                        ),
                        tier=tier,
                        verified=self.r.random() < 0.05,
                        payment_fingerprint=self.r.choice(cards) if tier == "build" else None,
                        billing_country=self.r.choice(("US", "SG", "GB", "NL"))
                        if tier == "build"
                        else None,
                        signup_ip=self.egress.ips[self.r.choice(proxies)],
                        egress=self.r.sample(proxies, min(len(proxies), self.r.randint(3, 6))),
                        agents=agents,
                        keys=self._keys(1),
                        system_prompt=self.r.choice(text.SWEEP_SYSTEM_PROMPTS),
                        system_prompt_share=0.9,
                        template=self.r.randrange(text.SWEEP_TEMPLATES),
                    )
                )
                first = max(burst_day, start)
                self._enforce(account, first, enforcement_start, 0.45, (3, 8))

    def distributed_campaign(self) -> None:
        config = self.config
        start = config.campaign_offsets[CAMPAIGN_DISTRIBUTED]
        enforcement_start = start + config.enforcement_delay_days[1]
        for _ in range(_size(DISTRIBUTED, self.scale)):
            country = _home_country(self.r)
            asn = network.residential_asn_for_country(self.rng, country)
            roll = self.r.random()
            agent = (
                self.r.choice(catalog.OFFICIAL_SDK_AGENTS[:3])
                if roll < 0.6
                else self.r.choice(catalog.BROWSER_AGENTS)
                if roll < 0.85
                else self.r.choice(catalog.HTTP_CLIENT_AGENTS[:3])
            )
            wake = start + self.r.choice((0, 0, 1, 2))
            account = self._add(
                Account(
                    account_id=self.ids.new("acct_", 16),
                    population=DISTRIBUTED,
                    created_ms=self._days_ago(90, 540),  # bought or farmed long ago, dormant since
                    email_domain=_webmail(self.r, country)
                    if self.r.random() < 0.85
                    else _company(self.r)[1],
                    tier="build" if self.r.random() < 0.8 else "scale",
                    verified=self.r.random() < 0.6,
                    org_id=self.ids.new("org_", 12) if self.r.random() < 0.2 else None,
                    payment_fingerprint=self._payment(),
                    billing_country=country,
                    signup_ip=self.egress.ips[
                        self.egress.new_address(self.rng, asn, country=country)
                    ],
                    active_prob=0.85,
                    agents=[agent],
                    keys=self._keys(self.r.choice((1, 2))),
                    system_prompt=self.r.choice(text.DISTRIBUTED_SYSTEM_PROMPTS),
                    system_prompt_share=0.6,
                    woke_day=wake,
                )
            )
            self._enforce(account, wake, enforcement_start, 0.25, (6, 12))

    def reasoning_campaign(self) -> None:
        start = self.config.campaign_offsets[CAMPAIGN_REASONING]
        for _ in range(_size(REASONING, self.scale)):
            egress = self._cloud_egress(self.r.randint(1, 2), ipv6_share=0.0)
            self._add(
                Account(
                    account_id=self.ids.new("acct_", 16),
                    population=REASONING,
                    created_ms=self.start_ms
                    + (start - self.r.randint(1, 6)) * DAY_MS
                    + int(self.r.uniform(0, DAY_MS)),
                    email_domain=self.r.choice(("gmail.com", "outlook.com", "proton.me"))
                    if self.r.random() < 0.6
                    else _company(self.r)[1],
                    tier="build",
                    verified=self.r.random() < 0.9,
                    payment_fingerprint=self._payment(),
                    billing_country=self.r.choice(("US", "SG", "GB", "CA")),
                    signup_ip=self.egress.ips[egress[0]],
                    active_prob=0.95,
                    egress=egress,
                    agents=[
                        "anthropic-python/0.57.1"
                        if self.r.random() < 0.8
                        else "python-httpx/0.27.2"
                    ],
                    keys=self._keys(1),
                    system_prompt=text.GRADER_SYSTEM_PROMPT,
                    system_prompt_share=1.0,
                    woke_day=start,
                )
            )

    # --- labels an operator would hold -----------------------------------------------
    def reviews(self) -> None:
        """Reviewers clear some legitimate accounts, hard negatives more often (they get flagged)."""
        for account in self.accounts:
            if account.campaign_id is not None:
                continue
            prob = 0.05 if account.population == HOBBYIST else 0.25
            if self.r.random() >= prob:
                continue
            earliest = max(self.start_ms, account.created_ms + DAY_MS)
            if account.woke_day > -NEVER:
                earliest = max(earliest, self.start_ms + account.woke_day * DAY_MS + DAY_MS)
            if earliest >= self.end_ms:
                continue
            account.review_ms = earliest + int(self.r.uniform(0, self.end_ms - earliest))

    def build(self) -> Directory:
        self.hobbyists()
        self.saas_backends()
        self.enterprises()
        self.researchers()
        self.night_batches()
        self.resellers()
        self.university_class()
        self.promotion_wake()
        self.aggressive_campaign()
        self.distributed_campaign()
        self.reasoning_campaign()
        self.reviews()
        # Accounts whose creation falls after the run never existed in it.
        accounts = [a for a in self.accounts if a.created_ms < self.end_ms]
        return Directory(accounts=accounts, egress=self.egress, start_ms=self.start_ms)


def build_directory(config: SimulationConfig) -> Directory:
    return DirectoryBuilder(config).build()
