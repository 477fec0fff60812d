"""Object-storage I/O and the lake's path layout.

``open_store(uri)`` gives a local-folder or an S3 (boto3) implementation of one
``ObjectStore`` interface; ``layout`` names every path under the lake root;
``LakeRef`` says where the lake is and how Spark reaches it, and ``SparkLake``
makes lake prefixes readable and writable by Spark, either directly (a local
lake, or ``s3a://`` on a cluster with the hadoop-aws jars) or by staging
through a local folder with boto3. ``lakeio.tables.LakeTables`` (imported from
there: it needs Spark) is the one door to the day-partitioned tables, and
``lakeio.reports.StageSummary`` the convention every stage's result follows.
"""

from lakeio.errors import LakeError
from lakeio.spark_io import LakeRef, SparkLake
from lakeio.store import LocalStore, ObjectStore, S3Store, open_store

__all__ = [
    "LakeError",
    "LakeRef",
    "LocalStore",
    "ObjectStore",
    "S3Store",
    "SparkLake",
    "open_store",
]
