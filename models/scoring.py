"""Scoring a day: the champion model, label-free cluster evidence, and the reasons.

``score_day`` loads ``models:/<name>@champion`` (never "latest"), scores the
day's feature rows and writes ``scores/dt=D/`` (Parquet; ``dt`` is the partition
folder, as in every pipeline table), replacing any earlier scoring of that day.

Per row:

- ``model_score``: the supervised probability of abuse;
- ``cluster_evidence_score``: the label-free evidence (``models.cluster_evidence``);
- ``flagged``: ``model_score >= threshold`` (the threshold chosen on validation
  data for the target precision, logged inside the model version), **or**
  corroborated cluster evidence: two coordination families and extraction
  content (``evidence >= EVIDENCE_ALONE``), or half of that (``evidence >=
  EVIDENCE_MIN``, or one coordination witness and the content: ``support_score``)
  and the account's own model score is above ``corroboration_floor`` (a quantile
  of legitimate validation scores, logged with it);
- ``score``: the ranking reviewers see: ``model_score``, raised by noisy-OR with
  the evidence when the evidence is corroborated;
- ``reasons``: JSON list, for flagged rows: the top XGBoost feature
  contributions (SHAP values in log-odds, with the feature's value), the
  evidence families that fired, then the features that spoke most *against*
  abuse (kind ``model_against``: what a reviewer weighs before agreeing); each
  value comes with the population's baseline (``baseline``: median and 90th
  percentile over every account-day of the version's calibration window,
  logged inside the version as ``feature_baselines``), so "1,200 requests"
  reads against "typical 40, 9 in 10 at most 300". ``[]`` for the rest, which
  nobody reviews (exact TreeSHAP is the dearest part of scoring, and most rows
  are not flagged).

``apply_model`` is the pure part (pandas in, pandas out), shared with training
and promotion so the flag rule evaluated there is the one applied here.
"""

from __future__ import annotations

import json
import sys
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import cast

import mlflow.artifacts
import mlflow.xgboost
import numpy as np
import pandas as pd
import xgboost as xgb
from mlflow.models import Model
from pyspark.sql import Observation, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from features.feature_set import FEATURE_SET
from lakeio import LakeError, LakeRef, layout
from lakeio.reports import StageSummary
from lakeio.tables import LakeTables
from models import tracking
from models.cluster_evidence import (
    EVIDENCE_ALONE,
    EVIDENCE_MIN,
    EVIDENCE_SCORE,
    Baselines,
    baseline_item,
    evidence_items,
    evidence_score,
    family_strengths,
    support_score,
)
from models.errors import ModelError, NoChampionError
from models.training_set import conform_features, model_matrix

TOP_REASONS = 5
# The features pulling most towards legitimate, shown after the reasons (a reviewer's
# "what speaks against it"); two, so that the case reads as reasons first.
TOP_AGAINST = 2
# The baseline of a feature: these quantiles of its values over the population.
BASELINE_QUANTILES: tuple[float, float] = (0.5, 0.9)
SCORE_COLUMNS: tuple[str, ...] = (
    "account_id",
    "customer_id",
    "hydra_cluster_id",
    "model_score",
    EVIDENCE_SCORE,
    "score",
    "flagged",
    "reasons",
    "model_version",
)
SCORES_SCHEMA = T.StructType(
    [
        T.StructField("account_id", T.StringType(), False),
        T.StructField("customer_id", T.StringType(), True),
        T.StructField("hydra_cluster_id", T.StringType(), True),
        T.StructField("model_score", T.DoubleType(), False),
        T.StructField(EVIDENCE_SCORE, T.DoubleType(), False),
        T.StructField("score", T.DoubleType(), False),
        T.StructField("flagged", T.BooleanType(), False),
        T.StructField("reasons", T.StringType(), False),
        T.StructField("model_version", T.StringType(), False),
    ]
)


@dataclass(frozen=True)
class FlagRule:
    """When a row is flagged; both numbers are chosen on validation data at training.

    The rule is logged inside the model artifact (its ``MLmodel`` metadata, under
    ``MODEL_METADATA_KEY``), so a version's weights and rule are one immutable
    thing. The same numbers are also set as version tags, for people browsing the
    registry; tags can be edited by anyone with write access, so nothing that
    flags reads them.
    """

    threshold: float
    corroboration_floor: float

    def as_tags(self) -> dict[str, str]:
        return {
            tracking.TAG_THRESHOLD: repr(self.threshold),
            tracking.TAG_CORROBORATION_FLOOR: repr(self.corroboration_floor),
        }

    def as_metadata(self) -> dict[str, float]:
        return {"threshold": self.threshold, "corroboration_floor": self.corroboration_floor}

    @classmethod
    def from_metadata(cls, metadata: Mapping[str, object], where: str) -> FlagRule:
        try:
            rule = metadata["flag_rule"]
            assert isinstance(rule, Mapping)
            return cls(
                threshold=float(rule["threshold"]),
                corroboration_floor=float(rule["corroboration_floor"]),
            )
        except (AssertionError, KeyError, TypeError, ValueError) as exc:
            raise ModelError(
                f"{where} has no flag rule in its logged model ({MODEL_METADATA_KEY!r} "
                "metadata): it was not trained by this version of `hydrasweep train`; "
                "train and promote a new model"
            ) from exc


# The threshold of a rule whose model never flags alone: above any probability. Training
# chooses it when no threshold reaches the target precision on the calibration days; the
# most precise threshold is then still imprecise (evaluation seed 5102, a challenger
# whose best calibration precision was under 0.95 flagged 81 legitimate accounts through
# the model alone, 79 of them over its fallback threshold 0.81; bench/README.md, "One
# template is one entity"), so only the corroborated arms flag.
MODEL_NEVER_ALONE = 2.0

# The key of hydrasweep's entry in a logged model's MLmodel metadata.
MODEL_METADATA_KEY = "hydrasweep"


def model_metadata(rule: FlagRule, baselines: Baselines | None = None) -> dict[str, object]:
    """What training logs inside the model: the flag rule, the feature set and the
    population baselines its reasons are read against."""
    return {
        MODEL_METADATA_KEY: {
            "flag_rule": rule.as_metadata(),
            "feature_set": f"{FEATURE_SET.name}/v{FEATURE_SET.version}",
            "feature_baselines": {name: list(values) for name, values in (baselines or {}).items()},
        }
    }


def population_baselines(frame: pd.DataFrame) -> dict[str, tuple[float | None, float | None]]:
    """Median and 90th percentile of every feature over ``frame``'s rows (nulls and
    infinities left out; ``(None, None)`` for a feature with no finite value).

    Training computes them over the calibration window's training rows, the
    population the version's threshold was read on: every account active then
    while unlabeled accounts are training rows (``TrainParams.unlabeled_weight``
    above 0, the default), otherwise only the labeled ones.
    """
    matrix = model_matrix(frame).to_numpy()
    baselines: dict[str, tuple[float | None, float | None]] = {}
    for col, name in enumerate(FEATURE_SET.names):
        values = matrix[:, col]
        values = values[np.isfinite(values)]
        if values.size == 0:
            baselines[name] = (None, None)
            continue
        low, high = np.quantile(values, BASELINE_QUANTILES)
        baselines[name] = (_json_number(low), _json_number(high))
    return baselines


def baselines_from_metadata(
    metadata: Mapping[str, object],
) -> dict[str, tuple[float | None, float | None]]:
    """The version's ``feature_baselines``; versions logged before them have none."""
    raw = metadata.get("feature_baselines")
    if not isinstance(raw, Mapping):
        return {}
    baselines = {}
    for name, values in raw.items():
        if isinstance(values, list | tuple) and len(values) == len(BASELINE_QUANTILES):
            baselines[str(name)] = (
                None if values[0] is None else float(values[0]),
                None if values[1] is None else float(values[1]),
            )
    return baselines


def _json_number(value: float) -> float | None:
    """A number as reasons and metadata store it: rounded, None where it is not finite."""
    return round(float(value), 6) if np.isfinite(value) else None


def feature_contributions(model: xgb.XGBClassifier, matrix: pd.DataFrame) -> np.ndarray:
    """Exact TreeSHAP values (log-odds), rows x features, of the trees ``predict_proba`` uses.

    The bias column XGBoost appends is dropped; with early stopping only the trees
    up to the best iteration count, as in ``predict_proba``.
    """
    try:
        iteration_range = (0, model.best_iteration + 1)
    except AttributeError:  # trained without early stopping
        iteration_range = (0, 0)
    return model.get_booster().predict(
        xgb.DMatrix(matrix, missing=np.nan), pred_contribs=True, iteration_range=iteration_range
    )[:, :-1]


def contribution_reasons(
    model: xgb.XGBClassifier,
    matrix: pd.DataFrame,
    top: int = TOP_REASONS,
    baselines: Baselines | None = None,
    against: int = TOP_AGAINST,
) -> tuple[list[list[dict]], list[list[dict]]]:
    """Per row, ``(for, against)``: the ``top`` features pushing most towards abuse
    (kind ``model``) and the ``against`` features pushing most towards legitimate
    (kind ``model_against``, negative contributions), with their values and baselines.

    Only positive contributions are reasons; the negative ones are shown apart, as
    what a reviewer should weigh before agreeing with the flag.
    """
    contributions = feature_contributions(model, matrix)
    names = list(matrix.columns)
    values = matrix.to_numpy()
    shown = {name: baseline_item(baselines or {}, name) for name in names}
    order = np.argsort(-contributions, axis=1, kind="stable")[:, :top]
    reverse = np.argsort(contributions, axis=1, kind="stable")[:, :against]

    def item(kind: str, row: int, col: int) -> dict:
        reason = {
            "kind": kind,
            "feature": names[col],
            "value": _json_number(values[row, col]),
            "contribution": round(float(contributions[row, col]), 6),
        }
        if shown[names[col]] is not None:
            reason["baseline"] = shown[names[col]]
        return reason

    reasons, objections = [], []
    for row in range(len(matrix)):
        reasons.append(
            [item("model", row, col) for col in order[row] if contributions[row, col] > 0]
        )
        objections.append(
            [item("model_against", row, col) for col in reverse[row] if contributions[row, col] < 0]
        )
    return reasons, objections


def apply_model(
    model: xgb.XGBClassifier,
    features: pd.DataFrame,
    rule: FlagRule,
    *,
    with_reasons: bool = True,
    baselines: Baselines | None = None,
) -> pd.DataFrame:
    """Score feature rows: keys plus model_score, evidence, score, flagged (and reasons,
    read against ``baselines``: the version's ``feature_baselines``)."""
    matrix = model_matrix(features)
    model_score = model.predict_proba(matrix)[:, 1].astype("float64")
    strengths = family_strengths(features)
    evidence = evidence_score(strengths).to_numpy()
    support = support_score(strengths).to_numpy()
    # Strictly above the floor: legitimate scores tie at the floor when trees saturate.
    corroborated = (evidence >= EVIDENCE_ALONE) | (
        (np.maximum(evidence, support) >= EVIDENCE_MIN) & (model_score > rule.corroboration_floor)
    )
    scored = pd.DataFrame(
        {
            "account_id": features["account_id"].to_numpy(),
            "dt": features["dt"].to_numpy(),
            "customer_id": features["customer_id"].to_numpy(),
            "hydra_cluster_id": features["hydra_cluster_id"].to_numpy(),
            "model_score": model_score,
            EVIDENCE_SCORE: evidence,
            "score": np.where(corroborated, 1 - (1 - model_score) * (1 - evidence), model_score),
            "flagged": (model_score >= rule.threshold) | corroborated,
        },
        index=features.index,
    )
    if with_reasons:
        flagged = scored["flagged"].to_numpy()
        reasons = np.full(len(scored), "[]", dtype=object)
        if flagged.any():
            model_items, against_items = contribution_reasons(
                model, matrix[flagged], baselines=baselines
            )
            cluster_items = evidence_items(features[flagged], strengths[flagged], baselines)
            reasons[flagged] = [
                json.dumps(m + c + a, allow_nan=False)
                for m, c, a in zip(model_items, cluster_items, against_items, strict=True)
            ]
        scored["reasons"] = reasons
    return scored


@dataclass(frozen=True)
class ScoreParams(tracking.Tracked):
    day: date
    lake: LakeRef
    tracking: tracking.TrackingRef


@dataclass(frozen=True)
class ScoreSummary(StageSummary):
    day: date
    model_version: str
    accounts_scored: int
    flagged: int
    flagged_by_evidence: int  # flagged only through corroborated cluster evidence
    score_quantiles: dict[str, float]
    output_prefix: str


@dataclass(frozen=True)
class Champion:
    """One model version, pinned: its weights, its rule and the population baselines its
    reasons are read against, read from one artifact."""

    version: str
    model: xgb.XGBClassifier
    rule: FlagRule
    baselines: Baselines = field(default_factory=dict)


def load_model_version(tracking_uri: str, model_name: str, version: str) -> Champion:
    """Version ``version`` of ``model_name``: weights and flag rule from its logged model.

    The model directory is downloaded once and both are read from that copy, so
    they cannot come from two versions, and edits to the version's tags change
    nothing. A version trained on another feature set is refused.
    """
    where = f"{model_name} v{version}"
    with tracking.tracking(tracking_uri), tempfile.TemporaryDirectory(prefix="model-") as tmp:
        try:
            local = mlflow.artifacts.download_artifacts(
                artifact_uri=tracking.model_uri(model_name, version), dst_path=tmp
            )
        except Exception as exc:  # noqa: BLE001 - MLflow raises its own exception kinds
            raise ModelError(f"cannot read the logged model of {where}: {exc}") from exc
        logged = Model.load(local)
        metadata = (logged.metadata or {}).get(MODEL_METADATA_KEY) or {}
        feature_set = metadata.get("feature_set")
        expected = f"{FEATURE_SET.name}/v{FEATURE_SET.version}"
        if feature_set != expected:
            raise ModelError(
                f"{where} was trained on feature set {feature_set!r}, but this code "
                f"produces {expected!r}: train and promote a new model"
            )
        rule = FlagRule.from_metadata(metadata, where)
        baselines = baselines_from_metadata(metadata)
        try:
            booster = logged.flavors["python_function"]["artifacts"][tracking.BOOSTER_ARTIFACT][
                "path"
            ]
        except (KeyError, TypeError) as exc:
            raise ModelError(
                f"{where} is not a hydrasweep served model (no {tracking.BOOSTER_ARTIFACT!r} artifact): "
                "train and promote a new model"
            ) from exc
        model = mlflow.xgboost.load_model(str(Path(local) / booster))
    # Spark already runs one scoring task per core: more OpenMP threads per task thrash.
    model.set_params(n_jobs=1)
    return Champion(version=str(version), model=model, rule=rule, baselines=baselines)


def load_champion(tracking_uri: str, model_name: str) -> Champion:
    """The model under the ``champion`` alias with its flag rule; ``NoChampionError`` if none.

    The alias is resolved once; everything else comes from that version's artifact.
    """
    with tracking.tracking(tracking_uri) as client:
        version = tracking.version_by_alias(client, model_name, tracking.CHAMPION)
    if version is None:
        raise NoChampionError(model_name, tracking_uri)
    return load_model_version(tracking_uri, model_name, str(version.version))


def score_day(spark: SparkSession, params: ScoreParams) -> ScoreSummary:
    """Score one day's feature rows with the champion and write ``scores/dt=D/``."""
    champion = load_champion(params.tracking_uri, params.model_name)
    tables = LakeTables.open(spark, params.lake)
    if not tables.has_day(layout.ACCOUNT_DAY_FEATURES, params.day):
        raise ModelError(
            f"no features for {params.day} under {tables.store.uri}/"
            f"{layout.table_day_prefix(layout.ACCOUNT_DAY_FEATURES, params.day)}: "
            "run the features stage for that day first"
        )
    features = conform_features(tables.read(layout.ACCOUNT_DAY_FEATURES, [params.day]))

    model, rule, version = champion.model, champion.rule, champion.version
    baselines = champion.baselines

    def score_batches(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        # Runs on the executors: rows are independent (cluster features are
        # already per row), so any batching gives the same scores.
        for batch in batches:
            scored = apply_model(model, batch, rule, baselines=baselines)
            scored["model_version"] = version
            yield scored[list(SCORE_COLUMNS)]

    # A rerun of the day replaces its scores; other days stay. The summary's figures
    # are observed while the scores are written: no second job reads them back.
    written = Observation("scores")
    scores = features.mapInPandas(score_batches, schema=SCORES_SCHEMA).observe(
        written,
        F.count(F.lit(1)).alias("rows"),
        F.sum(F.col("flagged").cast("int")).alias("flagged"),
        F.sum(
            (F.col("flagged") & (F.col("model_score") < F.lit(rule.threshold))).cast("int")
        ).alias("by_evidence"),
        F.percentile_approx("score", [0.5, 0.9, 0.99, 1.0]).alias("quantiles"),
    )
    tables.write_day(scores, layout.SCORES, params.day)
    stats = written.get
    quantiles = stats["quantiles"] or [float("nan")] * 4
    return ScoreSummary(
        day=params.day,
        model_version=version,
        accounts_scored=int(stats["rows"]),
        flagged=int(stats["flagged"] or 0),
        flagged_by_evidence=int(stats["by_evidence"] or 0),
        score_quantiles=dict(zip(("p50", "p90", "p99", "max"), map(float, quantiles), strict=True)),
        output_prefix=layout.table_day_prefix(layout.SCORES, params.day),
    )


def read_scores(tables: LakeTables, start: date, end: date) -> pd.DataFrame:
    """``account_id, dt, flagged, score, model_score`` of the scored days in ``start..end``."""
    days = tables.days(layout.SCORES, start=start, end=end)
    if not days:
        raise ModelError(f"no scored day between {start} and {end} under {tables.store.uri}")
    frame = cast(
        pd.DataFrame,
        tables.read(layout.SCORES, days, SCORES_SCHEMA)
        .select("account_id", "dt", "flagged", "score", "model_score")
        .toPandas(),
    )
    frame["dt"] = pd.to_datetime(frame["dt"]).dt.date
    return frame


def flag_window(
    tables: LakeTables, ref: tracking.TrackingRef, version: str, start: date, end: date
) -> pd.DataFrame:
    """What ``score_day`` with version ``version`` would flag on each day of ``start..end``.

    The same rule as the sweep (``apply_model`` with the version's stored rule), on
    the feature rows of the window, without writing anything: the evaluation uses it
    for challengers that are never promoted (leave-one-tactic-out).
    """
    from models.training_set import DataWindow, read_feature_window, to_pandas

    pinned = load_model_version(ref.uri, ref.model_name, version)
    model, rule = pinned.model, pinned.rule
    features = to_pandas(read_feature_window(tables, DataWindow(start, end)))
    scored = apply_model(model, features, rule, with_reasons=False)
    return scored[["account_id", "dt", "flagged", "score", "model_score"]]


def main(argv: list[str] | None = None) -> int:
    """``python -m models.scoring --day D --lake URI --scratch DIR --tracking-uri URI``."""
    from jobs.entry import job_parser, lake_ref, run_job

    parser = job_parser("models.scoring", __doc__)
    parser.add_argument("--tracking-uri", required=True, help="MLflow tracking store URI")
    parser.add_argument("--model-name", default="hydrasweep-extraction")
    args = parser.parse_args(argv)
    params = ScoreParams(
        day=args.day,
        lake=lake_ref(args),
        tracking=tracking.TrackingRef(uri=args.tracking_uri, model_name=args.model_name),
    )
    return run_job("score", args, lambda spark: score_day(spark, params), (ModelError, LakeError))


if __name__ == "__main__":
    sys.exit(main())
