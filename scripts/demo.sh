#!/usr/bin/env bash
# The main job: detect objects in the bundled sample picture with the bundled model (trained by swiftnet on its
# synthetic shapes dataset) and write the annotated picture to out/sample.jpg. No downloads, no ../shared.
set -euo pipefail
cd "$(dirname "$0")/.."
.build/release/swiftnet detect data/sample.jpg --ext-output --output-dir out
echo "annotated image written to out/sample.jpg"
