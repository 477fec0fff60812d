"""The populations behave as the issue describes, and text alone does not give campaigns away.

Each check reads only what the pipeline could read (request lines, snapshots)
joined to the ground truth, so a change that makes a campaign trivially
separable, or erases the signal it should carry, fails here.
"""

from __future__ import annotations

import ipaddress
import json
from datetime import date

import numpy as np
import pandas as pd
import pytest

from lakeio import open_store
from simulate import SimulationConfig, catalog, run_simulation
from tests.simulate.contract_check import read_lines

CAMPAIGN_POPULATIONS = ("campaign_aggressive", "campaign_distributed", "campaign_reasoning")


def _shingles(text: str, size: int = 3) -> frozenset[str]:
    words = text.lower().split()
    return frozenset(" ".join(words[i : i + size]) for i in range(max(1, len(words) - size + 1)))


def _nearest_other_account(requests: pd.DataFrame, population: str, sample: int = 150) -> float:
    """Median over prompts of ``population`` of the best Jaccard similarity (word 3-shingles)
    with a prompt of another account of the same population."""
    rng = np.random.default_rng(0)
    rows = requests[requests["population"] == population]
    shingles = [_shingles(p) for p in rows["prompt"]]
    accounts = rows["account_id"].to_numpy()
    best = []
    for i in rng.choice(len(rows), size=min(sample, len(rows)), replace=False):
        others = [
            j
            for j in rng.choice(len(rows), size=min(300, len(rows)), replace=False)
            if accounts[j] != accounts[i]
        ]
        best.append(
            max(
                (len(shingles[i] & shingles[j]) / len(shingles[i] | shingles[j]) for j in others),
                default=0.0,
            )
        )
    return float(np.median(best))


@pytest.mark.parametrize("population", CAMPAIGN_POPULATIONS)
def test_campaign_prompts_are_not_exact_repeats(shared_requests, population: str) -> None:
    prompts = shared_requests.loc[shared_requests["population"] == population, "prompt"]
    assert len(prompts) > 50
    assert prompts.nunique() / len(prompts) > 0.9
    # Exact matching across the campaign's accounts catches little: what repeats is mostly
    # the short chit-chat ("continue", "thanks!") that ordinary users repeat as well.
    owners = (
        shared_requests[shared_requests["population"] == population]
        .groupby("prompt")["account_id"]
        .nunique()
    )
    assert (prompts.map(owners) > 1).mean() < 0.2


def test_campaign_templates_are_near_duplicates(shared_requests) -> None:
    """Shingle similarity groups the sweeps; ordinary users stay apart."""
    aggressive = _nearest_other_account(shared_requests, "campaign_aggressive")
    reasoning = _nearest_other_account(shared_requests, "campaign_reasoning")
    hobbyist = _nearest_other_account(shared_requests, "hobbyist")
    assert aggressive > 0.5 and reasoning > 0.4
    assert hobbyist < 0.35


def test_aggressive_campaign_signals(simulated_lake, shared_requests) -> None:
    rows = shared_requests[shared_requests["population"] == "campaign_aggressive"]
    hours = pd.to_datetime(rows["ts"]).dt.hour
    assert hours.nunique() == 24 and hours.value_counts().min() > 0.5 * hours.value_counts().mean()
    kinds = rows["user_agent"].map(lambda ua: catalog.USER_AGENT_KINDS.get(ua, "missing"))
    assert (kinds == "http_client").mean() > 0.9
    # Datacenter proxies shared by many accounts.
    per_ip = rows.groupby("ip")["account_id"].nunique()
    assert per_ip.median() >= 3
    assert rows["asn"].dropna().isin(catalog.DATACENTER_PROXY_ASNS).all()
    assert rows["system_prompt"].dropna().str.contains("step").all()
    truth = simulated_lake.truth
    members = truth[truth["population"] == "campaign_aggressive"]
    # Sign-ups in bursts: most accounts share their creation hour with many others.
    assert members["created_at"].dt.floor("h").value_counts().iloc[0] >= 0.2 * len(members)


def test_distributed_campaign_signals(simulated_lake, shared_requests) -> None:
    rows = shared_requests[shared_requests["population"] == "campaign_distributed"]
    # Residential proxies: almost every request from a new address, on a residential ISP.
    assert rows["ip"].nunique() / len(rows) > 0.95
    hosting = {s.asn for s in catalog.HOSTING_ASES}
    assert not rows["asn"].dropna().isin(hosting).any()
    # Synchronized operator windows: each day's traffic fits in three windows of <= 45 minutes.
    ts = pd.to_datetime(rows["ts"])
    for _, day in ts.groupby(ts.dt.date):
        minutes = np.sort((day.dt.hour * 60 + day.dt.minute).unique())
        breaks = np.flatnonzero(np.diff(minutes) > 15)  # quiet spells between windows
        spans = np.split(minutes, breaks + 1)
        assert len(spans) <= 3
        assert sum(span[-1] - span[0] + 1 for span in spans) <= 3 * 46
    assert rows["system_prompt"].dropna().nunique() == 3
    # Aged accounts: created months before they woke.
    truth = simulated_lake.truth
    members = truth[truth["population"] == "campaign_distributed"]
    assert (
        members["created_at"]
        < pd.Timestamp(simulated_lake.config.start, tz="UTC") - pd.Timedelta(days=60)
    ).all()


def test_reasoning_campaign_shares_one_grader_prompt(shared_requests) -> None:
    rows = shared_requests[shared_requests["population"] == "campaign_reasoning"]
    assert rows["system_prompt"].nunique() == 1 and rows["system_prompt"].notna().all()
    assert "grader" in rows["system_prompt"].iloc[0]
    assert (
        rows.groupby("system_prompt")["account_id"].nunique().iloc[0]
        == rows["account_id"].nunique()
    )


def test_hard_negatives_look_like_abuse_on_one_signal(simulated_lake, shared_requests) -> None:
    truth = simulated_lake.truth
    # Enterprise: many accounts of one org behind a few NAT addresses and one card.
    enterprise = shared_requests[shared_requests["population"] == "enterprise"]
    by_org = enterprise.groupby("org_id").agg(
        accounts=("account_id", "nunique"), ips=("ip", "nunique")
    )
    assert (by_org["accounts"] > by_org["ips"]).all()
    kinds = enterprise["user_agent"].map(lambda ua: catalog.USER_AGENT_KINDS.get(ua, "missing"))
    assert (kinds != "http_client").all()
    # University class: created within one hour, signed up from one campus /24.
    snapshot_key = simulated_lake.store.raw_day_files("accounts", simulated_lake.config.end)[0]
    snapshot = {
        r["account_id"]: r for r in map(json.loads, read_lines(simulated_lake.store, snapshot_key))
    }
    klass = truth[truth["population"] == "university_class"]
    assert klass["created_at"].max() - klass["created_at"].min() < pd.Timedelta(hours=1)
    nets = {
        ipaddress.ip_network(f"{snapshot[a]['signup_ip']}/24", strict=False)
        for a in klass["account_id"]
    }
    assert len(nets) == 1
    # Benchmark researchers: chain-of-thought prompts, but official SDKs and no shared proxies.
    research = shared_requests[shared_requests["population"] == "benchmark_researcher"]
    assert research["prompt"].str.contains("step by step|step-by-step").mean() > 0.5
    assert research["user_agent"].isin(catalog.OFFICIAL_SDK_AGENTS).all()
    # Promotion: dormant accounts all wake on the same day.
    woken = shared_requests[shared_requests["population"] == "promotion_wake"]
    first_seen = pd.to_datetime(woken.groupby("account_id")["ts"].min()).dt.date
    assert first_seen.min() == simulated_lake.config.promotion_day
    assert (first_seen == simulated_lake.config.promotion_day).mean() > 0.7


def test_traffic_volume_and_mix(tmp_path) -> None:
    """~25k requests a day per unit of scale, most of it legitimate (at a scale where every
    population has its proportional size; tiny scales keep a minimum of each)."""
    config = SimulationConfig(start=date(2026, 11, 10), days=1, seed=3, scale=0.5)
    summary = run_simulation(open_store(str(tmp_path)), config)
    day = summary.days[0]
    assert 20_000 < day.requests / config.scale < 30_000
    campaign = sum(day.requests_by_population.get(p, 0) for p in CAMPAIGN_POPULATIONS)
    assert 0.1 < campaign / day.requests < 0.4
    assert summary.accounts / config.scale < 3_200
