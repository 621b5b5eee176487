"""Persistent firmware build folders: one per sketch + board + pinned libraries, so a rebuild takes seconds.

Compiling TFLM's ~200 sources for a Cortex-M4F takes 5-8 minutes on two cores. arduino-cli (and
Debian's arduino-builder, which it grew out of) recompile only what changed when they get the same build
folder back *and* the same sketch path: the sketch's location is one of the build options, and a build
folder whose options changed is wiped. So a cache slot keeps a staged copy of the sketch at a fixed path
next to its build folders:

    <root>/<key>/wakebench/     the sketch, synced file by file (an unchanged file keeps its mtime)
    <root>/<key>/build/         build path (objects, .elf, .bin, .hex)
    <root>/<key>/build.cache/   build cache (the compiled board core)
    <root>/<key>/build.json     what was built last: model, board, time taken, ELF sizes

`key` hashes the sketch name, the FQBN, every pinned component (platform, libraries, TFLM commit) and
the compiler. The sketch's *content* is not in the key on purpose: a new model or an edited source is an
incremental rebuild of the changed files (the builder tracks dependencies), not a new cold build.
The root is $WAKEBENCH_BUILD_CACHE, else ~/.cache/wakebench/arduino-build.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from core.board.elf_size import FirmwareSize, read_elf_size, read_symbol_size
from core.errors import FirmwareBuildError
from core.fileio import write_text_atomic

# Files a sketch folder may hold that the build reads (Arduino compiles .ino, .cpp, .c and .S).
SKETCH_SUFFIXES = (".ino", ".cpp", ".c", ".S", ".h", ".hpp", ".yaml")


def cache_root() -> Path:
    env = os.environ.get("WAKEBENCH_BUILD_CACHE")
    return Path(env) if env else Path.home() / ".cache" / "wakebench" / "arduino-build"


def build_key(sketch_name: str, fqbn: str, components: Mapping[str, str]) -> str:
    """16 hex digits naming a slot: same sketch, board, pinned components and compiler -> same slot."""
    blob = json.dumps({"sketch": sketch_name, "fqbn": fqbn, "components": dict(sorted(components.items()))})
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class BuildRecord:
    """The last build of a slot (build.json)."""

    fqbn: str
    model_sha8: str
    elf: Path
    seconds: float
    size: FirmwareSize
    arena_bytes: int | None
    finished: float
    """time.time() when the build ended."""


@dataclass(frozen=True)
class BuildSlot:
    root: Path
    sketch_name: str = "wakebench"

    @classmethod
    def for_build(
        cls,
        fqbn: str,
        components: Mapping[str, str],
        sketch_name: str = "wakebench",
        root: Path | None = None,
    ) -> BuildSlot:
        base = root if root is not None else cache_root()
        return cls(base / build_key(sketch_name, fqbn, components), sketch_name)

    @property
    def sketch_dir(self) -> Path:
        return self.root / self.sketch_name

    @property
    def build_dir(self) -> Path:
        return self.root / "build"

    @property
    def core_cache_dir(self) -> Path:
        return self.root / "build.cache"

    @property
    def record_path(self) -> Path:
        return self.root / "build.json"

    def elf(self) -> Path | None:
        """The linked firmware of the last build, if any."""
        found = sorted(self.build_dir.glob("*.elf")) if self.build_dir.is_dir() else []
        return found[0] if found else None

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """One build at a time per slot (two builders in one folder corrupt each other's objects)."""
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / ".lock", "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def stage(self, source: str | Path, overrides: Mapping[str, bytes] | None = None) -> list[str]:
        """Make the staged sketch equal `source` (plus `overrides`: file name -> content, e.g. another
        model's generated files) and return the names that changed. Unchanged files are left alone so
        their mtimes, and the objects built from them, stay valid; files no longer in the source go."""
        source = Path(source)
        wanted: dict[str, bytes] = {
            p.name: p.read_bytes()
            for p in sorted(source.iterdir())
            if p.is_file() and p.suffix in SKETCH_SUFFIXES
        }
        wanted.update(overrides or {})
        self.sketch_dir.mkdir(parents=True, exist_ok=True)
        changed = []
        for name, content in wanted.items():
            target = self.sketch_dir / name
            if not target.is_file() or target.read_bytes() != content:
                target.write_bytes(content)
                changed.append(name)
        for stale in self.sketch_dir.iterdir():
            if stale.name not in wanted:
                shutil.rmtree(stale) if stale.is_dir() else stale.unlink()
                changed.append(stale.name)
        return sorted(changed)

    def record(self, fqbn: str, model_sha8: str, seconds: float) -> BuildRecord:
        """Write build.json for the ELF just linked (sizes and arena read from it) and return it."""
        elf = self.elf()
        if elf is None:
            raise FirmwareBuildError(f"{self.build_dir}: the build left no .elf", "see the build log")
        size, arena = read_elf_size(elf), read_symbol_size(elf)
        entry = BuildRecord(fqbn, model_sha8, elf, round(seconds, 2), size, arena, time.time())
        payload = {
            "fqbn": fqbn,
            "model_sha8": model_sha8,
            "elf": str(elf),
            "seconds": entry.seconds,
            "text": entry.size.text,
            "data": entry.size.data,
            "bss": entry.size.bss,
            "arena_bytes": arena,
            "finished": entry.finished,
        }
        write_text_atomic(self.record_path, json.dumps(payload, indent=2) + "\n")
        return entry

    def last_build(self) -> BuildRecord | None:
        """build.json of this slot, if its ELF is still there."""
        try:
            raw = json.loads(self.record_path.read_text())
            entry = BuildRecord(
                raw["fqbn"],
                raw["model_sha8"],
                Path(raw["elf"]),
                float(raw["seconds"]),
                FirmwareSize(int(raw["text"]), int(raw["data"]), int(raw["bss"])),
                raw.get("arena_bytes"),
                float(raw["finished"]),
            )
        except (OSError, ValueError, KeyError, TypeError):
            return None
        return entry if entry.elf.is_file() else None


def find_build(model_sha8: str, fqbn: str, root: Path | None = None) -> BuildRecord | None:
    """The newest recorded build of this model for this board in the cache, or None (then sizes are
    estimates)."""
    base = root if root is not None else cache_root()
    if not base.is_dir():
        return None
    found = [
        entry
        for slot_dir in base.iterdir()
        if slot_dir.is_dir()
        and (entry := BuildSlot(slot_dir).last_build()) is not None
        and entry.model_sha8 == model_sha8
        and entry.fqbn == fqbn
    ]
    return max(found, key=lambda e: e.finished) if found else None
