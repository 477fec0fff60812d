"""The sweep's run report: Prefect artifacts (markdown + a table of new cases)
and the same markdown and JSON under ``reports/sweep/dt=D/`` in the lake, for
people who open files rather than the Prefect UI."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

from prefect import task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE

from flows.runtime import RunConfig, Runtime
from lakeio import layout


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def render_markdown(day: date, result: dict[str, Any], history: list[dict[str, Any]]) -> str:
    ingest = result.get("ingest", {})
    features = result.get("features", {})
    score = result.get("score", {})
    land = result.get("land", {})
    validation = ingest.get("validation", {}) or {}
    lines = [
        f"# hydrasweep daily sweep {day.isoformat()}",
        "",
        "## Ingest and validation",
        f"- rows read: {ingest.get('rows_read')}; curated: {ingest.get('curated_rows')}; "
        f"duplicates dropped: {ingest.get('duplicates_dropped')}",
        f"- bad lines by reason: {json.dumps(ingest.get('bad_lines_by_reason', {}), sort_keys=True)}",
        f"- validation: {'passed' if validation.get('success') else 'FAILED'}",
        *[
            f"- raw file set aside, not read: {json.dumps(key)}: {reason}"
            for key, reason in sorted((ingest.get("files_set_aside") or {}).items())
        ],
        "",
        "## Features and clusters",
        f"- accounts: {features.get('accounts')}; clusters: {features.get('clusters')}",
        "",
        "## Scores",
        f"- model version: {score.get('model_version')}; scored: {score.get('accounts_scored')}; "
        f"flagged: {score.get('flagged')}",
        "",
        "| day | scored | flagged | p50 | p90 | p99 |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for row in history + [{"day": day.isoformat(), **score}]:
        quantiles = row.get("score_quantiles", {}) or {}
        lines.append(
            f"| {row.get('day')} | {row.get('accounts_scored')} | {row.get('flagged')} | "
            f"{_fmt(quantiles.get('p50'))} | {_fmt(quantiles.get('p90'))} | {_fmt(quantiles.get('p99'))} |"
        )
    seconds = result.get("stage_seconds") or {}
    if seconds:
        lines += [
            "",
            "## Stage seconds",
            "; ".join(f"{stage}: {value}" for stage, value in seconds.items()),
        ]
    lines += [
        "",
        "## Review queue",
        "```",
        # The new cases are a table of their own (``publish_sweep_report``).
        json.dumps(
            {k: v for k, v in land.items() if k != "new_cases"},
            indent=2,
            sort_keys=True,
            default=str,
        ),
        "```",
    ]
    top = score.get("top_clusters") or []
    if top:
        lines += [
            "",
            "## Top clusters",
            "| cluster | accounts | max score |",
            "| --- | --- | --- |",
        ]
        lines += [
            f"| {c.get('hydra_cluster_id')} | {c.get('accounts')} | {_fmt(c.get('max_score'))} |"
            for c in top
        ]
    return "\n".join(lines) + "\n"


@task(name="publish-report", cache_policy=NO_CACHE)
def publish_sweep_report(config: RunConfig, day: date, result: dict[str, Any]) -> dict[str, str]:
    store = Runtime.of(config).store()
    history = []
    for back in range(7, 0, -1):
        previous = store.read_json(
            layout.report_key(layout.SWEEP_SUMMARY, day - timedelta(days=back))
        )
        if previous is not None:
            history.append({"day": previous["day"], **(previous.get("score") or {})})
    markdown = render_markdown(day, result, history)
    store.write_bytes(layout.report_key(layout.SWEEP_REPORT, day), markdown.encode())
    store.write_json(layout.report_key(layout.SWEEP_SUMMARY, day), result)
    key = f"sweep-{day.isoformat()}"
    create_markdown_artifact(markdown=markdown, key=key, description=f"Daily sweep {day}")
    land = result.get("land") or {}
    new_cases = land.get("new_cases") or []
    if new_cases:
        total = land.get("new_cases_total", len(new_cases))
        shown = f"the {len(new_cases)} of highest priority" if total > len(new_cases) else "all"
        create_table_artifact(
            table=new_cases,
            key=f"{key}-new-cases",
            description=f"New cases: {total} first seen on {day} ({shown})",
        )
    return {"report": store.uri + "/" + layout.report_key(layout.SWEEP_REPORT, day)}
