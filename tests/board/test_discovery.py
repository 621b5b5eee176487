"""Boards are recognised by the USB ids in their profiles; other ports are listed as unknown; a command
without PORT takes the only board or lists the candidates (exit 2)."""

from __future__ import annotations

import json

import pytest
from serial.tools.list_ports_common import ListPortInfo

from core.board.discovery import PortInfo, classify, pick_port
from core.board.profiles import board_profiles, load_board
from core.cli import main
from core.errors import BoardChoiceError, BoardNotFoundError, ConfigError


def usb_port(device: str, vid: int | None, pid: int | None, serial: str | None = "ABC123") -> ListPortInfo:
    info = ListPortInfo(device)  # pyserial's own record of a port, as comports() returns them
    info.vid, info.pid, info.serial_number = vid, pid, serial
    info.description = "USB serial"
    return info


@pytest.mark.parametrize(
    "vid, pid, profile, bootloader, title",
    [
        (0x239A, 0x8033, "edgebadge", False, "Adafruit EdgeBadge"),
        (0x239A, 0x0033, "edgebadge", True, "Adafruit EdgeBadge"),
        (0x2341, 0x805A, "nano33ble", False, "Arduino Nano 33 BLE Sense"),
        (0x2341, 0x005A, "nano33ble", True, "Arduino Nano 33 BLE Sense"),
        (0x239A, 0x80F4, None, False, "Adafruit device (no wakebench profile)"),
        (0x1234, 0x5678, None, False, "unknown serial port"),
        (None, None, None, False, "unknown serial port"),
    ],
)
def test_ports_are_named_by_their_usb_ids(vid, pid, profile, bootloader, title):
    port = classify(usb_port("/dev/ttyACM0", vid, pid), board_profiles())
    assert (port.profile, port.bootloader, port.title) == (profile, bootloader, title)
    assert port.recognised == (profile is not None)
    assert json.loads(json.dumps(port.to_json()))["board"] == profile


def info(device: str, profile: str | None, bootloader: bool = False) -> PortInfo:
    return PortInfo(device, "", None, None, None, profile, profile or "unknown serial port", bootloader)


def test_pick_port_takes_the_port_given_or_the_only_board():
    assert pick_port("/dev/ttyUSB3", []) == "/dev/ttyUSB3"
    ports = [
        info("/dev/ttyS0", None),
        info("/dev/ttyACM1", "edgebadge"),
        info("/dev/ttyACM2", "nano33ble", True),
    ]
    assert pick_port(None, ports) == "/dev/ttyACM1"  # a board in its bootloader runs no sketch to monitor


def test_pick_port_lists_the_candidates_when_it_cannot_choose():
    with pytest.raises(BoardChoiceError) as err:
        pick_port(None, [info("/dev/ttyACM0", "edgebadge"), info("/dev/ttyACM1", "nano33ble")])
    assert err.value.exit_code == 2 and "/dev/ttyACM0" in str(err.value) and "/dev/ttyACM1" in str(err.value)
    with pytest.raises(BoardChoiceError, match="(?s)no recognised board.*ttyS0"):
        pick_port(None, [info("/dev/ttyS0", None)])
    with pytest.raises(BoardNotFoundError) as none:
        pick_port(None, [])
    assert none.value.exit_code == 3 and "wakebench sim" in none.value.hint


def test_usb_ids_in_a_profile_are_checked(tmp_path):
    from core.board.profiles import BOARDS_DIR

    profiles = board_profiles()
    assert profiles["nano33ble"].usb_ids == ((0x2341, 0x805A), (0x2341, 0x015A), (0x2341, 0x025A))
    assert profiles["edgebadge"].bootloader_usb_ids == ((0x239A, 0x0033), (0x239A, 0x0034))
    profile = tmp_path / "nano33ble.toml"
    profile.write_text((BOARDS_DIR / "nano33ble.toml").read_text().replace('"2341:805A"', '"2341-805A"'))
    with pytest.raises(ConfigError, match="usb_ids entry '2341-805A' is not"):
        load_board(profile)


def test_boards_command_lists_ports_as_json(capsys):
    assert main(["boards", "--json"]) == 0
    for line in capsys.readouterr().out.splitlines():
        assert set(json.loads(line)) >= {"device", "board", "title", "bootloader", "usb_id"}
