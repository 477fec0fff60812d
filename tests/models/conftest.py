"""A synthetic account-day feature table with known populations, and a lake holding it.

The populations are built so that each campaign has its own tactic and each
legitimate look-alike resembles a campaign on one signal only:

- ``legit``: independent developers, unclustered;
- ``power``: legitimate heavy users whose own traffic looks like ``camp-a``;
- ``enterprise``: one org of 30 seats onboarded together, running balanced batch
  jobs from its cloud (one customer, so never a hydra);
- ``saas``: 25 customers of a platform that proxies them through its egress IPs
  (shared infrastructure, nothing else);
- ``camp-a``: classic extraction (datacenter, raw HTTP, chain-of-thought prompts,
  fresh unverified accounts, shared payment), labeled;
- ``camp-b``: sleeper accounts woken together, residential IPs, grader prompts,
  labeled;
- ``camp-c``: a new tactic starting later (rotating proxies, moderate volumes per
  account, a new-model rush, reasoning-eliciting sweeps), never labeled before
  the cut-off used in the tests.

Values are uniform draws within per-population ranges, one draw per
account-day; the seed makes the table identical on every run.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from mlflow import MlflowClient

from features.feature_set import FEATURE_SET, KEY_COLUMNS
from lakeio import LakeRef
from models.promotion import PromoteParams
from models.scoring import ScoreParams
from models.tracking import TrackingRef
from models.train import TrainParams

FIRST_DAY = date(2026, 3, 1)
DAYS = 21
LAST_DAY = FIRST_DAY + timedelta(days=DAYS - 1)
CUTOFF = date(2026, 3, 13)  # the day before camp-c starts
CAMPAIGN_START = {
    "camp-a": date(2026, 3, 1),
    "camp-b": date(2026, 3, 4),
    "camp-c": date(2026, 3, 14),
}
CAMPAIGN_LABELED = {
    "camp-a": date(2026, 3, 6),
    "camp-b": date(2026, 3, 9),
    "camp-c": date(2026, 3, 19),
}

LEGIT = {
    "requests_count_1d": (10, 400),
    "output_input_token_ratio_7d": (0.1, 1.5),
    "active_hours_count_1d": (2, 12),
    "interarrival_cv_1d": (0.8, 3.0),
    "hour_entropy_bits_7d": (1.5, 3.5),
    "distinct_ips_7d": (1, 5),
    "distinct_ip_prefixes_7d": (1, 4),
    "distinct_asns_7d": (1, 3),
    "datacenter_asn_share_7d": (0.0, 0.3),
    "raw_http_client_share_7d": (0.0, 0.4),
    "error_rate_7d": (0.0, 0.05),
    "rate_limited_share_7d": (0.0, 0.02),
    "account_age_days": (30, 900),
    "tier_rank": (0, 3),
    "verified_flag": (0.7, 1.0),  # share verified; drawn as a Bernoulli
    "dormant_days_before_activity": (0, 0),
    "cot_prompt_share_7d": (0.0, 0.2),
    "grader_prompt_share_7d": (0.0, 0.1),
    "template_reuse_share_7d": (0.0, 0.3),
    "task_breadth_count_7d": (1, 8),
    "system_prompt_sharing_customers_7d": (0, 3),
    "new_model_share_3d": (0.0, 0.3),
    "cluster_volume_cv_1d": (0.0, 0.0),
    "cluster_creation_burst_share": (1.0, 1.0),
    "cluster_shared_payment_share": (0.0, 0.0),
    "cluster_shared_ip_share": (0.0, 0.0),
    "cluster_synchrony_score": (0.0, 0.0),
    "cluster_country_count": (1, 2),
    "cluster_asn_count": (1, 3),
    "cluster_growth_ratio_1d": (1.0, 1.0),
    "cohort_size": (1, 1),
    "cohort_sync_share": (0.0, 0.0),
}

POPULATIONS: dict[str, dict] = {
    "legit": {"accounts": 240, "active": 0.6, "cluster": None, "ranges": {}},
    # legitimate heavy users: on their own behaviour they look like camp-a
    "power": {
        "accounts": 20,
        "active": 0.9,
        "cluster": None,
        "ranges": {
            "requests_count_1d": (800, 3000),
            "output_input_token_ratio_7d": (2.0, 6.0),
            "active_hours_count_1d": (12, 24),
            "datacenter_asn_share_7d": (0.6, 1.0),
            "raw_http_client_share_7d": (0.5, 1.0),
            "cot_prompt_share_7d": (0.2, 0.6),
            "account_age_days": (100, 900),
            "verified_flag": (1.0, 1.0),
        },
    },
    "enterprise": {
        "accounts": 30,
        "active": 1.0,
        "cluster": "org",
        "ranges": {
            "requests_count_1d": (300, 1500),
            "datacenter_asn_share_7d": (0.8, 1.0),
            "raw_http_client_share_7d": (0.2, 0.6),
            "account_age_days": (100, 400),
            "tier_rank": (3, 3),
            "verified_flag": (1.0, 1.0),
            "interarrival_cv_1d": (0.3, 1.0),
            "cluster_volume_cv_1d": (0.1, 0.3),
            "cluster_creation_burst_share": (0.9, 1.0),
            "cluster_synchrony_score": (0.3, 0.6),
            "cohort_size": (30, 30),
            "cohort_sync_share": (0.4, 0.6),
        },
    },
    "saas": {
        "accounts": 25,
        "active": 0.8,
        "cluster": "customers",
        "ranges": {
            "datacenter_asn_share_7d": (0.9, 1.0),
            "raw_http_client_share_7d": (0.8, 1.0),
            "template_reuse_share_7d": (0.3, 0.7),
            "account_age_days": (60, 900),
            "cluster_volume_cv_1d": (0.8, 2.0),
            "cluster_creation_burst_share": (0.04, 0.15),
            "cluster_shared_ip_share": (0.8, 1.0),
            "cluster_synchrony_score": (0.0, 0.15),
        },
    },
    "camp-a": {
        "accounts": 30,
        "active": 1.0,
        "cluster": "customers",
        "ranges": {
            "requests_count_1d": (800, 3000),
            "output_input_token_ratio_7d": (3.0, 8.0),
            "active_hours_count_1d": (18, 24),
            "interarrival_cv_1d": (0.05, 0.4),
            "hour_entropy_bits_7d": (4.2, 4.58),
            "datacenter_asn_share_7d": (0.7, 1.0),
            "raw_http_client_share_7d": (0.7, 1.0),
            "account_age_days": (1, 10),
            "tier_rank": (0, 1),
            "verified_flag": (0.0, 0.0),
            "cot_prompt_share_7d": (0.6, 0.95),
            "template_reuse_share_7d": (0.6, 0.9),
            "task_breadth_count_7d": (10, 25),
            "cluster_volume_cv_1d": (0.05, 0.2),
            "cluster_creation_burst_share": (0.8, 1.0),
            "cluster_shared_payment_share": (0.6, 0.9),
            "cluster_shared_ip_share": (0.7, 1.0),
            "cluster_synchrony_score": (0.6, 0.9),
            "cohort_size": (10, 30),
            "cohort_sync_share": (0.6, 0.9),
        },
    },
    "camp-b": {
        "accounts": 30,
        "active": 1.0,
        "cluster": "customers",
        "ranges": {
            "requests_count_1d": (300, 1500),
            "output_input_token_ratio_7d": (2.0, 5.0),
            "account_age_days": (200, 800),
            "dormant_days_before_activity": (30, 120),
            "cot_prompt_share_7d": (0.3, 0.6),
            "grader_prompt_share_7d": (0.5, 0.9),
            "template_reuse_share_7d": (0.5, 0.8),
            "verified_flag": (1.0, 1.0),
            "cluster_volume_cv_1d": (0.2, 0.5),
            "cluster_creation_burst_share": (0.05, 0.2),
            "cluster_shared_payment_share": (0.0, 0.2),
            "cluster_shared_ip_share": (0.4, 0.8),
            "cluster_synchrony_score": (0.5, 0.8),
            "cohort_size": (10, 30),
            "cohort_sync_share": (0.6, 0.9),
        },
    },
    "camp-c": {
        "accounts": 30,
        "active": 1.0,
        "cluster": "customers",
        "ranges": {
            "requests_count_1d": (200, 800),
            "output_input_token_ratio_7d": (1.5, 3.5),
            "active_hours_count_1d": (8, 16),
            "interarrival_cv_1d": (0.5, 1.2),
            "hour_entropy_bits_7d": (3.0, 4.0),
            "distinct_ips_7d": (20, 60),
            "distinct_ip_prefixes_7d": (15, 40),
            "distinct_asns_7d": (8, 20),
            "datacenter_asn_share_7d": (0.1, 0.4),
            "raw_http_client_share_7d": (0.3, 0.6),
            "account_age_days": (2, 20),
            "verified_flag": (0.0, 0.0),
            "cot_prompt_share_7d": (0.5, 0.9),
            "grader_prompt_share_7d": (0.1, 0.3),
            "template_reuse_share_7d": (0.3, 0.6),
            "task_breadth_count_7d": (8, 20),
            "new_model_share_3d": (0.6, 1.0),
            "cluster_volume_cv_1d": (0.1, 0.25),
            "cluster_creation_burst_share": (0.6, 0.9),
            "cluster_shared_payment_share": (0.1, 0.3),
            "cluster_shared_ip_share": (0.5, 0.9),
            "cluster_synchrony_score": (0.4, 0.7),
            "cohort_size": (5, 15),
            "cohort_sync_share": (0.4, 0.7),
        },
    },
}


@dataclass(frozen=True)
class SyntheticData:
    features: pd.DataFrame  # KEY_COLUMNS + FEATURE_SET.names (dt as datetime.date)
    truth: pd.DataFrame  # account_id, population, campaign_id (None for legitimate)
    labels: pd.DataFrame  # account_id, label, labeled_at (ISO date string), source

    def campaign_of(self) -> dict[str, str]:
        rows = self.truth.dropna(subset=["campaign_id"])
        return dict(zip(rows["account_id"], rows["campaign_id"], strict=True))


def _draw(rng: np.random.Generator, low: float, high: float, integer: bool) -> float:
    if integer:
        return float(rng.integers(int(low), int(high) + 1))
    return float(rng.uniform(low, high))


def generate(seed: int = 11) -> SyntheticData:
    rng = np.random.default_rng(seed)
    dtypes = {spec.name: spec.dtype for spec in FEATURE_SET.specs}
    rows: list[dict] = []
    truth: list[dict] = []
    labels: list[dict] = []
    for population, spec in POPULATIONS.items():
        is_campaign = population.startswith("camp-")
        start = CAMPAIGN_START.get(population, FIRST_DAY)
        ranges = {**LEGIT, **spec["ranges"]}
        n_accounts = spec["accounts"]
        for index in range(n_accounts):
            account = f"{population}-{index:03d}"
            customer = "org-enterprise" if spec["cluster"] == "org" else f"cust-{account}"
            cluster = None if spec["cluster"] is None else f"cl-{population}"
            truth.append(
                {
                    "account_id": account,
                    "population": population,
                    "campaign_id": population if is_campaign else None,
                }
            )
            for offset in range(DAYS):
                day = FIRST_DAY + timedelta(days=offset)
                if day < start or rng.random() > spec["active"]:
                    continue
                row: dict = {
                    "account_id": account,
                    "dt": day,
                    "customer_id": customer,
                    "hydra_cluster_id": cluster,
                }
                # A feature the generator does not model yet is 0 for everyone.
                row.update(dict.fromkeys(FEATURE_SET.names, 0.0))
                for name, (low, high) in ranges.items():
                    integer = dtypes.get(name) in ("long", "integer") and name != "verified_flag"
                    row[name] = _draw(rng, low, high, integer)
                row["verified_flag"] = float(
                    rng.random() < ranges["verified_flag"][1]
                    if ranges["verified_flag"][0] < 1
                    else 1.0
                )
                if population in ("camp-a", "camp-c"):  # fresh accounts age with the campaign
                    row["account_age_days"] += (day - start).days
                row["activity_age_days"] = row["account_age_days"]
                requests = row["requests_count_1d"]
                row["requests_count_7d"] = float(round(requests * rng.uniform(5, 7)))
                row["requests_count_28d"] = float(
                    round(row["requests_count_7d"] * rng.uniform(2, 4))
                )
                row["input_tokens_sum_7d"] = float(
                    round(row["requests_count_7d"] * rng.uniform(200, 800))
                )
                row["output_tokens_sum_7d"] = float(
                    round(row["input_tokens_sum_7d"] * row["output_input_token_ratio_7d"])
                )
                if cluster is None:
                    row.update(
                        cluster_customers_count=1.0,
                        cluster_accounts_count=1.0,
                        cluster_template_overlap=row["template_reuse_share_7d"],
                        cluster_cot_share=row["cot_prompt_share_7d"],
                    )
                else:
                    row.update(
                        cluster_customers_count=1.0
                        if spec["cluster"] == "org"
                        else float(n_accounts),
                        cluster_accounts_count=float(n_accounts),
                        cluster_template_overlap=ranges["template_reuse_share_7d"][1] * 0.8,
                        cluster_cot_share=ranges["cot_prompt_share_7d"][1] * 0.8,
                    )
                # The block and content features the evidence reads, from the same draws.
                linked = cluster is not None and spec["cluster"] != "org"
                row.update(
                    content_share_7d=row["cot_prompt_share_7d"],
                    cluster_content_share=row["cluster_cot_share"],
                    cluster_block_density=2.0 if linked else 0.0,
                    cluster_entity_families=2.0 if linked else 0.0,
                    # the account's own part: its block weight, what it shares of the
                    # infrastructure its cluster shares, the bursts it was in
                    member_block_weight=2.0 if linked else 0.0,
                    member_infrastructure_weight=3.0
                    * max(row["cluster_shared_ip_share"], row["cluster_shared_payment_share"])
                    if linked
                    else 0.0,
                    member_block_families=2.0 if linked else 0.0,
                    member_synced_slots_7d=float(round(5 * row["cluster_synchrony_score"]))
                    if linked
                    else 0.0,
                )
                row["cluster_output_tokens_sum_1d"] = float(
                    round(row["output_tokens_sum_7d"] / 7 * row["cluster_accounts_count"])
                )
                rows.append(row)
            if is_campaign:
                labels.append(
                    {
                        "account_id": account,
                        "label": 1,
                        "labeled_at": CAMPAIGN_LABELED[population].isoformat(),
                        "source": "enforcement",
                    }
                )
            elif population != "legit" or rng.random() < 0.7:
                labeled = FIRST_DAY + timedelta(days=int(rng.integers(0, 10)))
                labels.append(
                    {
                        "account_id": account,
                        "label": 0,
                        "labeled_at": f"{labeled.isoformat()}T12:00:00Z",
                        "source": "review",
                    }
                )
    features = pd.DataFrame(rows)[[*KEY_COLUMNS, *FEATURE_SET.names]]
    return SyntheticData(features=features, truth=pd.DataFrame(truth), labels=pd.DataFrame(labels))


_ARROW_TYPES = {"double": pa.float64(), "long": pa.int64(), "integer": pa.int32()}


def write_feature_table(features: pd.DataFrame, lake_root: Path) -> None:
    """Write ``features/account_day/dt=D/part-0.parquet`` files with the declared dtypes."""
    schema = pa.schema(
        [
            pa.field("account_id", pa.string()),
            pa.field("customer_id", pa.string()),
            pa.field("hydra_cluster_id", pa.string()),
        ]
        + [pa.field(spec.name, _ARROW_TYPES[spec.dtype]) for spec in FEATURE_SET.specs]
    )
    for day, rows in features.groupby("dt"):
        folder = lake_root / "features" / "account_day" / f"dt={day.isoformat()}"
        folder.mkdir(parents=True, exist_ok=True)
        columns = {}
        for field in schema:
            values = rows[field.name]
            if pa.types.is_integer(field.type):
                values = values.round().astype("int64")
            items = [None if pd.isna(v) else v for v in values.tolist()]
            columns[field.name] = pa.array(items, type=field.type)
        pq.write_table(pa.table(columns, schema=schema), folder / "part-0.parquet")


def write_labels(labels: pd.DataFrame, lake_root: Path, extra_lines: tuple[str, ...] = ()) -> None:
    folder = lake_root / "labels"
    folder.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps(record) for record in labels.to_dict(orient="records")]
    (folder / "labels.jsonl").write_text("\n".join([*lines, *extra_lines]) + "\n")


BAD_LABEL_LINES = (
    '{"account_id": "legit-000", "label": 1, "labeled_at": "2026-03-0',  # truncated JSON
    '{"account_id": "legit-001", "label": "1", "labeled_at": "2026-03-02", "source": "x"}',
    '{"account_id": "legit-002", "label": 1, "labeled_at": "yesterday", "source": "x"}',
)


@pytest.fixture(scope="session")
def synthetic() -> SyntheticData:
    return generate()


@pytest.fixture(scope="session")
def synthetic_lake(tmp_path_factory: pytest.TempPathFactory, synthetic: SyntheticData) -> Path:
    root = tmp_path_factory.mktemp("lake")
    write_feature_table(synthetic.features, root)
    write_labels(synthetic.labels, root, BAD_LABEL_LINES)
    return root


@dataclass(frozen=True)
class Registry:
    """One model name in the session's MLflow store, trained on a given lake.

    The SQLite store is shared by the whole session (creating one runs MLflow's
    migrations, several seconds); tests keep apart by model name.
    """

    lake: Path
    scratch: Path
    tracking_uri: str
    artifact_root: Path
    model_name: str

    def lake_ref(self) -> LakeRef:
        return LakeRef(str(self.lake), str(self.scratch))

    def tracking_ref(self) -> TrackingRef:
        return TrackingRef(self.tracking_uri, self.model_name, str(self.artifact_root))

    def train_params(self, as_of: date, **overrides) -> TrainParams:
        base = TrainParams(
            as_of=as_of,
            lake=self.lake_ref(),
            tracking=self.tracking_ref(),
            window_days=14,
            early_stopping_days=2,
            calibration_days=2,
            promotion_days=3,
            min_fit_days=3,
            reviewer_capacity=20,
            n_estimators=80,
        )
        return replace(base, **overrides)

    def promote_params(self, **overrides) -> PromoteParams:
        base = PromoteParams(
            lake=self.lake_ref(),
            tracking=self.tracking_ref(),
            reviewer_capacity=20,
        )
        return replace(base, **overrides)

    def score_params(self, day: date) -> ScoreParams:
        return ScoreParams(day=day, lake=self.lake_ref(), tracking=self.tracking_ref())

    def client(self) -> MlflowClient:
        return MlflowClient(tracking_uri=self.tracking_uri, registry_uri=self.tracking_uri)

    def aliases(self) -> dict[str, str]:
        model = self.client().get_registered_model(self.model_name)
        return {alias: str(version) for alias, version in model.aliases.items()}

    def named(self, model_name: str) -> Registry:
        return replace(self, model_name=model_name)


@pytest.fixture(scope="session")
def registry(tmp_path_factory: pytest.TempPathFactory, synthetic_lake: Path) -> Registry:
    home = tmp_path_factory.mktemp("registry")
    return Registry(
        lake=synthetic_lake,
        scratch=home / "scratch",
        tracking_uri=f"sqlite:///{home / 'mlflow.db'}",
        artifact_root=home / "artifacts",
        model_name="hydrasweep-extraction",
    )
