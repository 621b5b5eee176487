"""The same wrapper against the real arduino-cli, when it is on PATH (skipped otherwise; it is not on the
machine these tests were written on). Nothing here downloads: the compile test runs only when the
EdgeBadge profile's platform is already installed (`wakebench arduino setup`) and WAKEBENCH_REAL_COMPILE=1."""

from __future__ import annotations

import os
import shutil

import pytest

from core.arduino.cli import MIN_VERSION, ArduinoCli

pytestmark = [
    pytest.mark.arduino,
    pytest.mark.skipif(shutil.which("arduino-cli") is None, reason="arduino-cli is not on PATH"),
]


def test_real_version_is_parsed_and_new_enough(tmp_path):
    cli = ArduinoCli.open("", tmp_path)
    info = cli.version()
    assert info.application == "arduino-cli"
    assert info.numbers is not None and info.numbers >= MIN_VERSION


def test_real_board_list_parses(tmp_path):
    ports = ArduinoCli.open("", tmp_path).board_list()
    assert all(p.port.address for p in ports)


@pytest.mark.skipif(os.environ.get("WAKEBENCH_REAL_COMPILE") != "1", reason="set WAKEBENCH_REAL_COMPILE=1")
def test_real_compile_of_an_exported_run(tmp_path, run_copy):
    from core.arduino.build import build_run
    from core.board.profiles import SKETCH_DIR, get_board

    report = build_run(run_copy, get_board("edgebadge"), ArduinoCli.open("", tmp_path), sketch_dir=SKETCH_DIR)
    assert report.flash_used < report.flash_max and report.ram_source == "elf"
