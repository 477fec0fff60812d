"""Retrain and promote: a challenger trained on what was known at a cut-off,
then promoted through the gates (or rolled back). Review decisions are
exported as labels into the lake first, so the analysts' work feeds the next
model."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_table_artifact
from prefect.cache_policies import NO_CACHE

from flows.runtime import RunConfig, Runtime
from flows.stages import summary_dict

if TYPE_CHECKING:
    from models.promotion import PromoteParams


@task(name="export-review-labels", retries=2, retry_delay_seconds=[2, 10], cache_policy=NO_CACHE)
def export_review_labels(config: RunConfig) -> dict[str, Any]:
    from review.db import open_queue
    from review.feedback import export_labels

    runtime = Runtime.of(config)
    engine = open_queue(runtime.settings.queue_database_url)
    try:
        result = export_labels(engine, runtime.store())
    finally:
        engine.dispose()
    return summary_dict(result)


@task(name="train-challenger", cache_policy=NO_CACHE)
def train_task(config: RunConfig, as_of: date) -> dict[str, Any]:
    from models.train import TrainParams, train_challenger

    runtime = Runtime.of(config)
    params = TrainParams(as_of=as_of, lake=runtime.lake, tracking=runtime.tracking)
    return train_challenger(runtime.spark(), params).as_dict()


@flow(name="retrain")
def retrain(
    as_of: date | None = None, config: RunConfig | None = None, export_labels: bool = True
) -> dict[str, Any]:
    """Train a challenger as of ``as_of`` (features and labels known then; default
    the day before the run's scheduled start, for the scheduled weekly run)."""
    from flows.daily import scheduled_day

    as_of = as_of or scheduled_day()
    config = config or RunConfig()
    exported = export_review_labels(config) if export_labels else None
    result = train_task(config, as_of)
    get_run_logger().info("challenger version %s", result.get("model_version"))
    return {"labels_export": exported, "train": result}


def promote_params(runtime: Runtime, judge_on_truth: bool = False) -> PromoteParams:
    """The promotion's parameters with the gates' floors from the settings."""
    from models import promotion

    settings = runtime.settings
    return promotion.PromoteParams(
        lake=runtime.lake,
        tracking=runtime.tracking,
        gates=promotion.PromotionGates(
            min_pr_auc=settings.min_pr_auc,
            min_recall_at_precision_95=settings.min_recall_at_precision_95,
            min_cluster_recall=settings.min_cluster_recall,
        ),
        judge_on_truth=judge_on_truth,
    )


@flow(name="promote")
def promote(
    config: RunConfig | None = None,
    rollback: bool = False,
    dry_run: bool = False,
    version: str | None = None,
) -> dict[str, Any]:
    """Compare challenger and champion on the same held-out window; move aliases through the
    gates (with ``dry_run``, only judge and report; ``version`` judges that version)."""
    from dataclasses import replace

    from models import promotion

    runtime = Runtime.of(config or RunConfig())
    params = replace(promote_params(runtime), dry_run=dry_run, version=version)
    if rollback:
        decision = promotion.rollback(params)
    else:
        decision = promotion.promote(runtime.spark(), params)
        create_table_artifact(
            key="promotion",
            table=comparison_rows(decision.as_dict()),
            description=("dry run: " if dry_run else "") + decision.reason,
        )
    get_run_logger().info("promotion: %s", decision.reason)
    return decision.as_dict()


def comparison_rows(decision: dict[str, Any]) -> list[dict[str, Any]]:
    """Challenger against champion, metric by metric (names say the population)."""
    challenger = decision.get("challenger_metrics") or {}
    champion = decision.get("champion_metrics") or {}
    return [
        {
            "metric": name,
            f"challenger v{decision.get('challenger_version')}": challenger.get(name),
            f"champion v{decision.get('champion_version')}": champion.get(name),
        }
        for name in sorted(set(challenger) | set(champion))
    ]
