# shellcheck shell=bash
# Native run-time settings for every JVM that runs ND4J ops, sourced by bin/medseg, submit/common.sh and the docker
# entrypoint. All change speed and memory only, never results. Measured in README
# (Performance): together they take a TransUNet train step on 2 cores from ~4.3 s to ~3.3 s and peak RSS down ~0.3 GB.
#
# - GOMP_SPINCOUNT=10000: after each parallel region libgomp's worker threads spin ~300k iterations before sleeping.
#   SameDiff runs thousands of small ops per step with Java work between them, so on few cores the spinning threads
#   take the CPU from the thread that has work (perf: ~20% of all cycles in libgomp's wait loop).
# - OPENBLAS_THREAD_TIMEOUT=4: ND4J's OpenBLAS (pthreads) keeps its idle worker threads spinning on sched_yield for
#   2^28 cycles after each product; meanwhile libgomp's threads run SameDiff's other ops, and on 2 cores the
#   spinning worker took 13% of all samples (perf, kernel time). 2^4 cycles lets it sleep at once: a TransUNet train
#   step at 2 threads 2.73-2.82 s -> 2.41-2.62 s (session 14, alternating runs).
# - tcmalloc (Debian: libtcmalloc-minimal4) preloaded: glibc malloc hands back and re-faults the activation buffers
#   of every step (~240k page faults, 1 GB of zeroed pages per TransUNet step); tcmalloc keeps them.
#
# Values already in the environment win. MEDSEG_NATIVE_TUNING=off sets nothing. Exports MEDSEG_NATIVE_ENV, the
# settings this script added ("K=V K=V"), so tools can pass them on to executors or leave them off a peer's process.
MEDSEG_NATIVE_ENV=""
if [[ ${MEDSEG_NATIVE_TUNING:-on} != off ]]; then
  if [[ -z ${GOMP_SPINCOUNT:-} && -z ${OMP_WAIT_POLICY:-} ]]; then
    export GOMP_SPINCOUNT=10000
    MEDSEG_NATIVE_ENV+="GOMP_SPINCOUNT=10000 "
  fi
  if [[ -z ${OPENBLAS_THREAD_TIMEOUT:-} ]]; then
    export OPENBLAS_THREAD_TIMEOUT=4
    MEDSEG_NATIVE_ENV+="OPENBLAS_THREAD_TIMEOUT=4 "
  fi
  if [[ ${LD_PRELOAD:-} != *tcmalloc* ]]; then
    for _tc in "${MEDSEG_TCMALLOC:-}" /usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4 \
               /usr/lib/aarch64-linux-gnu/libtcmalloc_minimal.so.4 /usr/lib64/libtcmalloc_minimal.so.4; do
      if [[ -n $_tc && -f $_tc ]]; then
        export LD_PRELOAD="$_tc${LD_PRELOAD:+:$LD_PRELOAD}"
        MEDSEG_NATIVE_ENV+="LD_PRELOAD=$_tc "
        break
      fi
    done
    unset _tc
  fi
fi
export MEDSEG_NATIVE_ENV="${MEDSEG_NATIVE_ENV% }"
