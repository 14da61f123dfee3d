#!/usr/bin/env bash
# Kubernetes: `submit/k8s.sh k8s://https://API:443 [--conf k=v]... COMMAND ARGS...`, cluster deploy mode, with
# MEDSEG_IMAGE an image built from docker/cpu or docker/gpu (the jar is inside it). Needs SPARK_HOME: a Spark 4.0
# distribution for Scala 2.13 (our build carries no Kubernetes client). MEDSEG_NAMESPACE (default default),
# MEDSEG_SERVICE_ACCOUNT (default spark), MEDSEG_EXECUTORS (default 2) = train.workers.
# Data, outputs and model.llm.checkpoint must be on a shared file system (s3a://, hdfs://).
set -euo pipefail
MEDSEG_USAGE="k8s://https://API:PORT "
# shellcheck source=common.sh source-path=SCRIPTDIR disable=SC2034 # sets variables common.sh reads
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
if [[ $# -lt 1 || $1 != k8s://* || -z "${MEDSEG_IMAGE:-}" || -z "${SPARK_HOME:-}" ]]; then
  echo "usage: MEDSEG_IMAGE=registry/medseg:TAG SPARK_HOME=/opt/spark $(basename "$0") k8s://https://API:PORT [--conf key=value]... COMMAND [ARGS...]" >&2
  exit 2
fi
master=$1
shift
MEDSEG_APP_JAR=local:///opt/medseg/medseg-job.jar
gpu_discovery=${MEDSEG_GPU_DISCOVERY:-/opt/medseg/gpu-discovery.sh}
opts=(--master "$master" --deploy-mode cluster --name medseg
  --conf "spark.executor.instances=${MEDSEG_EXECUTORS:-2}"
  --conf "spark.kubernetes.container.image=$MEDSEG_IMAGE"
  --conf "spark.kubernetes.namespace=${MEDSEG_NAMESPACE:-default}"
  --conf "spark.kubernetes.authenticate.driver.serviceAccountName=${MEDSEG_SERVICE_ACCOUNT:-spark}")
if [[ ${MEDSEG_GPU:-0} == 1 ]]; then opts+=(--conf spark.executor.resource.gpu.vendor=nvidia.com); fi
medseg_submit "${opts[@]}" -- "$@"
