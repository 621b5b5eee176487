"""Shared builds of the firmware tests, each made once per session: the portable parts on the host (g++
via firmware/host/Makefile), the real EdgeBadge firmware (arduino-builder + Debian's arm-none-eabi GCC
against the offline Arduino tree, in a persistent build cache), the firmware-in-the-loop host program,
and one freshly trained and exported tiny run."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from host_build import EDGEBADGE_FQBN, SKETCH_DIR, build_fil, make, offline_build_or_skip, tflm_library


@pytest.fixture(scope="session")
def host_build(tmp_path_factory) -> Path:
    if shutil.which("g++") is None or shutil.which("make") is None:
        pytest.skip("g++ and make are needed for the host build (apt-get install g++ make)")
    build = tmp_path_factory.mktemp("firmware_host")
    make(build, "all")
    return build


@pytest.fixture(scope="session")
def edgebadge_build():
    """The sketch with the committed default model, compiled and linked for the EdgeBadge. The first
    build of TFLM takes minutes; the build cache (core.board.build_cache) makes later sessions take
    seconds."""
    from core.board.offline_build import compile_sketch

    offline_build_or_skip()
    result = compile_sketch(EDGEBADGE_FQBN)
    assert result.ok, f"EdgeBadge build failed:\n{result.log_tail(60)}"
    return result


@pytest.fixture(scope="session")
def exported_run(tmp_path_factory) -> Path:
    """A tiny stop/go run trained and exported in this session (shared with tests/live and tests/board):
    'any exported run'."""
    from tests.live.tiny_model import session_tiny_run

    return session_tiny_run(tmp_path_factory)


@pytest.fixture(scope="session")
def tflm_source() -> Path:
    if shutil.which("g++") is None or shutil.which("make") is None:
        pytest.skip("g++ and make are needed for the host build (apt-get install g++ make)")
    library = tflm_library()
    if library is None or not (library / "src").is_dir():
        pytest.skip(
            "no Arduino_TensorFlowLite sources: no offline Arduino tree (../shared/arduino or "
            "$WAKEBENCH_ARDUINO_SHARED), no $WAKEBENCH_TFLM_DIR and no firmware/libraries "
            "(run firmware/fetch_tflm.sh)"
        )
    return library


@pytest.fixture(scope="session")
def fil_host(tmp_path_factory, tflm_source) -> Path:
    """wakebench_host for the committed default model (the sketch folder as it is)."""
    return build_fil(SKETCH_DIR, tmp_path_factory.mktemp("fil_default"), tflm_source)
