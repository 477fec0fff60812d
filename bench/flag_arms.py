"""Which arm of the flag rule flags each population: a diagnosis for tuning seeds.

Replays ``models.scoring.apply_model`` with a registered version over the
feature rows of a simulated lake's days and splits every account's flags by
arm: the model (``model_score >= threshold``), evidence alone
(``>= EVIDENCE_ALONE``) and the floor arms (evidence or support ``>=
EVIDENCE_MIN`` with the model above its floor); then the mean strength of each
evidence family among flagged rows, and which witnesses
(``models.cluster_evidence.witnesses`` at ``FAMILY_SHOWN`` or more) flagged
rows had, per group: the combinations behind a population's flags. Run it on a ``hydrasweep evaluate`` seed
folder of a **tuning** seed only (``flows.evaluate.TUNING_SEEDS``)::

    python bench/flag_arms.py --home .hydrasweep/evaluate/seed-9101 --version 1 \\
        --start 2026-09-15 --end 2026-09-21
"""

from __future__ import annotations

import argparse
from datetime import date, timedelta
from pathlib import Path

import pandas as pd


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, required=True, help="an evaluate seed folder")
    parser.add_argument("--version", required=True, help="registered model version")
    parser.add_argument("--start", type=date.fromisoformat, required=True)
    parser.add_argument("--end", type=date.fromisoformat, required=True)
    parser.add_argument("--model-name", default="hydrasweep-extraction")
    args = parser.parse_args()

    from lakeio import open_store
    from models.cluster_evidence import (
        EVIDENCE_ALONE,
        EVIDENCE_MIN,
        FAMILY_SHOWN,
        evidence_score,
        family_strengths,
        support_score,
        witnesses,
    )
    from models.scoring import apply_model, load_model_version
    from simulate.truth import load_truth

    lake = args.home / "lake"
    days = [args.start + timedelta(days=n) for n in range((args.end - args.start).days + 1)]
    features = pd.concat(
        [
            pd.read_parquet(lake / "features" / "account_day" / f"dt={day}").assign(dt=day)
            for day in days
        ],
        ignore_index=True,
    )
    pinned = load_model_version(
        f"sqlite:///{args.home.resolve()}/mlflow.db", args.model_name, args.version
    )
    rule = pinned.rule
    scored = apply_model(pinned.model, features, rule, with_reasons=False)
    strengths = family_strengths(features)
    evidence = evidence_score(strengths).to_numpy()
    support = support_score(strengths).to_numpy()
    above_floor = scored["model_score"].to_numpy() > rule.corroboration_floor
    arms = pd.DataFrame(
        {
            "account_id": scored["account_id"],
            "flagged": scored["flagged"],
            "model": scored["model_score"].to_numpy() >= rule.threshold,
            "evidence alone": evidence >= EVIDENCE_ALONE,
            "evidence + floor": (evidence >= EVIDENCE_MIN) & above_floor,
            "support + floor": (support >= EVIDENCE_MIN) & above_floor,
        }
    )
    truth = load_truth(open_store(str(lake)))
    groups = truth.set_index("account_id")
    arms["group"] = (
        arms["account_id"]
        .map(groups["tactic"])
        .fillna(arms["account_id"].map(groups["population"]))
    )
    pd.set_option("display.width", 250)
    print(f"{args.model_name} v{args.version}: {rule}")
    by_account = arms.groupby(["group", "account_id"]).any().groupby("group").mean()
    by_account["accounts"] = arms.groupby("group")["account_id"].nunique()
    print(by_account.round(3).to_string())
    flagged = strengths[arms["flagged"].to_numpy()].assign(group=arms.loc[arms["flagged"], "group"])
    print("\nmean family strength among flagged rows")
    print(flagged.groupby("group").mean().round(2).to_string())
    shown = witnesses(strengths)[arms["flagged"].to_numpy()] >= FAMILY_SHOWN
    combination = shown.apply(lambda row: "+".join(row.index[row]) or "(none)", axis=1)
    print("\nwitnesses of flagged rows (at least FAMILY_SHOWN): the three commonest per group")
    counts = (
        pd.DataFrame({"group": arms.loc[arms["flagged"], "group"], "witnesses": combination})
        .value_counts()
        .rename("rows")
        .reset_index()
    )
    print(counts.groupby("group").head(3).sort_values(["group", "rows"]).to_string(index=False))


if __name__ == "__main__":
    main()
