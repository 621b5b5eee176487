"""Helpers for the firmware tests: build the portable parts with make/g++ and run the host drivers."""

from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).parents[2]
HOST_DIR = ROOT / "firmware" / "host"
SKETCH_DIR = ROOT / "firmware" / "wakebench"
EDGEBADGE_FQBN = "adafruit:samd:adafruit_pybadge_m4:usbstack=tinyusb"
NANO_FQBN = "arduino:mbed_nano:nano33ble"


def make(build_dir: Path, *targets: str, **variables: str) -> subprocess.CompletedProcess:
    args = ["make", "-s", "-C", str(HOST_DIR), f"BUILD_DIR={build_dir}"]
    args += [f"{k}={v}" for k, v in variables.items()] + list(targets)
    result = subprocess.run(args, capture_output=True, text=True)
    if result.returncode != 0:
        raise AssertionError(f"make {' '.join(targets)} failed:\n{result.stdout}\n{result.stderr}")
    return result


def run_driver(build: Path, name: str, stdin: str) -> list[str]:
    result = subprocess.run([str(build / name)], input=stdin, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines(keepends=True)


# --- firmware-in-the-loop build (make fil) -----------------------------------------------------------
TFLM_ENV = "WAKEBENCH_TFLM_DIR"
FETCHED_TFLM = ROOT / "firmware" / "libraries" / "Arduino_TensorFlowLite"


def tflm_library() -> Path | None:
    """An Arduino_TensorFlowLite folder to build the host firmware with: $WAKEBENCH_TFLM_DIR, else the
    offline Arduino tree's (the library the EdgeBadge build uses), else one fetched by fetch_tflm.sh."""
    from core.board.offline_build import find_offline_tree, unpack_tree

    env = os.environ.get(TFLM_ENV)
    if env:
        return Path(env)
    tree = find_offline_tree()
    if tree is not None:
        return unpack_tree(tree) / "libraries" / "Arduino_TensorFlowLite"
    return FETCHED_TFLM if (FETCHED_TFLM / "src").is_dir() else None


def tflm_build_dir(library: Path) -> Path:
    """Persistent folder for the host TFLM objects, keyed by the library's content and g++'s version:
    the first build takes a few minutes, later ones reuse it."""
    from core.board.build_cache import cache_root

    digest = hashlib.sha256()
    for path in sorted((library / "src").rglob("*")):
        if path.is_file() and path.suffix in (".c", ".cpp", ".h"):
            digest.update(str(path.relative_to(library)).encode() + b"\0" + path.read_bytes())
    version = subprocess.run(["g++", "-dumpfullversion"], capture_output=True, text=True).stdout.strip()
    digest.update(version.encode())
    return cache_root().parent / "host-tflm" / digest.hexdigest()[:16]


def build_fil(sketch: Path, build_dir: Path, library: Path) -> Path:
    """make fil: the sketch's firmware with host_board.cpp, against `library`; returns wakebench_host."""
    tflm_dir = tflm_build_dir(library)
    make(
        build_dir,
        "-j2",
        "fil",
        SKETCH_DIR=str(sketch),
        TFLM_DIR=str(library / "src"),
        TFLM_BUILD_DIR=str(tflm_dir),
    )
    return build_dir / "wakebench_host"


# --- real Arduino builds (offline tree) ----------------------------------------------------------
def offline_build_or_skip() -> None:
    import pytest

    from core.board.offline_build import unavailable_reason

    reason = unavailable_reason()
    if reason:
        pytest.skip(f"real firmware build not possible here: {reason}")


def staged_sketch(dest: Path, run: Path) -> Path:
    """A copy of the sketch in `dest` with `run`'s generated files installed, as `wakebench export
    --firmware-dir` would leave it."""
    from core.model.export import install_firmware_files

    dest.mkdir()
    for path in SKETCH_DIR.iterdir():
        if path.is_file():
            (dest / path.name).write_bytes(path.read_bytes())
    install_firmware_files(run, dest)
    return dest


def run_firmware_files(run: Path) -> dict[str, bytes]:
    """The generated files export wrote into a run, as overrides for a staged sketch."""
    from core.board.firmware_files import GENERATED_FILES

    return {name: (run / name).read_bytes() for name in GENERATED_FILES}
