"""Builds the firmware's portable parts on the host once per test session (g++ via firmware/host/Makefile)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from host_build import make


@pytest.fixture(scope="session")
def host_build(tmp_path_factory) -> Path:
    if shutil.which("g++") is None or shutil.which("make") is None:
        pytest.skip("g++ and make are needed for the host build (apt-get install g++ make)")
    build = tmp_path_factory.mktemp("firmware_host")
    make(build, "all")
    return build
