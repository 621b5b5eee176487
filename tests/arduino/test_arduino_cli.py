"""core.arduino.cli against the stand-in arduino-cli: finding it, its version, --json on every call,
the private toolchain's folders, typed answers, failures mapped to core errors, and setup."""

from __future__ import annotations

import pytest

from core.arduino.cli import ArduinoCli, ArduinoDirs, find_arduino_cli
from core.arduino.results import CompileResult, UploadResult, detected_ports
from core.arduino.setup import setup_toolchain
from core.board.profiles import get_board
from core.errors import ArduinoCliError, ArduinoCliNotFound, Cancelled, ConfigError
from core.events import CancelToken, Progress


def test_missing_arduino_cli_says_how_to_install_it(no_arduino_cli, tmp_path):
    with pytest.raises(ArduinoCliNotFound) as info:
        ArduinoCli.open("", tmp_path)
    assert "not on PATH" in info.value.message
    assert "install.sh" in info.value.hint and "arduino_cli" in info.value.hint


def test_configured_path_that_is_not_there_is_named(tmp_path):
    with pytest.raises(ArduinoCliNotFound) as info:
        find_arduino_cli("tools/arduino-cli", tmp_path)
    assert "tools/arduino-cli" in info.value.message and "wakebench.toml" in info.value.message


def test_configured_path_is_used(fake_cli, tmp_path):
    cli = ArduinoCli.open(str(fake_cli.path), tmp_path)
    assert cli.executable == fake_cli.path.resolve()
    assert cli.version().version == "1.3.1"


@pytest.mark.parametrize("version", ["1.2.0", "0.35.3", "0.0.0-git"])
def test_versions_before_1_3_are_refused(fake_cli, tmp_path, version):
    fake_cli.scenario(version=version)
    with pytest.raises(ArduinoCliNotFound) as info:
        ArduinoCli.open("", tmp_path)
    assert version in info.value.message
    assert "1.3" in info.value.message + info.value.hint


def test_every_call_uses_json_and_the_private_toolchain_folders(fake_cli, tmp_path):
    cli = ArduinoCli.open("", tmp_path, private_toolchain=True)
    cli.board_list()
    calls = fake_cli.calls()
    assert len(calls) == 2 and all("--json" in c["argv"] for c in calls)
    private = ArduinoDirs.for_project(tmp_path).root
    for c in calls:
        assert c["env"]["ARDUINO_DIRECTORIES_DATA"] == str(private / "data")
        assert c["env"]["ARDUINO_DIRECTORIES_USER"] == str(private / "user")
        assert c["env"]["ARDUINO_DIRECTORIES_DOWNLOADS"] == str(private / "downloads")


def test_shared_toolchain_sets_no_directories(fake_cli, tmp_path, monkeypatch):
    monkeypatch.delenv("ARDUINO_DIRECTORIES_DATA", raising=False)
    ArduinoCli.open("", tmp_path).version()
    assert all("ARDUINO_DIRECTORIES_DATA" not in c["env"] for c in fake_cli.calls())


def test_board_list_is_typed(fake_cli, tmp_path):
    fake_cli.scenario(
        ports=[
            {
                "address": "/dev/ttyACM0",
                "boards": [["Adafruit pyBadge M4 Express (SAMD51)", "adafruit:samd:adafruit_pybadge_m4"]],
            },
            {"address": "/dev/ttyS0", "boards": []},
        ]
    )
    ports = ArduinoCli.open("", tmp_path).board_list()
    assert [p.port.address for p in ports] == ["/dev/ttyACM0", "/dev/ttyS0"]
    assert ports[0].port.protocol == "serial" and ports[0].port.properties["vid"] == "0x239A"
    assert ports[0].matches("adafruit:samd:adafruit_pybadge_m4:usbstack=tinyusb")
    assert not ports[1].matches("adafruit:samd:adafruit_pybadge_m4")


def test_unknown_keys_are_ignored():
    ports = detected_ports(
        {
            "detected_ports": [
                {
                    "port": {"address": "COM3", "new_key": 1},
                    "matching_boards": [{"name": "x", "fqbn": "a:b:c", "is_hidden": False}],
                }
            ],
            "later": True,
        }
    )
    assert ports[0].port.address == "COM3" and ports[0].boards[0].fqbn == "a:b:c"
    result = CompileResult.from_json(
        {
            "success": True,
            "builder_result": {
                "build_path": "/b",
                "executable_sections_size": [{"name": "text", "size": 10, "max_size": 20, "extra": 1}],
            },
            "new": {},
        }
    )
    assert result.section("text").size == 10 and result.section("data") is None
    assert (
        UploadResult.from_json({"stdout": "ok", "stderr": "", "updated_upload_port": {}}).updated_port is None
    )


def test_setup_installs_the_pinned_platform_and_libraries_with_progress(fake_cli, tmp_path, sketch_dir):
    profile = get_board("edgebadge")
    events = []
    cli = ArduinoCli.open("", tmp_path, private_toolchain=True)
    report = setup_toolchain(profile, cli, on_event=events.append, sketch_dir=sketch_dir)
    commands = fake_cli.commands()[1:]
    assert commands[0] == ["core", "update-index", "--additional-urls", profile.platform_index_url]
    assert commands[1] == [
        "core",
        "install",
        "adafruit:samd@1.7.17",
        "--additional-urls",
        profile.platform_index_url,
    ]
    assert ["lib", "install", "Adafruit Zero PDM Library@1.2.4"] in commands
    assert len(commands) == 2 + 4  # the TFLM dir: library is not installed, only checked
    progress = [e for e in events if isinstance(e, Progress) and e.stage == "setup"]
    assert [e.done for e in progress] == [0, 1, 2, 3, 4, 5, 6]
    assert report.private_dir.endswith(".wakebench/arduino")


def test_setup_without_the_local_tflm_library_says_to_fetch_it(fake_cli, tmp_path, sketch_dir):
    import shutil

    shutil.rmtree(sketch_dir.parent / "libraries")
    with pytest.raises(ConfigError) as info:
        setup_toolchain(get_board("edgebadge"), ArduinoCli.open("", tmp_path), sketch_dir=sketch_dir)
    assert "fetch_tflm.sh" in info.value.hint
    assert fake_cli.commands() == [["version"]]  # nothing downloaded


def test_offline_index_update_is_an_error_that_says_so(fake_cli, tmp_path):
    fake_cli.scenario(index="offline")
    cli = ArduinoCli.open("", tmp_path)
    with pytest.raises(ArduinoCliError) as info:
        cli.update_index(["https://example.invalid/index.json"])
    assert "no such host" in info.value.message
    assert "network" in info.value.hint or "connect" in info.value.hint


def test_a_cancelled_call_stops_the_process():
    import sys
    import threading
    import time

    # A command that runs until stopped (python sleeping stands in for a long download).
    slow = ArduinoCli(sys.executable)
    token = CancelToken()
    threading.Timer(0.3, token.cancel).start()
    started = time.monotonic()
    with pytest.raises(Cancelled):
        slow.run(["-c", "import time; time.sleep(30)"], cancel=token)
    assert time.monotonic() - started < 5
