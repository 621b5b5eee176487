"""Helpers for the firmware tests: build the portable parts with make/g++ and run the host drivers."""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).parents[2]
HOST_DIR = ROOT / "firmware" / "host"
SKETCH_DIR = ROOT / "firmware" / "wakebench"


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
