"""Live detection with a real exported int8 model in the TFLM interpreter: the PC computes what the board
computes, `wakebench detect` finds spoken keywords in a long recording, and `listen` runs the same path
from a (generated) microphone stream."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from core.audio.sources import ArraySource, FileSource
from core.cli import live as cli_live
from core.cli import main
from core.errors import AudioError, WakebenchError
from core.features.frontend import compute_stream_features
from core.live.detector import LiveDetector, detect_file, load_run_model
from tests.live.keyword_stream import score_detections


def run_with_cadence(run: Path, folder: Path, every: int | None) -> Path:
    """A copy of `run` whose config asks for one inference every `every` frames (None: a config saved
    before the setting existed, without the key)."""
    shutil.copytree(run, folder)
    config = json.loads((run / "config.json").read_text())
    del config["recognizer"]["inference_every_frames"]
    if every is not None:
        config["recognizer"]["inference_every_frames"] = every
    (folder / "config.json").write_text(json.dumps(config))
    return folder


def test_live_scores_are_the_models_scores_on_the_boards_features(tiny_run, keyword_recording):
    # The board computes features with the TFLM frontend over the whole stream (state carried) and runs
    # the model on the latest 49 frames; the PC path must give the same scores, frame for frame.
    _, stream = keyword_recording
    run, model = load_run_model(tiny_run)
    audio = stream.audio[: 16000 * 8]
    board_features = compute_stream_features(audio, run.config.features)
    detector = LiveDetector(tiny_run, ArraySource(audio, chunk_ms=77), infer_every=3)
    checked = 0
    for frame in detector.frames():
        assert np.array_equal(frame.features, board_features[frame.index])
        if frame.scores is not None:
            window = board_features[frame.index - 48 : frame.index + 1]
            assert np.array_equal(frame.scores, model.scores(window))
            checked += 1
    assert checked > 100


def test_detect_finds_the_spoken_keywords_in_a_long_recording(tiny_run, keyword_recording):
    path, stream = keyword_recording
    found = detect_file(tiny_run, path, infer_every=1)
    score = score_detections(stream, [(d.time_ms / 1000, d.label) for d in found])
    assert score.keywords == 6
    assert score.hits >= 5, score
    assert score.false_alarms <= 1, score


def test_detect_json_prints_one_detection_per_line_then_the_result(tiny_run, keyword_recording, capsys):
    path, stream = keyword_recording
    assert main(["detect", str(tiny_run), str(path), "--json", "--every", "1"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    *detections, done = lines
    assert done["event"] == "done" and done["detections"] == len(detections) >= 5
    for d in detections:
        assert set(d) == {"time_s", "word", "score"}
        assert d["word"] in ("stop", "go") and 0 <= d["score"] <= 255
    expected = [(round(d.time_ms / 1000, 3), d.label) for d in detect_file(tiny_run, path, infer_every=1)]
    assert [(round(d["time_s"], 3), d["word"]) for d in detections] == expected


def test_detect_text_output_at_the_default_stride_still_finds_the_words(tiny_run, keyword_recording, capsys):
    path, stream = keyword_recording
    assert main(["detect", str(tiny_run), str(path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    parsed = [(float(line.split()[0]), line.split()[2]) for line in lines]
    assert all(line.split()[1] == "s" for line in lines)
    assert score_detections(stream, parsed).hits >= 5


def test_detect_help_says_the_default_cadence_is_the_runs(capsys):
    for command in ("detect", "listen"):
        with pytest.raises(SystemExit):
            main([command, "--help"])
        help_text = " ".join(capsys.readouterr().out.split())
        assert "default: its [recognizer] inference_every_frames, which the board uses too" in help_text


def test_the_model_runs_at_the_cadence_of_the_runs_config(tiny_run, keyword_recording, tmp_path):
    audio = keyword_recording[1].audio[: 16000 * 4]
    for every, folder in ((3, "every3"), (None, "old_config")):
        run = run_with_cadence(tiny_run, tmp_path / folder, every)
        detector = LiveDetector(run, ArraySource(audio, chunk_ms=50))
        ran = [f.index for f in detector.frames() if f.scores is not None]
        step = every or 7  # a run saved before the setting existed gets the default
        assert detector.pipeline.infer_every == step
        assert ran == list(range(48, ran[-1] + 1, step)) and len(ran) > 10
    # An explicit cadence overrides the run's.
    detector = LiveDetector(tmp_path / "every3", ArraySource(audio, chunk_ms=50), infer_every=5)
    assert [f.index for f in detector.frames() if f.scores is not None][:3] == [48, 53, 58]


def test_detect_follows_the_runs_cadence_unless_every_is_given(tiny_run, keyword_recording, tmp_path, capsys):
    path, _ = keyword_recording
    run = run_with_cadence(tiny_run, tmp_path / "every3", 3)
    at_3 = [(round(d.time_ms / 1000, 3), d.label) for d in detect_file(tiny_run, path, infer_every=3)]
    at_7 = [(round(d.time_ms / 1000, 3), d.label) for d in detect_file(tiny_run, path)]
    assert at_3 != at_7  # the cadence changes what is found when, so the comparisons below can fail
    assert [(round(d.time_ms / 1000, 3), d.label) for d in detect_file(run, path)] == at_3

    def cli(*extra: str) -> list[tuple[float, str]]:
        assert main(["detect", str(run), str(path), "--json", *extra]) == 0
        *lines, _ = (json.loads(line) for line in capsys.readouterr().out.splitlines())
        return [(round(d["time_s"], 3), d["word"]) for d in lines]

    assert cli() == at_3
    assert cli("--every", "7") == at_7


def test_a_run_whose_cadence_is_not_positive_is_refused_clearly(
    tiny_run, keyword_recording, tmp_path, capsys
):
    run = run_with_cadence(tiny_run, tmp_path / "every0", 0)
    assert main(["detect", str(run), str(keyword_recording[0])]) == 1
    err = capsys.readouterr().err
    assert str(run / "config.json") in err and "inference_every_frames must be at least 1, got 0" in err


def test_detect_on_a_bad_wav_or_an_unexported_run_says_what_to_do(tiny_run, tmp_path, capsys):
    bad = tmp_path / "broken.wav"
    bad.write_bytes(b"RIFF\x10\x00\x00\x00WAVEjunk")
    assert main(["detect", str(tiny_run), str(bad)]) == 1
    assert "broken.wav" in capsys.readouterr().err
    with pytest.raises(AudioError):
        FileSource(tmp_path / "missing.wav")

    unexported = tmp_path / "run_without_model"
    unexported.mkdir()
    (unexported / "config.json").write_text((tiny_run / "config.json").read_text())
    assert main(["detect", str(unexported), str(bad)]) == 1
    err = capsys.readouterr().err
    assert "wakebench export" in err
    with pytest.raises(WakebenchError):
        load_run_model(tmp_path / "not_a_run")


def test_listen_prints_what_detect_prints_for_the_same_audio(
    tiny_run, keyword_recording, monkeypatch, capsys
):
    path, stream = keyword_recording
    monkeypatch.setattr(cli_live, "open_microphone", lambda device: ArraySource(stream.audio, chunk_ms=20))
    assert main(["listen", str(tiny_run), "--json"]) == 0
    heard = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    expected = detect_file(tiny_run, path)  # both at the run's cadence
    assert [(h["word"], round(h["time_s"], 3)) for h in heard] == [
        (d.label, round(d.time_ms / 1000, 3)) for d in expected
    ]
    assert len(heard) >= 5


def test_listen_without_a_microphone_fails_clearly(tiny_run, monkeypatch, capsys):
    from core.audio.mic import list_input_devices

    if list_input_devices():
        pytest.skip("this machine has a microphone")
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert main(["listen", str(tiny_run)]) == 1
    assert "no microphone found" in capsys.readouterr().err
