#!/usr/bin/env bash
# The main job: detect objects in sample photos with a pretrained model and write annotated images to out/.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=.build/release/swiftnet
model=../shared/models/yolov3-tiny-coco
images=../shared/images
if [ -d "$model" ] && [ -d "$images" ]; then
    "$bin" detect "$images"/*.jpg --cfg "$model/yolov3-tiny.cfg" --weights "$model/yolov3-tiny.weights" \
        --names "$model/coco.names" --ext-output --output-dir out
    echo "annotated images written to out/"
else
    echo "No bundled model yet and ../shared/models/yolov3-tiny-coco is not here. Pass your own files:" >&2
    echo "  $bin detect IMAGE.jpg --cfg MODEL.cfg --weights MODEL.weights --names CLASSES.names [--output-dir out]" >&2
    exit 1
fi
