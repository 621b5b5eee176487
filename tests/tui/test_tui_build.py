"""The Build & flash pane through the real app, with the stand-in arduino-cli on PATH and a board on a
pty that runs what was uploaded: Build, Flash and Retrain+Flash run core's jobs in workers and show
their results; the Model pane shows what the loop changed."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import shutil

from textual.widgets import RichLog, Static
from textual.worker import WorkerFailed

from core.config import PROJECT_FILE, load_config, save_config
from core.model.runs import RunDir
from tests import audio_factory as af
from tests.arduino.boards import flashed_board
from tests.arduino.conftest import FakeArduinoCli
from tests.tui.helpers import make_app, run_async
from tui.screens.error import ErrorDialog


async def settle(pilot) -> None:
    with contextlib.suppress(WorkerFailed):
        await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def text(app, selector: str) -> str:
    return str(app.query_one(selector, Static).render())


def log(app) -> str:
    return "\n".join(str(line.text) for line in app.query_one("#build-log", RichLog).lines)


@run_async
async def test_build_flash_and_retrain_from_the_app(exported_project, tmp_path, monkeypatch):
    from core.board.profiles import SKETCH_DIR

    project = tmp_path / "demo"
    shutil.copytree(exported_project, project)
    (run_dir,) = (project / "runs").iterdir()
    info = json.loads((run_dir / "run.json").read_text())
    info["project_dir"] = str(project)
    (run_dir / "run.json").write_text(json.dumps(info))
    sketch = tmp_path / "firmware" / "wakebench"
    shutil.copytree(SKETCH_DIR, sketch)
    (tmp_path / "firmware" / "libraries" / "Arduino_TensorFlowLite").mkdir(parents=True)

    fake = FakeArduinoCli(tmp_path / "fake-arduino")
    monkeypatch.setenv("FAKE_ARDUINO_STATE", str(fake.state))
    monkeypatch.setenv("PATH", f"{fake.bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("WAKEBENCH_BUILD_CACHE", str(tmp_path / "build-cache"))
    config = load_config(project / PROJECT_FILE)
    old_sha = RunDir(run_dir).report.model_sha8

    with flashed_board(fake.state) as board:
        board_settings = dataclasses.replace(config.board, sketch_dir=str(sketch), port=board.path)
        save_config(config.replace(board=board_settings), project / PROJECT_FILE)
        app = make_app(project)
        async with app.run_test(size=(160, 48)) as pilot:
            await settle(pilot)
            await pilot.press("b")
            await settle(pilot)
            assert not isinstance(app.screen, ErrorDialog), app.screen
            assert f"built {old_sha}" in text(app, "#build-status") and "RAM" in text(app, "#build-status")
            assert "from elf" in log(app)

            await pilot.press("f")
            await settle(pilot)
            assert f"the board runs model {old_sha}" in text(app, "#build-status")

            for n in range(4):
                af.write_word(
                    project / "data" / "captures" / "stop" / f"me_nohash_{n}.wav",
                    "stop",
                    pitch=85,
                    speed=125 + n,
                )
            config = load_config(project / PROJECT_FILE)
            loop = dataclasses.replace(config.loop, steps=40)
            save_config(config.replace(loop=loop), project / PROJECT_FILE)
            app.config = load_config(project / PROJECT_FILE)
            await pilot.press("r")
            await settle(pilot)
            assert not isinstance(app.screen, ErrorDialog), app.screen.messages
            child = RunDir.of(project, app.picked_run)
            assert child.path != run_dir and child.info.parent == str(run_dir.resolve())
            new_sha = child.report.model_sha8
            assert f"flashed {board.path}" in text(app, "#build-status")
            assert json.loads((fake.state / "flashed.json").read_text())["model"] == new_sha
            await settle(pilot)  # the new run's details are read after the rescan
            change = text(app, "#model-summary")
            assert f"vs parent {run_dir.name}" in change and "new clips" in change
            assert "stages: new clips" in log(app)
