"""Shared builds of the firmware tests, each made once per session: the portable parts on the host (g++
via firmware/host/Makefile), the real EdgeBadge firmware (arduino-builder + Debian's arm-none-eabi GCC
against the offline Arduino tree, in a persistent build cache), the firmware-in-the-loop host program,
and one freshly trained and exported tiny run."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from host_build import SKETCH_DIR, build_fil, make, tflm_library

EDGEBADGE_FQBN = "adafruit:samd:adafruit_pybadge_m4:usbstack=tinyusb"
NANO_FQBN = "arduino:mbed_nano:nano33ble"


@pytest.fixture(scope="session")
def host_build(tmp_path_factory) -> Path:
    if shutil.which("g++") is None or shutil.which("make") is None:
        pytest.skip("g++ and make are needed for the host build (apt-get install g++ make)")
    build = tmp_path_factory.mktemp("firmware_host")
    make(build, "all")
    return build


def offline_build_or_skip() -> None:
    from core.board.offline_build import unavailable_reason

    reason = unavailable_reason()
    if reason:
        pytest.skip(f"real firmware build not possible here: {reason}")


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
    """A tiny stop/go run trained and exported in this session (~10 s): 'any exported run'."""
    from tests.live.tiny_model import train_tiny_run

    return train_tiny_run(tmp_path_factory.mktemp("fw_project"))


def run_firmware_files(run: Path) -> dict[str, bytes]:
    """The generated files export wrote into a run, as overrides for a staged sketch."""
    from core.board.firmware_files import GENERATED_FILES

    return {name: (run / name).read_bytes() for name in GENERATED_FILES}


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
