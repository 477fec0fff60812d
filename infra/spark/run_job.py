"""spark-submit entry point for one hydrasweep Spark job.

    spark-submit [spark options] --py-files hydrasweep-jobs.zip \
        infra/spark/run_job.py <job> [job arguments]

runs ``jobs.<job>.main(job arguments)``, e.g. ``run_job.py featurize --day
2026-11-26 --lake s3://... --scratch /tmp/s``: one application file for every
job, so a cluster needs only the zipped packages beside it.
"""

from __future__ import annotations

import importlib
import sys


def main(argv: list[str]) -> int:
    if not argv or argv[0].startswith("-"):
        print(
            "usage: run_job.py <job> [job arguments]   (job: a module of jobs/, e.g. ingest)",
            file=sys.stderr,
        )
        return 2
    job, job_argv = argv[0], argv[1:]
    try:
        module = importlib.import_module(f"jobs.{job}")
    except ModuleNotFoundError as exc:
        if exc.name != f"jobs.{job}":
            raise
        print(f"error: no job named {job!r} (jobs/{job}.py)", file=sys.stderr)
        return 2
    if not callable(getattr(module, "main", None)):
        print(f"error: jobs.{job} has no main(argv)", file=sys.stderr)
        return 2
    return module.main(job_argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
