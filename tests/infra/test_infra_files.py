"""Fast checks of the deployment files that cannot run here in full.

There is no Docker engine on these machines, so the image is checked by what
it is made of: every package the project installs is copied in, the build
context keeps local state out, and the entrypoint hands ``hydrasweep``
subcommands and named programs (how a Prefect docker worker starts a flow
run) to the right place. The Spark files are parsed the way Spark reads them.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

from tests.support import REPO_ROOT

INFRA = REPO_ROOT / "infra"


def _dockerfile_instructions() -> list[tuple[str, str]]:
    lines, current = [], ""
    for raw in (INFRA / "Dockerfile").read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        current += line.removesuffix("\\").strip() + " "
        if not line.endswith("\\"):
            instruction, _, argument = current.strip().partition(" ")
            lines.append((instruction.upper(), argument))
            current = ""
    return lines


def test_image_copies_every_installed_package() -> None:
    pyproject = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())
    packages = {
        pattern.rstrip("*")
        for pattern in pyproject["tool"]["setuptools"]["packages"]["find"]["include"]
    }
    copied = {
        argument.split()[0]
        for instruction, argument in _dockerfile_instructions()
        if instruction == "COPY"
    }
    assert packages <= copied, f"not copied into the image: {sorted(packages - copied)}"
    for source in copied - {"pyproject.toml"}:
        assert (REPO_ROOT / source).exists(), f"COPY {source}: no such path"


def test_image_has_java_17_and_runs_hydrasweep() -> None:
    instructions = _dockerfile_instructions()
    assert instructions[0] == ("FROM", "python:3.11-slim-bookworm")
    run = " ".join(argument for instruction, argument in instructions if instruction == "RUN")
    assert "openjdk-17-jre-headless" in run
    assert "pip install ." in run
    (entrypoint,) = [
        argument for instruction, argument in instructions if instruction == "ENTRYPOINT"
    ]
    assert "/opt/hydrasweep/infra/docker-entrypoint.sh" in entrypoint
    # The image serves as a cluster's driver too: loopback is the session's
    # default for local masters only (jobs.session.process_defaults).
    env = " ".join(argument for instruction, argument in instructions if instruction == "ENV")
    assert "SPARK_LOCAL_IP" not in env


def test_build_context_leaves_out_local_state() -> None:
    ignored = set((REPO_ROOT / ".dockerignore").read_text().split())
    assert {".git", ".venv", ".hydrasweep", "mlruns", "*.db"} <= ignored


def _entrypoint(*args: str) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]]),
    }
    return subprocess.run(
        ["sh", str(INFRA / "docker-entrypoint.sh"), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_entrypoint_runs_hydrasweep_by_default_and_named_programs_as_is() -> None:
    default = _entrypoint("--help")
    assert default.returncode == 0, default.stderr
    assert "hydrasweep" in default.stdout and "sweep" in default.stdout

    program = _entrypoint("python", "-c", "print('flow run')")
    assert (program.returncode, program.stdout) == (0, "flow run\n")


def _spark_properties(path: Path) -> dict[str, str]:
    properties: dict[str, str] = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, _, value = line.partition(" ")
        assert key not in properties, f"{key} set twice in {path.name}"
        properties[key] = value.strip()
    return properties


def test_spark_defaults_are_spark_properties_for_utc_and_s3a() -> None:
    properties = _spark_properties(INFRA / "spark" / "spark-defaults.conf")
    assert all(key.startswith("spark.") and value for key, value in properties.items())
    assert properties["spark.sql.session.timeZone"] == "UTC"
    assert properties["spark.sql.sources.partitionOverwriteMode"] == "dynamic"
    assert properties["spark.hadoop.fs.s3a.impl"] == "org.apache.hadoop.fs.s3a.S3AFileSystem"
    # The S3A committers cannot overwrite partitions dynamically.
    assert "spark.sql.sources.commitProtocolClass" not in properties


def _run_job(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(INFRA / "spark" / "run_job.py"), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_run_job_rejects_unknown_jobs_and_passes_arguments_through() -> None:
    jobs = "ingest, featurize, score, review_feed"
    missing = _run_job("no_such_job", "--day", "2026-11-26")
    assert (missing.returncode, missing.stderr.strip()) == (
        2,
        f"error: no job named 'no_such_job' (jobs: {jobs})",
    )
    usage = _run_job()
    assert usage.returncode == 2 and usage.stderr.startswith("usage: run_job.py <job>")
    # Every job of a sweep takes the shared arguments; its own parser sees what
    # follows the job name.
    for job in jobs.split(", "):
        help_text = _run_job(job, "--help")
        assert help_text.returncode == 0, help_text.stderr
        assert all(
            flag in help_text.stdout
            for flag in ("--day", "--lake", "--scratch", "--direct-s3a", "--master")
        ), help_text.stdout
    assert "--tracking-uri" in _run_job("score", "--help").stdout
