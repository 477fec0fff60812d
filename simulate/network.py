"""Client addresses that agree with their autonomous system and country.

An ``EgressTable`` is a growing table of (ip, asn, country, hosting) rows;
accounts point at rows of it, so two accounts behind the same proxy or NAT
share a row and the detector can see the sharing. Addresses are drawn inside
the prefixes of ``catalog`` for the chosen AS, in their canonical text form
(RFC 5952 for IPv6).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

import numpy as np

from simulate import catalog
from simulate.catalog import AutonomousSystem

ALL_ASES: dict[int, AutonomousSystem] = {}
for _system in (
    catalog.HOSTING_ASES + catalog.RESIDENTIAL_ASES + catalog.CAMPUS_ASES + catalog.ENTERPRISE_ASES
):
    # ENTERPRISE_ASES reuse carrier ASNs with business prefixes; keep both prefix sets.
    if _system.asn in ALL_ASES:
        known = ALL_ASES[_system.asn]
        ALL_ASES[_system.asn] = AutonomousSystem(
            known.asn, known.name, known.hosting, known.v4 + _system.v4, known.v6 + _system.v6
        )
    else:
        ALL_ASES[_system.asn] = _system

HOSTING_ASNS: frozenset[int] = frozenset(s.asn for s in catalog.HOSTING_ASES)


def random_ipv4(rng: np.random.Generator, prefix: str, *, subnet: str | None = None) -> str:
    network = ipaddress.IPv4Network(subnet or prefix)
    # Avoid the network and broadcast addresses of the prefix.
    offset = int(rng.integers(1, max(2, network.num_addresses - 1)))
    return str(network.network_address + offset)


def random_ipv6(rng: np.random.Generator, prefix: str) -> str:
    network = ipaddress.IPv6Network(prefix)
    host_bits = 128 - network.prefixlen
    # A household gets a /56 or /64; the interface identifier is random (privacy addresses).
    high = int(rng.integers(0, 2 ** min(host_bits - 64, 62))) if host_bits > 64 else 0
    low = int(rng.integers(1, 2**63))
    return str(network.network_address + ((high << 64) | low))


@dataclass
class EgressTable:
    """Every client address an account may use, shared by index between accounts."""

    ips: list[str] = field(default_factory=list)
    asns: list[int] = field(default_factory=list)
    countries: list[str] = field(default_factory=list)
    hosting: list[bool] = field(default_factory=list)

    def add(self, ip: str, asn: int, country: str) -> int:
        self.ips.append(ip)
        self.asns.append(asn)
        self.countries.append(country)
        self.hosting.append(asn in HOSTING_ASNS)
        return len(self.ips) - 1

    def new_address(
        self, rng: np.random.Generator, asn: int, *, ipv6: bool = False, country: str | None = None
    ) -> int:
        """A fresh address of AS ``asn`` (in ``country`` when it has a prefix there)."""
        system = ALL_ASES[asn]
        ranges = system.v6 if ipv6 and system.v6 else system.v4
        candidates = [r for r in ranges if country is None or r[1] == country] or list(ranges)
        prefix, prefix_country = candidates[int(rng.integers(len(candidates)))]
        ip = random_ipv6(rng, prefix) if ":" in prefix else random_ipv4(rng, prefix)
        return self.add(ip, asn, prefix_country)

    def new_neighbour(self, rng: np.random.Generator, row: int) -> int:
        """Another address in the same /24 as ``row`` (a campus or office block)."""
        base = ipaddress.IPv4Address(self.ips[row])
        block = ipaddress.IPv4Network(f"{base}/24", strict=False)
        ip = str(block.network_address + int(rng.integers(2, 254)))
        return self.add(ip, self.asns[row], self.countries[row])

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return (
            np.asarray(self.asns, dtype=np.int64),
            np.asarray(self.countries, dtype=object),
            np.asarray(self.hosting, dtype=bool),
        )


def residential_asn_for_country(rng: np.random.Generator, country: str) -> int:
    """A residential ISP of ``country`` (any residential ISP when none is catalogued there)."""
    local = [s.asn for s in catalog.RESIDENTIAL_ASES if any(c == country for _, c in s.v4)]
    pool = local or [s.asn for s in catalog.RESIDENTIAL_ASES]
    return pool[int(rng.integers(len(pool)))]


def has_ipv6(asn: int) -> bool:
    return bool(ALL_ASES[asn].v6)
