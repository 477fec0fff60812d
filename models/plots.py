"""Figures a person opens in the MLflow UI: PR curve, score histogram, importances.

Matplotlib with the Agg backend (no display on servers); each function returns a
``Figure`` that the caller logs with ``mlflow.log_figure`` and closes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from sklearn.metrics import precision_recall_curve  # noqa: E402

TOP_FEATURES = 20


def pr_curve(labels: pd.Series, curves: dict[str, pd.Series], target_precision: float) -> Figure:
    """Precision against recall for each named score, with the target precision marked."""
    fig, ax = plt.subplots(figsize=(6, 5))
    for name, scores in curves.items():
        precision, recall, _ = precision_recall_curve(labels, scores)
        ax.plot(recall, precision, label=name)
    ax.axhline(target_precision, color="grey", linestyle="--", label=f"target {target_precision:g}")
    ax.set(
        xlabel="recall",
        ylabel="precision",
        xlim=(0, 1.01),
        ylim=(0, 1.01),
        title="Validation precision-recall (account-days)",
    )
    ax.legend(loc="lower left")
    fig.tight_layout()
    return fig


def score_histogram(labels: pd.Series, scores: pd.Series, threshold: float) -> Figure:
    """Supervised score distribution of legitimate and abusive account-days (log counts)."""
    fig, ax = plt.subplots(figsize=(6, 4))
    bins = np.linspace(0, 1, 41)
    ax.hist(scores[labels == 0], bins=list(bins), alpha=0.6, label="legitimate (0)", log=True)
    ax.hist(scores[labels == 1], bins=list(bins), alpha=0.6, label="abuse (1)", log=True)
    if threshold <= 1.0:  # else the model never flags alone (models.scoring.MODEL_NEVER_ALONE)
        ax.axvline(threshold, color="black", linestyle="--", label=f"threshold {threshold:.3f}")
    ax.set(xlabel="model score", ylabel="account-days", title="Validation score histogram")
    ax.legend()
    fig.tight_layout()
    return fig


def _bar(values: pd.Series, title: str, xlabel: str) -> Figure:
    top = values.sort_values(ascending=True).tail(TOP_FEATURES)
    fig, ax = plt.subplots(figsize=(7, max(3, 0.3 * len(top) + 1)))
    ax.barh(top.index, top.to_numpy())
    ax.set(title=title, xlabel=xlabel)
    fig.tight_layout()
    return fig


def feature_importance(gain: Mapping[str, Any], feature_names: list[str]) -> Figure:
    """``gain``: XGBoost's ``get_score`` of a gain type, a number per feature."""
    values = pd.Series({name: gain.get(name, 0.0) for name in feature_names})
    return _bar(values, "Feature importance (total gain)", "total gain")


def contribution_summary(contributions: np.ndarray, feature_names: list[str]) -> Figure:
    """Mean absolute SHAP value per feature on validation rows."""
    values = pd.Series(np.abs(contributions).mean(axis=0), index=feature_names)
    return _bar(values, "SHAP summary: mean |contribution| (log-odds)", "mean |SHAP value|")
