"""Gated promotion of the challenger, and rollback, by moving MLflow aliases.

``promote`` scores the ``challenger`` and the ``champion`` versions on the same
held-out window (by default the challenger's validation days, which it did not
fit on) with the labels known today, each with its own stored flag rule, and
moves ``champion`` to the challenger only when it passes the gates:

- absolute gates, always (they alone decide the very first promotion):
  PR-AUC, recall at precision 0.95 and cluster recall at least a floor each;
- against a champion: strictly better on the main metric (PR-AUC of the combined
  score, by more than ``min_improvement``) and not worse than the champion by more
  than ``tolerance`` on each key metric (recall at precision 0.95, precision at
  reviewer capacity, cluster recall).

The replaced champion keeps the ``previous-champion`` alias, and the new
champion remembers which version it replaced (a tag), so ``rollback`` can be
repeated down the history. Every decision, with its reason and the metrics both
versions had on the window, is written as tags of the version it concerns.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import pandas as pd
from mlflow import MlflowClient
from mlflow.entities.model_registry import ModelVersion
from pyspark.sql import SparkSession

from lakeio import LakeRef
from lakeio.reports import StageSummary
from lakeio.tables import LakeTables
from models import tracking
from models.errors import ModelError, PromotionError
from models.evaluate import evaluate_scored
from models.labels import labels_known_at, read_labels, truth_labels
from models.scoring import apply_model, load_model_version
from models.training_set import LABEL, DataWindow, evaluation_rows, read_feature_window

# Metric names say the population they are measured on: ``labeled.*`` on the window's
# account-days whose label is known; ``all_traffic.*`` on every account-day of the window,
# judged by a simulated lake's truth (only the evaluation has one).
LABELED_ROWS, ALL_TRAFFIC = "labeled", "all_traffic"
MAIN_METRIC = "labeled.pr_auc"
KEY_METRICS: tuple[str, ...] = (
    "labeled.recall_at_precision_95",
    "labeled.precision_at_capacity",
    "labeled.cluster_recall",
)


@dataclass(frozen=True)
class PromotionGates:
    tolerance: float = 0.02  # how much worse than the champion a key metric may be
    min_improvement: float = 0.0  # the main metric must beat the champion's by more than this
    # Absolute floors. A model below them misses most campaigns or drowns reviewers.
    min_pr_auc: float = 0.5
    min_recall_at_precision_95: float = 0.2
    min_cluster_recall: float = 0.5
    # The whole flag rule (model and evidence), not only the model: a rule that flags more
    # than one legitimate account-day in ten of those it flags would drown the reviewers.
    min_flag_precision: float = 0.9

    def absolute(self, metrics: dict[str, float] | None = None) -> dict[str, float]:
        floors = {
            "labeled.pr_auc": self.min_pr_auc,
            "labeled.recall_at_precision_95": self.min_recall_at_precision_95,
            "labeled.cluster_recall": self.min_cluster_recall,
            "labeled.flag_precision": self.min_flag_precision,
        }
        if metrics is not None and f"{ALL_TRAFFIC}.flag_precision" in metrics:
            floors[f"{ALL_TRAFFIC}.flag_precision"] = self.min_flag_precision
        return floors


@dataclass(frozen=True)
class PromoteParams(tracking.Tracked):
    lake: LakeRef
    tracking: tracking.TrackingRef
    window_start: date | None = None  # default: the challenger's validation days
    window_end: date | None = None
    labels_as_of: date | None = None  # default: today (UTC): every outcome known by now
    reviewer_capacity: int = 50
    gates: PromotionGates = field(default_factory=PromotionGates)
    # Also judge the whole flag rule on all traffic of the window by a simulated lake's
    # truth (sim/truth/), when the lake has one: the evaluation's setting, never production's.
    judge_on_truth: bool = False
    # Judge and report, moving no alias and writing no tag: what an ML engineer reads first.
    dry_run: bool = False
    # The version to judge (default: the one holding the challenger alias).
    version: str | None = None


@dataclass(frozen=True)
class PromotionDecision(StageSummary):
    promoted: bool  # for rollback: whether the champion alias moved
    reason: str
    challenger_version: str | None
    champion_version: str | None  # the champion before the decision
    champion_after: str | None  # the champion after it
    challenger_metrics: dict[str, float] = field(default_factory=dict)
    champion_metrics: dict[str, float] = field(default_factory=dict)
    window: DataWindow | None = None
    dry_run: bool = False  # judged only: no alias moved, no tag written


TAG_COMPARISON_RUN = "promotion.comparison_run"


def _log_comparison(
    client: MlflowClient,
    challenger: ModelVersion,
    champion_v: str | None,
    challenger_metrics: dict[str, float],
    champion_metrics: dict[str, float],
    window: DataWindow,
    verdict: str,
    dry_run: bool,
) -> str:
    """The comparison as an MLflow run beside the challenger's training run: both
    versions' metrics on the same window, under names that say the population."""
    from mlflow.entities import Metric, Param, RunTag

    if challenger.run_id is None:  # registered from outside a run: no experiment to join
        return "none"
    experiment_id = client.get_run(challenger.run_id).info.experiment_id
    challenger_v = str(challenger.version)
    run = client.create_run(
        experiment_id,
        run_name=f"promotion: v{challenger_v} vs v{champion_v or 'none'}"
        + (" (dry run)" if dry_run else ""),
    )
    stamp = int(datetime.now(UTC).timestamp() * 1000)
    metrics = [
        Metric(f"{side}.{name}", float(value), stamp, 0)
        for side, values in (("challenger", challenger_metrics), ("champion", champion_metrics))
        for name, value in values.items()
        if value is not None and math.isfinite(value)
    ]
    params = [
        Param("challenger_version", challenger_v),
        Param("champion_version", champion_v or "none"),
        Param("window", f"{window.start}..{window.end}"),
    ]
    tags = [
        RunTag("hydrasweep.kind", "promotion"),
        RunTag("hydrasweep.verdict", verdict),
        RunTag("hydrasweep.dry_run", str(dry_run).lower()),
    ]
    client.log_batch(run.info.run_id, metrics=metrics, params=params, tags=tags)
    client.set_terminated(run.info.run_id)
    return str(run.info.run_id)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _window(params: PromoteParams, challenger: ModelVersion) -> DataWindow:
    start = params.window_start or _tag_date(challenger, tracking.TAG_VALIDATION_START)
    end = params.window_end or _tag_date(challenger, tracking.TAG_VALIDATION_END)
    if start > end:
        raise PromotionError(f"the evaluation window starts after it ends ({start} > {end})")
    return DataWindow(start=start, end=end)


def _tag_date(version: ModelVersion, key: str) -> date:
    try:
        return date.fromisoformat(version.tags[key])
    except (KeyError, ValueError) as exc:
        raise PromotionError(
            f"version {version.version} has no {key} tag: give the evaluation window explicitly"
        ) from exc


def _evaluate_version(
    tracking_uri: str,
    model_name: str,
    version: ModelVersion,
    frames: dict[str, pd.DataFrame],
    capacity: int,
) -> dict[str, float]:
    """Metrics of the version's whole flag rule on each population (``frames``' keys)."""
    pinned = load_model_version(tracking_uri, model_name, str(version.version))
    model, rule = pinned.model, pinned.rule
    metrics: dict[str, float] = {}
    for population, frame in frames.items():
        scored = apply_model(model, frame, rule, with_reasons=False)
        scored[LABEL] = frame[LABEL].to_numpy()
        metrics.update(
            {f"{population}.{k}": v for k, v in evaluate_scored(scored, capacity).items()}
        )
    return metrics


def _fmt(value: float) -> str:
    return "nan" if value is None or math.isnan(value) else f"{value:.4f}"


def judge(
    challenger: dict[str, float],
    champion: dict[str, float] | None,
    gates: PromotionGates,
    champion_version: str | None = None,
) -> tuple[bool, str]:
    """The gate logic alone: ``(promote?, reason)``. NaN never passes a gate."""
    failures = []
    floors = gates.absolute(challenger)
    for metric, floor in floors.items():
        value = challenger.get(metric, float("nan"))
        if not value >= floor:
            failures.append(f"{metric} {_fmt(value)} below the floor {floor:g}")
    if champion is None:
        if failures:
            return False, "rejected (first model, absolute gates): " + "; ".join(failures)
        passed = ", ".join(f"{m} {_fmt(challenger[m])} >= {f:g}" for m, f in floors.items())
        return True, f"promoted (first model, absolute gates): {passed}"
    ours, theirs = (
        challenger.get(MAIN_METRIC, float("nan")),
        champion.get(MAIN_METRIC, float("nan")),
    )
    if not ours > theirs + gates.min_improvement:
        failures.append(
            f"{MAIN_METRIC} {_fmt(ours)} not better than champion v{champion_version}'s {_fmt(theirs)}"
            + (f" by more than {gates.min_improvement:g}" if gates.min_improvement else "")
        )
    for metric in KEY_METRICS:
        ours_k, theirs_k = challenger.get(metric, float("nan")), champion.get(metric, float("nan"))
        if math.isnan(theirs_k):
            continue  # the champion has no value to defend (e.g. no positives at capacity)
        if not ours_k >= theirs_k - gates.tolerance:
            failures.append(
                f"{metric} {_fmt(ours_k)} worse than champion v{champion_version}'s "
                f"{_fmt(theirs_k)} beyond tolerance {gates.tolerance:g}"
            )
    if failures:
        return False, "rejected: " + "; ".join(failures)
    return True, (
        f"promoted: {MAIN_METRIC} {_fmt(ours)} > champion v{champion_version}'s {_fmt(theirs)}; "
        + ", ".join(f"{m} {_fmt(challenger[m])} vs {_fmt(champion[m])}" for m in KEY_METRICS)
    )


def _rule_note(version: ModelVersion) -> str:
    """What a reviewer of the decision should know about the version's rule, or ``""``.

    A version trained when no threshold reached the target precision flags through
    the cluster evidence only (``models.train.choose_rule``): it can pass the gates,
    and its flags are the corroborated ones alone.
    """
    if version.tags.get(tracking.TAG_THRESHOLD_REACHED) == "false":
        return (
            f" (v{version.version}'s model does not flag alone: no threshold reached its "
            "target precision at training, so it flags with cluster evidence only)"
        )
    return ""


def _record(client: MlflowClient, name: str, version: str, tags: dict[str, str]) -> None:
    for key, value in tags.items():
        # MLflow caps tag values; a reason is a sentence or two, metrics are short.
        client.set_model_version_tag(name, version, key, value[:4900])


def promote(spark: SparkSession, params: PromoteParams) -> PromotionDecision:
    """Compare challenger and champion on the same window; move the aliases only through the gates."""
    with tracking.tracking(params.tracking_uri) as client:
        challenger: ModelVersion | None
        if params.version is not None:
            try:
                challenger = client.get_model_version(params.model_name, params.version)
            except Exception as exc:  # noqa: BLE001 - MLflow raises its own RestException kinds
                raise PromotionError(
                    f"no version {params.version} of model '{params.model_name}' at "
                    f"{params.tracking_uri}"
                ) from exc
        else:
            challenger = tracking.version_by_alias(client, params.model_name, tracking.CHALLENGER)
        if challenger is None:
            raise PromotionError(
                f"no model has the challenger alias in '{params.model_name}' at "
                f"{params.tracking_uri}: run `hydrasweep train` first"
            )
        champion = tracking.version_by_alias(client, params.model_name, tracking.CHAMPION)
        # The SQL store returns versions as int, the REST store as str: one type here.
        challenger_v = str(challenger.version)
        champion_v = str(champion.version) if champion is not None else None
        if champion_v == challenger_v:
            return PromotionDecision(
                promoted=False,
                reason=f"version {challenger_v} is already the champion",
                challenger_version=challenger_v,
                champion_version=champion_v,
                champion_after=champion_v,
            )
        window = _window(params, challenger)

        tables = LakeTables.open(spark, params.lake)
        labels_as_of = params.labels_as_of or datetime.now(UTC).date()
        known = labels_known_at(read_labels(tables.store).frame, labels_as_of)
        features = read_feature_window(tables, window)
        frame = evaluation_rows(spark, features, known, window)
        if set(frame[LABEL]) != {0, 1}:
            raise PromotionError(
                f"the evaluation window {window.start}..{window.end} needs both abusive and "
                f"legitimate labeled accounts; it has labels {sorted(set(frame[LABEL]))}"
            )
        frames = {LABELED_ROWS: frame}
        truth = truth_labels(tables.store) if params.judge_on_truth else None
        if truth is not None:
            frames[ALL_TRAFFIC] = evaluation_rows(spark, features, truth, window)

        challenger_metrics = _evaluate_version(
            params.tracking_uri, params.model_name, challenger, frames, params.reviewer_capacity
        )
        champion_metrics: dict[str, float] | None = None
        note = ""
        if champion is not None:
            try:
                champion_metrics = _evaluate_version(
                    params.tracking_uri,
                    params.model_name,
                    champion,
                    frames,
                    params.reviewer_capacity,
                )
            except ModelError as exc:
                # The champion cannot read today's feature rows (another feature set, or
                # a model logged without its rule): only the floors can judge.
                note = (
                    f" (champion v{champion_v} is not comparable: {exc}; judged on absolute gates)"
                )
        promoted, reason = judge(
            challenger_metrics,
            champion_metrics,
            params.gates,
            champion_v,
        )
        reason += note + _rule_note(challenger)
        reason += f" [window {window.start}..{window.end}, {len(frame)} labeled account-days]"

        tags = {
            tracking.TAG_DECISION: "promoted" if promoted else "rejected",
            tracking.TAG_REASON: reason,
            tracking.TAG_DECIDED_AT: _now(),
            tracking.TAG_COMPARED_WITH: champion_v or "none",
            "promotion.window": f"{window.start}..{window.end}",
            **{f"promotion.challenger.{k}": _fmt(v) for k, v in challenger_metrics.items()},
            **{f"promotion.champion.{k}": _fmt(v) for k, v in (champion_metrics or {}).items()},
        }
        tags[TAG_COMPARISON_RUN] = _log_comparison(
            client,
            challenger,
            champion_v,
            challenger_metrics,
            champion_metrics or {},
            window,
            "would promote" if promoted else "would reject",
            params.dry_run,
        )
        if params.dry_run:
            return PromotionDecision(
                promoted=promoted,
                reason=reason,
                challenger_version=challenger_v,
                champion_version=champion_v,
                champion_after=champion_v,
                challenger_metrics=challenger_metrics,
                champion_metrics=champion_metrics or {},
                window=window,
                dry_run=True,
            )
        if promoted:
            if champion is not None:
                replaced = str(champion.version)
                client.set_registered_model_alias(
                    params.model_name, tracking.PREVIOUS_CHAMPION, replaced
                )
                tags[tracking.TAG_REPLACED] = replaced
            client.set_registered_model_alias(params.model_name, tracking.CHAMPION, challenger_v)
            if params.version is None or tracking.CHALLENGER in (challenger.aliases or []):
                client.delete_registered_model_alias(params.model_name, tracking.CHALLENGER)
        _record(client, params.model_name, challenger_v, tags)
        return PromotionDecision(
            promoted=promoted,
            reason=reason,
            challenger_version=challenger_v,
            champion_version=champion_v,
            champion_after=challenger_v if promoted else champion_v,
            challenger_metrics=challenger_metrics,
            champion_metrics=champion_metrics or {},
            window=window,
        )


def rollback(params: PromoteParams) -> PromotionDecision:
    """Give the ``champion`` alias back to the ``previous-champion`` version."""
    with tracking.tracking(params.tracking_uri) as client:
        champion = tracking.version_by_alias(client, params.model_name, tracking.CHAMPION)
        previous = tracking.version_by_alias(client, params.model_name, tracking.PREVIOUS_CHAMPION)
        if previous is None:
            raise PromotionError(
                f"nothing to roll back to: no version of '{params.model_name}' at "
                f"{params.tracking_uri} has the previous-champion alias"
            )
        current = str(champion.version) if champion is not None else None
        restored = str(previous.version)
        reason = f"rollback: champion moved from v{current} back to v{restored}"
        client.set_registered_model_alias(params.model_name, tracking.CHAMPION, restored)
        # The restored version's own predecessor (if it had one) becomes the next step back.
        earlier = previous.tags.get(tracking.TAG_REPLACED)
        if earlier and earlier != current:
            client.set_registered_model_alias(
                params.model_name, tracking.PREVIOUS_CHAMPION, earlier
            )
        else:
            client.delete_registered_model_alias(params.model_name, tracking.PREVIOUS_CHAMPION)
        # Rollback tags sit beside the promotion tags, which keep the original decision.
        now = _now()
        if current is not None:
            _record(
                client,
                params.model_name,
                current,
                {tracking.TAG_ROLLED_BACK: now, tracking.TAG_ROLLBACK_REASON: reason},
            )
        _record(
            client,
            params.model_name,
            restored,
            {tracking.TAG_RESTORED: now, tracking.TAG_ROLLBACK_REASON: reason},
        )
        return PromotionDecision(
            promoted=True,
            reason=reason,
            challenger_version=None,
            champion_version=current,
            champion_after=restored,
        )
