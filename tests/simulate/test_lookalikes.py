"""Legitimate populations show the campaign trait they share (their ``lookalike_of``).

Accounts count as unrelated when they share neither an org nor a payment
instrument; every check reads request lines and snapshots, with the truth only
to know who is who.
"""

from __future__ import annotations

import ipaddress

import pandas as pd

from simulate import catalog
from simulate.accounts import LEGITIMATE_POPULATIONS, LOOKALIKES
from simulate.products import OSS_APP_SYSTEM_PROMPT
from tests.simulate import text_origin


def _unrelated_pairs_on_one_ip(requests: pd.DataFrame, snapshot: pd.DataFrame) -> pd.Series:
    """Per IP, the most accounts seen on it that share no org and no payment instrument."""
    owners = snapshot.set_index("account_id")
    found = {}
    for ip, accounts in requests.groupby("ip")["account_id"].unique().items():
        if len(accounts) < 2:
            continue
        orgs = owners.loc[list(accounts), "org_id"]
        cards = owners.loc[list(accounts), "payment_fingerprint"]
        # Accounts with their own (or no) org and their own (or no) card.
        alone = (~orgs.duplicated(keep=False) | orgs.isna()) & (
            ~cards.duplicated(keep=False) | cards.isna()
        )
        found[ip] = int(alone.sum())
    return pd.Series(found, dtype="int64")


def test_every_population_is_present_with_its_trait(simulated_lake, shared_requests) -> None:
    truth = simulated_lake.truth
    assert set(LEGITIMATE_POPULATIONS) <= set(truth["population"])
    assert set(LEGITIMATE_POPULATIONS) <= set(shared_requests["population"])
    for population, lookalike in LOOKALIKES.items():
        members = truth[truth["population"] == population]
        assert (members["lookalike_of"] == lookalike.trait).all(), population
    assert truth.loc[truth["population"] == "individual", "lookalike_of"].isna().all()
    described = simulated_lake.manifest["populations"]
    assert described["tutoring_app"]["lookalike_of"] == "cot_system_prompt_reasoning_questions"
    assert described["individual"]["accounts"] == (truth["population"] == "individual").sum()


def test_carrier_nat_puts_unrelated_customers_on_one_ip(simulated_lake, shared_requests) -> None:
    snapshot = simulated_lake.snapshot()
    carrier = shared_requests[shared_requests["population"] == "carrier_nat"]
    mobile_asns = {s.asn for s in catalog.MOBILE_ASES}
    v4 = carrier[~carrier["ip"].str.contains(":") & carrier["asn"].isin(mobile_asns)]
    assert len(v4) > 0.3 * len(carrier)
    everyone = shared_requests[shared_requests["ip"].isin(set(v4["ip"]))]
    shared = _unrelated_pairs_on_one_ip(everyone, snapshot)
    # Most of the carrier's addresses carry several unrelated customers over the run.
    assert (shared >= 2).sum() >= 5
    carrier_accounts = set(carrier["account_id"])
    sharing = {
        a
        for ip in shared[shared >= 2].index
        for a in everyone.loc[everyone["ip"] == ip, "account_id"]
    }
    assert len(sharing & carrier_accounts) >= 0.4 * len(carrier_accounts)


def test_office_egress_puts_unrelated_customers_behind_one_nat(simulated_lake, shared_requests):
    snapshot = simulated_lake.snapshot()
    office = shared_requests[shared_requests["population"] == "office_egress"]
    business = {s.asn for s in catalog.BUSINESS_ASES}
    at_work = office[office["asn"].isin(business)]
    everyone = shared_requests[shared_requests["ip"].isin(set(at_work["ip"]))]
    shared = _unrelated_pairs_on_one_ip(everyone, snapshot)
    assert (shared >= 2).sum() >= 2
    # The NAT addresses of one building sit in one /24.
    blocks = at_work["ip"].map(lambda ip: ipaddress.ip_network(f"{ip}/24", strict=False))
    assert blocks.nunique() < at_work["ip"].nunique()


def test_the_oss_app_prompt_is_shared_by_many_unrelated_users(simulated_lake, shared_requests):
    snapshot = simulated_lake.snapshot().set_index("account_id")
    rows = shared_requests[shared_requests["system_prompt"] == OSS_APP_SYSTEM_PROMPT]
    users = rows["account_id"].unique()
    assert len(users) >= 10
    assert (rows["population"] == "oss_app_user").all()
    cards = snapshot.loc[users, "payment_fingerprint"]
    assert cards.notna().all() and cards.is_unique
    assert snapshot.loc[users, "org_id"].dropna().is_unique
    countries = shared_requests[shared_requests["account_id"].isin(users)]["country"].nunique()
    assert countries >= 4


def test_the_cohort_signs_up_together_from_campus(simulated_lake, shared_requests) -> None:
    truth = simulated_lake.truth
    members = truth[truth["population"] == "student_cohort"]
    assert members["created_at"].max() - members["created_at"].min() < pd.Timedelta(hours=1)
    snapshot = simulated_lake.snapshot().set_index("account_id")
    nets = {
        ipaddress.ip_network(f"{snapshot.loc[a, 'signup_ip']}/24", strict=False)
        for a in members["account_id"]
    }
    assert len(nets) == 1
    # Lab sessions: on the sign-up day and a week later most of the class is active together.
    rows = shared_requests[shared_requests["population"] == "student_cohort"]
    signup = simulated_lake.manifest["class_signup_day"]
    lab = rows[rows["ts"].str[:10] == signup]
    assert lab["account_id"].nunique() >= 0.9 * len(members)
    hours = pd.to_datetime(lab["ts"]).dt.floor("h").value_counts()
    assert hours.iloc[:2].sum() >= 0.6 * len(lab)
    # The same assignment: many students send the same items.
    repeated = rows.groupby("prompt")["account_id"].nunique()
    assert (repeated >= 3).sum() >= 3


def test_tutoring_apps_send_reasoning_questions_behind_one_cot_prompt(shared_requests) -> None:
    rows = shared_requests[shared_requests["population"] == "tutoring_app"]
    assert rows["system_prompt"].notna().all()
    assert rows.groupby("true_org_id")["system_prompt"].nunique().max() == 1
    origins = pd.Series([text_origin.origin(p) for p in rows["prompt"].head(300)])
    assert (origins == "distill").mean() > 0.8


def test_researchers_send_cot_and_judge_prompts(shared_requests) -> None:
    rows = shared_requests[shared_requests["population"] == "benchmark_researcher"]
    origins = pd.Series([text_origin.origin(p) for p in rows["prompt"]])
    assert (origins == "distill").mean() > 0.3
    assert (origins == "judge").mean() > 0.1
    kinds = rows["user_agent"].map(lambda ua: catalog.USER_AGENT_KINDS.get(ua or "", "none"))
    assert kinds.isin(("official_sdk", "app")).all()


def test_agencies_pay_for_many_accounts_with_one_card(simulated_lake) -> None:
    snapshot = simulated_lake.snapshot().set_index("account_id")
    truth = simulated_lake.truth
    members = truth.loc[truth["population"] == "agency_reseller", "account_id"]
    per_card = snapshot.loc[members].groupby("payment_fingerprint").size()
    assert per_card.max() >= 4
    domains = snapshot.loc[members].groupby("payment_fingerprint")["email_domain"].nunique()
    assert domains.max() >= 2


def test_batch_processors_are_machine_regular_on_cloud_ips(shared_requests) -> None:
    rows = shared_requests[shared_requests["population"] == "batch_processor"]
    kinds = rows["asn"].dropna().map(lambda a: catalog.ASN_KIND.get(int(a)))
    assert kinds.isin(list(catalog.HOSTING_KINDS)).all()
    for (_, _), group in rows.groupby(["account_id", rows["ts"].str[:10]]):
        times = pd.to_datetime(group["ts"]).sort_values()
        if len(times) >= 20:
            assert times.iloc[-1] - times.iloc[0] < pd.Timedelta(hours=3)


def test_release_adopters_move_on_release_day(simulated_lake, shared_requests) -> None:
    release, new = simulated_lake.manifest["release_day"], simulated_lake.manifest["models"]["new"]
    rows = shared_requests[
        (shared_requests["population"] == "release_adopter")
        & (shared_requests["ts"].str[:10] == release)
    ]
    assert len(rows) > 20 and (rows["model"] == new).mean() > 0.5


def test_promo_cohort_wakes_on_the_promotion_day(simulated_lake, shared_requests) -> None:
    rows = shared_requests[shared_requests["population"] == "promo_cohort"]
    first = rows.groupby("account_id")["ts"].min().str[:10]
    promotion = simulated_lake.manifest["promotion_day"]
    assert first.min() == promotion and (first == promotion).mean() > 0.7
    truth = simulated_lake.truth
    members = truth[truth["population"] == "promo_cohort"]
    assert (members["woke_on"] == promotion).all()
