"""The real sketch compiles and links for the EdgeBadge (adafruit:samd:adafruit_pybadge_m4, TinyUSB) with
the committed default model and with a freshly exported run, against the Adafruit SAMD core and TFLM for
Arduino at pinned commits (the offline Arduino tree, Debian's arduino-builder and GCC 12.2); its ELF fits
the board profile's flash and RAM. The Nano 33 BLE build compiles every unit; its link cannot happen
here (see test_nano33ble_compiles_every_unit).

Skipped with the reason when the tree or the tools are missing (CI installs the tools; .ci/run)."""

from __future__ import annotations

import re

import pytest
from host_build import EDGEBADGE_FQBN, NANO_FQBN, SKETCH_DIR, offline_build_or_skip, run_firmware_files

from core.board.elf_size import read_elf_size, read_symbol_size
from core.board.profiles import get_board


def setting(name: str, sketch=SKETCH_DIR) -> int:
    return int(re.search(rf"\b{name} = (\d+);", (sketch / "model_settings.h").read_text())[1])


def test_edgebadge_firmware_links_and_fits(edgebadge_build):
    build = edgebadge_build.slot.build_dir
    for suffix in (".elf", ".bin", ".hex"):
        assert (build / f"wakebench.ino{suffix}").is_file(), suffix
    record = edgebadge_build.record
    size = read_elf_size(record.elf)
    assert size == record.size
    board = get_board("edgebadge")
    # The model array and TFLM are really in it: far more than the model alone, and within the board.
    assert size.text > setting("kModelBytes") + 60_000
    assert size.flash_bytes < board.flash_bytes
    assert size.ram_bytes < board.ram_bytes
    # The arena the sketch reserves is the generated kTensorArenaSize, and it sits in RAM (bss).
    assert read_symbol_size(record.elf) == setting("kTensorArenaSize") == record.arena_bytes
    assert size.bss >= setting("kTensorArenaSize")
    assert (
        record.model_sha8
        == re.search(r'kModelSha8\[\] = "(\w+)"', (SKETCH_DIR / "model_settings.h").read_text())[1]
    )


def test_bin_is_the_flash_image_of_the_elf(edgebadge_build):
    """The .bin that would be flashed holds text + data (what the board's flash really gets)."""
    build = edgebadge_build.slot.build_dir
    size = edgebadge_build.record.size
    assert (build / "wakebench.ino.bin").stat().st_size == pytest.approx(size.flash_bytes, abs=64)


@pytest.mark.slow
def test_an_exported_run_builds_into_the_same_firmware(edgebadge_build, exported_run):
    """Another model's generated files (wakebench export) compile and link in the same sketch; the build
    reuses the cached objects and recompiles only what includes the model files."""
    from core.board.offline_build import compile_sketch

    result = compile_sketch(EDGEBADGE_FQBN, overrides=run_firmware_files(exported_run))
    try:
        assert result.ok, f"build of the exported run failed:\n{result.log_tail(60)}"
        report_sha = re.search(r'kModelSha8\[\] = "(\w+)"', (exported_run / "model_settings.h").read_text())[
            1
        ]
        assert result.record.model_sha8 == report_sha != edgebadge_build.record.model_sha8
        assert result.record.arena_bytes == setting("kTensorArenaSize", exported_run)
        assert result.record.size.flash_bytes < get_board("edgebadge").flash_bytes
    finally:
        # Leave the slot with the default model again, so later sessions find the default build warm.
        compile_sketch(EDGEBADGE_FQBN)


def test_nano33ble_compiles_every_unit():
    """Compile-only: the Nano 33 BLE's mbed core links against a precompiled libmbed.a that is not
    obtainable here (not in the offline tree, no network), so the final link must fail, and only it.
    Every unit of the sketch, TFLM and the core must have compiled."""
    from core.board.offline_build import compile_sketch

    offline_build_or_skip()
    result = compile_sketch(NANO_FQBN)
    build = result.slot.build_dir
    sketch_units = sorted(p.name for p in result.slot.sketch_dir.glob("*.cpp")) + ["wakebench.ino.cpp"]
    missing = [u for u in sketch_units if not (build / "sketch" / f"{u}.o").is_file()]
    assert not missing, f"sketch units did not compile: {missing}\n{result.log_tail(60)}"
    tflm_objects = list((build / "libraries" / "Arduino_TensorFlowLite").rglob("*.o"))
    assert len(tflm_objects) > 150, result.log_tail(60)
    assert result.returncode != 0, "the Nano link succeeded: libmbed.a is there now, make this a link test"
    assert re.search(r"cannot find \S*libmbed\.a", result.log), result.log_tail(30)
    # The only error is the linker's (ld cannot find libmbed.a, then collect2 reports ld's exit).
    compile_errors = [
        line
        for line in result.log.splitlines()
        if "error" in line and not re.search(r"libmbed\.a|collect2", line)
    ]
    assert not compile_errors, compile_errors[:10]
