# shellcheck shell=bash
# Shared by submit/{local,standalone,yarn,k8s}.sh: runs `medseg COMMAND ARGS...` as a Spark application.
# With SPARK_HOME set it uses "$SPARK_HOME/bin/spark-submit"; otherwise it starts Spark's own SparkSubmit class
# with java from the built classpath (job/target/medseg-job.jar + job/target/lib/*), so no Spark install is needed
# for local mode or a standalone master. See submit/README.md for the knobs (all optional):
#   MEDSEG_SPARK_CONF            whitespace-separated key=value Spark settings (leading `--conf k=v` args work too)
#   MEDSEG_DRIVER_HEAP_GB        driver heap (default 4)
#   MEDSEG_DRIVER_OFFHEAP_GB     driver ND4J off-heap limit (default 2; local.sh: 8, the driver trains there)
#   MEDSEG_EXECUTOR_HEAP_GB      executor heap (default 6)
#   MEDSEG_EXECUTOR_OFFHEAP_GB   executor ND4J off-heap limit (default 6); memoryOverhead = this + 1 GB
#   MEDSEG_EXECUTOR_CORES        cores per executor (default 1); ND4J uses as many threads, one task at a time
#   MEDSEG_DRIVER_JAVA_OPTS / MEDSEG_EXECUTOR_JAVA_OPTS   extra JVM options (keep the --add-opens flags)
#   MEDSEG_MAX_RESULT_GB         spark.driver.maxResultSize (default 16): workers return their state in double
#   MEDSEG_GPU=1                 GPU profile: one GPU per executor and per task, found by MEDSEG_GPU_DISCOVERY
#   MEDSEG_NATIVE_TUNING=off     no GOMP_SPINCOUNT / OPENBLAS_THREAD_TIMEOUT / tcmalloc for driver and executors (bin/native-env.sh)
#   MEDSEG_DRY_RUN=1             print the command instead of running it
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
jar="$root/job/target/medseg-job.jar"
lib="$root/job/target/lib"
if [[ ! -f "$jar" || ! -f "$root/job/target/jvm-flags" ]]; then
  echo "submit: $jar is not built yet; run: (cd '$root' && mvn -B -DskipTests package)" >&2
  exit 2
fi
read -r jvm_flags < "$root/job/target/jvm-flags"
# GOMP_SPINCOUNT, OPENBLAS_THREAD_TIMEOUT and tcmalloc for the driver (this process tree); executors get the same below.
# shellcheck source=../bin/native-env.sh
source "$root/bin/native-env.sh"
driver_heap=${MEDSEG_DRIVER_HEAP_GB:-4}
driver_offheap=${MEDSEG_DRIVER_OFFHEAP_GB:-2}
exec_heap=${MEDSEG_EXECUTOR_HEAP_GB:-6}
exec_offheap=${MEDSEG_EXECUTOR_OFFHEAP_GB:-6}
exec_cores=${MEDSEG_EXECUTOR_CORES:-1}
gpu_discovery=${MEDSEG_GPU_DISCOVERY:-$root/submit/gpu-discovery.sh}

# ND4J keeps tensors (the frozen LLaMA block: ~810 MB) off-heap, where JavaCPP caps it at maxbytes; Spark does not
# count it, so memoryOverhead must cover it plus ~1 GB of the JVM's own native memory (threads, netty, metaspace).
javacpp() { echo "-Dorg.bytedeco.javacpp.maxbytes=$2G -Dorg.bytedeco.javacpp.maxphysicalbytes=$(($1 + $2 + 1))G"; }

# Jars an executor needs beyond a Spark distribution's own: all of lib/ minus what SPARK_HOME/jars already holds
# (or, with no SPARK_HOME, minus Spark and Scala themselves, which the cluster's workers provide). Comma-separated.
app_jars() {
  local j name out=()
  for j in "$lib"/*.jar; do
    name=$(basename "$j")
    if [[ -n "${SPARK_HOME:-}" ]]; then
      [[ -f "$SPARK_HOME/jars/$name" ]] && continue
    else
      [[ $name == spark-* || $name == scala-library-* || $name == scala-reflect-* ]] && continue
    fi
    out+=("$j")
  done
  local IFS=,
  echo "${out[*]}"
}

# medseg_submit SPARK_SUBMIT_OPTIONS... -- [--conf k=v]... COMMAND ARGS...
medseg_submit() {
  local opts=() user=()
  while [[ $# -gt 0 && $1 != -- ]]; do opts+=("$1"); shift; done
  [[ $# -gt 0 ]] && shift
  local kv
  for kv in ${MEDSEG_SPARK_CONF:-}; do user+=(--conf "$kv"); done
  while [[ $# -gt 0 && $1 == --conf* ]]; do
    if [[ $1 == --conf=* ]]; then user+=(--conf "${1#--conf=}"); shift
    elif [[ $# -ge 2 ]]; then user+=(--conf "$2"); shift 2
    else echo "submit: --conf needs key=value" >&2; return 2
    fi
  done
  if [[ $# -eq 0 ]]; then
    echo "usage: $(basename "$0") ${MEDSEG_USAGE:-}[--conf key=value]... COMMAND [ARGS...]   (COMMAND: train, prep, evaluate, ...)" >&2
    return 2
  fi
  local driver_opts exec_opts
  # Training moves the model-sized state through driver and executor heaps every round; G1 would shrink the heap
  # after each round and grow it again in the next, a 1-3 s stall of the broadcast fetch in some rounds; and its
  # adaptive marking threshold fell so low that every state piece reaching the driver started a concurrent marking
  # cycle (~10 a round). Same flags as the bench cluster (StandaloneCluster.ROUND_HEAP_FLAGS).
  local keep_heap="-XX:MaxHeapFreeRatio=100 -XX:-G1UseAdaptiveIHOP -XX:InitiatingHeapOccupancyPercent=70"
  driver_opts="$jvm_flags $keep_heap $(javacpp "$driver_heap" "$driver_offheap") ${MEDSEG_DRIVER_JAVA_OPTS:-}"
  exec_opts="$jvm_flags $keep_heap $(javacpp "$exec_heap" "$exec_offheap") ${MEDSEG_EXECUTOR_JAVA_OPTS:-}"
  local conf=(--driver-memory "${driver_heap}g"
    --conf "spark.driver.extraJavaOptions=$driver_opts"
    --conf "spark.executor.extraJavaOptions=$exec_opts"
    --conf "spark.executor.memory=${exec_heap}g"
    --conf "spark.executor.memoryOverhead=$((exec_offheap + 1))g"
    --conf "spark.driver.maxResultSize=${MEDSEG_MAX_RESULT_GB:-16}g"
    --conf "spark.ui.showConsoleProgress=false")
  if [[ ${local_mode:-0} != 1 ]]; then
    # One training task per executor using all its cores: Spark sets the executors' OMP_NUM_THREADS (ND4J's
    # thread count) from this too, so say it explicitly.
    conf+=(--conf "spark.executor.cores=$exec_cores" --conf "spark.task.cpus=$exec_cores"
      --conf "spark.executorEnv.OMP_NUM_THREADS=$exec_cores")
  fi
  # Executors get the native settings this host chose (a tcmalloc path missing on a node is skipped by ld.so
  # with a warning; install libtcmalloc-minimal4 there or set MEDSEG_NATIVE_TUNING=off).
  for kv in $MEDSEG_NATIVE_ENV; do conf+=(--conf "spark.executorEnv.$kv"); done
  if [[ ${MEDSEG_GPU:-0} == 1 ]]; then
    conf+=(--conf spark.executor.resource.gpu.amount=1 --conf spark.task.resource.gpu.amount=1
      --conf "spark.executor.resource.gpu.discoveryScript=$gpu_discovery")
  fi
  local cmd
  if [[ -n "${SPARK_HOME:-}" ]]; then
    cmd=("$SPARK_HOME/bin/spark-submit")
  else
    # The driver is this JVM (client mode), so its heap and options go on the java command itself.
    local jvm
    read -r -a jvm <<< "$driver_opts"
    cmd=("${JAVA:-java}" "-Xmx${driver_heap}g" "${jvm[@]}" -cp "$jar:$lib/*" org.apache.spark.deploy.SparkSubmit)
  fi
  cmd+=("${opts[@]}" "${conf[@]}" "${user[@]}" --class dev.medseg.job.cli.Medseg "${MEDSEG_APP_JAR:-$jar}" "$@")
  if [[ ${MEDSEG_DRY_RUN:-0} == 1 ]]; then
    printf '%s\n' "${cmd[@]}"
    return 0
  fi
  exec "${cmd[@]}"
}
