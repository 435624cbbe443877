#!/usr/bin/env bash
# Regenerates the project's cfg/ files with `swiftnet cfg` (the generators live in Sources/SwiftnetZoo): edit the
# generators, not the files. Tests check that the committed files are what this script writes.
#   scripts/generate_cfgs.sh [OUT_DIR]      (default: cfg; builds swiftnet first unless SWIFTNET_BIN is set)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-cfg}
bin=${SWIFTNET_BIN:-}
if [[ -z "$bin" ]]; then
    swift build -c release >&2
    bin=.build/release/swiftnet
fi
mkdir -p "$out"
gen() { local file=$1; shift; "$bin" cfg "$@" --out "$out/$file"; }

gen yolov4-pacsp.cfg          yolov4-pacsp
gen yolov4-pacsp-mish.cfg     yolov4-pacsp --activation mish --width 640 --height 640
gen yolov4-pacsp-s.cfg        yolov4-pacsp --scale s
gen yolov4-pacsp-s-mish.cfg   yolov4-pacsp --scale s --activation mish
gen yolov4-pacsp-x.cfg        yolov4-pacsp --scale x
gen yolov4-pacsp-x-mish.cfg   yolov4-pacsp --scale x --activation mish
gen yolov4.cfg                yolov4
gen yolov4-tiny.cfg           yolov4-tiny
gen csdarknet53-omega.cfg     csdarknet53
gen csresnext50-omega.cfg     csresnext50
gen shapes.cfg                shapes
gen csdarknet-shapes.cfg      csdarknet-shapes
