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

# Training (issue 11): per-image time of a yolov4-tiny @416 iteration with batch 16 against OpenCV's per-image forward.
tiny=$shared/cfg/yolov4-tiny.cfg
if [ -f "$tiny" ]; then
    "$bin" benchmark "$tiny" --width 416 --train --batch 16 --runs 3 --json > "$out/train.json" 2>/dev/null
    train=$(python3 -c "import json;print(json.load(open('$out/train.json'))['median_s']*1000/16)")
    if [ -n "$weights" ] && python3 -c 'import cv2' 2>/dev/null; then
        python3 "$shared/tools/make_weights.py" "$tiny" "$out/tiny.weights" --seed 1 >/dev/null
        python3 "$shared/tools/opencv_bench.py" "$tiny" "$out/tiny.weights" --size 416 --runs "$runs" --json "$out/tiny.cv.json" >/dev/null 2>&1
        cv=$(python3 -c "import json;print(json.load(open('$out/tiny.cv.json'))['median_ms'])")
        printf "%-28s %5s  swiftnet %8.1f ms   opencv %8.1f ms   ratio %.2f  (training ms per image / OpenCV forward)\n" \
            "train yolov4-tiny b16" 416 "$train" "$cv" "$(python3 -c "print($train/$cv)")"
    else
        printf "%-28s %5s  swiftnet %8.1f ms per image\n" "train yolov4-tiny b16" 416 "$train"
    fi
fi

# Batches (issue 11): detect throughput on a 64-image list with --batch 8 against --batch 1 (yolov3-tiny @416).
model=$shared/models/yolov3-tiny-coco
if [ -d "$model" ]; then
    for i in $(seq 0 63); do ls "$shared"/images/*.jpg | sed -n "$((i % $(ls "$shared"/images/*.jpg | wc -l) + 1))p"; done > "$out/list.txt"
    rate() { "$bin" detect "$out/list.txt" --cfg "$model/yolov3-tiny.cfg" --weights "$model/yolov3-tiny.weights" --batch "$1" 2>&1 >/dev/null \
             | sed -n -E 's/.*: ([0-9.]+) images\/s.*/\1/p' | tail -1; }
    # Alternating runs, the best of three each (a shared host's load moves single runs by ±20 %).
    one=0; eight=0
    for _ in 1 2 3; do
        one=$(python3 -c "print(max($one, $(rate 1)))"); eight=$(python3 -c "print(max($eight, $(rate 8)))")
    done
    printf "%-28s %5s  batch 1 %6.1f images/s   batch 8 %6.1f images/s   ratio %.2f  (64 images, best of 3)\n" \
        "detect yolov3-tiny" 416 "$one" "$eight" "$(python3 -c "print($eight/$one)")"
fi
rm -rf "$out"
