#!/usr/bin/env bash
# Runs one experiment of the paper's tables end to end, or all of them, and collects the comparison table:
#   prep (once per dataset) -> train -> evaluate, then `medseg inspect` over every run.
#
#   submit/run-experiment.sh EXPERIMENT|all RAW_ROOT WORK_DIR [key=value ...]
#
# EXPERIMENT is a file name under conf/experiments/ (e.g. table2-synapse-llm-transunet.conf) or a path to any config
# that includes a conf/datasets file (e.g. conf/quickstart/isic2017.conf). RAW_ROOT holds the
# raw datasets in their published layouts, one folder per dataset name (RAW_ROOT/synapse = the BTCV folder with
# RawData/, RAW_ROOT/isic2017, RAW_ROOT/acdc, ...). WORK_DIR receives prep/<dataset>/ and runs/<experiment>/.
# Trailing key=value overrides go to train and evaluate (e.g. model.llm.checkpoint=/data/llama7b-layer31.safetensors).
# Set MEDSEG_SUBMIT=submit/standalone.sh\ spark://host:7077 (or local.sh, yarn.sh) to run through spark-submit;
# the default is bin/medseg (Spark local mode in one JVM).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [[ $# -lt 3 ]]; then
  sed -n '2,12p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 2
fi
which="$1"; raw="$2"; work="$3"; shift 3
read -r -a runner <<< "${MEDSEG_SUBMIT:-$root/bin/medseg}"
if [[ "$which" == all ]]; then
  mapfile -t experiments < <(cd "$root/conf/experiments" && ls -- *.conf)
elif [[ -f "$which" ]]; then
  experiments=("$(cd "$(dirname "$which")" && pwd)/$(basename "$which")")
else
  experiments=("$(basename "$which")")
fi
mkdir -p "$work/prep" "$work/runs"
runs=()
for exp in "${experiments[@]}"; do
  if [[ "$exp" == /* ]]; then conf="$exp"; else conf="$root/conf/experiments/$exp"; fi
  [[ -f "$conf" ]] || { echo "no such experiment: $conf" >&2; exit 2; }
  name="$(basename "${exp%.conf}")"
  # The dataset is the part between the table prefix and the model suffix, e.g. table2-synapse-llm-transunet.
  dataset=$(sed -n 's/^include "..\/datasets\/\(.*\)\.conf"$/\1/p' "$conf" | head -1)
  [[ -n "$dataset" ]] || { echo "$conf includes no dataset file" >&2; exit 2; }
  if [[ ! -d "$work/prep/$dataset/slices" ]]; then
    echo "== prep $dataset from $raw/$dataset"
    set +e
    "${runner[@]}" prep --conf "$conf" --input "$raw/$dataset" --output "$work/prep/$dataset"
    code=$?
    set -e
    # 4 = finished with rejected cases (listed in the rejected table): go on, as the summary says.
    [[ $code -eq 0 || $code -eq 4 ]] || exit $code
  fi
  echo "== train $name"
  if [[ -f "$work/runs/$name/checkpoints/final.safetensors" ]]; then
    echo "already trained: $work/runs/$name"
  elif [[ -f "$work/runs/$name/resolved.conf" ]]; then
    "${runner[@]}" train --resume --conf "$work/runs/$name/resolved.conf" --data "$work/prep/$dataset" --output "$work/runs/$name" "$@"
  else
    "${runner[@]}" train --conf "$conf" --data "$work/prep/$dataset" --output "$work/runs/$name" "$@"
  fi
  echo "== evaluate $name"
  set +e
  "${runner[@]}" evaluate --run "$work/runs/$name" --data "$work/prep/$dataset" --split test
  code=$?
  set -e
  [[ $code -eq 0 || $code -eq 4 ]] || exit $code
  runs+=(--run "$work/runs/$name")
done
echo
echo "== comparison (paper layout)"
"$root/bin/medseg" inspect "${runs[@]}"
