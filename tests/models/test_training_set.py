"""Point in time: nothing dated after the cut-off can enter the training set."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from pyspark.sql import types as T

from features.feature_set import FEATURE_SET, KEY_COLUMNS
from models.errors import TrainingDataError
from models.labels import parse_label_lines
from models.training_set import split_by_time, training_rows

CUTOFF = date(2026, 3, 10)


def assert_same_rows(actual, expected) -> None:
    """Whole-frame equality: column names and types, then every row (order ignored).

    ``pyspark.testing.assertDataFrameEqual`` cannot be used with pandas 3: it
    imports ``pyspark.pandas``, which fails to import (``DateOffset``).
    """
    assert [(f.name, f.dataType) for f in actual.schema] == [
        (f.name, f.dataType) for f in expected.schema
    ]
    assert sorted(actual.collect()) == sorted(expected.collect())


def _feature_rows(spark, rows: list[tuple[str, date, float]]):
    """Feature rows where every feature is ``marker`` (so a row is recognisable)."""
    schema = T.StructType(
        [
            T.StructField("account_id", T.StringType()),
            T.StructField("dt", T.DateType()),
            T.StructField("customer_id", T.StringType()),
            T.StructField("hydra_cluster_id", T.StringType()),
            *[T.StructField(name, T.DoubleType()) for name in FEATURE_SET.names],
        ]
    )
    data = [
        (account, day, f"c-{account}", None, *[marker] * len(FEATURE_SET.names))
        for account, day, marker in rows
    ]
    return spark.createDataFrame(data, schema)


def test_features_and_labels_after_the_cutoff_cannot_enter(spark) -> None:
    features = _feature_rows(
        spark,
        [
            ("abuser", date(2026, 3, 8), 1.0),
            ("abuser", date(2026, 3, 10), 2.0),  # the cut-off day itself is known
            ("abuser", date(2026, 3, 11), 99.0),  # after the cut-off: must not enter
            ("late-labeled", date(2026, 3, 9), 3.0),  # its label arrives after the cut-off
            ("flipped", date(2026, 3, 9), 4.0),  # legit at the cut-off, abuse only later
            ("unlabeled", date(2026, 3, 9), 5.0),
            ("old", date(2026, 2, 20), 6.0),  # before the window
            ("old", date(2026, 3, 7), 7.0),
        ],
    )
    labels = parse_label_lines(
        {
            "labels/l.jsonl": b"\n".join(
                [
                    b'{"account_id": "abuser", "label": 1, "labeled_at": "2026-03-10T23:00:00Z", "source": "e"}',
                    b'{"account_id": "late-labeled", "label": 1, "labeled_at": "2026-03-11T00:00:01Z", "source": "e"}',
                    b'{"account_id": "flipped", "label": 0, "labeled_at": "2026-03-02", "source": "r"}',
                    b'{"account_id": "flipped", "label": 1, "labeled_at": "2026-03-12", "source": "e"}',
                    b'{"account_id": "old", "label": 0, "labeled_at": "2026-03-01", "source": "r"}',
                ]
            )
        }
    ).frame

    def expected(account: str, day: date, marker: float, label: int, weight: float, labeled: bool):
        return (
            account,
            day,
            f"c-{account}",
            None,
            *[marker] * len(FEATURE_SET.names),
            label,
            weight,
            labeled,
        )

    schema = T.StructType(
        [
            *features.schema.fields,
            T.StructField("label", T.IntegerType()),
            T.StructField("weight", T.DoubleType()),
            T.StructField("labeled", T.BooleanType()),
        ]
    )
    known_rows = [
        expected("abuser", date(2026, 3, 8), 1.0, 1, 0.5, True),
        expected("abuser", date(2026, 3, 10), 2.0, 1, 0.5, True),
        expected("flipped", date(2026, 3, 9), 4.0, 0, 1.0, True),
        expected("old", date(2026, 3, 7), 7.0, 0, 1.0, True),
    ]
    labeled_only = training_rows(spark, features, labels, CUTOFF, window_days=7)
    assert_same_rows(labeled_only, spark.createDataFrame(known_rows, schema))
    assert list(labeled_only.columns) == [
        *KEY_COLUMNS,
        *FEATURE_SET.names,
        "label",
        "weight",
        "labeled",
    ]

    # Presumed legitimate when unlabeled at the cut-off, even if abuse is known later.
    with_unlabeled = training_rows(
        spark, features, labels, CUTOFF, window_days=7, unlabeled_weight=0.2
    )
    unlabeled_rows = [
        expected("late-labeled", date(2026, 3, 9), 3.0, 0, 0.2, False),
        expected("unlabeled", date(2026, 3, 9), 5.0, 0, 0.2, False),
    ]
    assert_same_rows(with_unlabeled, spark.createDataFrame(known_rows + unlabeled_rows, schema))


def _frame(days_labels: list[tuple[date, int]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "account_id": [f"a{i}" for i in range(len(days_labels))],
            "dt": [d for d, _ in days_labels],
            "label": [lab for _, lab in days_labels],
        }
    )


def test_time_split_validates_on_the_last_days_only() -> None:
    frame = _frame([(date(2026, 3, d), d % 2) for d in range(1, 9)] + [(date(2026, 3, 8), 0)])
    split = split_by_time(frame, validation_days=2)
    assert split.validation_window.start == date(2026, 3, 7)
    assert max(split.train["dt"]) < min(split.validation["dt"])
    assert sorted(set(split.validation["dt"])) == [date(2026, 3, 7), date(2026, 3, 8)]
    assert len(split.train) + len(split.validation) == len(frame)


def test_time_split_names_the_missing_class() -> None:
    frame = _frame([(date(2026, 3, d), 1 if d < 5 else 0) for d in range(1, 8)])
    with pytest.raises(TrainingDataError, match=r"validation days .* no positive \(label 1\)"):
        split_by_time(frame, validation_days=2)


def test_unlabeled_accounts_take_their_clusters_known_abuse_and_nothing_later(spark) -> None:
    day, later = date(2026, 3, 9), date(2026, 3, 10)
    rows = [
        # (account, day, cluster)
        ("enforced", day, "hc-campaign"),
        ("running", day, "hc-campaign"),  # same cluster, never enforced: abusive
        ("running", later, None),  # a day outside any cluster keeps the PU default
        ("cleared", day, "hc-mixed"),  # a reviewer cleared an account of this cluster
        ("enforced-2", day, "hc-mixed"),
        ("neighbour", day, "hc-mixed"),  # known abuse and known legitimate: no cluster label
        ("early", day, "hc-later"),  # its cluster's abuse is known only after the cut-off
        ("late-enforced", day, "hc-later"),
    ]
    schema = T.StructType(
        [
            T.StructField("account_id", T.StringType()),
            T.StructField("dt", T.DateType()),
            T.StructField("customer_id", T.StringType()),
            T.StructField("hydra_cluster_id", T.StringType()),
            *[T.StructField(name, T.DoubleType()) for name in FEATURE_SET.names],
        ]
    )
    features = spark.createDataFrame(
        [(a, d, f"c-{a}", c, *[1.0] * len(FEATURE_SET.names)) for a, d, c in rows], schema
    )
    labels = parse_label_lines(
        {
            "labels/l.jsonl": b"\n".join(
                [
                    b'{"account_id": "enforced", "label": 1, "labeled_at": "2026-03-09", "source": "e"}',
                    b'{"account_id": "enforced-2", "label": 1, "labeled_at": "2026-03-09", "source": "e"}',
                    b'{"account_id": "cleared", "label": 0, "labeled_at": "2026-03-09", "source": "r"}',
                    b'{"account_id": "late-enforced", "label": 1, "labeled_at": "2026-03-11", "source": "e"}',
                ]
            )
        }
    ).frame

    def outcome(**weights):
        got = training_rows(spark, features, labels, later, window_days=7, **weights)
        return {
            (r["account_id"], r["dt"]): (r["label"], round(r["weight"], 6), r["labeled"])
            for r in got.collect()
        }

    assert outcome(unlabeled_weight=0.1, cluster_label_weight=0.5) == {
        ("enforced", day): (1, 1.0, True),
        ("enforced-2", day): (1, 1.0, True),
        ("cleared", day): (0, 1.0, True),
        # Two days: 0.5 (cluster label) and 0.1 (presumed legitimate), each over 2 rows.
        ("running", day): (1, 0.25, False),
        ("running", later): (0, 0.05, False),
        ("neighbour", day): (0, 0.1, False),
        ("early", day): (0, 0.1, False),
        ("late-enforced", day): (0, 0.1, False),
    }
    # Without cluster labels the unlabeled stay presumed legitimate; with neither
    # weight only the accounts' own labels remain.
    assert outcome(unlabeled_weight=0.1)[("running", day)] == (0, 0.05, False)
    assert set(outcome()) == {("enforced", day), ("enforced-2", day), ("cleared", day)}
    assert outcome(cluster_label_weight=0.5)[("running", day)] == (1, 0.5, False)
