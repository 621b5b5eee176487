"""Build the real EdgeBadge firmware with the committed default model and print its flash and RAM from the
linked ELF against the board profile, plus the build times: the first build in the cache slot, a rebuild
with nothing changed, and a rebuild after the model changed (what `wakebench export` then a build does).

    python bench/firmware_size.py           # uses the persistent build cache (cold only when it is empty)
    python bench/firmware_size.py --cold    # also times a build from an empty cache (5-8 min on 2 cores)

Needs the offline Arduino tree (../shared/arduino or $WAKEBENCH_ARDUINO_SHARED) and Debian's
arduino-builder and gcc-arm-none-eabi (see firmware/README.md); prints why and exits 0 without them, so
CI's bench step is not a failure on a machine that cannot build firmware. The Nano 33 BLE cannot be
linked here (its precompiled libmbed.a is not obtainable), so only the EdgeBadge is sized.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.board.offline_build import SKETCH_DIR, compile_sketch, unavailable_reason  # noqa: E402
from core.board.profiles import get_board  # noqa: E402


def setting(name: str) -> str:
    text = (SKETCH_DIR / "model_settings.h").read_text()
    return re.search(rf"\b{name}(?:\[\])? = ([^;]+);", text)[1].strip('"')


def build_or_die(fqbn: str, label: str, **kwargs):
    result = compile_sketch(fqbn, **kwargs)
    if not result.ok:
        print(f"{label}: build failed\n{result.log_tail(40)}")
        raise SystemExit(1)
    print(f"  {label:52} {result.seconds:7.1f} s")
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cold", action="store_true", help="also time a build from an empty cache")
    args = parser.parse_args()
    reason = unavailable_reason()
    if reason:
        print(f"firmware size: not measured here ({reason})")
        return 0
    board = get_board("edgebadge")
    print(f"{board.title} firmware ({board.fqbn}), default model {setting('kModelSha8')}:")
    print("Build times (arduino-builder + Debian arm-none-eabi-gcc, 2 cores):")
    if args.cold:
        with tempfile.TemporaryDirectory() as tmp:
            build_or_die(board.fqbn, "cold: empty build cache", root=Path(tmp))
    first = build_or_die(board.fqbn, "first build in the cache slot (cold if it was empty)")
    warm = build_or_die(board.fqbn, "warm: nothing changed")
    # As after exporting another model: both generated files change (so everything that includes
    # model_settings.h recompiles), TFLM and the board core stay compiled.
    changed = {
        name: b"// changed by bench/firmware_size.py\n" + (SKETCH_DIR / name).read_bytes()
        for name in ("model_data.cpp", "model_settings.h")
    }
    build_or_die(board.fqbn, "warm: generated model files changed", overrides=changed)
    build_or_die(board.fqbn, "warm: back to the default model")
    record = warm.record
    size = record.size
    model = int(setting("kModelBytes"))
    print(f"Sizes from {record.elf.name} (sections, as arm-none-eabi-size):")
    print(f"  text {size.text:,} B  data {size.data:,} B  bss {size.bss:,} B")
    print(
        f"  flash (text+data) {size.flash_bytes:,} / {board.flash_bytes:,} B "
        f"({size.flash_bytes / board.flash_bytes:.1%}); the model is {model:,} B of it"
    )
    print(
        f"  RAM   (data+bss)  {size.ram_bytes:,} / {board.ram_bytes:,} B "
        f"({size.ram_bytes / board.ram_bytes:.1%}); the tensor arena is {record.arena_bytes:,} B of it"
    )
    print(f"  first build took {first.seconds:.1f} s, log: {first.slot.root / 'compile.log'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
