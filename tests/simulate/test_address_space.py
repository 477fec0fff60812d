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
