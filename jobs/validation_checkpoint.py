"""The ingest gate's Great Expectations Checkpoints: their stores in the lake, their actions.

Every day's validation results go to one results store, and one Data Docs site
is rendered from them, both under ``reports/validation/gx/`` of the lake
(``lakeio.layout``): the site's index lists every validated day, and a day's
pages stay where its alert and its ingest summary point. A result is keyed by
suite, run name (``ingest-D``), run time and batch, so a day writes only keys
of its own; a rerun of a day first removes its earlier pages and results
(``forget_day``), so the site shows what the lake holds now, as the per-day
``validation_result.json`` does.

On a local lake GX's own filesystem backend writes straight into the lake
folder. GX 1.x no longer ships an S3 backend, so on an S3 lake
``LakeStoreBackend`` is GX's tuple store over the lake's ``ObjectStore``: the
same boto3 client, endpoint, credentials and retries as every other lake
write, one object per key, nothing mirrored. A local mirror synced around each
run was the alternative; it would download the whole site (every page of every
day) before each run, since the index is built from the pages present, and
its upload could overwrite what another run wrote meanwhile.

The index is the one object days share. GX rebuilds it from the pages it
lists and, by default, deletes each page whose result it did not see: with a
day being written beside it, that could delete the other day's fresh page.
``KeepingSiteIndexBuilder`` deletes nothing (``forget_day`` removes what is
stale), and ``SerialUpdateDataDocsAction`` builds one site update at a time in
a process, so the days a backfill validates in threads all reach the index.
Two processes validating different days at the same instant are not
serialised: the index written last may miss the other's day until the next
validation rebuilds it; the pages and results themselves are never lost.

This module imports GX at load time (its classes subclass GX's), so
``jobs.validation`` imports it only when it validates.
"""

from __future__ import annotations

import logging
import threading
from datetime import date
from typing import Any, Literal

from great_expectations.checkpoint import UpdateDataDocsAction
from great_expectations.checkpoint.actions import ActionContext, ValidationAction
from great_expectations.checkpoint.checkpoint import CheckpointResult
from great_expectations.data_context.store.tuple_store_backend import TupleStoreBackend
from great_expectations.data_context.types.base import (
    DataContextConfig,
    InMemoryStoreBackendDefaults,
)
from great_expectations.data_context.types.resource_identifiers import (
    ValidationResultIdentifier,
)
from great_expectations.exceptions import InvalidKeyError
from great_expectations.render.renderer.site_builder import DefaultSiteIndexBuilder

from jobs.webhooks import post_json
from lakeio import LakeError, LocalStore, ObjectStore, layout, open_store

log = logging.getLogger(__name__)

SITE_NAME = "ingest"
WEBHOOK_TIMEOUT_SECONDS = 10.0

# One Data Docs update at a time in this process (see the module docstring).
_DATA_DOCS_LOCK = threading.Lock()


def run_name(day: date) -> str:
    """The GX run name of a day's validation: results and pages of the day are under it."""
    return f"ingest-{day.isoformat()}"


def page_key(result: ValidationResultIdentifier) -> str:
    """The lake key of the site's page of one validation result.

    GX's HTML site store lays pages out as ``validations/<suite>/<run name>/<run
    time>/<batch id>.html`` under the site's root.
    """
    return f"{layout.GX_DATA_DOCS}validations/{'/'.join(result.to_tuple())}.html"


def lake_url(lake_uri: str, key: str) -> str:
    """What a person opens for a lake key: ``file://...`` or ``s3://...``."""
    return f"{lake_uri.rstrip('/')}/{key}"


def forget_day(store: ObjectStore, day: date, suites: list[str]) -> None:
    """Remove an earlier validation of ``day``: its pages first, then its results.

    In that order an index built in between lists no page whose result is gone.
    """
    for root in (f"{layout.GX_DATA_DOCS}validations/", layout.GX_VALIDATION_RESULTS):
        for suite in suites:
            store.delete_prefix(f"{root}{suite}/{run_name(day)}/")


def context_config(store: ObjectStore) -> DataContextConfig:
    """An ephemeral context's configuration: suites and checkpoints in memory, results
    and the Data Docs site in the lake."""
    config = DataContextConfig(store_backend_defaults=InMemoryStoreBackendDefaults())
    config.stores[config.validation_results_store_name]["store_backend"] = _store_backend(
        store, layout.GX_VALIDATION_RESULTS
    )
    config.data_docs_sites = {
        SITE_NAME: {
            "class_name": "SiteBuilder",
            "show_how_to_buttons": False,
            "store_backend": _store_backend(store, layout.GX_DATA_DOCS),
            "site_index_builder": {
                "module_name": __name__,
                "class_name": KeepingSiteIndexBuilder.__name__,
            },
            # A day's suite holds that day's bounds (its timestamps, its volume), so a
            # site-wide suite page would show only the last day's; each validation page
            # shows the expectations it checked.
            "site_section_builders": {"expectations": "None", "profiling": "None"},
        }
    }
    return config


def _store_backend(store: ObjectStore, prefix: str) -> dict[str, Any]:
    if isinstance(store, LocalStore):
        return {
            "class_name": "TupleFilesystemStoreBackend",
            "base_directory": str(store.path(prefix)),
            "suppress_store_backend_id": True,
        }
    return {
        "module_name": __name__,
        "class_name": LakeStoreBackend.__name__,
        "lake_uri": store.uri,
        "prefix": prefix,
        "suppress_store_backend_id": True,
    }


def expectation_label(expectation_config: Any) -> str:
    """How reports name an expectation: ``expect_column_values_to_be_unique(request_id)``."""
    column = expectation_config.kwargs.get("column")
    return f"{expectation_config.type}({column})" if column else expectation_config.type


class LakeStoreBackend(TupleStoreBackend):
    """GX's tuple store on the lake's ``ObjectStore``, for lakes GX has no backend for (S3).

    Keys map to objects under ``prefix`` of the lake as GX's filesystem backend
    maps them to files under its folder, always with ``/``.
    """

    # GX instantiates store backends with these keywords (the site store adds its own).
    def __init__(
        self,
        lake_uri: str,
        prefix: str,
        filepath_template: str | None = None,
        filepath_prefix: str | None = None,
        filepath_suffix: str | None = None,
        forbidden_substrings: list[str] | None = None,
        platform_specific_separator: bool = False,
        fixed_length_key: bool = False,
        suppress_store_backend_id: bool = False,
        manually_initialize_store_backend_id: str = "",
        base_public_path: str | None = None,
        store_name: str | None = None,
    ) -> None:
        self._lake = open_store(lake_uri, check=False)
        self._prefix = prefix if prefix.endswith("/") else f"{prefix}/"
        super().__init__(
            filepath_template=filepath_template,
            filepath_prefix=filepath_prefix,
            filepath_suffix=filepath_suffix,
            forbidden_substrings=forbidden_substrings,
            # Object keys use "/" whatever the platform.
            platform_specific_separator=False,
            fixed_length_key=fixed_length_key,
            suppress_store_backend_id=suppress_store_backend_id,
            manually_initialize_store_backend_id=manually_initialize_store_backend_id,
            base_public_path=base_public_path,
            store_name=store_name,
        )
        self._config = {
            name: value
            for name, value in {
                "lake_uri": lake_uri,
                "prefix": prefix,
                "filepath_template": filepath_template,
                "filepath_prefix": filepath_prefix,
                "filepath_suffix": filepath_suffix,
                "forbidden_substrings": forbidden_substrings,
                "fixed_length_key": fixed_length_key,
                "suppress_store_backend_id": suppress_store_backend_id,
                "manually_initialize_store_backend_id": manually_initialize_store_backend_id,
                "base_public_path": base_public_path,
                "store_name": store_name,
                "module_name": self.__class__.__module__,
                "class_name": self.__class__.__name__,
            }.items()
            if value
        }
        if not self._suppress_store_backend_id:
            _ = self.store_backend_id

    def _lake_key(self, key: tuple[str, ...]) -> str:
        return self._prefix + self._convert_key_to_filepath(key)

    # GX's base class declares no return value; every backend returns the object's text.
    def _get(self, key: tuple[str, ...]) -> str:  # type: ignore[override]
        # One request a key: an index build reads every stored result.
        lake_key = self._lake_key(key)
        try:
            data = self._lake.read_bytes(lake_key)
        except LakeError:
            if self._lake.exists(lake_key):
                raise  # there, but unreadable: not GX's "missing key"
            raise InvalidKeyError(f"no object {lake_key!r} in lake {self._lake.uri}") from None
        return data.decode("utf-8").rstrip("\n")

    def _get_all(self) -> list[Any]:
        return [self._get(key) for key in self.list_keys() if key != self.STORE_BACKEND_ID_KEY]

    def _set(self, key: Any, value: Any, **kwargs: Any) -> None:
        if not isinstance(key, tuple):
            key = key.to_tuple()
        # The site store passes each page's and asset's encoding and content type.
        encoding = kwargs.get("content_encoding") or "utf-8"
        data = value.encode(encoding) if isinstance(value, str) else value
        self._lake.write_bytes(self._lake_key(key), data, content_type=kwargs.get("content_type"))

    def _move(self, source_key: tuple[str, ...], dest_key: tuple[str, ...], **kwargs: Any) -> Any:
        source = self._lake_key(source_key)
        if not self._lake.exists(source):
            return False
        self._lake.write_bytes(self._lake_key(dest_key), self._lake.read_bytes(source))
        self._lake.delete_prefix(source)
        return dest_key

    def list_keys(self, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
        keys = []
        for lake_key in self._lake.list_keys(self._prefix + "/".join(prefix)):
            filepath = lake_key[len(self._prefix) :]
            if self._is_missing_prefix_or_suffix(
                filepath_prefix=self.filepath_prefix,
                filepath_suffix=self.filepath_suffix,
                key=filepath,
            ):
                continue
            key = self._convert_filepath_to_key(filepath)
            if key and not self.is_ignored_key(key):
                keys.append(key)
        return keys

    def remove_key(self, key: Any) -> None:
        if not isinstance(key, tuple):
            key = key.to_tuple()
        self._lake.delete_prefix(self._lake_key(key))

    def _has_key(self, key: tuple[str, ...]) -> bool:
        return self._lake.exists(self._lake_key(key))

    def get_url_for_key(self, key: tuple[str, ...], protocol: str | None = None) -> str:
        return lake_url(self._lake.uri, self._lake_key(key))

    @property
    def config(self) -> dict[str, Any]:
        return self._config


class KeepingSiteIndexBuilder(DefaultSiteIndexBuilder):
    """GX's site index, built without deleting the pages whose result it did not see.

    The default build deletes them, which with days validated side by side could
    delete another day's page written a moment after its result was listed;
    ``forget_day`` removes a rerun day's stale pages instead.
    """

    def build(
        self, skip_and_clean_missing: bool = True, build_index: bool = True
    ) -> tuple[Any, Any]:
        return super().build(skip_and_clean_missing=False, build_index=build_index)


class SerialUpdateDataDocsAction(UpdateDataDocsAction):
    """GX's Data Docs update (the result's page, then the index), one at a time in a process.

    Each update rebuilds the index from the pages it lists; two updates
    interleaving could each write an index without the other's day. Building
    the index reads every stored result, so a day's Checkpoints render their
    pages and only the day's last one (``build_index``) rebuilds the index.
    """

    # Its own type: the action registry maps a type to one class, and GX's own
    # UpdateDataDocsAction must keep "update_data_docs".
    type: Literal["hydrasweep_update_data_docs"] = "hydrasweep_update_data_docs"  # type: ignore[assignment]
    build_index: bool = True

    def run(
        self, checkpoint_result: CheckpointResult, action_context: ActionContext | None = None
    ) -> dict[Any, Any]:
        # The site is a report of the gate, not the gate: a page or index that cannot
        # be written (the lake's store failing) is logged, and the day's verdict stands.
        with _DATA_DOCS_LOCK:
            try:
                return super().run(checkpoint_result, action_context)
            except Exception as exc:  # noqa: BLE001
                log.warning("could not update the validation Data Docs site: %s", exc)
                return {}

    def _build_data_docs(
        self, site_names: list[str] | None = None, resource_identifiers: list[Any] | None = None
    ) -> dict[Any, Any]:
        return self._resolve_context().context.build_data_docs(
            site_names=site_names,
            resource_identifiers=resource_identifiers,
            dry_run=False,
            build_index=self.build_index,
        )


class FailureWebhookAction(ValidationAction):
    """POST a JSON alert for a failed validation to a webhook; on success, nothing.

    GX's ``APINotificationAction`` posts every run, passed or not, sends its
    list of raw results as form data, has no timeout and raises when the
    receiver is down. This one posts only failures, in the shape of the
    pipeline's other alerts (``source``, ``state``, ``message``) plus the day,
    the batch and the page of its result; a receiver that cannot be reached is
    logged and never fails the ingest, whose own outcome decides the day.
    """

    type: Literal["hydrasweep_failure_webhook"] = "hydrasweep_failure_webhook"
    url: str
    day: str  # YYYY-MM-DD
    batch: str
    lake_uri: str

    def run(
        self, checkpoint_result: CheckpointResult, action_context: ActionContext | None = None
    ) -> dict[str, Any]:
        if checkpoint_result.success:
            return {"notified": False}
        try:
            post_json(self.url, self.payload(checkpoint_result), WEBHOOK_TIMEOUT_SECONDS)
        except Exception as exc:  # noqa: BLE001 - an alert must never decide the day
            # Not the URL: a webhook's URL usually carries its secret.
            log.warning("could not deliver the validation failure alert of %s: %s", self.day, exc)
            return {"notified": False}
        return {"notified": True}

    def payload(self, checkpoint_result: CheckpointResult) -> dict[str, Any]:
        failed_results = [
            (identifier, result)
            for identifier, result in checkpoint_result.run_results.items()
            if not result.success
        ]
        failed = [
            expectation_label(expectation.expectation_config)
            for _, result in failed_results
            for expectation in result.results
            if not expectation.success
        ]
        evaluated = sum(len(result.results) for _, result in failed_results)
        return {
            "source": "hydrasweep",
            "check": "ingest-validation",
            "day": self.day,
            "batch": self.batch,
            "state": "Failed",
            "message": (
                f"{self.day} failed validation on {self.batch}: {len(failed)} of {evaluated} "
                f"expectations failed ({', '.join(failed)})"
            ),
            "failed_expectations": failed,
            "report": lake_url(self.lake_uri, page_key(failed_results[0][0])),
        }
