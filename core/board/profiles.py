"""Board profiles (assets/boards/<name>.toml): FQBN, platform and library pins, microphone, memory.

The build profiles in firmware/wakebench/sketch.yaml are rendered from these files, so arduino-cli and
wakebench always agree on versions. The TUI draws flash/RAM bars from `memory_budget`.
"""

from __future__ import annotations

import argparse
import re
import tomllib
from dataclasses import dataclass, replace
from pathlib import Path

from core.board.elf_size import FirmwareSize
from core.errors import ConfigError
from core.fileio import write_text_atomic

ROOT = Path(__file__).resolve().parents[2]
BOARDS_DIR = ROOT / "assets" / "boards"
SKETCH_DIR = ROOT / "firmware" / "wakebench"
SKETCH_YAML = SKETCH_DIR / "sketch.yaml"

# RAM the sketch itself reserves besides the tensor arena (firmware/wakebench): the audio ring
# (8192 int16), the serial queue and line buffer, feature window and frame buffers.
SKETCH_BUFFER_BYTES = 8192 * 2 + 2048 + 512 + 2 * 49 * 40 + 320 * 2


@dataclass(frozen=True)
class LibraryPin:
    """A library in a build profile: from the Arduino index at `version`, or a local folder `dir`."""

    name: str
    version: str = ""
    dir: str = ""

    def sketch_yaml_entry(self) -> str:
        return f"dir: {self.dir}" if self.dir else f"{self.name} ({self.version})"


@dataclass(frozen=True)
class BoardProfile:
    name: str
    title: str
    fqbn: str
    platform: str
    platform_version: str
    platform_index_url: str
    mcu: str
    flash_bytes: int
    """Largest sketch the board's flash takes (as arduino-cli reports it)."""
    ram_bytes: int
    default_arena_bytes: int
    mic: str
    output: str
    board_file: str
    """The sketch file holding this board's code (firmware/wakebench/)."""
    libraries: tuple[LibraryPin, ...]
    usb_ids: tuple[tuple[int, int], ...] = ()
    """USB (vendor id, product id) pairs of the board running a sketch (core/board/discovery.py)."""
    bootloader_usb_ids: tuple[tuple[int, int], ...] = ()
    """The same while its bootloader runs (double-tapped reset, or during an upload)."""

    @property
    def base_fqbn(self) -> str:
        """The FQBN without board options (vendor:arch:board)."""
        return ":".join(self.fqbn.split(":")[:3])


@dataclass(frozen=True)
class MemoryBudget:
    """Flash and RAM use against a board's totals: real figures from a linked firmware (`measured`), or
    an estimate of what wakebench adds (model, arena, sketch buffers) without the TFLM runtime and the
    board core, which come on top."""

    flash_used: int
    flash_total: int
    ram_used: int
    ram_total: int
    measured: bool = False
    """True: text+data and data+bss of a built ELF (core.board.elf_size); False: an estimate."""

    @property
    def flash_fraction(self) -> float:
        return self.flash_used / self.flash_total

    @property
    def ram_fraction(self) -> float:
        return self.ram_used / self.ram_total

    @property
    def fits(self) -> bool:
        return self.flash_used <= self.flash_total and self.ram_used <= self.ram_total


_REQUIRED = {
    "name": str,
    "title": str,
    "fqbn": str,
    "platform": str,
    "platform_version": str,
    "platform_index_url": str,
    "mcu": str,
    "flash_bytes": int,
    "ram_bytes": int,
    "default_arena_bytes": int,
    "mic": str,
    "output": str,
    "board_file": str,
    "libraries": list,
}


_OPTIONAL = ("usb_ids", "bootloader_usb_ids")
_USB_ID = re.compile(r"([0-9A-Fa-f]{4}):([0-9A-Fa-f]{4})")


def _usb_ids(path: Path, key: str, items: object) -> tuple[tuple[int, int], ...]:
    """`["239A:8033", ...]` -> ((0x239A, 0x8033), ...)."""
    if not isinstance(items, list):
        raise ConfigError(f'{path}: {key} must be a list of "VID:PID" strings, got {items!r}')
    ids = []
    for item in items:
        match = _USB_ID.fullmatch(item) if isinstance(item, str) else None
        if match is None:
            raise ConfigError(f'{path}: {key} entry {item!r} is not "VID:PID" in hex (e.g. "239A:8033")')
        ids.append((int(match.group(1), 16), int(match.group(2), 16)))
    return tuple(ids)


def load_board(path: str | Path) -> BoardProfile:
    """Read one profile; a missing or mistyped key is a ConfigError naming the file and key."""
    path = Path(path)
    try:
        values = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such board profile") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    for key, kind in _REQUIRED.items():
        if key not in values:
            raise ConfigError(f"{path}: board profile lacks {key!r}", "see assets/boards/edgebadge.toml")
        if not isinstance(values[key], kind) or isinstance(values[key], bool):
            raise ConfigError(f"{path}: {key} must be a {kind.__name__}, got {values[key]!r}")
    for key in _OPTIONAL:
        values[key] = _usb_ids(path, key, values.get(key, []))
    unknown = set(values) - set(_REQUIRED) - set(_OPTIONAL)
    if unknown:
        raise ConfigError(f"{path}: unknown keys {sorted(unknown)}")
    if values["name"] != path.stem:
        raise ConfigError(f"{path}: name {values['name']!r} must match the file name {path.stem!r}")
    if len(values["fqbn"].split(":")) < 3:
        raise ConfigError(f"{path}: fqbn {values['fqbn']!r} is not vendor:arch:board")
    libraries = []
    for item in values["libraries"]:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            raise ConfigError(f"{path}: each library needs a name, got {item!r}")
        if bool(item.get("version")) == bool(item.get("dir")):
            raise ConfigError(f"{path}: library {item['name']!r} needs exactly one of version or dir")
        libraries.append(LibraryPin(item["name"], item.get("version", ""), item.get("dir", "")))
    values["libraries"] = tuple(libraries)
    for key in ("flash_bytes", "ram_bytes", "default_arena_bytes"):
        if values[key] <= 0:
            raise ConfigError(f"{path}: {key} must be positive")
    return BoardProfile(**values)


def board_profiles(directory: str | Path = BOARDS_DIR) -> dict[str, BoardProfile]:
    """Every profile in `directory`, by name."""
    return {p.stem: load_board(p) for p in sorted(Path(directory).glob("*.toml"))}


def get_board(name: str, directory: str | Path = BOARDS_DIR) -> BoardProfile:
    profiles = board_profiles(directory)
    if name not in profiles:
        known = ", ".join(profiles) or "none"
        raise ConfigError(f"unknown board profile {name!r}", f"known boards: {known} (assets/boards/*.toml)")
    return profiles[name]


def memory_budget(profile: BoardProfile, model_bytes: int, arena_bytes: int) -> MemoryBudget:
    """Estimate: flash taken by the model, RAM by the arena and the sketch's own buffers, against the
    board's totals."""
    return MemoryBudget(
        model_bytes, profile.flash_bytes, arena_bytes + SKETCH_BUFFER_BYTES, profile.ram_bytes
    )


def built_memory_budget(profile: BoardProfile, size: FirmwareSize) -> MemoryBudget:
    """Real use of a linked firmware: text+data in flash, data+bss in RAM (the arena is in bss)."""
    return MemoryBudget(
        size.flash_bytes, profile.flash_bytes, size.ram_bytes, profile.ram_bytes, measured=True
    )


def render_sketch_yaml(profiles: dict[str, BoardProfile], default: str = "edgebadge") -> str:
    """firmware/wakebench/sketch.yaml: one build profile per board, versions pinned."""
    lines = [
        "# Build profiles for arduino-cli (>= 1.3 for local `dir:` libraries), one per board.",
        "# Generated from assets/boards/*.toml by `python -m core.board.profiles --write-sketch-yaml`; edit those.",
        "# Arduino_TensorFlowLite is not in the Library Manager: fetch it first with",
        "# firmware/fetch_tflm.sh (see firmware/README.md).",
        "profiles:",
    ]
    for profile in profiles.values():
        lines += [
            f"  {profile.name}:",
            f"    notes: {profile.title} ({profile.mcu})",
            f"    fqbn: {profile.fqbn}",
            "    platforms:",
            f"      - platform: {profile.platform} ({profile.platform_version})",
        ]
        if profile.platform_index_url:
            lines.append(f"        platform_index_url: {profile.platform_index_url}")
        lines.append("    libraries:")
        lines += [f"      - {lib.sketch_yaml_entry()}" for lib in profile.libraries]
    if default in profiles:
        lines.append(f"default_profile: {default}")
    return "\n".join(lines) + "\n"


def sketch_yaml_for_copy(profile: BoardProfile, sketch_dir: Path = SKETCH_DIR) -> str:
    """sketch.yaml for a copy of the sketch built elsewhere (core.arduino.build): this board's profile
    with its local `dir:` libraries as absolute paths, resolved against `sketch_dir`. A missing local
    library (TFLM is fetched by firmware/fetch_tflm.sh) is a ConfigError."""
    libraries = []
    for lib in profile.libraries:
        if lib.dir:
            path = (sketch_dir / lib.dir).resolve()
            if not path.is_dir():
                raise ConfigError(
                    f"library {lib.name} is not in {path}",
                    "fetch it first: firmware/fetch_tflm.sh (see firmware/README.md)",
                )
            lib = LibraryPin(lib.name, dir=str(path))
        libraries.append(lib)
    staged = replace(profile, libraries=tuple(libraries))
    return render_sketch_yaml({profile.name: staged}, default=profile.name)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Board profiles: list them or regenerate sketch.yaml.")
    parser.add_argument("--write-sketch-yaml", action="store_true", help=f"rewrite {SKETCH_YAML}")
    args = parser.parse_args(argv)
    profiles = board_profiles()
    if args.write_sketch_yaml:
        write_text_atomic(SKETCH_YAML, render_sketch_yaml(profiles))
        print(f"wrote {SKETCH_YAML}")
    else:
        for p in profiles.values():
            print(f"{p.name:12} {p.fqbn:52} {p.platform}@{p.platform_version}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
