"""Pilot tests: each pane's main action through the real app, waiting on its workers (never sleeping)."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from textual.widgets import Input, SelectionList, Static
from textual.worker import WorkerFailed

from core.config import PROJECT_FILE, load_config, save_config
from tests.tui.helpers import make_app, make_project, run_async
from tui.app import WakebenchApp
from tui.screens.error import ErrorDialog
from tui.widgets.board import BoardPane


async def settle(pilot) -> None:
    """Wait for the app's workers and the messages they sent (failures are the app's to show)."""
    with contextlib.suppress(WorkerFailed):
        await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def static_text(app, selector: str) -> str:
    return str(app.query_one(selector, Static).render())


@run_async
async def test_words_pane_lists_clip_counts_per_source(project):
    app = make_app(project)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        words = app.query_one(SelectionList)
        prompts = {
            str(words.get_option(w).value): str(words.get_option(w).prompt) for w in ("stop", "go", "yes")
        }
        assert "syn 3 · rec 1" in prompts["stop"]
        assert "syn 2 · cap 1" in prompts["go"]
        assert "no clips" in prompts["yes"]
        assert set(words.selected) == {"stop", "go"}


@run_async
async def test_ticking_a_word_saves_the_project(project):
    app = make_app(project)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        words = app.query_one(SelectionList)
        words.focus()
        words.highlighted = words.get_option_index("yes")
        await pilot.press("space")
        await settle(pilot)
        assert load_config(project / PROJECT_FILE).words == ["stop", "go", "yes"]
        words.highlighted = words.get_option_index("stop")
        await pilot.press("space")
        await settle(pilot)
        assert load_config(project / PROJECT_FILE).words == ["go", "yes"]


@run_async
async def test_custom_word_is_added_and_a_reserved_name_is_refused(project):
    app = make_app(project)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        app.query_one("#custom-word", Input).focus()
        await pilot.press(*"seth", "enter")
        await settle(pilot)
        assert load_config(project / PROJECT_FILE).words == ["stop", "go", "seth"]
        assert "seth" in app.query_one(SelectionList).selected

        app.query_one("#custom-word", Input).focus()
        await pilot.press(*"_x", "enter")
        await pilot.pause()
        assert isinstance(app.screen, ErrorDialog)
        assert "reserved" in app.screen.messages[0]
        await pilot.press("enter")
        assert not isinstance(app.screen, ErrorDialog)
        assert load_config(project / PROJECT_FILE).words == ["stop", "go", "seth"]


@run_async
async def test_broken_project_file_shows_an_error_and_is_never_overwritten(project):
    broken = 'words = ["stop"\n'  # not valid TOML
    (project / PROJECT_FILE).write_text(broken)
    app = make_app(project)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, ErrorDialog)
        assert "not valid TOML" in app.screen.messages[0]
        await pilot.press("escape")
        # still usable: ticking a word explains why nothing is saved, and the file stays as it was
        words = app.query_one(SelectionList)
        words.focus()
        words.highlighted = words.get_option_index("yes")
        await pilot.press("space")
        await pilot.pause()
        assert isinstance(app.screen, ErrorDialog)
        assert "not overwritten" in app.screen.messages[0]
    assert (project / PROJECT_FILE).read_text() == broken


@run_async
async def test_synthesise_makes_clips_for_the_ticked_words(tmp_path):
    project = make_project(tmp_path / "fresh", clips={})
    app = make_app(project)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        assert "no clips" in str(app.query_one(SelectionList).get_option("go").prompt)
        await pilot.press("s")
        await settle(pilot)  # the synth worker, then the rescan it starts
        await settle(pilot)
        assert not isinstance(app.screen, ErrorDialog), app.screen.messages
        # synth_per_word = 3 in the test project
        assert "syn 3" in str(app.query_one(SelectionList).get_option("go").prompt)
        assert len(list((project / "data/synthetic/go").glob("*.wav"))) == 3


@run_async
async def test_a_failing_job_opens_one_error_dialog_and_the_app_stays_usable(project):
    # The fixture's data/synthetic holds hand-made clips, so core refuses to synthesise into it.
    app = make_app(project)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await pilot.press("s")
        await settle(pilot)
        assert isinstance(app.screen, ErrorDialog)
        assert app.screen.messages == [
            f"{project / 'data/synthetic'} already holds files and is not a synthetic dataset"
        ]
        await pilot.click("#error-ok")
        await pilot.pause()
        assert not isinstance(app.screen, ErrorDialog)
        assert len(list((project / "data/synthetic/go").glob("*.wav"))) == 2  # nothing lost
        await pilot.press("b")  # still responding to keys: there is no exported run to build
        await pilot.pause()
        assert isinstance(app.screen, ErrorDialog) and "build needs an exported run" in app.screen.messages[0]


@run_async
async def test_closing_the_app_stops_its_jobs(project):
    # A job serving a stream runs until it is told to stop; Textual cannot stop a thread, so without
    # the app cancelling it on close the test process would wait for it forever.
    import threading
    import time

    from tui.jobs import JobKind

    ended: dict[str, bool] = {}
    started, finished = threading.Event(), threading.Event()

    def serve(on_event, cancel):
        started.set()
        deadline = time.monotonic() + 20
        while not cancel.cancelled and time.monotonic() < deadline:
            time.sleep(0.02)
        ended["by_cancel"] = cancel.cancelled
        finished.set()

    app = make_app(project)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        assert app.jobs.start(JobKind.PLAYBACK, serve, owner=app)  # a job x does not stop
        await pilot.pause()
        assert started.wait(5)
    assert finished.wait(5) and ended == {"by_cancel": True}


@run_async
async def test_board_pane_lists_ports_and_says_when_one_cannot_be_opened(project):
    app = make_app(project)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        pane = app.query_one(BoardPane)
        assert pane.port == "/dev/ttyACM0"  # the fixed list: no such device here
        await pilot.click("#board-connect")
        await settle(pilot)
        assert isinstance(app.screen, ErrorDialog)
        assert "/dev/ttyACM0: no such port" in str(app.screen.query_one("#error-text").render())
        assert "failed" in static_text(app, "#board-state")


@run_async
async def test_build_says_what_is_missing(exported_project, tmp_path, monkeypatch):
    import shutil

    project = tmp_path / "demo"
    shutil.copytree(exported_project, project)
    monkeypatch.setenv("PATH", "/usr/bin:/bin")  # no arduino-cli anywhere
    app = make_app(project)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        assert "arduino-cli not found" in static_text(app, "#build-status")
        await pilot.press("b")
        await settle(pilot)
        assert isinstance(app.screen, ErrorDialog)
        assert "arduino-cli is not installed" in app.screen.messages[0]
        assert "install.sh" in str(app.screen.query_one("#error-text").render())


@run_async
async def test_narrow_terminal_shows_one_pane_at_a_time(project):
    app = make_app(project)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        visible = [p.id for p in app.query(".pane") if p.display]
        assert visible == ["words"]
        await pilot.press("2")
        await pilot.pause()
        assert [p.id for p in app.query(".pane") if p.display] == ["training"]
    app = make_app(project)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        assert len([p for p in app.query(".pane") if p.display]) == 6


def test_launching_the_app_does_not_import_tensorflow(exported_project):
    # A project with a trained, exported run: the app lists it, reads its report and curves, and still
    # leaves TensorFlow alone until the user starts a job that needs it.
    code = textwrap.dedent(
        f"""
        import asyncio, sys
        from tests.tui.helpers import make_app

        async def main():
            app = make_app({str(exported_project)!r})
            async with app.run_test(size=(160, 48)) as pilot:
                for _ in range(2):  # the scan, then the picked run's details
                    await app.workers.wait_for_complete()
                    await pilot.pause()
                assert "arena" in str(app.query_one("#model-summary").render())
            heavy = sorted(m for m in sys.modules if m.split(".")[0] in ("tensorflow", "keras"))
            print("HEAVY=" + ",".join(heavy))

        asyncio.run(main())
        """
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "HEAVY=\n" in result.stdout


@run_async
async def test_spectrogram_plays_a_wav_file_frame_by_frame(project):
    from core.audio.files import write_wav
    from tests import audio_factory as af
    from tui.widgets.spectrogram import Spectrogram

    audio = np.concatenate([af.silence(0.5), af.speak("stop", clip=False), af.noise(seconds=0.5, level=0.2)])
    write_wav(project / "take.wav", audio)
    expected_frames = 1 + (len(audio) - 480) // 320
    app = make_app(project)
    app.realtime_files = False
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await pilot.press("o")
        await pilot.press(*"take.wav", "enter")
        await settle(pilot)
        assert not isinstance(app.screen, ErrorDialog)
        spectrogram = app.query_one(Spectrogram)
        assert spectrogram.frames_seen == expected_frames
        # the loud speech and noise made bright columns; the leading silence stays dark
        assert spectrogram._levels[-20:].max() > 10
        assert "ended at" in static_text(app, "#source-status")
        assert "dBFS" in static_text(app, "#level")


@run_async
async def test_a_bad_wav_file_is_an_error_naming_the_file(project):
    (project / "notes.wav").write_text("this is not audio")
    app = make_app(project)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await pilot.press("o")
        await pilot.press(*"notes.wav", "enter")
        await settle(pilot)
        assert isinstance(app.screen, ErrorDialog)
        assert "notes.wav" in app.screen.messages[0]


@run_async
async def test_microphone_without_a_device_says_what_to_plug_in(project):
    import sounddevice

    if sounddevice.query_devices():
        pytest.skip("this machine has an audio device; the no-device path cannot be shown")
    app = make_app(project)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await pilot.press("m")
        await settle(pilot)
        assert isinstance(app.screen, ErrorDialog)
        assert app.screen.query_one("#error-text", Static).render()
        assert "MicrophoneError" in str(app.screen.query_one("#error-text", Static).render())


@run_async
async def test_record_mode_keeps_a_take_and_the_words_pane_counts_it(project):
    from core.audio.record import default_speaker
    from core.audio.sources import ArraySource
    from tests import audio_factory as af
    from tui.widgets.spectrogram import Spectrogram

    takes = iter(
        [
            af.silence(2.0),  # nothing said: nothing to keep
            np.concatenate([af.silence(0.6), af.speak("stop", clip=False), af.silence(1.0)]),
        ]
    )
    app = WakebenchApp(project, list_ports=lambda: [], record_source=lambda: ArraySource(next(takes)))
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await pilot.press("v")
        await pilot.pause()
        assert app.current_mode == "record"
        app.screen.query_one("#record-word").value = "stop"
        await pilot.press("space")
        await settle(pilot)
        assert "no word heard" in str(app.screen.query_one("#record-result", Static).render())
        await pilot.press("k")  # nothing to keep
        await pilot.press("space")
        await settle(pilot)
        assert "heard" in str(app.screen.query_one("#record-result", Static).render())
        assert app.screen.query_one(Spectrogram).frames_seen == 49
        await pilot.press("k")
        await settle(pilot)
        saved = project / "data/recordings/stop" / f"{default_speaker()}_nohash_0.wav"
        assert saved.is_file()
        await pilot.press("escape")
        await settle(pilot)
        assert app.current_mode == "workbench"
        assert "rec 2" in str(app.query_one(SelectionList).get_option("stop").prompt)


async def wait_until(pilot, condition, what: str, limit: int = 20_000) -> None:
    """Let the app process messages until `condition()` holds (no sleeping: each round waits for messages)."""
    for _ in range(limit):
        if condition():
            return
        await pilot.pause()
    raise AssertionError(f"gave up waiting for {what}")


@run_async
async def test_training_pane_trains_a_run_with_live_curves(trainable_project):
    from core.model.runs import list_runs
    from tui.widgets.training import TrainingPane

    app = make_app(trainable_project)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await pilot.press("t")
        await settle(pilot)
        await settle(pilot)  # training, then the rescan and the run it picks
        assert not isinstance(app.screen, ErrorDialog), app.screen.messages
        pane = app.query_one(TrainingPane)
        assert pane.steps[-1] == 20 and pane.total_steps == 20
        assert pane.val_steps == [10, 20]
        assert pane.state == "done"
        (run,) = list_runs(trainable_project)
        assert app.picked_run == run.id
        assert run.id in str(app.query_one("#run-table").get_row_at(0)[0])


@run_async
async def test_stop_keeps_a_checkpoint_and_resume_continues_from_it(trainable_project, monkeypatch):
    import dataclasses

    import core.model.train
    from core.model.runs import list_runs
    from tui.widgets.training import TrainingPane

    monkeypatch.setattr(core.model.train, "STEPS_PER_CALL", 5)  # report often, so there is a moment to stop
    config_path = trainable_project / PROJECT_FILE
    config = load_config(config_path)
    endless = dataclasses.replace(config.training, steps=[1_000_000])  # only Stop ends it
    save_config(config.replace(training=endless), config_path)
    app = make_app(trainable_project)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        pane = app.query_one(TrainingPane)
        await pilot.press("t")
        await wait_until(pilot, lambda: pane.steps, "the first training step")
        await pilot.press("x")
        await settle(pilot)
        await settle(pilot)
        assert pane.state == "stopped"
        assert not isinstance(app.screen, ErrorDialog)
        (run,) = list_runs(trainable_project)
        stopped_at = run.checkpoints()[-1][0]
        assert stopped_at >= 5
        assert run.info.state == "stopped"

        await pilot.click("#train-resume")
        await wait_until(pilot, lambda: pane.steps, "the first step after resuming")
        first_resumed_step = pane.steps[0]
        await pilot.click("#train-stop")
        await settle(pilot)
        await settle(pilot)
        assert first_resumed_step == stopped_at + 5  # continued from the checkpoint, not from 0
        assert pane.state == "stopped"
        assert pane.steps[0] == 5  # the pane then shows the whole run's curves again
        assert [r.id for r in list_runs(trainable_project)] == [run.id]


@run_async
async def test_command_palette_offers_the_workbench_commands(project):
    app = make_app(project)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"show board")
        from textual.command import CommandList

        matches = app.screen.query_one(CommandList)
        await wait_until(pilot, lambda: matches.option_count, "the palette's matches", limit=1000)
        await pilot.press("enter")
        await settle(pilot)
        assert [p.id for p in app.query(".pane") if p.display] == ["board"]


@run_async
async def test_model_pane_shows_the_exported_run_against_seed_and_board(exported_project):
    from core.model.runs import list_runs

    (run,) = list_runs(exported_project)
    report = run.report
    app = make_app(exported_project)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await settle(pilot)  # the scan, then the picked run's details
        assert app.picked_run == run.id
        summary = static_text(app, "#model-summary")
        assert f"int8  {report.model_bytes:,} B" in summary
        assert "seed 18,288" in summary
        assert f"arena {report.arena_bytes:,} B" in summary
        assert "flash" in summary and "RAM" in summary
        assert " ".join(report.ops) in summary
        assert f"int8 {report.int8_accuracy * 100:.1f} %" in summary
        confusion = static_text(app, "#model-confusion").splitlines()
        assert confusion[0] == "confusion (true × predicted)"
        stop_row = next(line.split() for line in confusion if line.split()[:1] == ["stop"])
        assert [int(n) for n in stop_row[1:]] == report.confusion[2]


@run_async
async def test_model_pane_shows_the_streaming_calibration_and_its_curve(exported_project, tmp_path):
    import dataclasses
    import shutil

    from core.model.calibrate import calibrate_run
    from core.model.runs import list_runs

    project = tmp_path / "demo"
    shutil.copytree(exported_project, project)
    (run,) = list_runs(project)
    calibration = calibrate_run(run, target=0.5)  # what export does for a run with a target
    run.write_report(dataclasses.replace(run.report, calibration=calibration.to_dict()))
    app = make_app(project)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await settle(pilot)
        stream = static_text(app, "#model-stream")
        frr = f"{calibration.frr * 100:.1f} %"
        assert f"stream FRR {frr} at {calibration.fa_per_hour:.2f} FA/h" in stream
        assert f"window {calibration.average_window_ms} ms" in stream
        assert f"threshold {calibration.detection_threshold}" in stream
        assert ("target met" if calibration.met else "target NOT met") in stream
        # The words for a model that meets the target by hardly ever firing appear only for one.
        assert ("misses" in stream) == (calibration.frr is not None and calibration.frr > 0.5)
        await wait_until(pilot, lambda: app.query("#curve-plot"), "the calibration curve", limit=1000)


@pytest.mark.parametrize("frr", [0.975, 0.2])
def test_model_pane_says_when_the_calibrated_model_misses_most_keywords(frr):
    from tui.widgets.model import CalibrationView, calibration_text

    view = CalibrationView(
        window_ms=800, threshold=225, frr=frr, fa_per_hour=0.0, target_fa_per_hour=0.5, met=True,
        negative_hours=0.78,
    )  # fmt: skip
    text = calibration_text(view)
    assert "target met" in text
    assert ("misses 98 % of the validation keywords" in text) == (frr > 0.5)
    assert ("wakebench record" in text) == (frr > 0.5)


@run_async
async def test_export_from_the_model_pane_writes_the_model_and_report(exported_project, tmp_path):
    import shutil

    from core.model.runs import list_runs

    project = tmp_path / "demo"
    shutil.copytree(exported_project, project)
    (run,) = list_runs(project)
    for name in ("model.tflite", "report.json", "model_data.cpp"):
        (run.path / name).unlink()
    app = make_app(project)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await settle(pilot)
        assert "not exported yet" in static_text(app, "#model-summary")
        await pilot.press("e")
        await settle(pilot)
        await settle(pilot)
        assert not isinstance(app.screen, ErrorDialog), app.screen.messages
        assert run.model_path.is_file() and (run.path / "model_data.cpp").is_file()
        assert f"int8  {run.report.model_bytes:,} B" in static_text(app, "#model-summary")


@run_async
async def test_spectrogram_with_a_model_shows_the_same_detections_as_core(exported_project):
    from core.live.detector import detect_file
    from core.model.runs import list_runs
    from tui.widgets.spectrogram import DetectionList

    (run,) = list_runs(exported_project)
    # The live view runs the model at the run's cadence (every 3rd frame here), as detect and the board do.
    wav = exported_project / "stop_go.wav"
    assert run.config.recognizer.inference_every_frames == 3
    expected = [(d.label, d.score) for d in detect_file(run.path, wav)]
    assert expected, "the fixture's model should detect its own training clips"
    for other in (1, 7):  # another cadence gives other scores: the pane must use the run's
        assert [(d.label, d.score) for d in detect_file(run.path, wav, infer_every=other)] != expected
    app = make_app(exported_project)
    app.realtime_files = False
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await settle(pilot)
        await pilot.press("o")
        await pilot.press(*"stop_go.wav", "enter")
        await settle(pilot)
        assert f"model {run.id}" in static_text(app, "#source-status")
        shown = app.query_one(DetectionList)._shown
        assert [(d.label, d.score) for d in reversed(shown)] == expected
        scores = static_text(app, "#scores")
        assert "stop" in scores and "silence" in scores


@run_async
async def test_run_history_shows_a_sweep_trial_with_its_sweep_and_board_fit(exported_project, tmp_path):
    import shutil

    from core.model.runs import RunDir, list_runs

    project = tmp_path / "demo"
    shutil.copytree(exported_project, project)
    (run,) = list_runs(project)
    trial = RunDir(shutil.copytree(run.path, project / "runs" / "lr-0a1b2_00000"))
    trial.mark_sweep_trial("lr", {"training.learning_rates": [0.003, 0.0003]})
    app = make_app(project)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await settle(pilot)
        table = app.query_one("#run-table")
        rows = {str(table.get_row_at(i)[0]).strip(" ▶"): table.get_row_at(i) for i in range(table.row_count)}
        assert set(rows) == {run.id, trial.id}
        assert [str(c) for c in rows[trial.id][-2:]] == ["✓", "lr"]  # an 18 KB model fits the EdgeBadge
        assert [str(c) for c in rows[run.id][-2:]] == ["✓", "—"]
        # Trials and runs are picked alike: pick whichever of the two is not picked now.
        other = trial.id if app.picked_run == run.id else run.id
        table.focus()
        table.move_cursor(row=list(rows).index(other))
        await pilot.press("enter")
        await settle(pilot)
        assert app.picked_run == other
