#!/usr/bin/env bash
# Load test of `swiftnet serve` with a real HTTP client (wrk, from Debian) on 127.0.0.1, yolov3-tiny @416 from
# ../shared/models. Not a test: it prints numbers.
#  1. `swiftnet detect --batch 8` on a 64-image list: the throughput to compare with.
#  2. 16 concurrent clients for 30 s: requests/s, p50/p99 latency, answers by status.
#  3. Memory: resident set after 500 requests and after 5,000 (a leak shows as growth).
#  4. Overload: a queue of 2 and 32 clients: only 200 and 503 answers.
#   scripts/loadtest.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-30}
command -v wrk >/dev/null || { sudo=""; [ "$(id -u)" -ne 0 ] && sudo=sudo; $sudo apt-get install -y -qq wrk >/dev/null; }
bin=.build/release/swiftnet
[ -x "$bin" ] || swift build -c release >/dev/null
model=../shared/models/yolov3-tiny-coco
files=(../shared/images/dog.jpg ../shared/images/eagle.jpg ../shared/images/person.jpg)
export IMAGES=$(IFS=:; echo "${files[*]}")
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$work"' EXIT

for i in $(seq 1 22); do printf '%s\n' "${files[@]}"; done | head -64 > "$work/list.txt"
"$bin" detect "$work/list.txt" "$model/yolov3-tiny.cfg" "$model/yolov3-tiny.weights" "$model/coco.names" --batch 8 \
    >/dev/null 2> "$work/detect.err"
detect_rate=$(grep -o '[0-9.]* images/s (batch' "$work/detect.err" | cut -d' ' -f1)
echo "swiftnet detect --batch 8, 64 images: $detect_rate images/s"

serve() { # port, extra options
    local port=$1; shift
    "$bin" serve "$model/yolov3-tiny.cfg" "$model/yolov3-tiny.weights" "$model/coco.names" --port "$port" "$@" 2> "$work/serve-$port.err" &
    echo $! > "$work/serve-$port.pid"
    for _ in $(seq 1 100); do grep -q "warmed up" "$work/serve-$port.err" 2>/dev/null && return; sleep 0.1; done
    echo "server did not start:"; cat "$work/serve-$port.err"; exit 1
}
rss() { awk '/VmRSS/ {print $2}' "/proc/$(cat "$work/serve-$1.pid")/status"; }

serve 18181 --max-batch 8 --max-wait-ms 5 --queue 64
LIMIT=0 wrk -t4 -c16 -d"${seconds}s" --latency -s scripts/loadtest/post.lua http://127.0.0.1:18181/v1/detect > "$work/run.txt"
result=$(grep '^RESULT' "$work/run.txt")
echo "16 clients, ${seconds} s: ${result#RESULT }"
rps=$(sed 's/.*rps=\([0-9.]*\).*/\1/' <<<"$result")
python3 -c "print('throughput: serve %.1f requests/s = %.2f x detect --batch 8 (%.1f images/s)' % ($rps, $rps / $detect_rate, $detect_rate))"

# wrk always runs for its whole -d duration, so the counted phase uses a plain keep-alive client (16 threads).
python3 scripts/loadtest/client.py http://127.0.0.1:18181/v1/detect 500 16 "${files[@]}" > "$work/warm.txt"
before=$(rss 18181)
python3 scripts/loadtest/client.py http://127.0.0.1:18181/v1/detect 4500 16 "${files[@]}" > "$work/leak.txt"
after=$(rss 18181)
leak=$(grep '^RESULT' "$work/leak.txt")
echo "4,500 more requests: ${leak#RESULT }"
python3 -c "print('memory: RSS %.1f MB after 500 requests, %.1f MB after 5,000 (%+.1f %%)' % ($before / 1024, $after / 1024, 100 * ($after - $before) / $before))"
kill -TERM "$(cat "$work/serve-18181.pid")"; wait "$(cat "$work/serve-18181.pid")" 2>/dev/null || true

serve 18182 --max-batch 1 --max-wait-ms 0 --queue 2
LIMIT=0 wrk -t4 -c32 -d10s -s scripts/loadtest/post.lua http://127.0.0.1:18182/v1/detect > "$work/overload.txt"
overload=$(grep '^RESULT' "$work/overload.txt")
echo "overload (queue 2, 32 clients, 10 s): ${overload#RESULT }"
kill -TERM "$(cat "$work/serve-18182.pid")"; wait "$(cat "$work/serve-18182.pid")" 2>/dev/null || true
