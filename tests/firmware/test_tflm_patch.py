"""The user's path to a TFLM library that builds for the SAMD51: fetch_tflm.sh checks out the pinned commit
and patch_tflm.py makes the library's three Nano-only spots build elsewhere. The offline tree's copy, which
the EdgeBadge build test compiles, must already be in the patched state; an upstream-shaped checkout must
end up in it; and fetch_tflm.sh must pin, patch and record the commit (run against a local repository,
as the tests have no network)."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
from pathlib import Path

import pytest
from host_build import ROOT

FIRMWARE = ROOT / "firmware"
SETUP = "src/tensorflow/lite/micro/system_setup.cpp"
HEADER = "src/peripherals/peripherals.h"

UPSTREAM_HEADER = """#ifndef PERIPHERALS_H_
#define PERIPHERALS_H_
#ifdef ARDUINO
#include <Arduino.h>
#endif
#if defined(ARDUINO_ARDUINO_NANO33BLE)
#include "led.h"
#else  // ARDUINO_ARDUINO_NANO33BLE
#error "unsupported board"
#endif  // ARDUINO_ARDUINO_NANO33BLE
#endif  // PERIPHERALS_H_
"""
UPSTREAM_SETUP = """#include "tensorflow/lite/micro/system_setup.h"

#if defined(ARDUINO) && !defined(ARDUINO_ARDUINO_NANO33BLE)
#define ARDUINO_EXCLUDE_CODE
#endif  // defined(ARDUINO) && !defined(ARDUINO_ARDUINO_NANO33BLE)

#ifndef ARDUINO_EXCLUDE_CODE
constexpr ulong kSerialMaxInitWait = 4000;
void InitializeTarget() { ulong start_time = millis(); }
#endif  // ARDUINO_EXCLUDE_CODE
"""
UPSTREAM_PERIPHERAL = '#include "peripherals.h"\nvoid nrf_only() { NRF_I2S->ENABLE = 1; }\n'


def patcher():
    spec = importlib.util.spec_from_file_location("patch_tflm", FIRMWARE / "patch_tflm.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def upstream_library(root: Path) -> Path:
    """The few files of an upstream checkout the patch touches, in their upstream form."""
    lib = root / "Arduino_TensorFlowLite"
    for rel, text in {
        "library.properties": "name=Arduino_TensorFlowLite\nprecompiled=full\n",
        HEADER: UPSTREAM_HEADER,
        SETUP: UPSTREAM_SETUP,
        "src/peripherals/i2s_nrf52840.cpp": UPSTREAM_PERIPHERAL,
        "src/peripherals/led_arduino.cpp": UPSTREAM_PERIPHERAL,
        "src/tensorflow/lite/experimental/microfrontend/lib/frontend.h": "// frontend\n",
    }.items():
        (lib / rel).parent.mkdir(parents=True, exist_ok=True)
        (lib / rel).write_text(text)
    return lib


def test_upstream_checkout_gets_the_three_changes_once(tmp_path):
    lib = upstream_library(tmp_path)
    changed = patcher().patch_library(lib)
    assert sorted(changed) == sorted(
        [HEADER, SETUP, "src/peripherals/i2s_nrf52840.cpp", "src/peripherals/led_arduino.cpp"]
    )
    header = (lib / HEADER).read_text()
    assert "#error" not in header.replace('#error "unsupported framework"', "")
    setup = (lib / SETUP).read_text()
    assert "#if 0" in setup.split("#define ARDUINO_EXCLUDE_CODE")[0] and "ulong" not in setup.replace(
        "unsigned long", ""
    )
    for name in ("i2s_nrf52840.cpp", "led_arduino.cpp"):
        text = (lib / "src/peripherals" / name).read_text()
        assert text.startswith("#if defined(ARDUINO_ARDUINO_NANO33BLE)") and text.rstrip().endswith("#endif")
        assert UPSTREAM_PERIPHERAL.strip() in text
    assert patcher().patch_library(lib) == []  # idempotent


def test_offline_tree_library_is_already_in_the_patched_state(tmp_path):
    """The library the EdgeBadge build test compiles carries the same changes: nothing left to do."""
    from host_build import tflm_library

    library = tflm_library()
    if library is None or not (library / SETUP).is_file():
        pytest.skip(
            "no Arduino_TensorFlowLite copy here (offline tree, $WAKEBENCH_TFLM_DIR or fetch_tflm.sh)"
        )
    copy = tmp_path / "Arduino_TensorFlowLite"
    for rel in [
        "library.properties",
        SETUP,
        *(str(p.relative_to(library)) for p in (library / "src/peripherals").glob("*.*")),
    ]:
        (copy / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(library / rel, copy / rel)
    assert patcher().patch_library(copy) == []


def test_a_library_of_another_shape_is_refused_with_the_file(tmp_path):
    lib = upstream_library(tmp_path)
    (lib / SETUP).write_text("// some other version without the board guard\n")
    result = subprocess.run(
        ["python3", str(FIRMWARE / "patch_tflm.py"), str(lib)], capture_output=True, text=True
    )
    assert result.returncode == 1
    assert "system_setup.cpp" in result.stderr and "board guard" in result.stderr
    result = subprocess.run(
        ["python3", str(FIRMWARE / "patch_tflm.py"), str(tmp_path / "nothing")],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1 and "not an Arduino_TensorFlowLite checkout" in result.stderr


@pytest.mark.skipif(shutil.which("git") is None, reason="git not installed")
def test_fetch_script_pins_patches_and_records_the_commit(tmp_path):
    upstream = upstream_library(tmp_path / "upstream")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-C", str(upstream)]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "pinned"], check=True)
    pinned = subprocess.run(
        [*git, "rev-parse", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()
    (upstream / "library.properties").write_text("name=Arduino_TensorFlowLite\nversion=later\n")
    subprocess.run([*git, "commit", "-qam", "later"], check=True)

    dest = tmp_path / "libraries" / "Arduino_TensorFlowLite"
    env = {"TFLM_URL": f"file://{upstream}", "TFLM_COMMIT": pinned, "PATH": "/usr/bin:/bin"}
    for _ in range(2):  # a second run (already cloned and patched) must work too
        run = subprocess.run(
            ["bash", str(FIRMWARE / "fetch_tflm.sh"), str(dest)],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
        )
        assert run.returncode == 0, run.stderr
    assert (tmp_path / "libraries" / "Arduino_TensorFlowLite.commit").read_text().strip() == pinned
    assert "version=later" not in (dest / "library.properties").read_text()  # the pin, not the head
    assert '#error "unsupported board"' not in (dest / HEADER).read_text()
    assert patcher().patch_library(dest) == []
    assert f"Arduino_TensorFlowLite {pinned} ready" in run.stdout


def test_fetch_script_pins_the_commit_the_firmware_was_built_with():
    script = (FIRMWARE / "fetch_tflm.sh").read_text()
    assert 'COMMIT="${TFLM_COMMIT:-7948b85e020470a30a83bf00e10fc43b486bfcba}"' in script
    assert "7948b85e020470a30a83bf00e10fc43b486bfcba" in (FIRMWARE / "README.md").read_text()
