"""The model lifecycle on a real MLflow store: train, promote, score, refuse, roll back.

One SQLite tracking store per module; module fixtures build its history in
order (each depends on the previous one), and each records what the registry
looked like right after its step, so tests can run in any order:

1. ``v1``: trained as of 2026-03-07, knowing only camp-a; promoted as the first
   model through the absolute gates;
2. ``v2``: trained as of 2026-03-13 (camp-a and camp-b known, camp-c not yet
   started): promoted over v1; v1 becomes previous-champion;
3. ``v3``: trained on the same features with shuffled labels: must be refused;
4. scoring days after the cut-off with v2; then rollback to v1.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

import mlflow
import mlflow.pyfunc
import numpy as np
import pandas as pd
import pytest
import xgboost as xgb

from features.feature_set import FEATURE_SET
from models import tracking
from models.cluster_evidence import EVIDENCE_ALONE, EVIDENCE_MIN, family_strengths, support_score
from models.errors import NoChampionError, PromotionError
from models.evaluate import threshold_for_precision
from models.promotion import PromotionDecision, promote, rollback
from models.scoring import ScoreSummary, load_model_version, score_day
from models.train import TrainResult, train_challenger
from models.training_set import model_matrix
from tests.models.conftest import CUTOFF, Registry, SyntheticData, write_labels

MODEL = "hydrasweep-extraction"
LATER_DAYS = (date(2026, 3, 15), date(2026, 3, 20))


@dataclass(frozen=True)
class Step:
    aliases: dict[str, str]  # the registry right after the step
    result: TrainResult | None = None
    decision: PromotionDecision | None = None


@pytest.fixture(scope="module")
def v1(spark, registry: Registry) -> Step:
    result = train_challenger(
        spark,
        registry.train_params(
            date(2026, 3, 7),
            window_days=7,
            early_stopping_days=1,
            calibration_days=1,
            promotion_days=2,
        ),
    )
    return Step(aliases=registry.aliases(), result=result)


@pytest.fixture(scope="module")
def v1_promoted(spark, registry: Registry, v1: Step) -> Step:
    decision = promote(spark, registry.promote_params())
    return Step(aliases=registry.aliases(), decision=decision)


@pytest.fixture(scope="module")
def v2_promoted(spark, registry: Registry, v1_promoted: Step) -> Step:
    result = train_challenger(spark, registry.train_params(CUTOFF))
    decision = promote(spark, registry.promote_params())
    return Step(aliases=registry.aliases(), result=result, decision=decision)


@pytest.fixture(scope="module")
def v3_refused(
    spark, registry: Registry, v2_promoted: Step, synthetic: SyntheticData, tmp_path_factory
) -> Step:
    # Same features, labels shuffled across accounts: a model that learned nothing real.
    shuffled_lake = tmp_path_factory.mktemp("shuffled-lake")
    shutil.copytree(registry.lake / "features", shuffled_lake / "features")
    labels = synthetic.labels.copy()
    labels["label"] = np.random.default_rng(3).permutation(labels["label"].to_numpy())
    write_labels(labels, shuffled_lake)
    shuffled = replace(registry, lake=shuffled_lake)
    result = train_challenger(spark, shuffled.train_params(CUTOFF))
    decision = promote(spark, registry.promote_params())
    return Step(aliases=registry.aliases(), result=result, decision=decision)


@dataclass(frozen=True)
class Scored:
    summaries: dict[date, ScoreSummary]
    scores: pd.DataFrame  # every scored row of LATER_DAYS, with dt


@pytest.fixture(scope="module")
def scored_by_v2(spark, registry: Registry, v3_refused: Step) -> Scored:
    summaries = {day: score_day(spark, registry.score_params(day)) for day in LATER_DAYS}
    # Scoring a day again replaces its scores rather than adding to them.
    summaries[LATER_DAYS[0]] = score_day(spark, registry.score_params(LATER_DAYS[0]))
    frames = [
        pd.read_parquet(registry.lake / "scores" / f"dt={day.isoformat()}").assign(dt=day)
        for day in LATER_DAYS
    ]
    return Scored(summaries=summaries, scores=pd.concat(frames, ignore_index=True))


@pytest.fixture(scope="module")
def rolled_back(registry: Registry, scored_by_v2: Scored) -> Step:
    decision = rollback(registry.promote_params())
    return Step(aliases=registry.aliases(), decision=decision)


# --- training and tracking -------------------------------------------------------


def test_training_logs_params_metrics_plots_and_a_registered_version(
    registry: Registry, v1: Step, synthetic: SyntheticData
) -> None:
    client = registry.client()
    result = v1.result
    run = client.get_run(result.run_id)
    params = run.data.params
    known = synthetic.labels[
        pd.to_datetime(synthetic.labels["labeled_at"], utc=True, format="ISO8601").dt.date
        <= date(2026, 3, 7)
    ]
    assert params["feature_set_name"] == FEATURE_SET.name
    assert params["feature_set_version"] == str(FEATURE_SET.version)
    assert (params["data_window_start"], params["data_window_end"]) == ("2026-03-01", "2026-03-07")
    # Four windows, newest last: fit, early stopping, the rule's calibration, promotion.
    assert (params["fit_start"], params["fit_end"]) == ("2026-03-01", "2026-03-03")
    assert (params["early_stopping_start"], params["early_stopping_end"]) == ("2026-03-04",) * 2
    assert (params["calibration_start"], params["calibration_end"]) == ("2026-03-05",) * 2
    assert (params["promotion_start"], params["promotion_end"]) == ("2026-03-06", "2026-03-07")
    assert params["labels_positive_known"] == str(int((known["label"] == 1).sum())) == "30"
    assert params["labels_negative_known"] == str(int((known["label"] == 0).sum()))
    assert params["labels_bad_lines"] == "3"
    # Metric names say which rows they were measured on.
    for metric in (
        "calibration.labeled.pr_auc",
        "calibration.labeled.recall_at_precision_95",
        "calibration.labeled.flag_precision",
        "calibration.training_rows.recall_at_precision_95",
        "calibration.training_rows.cluster_recall",
        "threshold",
    ):
        assert run.data.metrics[metric] == pytest.approx(result.metrics[metric])
    assert "pr_auc" not in run.data.metrics
    assert run.data.metrics["calibration.labeled.pr_auc"] > 0.9

    plots = {a.path for a in client.list_artifacts(result.run_id, "plots")}
    assert plots == {
        "plots/pr_curve.png",
        "plots/score_histogram.png",
        "plots/feature_importance.png",
        "plots/shap_summary.png",
    }
    feature_set = json.loads(
        Path(client.download_artifacts(result.run_id, "feature_set.json")).read_text()
    )
    assert feature_set == json.loads(json.dumps(FEATURE_SET.as_dict()))
    experiment = client.get_experiment(run.info.experiment_id)
    assert experiment.artifact_location == registry.artifact_root.resolve().as_uri()

    version = client.get_model_version(MODEL, result.model_version)
    assert version.run_id == result.run_id
    assert version.tags[tracking.TAG_THRESHOLD] == repr(result.threshold)
    assert version.tags[tracking.TAG_FEATURE_SET] == f"{FEATURE_SET.name}/v{FEATURE_SET.version}"
    assert v1.aliases == {"challenger": result.model_version}
    with tracking.tracking(registry.tracking_uri):
        info = mlflow.models.get_model_info(f"models:/{MODEL}/{result.model_version}")
    # One pyfunc holding the booster and its rule (``models.served``), the rule also in
    # the metadata scoring reads.
    assert info.flavors["python_function"]["artifacts"].keys() == {"booster"}
    assert info.metadata["hydrasweep"]["flag_rule"]["threshold"] == result.threshold
    assert [c.name for c in info.signature.inputs.inputs] == FEATURE_SET.names
    assert [c.name for c in info.signature.outputs.inputs] == [
        "model_score",
        "cluster_evidence_score",
        "score",
        "flagged",
    ]
    assert info.saved_input_example_info is not None


def test_threshold_is_chosen_on_calibration_for_the_target_precision_and_stored(
    registry: Registry, v1: Step, synthetic: SyntheticData
) -> None:
    """Recompute v1's threshold from its calibration day independently.

    v1 trains as of 03-07 on 7 days: fit 03-01..03-03, early stopping 03-04,
    calibration 03-05, promotion 03-06..03-07 (never read by training).
    """
    assert v1.result is not None
    assert (v1.result.validation_window.start, v1.result.validation_window.end) == (
        date(2026, 3, 6),
        date(2026, 3, 7),
    )
    features = synthetic.features
    validation = features[features["dt"] == date(2026, 3, 5)]
    labels = synthetic.labels.assign(
        known=pd.to_datetime(synthetic.labels["labeled_at"], utc=True, format="ISO8601").dt.date
    )
    known = labels[labels["known"] <= date(2026, 3, 7)].set_index("account_id")["label"]
    # unlabeled accounts train and validate as presumed legitimate
    truth = validation["account_id"].map(known).fillna(0).astype(int)
    model = load_model_version(registry.tracking_uri, MODEL, v1.result.model_version).model
    scores = pd.Series(model.predict_proba(model_matrix(validation))[:, 1])
    threshold, reached = threshold_for_precision(truth.reset_index(drop=True), scores, 0.95)
    assert reached
    tags = registry.client().get_model_version(MODEL, v1.result.model_version).tags
    assert float(tags[tracking.TAG_THRESHOLD]) == pytest.approx(threshold) == v1.result.threshold
    assert tags[tracking.TAG_TARGET_PRECISION] == "0.95"
    flagged = scores >= threshold
    assert truth.reset_index(drop=True)[flagged].mean() >= 0.95
    assert 0 <= v1.result.corroboration_floor <= v1.result.threshold


# --- promotion ---------------------------------------------------------------------


def test_first_model_is_promoted_through_the_absolute_gates(
    registry: Registry, v1_promoted: Step
) -> None:
    decision = v1_promoted.decision
    assert decision.promoted
    assert decision.reason.startswith("promoted (first model, absolute gates): labeled.pr_auc ")
    assert (decision.challenger_version, decision.champion_version) == ("1", None)
    assert v1_promoted.aliases == {"champion": "1"}
    tags = registry.client().get_model_version(MODEL, "1").tags
    assert tags[tracking.TAG_DECISION] == "promoted"
    assert tags[tracking.TAG_REASON] == decision.reason
    assert tags[tracking.TAG_COMPARED_WITH] == "none"


def test_better_challenger_is_promoted_and_keeps_the_previous_champion(
    registry: Registry, v2_promoted: Step
) -> None:
    decision = v2_promoted.decision
    assert decision.promoted, decision.reason
    assert decision.reason.startswith("promoted: labeled.pr_auc ")
    assert (
        decision.challenger_metrics["labeled.pr_auc"] > decision.champion_metrics["labeled.pr_auc"]
    )
    assert v2_promoted.aliases == {"champion": "2", "previous-champion": "1"}
    tags = registry.client().get_model_version(MODEL, "2").tags
    # The comparison is an MLflow run of its own: both versions, the same window.
    comparison = registry.client().get_run(tags["promotion.comparison_run"])
    assert comparison.data.tags["hydrasweep.kind"] == "promotion"
    assert comparison.data.params["challenger_version"] == "2"
    assert comparison.data.params["champion_version"] == "1"
    assert comparison.data.metrics["challenger.labeled.pr_auc"] == pytest.approx(
        decision.challenger_metrics["labeled.pr_auc"]
    )
    assert comparison.data.metrics["champion.labeled.pr_auc"] == pytest.approx(
        decision.champion_metrics["labeled.pr_auc"]
    )
    assert tags[tracking.TAG_REPLACED] == "1"
    assert tags[tracking.TAG_DECISION] == "promoted"
    # both were judged on the same window: the challenger's promotion days (3 by default)
    assert tags["promotion.window"] == "2026-03-11..2026-03-13"


def test_the_champion_is_loaded_from_the_version_its_alias_named_once(
    registry: Registry, v2_promoted: Step, synthetic: SyntheticData, monkeypatch
) -> None:
    from models import scoring

    assert v2_promoted.aliases["champion"] == "2"
    v1_version = registry.client().get_model_version(MODEL, "1")
    # The alias read said v1, and a promotion moved it to v2 right after: weights and
    # rule must both be v1's, never v2's weights under v1's threshold.
    monkeypatch.setattr(scoring.tracking, "version_by_alias", lambda *_: v1_version)
    champion = scoring.load_champion(registry.tracking_uri, MODEL)
    v1_model = load_model_version(registry.tracking_uri, MODEL, "1").model
    rows = model_matrix(synthetic.features.head(200))
    assert champion.version == "1"
    assert champion.rule.threshold == float(v1_version.tags[tracking.TAG_THRESHOLD])
    np.testing.assert_allclose(champion.model.predict_proba(rows), v1_model.predict_proba(rows))


def test_worse_challenger_is_refused_and_the_reason_recorded(
    registry: Registry, v3_refused: Step
) -> None:
    decision = v3_refused.decision
    assert not decision.promoted
    assert decision.challenger_version == "3" and decision.champion_version == "2"
    assert (
        decision.challenger_metrics["labeled.pr_auc"] < decision.champion_metrics["labeled.pr_auc"]
    )
    assert "labeled.pr_auc" in decision.reason and "not better than champion v2" in decision.reason
    assert v3_refused.aliases == {"champion": "2", "previous-champion": "1", "challenger": "3"}
    tags = registry.client().get_model_version(MODEL, "3").tags
    assert tags[tracking.TAG_DECISION] == "rejected"
    assert tags[tracking.TAG_REASON] == decision.reason
    assert tags[tracking.TAG_COMPARED_WITH] == "2"


def test_a_dry_run_judges_a_named_version_and_moves_nothing(
    spark, registry: Registry, v3_refused: Step
) -> None:
    aliases = registry.aliases()
    tags = registry.client().get_model_version(MODEL, "1").tags
    decision = promote(spark, registry.promote_params(dry_run=True, version="1"))
    assert decision.dry_run and decision.challenger_version == "1"
    assert decision.champion_version == aliases["champion"]
    assert "labeled.pr_auc" in decision.challenger_metrics
    assert "labeled.pr_auc" in decision.champion_metrics
    assert registry.aliases() == aliases
    assert registry.client().get_model_version(MODEL, "1").tags == tags


def test_rollback_restores_the_previous_champion(
    spark, registry: Registry, rolled_back: Step
) -> None:
    decision = rolled_back.decision
    assert (decision.champion_version, decision.champion_after) == ("2", "1")
    assert rolled_back.aliases == {"champion": "1", "challenger": "3"}
    tags = registry.client().get_model_version(MODEL, "2").tags
    assert tags[tracking.TAG_ROLLBACK_REASON] == decision.reason
    assert tags[tracking.TAG_DECISION] == "promoted"  # the original decision stays on record
    assert summary_version(spark, registry) == "1"
    with pytest.raises(PromotionError, match="nothing to roll back to"):
        rollback(registry.promote_params())


def summary_version(spark, registry: Registry) -> str:
    return score_day(spark, registry.score_params(LATER_DAYS[1])).model_version


# --- scoring -----------------------------------------------------------------------


def test_scoring_without_a_champion_fails_with_a_clear_message(spark, registry: Registry) -> None:
    untrained = registry.named("never-trained")
    params = untrained.score_params(LATER_DAYS[0])
    expected = (
        f"no model has the champion alias in 'never-trained' at {registry.tracking_uri}: "
        "run `hydrasweep train` and `hydrasweep promote` first"
    )
    with pytest.raises(NoChampionError) as missing_model:
        score_day(spark, params)
    assert str(missing_model.value) == expected
    untrained.client().create_registered_model("never-trained")
    with pytest.raises(NoChampionError) as missing_alias:
        score_day(spark, params)
    assert str(missing_alias.value) == expected
    with pytest.raises(PromotionError, match="no model has the challenger alias"):
        promote(spark, untrained.promote_params())


def test_scores_carry_reasons_whose_values_match_the_input_rows(
    registry: Registry, scored_by_v2: Scored, synthetic: SyntheticData
) -> None:
    scores = scored_by_v2.scores
    assert set(scores["model_version"]) == {"2"}
    pinned = load_model_version(registry.tracking_uri, MODEL, "2")
    champion, baselines = pinned.model, pinned.baselines
    inputs = synthetic.features.merge(scores[["account_id", "dt"]], on=["account_id", "dt"])
    # Reasons are computed for the flagged rows only (nobody reviews the others).
    assert (scores.loc[~scores["flagged"], "reasons"] == "[]").all()
    flagged = scores[scores["flagged"]]
    sample = flagged.merge(inputs, on=["account_id", "dt"], suffixes=("", "_in")).sample(
        min(25, len(flagged)), random_state=1
    )
    assert len(sample) >= 10
    matrix = model_matrix(sample)
    contributions = champion.get_booster().predict(
        xgb.DMatrix(matrix), pred_contribs=True, iteration_range=(0, champion.best_iteration + 1)
    )[:, :-1]
    np.testing.assert_allclose(
        sample["model_score"], champion.predict_proba(matrix)[:, 1], rtol=1e-6
    )
    objections = 0
    for row, (_, scored) in enumerate(sample.iterrows()):
        model_reasons = [r for r in json.loads(scored["reasons"]) if r["kind"] == "model"]
        order = np.argsort(-contributions[row], kind="stable")[:5]
        expected = [
            (
                FEATURE_SET.names[col],
                round(float(matrix.iloc[row, col]), 6),
                round(float(contributions[row, col]), 6),
            )
            for col in order
            if contributions[row, col] > 0
        ]
        assert [(r["feature"], r["value"], r["contribution"]) for r in model_reasons] == expected
        # What speaks against the flag: the two most negative contributions, shown last.
        reasons = json.loads(scored["reasons"])
        against = [r for r in reasons if r["kind"] == "model_against"]
        assert reasons[len(reasons) - len(against) :] == against
        lowest = np.argsort(contributions[row], kind="stable")[:2]
        assert [(r["feature"], r["contribution"]) for r in against] == [
            (FEATURE_SET.names[col], round(float(contributions[row, col]), 6))
            for col in lowest
            if contributions[row, col] < 0
        ]
        objections += len(against)
        # Every value is read against the version's population baseline.
        for reason in model_reasons + against:
            median, p90 = baselines[reason["feature"]]
            assert reason["baseline"] == {"median": median, "p90": p90}
    assert objections > 0  # some flagged rows have features that speak against them


def test_a_version_carries_its_population_baselines(
    registry: Registry, scored_by_v2: Scored, synthetic: SyntheticData
) -> None:
    """Median and 90th percentile of every feature over the calibration window's
    account-days (every account: unlabeled ones are training rows too), logged
    inside the version; the reasons read values against them."""
    baselines = load_model_version(registry.tracking_uri, MODEL, "2").baselines
    assert set(baselines) == set(FEATURE_SET.names)
    client = registry.client()
    run = client.get_run(client.get_model_version(MODEL, "2").run_id)
    start, end = (
        date.fromisoformat(run.data.params[f"calibration_{edge}"]) for edge in ("start", "end")
    )
    days = pd.to_datetime(synthetic.features["dt"]).dt.date
    window = synthetic.features[(days >= start) & (days <= end)]
    assert len(window) > 100
    for name in FEATURE_SET.names:
        values = window[name].astype("float64").dropna()
        if values.empty:
            assert baselines[name] == (None, None)
            continue
        expected = np.quantile(values, [0.5, 0.9])
        assert baselines[name] == pytest.approx(tuple(expected), abs=1e-6), name


def test_flags_use_the_threshold_stored_with_the_version(
    registry: Registry, scored_by_v2: Scored, synthetic: SyntheticData
) -> None:
    tags = registry.client().get_model_version(MODEL, "2").tags
    threshold = float(tags[tracking.TAG_THRESHOLD])
    floor = float(tags[tracking.TAG_CORROBORATION_FLOOR])
    scores = scored_by_v2.scores
    evidence = scores["cluster_evidence_score"]
    rows = synthetic.features.merge(scores[["account_id", "dt"]], on=["account_id", "dt"])
    support = (
        scores[["account_id", "dt"]]
        .merge(
            rows.assign(support=support_score(family_strengths(rows)).to_numpy())[
                ["account_id", "dt", "support"]
            ],
            on=["account_id", "dt"],
            how="left",
        )["support"]
        .to_numpy()
    )
    expected = (
        (scores["model_score"] >= threshold)
        | (evidence >= EVIDENCE_ALONE)
        | ((np.maximum(evidence, support) >= EVIDENCE_MIN) & (scores["model_score"] > floor))
    )
    assert scores["flagged"].tolist() == expected.tolist()
    assert (scores["model_score"] >= threshold).any() and (scores["model_score"] < threshold).any()


def test_a_threshold_tag_edited_after_training_changes_no_flag(
    spark, registry: Registry, scored_by_v2: Scored
) -> None:
    """Tags are for people browsing the registry: the rule that flags is the one logged
    inside the model, so an edited tag (by mistake or by an attacker) changes nothing."""
    from lakeio.tables import LakeTables
    from models.scoring import flag_window, load_champion, load_model_version

    client = registry.client()
    champion = load_champion(registry.tracking_uri, MODEL)
    version = champion.version
    tables = LakeTables.open(spark, registry.lake_ref())
    day = LATER_DAYS[0]
    before = flag_window(tables, registry.tracking_ref(), version, day, day)
    tags = client.get_model_version(MODEL, version).tags
    logged = champion.rule.threshold
    assert float(tags[tracking.TAG_THRESHOLD]) == logged
    # A threshold of 0 would flag rows the logged rule does not.
    assert (~before["flagged"] & (before["model_score"] < logged)).any()
    try:
        client.set_model_version_tag(MODEL, version, tracking.TAG_THRESHOLD, "0.0")
        client.set_model_version_tag(MODEL, version, tracking.TAG_CORROBORATION_FLOOR, "-1.0")
        after = flag_window(tables, registry.tracking_ref(), version, day, day)
        assert load_champion(registry.tracking_uri, MODEL).rule == champion.rule
        assert load_model_version(registry.tracking_uri, MODEL, version).rule == champion.rule
    finally:
        for tag in (tracking.TAG_THRESHOLD, tracking.TAG_CORROBORATION_FLOOR):
            client.set_model_version_tag(MODEL, version, tag, tags[tag])
    pd.testing.assert_frame_equal(before, after)


def test_the_registered_model_gives_the_sweep_s_answer(
    registry: Registry, scored_by_v2: Scored, synthetic: SyntheticData
) -> None:
    """``mlflow.pyfunc`` on a registered version returns what ``score_day`` wrote with it:
    the booster under the version's own flag rule, cluster evidence included."""
    scores = scored_by_v2.scores
    rows = synthetic.features.merge(scores[["account_id", "dt"]], on=["account_id", "dt"])
    with tracking.tracking(registry.tracking_uri):
        served = mlflow.pyfunc.load_model(tracking.model_uri(MODEL, "2"))
    predicted = served.predict(model_matrix(rows))
    assert list(predicted.columns) == ["model_score", "cluster_evidence_score", "score", "flagged"]
    expected = rows[["account_id", "dt"]].merge(scores, on=["account_id", "dt"], how="left")
    assert predicted["flagged"].tolist() == expected["flagged"].tolist()
    assert predicted["flagged"].any() and not predicted["flagged"].all()
    np.testing.assert_allclose(predicted["score"], expected["score"], rtol=1e-6)
    np.testing.assert_allclose(
        predicted["cluster_evidence_score"], expected["cluster_evidence_score"], rtol=1e-6
    )


def test_rescoring_a_day_replaces_its_scores(
    scored_by_v2: Scored, synthetic: SyntheticData
) -> None:
    day = LATER_DAYS[0]
    scores = scored_by_v2.scores[scored_by_v2.scores["dt"] == day]
    assert sorted(scores["account_id"]) == sorted(
        synthetic.features.loc[synthetic.features["dt"] == day, "account_id"]
    )
    summary = scored_by_v2.summaries[day]
    assert summary.accounts_scored == len(scores)
    assert summary.flagged == int(scores["flagged"].sum())


def test_every_campaign_is_caught_after_the_cutoff_and_look_alikes_are_not(
    scored_by_v2: Scored, synthetic: SyntheticData
) -> None:
    """Per-campaign recall and precision on days after the cut-off, for v2 (as of 03-13).

    camp-c starts on 03-14 and has no label at the cut-off. Thresholds: every
    campaign's accounts are caught at 90% or more (a reviewer opening the cluster
    case then sees the rest), and the flags' precision stays at 0.9 or more:
    the 0.95 target precision was set on validation days that did not contain
    the new tactic, so a small drop is allowed, a collapse is not.
    """
    scores = scored_by_v2.scores.merge(synthetic.truth, on="account_id", how="left")
    per_account = scores.groupby(["account_id", "population"], as_index=False)["flagged"].any()
    recall = per_account.groupby("population")["flagged"].mean()
    for campaign in ("camp-a", "camp-b", "camp-c"):
        assert recall[campaign] >= 0.9, (campaign, recall.to_dict())
    # Look-alikes: the label-free evidence never flags them (each shares one signal
    # at most), and the supervised model flags at most one in twenty.
    look_alikes = scores[scores["population"].isin(["enterprise", "saas", "power"])]
    assert (look_alikes["cluster_evidence_score"] < EVIDENCE_MIN).all()
    for look_alike in ("enterprise", "saas", "power"):
        assert recall[look_alike] <= 0.05, (look_alike, recall.to_dict())
    flagged = scores[scores["flagged"]]
    precision = flagged["campaign_id"].notna().mean()
    assert precision >= 0.9
    # the never-labeled campaign's reasons (of its flagged accounts) show the cluster evidence
    camp_c = scores[(scores["population"] == "camp-c") & scores["flagged"]]
    assert len(camp_c) > 0
    kinds = camp_c["reasons"].map(lambda text: {item["kind"] for item in json.loads(text)})
    assert kinds.map(lambda k: "cluster_evidence" in k).all()
