"""Spark jobs. Each is extract -> pure transforms (from ``features``) -> load,
with ``run(spark, params)`` for the flows and ``main(argv)`` for spark-submit."""
