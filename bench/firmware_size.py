"""Print the Cortex-M4F size of the firmware's portable parts (recognizer, protocol encoder, feature ring
buffer, audio ring, inference schedule) and of the default model, against both boards' flash and RAM.

    python bench/firmware_size.py

The full sketch (TFLM runtime, board core, screen driver) cannot be built here; `arduino-cli compile`
prints its real size (see firmware/README.md).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.board.profiles import SKETCH_BUFFER_BYTES, board_profiles  # noqa: E402

PORTABLE = [
    "recognize_commands",
    "serial_protocol",
    "feature_ring_buffer",
    "audio_ring",
    "inference_schedule",
]
FLAGS = [
    "-std=c++17",
    "-mcpu=cortex-m4",
    "-mthumb",
    "-mfloat-abi=hard",
    "-mfpu=fpv4-sp-d16",
    "-Os",
    "-ffunction-sections",
    "-fdata-sections",
    "-fno-exceptions",
    "-fno-rtti",
]


def main() -> int:
    if shutil.which("arm-none-eabi-g++") is None:
        print("arm-none-eabi-g++ not found (apt-get install gcc-arm-none-eabi)")
        return 1
    sketch = ROOT / "firmware" / "wakebench"
    with tempfile.TemporaryDirectory() as tmp:
        objects = []
        for name in PORTABLE:
            obj = Path(tmp) / f"{name}.o"
            subprocess.run(
                [
                    "arm-none-eabi-g++",
                    *FLAGS,
                    f"-I{sketch}",
                    "-c",
                    str(sketch / f"{name}.cc"),
                    "-o",
                    str(obj),
                ],
                check=True,
            )
            objects.append(str(obj))
        out = subprocess.run(
            ["arm-none-eabi-size", "-t", *objects], capture_output=True, text=True, check=True
        ).stdout
    version = subprocess.run(
        ["arm-none-eabi-g++", "--version"], capture_output=True, text=True
    ).stdout.splitlines()[0]
    print(f"Portable firmware parts for Cortex-M4F, -Os ({version}):")
    total_text = total_bss = 0
    for line in out.strip().splitlines()[1:]:
        text, data, bss, _dec, _hex, name = line.split()
        print(f"  {Path(name).stem:22} text {int(text):6,} B  data {int(data):4} B  bss {int(bss):4} B")
        if "TOTALS" in name:
            total_text, total_bss = int(text), int(bss)
    settings = (sketch / "model_settings.h").read_text()
    model = int(re.search(r"kModelBytes = (\d+);", settings)[1])
    arena = int(re.search(r"kTensorArenaSize = (\d+);", settings)[1])
    sha = re.search(r'kModelSha8\[\] = "(\w+)"', settings)[1]
    print(
        f"Default model {sha}: {model:,} B flash, arena {arena:,} B; sketch buffers {SKETCH_BUFFER_BYTES:,} B RAM"
    )
    for board in board_profiles().values():
        flash = total_text + model
        ram = arena + SKETCH_BUFFER_BYTES + total_bss
        print(
            f"  {board.name:10} flash {flash:,} / {board.flash_bytes:,} B ({flash / board.flash_bytes:.1%}), "
            f"RAM {ram:,} / {board.ram_bytes:,} B ({ram / board.ram_bytes:.1%}) before TFLM and the board core"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
