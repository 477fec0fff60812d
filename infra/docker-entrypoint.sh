#!/bin/sh
# Container entrypoint: `hydrasweep` by default, any other program when named.
#   docker run IMAGE sweep --date 2026-11-26      -> hydrasweep sweep --date 2026-11-26
#   docker run IMAGE prefect flow-run execute ...  -> prefect flow-run execute ...
set -e
case "${1:-}" in
  hydrasweep|prefect|python|python3|spark-submit|pyspark|bash|sh)
    exec "$@"
    ;;
esac
exec hydrasweep "$@"
