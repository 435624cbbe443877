#!/usr/bin/env bash
# Installs the system libraries swiftnet links against (OpenBLAS, libpng, libjpeg) when they are missing.
# With --test, also makes sure python3 has numpy (one oracle test regenerates reference weights with
# ../shared/tools/make_weights.py).
set -euo pipefail

missing=()
for pkg in libopenblas-dev libpng-dev libjpeg-dev; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
    sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    echo "installing ${missing[*]}" >&2
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if [ "${1:-}" = "--test" ]; then
    if ! python3 -c 'import numpy' >/dev/null 2>&1; then
        echo "installing numpy for python3" >&2
        python3 -m pip install --quiet numpy || echo "warning: numpy unavailable; the random-weights oracle test will be skipped" >&2
    fi
fi
