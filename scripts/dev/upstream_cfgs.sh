#!/usr/bin/env bash
# Dev-only: load every cfg of a folder (e.g. AlexeyAB/darknet's cfg/) with `swiftnet layers` and print one markdown
# table row per file: the layer count and BFLOPs, or the first line of the error. Used for docs/compatibility.md.
#   scripts/dev/upstream_cfgs.sh DARKNET_CHECKOUT   (runs from that folder, as the cfgs name relative paths)
set -uo pipefail
bin=$(cd "$(dirname "$0")/../.." && pwd)/.build/release/swiftnet
cd "$1" || exit 1
for cfg in cfg/*.cfg; do
    name=${cfg#cfg/}
    if out=$(timeout 60 "$bin" layers "$cfg" --json 2>/tmp/upstream_cfgs.err); then
        summary=$(python3 -c 'import json,sys; d=json.load(sys.stdin); print("%d layers, %.1f BFLOPs" % (len(d["layers"]), sum(l["bflops"] for l in d["layers"])))' <<<"$out")
        echo "| $name | loads: $summary |"
    else
        reason=$(grep -m1 '^error:' /tmp/upstream_cfgs.err | sed "s#^error: $cfg:##; s#^error: ##; s#|#\\\\|#g")
        echo "| $name | refused: line $reason |"
    fi
done
