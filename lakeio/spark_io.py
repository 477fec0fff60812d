"""Make lake prefixes readable and writable by Spark.

Three ways, chosen by configuration at the edge:

- a local lake: Spark reads and writes the folder itself (``file://``);
- an ``s3://`` lake on a cluster that has the hadoop-aws jars (``direct_s3a``):
  Spark reads and writes ``s3a://bucket/prefix/...`` directly;
- an ``s3://`` lake with the pip pyspark (no s3a jars): ``stage`` mirrors a
  prefix into a local scratch folder with boto3 before Spark reads it, and
  ``publish`` replaces the prefix in the bucket with what Spark wrote there.

Jobs always go through ``uri``/``stage``/``publish`` so the same code runs in
all three.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from lakeio.store import LocalStore, ObjectStore, S3Store, _as_prefix


class SparkLake:
    def __init__(self, store: ObjectStore, scratch_dir: Path, *, direct_s3a: bool = False) -> None:
        self.store = store
        self.scratch_dir = Path(scratch_dir).resolve() / "lake-stage"
        self.direct_s3a = direct_s3a

    @property
    def staged(self) -> bool:
        return isinstance(self.store, S3Store) and not self.direct_s3a

    def uri(self, prefix: str) -> str:
        """Where Spark finds ``prefix`` (after ``stage``) and writes it (before ``publish``)."""
        prefix = _as_prefix(prefix).rstrip("/")
        if isinstance(self.store, LocalStore):
            return _file_uri(self.store.root / prefix)
        if isinstance(self.store, S3Store) and self.direct_s3a:
            return f"s3a://{self.store.bucket}/{self.store.base}{prefix}"
        return _file_uri(self.scratch_dir / prefix)

    def local_path(self, prefix: str) -> Path | None:
        """The local folder behind ``uri(prefix)``, when there is one."""
        prefix = _as_prefix(prefix).rstrip("/")
        if isinstance(self.store, LocalStore):
            return self.store.root / prefix
        if self.staged:
            return self.scratch_dir / prefix
        return None

    def stage(self, prefix: str) -> str:
        """Make ``prefix`` readable by Spark and return its URI."""
        if self.staged:
            target = self.scratch_dir / _as_prefix(prefix).rstrip("/")
            if target.exists():
                shutil.rmtree(target)
            target.mkdir(parents=True, exist_ok=True)
            self.store.download_prefix(prefix, target)
        return self.uri(prefix)

    def publish(self, prefix: str) -> None:
        """After Spark wrote ``uri(prefix)``, make the store hold exactly that."""
        if self.staged:
            source = self.scratch_dir / _as_prefix(prefix).rstrip("/")
            self.store.upload_dir(source, prefix)


def _file_uri(path: Path) -> str:
    # Not Path.as_uri(): it percent-encodes "=" (dt=2026-11-03 -> dt%3D2026-11-03),
    # and Hadoop takes the escaped name literally, so a partition folder would not
    # be found. Hadoop's Path parses an unescaped file: URI correctly.
    return "file://" + path.resolve().as_posix()
