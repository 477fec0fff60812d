"""Backfill: the sweep over a range of days, idempotent and resumable.

Ingest runs for several days at once (bounded concurrency: days are
independent there); features run strictly in day order, because rolling
windows and stable cluster ids of day D read day D-1's outputs. They come in
batches: from the next day to do, as many days as one pass takes
(``jobs.featurize.BATCH_REQUESTS``), each once its ingest is in (``_activity_batch``);
their activity rows in one pass over their text (``jobs.featurize.write_activity``),
then their features in one task (``flows.stages.features_batch_stage``: one plan
keyed by day, each day recorded once the batch is written);
scoring and landing follow in order when a champion model exists (or not at all
with ``features_only``). Each finished stage is recorded per day under
``reports/sweep/dt=D/status.json``; a rerun skips finished stages unless
``force``, so a backfill killed mid-way resumes where it stopped.
"""

from __future__ import annotations

import time
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, cast
from uuid import UUID

from prefect import flow, get_run_logger
from prefect.artifacts import (
    create_progress_artifact,
    create_table_artifact,
    update_progress_artifact,
)
from prefect.runtime import flow_run
from prefect.task_runners import ThreadPoolTaskRunner

from flows.alerts import alert_on_failure
from flows.errors import UserError
from flows.progress import DayProgress, report_day
from flows.report import publish_sweep_report
from flows.runtime import RunConfig, Runtime
from flows.stages import (
    activity_stage,
    day_leases,
    features_batch_stage,
    features_stage,
    ingest_stage,
    land_stage,
    read_day_status,
    score_stage,
    text_model,
    wait_for_day,
)
from models.tracking import champion_version

if TYPE_CHECKING:
    from review.leases import DayLeases


def day_range(start: date, end: date) -> list[date]:
    if end < start:
        raise UserError(f"--end {end} is before --start {start}")
    return [start + timedelta(days=offset) for offset in range((end - start).days + 1)]


# Prefect's flow() annotation rejects its own ThreadPoolTaskRunner (PrefectHQ/prefect#16938).
@flow(
    name="backfill",
    flow_run_name="backfill-{start}..{end}",
    on_failure=[alert_on_failure],
    on_crashed=[alert_on_failure],
    task_runner=ThreadPoolTaskRunner(max_workers=2),  # type: ignore[arg-type]
)
def backfill(
    start: date,
    end: date,
    config: RunConfig | None = None,
    features_only: bool = False,
    force: bool = False,
) -> dict[str, Any]:
    """Sweep every day from ``start`` to ``end`` inclusive."""
    config = config or RunConfig()
    logger = get_run_logger()
    days = day_range(start, end)
    scoring = not features_only and champion_version(Runtime.of(config).tracking) is not None
    if not features_only and not scoring:
        logger.warning("no champion model yet: backfilling up to features only")
    run_id = str(flow_run.get_id() or "local-backfill")
    # Every day of the range is this backfill's until it returns (taken in date
    # order, so two overlapping backfills cannot deadlock): no other sweep of
    # them interleaves with it, and its status is read only once it holds them.
    with day_leases(config, days, run_id) as leases:
        return _backfill_days(config, days, scoring, force, run_id, leases)


def _publish_day_report(config: RunConfig, day: date) -> None:
    """The same run report a daily sweep writes, from the day's recorded stages."""
    stages = read_day_status(config, day)["stages"]
    result: dict[str, Any] = {"day": day.isoformat(), "features_only": False}
    result.update({stage: done["summary"] for stage, done in stages.items()})
    publish_sweep_report(config, day, result)


def _day_row(
    config: RunConfig, day: date, seconds: float | None, failure: str | None
) -> dict[str, Any]:
    """One day of the backfill as its table artifact shows it, from the recorded stages."""
    stages = read_day_status(config, day)["stages"]

    def summary(stage: str) -> dict[str, Any]:
        return (stages.get(stage) or {}).get("summary") or {}

    return {
        "day": day.isoformat(),
        "stages": ", ".join(stages) or "-",
        "curated rows": summary("ingest").get("curated_rows"),
        "accounts": summary("features").get("accounts"),
        "clusters": summary("features").get("clusters"),
        "flagged": summary("score").get("flagged"),
        "seconds this run": seconds,
        "failure": failure or "",
    }


def _finished_well(future: Any, wait: bool = False) -> bool:
    """Whether a task submitted to the task runner has finished, and well (``wait``: once
    it has finished; else without waiting)."""
    if not wait:
        wrapped = getattr(future, "wrapped_future", None)
        if wrapped is None or not wrapped.done():
            return False
    try:
        future.result()
    except Exception:  # noqa: BLE001 - its day reports it when the loop gets there
        return False
    return True


def _activity_batch(
    config: RunConfig,
    days: list[date],
    done: dict[date, set[str]],
    waits: dict[date, Any],
    ingests: dict[date, Any],
) -> list[date]:
    """The batch of activity that starts at ``days[0]`` (whose ingest is in): it and the
    days right after it that need features, as many as one pass takes
    (``jobs.featurize.activity_batch``), each once its ingest is in.

    A batch's own work (its rolling windows, memberships, the walk of its clusters and
    the plan of their features) costs about as much as a dozen of its days' own parts,
    whatever its number of days, so a first backfill is cheapest in as few batches as
    the cap allows. Waiting for the next days' ingests (two run at a time, ahead of the
    features) costs nothing on a machine whose cores they fill: featurizing the days
    already in, as earlier, only split the range into a batch per few days and made
    the ingests and the features compete for the same cores (the demo's 21 days went
    in three batches, bench/README.md "One batch for a first backfill"). A day whose
    raw data is not all delivered yet (its wait for the markers has not finished), whose
    ingest failed, or whose features are done (a resumed backfill) ends the batch.
    """
    from jobs.featurize import activity_batch
    from jobs.ingest import curated_requests

    store = Runtime.of(config).store()
    ready = days[:1]
    requests = [curated_requests(store, days[0])]
    for day in days[1:]:
        needs_features = day in ingests or "features" not in done[day]
        if not needs_features:
            break
        if day in ingests and not (
            _finished_well(waits[day]) and _finished_well(ingests[day], wait=True)
        ):
            break
        requests.append(curated_requests(store, day))
        if len(activity_batch([*ready, day], requests)) == len(ready):
            break  # the cap: the day starts the next batch
        ready.append(day)
    return ready


def _backfill_days(
    config: RunConfig,
    days: list[date],
    scoring: bool,
    force: bool,
    run_id: str,
    leases: DayLeases,
) -> dict[str, Any]:
    logger = get_run_logger()
    done: dict[date, set[str]] = {
        day: set() if force else set(read_day_status(config, day)["stages"]) for day in days
    }

    # Ingest runs a few days at once in the task runner's threads; features,
    # scoring and landing follow in day order as soon as each day's ingest is
    # in, so they overlap with the ingest of later days. The first failure stops
    # the ordered part: no later day is computed from a gap.
    pending = [day for day in days if "ingest" not in done[day]]
    waits = {day: wait_for_day.submit(config, day) for day in pending}
    ingests = {
        day: ingest_stage.submit(config, day, wait_for=[waits[day]], return_state=False)
        for day in pending
    }
    failed: dict[date, str] = {}
    seconds: dict[date, float] = {}
    # Each day's activity rows come from a batch: the days from it on that one pass takes,
    # once their ingest is in (``_activity_batch``), in one pass over their text.
    batches: dict[date, dict[str, Any]] = {}
    # Days whose features a batch's task wrote (``features_batch_stage``), or where it failed.
    batch_done: set[date] = set()
    batch_failed: dict[date, str] = {}
    # Sync inside a sync flow (Prefect's sync/async dispatch types it as either).
    progress = create_progress_artifact(
        0.0, key="backfill-progress", description=f"backfill {days[0]}..{days[-1]}"
    )
    report_day(DayProgress(done=0, total=len(days), day=None))
    for position, day in enumerate(days, start=1):
        started = time.monotonic()
        try:
            leases.check()
            if day in ingests:
                # The wait's own error names the missing marker; an ingest that never
                # ran would only say it is not finished.
                waits[day].result()
                ingests[day].result()
                done[day] = {"ingest"}  # a re-ingested day invalidates its later stages
        except Exception as exc:  # noqa: BLE001 - reported per day below
            failed[day] = f"ingest: {exc}"
            report_day(DayProgress(position - 1, len(days), day, failed[day]))
            break
        try:
            if "features" not in done[day]:
                if day not in batches:
                    if not batches:
                        # Trained on a first run (a minute) while the ingests run.
                        text_model(Runtime.of(config))
                    batch = _activity_batch(config, days[position - 1 :], done, waits, ingests)
                    summary = activity_stage(config, batch, days_after=len(batch) - 1)
                    batches.update(dict.fromkeys(batch, summary))
                    if len(batch) > 1:
                        # The batch's features in one task: rolling windows, memberships in one plan.
                        featurized = features_batch_stage(
                            config, batch, summary, days_after=len(batch) - 1
                        )
                        batch_done.update(date.fromisoformat(d) for d in featurized["done"])
                        if featurized["failed"] is not None:
                            batch_failed[date.fromisoformat(featurized["failed"]["day"])] = (
                                featurized["failed"]["error"]
                            )
                if day in batch_failed:
                    raise RuntimeError(batch_failed[day])
                if day not in batch_done:
                    features_stage(config, day, activity_batch=batches[day])
            if scoring and "score" not in done[day]:
                score_stage(config, day)
                land_stage(config, day, run_id)
                _publish_day_report(config, day)
            elif scoring and "land" not in done[day]:
                land_stage(config, day, run_id)
                _publish_day_report(config, day)
        except Exception as exc:  # noqa: BLE001
            failed[day] = str(exc)
            report_day(DayProgress(position - 1, len(days), day, failed[day]))
            break
        logger.info("day %d/%d: %s done", position, len(days), day)
        seconds[day] = round(time.monotonic() - started, 1)
        update_progress_artifact(
            cast(UUID, progress),
            100.0 * position / len(days),
            description=f"{day} done ({position}/{len(days)})",
        )
        report_day(DayProgress(done=position, total=len(days), day=day))
    # Ingests already started for later days still finish (and are recorded), so
    # a rerun resumes after them; their failures are reported too.
    for day, future in ingests.items():
        if day in failed:
            continue
        try:
            waits[day].result()
            future.result()
        except Exception as exc:  # noqa: BLE001
            failed[day] = f"ingest: {exc}"

    create_table_artifact(
        key="backfill-days",
        table=[_day_row(config, day, seconds.get(day), failed.get(day)) for day in days],
        description=f"backfill {days[0]}..{days[-1]}: one row a day",
    )
    result = {
        "start": days[0].isoformat(),
        "end": days[-1].isoformat(),
        "days": len(days),
        "scored": scoring,
        "failed": {day.isoformat(): reason for day, reason in failed.items()},
    }
    if failed:
        first = min(failed)
        raise UserError(
            f"backfill stopped: {len(failed)} day(s) failed, first {first}: {failed[first]}"
        )
    return result
