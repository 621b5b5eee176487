"""`wakebench build` against the stand-in arduino-cli: the model is checked before compiling, the sketch
is staged with the run's files (firmware/ untouched), flash and RAM are reported against the board (RAM
from the ELF when arduino-cli has no figure), a compiler error carries GCC's own message and keeps the
previous build, and the CLI works (or says what to install)."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path

import pytest

from core.arduino.build import BuildReport, build_run
from core.arduino.cli import ArduinoCli
from core.board.profiles import get_board
from core.errors import CompileError, ExportError, IncompatibleModelError
from core.model.runs import RunDir
from tests.training.training_helpers import cli as run_wakebench
from tests.training.training_helpers import json_lines

pytestmark = pytest.mark.slow


def _tree_hash(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            digest.update(str(path.relative_to(folder)).encode() + path.read_bytes())
    return digest.hexdigest()


def test_build_reports_flash_and_ram_from_the_elf_for_the_edgebadge(
    fake_cli, tmp_path, run_copy, sketch_dir, build_cache
):
    run = RunDir(run_copy)
    before = _tree_hash(sketch_dir)
    report = build_run(
        run,
        get_board("edgebadge"),
        ArduinoCli.open("", tmp_path),
        sketch_dir=sketch_dir,
        cache_root=build_cache,
    )
    assert _tree_hash(sketch_dir) == before  # firmware/ is never edited

    assert report.model_sha8 == run.report.model_sha8
    assert report.flash_max == 507904 and report.flash_used > run.report.model_bytes
    # arduino-cli reports no RAM for the EdgeBadge: the figure comes from the ELF, arena included
    assert report.ram_source == "elf" and report.ram_max == 196608
    assert report.ram_used >= run.report.arena_bytes_with_margin

    build_dir = Path(report.build_dir)
    assert build_dir == run.build_dir("edgebadge")
    assert {"wakebench.ino.elf", "wakebench.ino.bin"} <= set(report.images)
    staged = build_dir / "sketch" / "wakebench"
    settings = next(staged.glob("model_settings.h")).read_text()
    assert f'kModelSha8[] = "{report.model_sha8}"' in settings
    yaml_text = (staged / "sketch.yaml").read_text()
    assert f"dir: {(sketch_dir.parent / 'libraries' / 'Arduino_TensorFlowLite').resolve()}" in yaml_text
    assert BuildReport.read(run, "edgebadge") == report

    compile_call = next(c for c in fake_cli.commands() if c[0] == "compile")
    assert compile_call[compile_call.index("--profile") + 1] == "edgebadge"


def test_nano_ram_comes_from_arduino_cli(fake_cli, tmp_path, run_copy, sketch_dir, build_cache):
    report = build_run(
        run_copy,
        get_board("nano33ble"),
        ArduinoCli.open("", tmp_path),
        sketch_dir=sketch_dir,
        cache_root=build_cache,
    )
    assert report.ram_source == "arduino-cli" and report.ram_max == 262144
    assert report.ram_used >= RunDir(run_copy).report.arena_bytes_with_margin


def test_a_compiler_error_shows_the_compiler_and_keeps_the_last_build(
    fake_cli, tmp_path, run_copy, sketch_dir, build_cache
):
    cli = ArduinoCli.open("", tmp_path)
    board = get_board("edgebadge")
    good = build_run(run_copy, board, cli, sketch_dir=sketch_dir, cache_root=build_cache)
    kept = (Path(good.build_dir) / "wakebench.ino.bin").read_bytes()
    fake_cli.scenario(compile="error")
    with pytest.raises(CompileError) as info:
        build_run(run_copy, board, cli, sketch_dir=sketch_dir, cache_root=build_cache)
    assert "broken.cpp:2" in info.value.compiler_output and "error:" in info.value.compiler_output
    assert "did not compile" in info.value.message
    assert BuildReport.read(RunDir(run_copy), "edgebadge") == good
    assert (Path(good.build_dir) / "wakebench.ino.bin").read_bytes() == kept


@pytest.mark.parametrize(
    "change, limit",
    [({"ram_bytes": 20000}, "RAM/arena"), ({"flash_bytes": 4096}, "flash")],
)
def test_a_model_the_board_cannot_hold_is_refused_before_compiling(
    fake_cli, tmp_path, run_copy, sketch_dir, build_cache, change, limit
):
    board = dataclasses.replace(get_board("edgebadge"), **change)
    with pytest.raises(IncompatibleModelError) as info:
        build_run(
            run_copy, board, ArduinoCli.open("", tmp_path), sketch_dir=sketch_dir, cache_root=build_cache
        )
    assert info.value.message.startswith(limit)
    assert not any(c[0] == "compile" for c in fake_cli.commands())


def test_a_run_that_is_not_exported_is_refused(fake_cli, tmp_path, run_copy, sketch_dir, build_cache):
    (run_copy / "report.json").unlink()
    with pytest.raises(ExportError) as info:
        build_run(
            run_copy,
            get_board("edgebadge"),
            ArduinoCli.open("", tmp_path),
            sketch_dir=sketch_dir,
            cache_root=build_cache,
        )
    assert "wakebench export" in info.value.hint


def test_build_cli_json(fake_cli, run_copy, sketch_dir, build_cache):
    proc = run_wakebench(
        ["build", str(run_copy), "--sketch", str(sketch_dir), "--json"], cwd=run_copy.parent.parent
    )
    assert proc.returncode == 0, proc.stderr
    lines = json_lines(proc.stdout)
    assert any(e["event"] == "progress" and e["stage"] == "build" for e in lines)
    assert lines[-1]["event"] == "done" and lines[-1]["ram_source"] == "elf"


def test_build_cli_shows_the_compiler_error(fake_cli, run_copy, sketch_dir, build_cache):
    fake_cli.scenario(compile="error")
    proc = run_wakebench(["build", str(run_copy), "--sketch", str(sketch_dir)], cwd=run_copy.parent.parent)
    assert proc.returncode == 1
    assert "broken.cpp:2" in proc.stderr and "did not compile" in proc.stderr


def test_build_without_arduino_cli_says_what_to_install(no_arduino_cli, run_copy):
    proc = run_wakebench(["build", str(run_copy)], cwd=run_copy.parent.parent)
    assert proc.returncode == 1
    assert "arduino-cli is not installed" in proc.stderr and "install.sh" in proc.stderr


def test_build_json_is_what_the_report_says(fake_cli, tmp_path, run_copy, sketch_dir, build_cache):
    report = build_run(
        run_copy,
        get_board("edgebadge"),
        ArduinoCli.open("", tmp_path),
        sketch_dir=sketch_dir,
        cache_root=build_cache,
    )
    saved = json.loads((Path(report.build_dir) / "build.json").read_text())
    assert saved == report.to_dict()


def test_a_real_compile_of_the_sketch_through_the_stand_in(fake_cli, tmp_path, run_copy, sketch_dir):
    """The stand-in hands the compile to core.board.offline_build (arduino-builder and the offline Arduino
    tree): the real sketch with the run's model links, and the report's figures are the real ELF's.
    Its build slot is the firmware tests' one, so it is warm and this takes seconds, not minutes."""
    offline = pytest.importorskip("core.board.offline_build")
    reason = offline.unavailable_reason()
    if reason:
        pytest.skip(reason)
    fake_cli.scenario(compile="real")
    board = get_board("edgebadge")
    run = RunDir(run_copy)
    try:
        # wakebench's own slot in tmp; $WAKEBENCH_BUILD_CACHE stays unset, so the stand-in's offline build
        # uses the shared slot the firmware tests keep warm.
        cli = ArduinoCli.open("", tmp_path)
        report = build_run(run, board, cli, sketch_dir=sketch_dir, cache_root=tmp_path / "slots")
    finally:
        offline.compile_sketch(board.fqbn)  # leave the shared slot with the default model, warm
    assert report.flash_used > run.report.model_bytes + 60_000  # TFLM and the frontend are really in it
    assert report.flash_used < report.flash_max
    assert report.ram_source == "elf" and report.ram_used >= run.report.arena_bytes_with_margin
