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

from dataclasses import dataclass
from pathlib import Path

from core.errors import WakebenchError

SHF_WRITE = 0x1
SHF_ALLOC = 0x2


class ElfError(WakebenchError):
    """A file that is not a readable ELF firmware image."""


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
    """text/data/bss of the ELF at `path`; a missing or non-ELF file is an ElfError."""
    from elftools.common.exceptions import ELFError
    from elftools.elf.elffile import ELFFile

    path = Path(path)
    text = data = bss = 0
    try:
        with path.open("rb") as f:
            for section in ELFFile(f).iter_sections():
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
    except FileNotFoundError:
        raise ElfError(f"{path}: no such firmware image", "build the firmware first") from None
    except (ELFError, OSError) as exc:
        raise ElfError(f"{path}: not a readable ELF file ({exc})") from None
    return FirmwareSize(text, data, bss)
