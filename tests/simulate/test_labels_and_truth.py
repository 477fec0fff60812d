"""Labels as an operator holds them, and the ground truth behind them."""

from __future__ import annotations

import json
from datetime import datetime

import pandas as pd

from simulate.truth import TRUTH_COLUMNS
from tests.simulate.contract_check import read_lines


def _labels(simulated_lake) -> pd.DataFrame:
    rows = []
    for key in simulated_lake.store.list_keys("labels/"):
        assert key.endswith(".jsonl")
        for line in read_lines(simulated_lake.store, key):
            record = json.loads(line)
            assert set(record) == {"account_id", "label", "labeled_at", "source"}
            assert isinstance(record["account_id"], str)
            assert type(record["label"]) is int and record["label"] in (0, 1)
            assert isinstance(record["source"], str) and record["source"]
            rows.append(record)
    frame = pd.DataFrame(rows)
    truth = simulated_lake.truth.set_index("account_id")
    for column in ("population", "campaign_id", "first_active_on"):
        frame[column] = frame["account_id"].map(truth[column])
    frame["known_on"] = [
        datetime.fromisoformat(value.replace("Z", "+00:00")).date().isoformat()
        for value in frame["labeled_at"]
    ]
    return frame


def test_labels_follow_the_contract_and_the_campaigns(simulated_lake) -> None:
    labels = _labels(simulated_lake)
    config, manifest = simulated_lake.config, simulated_lake.manifest
    assert labels["population"].notna().all()  # every label is about a real account
    assert labels["account_id"].is_unique
    assert labels["known_on"].between(config.start.isoformat(), config.end.isoformat()).all()
    # A label is about behaviour somebody saw: the account was active by then.
    assert (labels["first_active_on"] <= labels["known_on"]).all()

    abusive = labels[labels["label"] == 1]
    assert set(abusive["source"]) == {"enforcement"}
    labelled = {c["campaign_id"] for c in manifest["campaigns"] if c["labelled"]}
    assert set(abusive["campaign_id"]) <= labelled
    assert abusive["campaign_id"].nunique() >= 4
    by_campaign = abusive["campaign_id"].value_counts().to_dict()
    for campaign in manifest["campaigns"]:
        assert campaign["labelled_accounts"] == by_campaign.get(campaign["campaign_id"], 0)

    cleared = labels[labels["label"] == 0]
    assert set(cleared["source"]) == {"review"}
    assert cleared["campaign_id"].isna().all()
    # Reviewers see look-alikes, not only ordinary individuals.
    assert len(set(cleared["population"]) - {"individual"}) >= 3


def test_enforced_accounts_go_quiet_after_their_ban(simulated_lake, shared_requests) -> None:
    labels = _labels(simulated_lake)
    banned = labels[labels["label"] == 1].set_index("account_id")["known_on"]
    requests = shared_requests[shared_requests["account_id"].isin(banned.index)]
    request_days = requests["ts"].str[:10]
    assert (request_days <= requests["account_id"].map(banned)).all()
    assert set(requests["account_id"]) == set(banned.index)


def test_truth_names_every_account(simulated_lake, shared_requests) -> None:
    truth, manifest = simulated_lake.truth, simulated_lake.manifest
    assert list(truth.columns) == list(TRUTH_COLUMNS)
    assert truth["account_id"].is_unique
    assert str(truth["created_at"].dt.tz) == "UTC"
    legit = truth[truth["campaign_id"].isna()]
    assert all(value is None for value in legit["campaign_id"])
    assert legit["tactic"].isna().all() and legit["extraction_from"].isna().all()
    for campaign in manifest["campaigns"]:
        members = truth[truth["campaign_id"] == campaign["campaign_id"]]
        assert len(members) == campaign["accounts"] > 0
        assert campaign["in_range"]
        assert members["tactic"].eq(campaign["tactic"]).all()
    counts = truth["population"].value_counts().to_dict()
    assert {p: d["accounts"] for p, d in manifest["populations"].items() if d["accounts"]} == counts
    # first_active_on is the first day with a request.
    first = shared_requests.groupby("account_id")["ts"].min().str[:10]
    active = truth.dropna(subset=["first_active_on"]).set_index("account_id")["first_active_on"]
    assert first.sort_index().equals(active.sort_index().rename(first.name))
    assert manifest["models"]["new"] not in manifest["models"]["before_release"]
    assert set(manifest["labels"]) == set(simulated_lake.store.list_keys("labels/"))
    assert sum(manifest["labels"].values()) == len(_labels(simulated_lake))
    for described in manifest["days"]:
        assert set(described["bad_lines"]) == set(manifest["bad_line_kinds"])
        assert sum(described["requests_by_campaign"].values()) == described[
            "requests_by_population"
        ].get("campaign", 0)


def test_no_new_model_before_its_release(simulated_lake, shared_requests) -> None:
    manifest = simulated_lake.manifest
    new_model, release = manifest["models"]["new"], manifest["release_day"]
    day = shared_requests["ts"].str[:10]
    assert not ((shared_requests["model"] == new_model) & (day < release)).any()
    # After it, campaigns chase the new model far faster than ordinary users move.
    after = shared_requests[day > release]
    is_new = after["model"] == new_model
    ordinary = after["campaign_id"].isna() & (after["population"] != "release_adopter")
    assert is_new[after["campaign_id"].notna()].mean() > 3 * is_new[ordinary].mean()
