#!/usr/bin/env bash
# The end-to-end quickstart on generated data: build, then prep -> train -> evaluate with a tiny LLM-TransUNet
# on 2 local Spark workers. Stages that this build does not provide yet are listed instead of run.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
if [[ ! -f job/target/medseg-job.jar ]]; then
  echo "== building (first time: downloads ~1 GB from Maven Central)"
  mvn -B -q -DskipTests package
fi
echo "== medseg info"
bin/medseg info
echo
echo "== end-to-end stages"
status=0
for stage in "prep --dataset synapse --input x --output x" "train --data x --output x" "evaluate --run x --data x"; do
  set +e
  out=$(bin/medseg $stage 2>&1); code=$?
  set -e
  if [[ $code -eq 3 ]]; then echo "not available yet: ${out#medseg }"; status=3; fi
done
if [[ $status -eq 3 ]]; then
  echo
  echo "This build runs 'info' only; the end-to-end run (phantom data -> prep -> train -> evaluate) arrives with"
  echo "the stages above. See README, 'Status'."
fi
