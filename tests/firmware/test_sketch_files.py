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
        for seam in ("AudioProviderBegin", "RespondToCommand", "ShowFatalError", "BoardSerial"):
            assert seam in source, f"{profile.board_file} lacks {seam}"


def test_each_seam_header_starts_with_its_contract():
    for header in sorted(SKETCH_DIR.glob("*.h")):
        if header.name in ("model_data.h", "model_settings.h"):
            continue
        head = header.read_text().splitlines()[0]
        assert head.startswith("// Seam:") or head.startswith("// Board"), f"{header.name}: {head}"
        assert "Contract" in header.read_text(), header.name


def test_the_loop_runs_the_model_on_the_generated_schedule_only():
    """The sketch cannot be compiled here: check that inference goes through the host-tested
    InferenceSchedule at the generated cadence, from the per-frame callback (one window per frame)."""
    sketch = (SKETCH_DIR / "wakebench.ino").read_text()
    assert "InferenceSchedule g_schedule(kFeatureFrames, kInferenceEveryFrames);" in sketch
    calls = re.findall(r"^\s*(.*)\bRunModel\((\w*)\);", sketch, re.M)
    assert calls == [("if (g_schedule.OnFrame() && g_model_ok) ", "time_ms")]
    callback = sketch.split("void OnFeatureFrame(", 1)[1].split("\n}\n", 1)[0]
    assert "RunModel(time_ms)" in callback
