"""One object-store interface with a local-folder and an S3 implementation.

Keys are relative to the lake root and always use ``/``. The S3 store uses
boto3 only; the standard ``AWS_ENDPOINT_URL``, ``AWS_ACCESS_KEY_ID``,
``AWS_SECRET_ACCESS_KEY`` and ``AWS_DEFAULT_REGION`` variables are honoured by
boto3 itself, so any S3-compatible server works.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import urlparse

from lakeio import layout
from lakeio.errors import LakeError


class ObjectStore(ABC):
    """What the pipeline needs from object storage, and nothing more."""

    uri: str

    @abstractmethod
    def list_keys(self, prefix: str = "") -> Iterator[str]:
        """Every key under ``prefix`` (recursive), in lexical order."""

    @abstractmethod
    def exists(self, key: str) -> bool: ...

    @abstractmethod
    def read_bytes(self, key: str) -> bytes: ...

    @abstractmethod
    def write_bytes(self, key: str, data: bytes, *, content_type: str | None = None) -> None:
        """Write the object at ``key``; ``content_type`` is kept where the store has one (S3)."""

    @abstractmethod
    def open_write(self, key: str) -> contextlib.AbstractContextManager[BinaryIO]:
        """A binary file to stream into; the object appears when the block exits cleanly."""

    @abstractmethod
    def delete_prefix(self, prefix: str) -> int:
        """Delete every key under ``prefix``; return how many were deleted."""

    @abstractmethod
    def download_prefix(self, prefix: str, dest: Path, keys: list[str] | None = None) -> list[Path]:
        """Mirror the keys under ``prefix`` (or only ``keys``, listed under it) into ``dest``.

        Relative paths are kept; a key whose name would land outside ``dest`` is
        refused (``staged_path``) before anything is written.
        """

    @abstractmethod
    def upload_dir(self, src: Path, prefix: str) -> int:
        """Replace everything under ``prefix`` with the files of folder ``src``."""

    @abstractmethod
    def list_children(self, prefix: str) -> list[str]:
        """Names of the immediate "sub-folders" of ``prefix`` (e.g. ``dt=2026-11-01``)."""

    # --- derived operations, the same for every implementation ----------------
    def partition_days(self, prefix: str) -> list[date]:
        """Days that have a ``dt=YYYY-MM-DD`` folder under ``prefix``, in order."""
        days = []
        for child in self.list_children(prefix):
            if child.startswith("dt="):
                try:
                    days.append(date.fromisoformat(child[3:]))
                except ValueError:
                    continue  # a stray folder is not a day
        return sorted(days)

    def list_days(self, dataset: str) -> list[date]:
        """Days that have a partition folder under ``raw/<dataset>/`` (complete or not)."""
        return self.partition_days(f"raw/{dataset}/")

    def read_json(self, key: str) -> Any:
        """The JSON document at ``key``, or ``None`` when there is none."""
        if not self.exists(key):
            return None
        return json.loads(self.read_bytes(key))

    def write_json(self, key: str, value: Any) -> None:
        """Write ``value`` as indented JSON (dates and paths as text)."""
        self.write_bytes(key, json.dumps(value, indent=2, default=str).encode())

    def day_complete(self, day: date) -> bool:
        """Both ``_SUCCESS`` markers of the day are present (CONTRACT section 1)."""
        return all(self.exists(layout.success_key(ds, day)) for ds in layout.RAW_DATASETS)

    def missing_markers(self, day: date) -> list[str]:
        return [
            layout.success_key(ds, day)
            for ds in layout.RAW_DATASETS
            if not self.exists(layout.success_key(ds, day))
        ]

    def raw_day_files(self, dataset: str, day: date) -> list[str]:
        """The day's data files (``*.jsonl.gz``) that can be read; see ``raw_day_listing``."""
        return self.raw_day_listing(dataset, day)[0]

    def raw_day_listing(self, dataset: str, day: date) -> tuple[list[str], dict[str, str]]:
        """The day's readable data files, and every other object set aside with its reason.

        Markers and hidden files (``_SUCCESS``, ``.tmp``) are neither. A file whose
        name would escape a local copy of the day (``..``, ``.`` or empty segments)
        is set aside, not read, so a producer's bad key costs one file, not the day.
        """
        prefix = layout.raw_day_prefix(dataset, day)
        files: list[str] = []
        set_aside: dict[str, str] = {}
        for key in self.list_keys(prefix):
            if key.rsplit("/", 1)[-1].startswith(("_", ".")) and unsafe_name(prefix, key) is None:
                continue
            reason = unsafe_name(prefix, key) or (
                None if key.endswith(".jsonl.gz") else "not a data file (*.jsonl.gz)"
            )
            if reason is None:
                files.append(key)
            else:
                set_aside[key] = reason
        return files, set_aside


def _as_prefix(prefix: str) -> str:
    prefix = prefix.lstrip("/")
    return prefix if not prefix or prefix.endswith("/") else prefix + "/"


def unsafe_name(prefix: str, key: str) -> str | None:
    """Why ``key`` (listed under ``prefix``) cannot be copied into a local folder, or None.

    Object keys are any string a producer chose: ``..``, ``.`` and empty segments
    (``a//b``, a leading ``/``) would land outside the folder or on top of
    another key's file, and a NUL cannot be in a file name.
    """
    relative = key[len(_as_prefix(prefix)) :]
    if not key.startswith(_as_prefix(prefix)) or not relative:
        return f"not a name under {prefix!r}"
    if "\x00" in relative:
        return "the name holds a NUL character"
    if any(part in ("", ".", "..") for part in relative.split("/")):
        return "the name has an empty, '.' or '..' segment (it would land outside the day's folder)"
    return None


def staged_path(dest: Path, prefix: str, key: str) -> Path:
    """Where ``key`` (under ``prefix``) lands in the local folder ``dest``; unsafe names refused."""
    reason = unsafe_name(prefix, key)
    target = Path(dest).joinpath(*key[len(_as_prefix(prefix)) :].split("/"))
    if reason is None and not target.resolve().is_relative_to(Path(dest).resolve()):
        reason = "it resolves outside the folder (a symbolic link on the way)"
    if reason is not None:
        raise LakeError(
            f"refusing to copy the object {key!r} into {dest}: {reason}; remove or rename it"
        )
    return target


def _staged_targets(
    store: ObjectStore, prefix: str, dest: Path, keys: list[str] | None
) -> dict[str, Path]:
    """Every key's local path, all checked before the first byte is copied."""
    return {
        key: staged_path(dest, prefix, key)
        for key in (store.list_keys(prefix) if keys is None else keys)
    }


class LocalStore(ObjectStore):
    """A lake in a local folder."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).expanduser().resolve()
        self.uri = self.root.as_uri()

    def path(self, key: str) -> Path:
        return self.root / key.lstrip("/")

    def list_keys(self, prefix: str = "") -> Iterator[str]:
        base = self.path(prefix)
        if base.is_file():
            yield prefix
            return
        if not base.is_dir():
            return
        found = []
        for dirpath, _dirnames, filenames in os.walk(base):
            for filename in filenames:
                found.append((Path(dirpath) / filename).relative_to(self.root).as_posix())
        yield from sorted(found)

    def list_children(self, prefix: str) -> list[str]:
        base = self.path(prefix)
        if not base.is_dir():
            return []
        return sorted(child.name for child in base.iterdir() if child.is_dir())

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def read_bytes(self, key: str) -> bytes:
        try:
            return self.path(key).read_bytes()
        except FileNotFoundError:
            raise LakeError(f"no object {key!r} in lake {self.uri}") from None

    def write_bytes(self, key: str, data: bytes, *, content_type: str | None = None) -> None:
        with self.open_write(key) as out:
            out.write(data)

    @contextlib.contextmanager
    def open_write(self, key: str) -> Iterator[BinaryIO]:
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        # Write beside the target and rename, so a reader never sees half an object.
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=target.name)
        try:
            with os.fdopen(fd, "wb") as out:
                yield out
            os.replace(tmp, target)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise

    def delete_prefix(self, prefix: str) -> int:
        base = self.path(prefix)
        if base.is_file():
            base.unlink()
            return 1
        if not base.is_dir():
            return 0
        count = sum(len(files) for _, _, files in os.walk(base))
        shutil.rmtree(base)
        return count

    def download_prefix(self, prefix: str, dest: Path, keys: list[str] | None = None) -> list[Path]:
        targets = _staged_targets(self, prefix, dest, keys)
        for key, target in targets.items():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(self.path(key), target)
        return list(targets.values())

    def upload_dir(self, src: Path, prefix: str) -> int:
        self.delete_prefix(prefix)
        count = 0
        for file in sorted(Path(src).rglob("*")):
            if file.is_file():
                target = self.path(_as_prefix(prefix) + file.relative_to(src).as_posix())
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(file, target)
                count += 1
        return count


class S3Store(ObjectStore):
    """A lake at ``s3://bucket/prefix``, through boto3."""

    def __init__(self, uri: str, client: object | None = None) -> None:
        parsed = urlparse(uri)
        if parsed.scheme != "s3" or not parsed.netloc:
            raise LakeError(f"not an s3:// URI: {uri!r}")
        self.bucket = parsed.netloc
        self.base = _as_prefix(parsed.path)
        self.uri = f"s3://{self.bucket}/{self.base}".rstrip("/")
        self.client = client if client is not None else _default_s3_client()

    def _key(self, key: str) -> str:
        return self.base + key.lstrip("/")

    def _error(self, exc: Exception, what: str) -> LakeError:
        from botocore.exceptions import ClientError, EndpointConnectionError, NoCredentialsError

        if isinstance(exc, ClientError):
            code = exc.response.get("Error", {}).get("Code", "")
            if code in ("NoSuchBucket", "404") and what == "bucket":
                return LakeError(f"S3 bucket {self.bucket!r} does not exist ({self.uri})")
            if code == "NoSuchBucket":
                return LakeError(f"S3 bucket {self.bucket!r} does not exist ({self.uri})")
            if code in ("NoSuchKey", "404"):
                return LakeError(f"no object {what!r} in lake {self.uri}")
            if code in ("AccessDenied", "403", "InvalidAccessKeyId", "SignatureDoesNotMatch"):
                return LakeError(f"access to {self.uri} denied ({code}): check AWS credentials")
            return LakeError(f"S3 error on {what!r} in {self.uri}: {code or exc}")
        if isinstance(exc, EndpointConnectionError):
            return LakeError(f"cannot reach the S3 endpoint for {self.uri}: {exc}")
        if isinstance(exc, NoCredentialsError):
            return LakeError(
                f"no AWS credentials for {self.uri}: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
            )
        return LakeError(f"S3 error on {what!r} in {self.uri}: {exc}")

    def check(self) -> None:
        """Fail with a clear message when the bucket is missing or unreachable."""
        try:
            self.client.head_bucket(Bucket=self.bucket)  # type: ignore[attr-defined]
        except Exception as exc:  # noqa: BLE001 - translated to a readable LakeError
            raise self._error(exc, "bucket") from exc

    def list_keys(self, prefix: str = "") -> Iterator[str]:
        paginator = self.client.get_paginator("list_objects_v2")  # type: ignore[attr-defined]
        try:
            for page in paginator.paginate(Bucket=self.bucket, Prefix=self._key(prefix)):
                for item in page.get("Contents", []):
                    yield item["Key"][len(self.base) :]
        except Exception as exc:  # noqa: BLE001
            raise self._error(exc, prefix) from exc

    def list_children(self, prefix: str) -> list[str]:
        prefix = _as_prefix(prefix)
        paginator = self.client.get_paginator("list_objects_v2")  # type: ignore[attr-defined]
        names = []
        try:
            for page in paginator.paginate(
                Bucket=self.bucket, Prefix=self._key(prefix), Delimiter="/"
            ):
                for common in page.get("CommonPrefixes", []):
                    names.append(common["Prefix"][len(self._key(prefix)) :].rstrip("/"))
        except Exception as exc:  # noqa: BLE001
            raise self._error(exc, prefix) from exc
        return sorted(names)

    def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=self._key(key))  # type: ignore[attr-defined]
            return True
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise self._error(exc, key) from exc

    def read_bytes(self, key: str) -> bytes:
        try:
            obj = self.client.get_object(Bucket=self.bucket, Key=self._key(key))  # type: ignore[attr-defined]
            return obj["Body"].read()
        except Exception as exc:  # noqa: BLE001
            raise self._error(exc, key) from exc

    def write_bytes(self, key: str, data: bytes, *, content_type: str | None = None) -> None:
        # A browser (or S3 website hosting) shows an HTML page only with its content type.
        extra = {"ContentType": content_type} if content_type else {}
        try:
            self.client.put_object(Bucket=self.bucket, Key=self._key(key), Body=data, **extra)  # type: ignore[attr-defined]
        except Exception as exc:  # noqa: BLE001
            raise self._error(exc, key) from exc

    @contextlib.contextmanager
    def open_write(self, key: str) -> Iterator[BinaryIO]:
        # Spool to a local temporary file, then upload_file (multipart for large objects).
        with tempfile.NamedTemporaryFile(prefix="hydrasweep-", suffix=".part") as spool:
            yield spool  # type: ignore[misc]
            spool.flush()
            try:
                self.client.upload_file(spool.name, self.bucket, self._key(key))  # type: ignore[attr-defined]
            except Exception as exc:  # noqa: BLE001
                raise self._error(exc, key) from exc

    def delete_prefix(self, prefix: str) -> int:
        return self._delete_keys(list(self.list_keys(prefix)), prefix)

    def _delete_keys(self, found: list[str], what: str) -> int:
        """Delete exactly these keys (never a prefix of them: ``part-1`` is not ``part-10``)."""
        keys = [self._key(key) for key in found]
        for start in range(0, len(keys), 1000):
            batch = [{"Key": key} for key in keys[start : start + 1000]]
            try:
                self.client.delete_objects(  # type: ignore[attr-defined]
                    Bucket=self.bucket, Delete={"Objects": batch, "Quiet": True}
                )
            except Exception as exc:  # noqa: BLE001
                raise self._error(exc, what) from exc
        return len(keys)

    def download_prefix(self, prefix: str, dest: Path, keys: list[str] | None = None) -> list[Path]:
        targets = _staged_targets(self, prefix, dest, keys)
        for key, target in targets.items():
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                self.client.download_file(self.bucket, self._key(key), str(target))  # type: ignore[attr-defined]
            except Exception as exc:  # noqa: BLE001
                raise self._error(exc, key) from exc
        return list(targets.values())

    def upload_dir(self, src: Path, prefix: str) -> int:
        prefix = _as_prefix(prefix)
        files = {
            file.relative_to(src).as_posix(): file
            for file in Path(src).rglob("*")
            if file.is_file()
        }
        stale = [key for key in self.list_keys(prefix) if key[len(prefix) :] not in files]
        for rel, file in sorted(files.items()):
            try:
                self.client.upload_file(str(file), self.bucket, self._key(prefix + rel))  # type: ignore[attr-defined]
            except Exception as exc:  # noqa: BLE001
                raise self._error(exc, prefix + rel) from exc
        self._delete_keys(stale, prefix)
        return len(files)


def _default_s3_client() -> object:
    import boto3
    from botocore.config import Config

    # boto3 reads AWS_ENDPOINT_URL, credentials and region from the environment itself.
    config = Config(
        retries={"max_attempts": 5, "mode": "standard"}, s3={"addressing_style": "auto"}
    )
    return boto3.session.Session().client("s3", config=config)


def open_store(uri: str, *, check: bool = True) -> ObjectStore:
    """The store for a lake root URI: ``s3://bucket/prefix``, ``file://...`` or a folder."""
    parsed = urlparse(uri)
    if parsed.scheme == "s3":
        store = S3Store(uri)
        if check:
            store.check()
        return store
    if parsed.scheme == "file":
        return LocalStore(Path(parsed.path))
    if parsed.scheme in ("",) or (len(parsed.scheme) == 1 and os.name == "nt"):
        return LocalStore(Path(uri))
    raise LakeError(f"unsupported lake URI {uri!r}: use a folder, file:// or s3://")
