#!/usr/bin/env python3
"""A stand-in `arduino-cli` for the tests: answers with the JSON the real tool documents (arduino-cli 1.x,
internal/cli/feedback/result/rpc.go and the command result structs) and records every call.

State lives in the folder named by $FAKE_ARDUINO_STATE:
    scenario.json   what to answer (keys below; all optional)
    calls.jsonl     one line per call: {"argv": [...], "env": {ARDUINO_* variables}}

scenario keys:
    version         "1.3.1"                      what `version` reports
    ports           [{"address", "protocol", "boards": [[name, fqbn], ...]}]   for `board list`
    index           "ok" | "offline"             `core update-index`
    compile         "ok" | "error" | "real"      ok: a real ELF made with arm-none-eabi-g++ from the
                                                 sketch's model_data source and a startup stub whose .bss
                                                 holds the tensor arena; error: the same with a broken
                                                 source added, so the compiler's message is GCC's own;
                                                 real: the real sketch through core.board.offline_build
                                                 (arduino-builder + the offline Arduino tree)
    upload          "ok" | "fail" | "moved:<port>"   ok also writes flashed.json: {"port", "model"} (the
                                                 uploaded sketch's kModelSha8), what the board now runs
Boards (upload.maximum_size / maximum_data_size of their boards.txt):
    adafruit:samd:adafruit_pybadge_m4  507904, no data limit (arduino-cli then reports only "text")
    arduino:mbed_nano:nano33ble        983040, 262144
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

STATE = Path(os.environ.get("FAKE_ARDUINO_STATE", "."))
LIMITS = {
    "adafruit:samd:adafruit_pybadge_m4": (507904, 0),
    "arduino:mbed_nano:nano33ble": (983040, 262144),
}


def scenario() -> dict:
    try:
        return json.loads((STATE / "scenario.json").read_text())
    except FileNotFoundError:
        return {}


def record(argv: list[str]) -> None:
    env = {k: v for k, v in os.environ.items() if k.startswith("ARDUINO_")}
    with open(STATE / "calls.jsonl", "a") as f:
        f.write(json.dumps({"argv": argv, "env": env}) + "\n")


def out(value: dict) -> None:
    print(json.dumps(value, indent=2))


def fatal(message: str, code: int = 1, stdout: str = "", stderr: str = "") -> None:
    """feedback.Fatal in JSON mode: the error object on stderr, then exit."""
    value = {"error": message}
    if stdout or stderr:
        value["output"] = {"stdout": stdout, "stderr": stderr}
    print(json.dumps(value, indent=2), file=sys.stderr)
    sys.exit(code)


def option(args: list[str], name: str) -> str:
    if name in args:
        return args[args.index(name) + 1]
    return ""


def profile_fqbn(sketch: Path, profile: str) -> str:
    text = (sketch / "sketch.yaml").read_text()
    block = re.search(rf"^  {re.escape(profile)}:\n((?:    .*\n|      .*\n)*)", text, re.M)
    if not block:
        fatal(f"Error during build: profile '{profile}' not found", 1)
    return re.search(r"fqbn: (\S+)", block.group(1)).group(1)


def main(argv: list[str]) -> None:
    record(argv)
    s = scenario()
    if "--json" not in argv:
        print("this stand-in only speaks --json", file=sys.stderr)
        sys.exit(1)
    args = [a for a in argv if a != "--json"]
    cmd = args[:2]
    if args[:1] == ["version"]:
        out(
            {
                "Application": "arduino-cli",
                "VersionString": s.get("version", "1.3.1"),
                "Commit": "fake0001",
                "Status": "alpha",
                "Date": "2025-07-01T00:00:00Z",
            }
        )
    elif cmd == ["board", "list"]:
        ports = []
        for p in s.get("ports", []):
            ports.append(
                {
                    "matching_boards": [{"name": n, "fqbn": f} for n, f in p.get("boards", [])],
                    "port": {
                        "address": p["address"],
                        "label": p["address"],
                        "protocol": p.get("protocol", "serial"),
                        "protocol_label": "Serial Port (USB)",
                        "properties": {"pid": "0x8033", "vid": "0x239A"},
                        "hardware_id": "ABC123",
                    },
                }
            )
        out({"detected_ports": ports})
    elif cmd == ["core", "update-index"]:
        if s.get("index") == "offline":
            fatal(
                'Error updating index: Get "https://downloads.arduino.cc/packages/package_index.tar.bz2": '
                "dial tcp: lookup downloads.arduino.cc: no such host",
                1,
            )
        urls = ["https://downloads.arduino.cc/packages/package_index.tar.bz2"] + [
            u for u in option(args, "--additional-urls").split(",") if u
        ]
        out({"updated_indexes": [{"index_url": u, "status": "updated"} for u in urls]})
    elif cmd in (["core", "install"], ["lib", "install"]):
        pass  # success prints nothing in JSON mode (progress bars are for text mode only)
    elif args[:1] == ["compile"]:
        compile_sketch(args, s)
    elif args[:1] == ["upload"]:
        upload(args, s)
    else:
        fatal(f"unknown command {' '.join(args)}", 7)


def compile_sketch(args: list[str], s: dict) -> None:
    sketch = Path(args[-1])
    profile = option(args, "--profile")
    build = Path(option(args, "--build-path"))
    fqbn = profile_fqbn(sketch, profile)
    base = ":".join(fqbn.split(":")[:3])
    build.mkdir(parents=True, exist_ok=True)
    mode = s.get("compile", "ok")
    if mode == "real":
        proc = real_compile(sketch, fqbn, build)
    else:
        proc = cross_compile(sketch, build, broken=mode == "error")
    result = {"compiler_out": proc.stdout, "compiler_err": proc.stderr, "upload_result": {}}
    if proc.returncode != 0:
        diagnostics = []
        for m in re.finditer(r"^(.*?):(\d+):(\d+): (error|warning): (.*)$", proc.stderr, re.M):
            diagnostics.append(
                {
                    "severity": m.group(4),
                    "message": m.group(5),
                    "file": m.group(1),
                    "line": int(m.group(2)),
                    "column": int(m.group(3)),
                }
            )
        result.update(
            {
                "builder_result": {"build_path": str(build), "diagnostics": diagnostics},
                "success": False,
                "error": "Error during build: exit status 1",
            }
        )
        out(result)
        sys.exit(1)
    elf = build / f"{sketch.name}.ino.elf"
    text = elf_text_size(elf)
    flash_max, data_max = LIMITS.get(base, (0, 0))
    sizes = [{"name": "text", "size": text, "max_size": flash_max}]
    if data_max:
        sizes.append({"name": "data", "size": elf_ram_size(elf), "max_size": data_max})
    if mode != "real":  # the real build made its own .bin
        subprocess.run(
            ["arm-none-eabi-objcopy", "-O", "binary", str(elf), str(build / f"{sketch.name}.ino.bin")],
            check=True,
        )
    result.update(
        {
            "builder_result": {
                "build_path": str(build),
                "used_libraries": [
                    {"name": "Arduino_TensorFlowLite", "version": "", "location": "unmanaged"}
                ],
                "executable_sections_size": sizes,
                "board_platform": {"id": ":".join(fqbn.split(":")[:2]), "version": "1.7.17"},
                "build_properties": [],
            },
            "success": True,
        }
    )
    out(result)


def _berkeley(elf: Path) -> tuple[int, int, int]:
    proc = subprocess.run(["arm-none-eabi-size", "-B", str(elf)], capture_output=True, text=True, check=True)
    text, data, bss = proc.stdout.splitlines()[1].split()[:3]
    return int(text), int(data), int(bss)


def elf_text_size(elf: Path) -> int:
    text, data, _ = _berkeley(elf)
    return text + data  # what the SAMD platform's recipe.size.regex sums (flash)


def elf_ram_size(elf: Path) -> int:
    _, data, bss = _berkeley(elf)
    return data + bss


STUB = """
#include "model_settings.h"
#include "model_data.h"
alignas(16) unsigned char g_tensor_arena[kTensorArenaSize];
extern "C" int stub_entry() {
  volatile unsigned i = g_model_len % kTensorArenaSize;  // keeps the model and the arena in the image
  g_tensor_arena[i] = g_model[i];
  return g_tensor_arena[i];
}
"""


def cross_compile(sketch: Path, build: Path, broken: bool) -> subprocess.CompletedProcess:
    """A real compile and link of the sketch's generated model files for a Cortex-M4F."""
    work = Path(tempfile.mkdtemp(dir=build))
    (work / "stub.cpp").write_text(STUB)
    sources = [str(work / "stub.cpp")] + [str(p) for p in sorted(sketch.glob("model_data.c*"))]
    if broken:
        (work / "broken.cpp").write_text('#include "model_data.h"\nint broken( {\n')
        sources.append(str(work / "broken.cpp"))
    command = [
        "arm-none-eabi-g++",
        "-mcpu=cortex-m4",
        "-mthumb",
        "-Os",
        "-std=gnu++17",
        "-nostdlib",
        "-Wl,-e,stub_entry",
        "-Wl,--gc-sections",
        "-I",
        str(sketch),
        "-o",
        str(build / f"{sketch.name}.ino.elf"),
        *sources,
    ]
    proc = subprocess.run(command, capture_output=True, text=True)
    shutil.rmtree(work, ignore_errors=True)
    return proc


def real_compile(sketch: Path, fqbn: str, build: Path) -> subprocess.CompletedProcess:
    """The real sketch compiled and linked by core.board.offline_build (Debian's arduino-builder and
    gcc-arm-none-eabi against the offline Arduino tree), in that module's own persistent build slot (a
    rebuild with another model takes seconds), then the images copied into arduino-cli's build path."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from core.board.offline_build import compile_sketch

    result = compile_sketch(fqbn, sketch=sketch)
    if result.ok:
        for image in result.slot.build_dir.glob(f"{sketch.name}.ino.*"):
            if image.suffix in (".elf", ".bin", ".hex"):
                shutil.copy2(image, build / image.name)
    return subprocess.CompletedProcess([], result.returncode, result.log, "" if result.ok else result.log)


def upload(args: list[str], s: dict) -> None:
    port = option(args, "--port")
    build = Path(option(args, "--input-dir"))
    mode = s.get("upload", "ok")
    if not any(build.glob("*.bin")):
        fatal(f"Error during Upload: no binary found in {build}", 1)
    if mode == "fail":
        fatal(
            "Failed uploading: uploading error: exit status 1",
            1,
            "",
            f"No device found on {port}\nSet binary to the bootloader: double-press the reset button\n",
        )
    # What a board on that port now runs: the model of the uploaded sketch (tests' boards read this).
    settings = next(Path(args[-1]).glob("model_settings.h"), None)
    sha = re.search(r'kModelSha8\[\] = "([0-9a-f]{8})"', settings.read_text()) if settings else None
    (STATE / "flashed.json").write_text(json.dumps({"port": port, "model": sha.group(1) if sha else ""}))
    result = {
        "stdout": "Atmel SMART device 0x60060004 found\nWrite 123456 bytes to flash\nDone in 4.2 seconds\n",
        "stderr": "",
    }
    if mode.startswith("moved:"):
        result["updated_upload_port"] = {
            "address": mode.split(":", 1)[1],
            "label": mode.split(":", 1)[1],
            "protocol": "serial",
        }
    out(result)


if __name__ == "__main__":
    main(sys.argv[1:])
