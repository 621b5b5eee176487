"""Builds the firmware's portable parts on the host once per test session (g++ via firmware/host/Makefile)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

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


@pytest.fixture(scope="session")
def host_build(tmp_path_factory) -> Path:
    if shutil.which("g++") is None or shutil.which("make") is None:
        pytest.skip("g++ and make are needed for the host build (apt-get install g++ make)")
    build = tmp_path_factory.mktemp("firmware_host")
    make(build, "all")
    return build


def run_driver(build: Path, name: str, stdin: str) -> list[str]:
    result = subprocess.run([str(build / name)], input=stdin, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines(keepends=True)
