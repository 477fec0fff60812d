"""Session-wide test fixtures: one SparkSession, a local S3 server, PostgreSQL.

The environment is set before anything imports Spark, Prefect or MLflow:
telemetry off, Prefect's home in a temporary folder, Spark bound to loopback.
"""

from __future__ import annotations

import os
import socket
import tempfile
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

_TEST_HOME = Path(tempfile.mkdtemp(prefix="hydrasweep-tests-"))
os.environ.update(
    {
        "SPARK_LOCAL_IP": "127.0.0.1",
        "PREFECT_HOME": str(_TEST_HOME / "prefect"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "true",
        "MLFLOW_DISABLE_TELEMETRY": "true",
        "GX_ANALYTICS_ENABLED": "false",
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "90",
        "PREFECT_LOGGING_LEVEL": "WARNING",
        "TZ": "UTC",
    }
)
# Settings a developer may have exported must not leak into tests.
for _name in (
    "HYDRASWEEP_LAKE",
    "HYDRASWEEP_QUEUE_URL",
    "MLFLOW_TRACKING_URI",
    "HYDRASWEEP_HOME",
    "HYDRASWEEP_SPARK_MASTER",
    "AWS_ENDPOINT_URL",
    "AWS_PROFILE",
):
    os.environ.pop(_name, None)

POSTGRES_ADMIN_URL = os.environ.get(
    "HYDRASWEEP_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def spark():
    """The one SparkSession of the test session: local[2], UTC, UI off, 2 shuffle partitions."""
    from jobs.session import SparkConfig, build_spark_session

    session = build_spark_session(
        SparkConfig(
            master="local[2]",
            app_name="hydrasweep-tests",
            driver_memory="3g",
            shuffle_partitions=2,
        )
    )
    session.sparkContext.setCheckpointDir(str(_TEST_HOME / "spark-checkpoints"))
    yield session
    session.stop()


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """A real S3 API over HTTP on loopback (moto's server mode), with dummy credentials."""
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    saved = {
        k: os.environ.get(k)
        for k in (
            "AWS_ENDPOINT_URL",
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_DEFAULT_REGION",
        )
    }
    os.environ.update(
        {
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
        }
    )
    try:
        yield endpoint
    finally:
        server.stop()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@pytest.fixture
def s3_bucket(s3_endpoint: str) -> str:
    """A fresh, empty bucket on the local S3 server; returns its name."""
    import boto3

    name = f"lake-{uuid.uuid4().hex[:12]}"
    boto3.client("s3", endpoint_url=s3_endpoint).create_bucket(Bucket=name)
    return name


@pytest.fixture
def alert_receiver() -> Iterator[tuple[str, list[dict]]]:
    """A webhook receiver on loopback: the URL and the JSON bodies it was sent."""
    from tests.support.webhooks import webhook_receiver

    with webhook_receiver() as receiver:
        yield receiver


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A throwaway database on the PostgreSQL server at 127.0.0.1:5432.

    Fails (never skips) when the server is down: the queue must be shown to work
    on PostgreSQL, not assumed to.
    """
    import sqlalchemy as sa

    admin = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"hydrasweep_test_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001
        pytest.fail(f"PostgreSQL at {POSTGRES_ADMIN_URL} is not reachable: {exc}", pytrace=False)
    url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


# --- one simulated lake, shared by the end-to-end tests -----------------------
SIM_START = __import__("datetime").date(2026, 3, 1)
SIM_DAYS = 12
SIM_CAMPAIGN_OFFSETS = (1, 2, 8)  # aggressive, distributed, reasoning (never labeled)


@pytest.fixture(scope="session")
def simulated_lake(spark, tmp_path_factory: pytest.TempPathFactory):
    """Twelve simulated days run through the real ingest and features jobs.

    Built once per test session (every day costs a real ingest + features
    run); tests read it and never write to it: copy it (``shutil.copytree``)
    to change anything. Returns ``(root, lake_path, SimulationConfig)``;
    ``root`` also serves as the jobs' scratch folder.
    """
    from jobs import featurize, ingest
    from lakeio import LakeRef, open_store
    from simulate import SimulationConfig, run_simulation

    root = tmp_path_factory.mktemp("simulated")
    lake = root / "lake"
    config = SimulationConfig(
        start=SIM_START,
        days=SIM_DAYS,
        seed=5,
        scale=0.1,
        files_per_day=1,
        campaign_start_offsets=SIM_CAMPAIGN_OFFSETS,
    )
    run_simulation(open_store(str(lake)), config)
    ref = LakeRef(str(lake), str(root))
    # As a backfill does (flows.backfill): ingest runs ahead in a thread of its own;
    # the days whose ingest is in by then form a batch: their activity rows in one pass
    # over their text, then their features (``featurize.run_days``: rolling features and
    # memberships of the batch in one plan). Features of day D read no later day, so the
    # lake is the one a strictly sequential run writes (tests/features/test_job.py
    # compares the two on inline days).
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="fixture-ingest") as pool:
        ingested = {
            day: pool.submit(ingest.run, spark, ingest.IngestParams(day=day, lake=ref))
            for day in config.day_list
        }
        position = 0
        while position < len(config.day_list):
            ingested[config.day_list[position]].result()
            batch = [config.day_list[position]]
            for later in config.day_list[position + 1 :]:
                if not ingested[later].done():
                    break
                ingested[later].result()
                batch.append(later)
            params = featurize.FeatureParams(day=batch[0], lake=ref, activity_written=True)
            featurize.write_activity(spark, params, batch)
            for _ in featurize.run_days(spark, params, batch):
                pass
            position += len(batch)
    return root, lake, config


# --- two workers (pytest-xdist, `-n 2 --dist loadscope`) -----------------------
# A Spark job spends most of its time in the driver's planning, one core, so two
# workers keep both cores busier. Each worker is a test session of its own (its own
# SparkSession, S3 server, databases, temporary home). What a session builds once must
# stay built once: the scope xdist hands to one worker is a *work unit*, the modules
# that share an expensive session fixture or else one module (with its module
# fixtures). xdist's own `loadgroup` cannot say this on pytest 9 (it renames node ids
# through an attribute pytest 9 no longer reads), so the scheduler below asks
# `work_unit`, and each worker checks the table against the fixtures its tests use.
SHARED_UNITS: dict[str, tuple[str, ...]] = {
    # tests/conftest.py::simulated_lake: twelve days of ingest and features (minutes)
    "spark-lake": (
        "tests/features/test_signal_scan.py",
        "tests/features/test_text.py",
        "tests/flows/test_flows_e2e.py",
        "tests/review/test_indicator_replay.py",
    ),
    # tests/simulate/conftest.py::simulated_lake: the simulator's shared lake
    "simulator-lake": ("tests/simulate/",),
    # tests/models/conftest.py::registry: models trained into one MLflow store
    "model-registry": ("tests/models/test_lifecycle.py", "tests/models/test_training_variants.py"),
}
SHARED_FIXTURES = ("simulated_lake", "shared_requests", "registry")
# Units known to take minutes go first, so the two workers finish together (the rest
# is balanced as workers free up). From `--durations` of the whole suite.
LONG_UNITS = (
    "spark-lake",
    "tests/infra/test_standalone_cluster.py",
    "tests/infra/test_spark_connect.py",
    "tests/infra/test_deployments.py",
    "simulator-lake",
    "model-registry",
)


def work_unit(nodeid: str) -> str:
    module = nodeid.split("::")[0]
    for unit, paths in SHARED_UNITS.items():
        if any(
            module == path or (path.endswith("/") and module.startswith(path)) for path in paths
        ):
            return unit
    return module


def _shared_fixture_units(items: list[pytest.Item]) -> dict[str, set[str]]:
    """Each shared session fixture (by where it is defined) -> the work units using it."""
    used: dict[str, set[str]] = {}
    for item in items:
        definitions = getattr(item, "_fixtureinfo", None)
        for name in SHARED_FIXTURES:
            if definitions is not None and name in definitions.name2fixturedefs:
                where = definitions.name2fixturedefs[name][-1].baseid
                used.setdefault(f"{where or 'tests'}::{name}", set()).add(work_unit(item.nodeid))
    return used


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return  # one process: the collection's own order
    split = {f: units for f, units in _shared_fixture_units(items).items() if len(units) > 1}
    if split:
        message = (
            f"tests sharing a session fixture would run on different workers: {split}; "
            "add their modules to SHARED_UNITS in tests/conftest.py"
        )
        for item in items:  # fail loudly: a worker's collection error shows no message
            if any(work_unit(item.nodeid) in units for units in split.values()):
                item.add_marker(pytest.mark.misplaced(message))
    rank = {unit: i for i, unit in enumerate(LONG_UNITS)}
    items.sort(key=lambda item: rank.get(work_unit(item.nodeid), len(rank)))


def pytest_runtest_setup(item: pytest.Item) -> None:
    if (marker := item.get_closest_marker("misplaced")) is not None:
        pytest.fail(marker.args[0], pytrace=False)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log):
    if config.getvalue("dist") != "loadscope":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class WorkUnitScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return work_unit(nodeid)

    config.option.loadscopereorder = False  # the workers' order: long units first
    return WorkUnitScheduling(config, log)
