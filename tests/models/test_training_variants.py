"""Training variants: a campaign's labels held out, and the xgboost.spark path."""

from __future__ import annotations

import numpy as np

from models.scoring import load_model_version
from models.train import train_challenger
from models.training_set import model_matrix
from tests.models.conftest import CUTOFF, Registry, SyntheticData


def test_held_out_accounts_lose_their_labels_and_stay_as_unlabeled_rows(
    spark, registry: Registry, synthetic: SyntheticData
) -> None:
    held = frozenset(a for a, c in synthetic.campaign_of().items() if c == "camp-b")
    loto = registry.named("loto-camp-b")
    result = train_challenger(
        spark, loto.train_params(CUTOFF, holdout_accounts=held, holdout_name="camp-b")
    )
    params = loto.client().get_run(result.run_id).data.params
    assert params["holdout"] == "camp-b"
    assert params["holdout_accounts"] == "30"
    # camp-b's labels are gone: only camp-a's 30 accounts are positives ...
    assert params["fit_positive_accounts"] == "30"
    labels = synthetic.labels
    camp_a_known = labels[
        labels["account_id"].str.startswith("camp-a") & (labels["labeled_at"] <= CUTOFF.isoformat())
    ]
    assert params["labels_positive_known"] == str(camp_a_known["account_id"].nunique())
    # ... and camp-b's accounts are still there, as unlabeled rows presumed legitimate.
    legit = synthetic.truth[synthetic.truth["campaign_id"].isna()]["account_id"]
    assert int(params["fit_unlabeled_accounts"]) > len(held)
    assert int(params["fit_unlabeled_accounts"]) <= len(legit) + len(held)


def test_spark_xgboost_trains_an_equivalent_registered_model(
    spark, registry: Registry, synthetic: SyntheticData
) -> None:
    distributed = registry.named("spark-xgboost")
    result = train_challenger(
        spark,
        distributed.train_params(
            CUTOFF, use_spark_xgboost=True, spark_xgboost_workers=1, n_estimators=30
        ),
    )
    run = distributed.client().get_run(result.run_id)
    assert run.data.params["use_spark_xgboost"] == "True"
    assert run.data.metrics["calibration.labeled.pr_auc"] > 0.9
    model = load_model_version(registry.tracking_uri, "spark-xgboost", result.model_version).model
    features = synthetic.features
    rows = features.groupby(features["account_id"].str[:6]).head(10)
    scores = model.predict_proba(model_matrix(rows))[:, 1]
    assert np.all((scores >= 0) & (scores <= 1))
    population = rows["account_id"].str.rsplit("-", n=1).str[0]
    known_abuse = population.isin(["camp-a", "camp-b"]).to_numpy()
    legitimate = ~population.str.startswith("camp-").to_numpy()
    assert scores[known_abuse].min() > scores[legitimate].max()
