"""Board profiles load with their pins and memory, and a broken profile is a clear ConfigError."""

from __future__ import annotations

import pytest

from core.board.profiles import BOARDS_DIR, board_profiles, get_board, load_board, memory_budget
from core.errors import ConfigError


def test_both_boards_of_the_issue_are_profiled():
    profiles = board_profiles()
    assert profiles["edgebadge"].base_fqbn == "adafruit:samd:adafruit_pybadge_m4"
    assert profiles["edgebadge"].platform_index_url.startswith("https://")
    assert profiles["nano33ble"].base_fqbn == "arduino:mbed_nano:nano33ble"
    for profile in profiles.values():
        assert profile.platform_version.count(".") == 2
        assert any(lib.name == "Arduino_TensorFlowLite" for lib in profile.libraries)
        assert all(lib.version or lib.dir for lib in profile.libraries)


def test_memory_budget_for_the_tui_bars():
    board = get_board("edgebadge")
    budget = memory_budget(board, model_bytes=19384, arena_bytes=11792)
    assert budget.flash_total == board.flash_bytes and budget.ram_total == board.ram_bytes
    assert budget.ram_used > 11792  # the sketch's own buffers come on top of the arena
    assert 0 < budget.flash_fraction < 0.1 and 0 < budget.ram_fraction < 0.5


def test_unknown_board_lists_the_known_ones():
    with pytest.raises(ConfigError, match="unknown board profile 'uno'") as info:
        get_board("uno")
    assert "edgebadge" in info.value.hint and "nano33ble" in info.value.hint


def write_profile(tmp_path, text: str, name: str = "myboard"):
    path = tmp_path / f"{name}.toml"
    path.write_text(text)
    return path


GOOD = (BOARDS_DIR / "nano33ble.toml").read_text().replace('name = "nano33ble"', 'name = "myboard"')


@pytest.mark.parametrize(
    "text, message",
    [
        (GOOD.replace("flash_bytes = 983040\n", ""), "lacks 'flash_bytes'"),
        (GOOD.replace("flash_bytes = 983040", 'flash_bytes = "1M"'), "flash_bytes must be a int"),
        (GOOD.replace("ram_bytes = 262144", "ram_bytes = 0"), "ram_bytes must be positive"),
        (GOOD.replace('name = "myboard"', 'name = "other"'), "must match the file name"),
        (GOOD.replace('fqbn = "arduino:mbed_nano:nano33ble"', 'fqbn = "nano33ble"'), "not vendor:arch:board"),
        (
            GOOD.replace('dir = "../libraries/Arduino_TensorFlowLite"', 'dir = "x", version = "1.0.0"'),
            "exactly one",
        ),
        (GOOD + "\ncolour = 3\n", "unknown keys"),
        ("name = [", "not valid TOML"),
    ],
)
def test_broken_profiles_name_the_file_and_the_problem(tmp_path, text, message):
    path = write_profile(tmp_path, text)
    with pytest.raises(ConfigError, match=message) as info:
        load_board(path)
    assert str(path) in info.value.message


def test_a_new_board_is_one_profile_file(tmp_path):
    write_profile(tmp_path, GOOD)
    assert get_board("myboard", tmp_path).title == "Arduino Nano 33 BLE Sense"
