"""Compile the sketch without arduino-cli or network: Debian's `arduino-builder` and `gcc-arm-none-eabi`
against an offline Arduino tree (board platforms, CMSIS, libraries at pinned commits) through the tree's
own `compile.sh SKETCH FQBN BUILD_DIR`.

This is how the tests, CI and bench/firmware_size.py build real firmware on a machine without network.
The tree is not part of the project: it sits beside the checkout (`../shared/arduino`) or where
$WAKEBENCH_ARDUINO_SHARED points. Users build with arduino-cli and the sketch.yaml profiles instead;
both keep their build folders in core.board.build_cache slots, so only the first build is slow.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from core.board.build_cache import BuildRecord, BuildSlot
from core.errors import FirmwareBuildError

ROOT = Path(__file__).resolve().parents[2]
SKETCH_DIR = ROOT / "firmware" / "wakebench"
TREE_ENV = "WAKEBENCH_ARDUINO_SHARED"
TOOLS = ("arduino-builder", "arm-none-eabi-gcc", "arm-none-eabi-g++", "arm-none-eabi-size")
APT_PACKAGES = "arduino-builder gcc-arm-none-eabi libnewlib-arm-none-eabi libstdc++-arm-none-eabi-newlib"


def find_offline_tree() -> Path | None:
    """The folder holding compile.sh and tree.tar.xz: $WAKEBENCH_ARDUINO_SHARED, else ../shared/arduino
    beside the checkout; None when neither has one."""
    env = os.environ.get(TREE_ENV)
    candidate = Path(env) if env else ROOT.parent / "shared" / "arduino"
    return candidate if (candidate / "compile.sh").is_file() else None


def missing_tools() -> list[str]:
    return [tool for tool in TOOLS if shutil.which(tool) is None]


def unavailable_reason() -> str | None:
    """Why an offline build cannot run here, or None when it can."""
    if find_offline_tree() is None:
        return (
            f"no offline Arduino tree: neither ${TREE_ENV} nor {ROOT.parent / 'shared' / 'arduino'} "
            "holds compile.sh"
        )
    missing = missing_tools()
    if missing:
        return f"{', '.join(missing)} not installed (apt-get install {APT_PACKAGES})"
    return None


def compiler_version() -> str:
    out = subprocess.run(["arm-none-eabi-gcc", "-dumpversion"], capture_output=True, text=True, check=True)
    return out.stdout.strip()


def tree_components(tree: Path) -> dict[str, str]:
    """What pins an offline build: the tree archive (its COMMITS.txt pins every platform and library),
    the builder and the compiler."""
    digest = hashlib.sha256((tree / "tree.tar.xz").read_bytes()).hexdigest()[:16]
    return {"arduino-tree": digest, "builder": "arduino-builder", "arm-none-eabi-gcc": compiler_version()}


def unpack_tree(tree: Path) -> Path:
    """Unpack the tree once (its tree.sh caches it by content) and return the unpacked folder."""
    out = subprocess.run([str(tree / "tree.sh")], capture_output=True, text=True, check=True)
    return Path(out.stdout.strip().splitlines()[-1])


def sketch_model_sha8(sketch: Path) -> str:
    """kModelSha8 of the sketch's generated model_settings.h ('' when it has none)."""
    try:
        match = re.search(r'kModelSha8\[\] = "(\w+)"', (sketch / "model_settings.h").read_text())
    except OSError:
        return ""
    return match[1] if match else ""


@dataclass(frozen=True)
class CompileResult:
    fqbn: str
    returncode: int
    seconds: float
    log: str
    slot: BuildSlot
    record: BuildRecord | None
    """build.json of a successful link (sizes from the ELF), else None."""

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and self.record is not None

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.splitlines()[-lines:])


def compile_sketch(
    fqbn: str,
    sketch: Path = SKETCH_DIR,
    overrides: Mapping[str, bytes] | None = None,
    tree: Path | None = None,
    root: Path | None = None,
    timeout_s: float = 3600,
) -> CompileResult:
    """Stage `sketch` (with `overrides`, e.g. another model's generated files) into its cache slot and
    compile and link it for `fqbn`. A failed compile is a result with the log, not an exception."""
    tree = tree or find_offline_tree()
    if tree is None:
        raise FirmwareBuildError(f"cannot build offline: {unavailable_reason()}")
    slot = BuildSlot.for_build(fqbn, tree_components(tree), sketch.name, root)
    with slot.lock():
        slot.stage(sketch, overrides)
        start = time.monotonic()
        run = subprocess.run(
            [str(tree / "compile.sh"), str(slot.sketch_dir), fqbn, str(slot.build_dir)],
            capture_output=True,
            text=True,
            timeout=timeout_s,
        )
        seconds = time.monotonic() - start
        log = run.stdout + run.stderr
        (slot.root / "compile.log").write_text(log)
        record = None
        if run.returncode == 0:
            record = slot.record(fqbn, sketch_model_sha8(slot.sketch_dir), seconds)
    return CompileResult(fqbn, run.returncode, seconds, log, slot, record)
