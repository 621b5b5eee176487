"""The Board pane on real pseudo-terminals: it connects to a port, shows the hello (and warns when the
model is not the picked run's), the detections, reconnects; it starts a virtual board for the picked run;
the Spectrogram's board source draws the board's frames; a capture is saved with its label and counted."""

from __future__ import annotations

import shutil
import time
import wave

import numpy as np

from core.audio.files import read_audio
from core.audio.samples import to_int16
from core.board.protocol import encode_detection, encode_hello
from tests.board.pty_board import PtyBoard
from tests.tui.helpers import make_app, run_async
from tui.app import WakebenchApp
from tui.screens.capture import CaptureDialog
from tui.screens.prompt import PromptDialog
from tui.widgets.board import BoardPane, PortInfo
from tui.widgets.spectrogram import DetectionList, Spectrogram, SpectrogramPane

HELLO = encode_hello("edgebadge", "3f2a9c1d", ["_silence_", "_unknown_", "stop", "go"])


async def wait_until(pilot, condition, timeout: float = 20.0, what: str = "") -> None:
    """Let the app run until `condition()` holds (the board jobs never end, so no waiting for workers)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not pilot.app.is_running:
            raise AssertionError(f"the app stopped (an error in it?) while waiting for {what or condition}")
        await pilot.pause(0.05)
        if condition():
            return
    raise AssertionError(f"gave up waiting for {what or condition}")


def text(app, selector: str) -> str:
    return str(app.query_one(selector).render())


async def wait_command(pilot, board: PtyBoard, command: str, count: int = 1) -> None:
    await wait_until(
        pilot, lambda: board.commands().count(command) >= count, what=f"{command!r} from the host"
    )


@run_async
async def test_board_pane_connects_shows_detections_and_reconnects(project, tmp_path):
    path = tmp_path / "board"
    board = PtyBoard(link=path)
    app = WakebenchApp(project, list_ports=lambda: [PortInfo(str(path), "scripted board")])
    async with app.run_test(size=(160, 48)) as pilot:
        pane = app.query_one(BoardPane)
        await wait_until(pilot, lambda: pane.port == str(path), what="the port list")
        await pilot.click("#board-connect")
        await wait_until(pilot, lambda: pane.connected, what="connected")
        await wait_command(pilot, board, "A1")  # audio on for captures
        board.write(HELLO + encode_detection(1250, "stop", 231))
        await wait_until(pilot, lambda: pane.detections == 1, what="a detection")
        assert "edgebadge" in text(app, "#board-hello") and "3f2a9c1d" in text(app, "#board-hello")
        assert "not exported" in text(app, "#board-hello")  # nothing to compare the model with
        assert "connected" in text(app, "#board-state")

        board.close()  # unplugged...
        await wait_until(pilot, lambda: "reconnecting" in text(app, "#board-state"), what="reconnecting")
        board = PtyBoard(link=path)  # ...and plugged back in
        await wait_command(pilot, board, "?")
        board.write(HELLO + encode_detection(400, "go", 240))
        await wait_until(pilot, lambda: pane.detections == 2, what="the detection after the replug")
        assert "1 reconnects" in text(app, "#board-counts")

        await pilot.click("#board-connect")  # now "Disconnect"
        await wait_until(pilot, lambda: "not connected" in text(app, "#board-state"), what="disconnected")
    board.close()


def wav_samples(path) -> np.ndarray:
    with wave.open(str(path)) as w:
        return np.frombuffer(w.readframes(w.getnframes()), "<i2")


@run_async
async def test_virtual_board_detections_spectrogram_and_capture(exported_project, tmp_path):
    project = tmp_path / "demo"
    shutil.copytree(exported_project, project)
    app = make_app(project)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_until(pilot, lambda: app._picked_model_dir() is not None, what="the exported run")
        app.action_virtual_board()
        await wait_until(pilot, lambda: isinstance(app.screen, PromptDialog))
        await pilot.press(*"stop_go.wav", "enter")
        pane = app.query_one(BoardPane)
        await wait_until(pilot, lambda: pane.hello is not None, what="the virtual board's hello")
        assert pane.hello.board == "virtual" and "⚠" not in text(
            app, "#board-hello"
        )  # the picked run's model
        await wait_until(pilot, lambda: pane.detections >= 1, timeout=30, what="a detection")

        # The spectrogram's board source draws the board's own feature frames, scores and detections.
        await pilot.click("#source-board")
        spectrogram = app.query_one(SpectrogramPane)
        await wait_until(pilot, lambda: spectrogram.playing == "board")
        view = app.query_one(Spectrogram)
        await wait_until(pilot, lambda: view.frames_seen >= 50, what="board frames in the spectrogram")
        await wait_until(
            pilot, lambda: app.query_one(DetectionList)._shown, timeout=30, what="a drawn detection"
        )

        # c: the capture dialog; the 1 s of the last detection, labelled with a word button.
        await pilot.press("c")
        await wait_until(pilot, lambda: isinstance(app.screen, CaptureDialog))
        await pilot.click("#capture-word-1")  # "go"
        saved = project / "data" / "captures" / "go" / "virtual_nohash_0.wav"
        await wait_until(pilot, saved.exists, what="the capture file")
        await wait_until(
            pilot, lambda: app.words_view.counts.get("go", {}).get("captures") == 1, what="the count"
        )
        await pilot.press("x")  # stop the board link and the virtual board
        await wait_until(pilot, lambda: not pane.connected, what="the link closed")
    clip = wav_samples(saved)
    heard = np.tile(to_int16(read_audio(project / "stop_go.wav")), 20)
    assert len(clip) == 16000
    assert any(np.array_equal(heard[s : s + 16000], clip) for s in range(0, len(heard) - 16000, 160)), (
        "the capture is not exactly a piece of what the virtual board heard"
    )
