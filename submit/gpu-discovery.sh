#!/usr/bin/env bash
# Spark GPU discovery script (spark.executor.resource.gpu.discoveryScript / spark.worker.resource.gpu.discoveryScript):
# prints the GPUs this host (or container) can see as the JSON Spark expects, e.g.
#   {"name": "gpu", "addresses": ["0", "1"]}
# Spark then gives each task one of these addresses; the train job binds ND4J to it.
set -euo pipefail
if ! indexes=$(nvidia-smi --query-gpu=index --format=csv,noheader 2>&1); then
  echo "gpu-discovery: nvidia-smi failed: $indexes" >&2
  exit 1
fi
addresses=()
while read -r i; do
  [[ $i =~ ^[0-9]+$ ]] && addresses+=("\"$i\"")
done <<< "$indexes"
joined=$(IFS=,; echo "${addresses[*]}")
echo "{\"name\": \"gpu\", \"addresses\": [${joined//,/, }]}"
