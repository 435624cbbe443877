#!/usr/bin/env bash
# Installs the system libraries swiftnet links against (OpenBLAS, libpng, libjpeg, Open MPI) when they are missing.
# With --test, also what the tests drive: python3's numpy (one oracle test regenerates reference weights with
# ../shared/tools/make_weights.py) and, for the browser test of `swiftnet serve`'s page, Debian's chromium and
# chromium-driver with selenium for python3.
set -euo pipefail

packages=(libopenblas-dev libpng-dev libjpeg-dev libopenmpi-dev openmpi-bin)
[ "${1:-}" = "--test" ] && packages+=(chromium chromium-driver)
missing=()
for pkg in "${packages[@]}"; do
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
    for module in numpy selenium; do
        if ! python3 -c "import $module" >/dev/null 2>&1; then
            echo "installing $module for python3" >&2
            python3 -m pip install --quiet "$module" || echo "warning: $module unavailable; the tests that need it are skipped" >&2
        fi
    done
fi
