"""The sketch's fixed files agree with the Python side: op list, sketch.yaml build profiles vs board
profiles, one board file per profile, and headers that keep the contract comments."""

from __future__ import annotations

import re

import pytest
from host_build import SKETCH_DIR

from core.board.firmware_files import FIRMWARE_OPS
from core.board.profiles import board_profiles, render_sketch_yaml


def test_op_resolver_registers_exactly_the_firmware_ops():
    header = (SKETCH_DIR / "op_resolver.h").read_text()
    listed = re.findall(r"tflite::BuiltinOperator_([A-Z0-9_]+)", header)
    assert sorted(listed) == sorted(FIRMWARE_OPS)
    added = re.findall(r"resolver->Add(\w+)\(\)", header)
    assert len(added) == len(FIRMWARE_OPS)
    assert "MicroMutableOpResolver<kFirmwareOpCount>" in header


def test_sketch_yaml_is_rendered_from_the_board_profiles():
    profiles = board_profiles()
    assert (SKETCH_DIR / "sketch.yaml").read_text() == render_sketch_yaml(profiles)


def test_sketch_yaml_is_valid_yaml_with_pinned_versions():
    yaml = pytest.importorskip("yaml")
    profiles = board_profiles()
    parsed = yaml.safe_load((SKETCH_DIR / "sketch.yaml").read_text())
    for name, profile in profiles.items():
        entry = parsed["profiles"][name]
        assert entry["fqbn"] == profile.fqbn
        assert entry["platforms"][0]["platform"] == f"{profile.platform} ({profile.platform_version})"
        for lib in entry["libraries"]:
            assert isinstance(lib, dict) and "dir" in lib or re.fullmatch(r".+ \(\d+\.\d+\.\d+\)", lib), lib


def test_every_board_profile_has_its_board_file_guarded_by_its_board():
    for profile in board_profiles().values():
        source = (SKETCH_DIR / profile.board_file).read_text()
        assert re.search(r"^#if defined\(ARDUINO_\w+|^#if defined\(ADAFRUIT_\w+", source, re.M), (
            profile.board_file
        )
        assert f'return "{profile.name}";' in source  # BoardName() reports the profile name
        for seam in (
            "AudioProviderBegin",
            "RespondToCommand",
            "ShowFatalError",
            "BoardSerial",
            "BoardSerialRead",
        ):
            assert seam in source, f"{profile.board_file} lacks {seam}"


def test_each_seam_header_starts_with_its_contract():
    for header in sorted(SKETCH_DIR.glob("*.h")):
        if header.name in ("model_data.h", "model_settings.h"):
            continue
        head = header.read_text().splitlines()[0]
        assert head.startswith("// Seam:") or head.startswith("// Board"), f"{header.name}: {head}"
        assert "Contract" in header.read_text(), header.name


def test_no_unit_that_sees_arduino_h_includes_tflm():
    """The SAMD core's Arduino.h defines a round(x) macro that breaks TFLM's and gemmlowp's headers: the
    .ino (Arduino.h comes first there) and the board files may include only TensorFlowLite.h, the
    library's top header that the build needs to find it; TFLM proper stays in Arduino-free units."""
    for path in [SKETCH_DIR / "wakebench.ino", *sorted(SKETCH_DIR.glob("arduino_board_*.cpp"))]:
        includes = re.findall(r'^#include [<"]([^>"]+)[>"]', path.read_text(), re.M)
        assert not [i for i in includes if i.startswith(("tensorflow/", "third_party/"))], path.name
        assert not {"model_check.h", "op_resolver.h", "feature_provider.h"} & set(includes), path.name
    assert "#include <TensorFlowLite.h>" in (SKETCH_DIR / "wakebench.ino").read_text()


def test_every_sketch_source_has_an_extension_arduino_compiles():
    """Arduino builds compile only .c/.cpp/.S sketch files (a .cc file is silently left out)."""
    assert not list(SKETCH_DIR.glob("*.cc"))
    assert (SKETCH_DIR / "model_data.cpp").is_file()
