"""Labels as an operator holds them, and the ground truth behind them."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import pandas as pd

from simulate import CAMPAIGNS
from tests.simulate.contract_check import read_lines

LEGITIMATE_SOURCES = {"review"}


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
    frame["population"] = frame["account_id"].map(truth["population"])
    frame["campaign_id"] = frame["account_id"].map(truth["campaign_id"])
    frame["known_on"] = [
        datetime.fromisoformat(value.replace("Z", "+00:00")).date() for value in frame["labeled_at"]
    ]
    return frame


def test_labels_follow_the_contract_and_the_campaigns(simulated_lake) -> None:
    labels = _labels(simulated_lake)
    config, manifest = simulated_lake.config, simulated_lake.manifest
    assert labels["population"].notna().all()  # every label is about a real account
    assert labels["account_id"].is_unique
    assert labels["known_on"].between(config.start, config.end).all()

    abusive = labels[labels["label"] == 1]
    assert set(abusive["source"]) == {"enforcement"}
    assert set(abusive["campaign_id"]) == {"campaign-aggressive", "campaign-distributed"}
    starts = {c["campaign_id"]: date.fromisoformat(c["start_day"]) for c in manifest["campaigns"]}
    for campaign, delay in zip(CAMPAIGNS[:2], config.enforcement_delay_days, strict=True):
        caught = abusive[abusive["campaign_id"] == campaign]
        assert (caught["known_on"] >= starts[campaign] + timedelta(days=delay)).all()

    # The last campaign to start, the reasoning one, is never labelled.
    assert starts["campaign-reasoning"] == max(starts.values())
    assert not (labels["campaign_id"] == "campaign-reasoning").any()

    cleared = labels[labels["label"] == 0]
    assert set(cleared["source"]) == LEGITIMATE_SOURCES
    assert cleared["campaign_id"].isna().all()
    # Reviewers see hard negatives, not only hobbyists.
    assert len(set(cleared["population"]) - {"hobbyist"}) >= 2


def test_enforced_accounts_go_quiet_after_their_ban(simulated_lake, shared_requests) -> None:
    labels = _labels(simulated_lake)
    banned = labels[labels["label"] == 1].set_index("account_id")["known_on"]
    requests = shared_requests[shared_requests["account_id"].isin(banned.index)]
    request_days = pd.to_datetime(requests["ts"]).dt.date
    assert (request_days <= requests["account_id"].map(banned)).all()
    # ... and were active before it: a label is about behaviour someone saw.
    assert set(requests["account_id"]) == set(banned.index)


def test_truth_names_every_account(simulated_lake) -> None:
    truth, manifest = simulated_lake.truth, simulated_lake.manifest
    assert {"account_id", "population", "campaign_id", "org_id", "created_at"} <= set(truth.columns)
    assert truth["account_id"].is_unique
    assert str(truth["created_at"].dt.tz) == "UTC"
    legit = truth[truth["campaign_id"].isna()]
    assert all(value is None for value in legit["campaign_id"])
    for campaign in manifest["campaigns"]:
        members = truth[truth["campaign_id"] == campaign["campaign_id"]]
        assert len(members) == campaign["accounts"] > 0
        assert campaign["in_range"]
    assert manifest["populations"] == truth["population"].value_counts().to_dict()
    assert manifest["models"]["new"] not in manifest["models"]["before_release"]
    assert set(manifest["labels"]) == set(simulated_lake.store.list_keys("labels/"))
    assert sum(manifest["labels"].values()) == len(_labels(simulated_lake))
    for described in manifest["days"]:
        assert set(described["bad_lines"]) == set(manifest["bad_line_kinds"])


def test_release_day_moves_campaigns_not_users(simulated_lake, shared_requests) -> None:
    """Within 24 hours of the release, campaigns send most traffic to the new model."""
    manifest = simulated_lake.manifest
    new_model, release = manifest["models"]["new"], manifest["release_day"]
    day = pd.to_datetime(shared_requests["ts"]).dt.date.astype(str)
    assert not ((shared_requests["model"] == new_model) & (day < release)).any()
    first_day = shared_requests[day == release]
    is_new = first_day["model"] == new_model
    campaign_share = is_new[first_day["campaign_id"].notna()].mean()
    legit_share = is_new[first_day["campaign_id"].isna()].mean()
    assert campaign_share > 0.5
    assert legit_share < 0.15
    assert campaign_share > 5 * legit_share
