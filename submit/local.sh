#!/usr/bin/env bash
# Spark local mode: `submit/local.sh [--conf k=v]... COMMAND ARGS...`, e.g.
#   submit/local.sh train --conf conf/models/tiny.conf --data prep-out --output runs/tiny train.workers=2
# The driver JVM runs every task: MEDSEG_LOCAL_THREADS (default *) task slots, MEDSEG_DRIVER_HEAP_GB heap and
# MEDSEG_DRIVER_OFFHEAP_GB (default 8) ND4J off-heap memory.
set -euo pipefail
MEDSEG_DRIVER_OFFHEAP_GB=${MEDSEG_DRIVER_OFFHEAP_GB:-8}
# shellcheck source=common.sh source-path=SCRIPTDIR disable=SC2034 # sets variables common.sh reads
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
local_mode=1
medseg_submit --master "local[${MEDSEG_LOCAL_THREADS:-*}]" -- "$@"
