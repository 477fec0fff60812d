"""The registered extraction model as MLflow serves it: the sweep's answer, not XGBoost's.

What ``hydrasweep train`` registers is a pyfunc model holding the booster (an
XGBoost model directory under its artifacts) and the flag rule (its
``model_config``, written from the same ``FlagRule`` as the MLmodel metadata
``models.scoring`` reads). ``predict`` on feature rows returns what
``score_day`` computes for them: the supervised ``model_score``, the label-free
``cluster_evidence_score``, the reviewers' ``score`` and ``flagged`` under the
version's rule. So ``mlflow models serve`` or ``mlflow.pyfunc.spark_udf`` on
``models:/hydrasweep-extraction@champion`` agree with the sweep.

Input: one row per account-day with the feature set's columns
(``features.feature_set.FEATURE_SET.names``); key columns (``account_id``,
``dt``, ``customer_id``, ``hydra_cluster_id``) may ride along and are ignored.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from mlflow.pyfunc.model import PythonModel, PythonModelContext

from models.tracking import BOOSTER_ARTIFACT

OUTPUT_COLUMNS = ("model_score", "cluster_evidence_score", "score", "flagged")
_KEYS = ("account_id", "dt", "customer_id", "hydra_cluster_id")


class SweepFlagModel(PythonModel):
    """The booster and the flag rule, applied as ``models.scoring.apply_model`` does."""

    def load_context(self, context: PythonModelContext) -> None:
        import mlflow.xgboost

        from models.scoring import FlagRule

        self.booster = mlflow.xgboost.load_model(context.artifacts[BOOSTER_ARTIFACT])
        self.booster.set_params(n_jobs=1)
        self.rule = FlagRule.from_metadata(context.model_config or {}, "the served model")

    def predict(
        self,
        context: PythonModelContext | None,
        model_input: pd.DataFrame,
        params: dict[str, Any] | None = None,
    ) -> pd.DataFrame:
        from models.scoring import apply_model

        rows = model_input.reset_index(drop=True).copy()
        for key in _KEYS:
            if key not in rows.columns:
                rows[key] = None
        scored = apply_model(self.booster, rows, self.rule, with_reasons=False)
        return scored[list(OUTPUT_COLUMNS)].reset_index(drop=True)
