"""What every spark-submit entry point shares: its arguments and how it runs.

Each Spark job of a sweep (``jobs.ingest``, ``jobs.featurize``,
``models.scoring``, ``jobs.review_feed``) has ``main(argv)``, so the whole
sweep can be submitted to a cluster day by day (``infra/spark/run_job.py``)::

    python -m jobs.<job> --day D --lake URI --scratch DIR [--direct-s3a]
                         [--master URL] [--driver-memory 4g] [--dataframe-debugging]
                         [job options]

``--master`` takes what Spark does (``local[*]``, ``spark://...``, ``yarn``)
and ``sc://host:port`` for a Spark Connect server; without it a job runs on
spark-submit's master, else locally. A job prints its summary as JSON on
stdout (``lakeio.reports.StageSummary``); a failure it can explain is one
``error:`` line on stderr and exit code 1.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable, Sequence
from datetime import date

from pyspark.sql import SparkSession

from jobs.errors import JobError
from jobs.session import start_job_session
from lakeio import LakeError, LakeRef
from lakeio.reports import StageSummary


def job_parser(prog: str, doc: str | None) -> argparse.ArgumentParser:
    """An argument parser with the arguments every job takes; add the job's own to it."""
    parser = argparse.ArgumentParser(
        prog=f"python -m {prog}", description=(doc or prog).strip().splitlines()[0]
    )
    parser.add_argument("--day", required=True, type=date.fromisoformat, help="UTC day, YYYY-MM-DD")
    parser.add_argument(
        "--lake", required=True, help="lake root: a folder, file:// or s3://bucket/prefix"
    )
    parser.add_argument("--scratch", required=True, help="local scratch folder")
    parser.add_argument(
        "--direct-s3a", action="store_true", help="let Spark use s3a:// (cluster with hadoop-aws)"
    )
    parser.add_argument(
        "--master",
        default=None,
        help="Spark master, or sc://host:port for Spark Connect "
        "(default: spark-submit's, else local[*])",
    )
    parser.add_argument("--driver-memory", default="4g")
    parser.add_argument(
        "--dataframe-debugging",
        action="store_true",
        help="Spark's error messages name the Python line that built a failing expression "
        "(spark.python.sql.dataFrameDebugging.enabled: slower; off by default)",
    )
    return parser


def lake_ref(args: argparse.Namespace) -> LakeRef:
    return LakeRef(uri=args.lake, scratch_dir=args.scratch, direct_s3a=args.direct_s3a)


def run_job(
    job: str,
    args: argparse.Namespace,
    work: Callable[[SparkSession], StageSummary],
    errors: Sequence[type[Exception]] = (JobError, LakeError),
) -> int:
    """Start the job's session, run ``work``, print its summary; the exit code."""
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,  # stdout is the summary's
    )
    logging.getLogger("py4j").setLevel(logging.WARNING)  # a line per gateway call
    spark = start_job_session(
        job, args.day, args.master, args.driver_memory, args.dataframe_debugging
    )
    try:
        summary = work(spark)
    except tuple(errors) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    finally:
        spark.stop()
    print(json.dumps(summary.as_dict(), indent=2))
    return 0
