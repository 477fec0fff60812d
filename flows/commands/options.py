"""Options shared by every command that touches the lake, queue, MLflow or Spark."""

from __future__ import annotations

from typing import Annotated

import typer

LakeOption = Annotated[
    str | None,
    typer.Option(
        "--lake",
        help="Lake root URI (folder, file:// or s3://bucket/prefix). Env: HYDRASWEEP_LAKE.",
    ),
]
QueueUrlOption = Annotated[
    str | None,
    typer.Option("--queue-url", help="Review queue SQLAlchemy URL. Env: HYDRASWEEP_QUEUE_URL."),
]
TrackingUriOption = Annotated[
    str | None,
    typer.Option("--tracking-uri", help="MLflow tracking URI. Env: MLFLOW_TRACKING_URI."),
]
SparkMasterOption = Annotated[
    str | None,
    typer.Option("--spark-master", help="Spark master URL. Env: HYDRASWEEP_SPARK_MASTER."),
]
HomeOption = Annotated[
    str | None,
    typer.Option(
        "--home", help="Folder for default lake, databases and scratch. Env: HYDRASWEEP_HOME."
    ),
]
