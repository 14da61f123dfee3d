#!/usr/bin/env bash
# YARN: `submit/yarn.sh [--conf k=v]... COMMAND ARGS...` with HADOOP_CONF_DIR (or YARN_CONF_DIR) pointing at the
# cluster. Needs SPARK_HOME: a Spark 4.0 distribution for Scala 2.13 (our build carries no spark-yarn).
# MEDSEG_DEPLOY_MODE=cluster runs the driver in YARN too; MEDSEG_EXECUTORS (default 2) = train.workers.
# Data, outputs and model.llm.checkpoint must be on HDFS/S3 (hdfs://..., s3a://...).
set -euo pipefail
# shellcheck source=common.sh source-path=SCRIPTDIR disable=SC2034 # sets variables common.sh reads
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
if [[ -z "${SPARK_HOME:-}" ]]; then
  echo "yarn.sh: set SPARK_HOME to a Spark 4.0.x (Scala 2.13) distribution; this build has no YARN client" >&2
  exit 2
fi
# On YARN the discovery script travels with the job (--files) and runs from the container's working directory.
if [[ ${MEDSEG_GPU:-0} == 1 ]]; then gpu_discovery=${MEDSEG_GPU_DISCOVERY:-./gpu-discovery.sh}; fi
opts=(--master yarn --deploy-mode "${MEDSEG_DEPLOY_MODE:-client}" --num-executors "${MEDSEG_EXECUTORS:-2}"
  --jars "$(app_jars)" --files "$root/submit/gpu-discovery.sh")
medseg_submit "${opts[@]}" -- "$@"
