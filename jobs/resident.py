"""The resident Spark application: a long-lived Spark Connect server the sweeps run against.

A sweep in a fresh process starts its own Spark application: a JVM and a
session (about 5.6 s here), then the day's plans compiled cold (Janino's
generated classes and HotSpot's JIT: 15-23 s a day, #26). A scheduled
deployment runs the same plans every day, so it keeps one application alive
instead: this Spark Connect server, which the flows reach with
``HYDRASWEEP_SPARK_MASTER=sc://127.0.0.1:15002`` (``jobs.session``: a master
``sc://`` makes every job a Connect client). The codegen cache, the compiled
methods and the Python workers survive from one run to the next.

::

    python -m jobs.resident --port 15002 --driver-memory 8g --state-dir /var/lib/hydrasweep/spark

runs the server in the foreground (the process becomes ``spark-submit``'s, so a
supervisor or a container's restart policy owns it and its signals). Over
Connect the server owns the application, so it is started here with the
settings a classic session of the jobs gives itself (``jobs.session``: UTC in
the JVM, the fair-scheduler pools, the generated-class cache, loopback
binding, the session's SQL settings as defaults) and what only a resident one
needs: where its scratch space and checkpoints go, and a quieter log. The C2
inlining budget of the short-lived local driver (``LOCAL_DRIVER_JIT``) is left
out: a resident JVM pays its compile time once and keeps HotSpot's defaults.

The server binds to loopback unless ``--host`` says otherwise: Spark Connect
has no authentication of its own, so anything that reaches the port runs code
as the server's user (infra/README.md: keep it on the worker's machine, or put
an authenticating proxy in front before binding it elsewhere). The lake must be where the server reads
it: the same machine's folders, or ``s3a://`` (``HYDRASWEEP_SPARK_S3A``).
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path

from jobs.session import (
    JVM_UTC,
    LOCAL_DRIVER_GC,
    SparkConfig,
    application_settings,
    session_settings,
)

SERVER_CLASS = "org.apache.spark.sql.connect.service.SparkConnectServer"
DEFAULT_PORT = 15002
DEFAULT_STATE_DIR = Path(".hydrasweep") / "spark-connect"


def spark_home() -> Path:
    """The pyspark package's own Spark (bin/spark-submit, jars/spark-connect_*.jar)."""
    import pyspark

    return Path(pyspark.__file__).parent


def server_settings(
    config: SparkConfig, host: str, port: int, state_dir: Path, log_level: str = "WARN"
) -> dict[str, str]:
    """The Spark settings the resident server starts with (module doc)."""
    settings = {**application_settings(config), **session_settings(config)}
    for key in ("spark.driver.memory", "spark.driver.host", "spark.driver.bindAddress"):
        settings.pop(key, None)  # spark-submit's own flag; the binding follows ``host``
    if config.master.startswith("local"):
        settings["spark.driver.extraJavaOptions"] = f"{JVM_UTC} {LOCAL_DRIVER_GC}"
        settings["spark.driver.host"] = host
        settings["spark.driver.bindAddress"] = host
    settings.update(
        {
            "spark.connect.grpc.binding.address": host,
            "spark.connect.grpc.binding.port": str(port),
            "spark.local.dir": str(state_dir / "local"),
            "spark.checkpoint.dir": str(state_dir / "checkpoints"),
            # A resident server logs for weeks: warnings and errors, not every task.
            "spark.log.level": log_level,
        }
    )
    return settings


def server_argv(
    config: SparkConfig,
    host: str,
    port: int,
    state_dir: Path,
    log_level: str = "WARN",
    home: Path | None = None,
) -> list[str]:
    """``spark-submit`` arguments that run the server with ``server_settings``."""
    home = home or spark_home()
    argv = [
        str(home / "bin" / "spark-submit"),
        "--class",
        SERVER_CLASS,
        "--name",
        config.app_name,
        "--master",
        config.master,
        "--driver-memory",
        config.driver_memory,
    ]
    for key, value in sorted(server_settings(config, host, port, state_dir, log_level).items()):
        argv += ["--conf", f"{key}={value}"]
    return argv


def server_environment(master: str, host: str) -> dict[str, str]:
    """The environment spark-submit runs in: this Python for the server's Python workers."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYSPARK_DRIVER")}
    env["SPARK_HOME"] = str(spark_home())
    env.setdefault("PYSPARK_PYTHON", sys.executable)
    if master.startswith("local"):
        env["SPARK_LOCAL_IP"] = host
    return env


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m jobs.resident",
        description="Run the resident Spark application (a Spark Connect server) in the "
        "foreground; point the flows at it with HYDRASWEEP_SPARK_MASTER=sc://HOST:PORT.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default loopback)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument(
        "--master", default="local[*]", help="the application's own master (default local[*])"
    )
    parser.add_argument("--driver-memory", default="6g")
    parser.add_argument(
        "--shuffle-partitions",
        type=int,
        default=SparkConfig.shuffle_partitions,
        help="default for sessions that do not set it (the jobs do)",
    )
    parser.add_argument(
        "--state-dir",
        type=Path,
        default=DEFAULT_STATE_DIR,
        help="scratch space, checkpoints and the server's working folder",
    )
    parser.add_argument(
        "--log-level",
        default="WARN",
        choices=("ERROR", "WARN", "INFO", "DEBUG"),
        help="the server's log level (spark.log.level)",
    )
    parser.add_argument(
        "--print", action="store_true", help="print the spark-submit command instead of running it"
    )
    args = parser.parse_args(argv)
    if not 0 < args.port < 65536:
        parser.error(f"--port must be a TCP port, got {args.port}")
    state_dir = args.state_dir.resolve()
    config = SparkConfig(
        master=args.master,
        app_name="hydrasweep-resident",
        driver_memory=args.driver_memory,
        shuffle_partitions=args.shuffle_partitions,
    )
    command = server_argv(config, args.host, args.port, state_dir, args.log_level)
    if args.print:
        print(shlex.join(command))
        return 0
    if not any((spark_home() / "jars").glob("spark-connect_*.jar")):
        print("jobs.resident: this pyspark ships no Spark Connect server jar", file=sys.stderr)
        return 1
    for folder in (state_dir, state_dir / "local", state_dir / "checkpoints"):
        folder.mkdir(parents=True, exist_ok=True)
    os.chdir(state_dir)
    print(f"resident Spark application: sc://{args.host}:{args.port}", file=sys.stderr, flush=True)
    os.execve(command[0], command, server_environment(config.master, args.host))
    return 0  # not reached: the process is spark-submit's now


if __name__ == "__main__":
    sys.exit(main())
