"""The address book on a small AS: a full prefix or system is left, never spun on.

At scale 40 a campaign's datacenter pool asks its 3-8 hosting ASes for some
13,000 addresses; a hosting AS of two /22s cannot give them, and the draw had
looped forever on the full prefix (the 1M-request benches hung in the simulator).
"""

from __future__ import annotations

import ipaddress
import random

import pytest

from simulate.catalog import AutonomousSystem
from simulate.network import AddressBook, AddressSpaceFull

SMALL = AutonomousSystem(64500, "tiny host", "hosting", (("192.0.2.0/28", "US"),))
OTHER = AutonomousSystem(64501, "other host", "hosting", (("198.51.100.0/28", "US"),))


def test_a_full_system_raises_instead_of_looping() -> None:
    book = AddressBook()
    r = random.Random(1)
    rows = [book.new_address(r, SMALL) for _ in range(14)]  # a /28 has 14 hosts
    assert len({book.ips[row] for row in rows}) == 14
    assert all(
        ipaddress.ip_address(book.ips[row]) in ipaddress.ip_network("192.0.2.0/28") for row in rows
    )
    with pytest.raises(AddressSpaceFull, match="AS64500"):
        book.new_address(r, SMALL)


def test_a_draw_among_systems_passes_over_the_full_ones() -> None:
    book = AddressBook()
    r = random.Random(2)
    rows = [book.new_address_among(r, [SMALL, OTHER]) for _ in range(28)]
    assert len({book.ips[row] for row in rows}) == 28
    assert {book.asns[row] for row in rows} == {64500, 64501}
    with pytest.raises(AddressSpaceFull):
        book.new_address_among(r, [SMALL, OTHER])


def test_shared_pools_at_a_large_scale_hold_what_a_small_system_announces() -> None:
    # Scale 160 (the 4M-request bench day) asks each commercial VPN for 1,600-4,800
    # exits; NordVPN's AS announces two /22s (2,044 hosts). The pool takes what there
    # is instead of stopping the simulation.
    from simulate import catalog
    from simulate.accounts import Infrastructure

    book = AddressBook()
    infrastructure = Infrastructure(random.Random(3), book, scale=160)
    for system, pool in zip(catalog.VPN_ASES, infrastructure.vpns, strict=True):
        ips = [book.ips[row] for row in book.pools[pool]]
        networks = [ipaddress.ip_network(text) for text, _ in system.v4]
        announced = sum(network.num_addresses - 2 for network in networks)
        assert len(set(ips)) == len(ips) <= announced
        assert all(any(ipaddress.ip_address(ip) in n for n in networks) for ip in ips)
    nord = catalog.VPN_ASES.index(next(s for s in catalog.VPN_ASES if s.asn == 136787))
    assert len(book.pools[infrastructure.vpns[nord]]) > 1_000  # nearly full, not empty
