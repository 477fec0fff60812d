"""Label-free evidence: coordination corroborated by extraction content, never one signal alone."""

from __future__ import annotations

import pandas as pd
import pytest

from models.cluster_evidence import (
    EVIDENCE_MIN,
    cluster_evidence,
    evidence_items,
    family_strengths,
    support_score,
)
from tests.models.conftest import SyntheticData


def _population(synthetic: SyntheticData) -> pd.Series:
    return synthetic.features["account_id"].str.rsplit("-", n=1).str[0]


def test_new_campaign_cluster_has_evidence_and_look_alikes_have_none(
    synthetic: SyntheticData,
) -> None:
    evidence = cluster_evidence(synthetic.features)
    share_with_evidence = (evidence >= EVIDENCE_MIN).groupby(_population(synthetic)).mean()
    # camp-c was never labeled: evidence is all the model has on its tactic
    assert share_with_evidence["camp-c"] == pytest.approx(1.0)
    # one shared signal each: SaaS shares infrastructure, the enterprise is one customer
    assert share_with_evidence["saas"] == 0.0
    assert share_with_evidence["enterprise"] == 0.0
    assert share_with_evidence["legit"] == 0.0


def _row(**overrides: float) -> pd.DataFrame:
    base = {
        "cluster_customers_count": 12.0,
        "cluster_accounts_count": 12.0,
        "cluster_shared_ip_share": 0.0,
        "cluster_shared_payment_share": 0.0,
        "cluster_synchrony_score": 0.0,
        "cohort_size": 1.0,
        "cohort_sync_share": 0.0,
        "cluster_creation_burst_share": 0.0,
        "account_age_days": 400.0,
        "activity_age_days": 400.0,
        "dormant_days_before_activity": 0.0,
        "cluster_volume_cv_1d": 1.5,
        "distinct_ip_prefixes_7d": 2.0,
        "egress_asns_max_1d": 1.0,
        "cluster_egress_asns_mean": 1.0,
        "cluster_block_density": 0.0,
        "cluster_entity_families": 0.0,
        "cluster_new_model_share": 0.0,
        "new_model_share_3d": 0.0,
        # the account's own part in its cluster
        "member_block_weight": 0.0,
        "member_infrastructure_weight": 0.0,
        "member_block_families": 0.0,
        "member_synced_slots_7d": 0.0,
        # the other customers on its payment instrument (none)
        "payment_peer_customers": 0.0,
        "payment_peer_content_share": 0.0,
        # no exit of its own shared with a fleet
        "egress_fleet_share_7d": 0.0,
        "distinct_ips_7d": 3.0,
        # the account's own extraction-shaped content, present unless a case says otherwise
        "cluster_content_share": 0.0,
        "content_share_7d": 0.9,
        "intent_score_mean_7d": 0.5,
    }
    return pd.DataFrame([{**base, **overrides}])


# An account whose customer shares egress and cards with its block (3.5: about seven
# specific things, above BLOCK_HIGH), and one that acted in four of its bursts.
SHARES = {"member_infrastructure_weight": 3.5, "member_block_weight": 3.5}
SYNCED = {"member_synced_slots_7d": 4.0}
# Eight other customers pay with the account's card, seven of them content accounts.
FLEET_CARD = {"payment_peer_customers": 8.0, "payment_peer_content_share": 7 / 8}
# A proxy pool's member: every exit-day of its week is one most other senders harvest from.
POOL_EXITS = {"member_infrastructure_weight": 1.0, "egress_fleet_share_7d": 1.0}


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({}, 0.0),  # content alone (a benchmark lab's reasoning prompts) is no evidence
        (SHARES, 0.0),  # one coordination family alone neither
        ({**SHARES, **SYNCED}, 1.0),
        # half ramps: a member sharing one and a half specific things (0.75), or in one
        # burst of the week
        ({"member_infrastructure_weight": 0.75, **SYNCED}, 0.5),
        ({**SHARES, "member_synced_slots_7d": 1.0}, 0.5),
        # coordination without extraction content: a class doing its homework together
        ({**SHARES, **SYNCED, "cluster_volume_cv_1d": 0.1, "content_share_7d": 0.1}, 0.0),
        # ... even inside a component whose other members' prompts are extraction-shaped:
        # the content witness is the account's own traffic, never its cluster's
        ({**SHARES, **SYNCED, "cluster_content_share": 0.95, "content_share_7d": 0.1}, 0.0),
        # a dense block of shared IPs and cards is one witness with those shares, not two
        ({"member_infrastructure_weight": 3.5, "member_block_weight": 3.5}, 0.0),
        # ... and every witness is the account's own: a tutoring app that touched one exit
        # of a proxy pool's block reads none of the pool's cluster-wide figures as its own
        (
            {
                "member_block_weight": 0.4,
                "member_infrastructure_weight": 0.4,
                "cluster_block_density": 4.0,
                "cluster_shared_ip_share": 0.95,
                "cluster_shared_payment_share": 0.8,
                "cluster_synchrony_score": 0.9,
                "cluster_creation_burst_share": 0.9,
                "cluster_egress_asns_mean": 12.0,
                "cluster_new_model_share": 0.9,
            },
            0.0,
        ),
        # coordination from proxy rotation and balanced load
        ({"egress_asns_max_1d": 12.0, "cluster_volume_cv_1d": 0.2}, 1.0),
        # a dense block and a pivot to the new model, without any shared IP or card
        ({"member_block_weight": 3.5, "new_model_share_3d": 0.9}, 1.0),
        ({"member_block_weight": 0.75, "new_model_share_3d": 0.9}, 0.5),  # half ramp
        (
            {
                **SHARES,
                "cohort_size": 5.0,
                "cohort_sync_share": 0.8,
                "dormant_days_before_activity": 40.0,
            },
            1.0,
        ),
        # a hydra needs distinct customers: the same behaviour inside one org is no evidence
        (
            {
                "cluster_customers_count": 1.0,
                **SHARES,
                **SYNCED,
                "cluster_volume_cv_1d": 0.1,
            },
            0.0,
        ),
        # an operator's card: the account shares it (one witness) and most of the other
        # customers paying with it harvest the model (a second one) ...
        ({"member_infrastructure_weight": 1.0, **FLEET_CARD}, 1.0),
        # ... which makes a content account's diluted share the fleet's extraction content
        ({"member_infrastructure_weight": 1.0, **FLEET_CARD, "content_share_7d": 0.25}, 1.0),
        # ... but not an ordinary account's: its own week is not content
        ({"member_infrastructure_weight": 1.0, **FLEET_CARD, "content_share_7d": 0.1}, 0.0),
        # an agency's card: its other clients are ordinary, so a tutoring app among them
        # has one witness (the shared card) and nothing from its peers
        (
            {
                "member_infrastructure_weight": 1.0,
                "payment_peer_customers": 12.0,
                "payment_peer_content_share": 0.08,
            },
            0.0,
        ),
        # a card with one other customer is a pair, not a group
        (
            {
                "member_infrastructure_weight": 1.0,
                "payment_peer_customers": 1.0,
                "payment_peer_content_share": 1.0,
                "content_share_7d": 0.25,
            },
            0.0,
        ),
        # a proxy pool's member: it shares exits (one witness), and on all of its days most
        # others sending from them harvest the model (a second): its diluted share is the
        # fleet's extraction content
        ({**POOL_EXITS, "content_share_7d": 0.25}, 1.0),
        # ... not an ordinary account's (its own week is not content), whatever its exits
        ({**POOL_EXITS, "content_share_7d": 0.1}, 0.0),
        # a person whose phone address a residential pool also exits through, on half of
        # its days: the ramp starts there, so its exits are no second witness
        ({**POOL_EXITS, "egress_fleet_share_7d": 0.5, "content_share_7d": 0.25}, 0.0),
        # ... and on three quarters of them, half a witness and half the fleet's content
        ({**POOL_EXITS, "egress_fleet_share_7d": 0.75, "content_share_7d": 0.25}, 0.5),
        # a pool member the dense block did not attach (two requests from one exit): its
        # exit is the fleet's, so it is in a group all the same; fresh, on the fleet's exit,
        # and harvesting
        (
            {
                "cluster_customers_count": 1.0,
                "egress_fleet_share_7d": 1.0,
                "account_age_days": 3.0,
                "content_share_7d": 0.5,
            },
            1.0,
        ),
        # ... while a fresh account alone, with no fleet on its exits, is no group
        ({"cluster_customers_count": 1.0, "account_age_days": 3.0, "content_share_7d": 0.5}, 0.0),
        # a fleet's card holder the block did not attach (a request or two a day from an
        # address of its own): most other holders of its card harvest, so it is in a group;
        # fresh, on the fleet's card, and harvesting
        (
            {
                "cluster_customers_count": 1.0,
                **FLEET_CARD,
                "account_age_days": 3.0,
                "content_share_7d": 0.5,
            },
            1.0,
        ),
        # ... not when only a minority of the card's other holders harvest (an agency's
        # clients, a tutoring app among them) ...
        (
            {
                "cluster_customers_count": 1.0,
                "payment_peer_customers": 8.0,
                "payment_peer_content_share": 3 / 8,
                "account_age_days": 3.0,
                "content_share_7d": 0.5,
            },
            0.0,
        ),
        # ... nor for an ordinary account on the fleet's card: its own week is not content
        (
            {
                "cluster_customers_count": 1.0,
                **FLEET_CARD,
                "account_age_days": 3.0,
                "content_share_7d": 0.1,
            },
            0.0,
        ),
        # an aged account woken ten days ago after a warm-up, past its current streak's wake
        # (it skipped a day): its activity is as young as a fresh account's ...
        ({**SHARES, "activity_age_days": 10.0, "dormant_days_before_activity": 1.0}, 1.0),
        # ... for two weeks, no longer
        ({**SHARES, "activity_age_days": 20.0, "dormant_days_before_activity": 1.0}, 0.0),
        # missing values count as absent, not as suspicious
        ({"member_infrastructure_weight": float("nan"), **SYNCED}, 0.0),
        ({**SHARES, "activity_age_days": float("nan")}, 0.0),
        ({**SHARES, **SYNCED, "content_share_7d": float("nan")}, 0.0),
    ],
)
def test_evidence_needs_coordination_and_content(overrides: dict, expected: float) -> None:
    assert cluster_evidence(_row(**overrides)).iloc[0] == pytest.approx(expected)


def test_evidence_items_name_families_with_their_signal_values() -> None:
    row = _row(
        member_infrastructure_weight=3.5, member_synced_slots_7d=3.0, cluster_shared_ip_share=0.9
    )
    items = evidence_items(row, family_strengths(row))[0]
    assert [item["evidence"] for item in items] == [
        "shared_infrastructure",
        "lockstep_activity",
        "extraction_content",
    ]
    assert items[0]["signals"] == {
        "member_infrastructure_weight": 3.5,
        "cluster_customers_count": 12.0,
        "cluster_shared_ip_share": 0.9,
    }
    assert items[1]["strength"] == pytest.approx(1.0)
    assert all("baselines" not in item for item in items)  # none given, none shown


def test_evidence_items_show_each_signal_against_its_population_baseline() -> None:
    row = _row(member_infrastructure_weight=3.5, member_synced_slots_7d=3.0)
    baselines = {"member_infrastructure_weight": (0.0, 0.4), "content_share_7d": (0.05, None)}
    items = {i["evidence"]: i for i in evidence_items(row, family_strengths(row), baselines)[0]}
    assert items["shared_infrastructure"]["baselines"] == {
        "member_infrastructure_weight": {"median": 0.0, "p90": 0.4}
    }
    assert items["extraction_content"]["baselines"] == {
        "content_share_7d": {"median": 0.05, "p90": None}
    }
    assert "baselines" not in items["lockstep_activity"]  # no baseline known for its signals


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({}, 0.0),  # content alone
        (SHARES, 1.0),  # one witness and the content
        ({**SHARES, "content_share_7d": 0.1}, 0.0),  # no content
        ({**SHARES, "cluster_customers_count": 1.0}, 0.0),  # one org
    ],
)
def test_support_is_one_witness_and_the_content(overrides: dict, expected: float) -> None:
    """What the model's floor may corroborate: never enough to flag without the model."""
    row = _row(**overrides)
    assert support_score(family_strengths(row)).iloc[0] == pytest.approx(expected)
    assert cluster_evidence(row).iloc[0] < 0.5
