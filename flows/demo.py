"""``hydrasweep demo``: the whole product on embedded defaults, in minutes.

Simulates three weeks of traffic with one campaign per tactic, backfills
features, trains a model on what was known a week before the end (one tactic
is never labeled at all), promotes it through the gates, sweeps the
latest days into the review queue, and prints detection figures against the
simulator's ground truth, plus where to look next.
"""

from __future__ import annotations

import shutil
import time
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from flows.errors import UserError
from flows.runtime import RunConfig, Runtime
from lakeio import layout

DEFAULT_DEMO_HOME = Path(".hydrasweep") / "demo"
SWEPT_DAYS = 7
DEMO_MIN_CLUSTER_RECALL = 0.3


def _campaign_starts(manifest: dict[str, Any]) -> dict[str, date]:
    starts = {}
    for campaign in manifest.get("campaigns", []):
        cid = campaign.get("campaign_id") or campaign.get("id") or campaign.get("name")
        start = campaign.get("start_day") or campaign.get("start")
        if cid and start:
            starts[str(cid)] = date.fromisoformat(str(start)[:10])
    return starts


def detection_figures(
    config: RunConfig, days: list[date], version: str | None = None
) -> dict[str, Any]:
    """Per-population flag rates over the swept days, against the simulator's truth.

    ``version``: what that model version would flag (``models.scoring.flag_window``)
    instead of the sweep's written scores.
    """
    from lakeio.tables import LakeTables
    from models.scoring import flag_window, read_scores
    from simulate.scorecard import group_figures
    from simulate.truth import load_truth

    runtime = Runtime.of(config)
    tables = LakeTables.open(runtime.spark(), runtime.lake)
    if version is None:
        flags = read_scores(tables, min(days), max(days))
    else:
        flags = flag_window(tables, runtime.tracking, version, min(days), max(days))
    return group_figures(flags, load_truth(runtime.store()))


def run_demo(
    *,
    home: str | None,
    days: int,
    scale: float,
    seed: int,
    start: date,
    console: Console,
) -> dict[str, Any]:
    from flows.backfill import backfill
    from flows.training import promote, retrain
    from simulate import SimulationConfig, run_simulation
    from simulate.truth import load_manifest

    started = time.monotonic()
    demo_home = Path(home) if home else DEFAULT_DEMO_HOME
    if demo_home.exists():
        if not (demo_home / ".hydrasweep-demo").exists():
            raise UserError(f"{demo_home} exists and is not a hydrasweep demo folder; pick --home")
        shutil.rmtree(demo_home)
    demo_home.mkdir(parents=True)
    (demo_home / ".hydrasweep-demo").write_text("created by hydrasweep demo\n")
    home_abs = demo_home.resolve()
    # Embedded defaults only: the demo never writes to a configured lake or database.
    config = RunConfig(
        home=str(home_abs),
        lake=str(home_abs / "lake"),
        queue_url=f"sqlite:///{home_abs / 'queue.db'}",
        mlflow_tracking_uri=f"sqlite:///{home_abs / 'mlflow.db'}",
        # A few weeks of small simulated history leave only a handful of labeled
        # clusters in the validation days; the production floor (0.5) is for real volumes.
        min_cluster_recall=DEMO_MIN_CLUSTER_RECALL,
    )
    end = start + timedelta(days=days - 1)
    console.print(
        f"[bold]hydrasweep demo[/bold] in {home_abs}: {days} days from {start}, scale {scale}"
    )

    # 1. simulate (the Spark application, Prefect's server and the text model start meanwhile)
    warming = _start_warm_up(config)
    store = Runtime.of(config).store()
    with Progress(
        TextColumn("simulating"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    ) as progress:
        bar = progress.add_task("days", total=days)
        summary = run_simulation(
            store,
            SimulationConfig(start=start, days=days, seed=seed, scale=scale),
            progress=lambda done, total: progress.update(bar, completed=done, total=total),
        )
    manifest = load_manifest(store)
    starts = _campaign_starts(manifest)
    total_requests = getattr(summary, "total_requests", None)
    console.print(f"simulated {total_requests or ''} requests; campaigns start {starts}")

    # 2. features for every day (no model yet)
    warming.result()
    console.print("backfilling ingest + features ...")
    backfill(start=start, end=end, config=config, features_only=True)

    # 3. train on what was known before the swept week, promote through the gates
    # The swept days are out of time for the model; a tactic enforcement never
    # catches (``labelled`` false in the manifest, e.g. warmed-up accounts) has no
    # label at all, so its row in the table shows detection of an unseen tactic.
    as_of = end - timedelta(days=SWEPT_DAYS)
    unlabeled = sorted(
        str(c.get("campaign_id")) for c in manifest.get("campaigns", []) if not c.get("labelled")
    )
    console.print(
        f"training as of {as_of} (the swept days are after it; never labeled: "
        f"{', '.join(unlabeled) or 'none'}) ..."
    )
    trained = retrain(as_of=as_of, config=config, export_labels=False)
    decision = promote(config=config)
    console.print(
        f"promotion (demo floor: cluster recall >= {DEMO_MIN_CLUSTER_RECALL}): "
        f"{decision.get('reason')}"
    )
    sweep_start = end - timedelta(days=SWEPT_DAYS - 1)
    swept = [sweep_start + timedelta(days=i) for i in range(SWEPT_DAYS)]
    if decision.get("promoted"):
        # 4. sweep the latest days into the queue
        console.print(f"sweeping {sweep_start}..{end} into the review queue ...")
        backfill(start=sweep_start, end=end, config=config)
        figures = detection_figures(config, swept)
    else:
        # The gates are the product's: a refused model is never promoted, not even
        # for a demo. The queue stays empty; the figures show what it would flag.
        version = str((trained.get("train") or {}).get("model_version"))
        console.print(
            f"[bold yellow]the challenger (v{version}) did not pass the promotion gates[/]: "
            "nothing is promoted and the review queue stays empty; the figures below are "
            "what it would have flagged on the swept days"
        )
        figures = detection_figures(config, swept, version=version)

    # 5. a console login for the demo's queue, and the summary
    password = _demo_console_user(config)
    _print_summary(console, config, figures, trained, decision, time.monotonic() - started, end)
    console.print(f"  console login:  user 'demo', password '{password}' (role lead)")
    return {"figures": figures, "train": trained, "promotion": decision}


def _warm_up(config: RunConfig) -> None:
    """What the backfill's first minute would wait for, done while the simulator runs.

    The simulator is Python on one core; the Spark application's JVM and Prefect's
    temporary server are processes of their own, so they start on the other core
    instead of after it (about 10 s and 12 s on 2 cores). The text model is trained
    here too (its first-use training otherwise delays the first activity batch).
    """
    from prefect.settings import PREFECT_API_URL, PREFECT_SERVER_EPHEMERAL_ENABLED

    from flows.stages import text_model

    if not PREFECT_API_URL.value() and PREFECT_SERVER_EPHEMERAL_ENABLED.value():
        from prefect.server.api.server import SubprocessASGIServer

        # The instance every client of this process uses (one per process); started once,
        # and joined before the first flow, so no client sees it half started.
        SubprocessASGIServer().start()
    runtime = Runtime.of(config)
    runtime.spark()
    text_model(runtime)


def _start_warm_up(config: RunConfig) -> Future[None]:
    """``_warm_up`` in a thread; its result (or error) is taken before the backfill."""
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="demo-warm-up")
    try:
        return pool.submit(_warm_up, config)
    finally:
        pool.shutdown(wait=False)


def _demo_console_user(config: RunConfig) -> str:
    import secrets

    from review.db import open_queue
    from review.users import add_user

    password = secrets.token_urlsafe(12)
    engine = open_queue(config.settings().queue_database_url)
    try:
        add_user(engine, "demo", role="lead", password=password, replace=True)
    finally:
        engine.dispose()
    return password


def _print_summary(
    console: Console,
    config: RunConfig,
    figures: dict[str, Any],
    trained: dict[str, Any],
    decision: dict[str, Any],
    seconds: float,
    last_day: date,
) -> None:
    settings = config.settings()
    table = Table(title="Detection over the swept days (accounts, against simulator truth)")
    for column in ("population / campaign", "abusive", "active", "flagged", "flag rate"):
        table.add_column(column)
    for row in figures["groups"]:
        rate = row["flagged"] / row["active"] if row["active"] else 0.0
        table.add_row(
            str(row["group"]),
            "yes" if row["abusive"] else "no",
            str(row["active"]),
            str(int(row["flagged"])),
            f"{rate:.1%}",
        )
    console.print(table)
    console.print(
        f"precision {figures['precision']:.1%}, recall {figures['recall']:.1%} "
        f"({figures['flagged']} accounts flagged); model version "
        f"{(trained.get('train') or {}).get('model_version')}; demo took {seconds / 60:.1f} min"
    )
    console.print("\n[bold]Where to look next[/bold]")
    # Commands are printed whole (no wrapping inside them), to be copied as they are.
    lines = [
        f"  the demo's home: export HYDRASWEEP_HOME={settings.home}",
        "  review queue:    hydrasweep queue list",
        "  web console:     hydrasweep queue serve",
        f"  MLflow UI:       mlflow ui --backend-store-uri {settings.tracking_uri}",
        "  Prefect UI:      prefect server start  (then open http://127.0.0.1:4200)",
        f"  run report:      {settings.lake_uri}/{layout.report_key(layout.SWEEP_REPORT, last_day)}",
    ]
    for line in lines:
        console.print(line, soft_wrap=True, markup=False, highlight=False)
