"""What the pipeline commands print in text mode: a few lines a person reads.

``--format json`` prints the whole result instead (the same dict the flows
return), for scripts.
"""

from __future__ import annotations

from typing import Any


def _n(value: Any) -> str:
    return f"{value:,}" if isinstance(value, int) else str(value)


def sweep_lines(result: dict[str, Any]) -> list[str]:
    ingest = result.get("ingest") or {}
    features = result.get("features") or {}
    score = result.get("score") or {}
    land = result.get("land") or {}
    validation = (ingest.get("validation") or {}).get("success")
    lines = [
        f"day {result.get('day')}: {_n(ingest.get('rows_read'))} request lines read, "
        f"{_n(ingest.get('bad_lines', 0))} bad, {_n(ingest.get('duplicates_dropped', 0))} "
        f"duplicates; validation {'passed' if validation else 'FAILED'}",
    ]
    for key, reason in sorted((ingest.get("files_set_aside") or {}).items()):
        lines.append(f"  raw file set aside: {key!r}: {reason}")
    if features:
        lines.append(
            f"features: {_n(features.get('accounts'))} accounts, "
            f"{_n(features.get('clusters'))} clusters"
        )
    if score:
        lines.append(
            f"scored with model v{score.get('model_version')}: "
            f"{_n(score.get('flagged'))} of {_n(score.get('accounts_scored'))} accounts flagged "
            f"({_n(score.get('flagged_by_evidence', 0))} by cluster evidence alone)"
        )
    if land:
        lines.append(
            f"review queue: {_n(land.get('new_cases_total', 0))} new cases, "
            f"{_n(land.get('cases_updated', 0))} updated, {_n(land.get('backlog', 0))} in the backlog"
        )
    report = (result.get("report") or {}).get("report")
    if report:
        lines.append(f"report: {report}")
    seconds = result.get("stage_seconds") or {}
    if seconds:
        lines.append("seconds: " + ", ".join(f"{k} {v}" for k, v in seconds.items()))
    jobs = {
        stage: summary["spark_jobs"]
        for stage, summary in (("ingest", ingest), ("features", features), ("score", score),
                               ("land", land))
        if summary.get("spark_jobs") is not None
    }  # fmt: skip
    if jobs:
        lines.append(
            f"spark jobs: {sum(jobs.values())} ("
            + ", ".join(f"{stage} {n}" for stage, n in jobs.items())
            + ")"
        )
    return lines


def backfill_lines(result: dict[str, Any]) -> list[str]:
    what = "ingest, features, scores and queue" if result.get("scored") else "ingest and features"
    return [
        f"backfilled {result.get('start')}..{result.get('end')} ({result.get('days')} days): {what}"
    ]


def train_lines(result: dict[str, Any]) -> list[str]:
    train = result.get("train") or {}
    metrics = train.get("metrics") or {}
    threshold = train.get("threshold")
    # Above any probability: no threshold reached the target precision at training
    # (models.scoring.MODEL_NEVER_ALONE).
    if isinstance(threshold, float) and threshold > 1.0:
        rule = (
            "the model flags only with corroboration over "
            f"{train.get('corroboration_floor')} (no threshold reached the target precision)"
        )
    else:
        rule = f"flag threshold {threshold}"
    lines = [f"challenger v{train.get('model_version')} (MLflow run {train.get('run_id')}), {rule}"]
    lines += [
        f"  {name}: {value:.4f}" if isinstance(value, float) else f"  {name}: {value}"
        for name, value in sorted(metrics.items())
        if name.startswith("calibration.")
    ]
    exported = result.get("labels_export")
    if exported:
        lines.append(f"review decisions exported as labels: {exported}")
    lines.append("next: hydrasweep promote --dry-run")
    return lines
