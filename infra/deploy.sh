#!/usr/bin/env bash
# Register hydrasweep with the Prefect server at PREFECT_API_URL: the process
# work pool and its two queues (each limited to one run at a time) when they
# are missing, then every deployment in infra/prefect.yaml. Safe to rerun:
# deployments are updated in place.
#
# Run it where the worker's code lives: the build step in prefect.yaml records
# this checkout's path as the flow runs' working directory (inside the image:
# `docker run --rm -e PREFECT_API_URL=... hydrasweep bash infra/deploy.sh`).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${PREFECT_API_URL:-}" ] && ! prefect config view 2>/dev/null | grep -q '^PREFECT_API_URL='; then
  echo "PREFECT_API_URL is not set: point it at the Prefect server (http://host:4200/api)" >&2
  exit 2
fi

pool=hydrasweep-process
if ! prefect --no-prompt work-pool inspect "$pool" >/dev/null 2>&1; then
  prefect --no-prompt work-pool create "$pool" --type process
fi
# sweeps: the daily sweep and backfills write the same day partitions, so at
# most one of them runs at a time. training: retrain and promote, one at a time.
for queue in sweeps training; do
  if ! prefect --no-prompt work-queue inspect "$queue" --pool "$pool" >/dev/null 2>&1; then
    prefect --no-prompt work-queue create "$queue" --pool "$pool" --limit 1
  fi
done
prefect --no-prompt deploy --all --prefect-file infra/prefect.yaml
# A daily sweep that does not start alerts HYDRASWEEP_ALERT_WEBHOOK_URL (flows/alerts.py);
# failures alert from the flow's own hooks.
"$(dirname "$(command -v prefect)")/python" -m flows.alerts
