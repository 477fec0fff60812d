#!/usr/bin/env bash
# A one-machine Spark standalone cluster (one master, one worker) on 127.0.0.1,
# started from the pyspark package's own scripts: for trying spark-submit and
# HYDRASWEEP_SPARK_MASTER=spark://... without a real cluster, and for the
# cluster test (tests/infra/test_standalone_cluster.py).
#
#   infra/spark/standalone.sh start     # prints the master URL and web UI
#   infra/spark/standalone.sh status
#   infra/spark/standalone.sh stop
#
# The pip package has no sbin/start-master.sh or start-worker.sh, but it has
# sbin/spark-daemon.sh, which is what those scripts call.
#
# Environment (all optional):
#   SPARK_STANDALONE_DIR   state: pid files, logs, executor work dirs
#                          (default ./.hydrasweep/spark-standalone)
#   SPARK_MASTER_PORT      master RPC port (default 7077)
#   SPARK_MASTER_WEBUI_PORT  master web UI, also /json/ (default 8080)
#   SPARK_WORKER_PORT      worker RPC port (default: any free port)
#   SPARK_WORKER_WEBUI_PORT  worker web UI (default 8081)
#   SPARK_WORKER_CORES     cores the worker offers (default 2)
#   SPARK_WORKER_MEMORY    memory the worker offers (default 2g)
#   PYTHON                 the Python whose pyspark to use and that executors
#                          run (default: python3 on PATH, e.g. the venv's)
set -euo pipefail

command="${1:-}"
case "$command" in
  start|stop|status) ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac

python_bin="$(command -v "${PYTHON:-python3}")"
SPARK_HOME="$("$python_bin" -c 'import os, pyspark; print(os.path.dirname(pyspark.__file__))')"
state_dir="$(mkdir -p "${SPARK_STANDALONE_DIR:-.hydrasweep/spark-standalone}" && cd "${SPARK_STANDALONE_DIR:-.hydrasweep/spark-standalone}" && pwd)"
master_port="${SPARK_MASTER_PORT:-7077}"
master_webui_port="${SPARK_MASTER_WEBUI_PORT:-8080}"
worker_port="${SPARK_WORKER_PORT:-0}"
worker_webui_port="${SPARK_WORKER_WEBUI_PORT:-8081}"
worker_cores="${SPARK_WORKER_CORES:-2}"
worker_memory="${SPARK_WORKER_MEMORY:-2g}"
master_url="spark://127.0.0.1:${master_port}"

export SPARK_HOME
export SPARK_LOG_DIR="$state_dir/logs"
export SPARK_PID_DIR="$state_dir/pids"
export SPARK_WORKER_DIR="$state_dir/work"
# The machine's hostname may resolve to another interface; keep everything on loopback.
export SPARK_LOCAL_IP=127.0.0.1
# Executors start Python workers with this interpreter, which has the project installed.
export PYSPARK_PYTHON="$python_bin"
# One identity per state dir, so two clusters (e.g. parallel test runs) never
# share or stop each other's pid files.
export SPARK_IDENT_STRING="hydrasweep-$(printf '%s' "$state_dir" | cksum | cut -d' ' -f1)"
mkdir -p "$SPARK_LOG_DIR" "$SPARK_PID_DIR" "$SPARK_WORKER_DIR"

daemon="$SPARK_HOME/sbin/spark-daemon.sh"
master_class=org.apache.spark.deploy.master.Master
worker_class=org.apache.spark.deploy.worker.Worker

case "$command" in
  start)
    bash "$daemon" start "$master_class" 1 \
      --host 127.0.0.1 --port "$master_port" --webui-port "$master_webui_port"
    bash "$daemon" start "$worker_class" 1 \
      --host 127.0.0.1 --port "$worker_port" --webui-port "$worker_webui_port" \
      --cores "$worker_cores" --memory "$worker_memory" \
      --work-dir "$SPARK_WORKER_DIR" "$master_url"
    echo "master: $master_url"
    echo "web UI: http://127.0.0.1:${master_webui_port}/ (JSON: /json/)"
    echo "logs:   $SPARK_LOG_DIR"
    ;;
  stop)
    # Worker first, so the master does not log it as lost.
    bash "$daemon" stop "$worker_class" 1 || true
    bash "$daemon" stop "$master_class" 1 || true
    ;;
  status)
    bash "$daemon" status "$master_class" 1 || true
    bash "$daemon" status "$worker_class" 1 || true
    ;;
esac
