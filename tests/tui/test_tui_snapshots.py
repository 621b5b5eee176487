"""SVG snapshots: each pane at 160x48 with fixed data, and the whole workbench at 80x24 and 160x48.

Update after an intended change with `pytest tests/tui --snapshot-update` and look at the SVGs.
"""

from __future__ import annotations

import contextlib

import numpy as np
from textual.worker import WorkerFailed

from core.board.profiles import MemoryBudget
from core.data.synth import SPEECH_COMMANDS_WORDS
from core.events import TrainStep, Validation
from tests.tui.helpers import FIXED_PORTS, make_app
from tests.tui.pane_app import PaneApp
from tui.widgets.board import BoardPane
from tui.widgets.build import BuildPane
from tui.widgets.model import ModelPane, ModelView, RunRow
from tui.widgets.spectrogram import ShownDetection, Spectrogram, SpectrogramPane
from tui.widgets.training import TrainingPane
from tui.widgets.words import WordsPane

PANE_SIZE = (160, 48)
LABELS = ["_silence_", "_unknown_", "stop", "go"]


def fill_words(pane: WordsPane) -> None:
    words = [*SPEECH_COMMANDS_WORDS, "seth"]
    counts = {
        "stop": {"synthetic": 600, "speech_commands": 3872, "recordings": 20},
        "go": {"synthetic": 600, "speech_commands": 3880, "captures": 4},
        "seth": {"synthetic": 600, "recordings": 25},
        "yes": {"speech_commands": 4044},
    }
    pane.show_words(words, ["stop", "go", "seth"], counts)


def fill_training(pane: TrainingPane) -> None:
    total = 18000
    for step in range(0, 12401, 200):
        loss = 2.0 * np.exp(-step / 3000) + 0.15
        acc = 1 - 0.7 * np.exp(-step / 2500)
        pane.add_step(TrainStep(step, total, float(loss), float(acc), 0.001, 41.0))
        if step % 1200 == 0:
            pane.add_validation(Validation(step, float(acc - 0.03)))
    pane.set_state("running")
    pane.redraw()


def fill_model(pane: ModelPane) -> None:
    confusion = [[50, 1, 0, 0], [2, 40, 3, 2], [0, 2, 45, 1], [0, 1, 2, 47]]
    view = ModelView(
        "20250101-120000",
        LABELS,
        size_bytes=18_104,
        arena_bytes=9_624,
        arena_allocated=11_072,
        ops=["CONV_2D", "FULLY_CONNECTED", "RESHAPE", "SOFTMAX"],
        float_accuracy=0.943,
        int8_accuracy=0.940,
        confusion=confusion,
        model_sha8="3f2a9c1d",
    )
    pane.show_model(view, MemoryBudget(18_104, 507_904, 9_624 + 22_640, 196_608), "Adafruit EdgeBadge")
    pane.show_runs(
        [
            RunRow("20250101-120000", "stop,go", "18,000", 0.942, 0.940, 18_104, True),
            RunRow("lr-0a1b2_00001", "stop,go", "3,500", 0.917, 0.915, 18_104, True, "lr"),
            RunRow("20241231-090000", "stop,go", "6,000", 0.881, 0.874, 18_104, True),
            RunRow("20241230-170000", "yes,no", "400", 0.512, None, None),
        ],
        picked="20250101-120000",
    )


def speech_like_frames(n: int) -> np.ndarray:
    t = np.arange(n)[:, None]
    ch = np.arange(40)[None, :]
    word = (t % 60 > 25) & (t % 60 < 50)
    bands = 520 * np.exp(-(((ch - 8 - 4 * np.sin(t / 6)) / 3) ** 2)) + 400 * np.exp(-(((ch - 24) / 5) ** 2))
    return (np.where(word, bands, 0) + 90 + 40 * np.sin(t * 0.7 + ch)).clip(0, 1000).astype(np.uint16)


def fill_spectrogram(pane: SpectrogramPane) -> None:
    pane.set_labels(LABELS)
    pane.set_status("file stop_go.wav · model 20250101-120000")
    pane.push_frames(speech_like_frames(300))
    pane.show_level(-18.5)
    pane.show_scores([3, 12, 231, 9])
    pane.add_detection(ShownDetection(3.22, "go", 208))
    pane.add_detection(ShownDetection(4.42, "stop", 231))
    pane.query_one(Spectrogram).refresh()


def fill_board(pane: BoardPane) -> None:
    pane.set_ports(FIXED_PORTS, "/dev/ttyACM0")
    pane.set_state("connected", "/dev/ttyACM0")
    pane.show_hello(
        {"board": "edgebadge", "model": "3f2a9c1d", "labels": ",".join(LABELS)},
        "not the picked run's model (9b1e07aa): flash it, or pick that run",
    )
    pane.show_counts("[dim]2 detections · 0 lines skipped · 0 reconnects · audio held 6.0 s[/]")
    for line in ["L boot ok", "D 12310 stop 231", "L arena 9624", "D 15020 go 208"]:
        pane.monitor_line(line, detection=line.startswith("D "))


def fill_build(pane: BuildPane) -> None:
    pane.set_status("built 51a7dd25: flash 147,240/507,904 B · RAM 52,310/196,608 B")
    pane.log_line("flash 147,240 of 507,904 bytes (29%), RAM 52,310 of 196,608 bytes (27%, from elf)")


async def _settle(pilot) -> None:
    with contextlib.suppress(WorkerFailed):
        await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def test_words_pane(snap_compare):
    assert snap_compare(
        PaneApp(WordsPane(classes="pane"), fill_words), terminal_size=PANE_SIZE, run_before=_settle
    )


def test_training_pane(snap_compare):
    assert snap_compare(
        PaneApp(TrainingPane(classes="pane"), fill_training), terminal_size=PANE_SIZE, run_before=_settle
    )


def test_model_pane(snap_compare):
    assert snap_compare(
        PaneApp(ModelPane(classes="pane"), fill_model), terminal_size=PANE_SIZE, run_before=_settle
    )


def test_spectrogram_pane(snap_compare):
    assert snap_compare(
        PaneApp(SpectrogramPane(classes="pane"), fill_spectrogram),
        terminal_size=PANE_SIZE,
        run_before=_settle,
    )


def test_board_pane(snap_compare):
    assert snap_compare(
        PaneApp(BoardPane(classes="pane"), fill_board), terminal_size=PANE_SIZE, run_before=_settle
    )


def test_build_pane(snap_compare):
    assert snap_compare(
        PaneApp(BuildPane(classes="pane"), fill_build), terminal_size=PANE_SIZE, run_before=_settle
    )


def test_workbench_80x24(snap_compare, project):
    assert snap_compare(make_app(project), terminal_size=(80, 24), run_before=_settle)


def test_workbench_160x48(snap_compare, project):
    assert snap_compare(make_app(project), terminal_size=(160, 48), run_before=_settle)


def test_record_mode_160x48(snap_compare, project):
    async def open_record_mode(pilot) -> None:
        await _settle(pilot)
        await pilot.press("v")
        app = pilot.app
        app.screen.query_one("#record-speaker").value = "alice"
        app.screen.query_one(Spectrogram).push_frames(speech_like_frames(49))
        await pilot.pause()

    assert snap_compare(make_app(project), terminal_size=(160, 48), run_before=open_record_mode)
