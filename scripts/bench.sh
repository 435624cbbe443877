#!/usr/bin/env bash
# Forward-pass speed of the networks named in docs/benchmarks.md, side by side with OpenCV DNN when it is installed
# (pip install "opencv-python-headless<5"). Prints ratios; nothing here is a test.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=.build/release/swiftnet
shared=../shared
runs=${RUNS:-10}
out=$(mktemp -d)
row() { # name cfg weights size
    local name=$1 cfg=$2 weights=$3 size=$4
    local args=(benchmark "$cfg" --width "$size" --runs "$runs" --json)
    [ -n "$weights" ] && args+=(--weights "$weights")
    "$bin" "${args[@]}" > "$out/$name.json" 2>/dev/null
    local ours=$(python3 -c "import json;print(json.load(open('$out/$name.json'))['median_ms'])")
    local cv="-"
    if [ -n "$weights" ] && python3 -c 'import cv2' 2>/dev/null; then
        python3 "$shared/tools/opencv_bench.py" "$cfg" "$weights" --size "$size" --runs "$runs" --json "$out/$name.cv.json" >/dev/null 2>&1 \
            && cv=$(python3 -c "import json;print(json.load(open('$out/$name.cv.json'))['median_ms'])")
    fi
    if [ "$cv" != "-" ]; then
        printf "%-28s %5s  swiftnet %8.1f ms   opencv %8.1f ms   ratio %.2f\n" "$name" "$size" "$ours" "$cv" "$(python3 -c "print($ours/$cv)")"
    else
        printf "%-28s %5s  swiftnet %8.1f ms\n" "$name" "$size" "$ours"
    fi
}
weights=""
if [ -f "$shared/tools/make_weights.py" ] && python3 -c 'import numpy' 2>/dev/null; then
    weights="$out/pacsp-mish.weights"
    python3 "$shared/tools/make_weights.py" "$shared/cfg/yolov4-pacsp-mish.cfg" "$weights" --seed 1 >/dev/null
fi
row yolov4-pacsp-mish "$shared/cfg/yolov4-pacsp-mish.cfg" "$weights" 512
row yolov3-tiny "$shared/models/yolov3-tiny-coco/yolov3-tiny.cfg" "$shared/models/yolov3-tiny-coco/yolov3-tiny.weights" 416
row yolov4-tiny-10c "$shared/models/yolov4-tiny-10c/yolov4-tiny-10c.cfg" "$shared/models/yolov4-tiny-10c/yolov4-tiny-final.weights" 416
rm -rf "$out"
