"""`wakebench flash` against the stand-in arduino-cli and boards on real pseudo-terminals: the virtual
board (core.board.sim, the run's model in TFLM) answers the hello after the "upload"; a scripted board
that still runs another model makes the flash fail; a failed upload keeps the build; the port is found
when one board of the kind is plugged in; the app's open link is released and reconnected."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from core.arduino.build import BuildReport, build_run
from core.arduino.cli import ArduinoCli
from core.arduino.flash import find_port, flash_run
from core.board.link import BoardLink
from core.board.profiles import get_board
from core.errors import BoardError, BoardNotFoundError, UploadError
from core.model.runs import RunDir
from tests.arduino.boards import flashed_board, scripted_board
from tests.board.virtual import virtual_board
from tests.training.training_helpers import cli as run_wakebench
from tests.training.training_helpers import json_lines

pytestmark = pytest.mark.slow
EDGEBADGE = ("Adafruit pyBadge M4 Express (SAMD51)", "adafruit:samd:adafruit_pybadge_m4")
SILENCE = np.zeros(16000, np.int16)  # what the freshly flashed virtual board hears


def stale_board(model: str):
    """A board that kept its old firmware: it answers with `model` whatever was uploaded."""
    return scripted_board(lambda: model)


def test_flash_builds_uploads_and_sees_the_model_on_the_board(
    fake_cli, tmp_path, run_copy, sketch_dir, build_cache
):
    run = RunDir(run_copy)
    cli = ArduinoCli.open("", tmp_path)
    with virtual_board(run_copy, SILENCE) as board:
        report = flash_run(
            run, get_board("edgebadge"), cli, port=board.path, sketch_dir=sketch_dir, cache_root=build_cache
        )
    assert report.built and report.model_sha8 == run.report.model_sha8
    assert f"model={run.report.model_sha8}" in report.hello
    upload = next(c for c in fake_cli.commands() if c[0] == "upload")
    assert upload[upload.index("--port") + 1] == board.path
    assert Path(upload[upload.index("--input-dir") + 1]) == run.build_dir("edgebadge")


def test_a_board_that_still_runs_another_model_fails_the_flash(
    fake_cli, tmp_path, run_copy, sketch_dir, build_cache
):
    cli = ArduinoCli.open("", tmp_path)
    with stale_board("0badf00d") as board, pytest.raises(BoardError) as info:
        flash_run(
            run_copy,
            get_board("edgebadge"),
            cli,
            port=board.path,
            sketch_dir=sketch_dir,
            cache_root=build_cache,
            hello_timeout_s=5,
        )
    assert "0badf00d" in info.value.message and RunDir(run_copy).report.model_sha8 in info.value.message


def test_a_failed_upload_keeps_the_build(fake_cli, tmp_path, run_copy, sketch_dir, build_cache):
    cli = ArduinoCli.open("", tmp_path)
    board = get_board("edgebadge")
    build = build_run(run_copy, board, cli, sketch_dir=sketch_dir, cache_root=build_cache)
    fake_cli.scenario(upload="fail")
    with pytest.raises(UploadError) as info:
        flash_run(run_copy, board, cli, port="/dev/ttyACM9", sketch_dir=sketch_dir, cache_root=build_cache)
    assert "No device found on /dev/ttyACM9" in info.value.message
    assert "reset" in info.value.hint
    assert BuildReport.read(RunDir(run_copy), "edgebadge") == build
    assert sum(c[0] == "compile" for c in fake_cli.commands()) == 1  # the flash reused the build


def test_the_port_of_the_one_board_plugged_in_is_found(fake_cli, tmp_path):
    cli = ArduinoCli.open("", tmp_path)
    board = get_board("edgebadge")
    fake_cli.scenario(
        ports=[
            {"address": "/dev/ttyS0", "boards": []},
            {"address": "/dev/ttyACM1", "boards": [list(EDGEBADGE)]},
        ]
    )
    assert find_port(cli, board) == "/dev/ttyACM1"
    fake_cli.scenario(ports=[{"address": "/dev/ttyS0", "boards": []}])
    with pytest.raises(BoardNotFoundError) as info:
        find_port(cli, board)
    assert "no Adafruit EdgeBadge" in info.value.message and "--port" in info.value.hint
    fake_cli.scenario(
        ports=[{"address": p, "boards": [list(EDGEBADGE)]} for p in ("/dev/ttyACM0", "/dev/ttyACM1")]
    )
    with pytest.raises(BoardNotFoundError) as info:
        find_port(cli, board)
    assert "2 Adafruit EdgeBadge boards" in info.value.message


def test_the_apps_link_is_released_for_the_upload_and_reconnected(
    fake_cli, tmp_path, run_copy, sketch_dir, build_cache
):
    cli = ArduinoCli.open("", tmp_path)
    with virtual_board(run_copy, SILENCE) as board, BoardLink.open(board.path) as link:
        link.wait_for_hello(timeout=5)
        events = []
        link.add_listener(events.append)
        flash_run(
            run_copy,
            get_board("edgebadge"),
            cli,
            port=board.path,
            link=link,
            sketch_dir=sketch_dir,
            cache_root=build_cache,
        )
        assert link.connected
    names = [type(e).__name__ for e in events]
    assert "Disconnected" in names and names.index("Disconnected") < names.index("Connected")


def test_flash_cli(fake_cli, run_copy, sketch_dir, build_cache):
    with virtual_board(run_copy, SILENCE) as board:
        proc = run_wakebench(
            ["flash", str(run_copy), "--port", board.path, "--sketch", str(sketch_dir), "--json"],
            cwd=run_copy.parent.parent,
        )
    assert proc.returncode == 0, proc.stderr
    done = json_lines(proc.stdout)[-1]
    assert done["event"] == "done" and done["model_sha8"] == RunDir(run_copy).report.model_sha8


def test_flash_with_a_compiler_error_uploads_nothing(fake_cli, tmp_path, run_copy, sketch_dir, build_cache):
    fake_cli.scenario(compile="error")
    proc = run_wakebench(
        ["flash", str(run_copy), "--port", "/dev/null", "--sketch", str(sketch_dir)],
        cwd=run_copy.parent.parent,
    )
    assert proc.returncode == 1 and "broken.cpp" in proc.stderr
    assert not any(c[0] == "upload" for c in fake_cli.commands())


def test_the_loop_cli_retrains_builds_flashes_and_checks(fake_cli, run_copy, sketch_dir, build_cache):
    """`wakebench loop` end to end: new captures -> a child run, built, uploaded and seen on the board."""
    from tests import audio_factory as af

    project = run_copy.parent.parent
    (project / "wakebench.toml").write_text(f'[board]\nsketch_dir = "{sketch_dir}"\n')
    for n in range(6):
        af.write_word(
            project / "data" / "captures" / "stop" / f"me_nohash_{n}.wav", "stop", pitch=80 + n, speed=120
        )
    with flashed_board(fake_cli.state) as board:
        proc = run_wakebench(
            ["loop", str(run_copy), "--port", board.path, "--steps", "50", "--json"], cwd=project
        )
    assert proc.returncode == 0, proc.stderr
    done = json_lines(proc.stdout)[-1]
    child = RunDir(done["run_dir"])
    assert child.info.parent == str(run_copy.resolve())
    assert done["flashed"]["model_sha8"] == child.report.model_sha8 != RunDir(run_copy).report.model_sha8
    assert list(done["stage_seconds"]) == ["new clips", "retrain", "export", "check", "build", "flash"]
    assert BuildReport.read(child, "edgebadge") is not None


def test_a_loop_whose_flash_fails_keeps_the_last_good_model(fake_cli, run_copy, sketch_dir, build_cache):
    from tests import audio_factory as af

    project = run_copy.parent.parent
    (project / "wakebench.toml").write_text(f'[board]\nsketch_dir = "{sketch_dir}"\n')
    af.write_word(project / "data" / "captures" / "go" / "me_nohash_0.wav", "go", pitch=90)
    before = RunDir(run_copy).report
    fake_cli.scenario(upload="fail")
    proc = run_wakebench(["loop", str(run_copy), "--port", "/dev/ttyACM7", "--steps", "30"], cwd=project)
    assert proc.returncode == 1 and "No device found" in proc.stderr
    assert RunDir(run_copy).report == before  # the parent is untouched
