"""Real flash and RAM use of a linked firmware, read from its ELF sections (pyelftools, no toolchain).

The split is the one `arm-none-eabi-size` (Berkeley format) and arduino-cli report:
- text: allocated sections that are not writable (code, constants, the model array, vector table);
- data: allocated writable sections with contents (initialised variables: their initial values sit in
  flash and are copied to RAM at boot);
- bss: allocated writable sections without contents (zeroed variables, e.g. the tensor arena).
Flash used = text + data, RAM used = data + bss. Sections the linker script reserves for the stack or
heap count as bss like any other NOBITS section, so "RAM used" is what the linker placed, not what the
running sketch may take from the heap or stack beyond that.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.errors import FirmwareBuildError

SHF_WRITE = 0x1
SHF_ALLOC = 0x2
ARENA_SYMBOL = "g_tensor_arena"
"""The sketch's tensor arena (wakebench_app.cpp); its symbol size is the arena the firmware reserves."""


@dataclass(frozen=True)
class FirmwareSize:
    """Section totals of one linked firmware (bytes)."""

    text: int
    data: int
    bss: int

    @property
    def flash_bytes(self) -> int:
        return self.text + self.data

    @property
    def ram_bytes(self) -> int:
        return self.data + self.bss


def read_elf_size(path: str | Path) -> FirmwareSize:
    """text/data/bss of the ELF at `path`; a missing or non-ELF file is a FirmwareBuildError."""
    text = data = bss = 0
    with _open_elf(path) as elf:
        for section in elf.iter_sections():
            flags = section["sh_flags"]
            if not flags & SHF_ALLOC:
                continue
            size = section["sh_size"]
            if not flags & SHF_WRITE:
                text += size
            elif section["sh_type"] == "SHT_NOBITS":
                bss += size
            else:
                data += size
    return FirmwareSize(text, data, bss)


def read_symbol_size(path: str | Path, name: str = ARENA_SYMBOL) -> int | None:
    """Size of the data symbol whose (possibly C++-mangled) name contains `name`, e.g. the tensor arena
    inside an anonymous namespace; None when the ELF has no symbol table or no such symbol."""
    with _open_elf(path) as elf:
        table = elf.get_section_by_name(".symtab")
        if table is None:
            return None
        for symbol in table.iter_symbols():
            if name in symbol.name and symbol["st_info"]["type"] == "STT_OBJECT":
                return int(symbol["st_size"])
    return None


@contextlib.contextmanager
def _open_elf(path: str | Path) -> Iterator[Any]:
    from elftools.common.exceptions import ELFError
    from elftools.elf.elffile import ELFFile

    path = Path(path)
    try:
        with path.open("rb") as f:
            yield ELFFile(f)
    except FileNotFoundError:
        raise FirmwareBuildError(f"{path}: no such firmware image", "build the firmware first") from None
    except (ELFError, OSError) as exc:
        raise FirmwareBuildError(f"{path}: not a readable ELF file ({exc})") from None
