"""Training a challenger: point-in-time data, XGBoost, thresholds, MLflow registration.

``train_challenger`` assembles the account-day training set known at
``as_of`` (``models.training_set``), holds out the last ``validation_days`` days
for early stopping and for choosing the flag thresholds, fits an XGBoost
classifier (in process, or with ``xgboost.spark`` on the cluster when
``use_spark_xgboost`` is set), evaluates it (``models.evaluate``), and logs
everything to MLflow: parameters (feature set, data window, label counts),
metrics, plots, the feature set itself, and the model with the xgboost flavour,
a signature and an input example, registered as a new version that takes the
``challenger`` alias. The thresholds scoring needs are tags of that version.

Class imbalance is handled by ``scale_pos_weight`` (legitimate weight over
abusive weight, after the per-account row weights), and the threshold is chosen
on validation data rather than left at 0.5. The fit is deterministic for a seed.

With ``holdout_accounts`` (the evaluation's leave-one-tactic-out, on simulated
data where the truth is known) the labels of those accounts are dropped before
anything else: their rows stay, unlabeled, exactly as an undiscovered campaign's
would in production (presumed legitimate at the unlabeled weight). What the flag
rule then catches of them is judged by the evaluation (``simulate.scorecard``).
"""

from __future__ import annotations

import logging
import math
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

import mlflow
import mlflow.pyfunc
import mlflow.xgboost
import numpy as np
import pandas as pd
import sklearn
import xgboost as xgb
from matplotlib import pyplot as plt
from mlflow.models import infer_signature
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from features.feature_set import FEATURE_SET
from jobs.session import default_parallelism
from lakeio import LakeRef
from lakeio.reports import StageSummary
from lakeio.tables import LakeTables
from models import plots, tracking
from models.errors import TrainingDataError
from models.evaluate import evaluate_scored, threshold_for_precision
from models.labels import labels_known_at, read_labels
from models.scoring import (
    MODEL_NEVER_ALONE,
    FlagRule,
    apply_model,
    feature_contributions,
    model_metadata,
    population_baselines,
)
from models.served import SweepFlagModel
from models.training_set import (
    CALIBRATION,
    EARLY_STOPPING,
    FIT,
    LABEL,
    LABELED,
    PARTS,
    WEIGHT,
    DataWindow,
    TrainingWindows,
    model_matrix,
    read_feature_window,
    to_pandas,
    training_rows,
    training_windows,
)

log = logging.getLogger(__name__)

IS_VALIDATION = "is_validation"
PART = "window"


@dataclass(frozen=True)
class TrainParams(tracking.Tracked):
    as_of: date
    lake: LakeRef
    tracking: tracking.TrackingRef  # its artifact_root is the experiment's artifact_location
    experiment: str = "hydrasweep"
    window_days: int = 28
    # The labeled days, newest last, split into four windows (models.training_set.TrainingWindows).
    early_stopping_days: int = 2
    calibration_days: int = 3
    promotion_days: int = 3
    min_fit_days: int = 4
    target_precision: float = 0.95
    reviewer_capacity: int = 50  # K: accounts a reviewer team can open a day
    use_spark_xgboost: bool = False
    spark_xgboost_workers: int = 1  # never above the free task slots: xgboost.spark hangs
    seed: int = 7
    # Accounts whose labels training must not see (leave-one-tactic-out), and a name for them.
    holdout_accounts: frozenset[str] = field(default_factory=frozenset, repr=False)
    holdout_name: str = ""
    n_estimators: int = 300
    max_depth: int = 4
    learning_rate: float = 0.1
    early_stopping_rounds: int = 20
    # The corroboration floor: a model score above this quantile of validation
    # legitimate account-days (capped at the threshold).
    corroboration_quantile: float = 0.9
    # Unlabeled accounts join as presumed legitimate at this fraction of a labeled
    # account's weight (0 leaves them out); see models.training_set.
    unlabeled_weight: float = 0.1
    # Unlabeled accounts in a hydra cluster with known abuse (and no known
    # legitimate account) that day are taken as abusive at this fraction of a
    # labeled account's weight (0 leaves them presumed legitimate); see
    # models.training_set.training_rows.
    cluster_label_weight: float = 0.5
    # OpenMP threads of the in-process fit. One by default: on a 2-core machine
    # shared with other work, all-core XGBoost was measured 30x slower (thread
    # thrashing) on a training set of this project's size; data large enough to
    # need many cores belongs on ``use_spark_xgboost``.
    xgb_threads: int = 1

    def __post_init__(self) -> None:
        if not self.tracking.artifact_root:
            raise ValueError("training needs tracking.artifact_root: an absolute artifact location")

    @property
    def artifact_root(self) -> str:
        return self.tracking.artifact_root or ""


@dataclass(frozen=True)
class TrainResult(StageSummary):
    run_id: str
    model_version: str
    metrics: dict[str, float]
    threshold: float
    corroboration_floor: float
    label_counts: dict[str, int]
    validation_window: DataWindow


def _xgb_params(params: TrainParams, scale_pos_weight: float) -> dict[str, object]:
    return {
        "n_estimators": params.n_estimators,
        "max_depth": params.max_depth,
        "learning_rate": params.learning_rate,
        "subsample": 0.8,
        "colsample_bytree": 0.8,
        "min_child_weight": 1.0,
        "objective": "binary:logistic",
        # Early stopping watches the last metric: log loss keeps improving while the
        # margins grow, where PR-AUC saturates at 1.0 on well-separated data and
        # would stop at the first tree.
        "eval_metric": ["aucpr", "logloss"],
        "early_stopping_rounds": params.early_stopping_rounds,
        "scale_pos_weight": scale_pos_weight,
        "tree_method": "hist",
        "random_state": params.seed,
    }


def _fit_local(
    train: pd.DataFrame, validation: pd.DataFrame, xgb_params: dict, threads: int
) -> xgb.XGBClassifier:
    model = xgb.XGBClassifier(**xgb_params, n_jobs=threads)
    model.fit(
        model_matrix(train),
        train[LABEL],
        sample_weight=train[WEIGHT],
        eval_set=[(model_matrix(validation), validation[LABEL])],
        sample_weight_eval_set=[validation[WEIGHT]],
        verbose=False,
    )
    return model


def _fit_spark(
    spark: SparkSession, parted: DataFrame, xgb_params: dict, workers: int
) -> xgb.XGBClassifier:
    """Distributed fit; the booster comes back as a plain ``XGBClassifier`` for MLflow and scoring."""
    from xgboost.spark import SparkXGBClassifier

    slots = default_parallelism(spark)
    # SparkXGBClassifier sets the objective itself (binary:logistic for 2 classes).
    spark_params = {k: v for k, v in xgb_params.items() if k != "objective"}
    estimator = SparkXGBClassifier(
        features_col=FEATURE_SET.names,
        label_col=LABEL,
        weight_col=WEIGHT,
        validation_indicator_col=IS_VALIDATION,
        num_workers=max(1, min(workers, slots)),
        **spark_params,
    )
    spark_model = estimator.fit(
        parted.select(*FEATURE_SET.names, LABEL, WEIGHT, F.col(IS_VALIDATION))
    )
    booster = spark_model.get_booster()
    model = xgb.XGBClassifier(**xgb_params)
    model.load_model(bytearray(booster.save_raw("ubj")))
    return model


def _finite(metrics: Mapping[str, float]) -> dict[str, float]:
    return {k: float(v) for k, v in metrics.items() if v is not None and math.isfinite(v)}


def _counts(
    parted: DataFrame,
) -> tuple[dict[tuple[str, int], int], dict[tuple[str, int], float], dict[str, int]]:
    """Accounts and weight per (window, label), and the label counts logged with the run."""
    stats = (
        parted.groupBy(PART, LABEL, LABELED)
        .agg(
            F.countDistinct("account_id").alias("accounts"),
            F.count(F.lit(1)).alias("rows"),
            F.sum(WEIGHT).alias("weight"),
        )
        .collect()
    )
    accounts: dict[tuple[str, int], int] = {}
    weight: dict[tuple[str, int], float] = {}
    logged: dict[str, int] = {}
    for r in stats:
        key = (r[PART], r[LABEL])
        accounts[key] = accounts.get(key, 0) + int(r["accounts"])
        weight[key] = weight.get(key, 0.0) + float(r["weight"])
        if r[LABELED]:
            kind = "positive" if r[LABEL] else "negative"
        else:
            kind = "cluster_labeled" if r[LABEL] else "unlabeled"
        for what in ("accounts", "rows"):
            logged[f"{r[PART]}_{kind}_{what}"] = int(r[what])
    return accounts, weight, logged


def _check_classes(accounts: dict[tuple[str, int], int], windows: TrainingWindows) -> None:
    for part in (FIT, EARLY_STOPPING, CALIBRATION):
        window = getattr(windows, part)
        for label, what in ((1, "positive (label 1)"), (0, "negative (label 0)")):
            if accounts.get((part, label), 0) == 0:
                raise TrainingDataError(
                    f"the {part.replace('_', ' ')} days ({window.start}..{window.end}) have no "
                    f"{what} labeled accounts known at the cut-off"
                )


def choose_rule(
    model: xgb.XGBClassifier, calibration: pd.DataFrame, params: TrainParams
) -> tuple[FlagRule, bool]:
    """The flag rule's threshold and corroboration floor, from the calibration window only.

    When no threshold reaches the target precision, the model does not flag alone
    (``MODEL_NEVER_ALONE``): a row needs the cluster evidence as well, over the floor.
    """
    model_score = pd.Series(
        model.predict_proba(model_matrix(calibration))[:, 1], index=calibration.index
    )
    threshold, reached = threshold_for_precision(
        calibration[LABEL], model_score, params.target_precision
    )
    legit_scores = model_score[calibration[LABEL] == 0]
    floor = min(threshold, float(np.quantile(legit_scores, params.corroboration_quantile)))
    if not reached:
        log.warning(
            "no threshold reaches precision %.2f on the calibration days (the most precise, "
            "%.4f, does not): the model will not flag alone, only with corroboration over %.4f",
            params.target_precision,
            threshold,
            floor,
        )
        threshold = MODEL_NEVER_ALONE
    return FlagRule(threshold=threshold, corroboration_floor=floor), reached


def calibration_metrics(
    model: xgb.XGBClassifier, rule: FlagRule, calibration: pd.DataFrame, capacity: int
) -> tuple[dict[str, float], pd.DataFrame]:
    """Metrics of the whole flag rule on the calibration window, named by population.

    ``calibration.labeled.*``: rows whose own label is known; ``calibration.training_rows.*``:
    every training row of the window (labeled, cluster-labeled and presumed legitimate),
    the nearest the training data comes to all traffic.
    """
    scored = apply_model(model, calibration, rule, with_reasons=False)
    scored[LABEL] = calibration[LABEL].to_numpy()
    labeled = calibration[LABELED].to_numpy(dtype=bool)
    metrics = {
        **{
            f"calibration.labeled.{k}": v
            for k, v in evaluate_scored(scored[labeled], capacity).items()
        },
        **{
            f"calibration.training_rows.{k}": v
            for k, v in evaluate_scored(scored, capacity).items()
        },
    }
    return metrics, scored


def train_challenger(spark: SparkSession, params: TrainParams) -> TrainResult:
    """Train on what was known at the end of ``as_of``; register the version as ``challenger``."""
    tables = LakeTables.open(spark, params.lake)
    label_set = read_labels(tables.store)
    if params.holdout_accounts:
        frame = label_set.frame
        label_set = replace(
            label_set, frame=frame[~frame["account_id"].isin(params.holdout_accounts)]
        )
    known = labels_known_at(label_set.frame, params.as_of)
    data_window = DataWindow.ending(params.as_of, params.window_days)
    features = read_feature_window(tables, data_window)
    rows = training_rows(
        spark,
        features,
        label_set.frame,
        params.as_of,
        params.window_days,
        unlabeled_weight=params.unlabeled_weight,
        cluster_label_weight=params.cluster_label_weight,
    )
    days = [row["dt"] for row in rows.where(F.col(LABELED)).select("dt").distinct().collect()]
    if not days:
        raise TrainingDataError(
            f"no feature row between {data_window.start} and {data_window.end} belongs to one of "
            f"the {len(known)} account(s) with a label known at {params.as_of}"
        )
    windows = training_windows(
        days,
        params.early_stopping_days,
        params.calibration_days,
        params.promotion_days,
        params.min_fit_days,
    )
    # The promotion days are not read at all: promote judges versions there.
    parted = (
        rows.where(F.col("dt") <= F.lit(windows.calibration.end))
        .withColumn(PART, windows.part_column())
        .cache()
    )
    accounts, weight, part_counts = _counts(parted)
    label_counts = {
        "labels_known_at_cutoff": len(known),
        "labels_positive_known": int((known[LABEL] == 1).sum()),
        "labels_negative_known": int((known[LABEL] == 0).sum()),
        "labels_bad_lines": label_set.bad_lines,
        "holdout_accounts": len(params.holdout_accounts),
        **part_counts,
    }
    _check_classes(accounts, windows)
    scale_pos_weight = weight[(FIT, 0)] / weight[(FIT, 1)]
    xgb_params = _xgb_params(params, scale_pos_weight)

    if params.use_spark_xgboost:
        fitted = parted.where(F.col(PART) != CALIBRATION).withColumn(
            IS_VALIDATION, F.col(PART) == EARLY_STOPPING
        )
        model = _fit_spark(spark, fitted, xgb_params, params.spark_xgboost_workers)
        calibration = to_pandas(parted.where(F.col(PART) == CALIBRATION).drop(PART))
        example = to_pandas(parted.where(F.col(PART) == FIT).limit(5))
    else:
        collected = to_pandas(parted)
        part = collected[PART]
        model = _fit_local(
            collected[part == FIT].reset_index(drop=True),
            collected[part == EARLY_STOPPING].reset_index(drop=True),
            xgb_params,
            params.xgb_threads,
        )
        calibration = collected[part == CALIBRATION].reset_index(drop=True)
        example = collected[part == FIT].head(5)
    parted.unpersist()

    rule, reached = choose_rule(model, calibration, params)
    metrics, scored = calibration_metrics(model, rule, calibration, params.reviewer_capacity)
    metrics["threshold"] = rule.threshold
    metrics["corroboration_floor"] = rule.corroboration_floor
    metrics["best_iteration"] = float(getattr(model, "best_iteration", params.n_estimators - 1))
    run_id, version = _register(
        params,
        model,
        rule,
        reached,
        windows,
        data_window,
        metrics,
        scored,
        calibration,
        example,
        xgb_params,
        label_counts,
    )
    return TrainResult(
        run_id=run_id,
        model_version=version,
        metrics=metrics,
        threshold=rule.threshold,
        corroboration_floor=rule.corroboration_floor,
        label_counts=label_counts,
        validation_window=windows.promotion,
    )


def _register(
    params: TrainParams,
    model: xgb.XGBClassifier,
    rule: FlagRule,
    reached: bool,
    windows: TrainingWindows,
    data_window: DataWindow,
    metrics: dict[str, float],
    scored: pd.DataFrame,
    calibration: pd.DataFrame,
    example: pd.DataFrame,
    xgb_params: dict[str, object],
    label_counts: dict[str, int],
) -> tuple[str, str]:
    """Log the run and register the version with its rule; alias ``challenger``."""
    with tracking.tracking(params.tracking_uri) as client:
        experiment_id = tracking.ensure_experiment(client, params.experiment, params.artifact_root)
        with mlflow.start_run(
            experiment_id=experiment_id, run_name=f"challenger as of {params.as_of}"
        ) as run:
            mlflow.log_params(
                {
                    "feature_set_name": FEATURE_SET.name,
                    "feature_set_version": FEATURE_SET.version,
                    "as_of": params.as_of.isoformat(),
                    "data_window_start": data_window.start.isoformat(),
                    "data_window_end": data_window.end.isoformat(),
                    **{
                        f"{name}_{edge}": getattr(getattr(windows, name), edge).isoformat()
                        for name in PARTS
                        for edge in ("start", "end")
                    },
                    "target_precision": params.target_precision,
                    "reviewer_capacity": params.reviewer_capacity,
                    "use_spark_xgboost": params.use_spark_xgboost,
                    "holdout": params.holdout_name,
                    "seed": params.seed,
                    "corroboration_quantile": params.corroboration_quantile,
                    "unlabeled_weight": params.unlabeled_weight,
                    "cluster_label_weight": params.cluster_label_weight,
                    **{f"xgb_{k}": v for k, v in xgb_params.items() if k != "random_state"},
                    **label_counts,
                }
            )
            mlflow.log_dict(FEATURE_SET.as_dict(), "feature_set.json")
            mlflow.log_metrics(_finite(metrics))
            _log_figures(model, calibration, scored, rule, params.target_precision)
            info = _log_served_model(params.model_name, model, rule, calibration, example)
            run_id = run.info.run_id
        version = str(info.registered_model_version)
        tags: dict[str, str] = {
            **rule.as_tags(),
            tracking.TAG_TARGET_PRECISION: repr(params.target_precision),
            tracking.TAG_THRESHOLD_REACHED: str(reached).lower(),
            tracking.TAG_FEATURE_SET: f"{FEATURE_SET.name}/v{FEATURE_SET.version}",
            tracking.TAG_AS_OF: params.as_of.isoformat(),
            tracking.TAG_TRAIN_START: data_window.start.isoformat(),
            # The held-out promotion window, which training never read.
            tracking.TAG_VALIDATION_START: windows.promotion.start.isoformat(),
            tracking.TAG_VALIDATION_END: windows.promotion.end.isoformat(),
        }
        for tag, value in tags.items():
            client.set_model_version_tag(params.model_name, version, tag, value)
        client.set_registered_model_alias(params.model_name, tracking.CHALLENGER, version)
    return run_id, version


def _log_served_model(
    model_name: str,
    model: xgb.XGBClassifier,
    rule: FlagRule,
    calibration: pd.DataFrame,
    example: pd.DataFrame,
) -> Any:
    """Register the booster and its flag rule as one pyfunc model (``models.served``)."""
    requirements = [
        f"xgboost=={xgb.__version__}",
        f"scikit-learn=={sklearn.__version__}",
        f"pandas=={pd.__version__}",
        f"numpy=={np.__version__}",
    ]
    with tempfile.TemporaryDirectory(prefix="booster-") as tmp:
        booster_dir = Path(tmp) / tracking.BOOSTER_ARTIFACT
        # Pinned requirements: MLflow would otherwise start a subprocess to infer them.
        mlflow.xgboost.save_model(
            model, str(booster_dir), model_format="ubj", pip_requirements=requirements
        )
        sample = calibration.head(20)
        # The probe answers for the signature; what is logged is a bare instance that
        # loads its booster and rule from the model's own files (nothing pickled twice).
        probe = SweepFlagModel()
        probe.booster, probe.rule = model, rule
        return mlflow.pyfunc.log_model(
            name="model",
            python_model=SweepFlagModel(),
            artifacts={tracking.BOOSTER_ARTIFACT: str(booster_dir)},
            registered_model_name=model_name,
            signature=infer_signature(model_matrix(sample), probe.predict(None, sample)),
            input_example=model_matrix(example).head(5),
            # The flag rule travels inside the model: scoring reads the metadata,
            # the served pyfunc its config; both are written from ``rule`` here. So do
            # the baselines its reasons are read against (every account-day of the
            # calibration window: the population the threshold was read on).
            metadata=model_metadata(rule, population_baselines(calibration)),
            model_config={"flag_rule": rule.as_metadata()},
            pip_requirements=requirements,
        )


def _log_figures(
    model: xgb.XGBClassifier,
    calibration: pd.DataFrame,
    scored: pd.DataFrame,
    rule: FlagRule,
    target_precision: float,
) -> None:
    labels = scored[LABEL]
    matrix = model_matrix(calibration)
    contributions = feature_contributions(model, matrix)
    figures = {
        "plots/pr_curve.png": plots.pr_curve(
            labels,
            {"combined score": scored["score"], "model score": scored["model_score"]},
            target_precision,
        ),
        "plots/score_histogram.png": plots.score_histogram(
            labels, scored["model_score"], rule.threshold
        ),
        "plots/feature_importance.png": plots.feature_importance(
            model.get_booster().get_score(importance_type="total_gain"), FEATURE_SET.names
        ),
        "plots/shap_summary.png": plots.contribution_summary(contributions, FEATURE_SET.names),
    }
    for path, figure in figures.items():
        mlflow.log_figure(figure, path)
        plt.close(figure)
