"""Client addresses that agree with their autonomous system and country, and who shares them.

An ``AddressBook`` holds every public address of the run that more than one
request can come from: home lines, office and coworking egresses, campus NAT,
carrier-grade NAT pools of mobile carriers and some fixed-line ISPs, security
edges and privacy relays, VPN exits, serverless platforms' NAT gateways, and
the proxies campaigns rent. Accounts do not own addresses; they hold
``EgressOption``s (a weight and how to pick an address), so unrelated accounts
behind one CGNAT pool, one office or one relay really share addresses, as they
do in life. Picks that must be sticky (a home line's lease, a mobile session
on one CGNAT address) come from ``mix``, a fixed integer hash of (account,
day, hour block), never from a generator's position, so a day generated on its
own gets the same addresses.
"""

from __future__ import annotations

import ipaddress
import random
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from simulate import catalog
from simulate.catalog import AutonomousSystem

MASK64 = (1 << 64) - 1

SYSTEMS_BY_ASN: dict[int, list[AutonomousSystem]] = {}
for _system in catalog.ALL_SYSTEMS:
    SYSTEMS_BY_ASN.setdefault(_system.asn, []).append(_system)


def mix(*values: int) -> int:
    """A 64-bit hash of integers (splitmix64 steps): the same in every process."""
    state = 0x9E3779B97F4A7C15
    for value in values:
        state = (state ^ (value & MASK64)) * 0xBF58476D1CE4E5B9 & MASK64
        state ^= state >> 31
        state = state * 0x94D049BB133111EB & MASK64
        state ^= state >> 29
    return state


def format_ipv4(value: int) -> str:
    return f"{value >> 24}.{(value >> 16) & 255}.{(value >> 8) & 255}.{value & 255}"


# Consecutive draws of addresses already handed out after which a prefix counts as
# full. A prefix half full repeats 64 times in a row with probability 2^-64.
PREFIX_FULL_AFTER = 64


class AddressSpaceFull(RuntimeError):
    """Every prefix a draw could use has handed out all of its addresses."""


@dataclass(frozen=True)
class Prefix:
    """One announced prefix: where addresses of an AS in a country are drawn from."""

    asn: int
    country: str
    network: int  # first address as an integer
    size: int  # addresses in the prefix
    ipv6: bool

    @classmethod
    def parse(cls, asn: int, text: str, country: str) -> Prefix:
        net = ipaddress.ip_network(text)
        return cls(asn, country, int(net.network_address), net.num_addresses, net.version == 6)

    def address(self, key: int, iid_key: int | None = None) -> str:
        """The address at a hashed offset: a host inside the prefix, never its first or last.

        IPv6: ``key`` picks the subscriber's /64, ``iid_key`` (default ``key``) the interface
        identifier, which privacy extensions rotate while the /64 stays.
        """
        if self.ipv6:
            lines = max(1, self.size >> 64)
            line = mix(key, 1) % lines
            iid = mix(key if iid_key is None else iid_key, 2) | 1
            return str(ipaddress.IPv6Address(self.network + (line << 64) + iid))
        return format_ipv4(self.network + 1 + key % max(1, self.size - 2))


def prefixes(system: AutonomousSystem, *, ipv6: bool = False) -> list[Prefix]:
    ranges = system.v6 if ipv6 and system.v6 else system.v4
    return [Prefix.parse(system.asn, text, country) for text, country in ranges]


# How an account's request picks its address.
FIXED = "fixed"  # one row of the address book
LINE = "line"  # a home line: the ISP hands out a new address every lease period
POOL = "pool"  # a shared pool: sticky per (account, day, hour block), or per request
ROTATING = "rotating"  # a rotating residential proxy: a fresh exit per request
DEVICE_V6 = "device_v6"  # a mobile device's own IPv6 address on a carrier


@dataclass(frozen=True)
class EgressOption:
    weight: float
    kind: str
    ref: int  # row (FIXED), line (LINE), pool (POOL), device prefix (DEVICE_V6), or exit set
    sticky_hours: int = 3  # POOL: hours an address is kept (0: a new pick per request)
    subset: int = 0  # POOL: the account only ever uses this many of the pool's addresses


@dataclass(frozen=True)
class HomeLine:
    """A subscriber line: an IPv4 address of ``prefix`` renewed every ``lease_days``, and on
    dual-stack ISPs a stable IPv6 /64 that ``v6_share`` of the requests use."""

    prefix: Prefix
    lease_days: int
    key: int
    v6: Prefix | None = None
    v6_share: float = 0.0


@dataclass
class AddressBook:
    """Every shared address of a run (rows), named pools of rows, home lines and exit sets."""

    ips: list[str] = field(default_factory=list)
    asns: list[int] = field(default_factory=list)
    countries: list[str] = field(default_factory=list)
    pools: list[list[int]] = field(default_factory=list)
    pool_names: list[str] = field(default_factory=list)
    lines: list[HomeLine] = field(default_factory=list)
    device_prefixes: list[Prefix] = field(default_factory=list)
    exit_sets: list[tuple[list[Prefix], list[float]]] = field(default_factory=list)
    _named: dict[str, int] = field(default_factory=dict)
    _seen: set[str] = field(default_factory=set)
    _full: set[Prefix] = field(default_factory=set)

    def add(self, ip: str, asn: int, country: str) -> int:
        self.ips.append(ip)
        self.asns.append(asn)
        self.countries.append(country)
        self._seen.add(ip)
        return len(self.ips) - 1

    def new_address(
        self,
        r: random.Random,
        system: AutonomousSystem,
        *,
        country: str | None = None,
        ipv6: bool = False,
    ) -> int:
        """A fresh address of ``system`` (in ``country`` when it announces a prefix there).

        A prefix that yields only addresses already handed out ``PREFIX_FULL_AFTER``
        times in a row is taken as full and another of the system's is tried; when
        all are full, ``AddressSpaceFull`` (a large scale asks a small hosting AS for
        more hosts than it announces). Draws are those of one prefix until then, so a
        simulation that fills no prefix is the same as before this rule.
        """
        announced = prefixes(system, ipv6=ipv6)
        candidates = [p for p in announced if country in (None, p.country)] or announced
        prefix = r.choice(candidates)
        while True:
            for _ in range(PREFIX_FULL_AFTER):
                ip = prefix.address(r.getrandbits(64))
                if ip not in self._seen:
                    return self.add(ip, prefix.asn, prefix.country)
            self._full.add(prefix)
            left = [p for p in announced if p not in self._full]
            if not left:
                version = "IPv6" if ipv6 else "IPv4"
                raise AddressSpaceFull(
                    f"AS{system.asn} ({system.name}) has no free {version} address left "
                    f"after {len(self.ips):,} handed out"
                )
            prefix = r.choice([p for p in left if p in candidates] or left)

    def new_address_among(
        self, r: random.Random, systems: Sequence[AutonomousSystem], ipv6_share: float = 0.0
    ) -> int:
        """A fresh address of a system drawn from ``systems`` (IPv6 at ``ipv6_share``).

        A full system is passed over for another of ``systems``; ``AddressSpaceFull``
        only when every one of them is.
        """
        left = list(systems)
        system = r.choice(left)
        ipv6 = ipv6_share > 0 and r.random() < ipv6_share
        while True:
            try:
                return self.new_address(r, system, ipv6=ipv6)
            except AddressSpaceFull:
                left.remove(system)
                if not left:
                    raise
                system = r.choice(left)

    def neighbours(self, r: random.Random, row: int, count: int) -> list[int]:
        """``count`` more addresses in the /24 of IPv4 ``row`` (an office or campus block)."""
        base = int(ipaddress.IPv4Address(self.ips[row])) & ~0xFF
        rows = [row]
        while len(rows) < count + 1:
            ip = format_ipv4(base + r.randint(2, 253))
            if ip not in self._seen:
                rows.append(self.add(ip, self.asns[row], self.countries[row]))
        return rows

    def pool(self, name: str, rows: list[int]) -> int:
        """Register a named pool of rows; returns its id."""
        self.pools.append(list(rows))
        self.pool_names.append(name)
        self._named[name] = len(self.pools) - 1
        return len(self.pools) - 1

    def pool_id(self, name: str) -> int | None:
        return self._named.get(name)

    def line(
        self,
        r: random.Random,
        system: AutonomousSystem,
        country: str,
        lease_days: int,
        v6_share: float = 0.0,
    ) -> int:
        candidates = [p for p in prefixes(system) if p.country == country] or prefixes(system)
        v6 = prefixes(system, ipv6=True)[0] if system.v6 and v6_share > 0 else None
        self.lines.append(
            HomeLine(
                r.choice(candidates), lease_days, r.getrandbits(62), v6, v6_share if v6 else 0.0
            )
        )
        return len(self.lines) - 1

    def line_address(self, line_id: int, day: int, u: float = 1.0) -> tuple[str, int, str]:
        line = self.lines[line_id]
        if line.v6 is not None and u < line.v6_share:
            return line.v6.address(line.key, mix(line.key, day)), line.v6.asn, line.v6.country
        lease = day // line.lease_days
        return line.prefix.address(mix(line.key, lease)), line.prefix.asn, line.prefix.country

    def device_prefix(self, system: AutonomousSystem) -> int | None:
        v6 = prefixes(system, ipv6=True) if system.v6 else []
        if not v6:
            return None
        self.device_prefixes.append(v6[0])
        return len(self.device_prefixes) - 1

    def exit_set(self, systems: list[AutonomousSystem], weights: list[float] | None = None) -> int:
        """A rotating proxy's exits: any address of these systems, per request."""
        chosen: list[Prefix] = []
        chosen_weights: list[float] = []
        for index, system in enumerate(systems):
            system_prefixes = prefixes(system)
            for prefix in system_prefixes:
                chosen.append(prefix)
                share = weights[index] if weights else 1.0
                chosen_weights.append(share / len(system_prefixes))
        total = sum(chosen_weights)
        self.exit_sets.append((chosen, [w / total for w in chosen_weights]))
        return len(self.exit_sets) - 1

    # --- resolving one request's address ------------------------------------------------
    def resolve(
        self,
        option: EgressOption,
        account_key: int,
        day: int,
        hour: int,
        r: random.Random,
    ) -> tuple[str, int, str]:
        kind = option.kind
        if kind == FIXED:
            row = option.ref
        elif kind == LINE:
            return self.line_address(option.ref, day, r.random())
        elif kind == POOL:
            rows = self.pools[option.ref]
            if option.sticky_hours:
                slot = mix(account_key, day, hour // option.sticky_hours, option.ref)
            else:
                slot = r.getrandbits(62)
            if option.subset:
                slot = mix(account_key, option.ref, slot % option.subset)
            row = rows[slot % len(rows)]
        elif kind == DEVICE_V6:
            prefix = self.device_prefixes[option.ref]
            # A device keeps its /64 for its attachment (~a week); privacy IIDs rotate daily.
            ip = prefix.address(mix(account_key, day // 7), mix(account_key, day))
            return ip, prefix.asn, prefix.country
        else:  # ROTATING
            exits, weights = self.exit_sets[option.ref]
            prefix = exits[_weighted_index(r.random(), weights)]
            return prefix.address(r.getrandbits(64)), prefix.asn, prefix.country
        return self.ips[row], self.asns[row], self.countries[row]


def _weighted_index(u: float, weights: list[float]) -> int:
    total = 0.0
    for index, weight in enumerate(weights):
        total += weight
        if u < total:
            return index
    return len(weights) - 1


def choose_option(options: list[EgressOption], u: float) -> EgressOption:
    total = sum(option.weight for option in options)
    point = u * total
    for option in options:
        point -= option.weight
        if point < 0:
            return option
    return options[-1]


def weighted_choice(r: random.Random, items: list, weights: list[float] | np.ndarray):
    return r.choices(items, weights=list(weights))[0]
