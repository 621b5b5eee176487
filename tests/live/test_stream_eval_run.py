"""Streaming metrics of a real exported run: the scores and detections are the live path's, replaying
the recognizer gives the live detections, and `wakebench eval --stream` reports FRR and FA/h per word."""

from __future__ import annotations

import io
import json
from contextlib import redirect_stdout

import numpy as np
import pytest

from core.audio.files import write_wav
from core.cli import main
from core.live.detector import StreamingDetector, detect_file, load_run_model
from core.model import tflm_pool
from core.model.stream_eval import (
    EvalStream,
    KeywordEvent,
    replay,
    score_streams,
    stream_frames,
    stream_scores,
)
from core.model.tflm_pool import TflmPool
from tests.live.tiny_model import make_tiny_dataset


def test_stream_scores_are_the_live_paths_and_replay_matches_it(tiny_run, keyword_recording, tmp_path):
    path, recording = keyword_recording
    run, model = load_run_model(tiny_run)
    events = [KeywordEvent(e.label, e.start_s, e.end_s) for e in recording.keyword_events()]
    stream = EvalStream("keywords", recording.audio, events)
    scored = stream_scores(model, run.labels, run.config.features, run.config.recognizer, stream)
    # Same detections as `wakebench detect` on the same audio (the board's path), and as a replay.
    live = [(d.time_ms / 1000, d.label) for d in detect_file(tiny_run, path)]
    assert scored.detections == live
    assert replay(run.labels, run.config.recognizer, scored) == live
    assert len(live) >= 3
    every = run.config.recognizer.inference_every_frames
    assert np.all(np.diff(scored.times_ms) == every * run.config.features.stride_ms)


def test_stage_by_stage_scores_are_exactly_the_streaming_detectors(tiny_run, keyword_recording):
    _, recording = keyword_recording
    run, model = load_run_model(tiny_run)
    config = run.config
    detector = StreamingDetector(model, run.labels, config.features, config.recognizer)
    times, scores, found = [], [], []
    for start in range(0, len(recording.audio), 5000):  # other chunks than the eval's 2 s
        for frame in detector.push(recording.audio[start : start + 5000]):
            if frame.scores is not None:
                times.append(frame.time_ms)
                scores.append(frame.scores)
            if frame.new_word is not None:
                found.append((frame.time_ms / 1000, frame.new_word.label))
    stream = EvalStream("keywords", recording.audio)
    scored = stream_scores(model, run.labels, config.features, config.recognizer, stream)
    assert scored.times_ms.tolist() == times
    assert np.array_equal(scored.scores, np.array(scores))
    assert scored.detections == found and len(found) >= 3


def test_the_pool_of_workers_scores_exactly_as_this_process(tiny_run, keyword_recording, monkeypatch):
    _, recording = keyword_recording
    run, model = load_run_model(tiny_run)
    config = run.config
    streams = [EvalStream("a", recording.audio), EvalStream("b", recording.audio[7777:], negative=True)]
    alone = score_streams(run, streams, model, workers=1)
    monkeypatch.setattr(tflm_pool, "CHUNK_WINDOWS", 37)  # many chunks, an uneven last one
    monkeypatch.setattr(tflm_pool, "MIN_POOL_WINDOWS", 0)
    pooled = score_streams(run, streams, model, workers=2)
    for a, b in zip(alone, pooled, strict=True):
        assert np.array_equal(a.times_ms, b.times_ms) and np.array_equal(a.scores, b.scores)
        assert a.detections == b.detections
    assert sum(len(a.scores) for a in alone) > 100
    frames = stream_frames(streams[0], config.features)
    ends = np.arange(48, len(frames), 5)
    with TflmPool(model, 2) as pool:
        assert np.array_equal(
            pool.submit(frames, ends).result(), TflmPool(model).submit(frames, ends).result()
        )


def test_cli_eval_stream_reports_frr_and_false_accepts_per_word(tiny_run, tmp_path):
    data = make_tiny_dataset(tmp_path / "held_out", per_word=8, speakers=4)
    negatives = tmp_path / "tv.wav"
    rng = np.random.default_rng(0)
    write_wav(negatives, (0.05 * rng.standard_normal(16000 * 20)).astype(np.float32))
    out = io.StringIO()
    with redirect_stdout(out):
        code = main(
            ["eval", str(tiny_run), "--stream", "--data", str(data), "--negatives", str(negatives), "--json"]
        )
    assert code == 0
    result = json.loads(out.getvalue().splitlines()[-1])
    assert result["event"] == "done"
    assert [w["word"] for w in result["words"]] == ["stop", "go"]
    assert sum(w["keywords"] for w in result["words"]) == result["keyword_clips"] == 16
    assert all(0.0 <= w["frr"] <= 1.0 for w in result["words"])
    names = [s["name"] for s in result["streams"]]
    assert names[0] == "keywords" and "tv.wav" in names and "noise" in names
    negative_s = sum(s["seconds"] for s in result["streams"] if s["negative"])
    assert result["negative_hours"] == round(negative_s / 3600, 4)
    false_accepts = sum(w["false_accepts"] for w in result["words"])
    assert result["false_accepts"] == false_accepts
    assert result["fa_per_hour"] * result["negative_hours"] == pytest.approx(false_accepts, rel=1e-3)
    assert result["recognizer"] == {
        k: v
        for k, v in json.loads((tiny_run / "config.json").read_text())["recognizer"].items()
        if k != "target_fa_per_hour"
    }

    out = io.StringIO()
    with redirect_stdout(out):
        assert main(["eval", str(tiny_run), "--stream", "--data", str(data)]) == 0
    text = out.getvalue()
    assert "FRR" in text and "false accepts per hour" in text and "stop" in text and "go" in text
