#!/usr/bin/env bash
# Fetch TensorFlow Lite Micro for Arduino (library Arduino_TensorFlowLite) at a pinned commit into
# firmware/libraries/, where the sketch.yaml build profiles expect it (`dir:` entry), and patch it so it
# builds for the EdgeBadge's SAMD51 too (patch_tflm.py says what and why).
#
#   firmware/fetch_tflm.sh            # or: TFLM_COMMIT=<sha> firmware/fetch_tflm.sh [DEST]
#
# Why not the Library Manager: Arduino_TensorFlowLite was removed from it at the TFLM maintainers'
# request (arduino/library-registry#1748, 2022). The official library is the repository below, archived
# (read-only) since February 2025. The pinned commit is the one the sketch was compiled and tested
# against (firmware/README.md); another commit may need other changes, which patch_tflm.py refuses
# loudly. TFLM_URL overrides the repository (a mirror, or a local clone). The commit used is written
# to DEST.commit.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
URL="${TFLM_URL:-https://github.com/tensorflow/tflite-micro-arduino-examples}"
COMMIT="${TFLM_COMMIT:-7948b85e020470a30a83bf00e10fc43b486bfcba}"
DEST="${1:-$here/libraries/Arduino_TensorFlowLite}"
mkdir -p "$(dirname "$DEST")"
if [ ! -d "$DEST/.git" ]; then
  git clone --quiet "$URL" "$DEST"
fi
if ! git -C "$DEST" cat-file -e "$COMMIT^{commit}" 2>/dev/null; then
  git -C "$DEST" fetch --quiet origin
fi
# Undo an earlier patch before switching commits, so the checkout is clean.
git -C "$DEST" checkout --quiet --force "$COMMIT"
git -C "$DEST" rev-parse HEAD > "$DEST.commit"
test -f "$DEST/src/tensorflow/lite/experimental/microfrontend/lib/frontend.h" \
  || { echo "error: $DEST has no micro frontend (tensorflow/lite/experimental/microfrontend/lib)" >&2; exit 1; }
python3 "$here/patch_tflm.py" "$DEST"
echo "Arduino_TensorFlowLite $(cat "$DEST.commit") ready in $DEST"
