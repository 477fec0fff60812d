"""The whole flag rule replayed over a grid of thresholds and floors: a tuning tool.

For a ``hydrasweep evaluate`` seed folder of a **tuning** seed
(``flows.evaluate.TUNING_SEEDS``) and a registered version, two tables:

1. **The rule's choice of numbers, on the calibration window.** ``choose_rule``
   reads the threshold's precision and the floor's legitimate quantile on the
   calibration rows, where every account without a label of its own counts as
   legitimate. On a simulated lake the truth says how many of those are campaign
   accounts the labels have not reached, and how far apart three estimates of
   the legitimate 90th percentile are: over every row without a label (what
   training reads), over the reviewed-legitimate rows only, and over the truly
   legitimate rows.
2. **The whole rule over the swept days**, for the version's own rule and every
   ``--thresholds`` x ``--floors`` pair (``models.scoring.apply_model``, the
   sweep's code): account precision, recall and legitimate false-positive rate
   (``simulate.scorecard``), recall per tactic and the legitimate accounts
   flagged per population.

Nothing here changes a constant: the numbers it prints are what a change would be
judged by, on tuning seeds only::

    python bench/rule_grid.py --home .hydrasweep/evaluate/seed-9101 --version 1 \\
        --start 2026-09-15 --end 2026-09-21 --thresholds 0.7 0.8 --floors 0.5 0.7
"""

from __future__ import annotations

import argparse
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd


def _features(lake: Path, start: date, end: date) -> pd.DataFrame:
    days = [start + timedelta(days=n) for n in range((end - start).days + 1)]
    return pd.concat(
        [
            pd.read_parquet(lake / "features" / "account_day" / f"dt={day}").assign(dt=day)
            for day in days
            if (lake / "features" / "account_day" / f"dt={day}").exists()
        ],
        ignore_index=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, required=True, help="an evaluate seed folder")
    parser.add_argument("--version", required=True, help="registered model version")
    parser.add_argument("--start", type=date.fromisoformat, required=True)
    parser.add_argument("--end", type=date.fromisoformat, required=True)
    parser.add_argument("--thresholds", type=float, nargs="*", default=[])
    parser.add_argument("--floors", type=float, nargs="*", default=[])
    parser.add_argument("--model-name", default="hydrasweep-extraction")
    args = parser.parse_args()

    from mlflow import MlflowClient

    from lakeio import open_store
    from models.labels import labels_known_at, read_labels
    from models.scoring import FlagRule, apply_model, load_model_version
    from models.training_set import model_matrix
    from simulate.scorecard import scorecard
    from simulate.truth import load_truth

    lake = args.home / "lake"
    uri = f"sqlite:///{args.home.resolve()}/mlflow.db"
    pinned = load_model_version(uri, args.model_name, args.version)
    store = open_store(str(lake))
    truth = load_truth(store)
    by_account = truth.set_index("account_id")
    pd.set_option("display.width", 250)
    print(f"{args.model_name} v{args.version}: {pinned.rule}")

    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    params = client.get_run(client.get_model_version(args.model_name, args.version).run_id)
    run_params = params.data.params
    as_of = date.fromisoformat(run_params["as_of"])
    calibration = _features(
        lake,
        date.fromisoformat(run_params["calibration_start"]),
        date.fromisoformat(run_params["calibration_end"]),
    )
    known = labels_known_at(read_labels(store).frame, as_of).set_index("account_id")["label"]
    label = calibration["account_id"].map(known)
    campaign = calibration["account_id"].map(by_account["campaign_id"]).notna().to_numpy()
    score = pinned.model.predict_proba(model_matrix(calibration))[:, 1]
    reviewed = (label == 0).to_numpy()
    # Training's cluster labels (``models.training_set.training_rows``): an unlabeled
    # account-day whose cluster holds, that day, a known abusive account and no known
    # legitimate one is taken as abusive; the rest of the unlabeled are "legitimate".
    cluster_day = [calibration["dt"], calibration["hydra_cluster_id"]]
    holds_abuse = (label == 1).groupby(cluster_day, dropna=False).transform("max")
    holds_legit = (label == 0).groupby(cluster_day, dropna=False).transform("max")
    from_cluster = (
        label.isna() & calibration["hydra_cluster_id"].notna() & holds_abuse & ~holds_legit
    ).to_numpy(dtype=bool)
    unlabeled = label.isna().to_numpy() & ~from_cluster
    print(
        f"\ncalibration {run_params['calibration_start']}..{run_params['calibration_end']} "
        f"(labels known at {as_of}): {len(calibration)} account-days, "
        f"{int((label == 1).sum())} with a positive label, {int(from_cluster.sum())} taken as "
        f"abusive from their cluster, {int(reviewed.sum())} reviewed legitimate, "
        f"{int(unlabeled.sum())} presumed legitimate of which {campaign[unlabeled].mean():.1%} "
        "are campaign accounts"
    )
    estimates = {
        "presumed or reviewed legit (training's)": score[unlabeled | reviewed],
        "reviewed legitimate": score[reviewed],
        "truly legitimate": score[~campaign],
    }
    for name, values in estimates.items():
        if values.size:
            q = np.quantile(values, [0.5, 0.9, 0.99])
            print(f"  model score q50/q90/q99 over {name:38s} {q[0]:.3f} {q[1]:.3f} {q[2]:.3f}")

    swept = _features(lake, args.start, args.end)
    rules = [("version's own", pinned.rule)] + [
        (f"thr {t} floor {f}", FlagRule(threshold=t, corroboration_floor=min(t, f)))
        for t in args.thresholds or [pinned.rule.threshold]
        for f in args.floors or [pinned.rule.corroboration_floor]
    ]
    rows = []
    for name, rule in rules:
        scored = apply_model(pinned.model, swept, rule, with_reasons=False)
        card = scorecard(scored, truth, args.start, args.end)
        rows.append(
            {
                "rule": name,
                "threshold": round(rule.threshold, 3),
                "floor": round(rule.corroboration_floor, 3),
                "precision": round(100 * card.precision, 2),
                "recall": round(100 * card.recall, 2),
                "legit_fpr": round(100 * card.legit_false_positive_rate, 3),
                **{f"r:{t.tactic}": round(100 * t.recall, 1) for t in card.tactics},
                "legit flagged": ", ".join(
                    f"{p.population} {p.flagged}"
                    for p in card.populations
                    if not p.abusive and p.flagged
                ),
            }
        )
    print(f"\nthe whole rule over {args.start}..{args.end} (accounts)")
    print(pd.DataFrame(rows).set_index("rule").T.to_string())


if __name__ == "__main__":
    main()
