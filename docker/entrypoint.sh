#!/usr/bin/env bash
# Entrypoint of the medseg Spark-on-Kubernetes images (/opt/entrypoint.sh), following the conventions of Spark's own:
# `driver ARGS...` runs spark-submit in client mode inside the driver pod; `executor` starts the executor backend
# from the SPARK_* variables Spark sets on executor pods; anything else runs as given. Always under tini.
set -euo pipefail
# An arbitrary UID (e.g. OpenShift) needs a passwd entry: Hadoop looks the user up.
if ! getent passwd "$(id -u)" > /dev/null && [[ -w /etc/passwd ]]; then
  echo "$(id -u):x:$(id -u):$(id -g):${SPARK_USER_NAME:-anonymous uid}:$SPARK_HOME:/bin/false" >> /etc/passwd
fi
# GOMP_SPINCOUNT, OPENBLAS_THREAD_TIMEOUT and tcmalloc (installed in the image) for driver and executors, as bin/medseg sets them.
# shellcheck source=../bin/native-env.sh
source /opt/medseg/native-env.sh
# Our jar and the dependencies Spark does not ship, then Spark's jars, then Hadoop/Spark config when mounted.
classpath="${SPARK_CLASSPATH:+$SPARK_CLASSPATH:}/opt/medseg/medseg-job.jar:/opt/medseg/lib/*:$SPARK_HOME/jars/*"
if [[ -n ${SPARK_EXTRA_CLASSPATH:-} ]]; then classpath+=":$SPARK_EXTRA_CLASSPATH"; fi
if [[ -n ${HADOOP_CONF_DIR:-} ]]; then classpath="$HADOOP_CONF_DIR:$classpath"; fi
classpath="${SPARK_CONF_DIR:-$SPARK_HOME/conf}:$classpath"

case "${1:-}" in
  driver)
    shift
    cmd=("$SPARK_HOME/bin/spark-submit" --conf "spark.driver.bindAddress=$SPARK_DRIVER_BIND_ADDRESS"
      --conf "spark.driver.extraClassPath=/opt/medseg/lib/*" --deploy-mode client "$@")
    ;;
  executor)
    shift
    # spark.executor.extraJavaOptions arrive split into SPARK_JAVA_OPT_0, _1, ...: keep their order.
    mapfile -t java_opts < <(env | grep '^SPARK_JAVA_OPT_' | sort -t_ -k4 -n | sed 's/^[^=]*=//')
    cmd=("$JAVA_HOME/bin/java" "${java_opts[@]}" "-Dorg.bytedeco.javacpp.cachedir=${TMPDIR:-/tmp}/javacpp"
      "-Xms$SPARK_EXECUTOR_MEMORY" "-Xmx$SPARK_EXECUTOR_MEMORY" -cp "$classpath"
      org.apache.spark.scheduler.cluster.k8s.KubernetesExecutorBackend
      --driver-url "$SPARK_DRIVER_URL" --executor-id "$SPARK_EXECUTOR_ID" --cores "$SPARK_EXECUTOR_CORES"
      --app-id "$SPARK_APPLICATION_ID" --hostname "$SPARK_EXECUTOR_POD_IP"
      --resourceProfileId "$SPARK_RESOURCE_PROFILE_ID" --podName "$SPARK_EXECUTOR_POD_NAME")
    ;;
  *)
    cmd=("$@")
    ;;
esac
exec /usr/bin/tini -s -- "${cmd[@]}"
