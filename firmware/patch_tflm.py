#!/usr/bin/env python3
"""Make the Arduino_TensorFlowLite library (tflite-micro-arduino-examples) build for boards other than the
Nano 33 BLE, such as the EdgeBadge's SAMD51. fetch_tflm.sh runs it after checking out the pinned commit;
it only needs Python's standard library.

    python3 firmware/patch_tflm.py firmware/libraries/Arduino_TensorFlowLite

The library targets only the Nano 33 BLE (Sense) and the Teensy 4 out of the box. Three minimal changes,
the same ones the offline tree used for the tests made (its README lists them):

1. src/peripherals/peripherals.h ends in `#error "unsupported board"` for any other board, and
   TensorFlowLite.h includes it: the error line becomes a comment (wakebench has its own board files).
2. src/peripherals/*.cpp drive nRF52840 hardware (I2S, the WM8960 audio hat): each is wrapped in
   `#if defined(ARDUINO_ARDUINO_NANO33BLE)`, so other boards compile them to nothing.
3. src/tensorflow/lite/micro/system_setup.cpp, which defines TFLM's DebugLog() on Arduino's Serial, is
   left out on every board but the Nano (and the link then misses DebugLog): its board guard is opened
   (`#if 0`), and the mbed-only type `ulong` is spelled `unsigned long`.

Each change is recognised when already made (running twice changes nothing); a file that looks like
neither the upstream nor the patched form is an error, so another library version fails loudly here
instead of somewhere in a five-minute compile. Exit status 0 = the library is ready.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

NANO_GUARD = "#if defined(ARDUINO_ARDUINO_NANO33BLE)"
ERROR_LINE = re.compile(r'^#error "unsupported board"[ \t]*$', re.M)
ERROR_REPLACEMENT = (
    "// (wakebench patch_tflm.py) no peripherals for this board: the sketch has its own board files"
)
SETUP_GUARD = re.compile(r"^#if defined\(ARDUINO\) && !defined\(ARDUINO_ARDUINO_NANO33BLE\)[ \t]*$", re.M)
SETUP_OPEN = (
    "#if 0  // (wakebench patch_tflm.py) was: defined(ARDUINO) && !defined(ARDUINO_ARDUINO_NANO33BLE)"
)
SETUP_OPENED = re.compile(r"^#if 0\b.*\n#define ARDUINO_EXCLUDE_CODE", re.M)
ULONG = re.compile(r"\bulong\b")


class PatchError(Exception):
    """The library does not look like the version this patch was written for."""


def patch_peripherals_header(text: str) -> str:
    if ERROR_LINE.search(text):
        return ERROR_LINE.sub(ERROR_REPLACEMENT, text, count=1)
    if NANO_GUARD in text and "unsupported board" not in text:
        return text  # already patched (here or by the offline tree)
    raise PatchError('expected an `#error "unsupported board"` branch after the Nano 33 BLE block')


def patch_peripheral_source(text: str) -> str:
    if text.startswith(NANO_GUARD):
        return text
    return f"{NANO_GUARD}  // (wakebench patch_tflm.py) nRF52840-only code\n{text.rstrip()}\n#endif\n"


def patch_system_setup(text: str) -> str:
    if SETUP_GUARD.search(text):
        text = SETUP_GUARD.sub(SETUP_OPEN, text, count=1)
    elif not SETUP_OPENED.search(text):
        raise PatchError(
            "expected the board guard `#if defined(ARDUINO) && !defined(ARDUINO_ARDUINO_NANO33BLE)`"
        )
    return ULONG.sub("unsigned long", text)


def patch_library(library: Path) -> list[str]:
    """Patch the library in place; return the files that changed (relative paths)."""
    src = library / "src"
    header = src / "peripherals" / "peripherals.h"
    setup = src / "tensorflow" / "lite" / "micro" / "system_setup.cpp"
    for needed in (library / "library.properties", header, setup):
        if not needed.is_file():
            raise PatchError(f"{needed} is missing: not an Arduino_TensorFlowLite checkout")
    jobs = [(header, patch_peripherals_header), (setup, patch_system_setup)]
    jobs += [(path, patch_peripheral_source) for path in sorted((src / "peripherals").glob("*.cpp"))]
    changed = []
    for path, patch in jobs:
        before = path.read_text(encoding="utf-8")
        try:
            after = patch(before)
        except PatchError as exc:
            raise PatchError(f"{path.relative_to(library)}: {exc}") from None
        if after != before:
            path.write_text(after, encoding="utf-8")
            changed.append(str(path.relative_to(library)))
    return changed


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: patch_tflm.py LIBRARY_DIR", file=sys.stderr)
        return 2
    library = Path(argv[0])
    try:
        changed = patch_library(library)
    except PatchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for name in changed:
        print(f"patched {name}")
    print(f"{library}: builds for boards other than the Nano 33 BLE ({len(changed)} files changed)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
