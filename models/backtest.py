"""Backtest: replay one registered model version over a range of days and
report when each hydra cluster would first have been flagged.

Uses the same feature rows and the same flag rule (threshold and
corroboration floor stored with the version) as daily scoring, so the answer
is what the daily sweep would have done had that version been champion.
Nothing is written to ``scores/``: a backtest never changes what analysts see.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import pandas as pd
from pyspark.sql import SparkSession

from lakeio import LakeRef, layout
from lakeio.reports import StageSummary
from lakeio.tables import LakeTables
from models import tracking
from models.errors import ModelError, NoChampionError
from models.scoring import apply_model, load_model_version
from models.training_set import conform_features, to_pandas


@dataclass(frozen=True)
class BacktestParams(tracking.Tracked):
    start: date
    end: date
    lake: LakeRef
    tracking: tracking.TrackingRef
    model_version: str | None = None  # None: the current champion


@dataclass(frozen=True)
class BacktestResult(StageSummary):
    model_version: str
    days: list[str]
    flagged_by_day: dict[str, int]
    # one row per cluster (or unclustered account): first_seen, first_flagged, lag_days, ...
    clusters: list[dict[str, object]] = field(default_factory=list)


def first_flagged(scored: pd.DataFrame) -> pd.DataFrame:
    """Per cluster: the first day it was seen, the first day any member was flagged.

    An account with no cluster is its own case, keyed by its account id.
    """
    if scored.empty:
        return pd.DataFrame(
            columns=[
                "case_key",
                "first_seen",
                "first_flagged",
                "lag_days",
                "accounts_flagged",
                "max_score",
            ]
        )
    frame = scored.assign(
        case_key=scored["hydra_cluster_id"].fillna("account:" + scored["account_id"].astype(str))
    )
    seen = (
        frame.groupby("case_key", as_index=False)["dt"].min().rename(columns={"dt": "first_seen"})
    )
    hits = frame[frame["flagged"]]
    flagged = hits.groupby("case_key", as_index=False).agg(
        first_flagged=("dt", "min"),
        accounts_flagged=("account_id", "nunique"),
        max_score=("score", "max"),
    )
    out = seen.merge(flagged, on="case_key", how="inner")
    out["lag_days"] = (
        pd.to_datetime(out["first_flagged"]) - pd.to_datetime(out["first_seen"])
    ).dt.days
    return out.sort_values(["first_flagged", "case_key"]).reset_index(drop=True)


def backtest(spark: SparkSession, params: BacktestParams) -> BacktestResult:
    if params.end < params.start:
        raise ModelError(f"backtest end {params.end} is before start {params.start}")
    with tracking.tracking(params.tracking_uri) as client:
        if params.model_version is None:
            version = tracking.version_by_alias(client, params.model_name, tracking.CHAMPION)
            if version is None:
                raise NoChampionError(params.model_name, params.tracking_uri)
        else:
            try:
                version = client.get_model_version(params.model_name, params.model_version)
            except Exception as exc:  # noqa: BLE001 - MLflow raises its own RestException kinds
                raise ModelError(
                    f"no version {params.model_version} of model {params.model_name!r}: {exc}"
                ) from exc
    pinned = load_model_version(params.tracking_uri, params.model_name, str(version.version))
    model, rule = pinned.model, pinned.rule

    tables = LakeTables.open(spark, params.lake)
    feature_days = tables.days(layout.ACCOUNT_DAY_FEATURES, start=params.start, end=params.end)
    features = (
        to_pandas(conform_features(tables.read(layout.ACCOUNT_DAY_FEATURES, feature_days)))
        if feature_days
        else None
    )
    days = [
        (params.start + timedelta(days=offset)).isoformat()
        for offset in range((params.end - params.start).days + 1)
    ]
    if features is None or features.empty:
        raise ModelError(
            f"no feature rows between {params.start} and {params.end}: backfill features first"
        )
    scored = apply_model(model, features, rule, with_reasons=False)
    scored["dt"] = pd.to_datetime(scored["dt"]).dt.date.astype(str)
    flagged_by_day = scored[scored["flagged"]].groupby("dt")["account_id"].nunique().to_dict()
    clusters = first_flagged(scored)
    return BacktestResult(
        model_version=str(version.version),
        days=days,
        flagged_by_day={day: int(flagged_by_day.get(day, 0)) for day in days},
        clusters=[
            {key: (value.item() if hasattr(value, "item") else value) for key, value in row.items()}
            for row in clusters.to_dict("records")
        ],
    )
