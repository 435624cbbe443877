#!/usr/bin/env bash
# Reproduces the bundled model: generate the synthetic shapes dataset, train cfg/shapes.cfg from scratch, and
# evaluate the final weights on the valid split (darknet mAP@0.5 and COCO AP). An experiment, not a test.
#   scripts/train_shapes.sh [OUT_DIR] [SEED]
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-scratch/shapes}
seed=${2:-7}
bin=.build/release/swiftnet
"$bin" dataset shapes --out "$out" --count 2000 --seed "$seed"
start=$(date +%s)
"$bin" train cfg/shapes.cfg --data "$out/shapes.data"
end=$(date +%s)
echo "training took $((end - start)) s"
"$bin" map --data "$out/shapes.data" --cfg cfg/shapes.cfg --weights "$out/backup/shapes_final.weights" --json > "$out/map.json"
