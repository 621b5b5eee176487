#!/usr/bin/env bash
# Fetch TensorFlow Lite Micro for Arduino (library name Arduino_TensorFlowLite) into
# firmware/libraries/, where the sketch.yaml build profiles expect it (`dir:` entry).
#
# Why not the Library Manager: Arduino_TensorFlowLite was removed from it at the TFLM maintainers'
# request (arduino/library-registry#1748, 2022). The official library lives in
# github.com/tensorflow/tflite-micro-arduino-examples, archived (read-only) since February 2025, so
# its main branch no longer moves. Set TFLM_COMMIT to pin an exact commit; the commit used is
# written to firmware/libraries/Arduino_TensorFlowLite.commit.
set -euo pipefail
cd "$(dirname "$0")"
URL=https://github.com/tensorflow/tflite-micro-arduino-examples
DEST=libraries/Arduino_TensorFlowLite
mkdir -p libraries
if [ ! -d "$DEST/.git" ]; then
  git clone --quiet "$URL" "$DEST"
fi
if [ -n "${TFLM_COMMIT:-}" ]; then
  git -C "$DEST" checkout --quiet "$TFLM_COMMIT"
fi
git -C "$DEST" rev-parse HEAD | tee "$DEST.commit"
test -f "$DEST/src/tensorflow/lite/experimental/microfrontend/lib/frontend.h" \
  || { echo "error: $DEST has no micro frontend (tensorflow/lite/experimental/microfrontend/lib)" >&2; exit 1; }
echo "Arduino_TensorFlowLite ready in firmware/$DEST"
