"""Point-in-time training sets: features up to the cut-off joined with labels known at it.

A training row is an **account-day**, not an account. Scoring judges one day's
feature row at a time (a campaign ramps up, a sleeper wakes, a cluster grows),
so the model learns from the unit it will score; collapsing an account's days
would mix ramp-up days with peak days and hide exactly the drift a new campaign
shows. Labels are per account, so every day of a labeled account carries the
account's label, and each row is weighted ``1 / days the account was active in
the window``: a long-lived legitimate account and a three-day throwaway each
count once, and a few busy accounts cannot dominate the fit.

No leakage: feature rows are kept only for ``dt`` in ``(as_of - window_days,
as_of]`` (a feature row of day D is computed from data up to the end of D), and
labels only when ``labeled_at`` falls on or before ``as_of``
(``models.labels.labels_known_at``).

Accounts without a known label: operators hold few legitimate labels (reviews
mostly clear the hard cases that got flagged), so the ordinary bulk of traffic
would be missing from the negatives. With ``unlabeled_weight > 0`` unlabeled
accounts join as presumed legitimate at that fraction of a labeled account's
weight (positive-unlabeled learning): enough to teach what ordinary traffic looks
like, little enough that an undiscovered abuser among them barely pulls. An
account whose label arrives after the cut-off is, at the cut-off, unlabeled.
An unlabeled account sharing a hydra cluster with known abuse is the exception:
it takes its cluster's label (``training_rows``, ``cluster_label_weight``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import cast

import pandas as pd
from pyspark.sql import DataFrame, SparkSession, Window
from pyspark.sql import functions as F
from pyspark.sql import types as T

from features.feature_set import FEATURE_SET, KEY_COLUMNS
from lakeio import layout
from lakeio.tables import LakeTables
from models.errors import TrainingDataError
from models.labels import labels_known_at

LABEL = "label"
WEIGHT = "weight"
LABELED = "labeled"


@dataclass(frozen=True)
class DataWindow:
    """Days ``start``..``end`` inclusive."""

    start: date
    end: date

    @classmethod
    def ending(cls, end: date, days: int) -> DataWindow:
        if days < 1:
            raise ValueError(f"a window needs at least one day, got {days}")
        return cls(start=end - timedelta(days=days - 1), end=end)

    def days(self) -> list[date]:
        return [self.start + timedelta(days=n) for n in range((self.end - self.start).days + 1)]


def feature_days(tables: LakeTables, window: DataWindow) -> list[date]:
    """Days of the feature table that have a partition inside ``window``."""
    return tables.days(layout.ACCOUNT_DAY_FEATURES, start=window.start, end=window.end)


def read_feature_window(tables: LakeTables, window: DataWindow) -> DataFrame:
    """Feature rows of the days in ``window``: key columns plus ``FEATURE_SET.names`` as double.

    Only the window's day partitions are staged (an s3:// lake is mirrored day by
    day) and read.
    """
    days = feature_days(tables, window)
    if not days:
        raise TrainingDataError(
            f"no feature days between {window.start} and {window.end} under "
            f"{tables.store.uri}/{layout.ACCOUNT_DAY_FEATURES}: run the features stage "
            "(`hydrasweep backfill --features-only`) first"
        )
    return conform_features(tables.read(layout.ACCOUNT_DAY_FEATURES, days))


def conform_features(raw: DataFrame) -> DataFrame:
    """Select the declared columns in their declared order; features become double.

    XGBoost computes in float32 anyway; one numeric type for every feature keeps
    training, the logged signature and scoring identical.
    """
    missing = [c for c in (*KEY_COLUMNS, *FEATURE_SET.names) if c not in raw.columns]
    if missing:
        raise TrainingDataError(
            f"feature table lacks columns of feature set {FEATURE_SET.name} "
            f"v{FEATURE_SET.version}: {', '.join(missing)}"
        )
    return raw.select(
        F.col("account_id").cast("string").alias("account_id"),
        F.col("dt").cast("date").alias("dt"),
        F.col("customer_id").cast("string").alias("customer_id"),
        F.col("hydra_cluster_id").cast("string").alias("hydra_cluster_id"),
        *[F.col(name).cast("double").alias(name) for name in FEATURE_SET.names],
    )


def labels_frame(spark: SparkSession, labels: pd.DataFrame) -> DataFrame:
    """Labels (``account_id``, ``label``) as a Spark frame, for joining with features."""
    schema = T.StructType(
        [
            T.StructField("account_id", T.StringType(), False),
            T.StructField(LABEL, T.IntegerType(), False),
        ]
    )
    records = [(str(a), int(b)) for a, b in zip(labels["account_id"], labels["label"], strict=True)]
    return spark.createDataFrame(records, schema=schema)


def training_rows(
    spark: SparkSession,
    features: DataFrame,
    labels: pd.DataFrame,
    as_of: date,
    window_days: int,
    unlabeled_weight: float = 0.0,
    cluster_label_weight: float = 0.0,
) -> DataFrame:
    """Account-day rows as known at the end of ``as_of`` (Spark).

    ``labels`` is the full label history (``models.labels`` frame); the cut-off is
    applied here to both sides, so a caller cannot leak by passing too much.
    Columns: key columns, ``FEATURE_SET.names``, ``label``, ``weight`` and
    ``labeled`` (false for rows whose label is not the account's own: presumed
    legitimate, or taken from its cluster).

    Cluster labels (``cluster_label_weight > 0``): enforcement acts on a sample
    of a campaign's accounts and the rest keep running, while the linking step
    puts the whole network into one hydra cluster. An unlabeled account-day whose
    cluster holds, that day, an account known to be abusive at the cut-off and
    none known to be legitimate is taken as abusive, at ``cluster_label_weight``
    of a labeled account's weight. Presumed legitimate instead, the campaign's
    unenforced accounts would teach the model that the campaign's own behaviour
    is normal, and on validation days they would count as false positives of
    every threshold that catches the campaign. Cluster membership of day D is
    computed from data up to D, so this adds nothing from after the cut-off.
    """
    for name, value in (
        ("unlabeled_weight", unlabeled_weight),
        ("cluster_label_weight", cluster_label_weight),
    ):
        if not 0.0 <= value <= 1.0:
            raise ValueError(f"{name} must be in [0, 1], got {value}")
    window = DataWindow.ending(as_of, window_days)
    known = labels_frame(spark, labels_known_at(labels, as_of))
    per_account = Window.partitionBy("account_id")
    cluster_day = Window.partitionBy("dt", "hydra_cluster_id")
    own_label = F.col(LABEL)

    def cluster_holds(label: int):
        return F.max(F.coalesce((own_label == label).cast("int"), F.lit(0))).over(cluster_day)

    from_cluster = (
        F.lit(cluster_label_weight > 0)
        & own_label.isNull()
        & F.col("hydra_cluster_id").isNotNull()
        & (cluster_holds(1) == 1)
        & (cluster_holds(0) == 0)
    )
    rows = (
        features.filter(F.col("dt").between(F.lit(window.start), F.lit(window.end)))
        .join(known, on="account_id", how="left")
        .withColumn(LABELED, own_label.isNotNull())
        .withColumn(
            "_row_weight",
            F.when(F.col(LABELED), F.lit(1.0))
            .when(from_cluster, F.lit(cluster_label_weight))
            .otherwise(F.lit(unlabeled_weight)),
        )
        .withColumn(
            LABEL,
            F.coalesce(own_label, F.when(from_cluster, F.lit(1)), F.lit(0)).cast("int"),
        )
        .where(F.col("_row_weight") > 0)
        .withColumn(WEIGHT, F.col("_row_weight") / F.count(F.lit(1)).over(per_account))
    )
    return rows.select(*KEY_COLUMNS, *FEATURE_SET.names, LABEL, WEIGHT, LABELED)


def to_pandas(rows: DataFrame) -> pd.DataFrame:
    """Collect rows for single-machine work, ordered by ``dt`` then ``account_id``."""
    frame = cast(pd.DataFrame, rows.toPandas())
    frame["dt"] = pd.to_datetime(frame["dt"]).dt.date
    if LABEL in frame:
        frame[LABEL] = frame[LABEL].astype("int64")
    return frame.sort_values(["dt", "account_id"], kind="stable").reset_index(drop=True)


def assemble_training_set(
    spark: SparkSession,
    features: DataFrame,
    labels: pd.DataFrame,
    as_of: date,
    window_days: int,
) -> pd.DataFrame:
    """``training_rows`` collected to pandas."""
    return to_pandas(training_rows(spark, features, labels, as_of, window_days))


def validation_window(days: list[date], validation_days: int) -> DataWindow:
    """The last ``validation_days`` of the days that have labeled rows.

    A time split, not a random one: the model is always judged on days after the
    ones it learned from, as it will be in production.
    """
    days = sorted(days)
    if len(days) <= validation_days:
        raise TrainingDataError(
            f"the training window has {len(days)} day(s) with labeled accounts; "
            f"need more than the {validation_days} validation day(s)"
        )
    return DataWindow(start=days[-validation_days], end=days[-1])


def check_both_classes(counts: dict[tuple[str, int], int], window: DataWindow) -> None:
    """Both parts of the split need abusive and legitimate accounts: say which is missing."""
    for part in ("training", "validation"):
        for label, what in ((1, "positive (label 1)"), (0, "negative (label 0)")):
            if counts.get((part, label), 0) == 0:
                days = (
                    f"before {window.start}"
                    if part == "training"
                    else f"{window.start}..{window.end}"
                )
                raise TrainingDataError(
                    f"the {part} days ({days}) have no {what} labeled accounts known at the cut-off"
                )


@dataclass(frozen=True)
class TimeSplit:
    train: pd.DataFrame
    validation: pd.DataFrame
    validation_window: DataWindow


def split_by_time(training_set: pd.DataFrame, validation_days: int) -> TimeSplit:
    """Split collected rows: the last ``validation_days`` days validate, earlier days train."""
    if training_set.empty:
        raise TrainingDataError("no labeled account-days in the training window")
    window = validation_window(sorted(set(training_set["dt"])), validation_days)
    is_validation = training_set["dt"] >= window.start
    split = TimeSplit(
        train=training_set[~is_validation].reset_index(drop=True),
        validation=training_set[is_validation].reset_index(drop=True),
        validation_window=window,
    )
    counts = {
        (part, label): int(frame.loc[frame[LABEL] == label, "account_id"].nunique())
        for part, frame in (("training", split.train), ("validation", split.validation))
        for label in (0, 1)
    }
    check_both_classes(counts, window)
    return split


def model_matrix(frame: pd.DataFrame) -> pd.DataFrame:
    """The model input: ``FEATURE_SET.names`` in order, float64, nulls as NaN."""
    return frame[FEATURE_SET.names].astype("float64")


def evaluation_rows(
    spark: SparkSession, features: DataFrame, known_labels: pd.DataFrame, window: DataWindow
) -> pd.DataFrame:
    """Feature rows in ``window`` of accounts with a known label (one per account), collected."""
    rows = (
        features.filter(F.col("dt").between(F.lit(window.start), F.lit(window.end)))
        .join(labels_frame(spark, known_labels), on="account_id", how="inner")
        .select(*KEY_COLUMNS, *FEATURE_SET.names, LABEL)
    )
    return to_pandas(rows)


FIT, EARLY_STOPPING, CALIBRATION, PROMOTION = "fit", "early_stopping", "calibration", "promotion"
PARTS: tuple[str, ...] = (FIT, EARLY_STOPPING, CALIBRATION, PROMOTION)


@dataclass(frozen=True)
class TrainingWindows:
    """Four time windows of the labeled days, each used for one thing only.

    ``fit`` (the oldest days) fits the trees; ``early_stopping`` decides when to
    stop adding them; ``calibration`` chooses the flag rule's threshold and floor
    and reports the training metrics; ``promotion`` (the newest days) is never
    touched by training and is where ``promote`` compares versions. Reusing one
    window for all of them (as before) made every figure measured on it optimistic.
    """

    fit: DataWindow
    early_stopping: DataWindow
    calibration: DataWindow
    promotion: DataWindow

    def part_column(self):
        """A Spark column naming the window of each row's ``dt``."""
        dt = F.col("dt")
        return (
            F.when(dt < F.lit(self.early_stopping.start), F.lit(FIT))
            .when(dt < F.lit(self.calibration.start), F.lit(EARLY_STOPPING))
            .when(dt < F.lit(self.promotion.start), F.lit(CALIBRATION))
            .otherwise(F.lit(PROMOTION))
        )


def training_windows(
    days: list[date],
    early_stopping_days: int,
    calibration_days: int,
    promotion_days: int,
    min_fit_days: int,
) -> TrainingWindows:
    """Split the days that have labeled rows, newest last, into the four windows."""
    days = sorted(days)
    held = early_stopping_days + calibration_days + promotion_days
    if len(days) < held + min_fit_days:
        raise TrainingDataError(
            f"the training window has {len(days)} day(s) with labeled accounts; need at least "
            f"{held + min_fit_days}: {min_fit_days} to fit, {early_stopping_days} for early "
            f"stopping, {calibration_days} to choose the flag rule, {promotion_days} for promotion"
        )
    cut = len(days) - held
    return TrainingWindows(
        fit=DataWindow(days[0], days[cut - 1]),
        early_stopping=DataWindow(days[cut], days[cut + early_stopping_days - 1]),
        calibration=DataWindow(
            days[cut + early_stopping_days], days[cut + early_stopping_days + calibration_days - 1]
        ),
        promotion=DataWindow(days[len(days) - promotion_days], days[-1]),
    )
