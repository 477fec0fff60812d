"""``hydrasweep evaluate``: the real pipeline on simulated campaigns, judged by the truth.

For each seed: simulate ``days`` days of contract traffic (the adversarial
simulator: real prompt text, every campaign tactic, legitimate look-alikes),
backfill ingest and features over all of them, train a challenger as of the
end of day ``train_days`` on the labels known then, promote it through the
gates, then sweep the following days one by one with the promoted champion
(the daily sweep's own stages: scoring and landing in the review queue) and
judge the whole flag rule over those days (``simulate.scorecard``): per tactic
recall and days from first activity to first flag, per population flag rates,
overall precision and recall.

Leave-one-tactic-out: for each tactic named (``--leave-out``, ``all`` for every
one), a further challenger is trained on the same lake with that tactic's
labels removed (its accounts stay, unlabeled, as an undiscovered campaign's
would), and the same days are scored with it and judged. Features do not
depend on labels, so they are computed once per seed.

Seeds: ``EVALUATION_SEEDS`` are the only seeds the reported figures come from;
no constant of the detector may be chosen by looking at them. Constants are
chosen on ``TUNING_SEEDS`` (``hydrasweep evaluate --seeds tuning``), and the
two sets never overlap (a test checks it).
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pandas as pd

from flows.errors import UserError
from flows.runtime import RunConfig, Runtime

EVALUATION_SEEDS: tuple[int, ...] = (5101, 5102, 5103)
TUNING_SEEDS: tuple[int, ...] = (9101, 9102, 9103)
DEFAULT_START = date(2026, 9, 1)
MAIN = "none"  # the variant trained on every label


@dataclass(frozen=True)
class EvaluationPlan:
    seeds: tuple[int, ...] = EVALUATION_SEEDS
    days: int = 28
    train_days: int = 21
    scale: float = 1.0
    start: date = DEFAULT_START
    leave_out: tuple[str, ...] = ()  # tactics whose labels a further challenger does not see
    home: Path = Path(".hydrasweep") / "evaluate"
    corpus_dir: Path | None = None  # a full corpora folder for the simulator (else packaged)
    keep: bool = False  # reuse an existing seed folder (simulated and featurised days)

    def __post_init__(self) -> None:
        if not 7 <= self.train_days < self.days:
            raise UserError(
                f"train_days must be at least 7 and fewer than days ({self.days}), "
                f"got {self.train_days}"
            )

    @property
    def as_of(self) -> date:
        return self.start + timedelta(days=self.train_days - 1)

    @property
    def end(self) -> date:
        return self.start + timedelta(days=self.days - 1)

    @property
    def window(self) -> tuple[date, date]:
        return self.as_of + timedelta(days=1), self.end


@dataclass
class SeedResult:
    seed: int
    cards: dict[str, Any] = field(default_factory=dict)  # variant -> Scorecard
    promotion: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0


def _seed_config(plan: EvaluationPlan, seed: int) -> RunConfig:
    home = (plan.home / f"seed-{seed}").resolve()
    return RunConfig(
        home=str(home),
        lake=str(home / "lake"),
        queue_url=f"sqlite:///{home / 'queue.db'}",
        mlflow_tracking_uri=f"sqlite:///{home / 'mlflow.db'}",
    )


def _simulate(plan: EvaluationPlan, seed: int, config: RunConfig) -> None:
    from simulate import SimulationConfig, run_simulation

    run_simulation(
        Runtime.of(config).store(),
        SimulationConfig(
            start=plan.start,
            days=plan.days,
            seed=seed,
            scale=plan.scale,
            corpus_dir=plan.corpus_dir,
        ),
    )


def _train(config: RunConfig, as_of: date, model_name: str, holdout: frozenset[str], name: str):
    from dataclasses import replace

    from models.train import TrainParams, train_challenger

    runtime = Runtime.of(config)
    return train_challenger(
        runtime.spark(),
        TrainParams(
            as_of=as_of,
            lake=runtime.lake,
            tracking=replace(runtime.tracking, model_name=model_name),
            holdout_accounts=holdout,
            holdout_name=name,
        ),
    )


def _promote(config: RunConfig) -> dict[str, Any]:
    """The gated promotion, also judging the whole flag rule on all traffic by the truth."""
    from flows.training import promote_params
    from models import promotion

    runtime = Runtime.of(config)
    decision = promotion.promote(runtime.spark(), promote_params(runtime, judge_on_truth=True))
    return decision.as_dict()


def _tables(runtime: Runtime):
    from lakeio.tables import LakeTables

    return LakeTables.open(runtime.spark(), runtime.lake)


def _scored_flags(config: RunConfig, window: tuple[date, date]) -> pd.DataFrame:
    """The sweep's own flags of the window's days, from the scores table."""
    from models.scoring import read_scores

    return read_scores(_tables(Runtime.of(config)), *window)


def _variant_flags(
    config: RunConfig, model_name: str, version: str, window: tuple[date, date]
) -> pd.DataFrame:
    """Flags a version would have raised on the window's feature rows (the sweep's rule)."""
    from dataclasses import replace

    from models.scoring import flag_window

    runtime = Runtime.of(config)
    ref = replace(runtime.tracking, model_name=model_name)
    return flag_window(_tables(runtime), ref, version, *window)


def evaluate_seed(plan: EvaluationPlan, seed: int, log=print) -> SeedResult:  # noqa: ANN001
    from flows.backfill import backfill
    from simulate.scorecard import scorecard
    from simulate.truth import load_truth

    started = time.monotonic()
    config = _seed_config(plan, seed)
    settings = config.settings()
    home = settings.home
    if home.exists() and not plan.keep:
        shutil.rmtree(home)
    home.mkdir(parents=True, exist_ok=True)
    store = Runtime.of(config).store()
    if not store.exists("sim/truth/manifest.json"):
        log(f"seed {seed}: simulating {plan.days} days at scale {plan.scale}")
        _simulate(plan, seed, config)
    log(f"seed {seed}: ingest and features for {plan.start}..{plan.end}")
    backfill(start=plan.start, end=plan.end, config=config, features_only=True)
    truth = load_truth(store)
    result = SeedResult(seed=seed)

    log(f"seed {seed}: training as of {plan.as_of} on every label, promoting, sweeping")
    _train(config, plan.as_of, settings.model_name, frozenset(), MAIN)
    result.promotion = _promote(config)
    window = plan.window
    if result.promotion.get("promoted"):
        backfill(start=window[0], end=window[1], config=config)
        flags = _scored_flags(config, window)
    else:
        # No champion: the sweep would flag nothing. Say so, and judge what would have been.
        log(f"seed {seed}: the challenger was not promoted: {result.promotion.get('reason')}")
        version = str(result.promotion.get("challenger_version"))
        flags = _variant_flags(config, settings.model_name, version, window)
    result.cards[MAIN] = scorecard(flags, truth, *window)

    for tactic in plan.leave_out:
        held = frozenset(truth.loc[truth["tactic"] == tactic, "account_id"])
        if not held:
            raise UserError(f"no account of tactic {tactic!r} in seed {seed}'s truth")
        name = f"{settings.model_name}-without-{tactic}"
        log(f"seed {seed}: training without the labels of {tactic} ({len(held)} accounts)")
        trained = _train(config, plan.as_of, name, held, tactic)
        flags = _variant_flags(config, name, trained.model_version, window)
        result.cards[tactic] = scorecard(flags, truth, *window, left_out=tactic)
    result.seconds = time.monotonic() - started
    return result


def summary_rows(results: list[SeedResult]) -> list[dict[str, Any]]:
    """One row per seed and variant: the overall figures and the worst legitimate population."""
    rows = []
    for result in results:
        for variant, card in result.cards.items():
            left_out = next((t for t in card.tactics if t.labels_left_out), None)
            rows.append(
                {
                    "seed": result.seed,
                    "labels_left_out": variant,
                    "precision": card.precision,
                    "recall": card.recall,
                    "legit_fpr": card.legit_false_positive_rate,
                    "worst_population_fpr": card.worst_legit_population_rate,
                    "left_out_recall": left_out.recall if left_out else None,
                    "left_out_within_1d": left_out.flagged_within_1d if left_out else None,
                }
            )
    return rows


def write_report(results: list[SeedResult], plan: EvaluationPlan, path: Path) -> None:
    """JSON (every scorecard) and Markdown (the tables) side by side."""
    from simulate.scorecard import markdown

    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "plan": {
            "seeds": list(plan.seeds),
            "days": plan.days,
            "train_days": plan.train_days,
            "scale": plan.scale,
            "start": plan.start.isoformat(),
            "leave_out": list(plan.leave_out),
        },
        "seeds": [
            {
                "seed": r.seed,
                "seconds": round(r.seconds, 1),
                "promotion": r.promotion,
                "scorecards": {variant: card.as_dict() for variant, card in r.cards.items()},
            }
            for r in results
        ],
        "summary": summary_rows(results),
    }
    path.with_suffix(".json").write_text(json.dumps(payload, indent=2, default=str))
    sections = [
        markdown(card, f"seed {r.seed}, labels left out: {variant}")
        for r in results
        for variant, card in r.cards.items()
    ]
    path.with_suffix(".md").write_text("\n\n".join(sections) + "\n")
