from pyspark.sql import functions as F

from features.skew import salted_join


def _hot_and_null_keys(spark):
    # 80 rows of one key (a giant cluster), 15 without a key (no cohort), 5 of another.
    large = spark.createDataFrame(
        [(f"a{i:03d}", "hot" if i < 80 else None if i < 95 else "cold") for i in range(100)],
        "account_id string, key string",
    )
    small = spark.createDataFrame([("hot", 80), ("cold", 5)], "key string, size int")
    return large, small


def test_salted_join_is_the_plain_join(spark):
    large, small = _hot_and_null_keys(spark)
    for how in ("inner", "left", "left_semi"):
        salted = salted_join(large, small, on="key", spread_by="account_id", how=how)
        plain = large.join(small, on="key", how=how)
        assert sorted(map(repr, salted.select(*plain.columns).collect())) == sorted(
            map(repr, plain.collect())
        )
    assert salted_join(large, small, on="key", spread_by="account_id").count() == 85


def test_salted_join_spreads_a_hot_key_and_null_keys_over_tasks(spark):
    large, small = _hot_and_null_keys(spark)

    def largest_task(joined) -> int:
        per_task = joined.groupBy(F.spark_partition_id().alias("task")).count().collect()
        return max(row["count"] for row in per_task)

    previous = spark.conf.get("spark.sql.shuffle.partitions")
    spark.conf.set("spark.sql.shuffle.partitions", "8")  # the product's default
    try:
        plain = large.join(small, on="key", how="left")
        assert largest_task(plain) >= 80  # one task holds the hot key
        salted = salted_join(large, small, on="key", spread_by="account_id", how="left")
        assert largest_task(salted) <= 30  # even: 12 of 95
        # A side already hash-partitioned by the key alone satisfies a join on (key,
        # salt): the salt must still move its rows.
        partitioned = large.repartition(4, "key")
        assert largest_task(salted_join(partitioned, small, on="key", spread_by="account_id")) <= 30
    finally:
        spark.conf.set("spark.sql.shuffle.partitions", previous)
