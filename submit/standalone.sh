#!/usr/bin/env bash
# A Spark standalone cluster: `submit/standalone.sh spark://HOST:7077 [--conf k=v]... COMMAND ARGS...`.
# The driver runs here (client mode). Executors get our jars shipped from here (--jars), or, when every worker has
# this build at the same path (shared file system, identical install), from MEDSEG_EXECUTOR_LIB=/path/to/job/target/lib.
# train.workers should equal the executor count (MEDSEG_EXECUTORS, default 2; spark.cores.max = executors x cores).
set -euo pipefail
MEDSEG_USAGE="spark://HOST:PORT "
# shellcheck source=common.sh source-path=SCRIPTDIR disable=SC2034 # sets variables common.sh reads
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
if [[ $# -lt 1 || $1 != spark://* ]]; then
  echo "usage: $(basename "$0") spark://HOST:PORT [--conf key=value]... COMMAND [ARGS...]" >&2
  exit 2
fi
master=$1
shift
opts=(--master "$master" --deploy-mode client
  --conf "spark.cores.max=$((${MEDSEG_EXECUTORS:-2} * exec_cores))")
if [[ -n "${MEDSEG_EXECUTOR_LIB:-}" ]]; then
  opts+=(--conf "spark.executor.extraClassPath=$MEDSEG_EXECUTOR_LIB/*")
else
  opts+=(--jars "$(app_jars)")
fi
medseg_submit "${opts[@]}" -- "$@"
