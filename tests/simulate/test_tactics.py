"""Each campaign tactic shows its trait, and would not if the simulator ignored the tactic.

Every check reads only what the pipeline could read (request lines, account
snapshots) joined to the ground truth. Where a trait could hold by accident,
the check also shows that a campaign without the tactic does not have it, so
a simulator that treated every campaign alike would fail here.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from functools import cache

import pandas as pd
import pytest

import corpora
from simulate import TACTICS, CampaignSpec, SimulationConfig, catalog, languages
from simulate.directory import build_directory
from simulate.text import guess_language
from tests.simulate import text_origin


def _campaign(requests: pd.DataFrame, tactic: str) -> pd.DataFrame:
    rows = requests[requests["tactic"] == tactic]
    assert len(rows) > 50, (tactic, len(rows))
    return rows


def _day(requests: pd.DataFrame) -> pd.Series:
    return requests["ts"].str[:10]


def _hosting(asns: pd.Series) -> pd.Series:
    return asns.dropna().map(lambda a: catalog.ASN_KIND.get(int(a)) in catalog.HOSTING_KINDS)


def test_every_tactic_runs_with_its_name_in_the_truth(simulated_lake, shared_requests) -> None:
    manifest = simulated_lake.manifest
    assert [c["tactic"] for c in manifest["campaigns"]] == list(TACTICS)
    assert [c["campaign_id"] for c in manifest["campaigns"]] == list(TACTICS)
    assert set(shared_requests["tactic"].dropna()) == set(TACTICS)
    truth = simulated_lake.truth
    campaign = truth[truth["campaign_id"].notna()]
    assert (campaign["tactic"] == campaign["campaign_id"]).all()
    assert campaign["population"].eq("campaign").all()
    assert truth.loc[truth["campaign_id"].isna(), "tactic"].isna().all()


def test_campaigns_replenish_accounts_in_waves(simulated_lake) -> None:
    """Accounts first become active on many days of each campaign's life, not all at once."""
    truth = simulated_lake.truth
    for campaign in simulated_lake.manifest["campaigns"]:
        members = truth[truth["campaign_id"] == campaign["campaign_id"]]
        first = members["first_active_on"].dropna()
        assert first.nunique() >= 3, (campaign["campaign_id"], first.value_counts().to_dict())


def test_aggressive_sweep_bursts_datacenter_high_volume(simulated_lake, shared_requests) -> None:
    rows = _campaign(shared_requests, "aggressive_sweep")
    assert _hosting(rows["asn"]).mean() > 0.9
    kinds = rows["user_agent"].map(lambda ua: catalog.USER_AGENT_KINDS.get(ua or "", "none"))
    assert (kinds == "http_client").mean() > 0.9
    # Proxies shared by many accounts of the campaign.
    assert rows.groupby("ip")["account_id"].nunique().median() >= 3
    per_day = rows.groupby(["account_id", _day(rows)]).size()
    slow = _campaign(shared_requests, "low_and_slow")
    assert per_day.median() > 4 * slow.groupby(["account_id", _day(slow)]).size().median()
    # Sign-ups in bursts: within each wave most accounts are created in the same hour.
    truth = simulated_lake.truth
    members = truth[truth["campaign_id"] == "aggressive_sweep"]
    hours = members["created_at"].dt.floor("h").value_counts()
    assert hours.iloc[0] >= 3 and (hours >= 2).sum() >= 2
    assert (
        members["created_at"]
        > pd.Timestamp(simulated_lake.config.start, tz="UTC") - pd.Timedelta(days=3)
    ).all()


def test_low_and_slow_spreads_few_requests_over_many_accounts(shared_requests) -> None:
    rows = _campaign(shared_requests, "low_and_slow")
    per_account_day = rows.groupby(["account_id", _day(rows)]).size()
    assert per_account_day.median() <= 4
    assert per_account_day.quantile(0.9) <= 8
    accounts_per_day = rows.groupby(_day(rows))["account_id"].nunique()
    assert accounts_per_day.max() >= 10
    assert not _hosting(rows["asn"]).any()  # residential sessions


def test_mixed_traffic_accounts_send_both_kinds(shared_requests) -> None:
    rows = _campaign(shared_requests, "mixed_traffic")
    origins = rows.assign(origin=[text_origin.origin(p) for p in rows["prompt"]])
    busy = origins.groupby("account_id").filter(lambda g: len(g) >= 20)
    assert busy["account_id"].nunique() >= 3
    for account, group in busy.groupby("account_id"):
        share = group["origin"].value_counts(normalize=True)
        assert share.get("human", 0) > 0.2 and share.get("distill", 0) > 0.1, (account, share)
    # A campaign without the tactic sends (almost) no ordinary text.
    sweep = _campaign(shared_requests, "residential_rotation")
    assert pd.Series([text_origin.origin(p) for p in sweep["prompt"]]).eq("human").mean() < 0.3


@cache
def _wrapper_fragments() -> tuple[str, ...]:
    """The fixed parts of the simulator's non-English wrappers (what the option adds)."""
    found = set()
    for phrasing in languages.PHRASINGS.values():
        for template in phrasing.cot + phrasing.task + phrasing.grading:
            for part in re.split(r"\{\w+\}", template):
                part = part.strip(" :：\n")
                if len(part) >= 8:
                    found.add(part)
    return tuple(sorted(found))


def _non_english(prompt: str) -> bool:
    """A non-English request: written in another language, or asking in one."""
    return guess_language(prompt) != "en" or any(f in prompt for f in _wrapper_fragments())


def test_paraphrased_multilingual_varies_wording_and_shares_no_system_prompt(
    shared_requests,
) -> None:
    rows = _campaign(shared_requests, "paraphrased_multilingual")
    share = rows["prompt"].map(_non_english).mean()
    assert share > 0.3, share
    others = _campaign(shared_requests, "aggressive_sweep")
    assert others["prompt"].map(_non_english).mean() < 0.15
    # No exact system prompt is shared by two of its accounts (public judge templates aside).
    judges = {
        (j.system or "")[:2000] for j in corpora.load_templates(split="evaluation").judge_prompts
    }
    own = rows[rows["system_prompt"].notna() & ~rows["system_prompt"].isin(judges)]
    owners = own.groupby("system_prompt")["account_id"].nunique()
    assert (owners <= 1).all(), owners[owners > 1]
    assert rows["prompt"].nunique() / len(rows) > 0.9


def test_warmed_up_accounts_have_ordinary_history_first(simulated_lake, shared_requests) -> None:
    rows = _campaign(shared_requests, "warmed_up")
    truth = simulated_lake.truth.set_index("account_id")
    starts = rows["account_id"].map(truth["extraction_from"])
    before = rows[_day(rows) < starts]
    after = rows[_day(rows) >= starts]
    assert before["account_id"].nunique() >= 3
    origin_before = pd.Series([text_origin.origin(p) for p in before["prompt"]]).dropna()
    origin_after = pd.Series([text_origin.origin(p) for p in after["prompt"]]).dropna()
    assert (origin_before == "human").mean() > 0.9
    assert (origin_after == "distill").mean() + (origin_after == "judge").mean() > 0.4
    # Each extracting account had ordinary days before its first extraction day.
    for account in after["account_id"].unique():
        mine = before[before["account_id"] == account]
        assert len(mine) > 0, account
    members = simulated_lake.truth[simulated_lake.truth["campaign_id"] == "warmed_up"]
    cutoff = pd.Timestamp(simulated_lake.config.start, tz="UTC") - pd.Timedelta(days=60)
    assert (members["created_at"] < cutoff).all()


def test_unique_cards_gives_every_account_its_own_card(simulated_lake) -> None:
    snapshot = simulated_lake.snapshot().set_index("account_id")
    truth = simulated_lake.truth
    cards = snapshot.loc[truth.loc[truth["campaign_id"] == "unique_cards", "account_id"]][
        "payment_fingerprint"
    ]
    assert cards.notna().all() and cards.is_unique and len(cards) >= 6
    others = snapshot.loc[
        truth.loc[truth["campaign_id"].notna(), "account_id"], "payment_fingerprint"
    ]
    assert not others[others.index.difference(cards.index)].isin(cards).any()
    # Without the tactic, a campaign's paying accounts share a few cards.
    aggressive = snapshot.loc[
        truth.loc[truth["campaign_id"] == "aggressive_sweep", "account_id"], "payment_fingerprint"
    ].dropna()
    assert aggressive.duplicated().any()


def test_residential_rotation_uses_many_exits_isps_and_countries(shared_requests) -> None:
    rows = _campaign(shared_requests, "residential_rotation")
    days = rows.groupby(["account_id", _day(rows)]).agg(
        requests=("ip", "size"), ips=("ip", "nunique"), asns=("asn", "nunique")
    )
    busy = days[days["requests"] >= 5]
    assert len(busy) >= 5
    assert (busy["ips"] >= 0.9 * busy["requests"]).all()
    assert (busy["asns"] >= 3).all()
    assert rows["country"].nunique() >= 8 and rows["asn"].nunique() >= 15
    assert not _hosting(rows["asn"]).any()
    # A campaign without it keeps an address for a while.
    slow = _campaign(shared_requests, "low_and_slow")
    slow_days = slow.groupby(["account_id", _day(slow)]).agg(
        requests=("ip", "size"), ips=("ip", "nunique")
    )
    assert (slow_days["ips"] < slow_days["requests"]).any()


def test_org_many_keys_runs_many_keys_in_one_org(simulated_lake, shared_requests) -> None:
    rows = _campaign(shared_requests, "org_many_keys")
    assert rows["org_id"].nunique() == 1 and rows["org_id"].notna().all()
    keys = rows.groupby("account_id")["api_key_id"].nunique()
    assert keys.min() >= 8
    # Keys come and go: each is used on a few days only, and new keys appear later.
    spans = rows.groupby("api_key_id")["ts"].agg(["min", "max"])
    lifetime = pd.to_datetime(spans["max"]) - pd.to_datetime(spans["min"])
    assert (lifetime < pd.Timedelta(days=9)).all()
    assert spans["min"].str[:10].nunique() >= 4
    others = shared_requests[
        shared_requests["tactic"].notna() & (shared_requests["tactic"] != "org_many_keys")
    ]
    assert others.groupby("account_id")["api_key_id"].nunique().max() <= 2


def test_release_pivot_moves_the_network_within_a_day(simulated_lake, shared_requests) -> None:
    manifest = simulated_lake.manifest
    new_model, release = manifest["models"]["new"], manifest["release_day"]
    rows = _campaign(shared_requests, "release_pivot")
    ts = pd.to_datetime(rows["ts"])
    release_at = pd.Timestamp(release, tz="UTC")
    before = rows[ts < release_at]
    assert len(before) > 20 and not (before["model"] == new_model).any()
    day_one = rows[(ts >= release_at) & (ts < release_at + pd.Timedelta(hours=24))]
    assert len(day_one) > 20 and (day_one["model"] == new_model).mean() > 0.5
    later = rows[ts >= release_at + pd.Timedelta(hours=24)]
    assert (later["model"] == new_model).mean() > 0.8
    # Ordinary users do not move in a day; other campaigns move more slowly.
    day_one = shared_requests[shared_requests["ts"].str[:10] == release]
    assert (
        day_one.loc[
            day_one["campaign_id"].isna() & (day_one["population"] != "release_adopter"), "model"
        ]
        == new_model
    ).mean() < 0.15
    slow = day_one[day_one["tactic"] == "low_and_slow"]
    assert (slow["model"] == new_model).mean() < 0.2


def test_proxy_network_runs_thousands_of_accounts_at_scale_one() -> None:
    """The directory alone (no traffic): at scale 1 the network holds thousands of accounts
    that share one pool of exits."""
    config = SimulationConfig(
        start=date(2026, 11, 2),
        days=28,
        seed=3,
        scale=1.0,
        campaigns=(CampaignSpec("net", "proxy_network"), CampaignSpec("agg", "aggressive_sweep")),
    )
    directory = build_directory(config)
    members = [a for a in directory.accounts if a.campaign == 0]
    others = [a for a in directory.accounts if a.campaign == 1]
    assert len(members) >= 2000
    assert len(members) > 5 * len(others)
    pools = {option.ref for a in members for option in a.egress}
    assert len(pools) == 1
    pool = directory.addresses.pools[pools.pop()]
    assert len(members) / len(pool) >= 4


def test_proxy_network_accounts_share_exits(shared_requests) -> None:
    rows = _campaign(shared_requests, "proxy_network")
    assert rows.groupby("ip")["account_id"].nunique().median() >= 3
    assert rows["account_id"].nunique() >= 50
    hosting = _hosting(rows["asn"]).mean()
    assert 0.02 < hosting < 0.5  # mostly residential and mobile exits


@pytest.mark.parametrize("tactic", TACTICS)
def test_a_campaign_spec_is_honoured(tmp_path, tactic: str) -> None:
    """One campaign of any tactic, its own id, start day, fleet and labelling."""
    from lakeio import open_store
    from simulate import load_manifest, load_truth, run_simulation

    spec = CampaignSpec(f"op-{tactic}", tactic, start_offset=1, accounts=200, labelled=False)
    config = SimulationConfig(
        start=date(2026, 3, 2), days=3, seed=1, scale=0.05, campaigns=(spec,), files_per_day=1
    )
    store = open_store(str(tmp_path))
    run_simulation(store, config)
    manifest = load_manifest(store)
    (described,) = manifest["campaigns"]
    assert described["campaign_id"] == f"op-{tactic}" and described["tactic"] == tactic
    assert described["start_day"] == "2026-03-03" and described["labelled"] is False
    truth = load_truth(store)
    members = truth[truth["campaign_id"] == f"op-{tactic}"]
    assert len(members) >= 3
    first = members["first_active_on"].dropna()
    assert len(first) and first.min() >= "2026-03-03"
    assert members["enforcement_labeled_on"].isna().all()


def test_unknown_tactic_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown tactic"):
        CampaignSpec("x", "teleport")
    with pytest.raises(ValueError, match="campaign ids must be unique"):
        SimulationConfig(
            start=date(2026, 1, 1), days=1, campaigns=(CampaignSpec("a", "unique_cards"),) * 2
        )


def test_enforcement_labels_come_late_and_only_for_labelled_campaigns(simulated_lake) -> None:
    truth = simulated_lake.truth
    manifest = simulated_lake.manifest
    labelled = truth[truth["enforcement_labeled_on"].notna()]
    assert len(labelled) >= 5
    never = {c["campaign_id"] for c in manifest["campaigns"] if not c["labelled"]}
    assert never == {"warmed_up"}
    assert not labelled["campaign_id"].isin(never).any()
    starts = {c["campaign_id"]: date.fromisoformat(c["start_day"]) for c in manifest["campaigns"]}
    for _, row in labelled.iterrows():
        on = date.fromisoformat(row["enforcement_labeled_on"])
        assert on >= starts[row["campaign_id"]] + timedelta(days=3)
        assert on >= date.fromisoformat(row["extraction_from"]) + timedelta(days=3)
        assert on >= date.fromisoformat(row["first_active_on"])
        assert row["banned_on"] is None or row["banned_on"] > row["enforcement_labeled_on"]
