#!/usr/bin/env bash
# Data-parallel training speed-up: yolov4-tiny @416, global batch 16, 1 rank × 1 thread vs N ranks × 1 thread
# (mpirun on this machine), on a generated shapes set (5 classes, so the two heads get 30 filters).
# Usage: scripts/bench_mpi.sh [ranks (2)] [iterations (12)] [scratch dir (scratch/bench-mpi)]
set -euo pipefail
cd "$(dirname "$0")/.."
ranks=${1:-2}
iterations=${2:-12}
dir=${3:-scratch/bench-mpi}
cfg=${SWIFTNET_CFG:-../shared/cfg/yolov4-tiny.cfg}
swiftnet=.build/release/swiftnet
[ -x "$swiftnet" ] || swift build -c release
[ -f "$cfg" ] || { echo "no $cfg (set SWIFTNET_CFG to a yolov4-tiny.cfg)" >&2; exit 66; }
mkdir -p "$dir"
[ -f "$dir/data/shapes.data" ] || "$swiftnet" dataset shapes --out "$dir/data" --count 400 --size 416 >/dev/null
settings=(--set yolo.classes=5 --set 29.filters=30 --set 36.filters=30 --set net.batch=16 --set net.subdivisions=1
          --set net.width=416 --set net.height=416)
common=("$cfg" --data "$dir/data/shapes.data" --max-batches "$iterations" --threads 1 --seed 1 "${settings[@]}")
[ "$iterations" -ge 4 ] || { echo "iterations must be at least 4 (two warm-up iterations, then the timed ones)" >&2; exit 64; }
# As root Open MPI wants explicit consent; --oversubscribe lets more ranks than cores start (slower, but it runs).
launcher=(mpirun --oversubscribe)
[ "$(id -u)" = 0 ] && launcher+=(--allow-run-as-root)

# Seconds per iteration: the median of the per-iteration times after the first two (warm-up) iterations.
per_iteration() { grep -E "^ +[0-9]+/$iterations: loss" | sed -E 's/.*, ([0-9.]+) s, .*/\1/' | tail -n +3 | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

rm -rf "$dir/one" "$dir/many"
run() { # name, command…: stdout captured, stderr kept in $dir/name.err and shown on failure
    local name=$1; shift
    if ! "$@" > "$dir/$name.out" 2> "$dir/$name.err"; then
        echo "failed: $*" >&2; tail -20 "$dir/$name.err" >&2; exit 1
    fi
}
run one "$swiftnet" train "${common[@]}" --backup "$dir/one"
run many "${launcher[@]}" -np "$ranks" "$swiftnet" train "${common[@]}" --backup "$dir/many"
one=$(cat "$dir/one.out")
many=$(cat "$dir/many.out")
t1=$(echo "$one" | per_iteration)
tn=$(echo "$many" | per_iteration)
echo "1 rank × 1 thread:  $t1 s per iteration of 16 images ($(echo "$one" | grep '^done:'))"
echo "$ranks ranks × 1 thread: $tn s per iteration of 16 images ($(echo "$many" | grep '^done:'))"
echo "$many" | grep '^gradient exchange'
awk -v a="$t1" -v b="$tn" -v n="$ranks" 'BEGIN { printf "speed-up with %d ranks: %.2f× (ideal %d×)\n", n, a / b, n }'
