"""Which serial port is which board: USB vendor/product ids matched against the board profiles
(assets/boards/*.toml, `usb_ids` and `bootloader_usb_ids`); other ports are listed as unknown.

`list_ports()` asks pyserial for the ports; `classify()` names one port; `pick_port()` is what a command
without a PORT argument does: the only recognised board, else a BoardChoiceError listing the candidates.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from serial.tools import list_ports as pyserial_ports

from core.board.profiles import BoardProfile, board_profiles
from core.errors import BoardChoiceError, BoardNotFoundError

# Vendors whose boards wakebench may meet, to say more than "unknown" about a board without a profile.
VENDORS = {
    0x239A: "Adafruit",
    0x2341: "Arduino",
    0x2E8A: "Raspberry Pi",
    0x303A: "Espressif",
    0x1366: "SEGGER J-Link",
    0x0D28: "Arm DAPLink",
    0x0403: "FTDI USB-serial",
    0x10C4: "Silicon Labs USB-serial",
    0x1A86: "CH340 USB-serial",
}


@dataclass(frozen=True)
class PortInfo:
    device: str
    description: str
    vid: int | None
    pid: int | None
    serial_number: str | None
    profile: str | None
    """The board profile's name when the USB ids match one."""
    title: str
    """What to call it: the profile's title, "<vendor> board", or "unknown serial port"."""
    bootloader: bool = False
    """The board is in its bootloader (ready for an upload, not running a sketch)."""

    @property
    def recognised(self) -> bool:
        return self.profile is not None

    @property
    def usb_id(self) -> str:
        return f"{self.vid:04X}:{self.pid:04X}" if self.vid is not None and self.pid is not None else ""

    def describe(self) -> str:
        mode = " (bootloader)" if self.bootloader else ""
        usb = f"  [{self.usb_id}]" if self.usb_id else ""
        serial = f"  serial {self.serial_number}" if self.serial_number else ""
        return f"{self.device:16}  {self.title}{mode}{usb}{serial}"

    def to_json(self) -> dict[str, Any]:
        return {
            "device": self.device,
            "board": self.profile,
            "title": self.title,
            "bootloader": self.bootloader,
            "usb_id": self.usb_id or None,
            "serial_number": self.serial_number,
            "description": self.description,
        }


def classify(port: Any, profiles: dict[str, BoardProfile] | None = None) -> PortInfo:
    """Name one pyserial port (a `ListPortInfo`: device, description, vid, pid, serial_number)."""
    profiles = board_profiles() if profiles is None else profiles
    vid, pid = port.vid, port.pid
    common = {
        "device": port.device,
        "description": port.description or "",
        "vid": vid,
        "pid": pid,
        "serial_number": port.serial_number or None,
    }
    if vid is not None and pid is not None:
        for profile in profiles.values():
            if (vid, pid) in profile.usb_ids:
                return PortInfo(**common, profile=profile.name, title=profile.title)
            if (vid, pid) in profile.bootloader_usb_ids:
                return PortInfo(**common, profile=profile.name, title=profile.title, bootloader=True)
        if vid in VENDORS:
            return PortInfo(**common, profile=None, title=f"{VENDORS[vid]} device (no wakebench profile)")
    return PortInfo(**common, profile=None, title="unknown serial port")


def list_ports(profiles: dict[str, BoardProfile] | None = None) -> list[PortInfo]:
    """Every serial port pyserial sees, recognised boards first."""
    profiles = board_profiles() if profiles is None else profiles
    ports = [classify(p, profiles) for p in pyserial_ports.comports()]
    return sorted(ports, key=lambda p: (not p.recognised, p.bootloader, p.device))


def pick_port(port: str | None, ports: Sequence[PortInfo] | None = None) -> str:
    """`port` when given; else the only recognised board running a sketch. None found, or several, is
    an error listing what there is (BoardNotFoundError when there is no port at all)."""
    if port:
        return port
    ports = list_ports() if ports is None else list(ports)
    boards = [p for p in ports if p.recognised and not p.bootloader]
    if len(boards) == 1:
        return boards[0].device
    if not ports:
        raise BoardNotFoundError(
            "no serial ports found",
            "plug the board in (a data cable, not a charge-only one), or start a virtual board with "
            "`wakebench sim RUN` and give its path",
        )
    listing = "\n".join("  " + p.describe() for p in ports)
    if boards:
        raise BoardChoiceError(f"{len(boards)} boards found; give the PORT to use:\n{listing}")
    raise BoardChoiceError(f"no recognised board; give the PORT to use:\n{listing}")
