"""The model lifecycle: point-in-time training sets, XGBoost training, evaluation,
MLflow tracking, alias-based promotion and scoring with reasons.

Entry points for the flows: ``models.train.train_challenger(spark, TrainParams)``,
``models.promotion.promote(spark, PromoteParams)`` / ``rollback(PromoteParams)`` and
``models.scoring.score_day(spark, ScoreParams)``. Everything else is a pure
function over pandas or Spark frames so that it can be tested on small inline data.
"""
