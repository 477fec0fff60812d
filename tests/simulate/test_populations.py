"""Volumes, sizes and the networks everyone's requests come from."""

from __future__ import annotations

import ipaddress
from datetime import date

from lakeio import open_store
from simulate import SimulationConfig, catalog, load_manifest, run_simulation
from simulate.network import Prefix, mix


def test_traffic_volume_and_mix(tmp_path) -> None:
    """At scale 1, ~25-40k requests a day with every campaign running, most of it legitimate;
    a few thousand accounts (measured at half scale, where sizes are proportional)."""
    config = SimulationConfig(
        start=date(2026, 11, 10),
        days=1,
        seed=3,
        scale=0.5,
        campaign_start_offsets=(-10,) * 10,  # every campaign at full strength
    )
    store = open_store(str(tmp_path))
    summary = run_simulation(store, config)
    day = summary.days[0]
    assert 25_000 < day.requests / config.scale < 45_000
    campaign = day.requests_by_population.get("campaign", 0)
    assert 0.15 < campaign / day.requests < 0.5
    assert summary.accounts / config.scale < 8_000
    assert set(day.requests_by_campaign) == set(config.campaign_ids)
    # The proxy network is the largest campaign.
    accounts = {c["campaign_id"]: c["accounts"] for c in load_manifest(store)["campaigns"]}
    assert max(accounts, key=accounts.__getitem__) == "proxy_network"


def test_addresses_agree_with_their_network(shared_requests) -> None:
    """Every (ip, asn, country) a request carries lies in a prefix that AS announces there."""
    prefixes: dict[int, list[tuple[ipaddress._BaseNetwork, str]]] = {}
    for system in catalog.ALL_SYSTEMS:
        for text, country in system.v4 + system.v6:
            prefixes.setdefault(system.asn, []).append((ipaddress.ip_network(text), country))
    rows = shared_requests.dropna(subset=["asn", "country"]).drop_duplicates(["ip", "asn"])
    for ip, asn, country in zip(rows["ip"], rows["asn"], rows["country"], strict=True):
        address = ipaddress.ip_address(ip)
        assert any(
            address.version == net.version and address in net and c == country
            for net, c in prefixes[int(asn)]
        ), (ip, asn, country)


def test_prefixes_of_different_networks_never_overlap() -> None:
    owned: list[tuple[ipaddress._BaseNetwork, int]] = []
    for system in catalog.ALL_SYSTEMS:
        for text, _ in system.v4 + system.v6:
            owned.append((ipaddress.ip_network(text), system.asn))
    for i, (net, asn) in enumerate(owned):
        for other, other_asn in owned[i + 1 :]:
            if asn != other_asn and net.version == other.version:
                assert not net.overlaps(other), (net, asn, other, other_asn)


def test_hosting_networks_are_many_and_not_only_campaigns(shared_requests) -> None:
    kinds = shared_requests["asn"].map(
        lambda a: catalog.ASN_KIND.get(int(a)) if a == a and a is not None else None
    )
    hosting = kinds.isin(list(catalog.HOSTING_KINDS))
    campaign = shared_requests["campaign_id"].notna()
    # Campaigns rent from many hosts, well beyond the big clouds.
    campaign_hosts = set(shared_requests.loc[hosting & campaign, "asn"].astype(int))
    big_clouds = {s.asn for s in catalog.CLOUD_ASES}
    assert len(campaign_hosts - big_clouds) >= 10
    # Ordinary people and companies reach the API from hosting networks too: VPNs, relays,
    # security edges, notebooks and serverless platforms.
    people = shared_requests["population"].isin(("individual", "carrier_nat", "office_egress"))
    assert hosting[people].mean() > 0.02
    assert hosting[~campaign].sum() > hosting[campaign].sum() * 0.5
    # IPv6 is common on mobile and home lines, and absent nowhere entirely.
    assert 0.03 < shared_requests["ip"].str.contains(":").mean() < 0.5


def test_sticky_addresses_are_a_pure_function_of_their_key() -> None:
    """Sticky picks (a lease, a CGNAT session) hash integers, never Python's salted hash."""
    assert mix(1, 2, 3) == mix(1, 2, 3) != mix(1, 2, 4)
    assert 0 <= mix(2**70, -1) < 2**64
    v4 = Prefix.parse(7922, "73.0.0.0/8", "US")
    assert v4.address(5) == v4.address(5) != v4.address(6)
    assert ipaddress.ip_address(v4.address(5)) in ipaddress.ip_network("73.0.0.0/8")
    v6 = Prefix.parse(7922, "2601::/20", "US")
    same_line = [ipaddress.ip_address(v6.address(9, day)) for day in range(3)]
    assert len({int(a) >> 64 for a in same_line}) == 1 and len(set(same_line)) == 3
