"""Make lake prefixes readable and writable by Spark.

Three ways, chosen by configuration at the edge:

- a local lake: Spark reads and writes the folder itself (``file://``);
- an ``s3://`` lake on a cluster that has the hadoop-aws jars (``direct_s3a``):
  Spark reads and writes ``s3a://bucket/prefix/...`` directly;
- an ``s3://`` lake with the pip pyspark (no s3a jars): ``stage`` mirrors a
  prefix into a local scratch folder with boto3 before Spark reads it, and
  ``publish`` replaces the prefix in the bucket with what Spark wrote there.

``LakeRef`` is the plain, serialisable description of all that (lake URI,
scratch folder, direct s3a) that every job's parameters carry; jobs reach day
partitions through ``lakeio.tables.LakeTables``, which goes through
``uri``/``stage``/``promote`` here, so the same code runs in all three.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from lakeio.store import LocalStore, ObjectStore, S3Store, _as_prefix, open_store


@dataclass(frozen=True)
class LakeRef:
    """Where the lake is and how Spark reaches it; built once by the flows' runtime."""

    uri: str  # lake root: a folder, file:// or s3://bucket/prefix
    scratch_dir: str  # local folder for staging an s3:// lake and other scratch files
    direct_s3a: bool = False  # Spark reads and writes s3a:// itself (cluster with hadoop-aws)

    def store(self) -> ObjectStore:
        return open_store(self.uri)

    def spark_lake(self) -> SparkLake:
        return SparkLake(self.store(), Path(self.scratch_dir), direct_s3a=self.direct_s3a)


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

    def stage(self, prefix: str, keys: list[str] | None = None) -> str:
        """Make ``prefix`` (or only ``keys`` under it) readable by Spark; return its URI."""
        if self.staged:
            target = self.scratch_dir / _as_prefix(prefix).rstrip("/")
            if target.exists():
                shutil.rmtree(target)
            target.mkdir(parents=True, exist_ok=True)
            self.store.download_prefix(prefix, target, keys)
        return self.uri(prefix)

    def unstage(self, prefix: str) -> None:
        """Drop the local mirror of a staged prefix (the lake keeps it)."""
        if self.staged:
            shutil.rmtree(self.scratch_dir / _as_prefix(prefix).rstrip("/"), ignore_errors=True)

    def publish(self, prefix: str) -> None:
        """After Spark wrote ``uri(prefix)``, make the store hold exactly that."""
        if self.staged:
            source = self.scratch_dir / _as_prefix(prefix).rstrip("/")
            self.store.upload_dir(source, prefix)

    def discard(self, prefix: str) -> None:
        """Remove a prefix from the lake (and from its local mirror when staged)."""
        self.store.delete_prefix(prefix)
        local = self.local_path(prefix)
        if local is not None:
            shutil.rmtree(local, ignore_errors=True)

    def promote(self, staging_prefix: str, final_prefix: str) -> None:
        """Replace ``final_prefix`` with the Parquet parts Spark wrote to ``staging_prefix``.

        Parts get fixed names (``part-00000.parquet``...) in Spark's part order, so a
        rerun writes the same keys; Spark's markers and checksums are left behind.
        """
        staging_dir = self.local_path(staging_prefix)
        if staging_dir is None:
            self._promote_by_copy(staging_prefix, final_prefix)
            return
        ready = staging_dir.parent / f"{staging_dir.name}.ready"
        shutil.rmtree(ready, ignore_errors=True)
        ready.mkdir(parents=True)
        for number, part in enumerate(sorted(staging_dir.glob("part-*.parquet"))):
            os.replace(part, ready / f"part-{number:05d}.parquet")
        final_dir = self.local_path(final_prefix)
        assert final_dir is not None  # a local staging folder means a local final one
        final_dir.parent.mkdir(parents=True, exist_ok=True)
        # Swap whole folders (renames on one file system), so a reader of a local
        # lake sees the old partition or the new one, never a mix.
        retired = staging_dir.parent / f"{staging_dir.name}.retired"
        shutil.rmtree(retired, ignore_errors=True)
        if final_dir.exists():
            os.replace(final_dir, retired)
        os.replace(ready, final_dir)
        shutil.rmtree(retired, ignore_errors=True)
        shutil.rmtree(staging_dir, ignore_errors=True)
        if self.staged:
            self.publish(final_prefix)  # upload, then drop the local mirror
            shutil.rmtree(final_dir, ignore_errors=True)

    def _promote_by_copy(self, staging_prefix: str, final_prefix: str) -> None:
        # s3a:// written directly by Spark: copy object by object through the store.
        final_prefix = _as_prefix(final_prefix)
        parts = sorted(
            key
            for key in self.store.list_keys(staging_prefix)
            if key.rsplit("/", 1)[-1].startswith("part-")
        )
        self.store.delete_prefix(final_prefix)
        for number, key in enumerate(parts):
            self.store.write_bytes(
                f"{final_prefix}part-{number:05d}.parquet", self.store.read_bytes(key)
            )
        self.store.delete_prefix(staging_prefix)


def _file_uri(path: Path) -> str:
    # Not Path.as_uri(): it percent-encodes "=" (dt=2026-11-03 -> dt%3D2026-11-03),
    # and Hadoop takes the escaped name literally, so a partition folder would not
    # be found. Hadoop's Path parses an unescaped file: URI correctly.
    return "file://" + path.resolve().as_posix()
