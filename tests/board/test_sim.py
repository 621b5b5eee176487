"""The virtual board on a real pty, read through the real link: it says hello with the run's model,
reports the detections `wakebench detect` finds in the same audio (same streaming path), obeys host
commands like the firmware, streams features, scores and audio, and a capture holds exactly the audio
it was fed."""

from __future__ import annotations

import hashlib
import time
import wave

import numpy as np
import pytest

from core.audio.files import read_audio
from core.audio.samples import to_int16
from core.audio.sources import ArraySource
from core.board.capture import AudioHistory, count_captures, save_capture
from core.board.link import BoardLink
from core.board.protocol import (
    AudioChunk,
    BoardErrorLine,
    Detection,
    FeatureFrame,
    LogLine,
    Scores,
    feature_bytes,
)
from core.board.sim import END_OF_AUDIO, VirtualBoard
from core.features.streaming import StreamingFrontend
from core.live.detector import detect_file
from core.model.runs import RunDir
from tests.board.virtual import virtual_board
from tests.live.keyword_stream import score_detections


def until_end(link: BoardLink, seconds: float = 60.0) -> list:
    """Every item until the board says the audio ended."""
    items = []
    for item in link.items(seconds=seconds):
        items.append(item)
        if item == LogLine(END_OF_AUDIO):
            return items
    raise AssertionError(f"no end of audio within {seconds} s; got {len(items)} items")


def of(items, kind):
    return [i for i in items if isinstance(i, kind)]


def test_hello_reports_the_runs_model_hash_and_labels(tiny_run):
    run = RunDir(tiny_run)
    with virtual_board(tiny_run, np.zeros(1600, np.int16)) as board, BoardLink.open(board.path) as link:
        hello = link.wait_for_hello(5)
    assert hello.model == hashlib.sha256(run.model_path.read_bytes()).hexdigest()[:8]
    assert hello.model == run.report.model_sha8
    assert list(hello.labels) == run.labels
    assert (hello.board, hello.rate, hello.window_ms, hello.stride_ms, hello.bins) == (
        "virtual",
        16000,
        30,
        20,
        40,
    )


def test_detections_are_those_of_detect_on_the_same_audio(tiny_run, board_recording):
    path, stream = board_recording
    expected = detect_file(tiny_run, path)
    with virtual_board(tiny_run, read_audio(path)) as board, BoardLink.open(board.path) as link:
        items = until_end(link)
    got = of(items, Detection)
    assert [(d.ms, d.label, d.score) for d in got] == [(d.time_ms, d.label, d.score) for d in expected]
    score = score_detections(stream, [(d.ms / 1000, d.label) for d in got])
    assert score.hits >= 3, score  # the tiny model hears the words (its false alarms are detect's too)
    assert link.stats.skipped_lines == 0


def test_host_commands_are_answered_like_the_firmware(tiny_run):
    with virtual_board(tiny_run, np.zeros(16000, np.int16)) as board, BoardLink.open(board.path) as link:
        link.wait_for_hello(5)
        link.set_threshold(99)
        link._serial.write(b"X9\n" + b"?" * 40 + b"\n")  # an unknown command, then one too long
        items = []
        for item in link.items(seconds=5):
            items.append(item)
            if len(of(items, BoardErrorLine)) == 2:
                break
    assert LogLine("threshold 99") in items
    assert of(items, BoardErrorLine) == [
        BoardErrorLine("cmd", "unknown command 'X9': X9"),
        BoardErrorLine("cmd", "command too long"),
    ]
    assert board.detector.recognizer.settings.detection_threshold == 99


def test_feature_and_score_streams_carry_what_the_model_sees(tiny_run, board_recording):
    path, _ = board_recording
    audio = to_int16(read_audio(path))[: 3 * 16000]
    with virtual_board(tiny_run, audio) as board, BoardLink.open(board.path, streams="FP") as link:
        items = until_end(link)
        model = board.model
    frames = of(items, FeatureFrame)
    expected = StreamingFrontend(RunDir(tiny_run).config.features).process(audio)
    assert len(frames) == len(expected) == (len(audio) - 480) // 320 + 1
    assert [f.ms for f in frames] == [30 + 20 * i for i in range(len(frames))]
    for frame, want in zip(frames, expected, strict=True):
        assert frame.data == bytes(feature_bytes(want, model.input_scale, model.input_zero_point))
    scores = of(items, Scores)
    every = RunDir(tiny_run).config.recognizer.inference_every_frames
    assert [s.ms for s in scores] == [frames[48 + every * i].ms for i in range(len(scores))]
    assert all(len(s.scores) == 4 for s in scores) and len(scores) >= 10


def wav_samples(path) -> np.ndarray:
    """The int16 samples of a 16 kHz mono WAV, exactly as stored."""
    with wave.open(str(path)) as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (16000, 1, 2)
        return np.frombuffer(w.readframes(w.getnframes()), "<i2")


def fed_offset(audio: np.ndarray, chunk: AudioChunk) -> int:
    """Where the board's first streamed chunk starts in the audio it was fed (it must be there exactly)."""
    samples = chunk.samples
    for start in range(0, len(audio) - len(samples) + 1, 160):
        if np.array_equal(audio[start : start + len(samples)], samples):
            return start
    raise AssertionError("the streamed audio is not in the fed audio")


def test_audio_stream_and_captures_hold_exactly_the_audio_fed(tiny_run, board_recording, tmp_path):
    path, stream = board_recording
    audio = to_int16(read_audio(path))
    history = AudioHistory(seconds=30)
    with virtual_board(tiny_run, audio) as board, BoardLink.open(board.path) as link:
        link.add_listener(history)
        link.set_stream("A", True)
        link.wait_for_hello(5)
        items = until_end(link)
        assert board.stats.samples == len(audio)
    chunks = of(items, AudioChunk)
    assert [c.seq for c in chunks] == [160 * i for i in range(len(chunks))]  # no gap, nothing dropped
    assert link.stats.audio_gaps == 0 and all(c.sample_count == 160 for c in chunks)
    start = fed_offset(audio, chunks[0])
    streamed = np.concatenate([c.samples for c in chunks])
    assert np.array_equal(streamed, audio[start : start + len(streamed)])

    # On demand: the newest 1.5 s, sample for sample.
    clip = history.last(1.5)
    end = start + len(streamed)
    assert np.array_equal(clip, audio[end - 24000 : end])
    # At a detection: the 1 s window that ends exactly where the model's window ended.
    detection, window = history.at_detection()
    assert detection == of(items, Detection)[-1]
    detection_end = detection.ms * 16
    assert np.array_equal(window, audio[detection_end - 16000 : detection_end])
    # A spoken word lies inside it (a keyword, or the word of a false alarm).
    inside = [
        e
        for e in stream.events
        if detection_end - 16000 <= e.start_s * 16000 <= e.end_s * 16000 <= detection_end
    ]
    assert inside

    # Saved without overwriting, and counted per label.
    first = save_capture(window, detection.label, tmp_path / "captures", "virtual")
    second = save_capture(clip, "_unknown_", tmp_path / "captures", "virtual")
    third = save_capture(window, detection.label, tmp_path / "captures", "virtual")
    assert first.name == "virtual_nohash_0.wav" and third.name == "virtual_nohash_1.wav"
    assert first.parent.name == detection.label and second.parent.name == "_unknown_"
    assert np.array_equal(wav_samples(first), window)
    assert count_captures(tmp_path / "captures") == {detection.label: 2, "_unknown_": 1}


def test_in_real_time_the_board_keeps_pace_and_drops_rather_than_blocks(tiny_run):
    audio = np.zeros(16000, np.int16)
    with virtual_board(tiny_run, audio, realtime=True) as board:
        time.sleep(0.6)  # nobody reads: the board still hears in real time
        heard = board.stats.samples
    assert 0.3 * 16000 <= heard <= 0.9 * 16000


def test_a_run_that_is_not_exported_is_refused_before_a_pty_is_made(tmp_path):
    from core.errors import TrainingError

    with pytest.raises(TrainingError):
        VirtualBoard(tmp_path, ArraySource(np.zeros(10, np.int16)))
