"""Object-storage I/O and the lake's path layout.

``open_store(uri)`` gives a local-folder or an S3 (boto3) implementation of one
``ObjectStore`` interface; ``layout`` names every path under the lake root; and
``SparkLake`` makes lake prefixes readable and writable by Spark, either
directly (a local lake, or ``s3a://`` on a cluster with the hadoop-aws jars) or
by staging through a local folder with boto3.
"""

from lakeio.errors import LakeError
from lakeio.spark_io import SparkLake
from lakeio.store import LocalStore, ObjectStore, S3Store, open_store

__all__ = ["LakeError", "LocalStore", "ObjectStore", "S3Store", "SparkLake", "open_store"]
