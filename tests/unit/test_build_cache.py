"""Build cache slots (core.board.build_cache) and ELF section sizes (core.board.elf_size), on small ELF
objects compiled here with the host C compiler; the Model pane's flash/RAM bars use a recorded build."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from core.board.build_cache import BuildSlot, build_key, find_build
from core.board.elf_size import FirmwareSize, read_elf_size, read_symbol_size
from core.errors import FirmwareBuildError

SOURCE = """
const char g_table[3000] = {1};          /* read-only: text */
int g_counters[50] = {1};                /* initialised: data */
static unsigned char g_tensor_arena[7000]; /* zeroed: bss */
unsigned char *arena(void) { return g_tensor_arena; }
"""

needs_cc = pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc not installed (apt-get install gcc)")


def compile_object(tmp_path: Path, name: str = "fw") -> Path:
    source = tmp_path / f"{name}.c"
    source.write_text(SOURCE)
    out = tmp_path / f"{name}.elf"
    subprocess.run(["gcc", "-c", "-O1", str(source), "-o", str(out)], check=True)
    return out


@needs_cc
def test_sections_are_split_like_arm_none_eabi_size(tmp_path):
    size = read_elf_size(compile_object(tmp_path))
    assert size.text >= 3000 and size.data >= 200 and size.bss >= 7000
    assert size.flash_bytes == size.text + size.data and size.ram_bytes == size.data + size.bss
    if shutil.which("size"):  # binutils' Berkeley format must agree exactly
        row = subprocess.run(["size", str(tmp_path / "fw.elf")], capture_output=True, text=True).stdout
        text, data, bss = map(int, row.splitlines()[1].split()[:3])
        assert (size.text, size.data, size.bss) == (text, data, bss)


@needs_cc
def test_arena_symbol_size_is_found_even_when_file_local(tmp_path):
    elf = compile_object(tmp_path)
    assert read_symbol_size(elf) == 7000
    assert read_symbol_size(elf, "no_such_symbol") is None


def test_unreadable_firmware_is_a_clear_error(tmp_path):
    with pytest.raises(FirmwareBuildError, match="no such firmware image"):
        read_elf_size(tmp_path / "missing.elf")
    (tmp_path / "junk.elf").write_bytes(b"not an elf at all")
    with pytest.raises(FirmwareBuildError, match="not a readable ELF"):
        read_elf_size(tmp_path / "junk.elf")


def test_key_depends_on_board_and_pins_not_on_their_order():
    a = build_key("wakebench", "adafruit:samd:x", {"tflm": "7948b85", "gcc": "12.2.1"})
    assert a == build_key("wakebench", "adafruit:samd:x", {"gcc": "12.2.1", "tflm": "7948b85"})
    assert a != build_key("wakebench", "arduino:mbed_nano:nano33ble", {"tflm": "7948b85", "gcc": "12.2.1"})
    assert a != build_key("wakebench", "adafruit:samd:x", {"tflm": "0000000", "gcc": "12.2.1"})


def test_staging_keeps_unchanged_files_and_their_mtimes(tmp_path):
    sketch = tmp_path / "wakebench"
    sketch.mkdir()
    for name, text in {"wakebench.ino": "ino", "a.cpp": "a", "a.h": "h", "notes.txt": "skip"}.items():
        (sketch / name).write_text(text)
    slot = BuildSlot(tmp_path / "cache" / "slot")
    assert slot.stage(sketch) == ["a.cpp", "a.h", "wakebench.ino"]  # .txt is not a sketch file
    old = time.time() - 100
    os.utime(slot.sketch_dir / "a.h", (old, old))
    (sketch / "a.cpp").write_text("a2")
    (sketch / "wakebench.ino").unlink()
    (sketch / "b.ino").write_text("b")
    changed = slot.stage(sketch, overrides={"model_data.cpp": b"model"})
    assert changed == ["a.cpp", "b.ino", "model_data.cpp", "wakebench.ino"]
    assert sorted(p.name for p in slot.sketch_dir.iterdir()) == ["a.cpp", "a.h", "b.ino", "model_data.cpp"]
    assert (slot.sketch_dir / "a.h").stat().st_mtime == pytest.approx(old)  # untouched: no rebuild
    assert slot.stage(sketch, overrides={"model_data.cpp": b"model"}) == []


@needs_cc
def test_recorded_build_is_found_for_its_model_and_board_only(tmp_path):
    root = tmp_path / "cache"
    slot = BuildSlot.for_build("adafruit:samd:x", {"tree": "1"}, root=root)
    slot.build_dir.mkdir(parents=True)
    shutil.copy(compile_object(tmp_path), slot.build_dir / "wakebench.ino.elf")
    record = slot.record("adafruit:samd:x", "51a7dd25", 12.5)
    assert record.arena_bytes == 7000 and record.size == read_elf_size(slot.build_dir / "wakebench.ino.elf")
    assert slot.last_build() == record
    assert find_build("51a7dd25", "adafruit:samd:x", root) == record
    assert find_build("51a7dd25", "arduino:mbed_nano:nano33ble", root) is None
    assert find_build("deadbeef", "adafruit:samd:x", root) is None
    (slot.build_dir / "wakebench.ino.elf").unlink()  # a record whose ELF is gone is no build
    assert find_build("51a7dd25", "adafruit:samd:x", root) is None


def test_record_without_elf_is_an_error(tmp_path):
    slot = BuildSlot(tmp_path / "slot")
    with pytest.raises(FirmwareBuildError, match="left no .elf"):
        slot.record("adafruit:samd:x", "51a7dd25", 1.0)


@needs_cc
def test_model_pane_uses_the_built_firmwares_sizes(tmp_path, monkeypatch):
    """With a recorded build of the run's model for the project's board the bars show the ELF's figures
    (measured); without one, the estimate."""
    from core.board.profiles import get_board
    from core.config import ProjectConfig
    from tui.views import memory_view
    from tui.widgets.model import ModelView

    monkeypatch.setenv("WAKEBENCH_BUILD_CACHE", str(tmp_path / "cache"))
    config = ProjectConfig(words=["stop", "go"])
    board = get_board(config.board.profile)
    view = ModelView(
        "run1",
        ["_silence_", "_unknown_", "stop", "go"],
        size_bytes=18304,
        arena_bytes=9648,
        model_sha8="51a7dd25",
    )
    estimate, _ = memory_view(config, view)
    assert not estimate.measured and estimate.flash_used == 18304

    slot = BuildSlot.for_build(board.fqbn, {"tree": "1"})
    slot.build_dir.mkdir(parents=True)
    shutil.copy(compile_object(tmp_path), slot.build_dir / "wakebench.ino.elf")
    slot.record(board.fqbn, "51a7dd25", 3.0)
    built, title = memory_view(config, view)
    size: FirmwareSize = read_elf_size(slot.build_dir / "wakebench.ino.elf")
    assert built.measured and title == board.title
    assert (built.flash_used, built.ram_used) == (size.flash_bytes, size.ram_bytes)
    assert (built.flash_total, built.ram_total) == (board.flash_bytes, board.ram_bytes)
