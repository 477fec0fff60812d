"""Joins that keep one hot key from landing in one task.

Adaptive execution, which splits skewed join partitions, is off by default
(``jobs.session.SparkConfig.adaptive``: it submitted most of a day's Spark jobs),
and hash partitioning sends every row of one key to one task. A hydra cluster is
exactly such a key: a 20,000-account network is most of a day's clustered
accounts, and every join of account rows to their cluster's row ran in one task
(bench/bench_skew.py). Null keys are one key too: a left join on a key that most
rows lack (accounts in no cohort) put all of those rows in one task.
"""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

SALT = "_salt"
SALTS_PER_PARTITION = 4


def shuffle_partitions(frame: DataFrame) -> int:
    return int(frame.sparkSession.conf.get("spark.sql.shuffle.partitions") or 8)


def salted_join(
    large: DataFrame, small: DataFrame, on: str | list[str], spread_by: str, how: str = "inner"
) -> DataFrame:
    """``large.join(small, on, how)`` with each key's rows of ``large`` spread over tasks.

    ``small`` holds at most a few rows per key (a cluster's or a cohort's own row);
    it is copied once per salt, and each row of ``large`` takes the salt its
    ``spread_by`` value hashes to, so one key's rows go to every task of the
    join. For ``inner``, ``left`` and ``left_semi`` joins the result is the plain
    join's: every row of ``large`` meets each match of its key exactly once.
    """
    if how not in ("inner", "left", "left_semi"):
        raise ValueError(f"salted_join supports inner, left and left_semi joins, not {how}")
    keys = [on] if isinstance(on, str) else list(on)
    partitions = shuffle_partitions(large)
    # More salts than tasks: (key, salt) pairs hash onto tasks unevenly, and with one salt
    # per task a hot key's share of the largest task was 3x the even share (37% of 8).
    salts = SALTS_PER_PARTITION * partitions
    spread = large.withColumn(SALT, F.pmod(F.xxhash64(spread_by), F.lit(salts)).cast("int"))
    copies = small.withColumn(SALT, F.explode(F.sequence(F.lit(0), F.lit(salts - 1))))
    # Partitioned by both columns explicitly: whatever partitioning a side already has
    # (or a broadcast of the other, large side), the hot key's rows move to many tasks.
    return (
        spread.repartition(partitions, *keys, SALT)
        .join(copies.repartition(partitions, *keys, SALT), on=[*keys, SALT], how=how)
        .drop(SALT)
    )
