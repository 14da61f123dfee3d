#!/usr/bin/env bash
# The end-to-end quickstart on generated data: build (first time), then
#   synth (phantoms in the real dataset layout) -> prep (Spark) -> train (tiny LLM-TransUNet, 2 local workers,
#   parameter averaging) -> evaluate (metrics table, overlays, training curve).
# QUICKSTART_DATASET=isic2017 (default: 2-D lesions, binary) or synapse (3-D BTCV-layout CT, 8 organs).
# QUICKSTART_DIR (default: ./quickstart-run) holds everything it writes; it is recreated on every run.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
dataset="${QUICKSTART_DATASET:-isic2017}"
work="${QUICKSTART_DIR:-$root/quickstart-run}"
case "$dataset" in
  isic2017) synth_args=(--cases 200 --size 64) ;;
  synapse) synth_args=(--cases 30 --size 64 --depth 12) ;;
  *) echo "QUICKSTART_DATASET must be isic2017 or synapse" >&2; exit 2 ;;
esac
conf="conf/quickstart/$dataset.conf"

if [[ ! -f job/target/medseg-job.jar ]]; then
  echo "== building (first time: downloads ~1 GB from Maven Central)"
  mvn -B -q -DskipTests package
fi
rm -rf "$work"
mkdir -p "$work"
start=$(date +%s)
step() { echo; echo "== $* ($(( $(date +%s) - start )) s)"; }

step "generating $dataset phantoms in the published layout"
bin/medseg synth --layout "$dataset" --output "$work/raw" "${synth_args[@]}"
step "a tiny random LLaMA-shaped block (stands in for an extracted LLaMA-7B layer)"
bin/medseg llm random --dim 64 --heads 4 --kv-heads 4 --ffn 172 --output "$work/tiny-llama.safetensors"
step "prep: raw dataset -> 64x64 slice Parquet shards"
bin/medseg prep --conf "$conf" --input "$work/raw" --output "$work/prep"
step "train: tiny LLM-TransUNet, 2 workers, synchronous parameter averaging"
bin/medseg train --conf "$conf" --data "$work/prep" --output "$work/run" \
  model.llm.checkpoint="$work/tiny-llama.safetensors"
step "evaluate on the test split"
bin/medseg evaluate --run "$work/run" --data "$work/prep" --split test --overlays 4
step "done"
echo "Outputs under $work: run/checkpoints, run/case_metrics (Parquet), run/overlays/*.png, run/training-curve.png."
echo "Query them: bin/medseg inspect --run $work/run --sql \"SELECT class_name, avg(dice) FROM case_metrics GROUP BY class_name\""
