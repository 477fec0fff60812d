"""spark-submit entry point for one hydrasweep Spark job.

    spark-submit [spark options] --py-files hydrasweep-jobs.zip \
        infra/spark/run_job.py <job> [job arguments]

runs the job's ``main(job arguments)``, e.g. ``run_job.py featurize --day
2026-11-26 --lake s3://... --scratch /tmp/s``: one application file for every
job, so a cluster needs only the zipped packages beside it. The jobs of a
sweep, in order: ``ingest``, ``featurize``, ``score`` and ``review_feed``
(``jobs.entry`` lists the arguments they share).
"""

from __future__ import annotations

import importlib
import sys

# Job name -> module with main(argv). Scoring lives with the model lifecycle.
JOBS = {
    "ingest": "jobs.ingest",
    "featurize": "jobs.featurize",
    "score": "models.scoring",
    "review_feed": "jobs.review_feed",
}


def main(argv: list[str]) -> int:
    if not argv or argv[0].startswith("-"):
        print(
            f"usage: run_job.py <job> [job arguments]   (job: {', '.join(JOBS)})",
            file=sys.stderr,
        )
        return 2
    job, job_argv = argv[0], argv[1:]
    if job not in JOBS:
        print(f"error: no job named {job!r} (jobs: {', '.join(JOBS)})", file=sys.stderr)
        return 2
    module = importlib.import_module(JOBS[job])
    return module.main(job_argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
