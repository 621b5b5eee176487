"""Streaming metrics without a model: the replayed recognizer equals RecognizeCommands, streams put the
keywords where their events say, hits/misses/false accepts are counted per word, and calibration picks
the lowest-FRR setting that meets the false-accept target."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from core.audio.files import write_wav
from core.audio.samples import SAMPLE_RATE
from core.config import RecognizerSettings
from core.live.recognize import RecognizeCommands
from core.model.calibrate import choose
from core.model.stream_eval import (
    Clip,
    EvalStream,
    KeywordEvent,
    StreamScores,
    averaged_decisions,
    keyword_stream,
    metrics_for,
    new_detections,
    poisson_upper95,
    replay,
    speech_stream,
)

LABELS = ["_silence_", "_unknown_", "stop", "go"]


def random_scores(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Scores that wander between labels with bursts, at 140 ms apart (the default cadence)."""
    rng = np.random.default_rng(seed)
    scores = np.zeros((n, 4), np.int32)
    label = 0
    for i in range(n):
        if rng.uniform() < 0.15:
            label = int(rng.integers(4))
        s = rng.integers(0, 60, 4)
        s[label] = rng.integers(120, 256)
        scores[i] = s
    times = 980 + 140 * np.arange(n, dtype=np.int64)
    return times, scores


@pytest.mark.parametrize(
    "settings",
    [
        RecognizerSettings(),
        RecognizerSettings(average_window_ms=500, detection_threshold=150, suppression_ms=700),
        RecognizerSettings(
            average_window_ms=1000, detection_threshold=120, suppression_ms=0, minimum_count=3
        ),
    ],
)
def test_replay_gives_exactly_the_recognizers_new_words(settings):
    times, scores = random_scores(600, seed=settings.average_window_ms)
    recognizer = RecognizeCommands(LABELS, settings)
    expected = []
    for t, s in zip(times, scores, strict=True):
        d = recognizer.process(s, int(t))
        if d is not None and d.reportable:
            expected.append((t / 1000, d.label))
    stream = EvalStream("s", np.zeros(10, np.float32))
    got = replay(LABELS, settings, StreamScores(stream, times, scores, []))
    assert got == expected
    assert len(expected) > 5  # the case exercises detections and suppression


@pytest.mark.parametrize("seed", range(6))
def test_vectorised_decisions_and_new_words_are_recognize_commands_own(seed):
    """Any window, minimum count and suppression, uneven and repeated times, tied scores."""
    rng = np.random.default_rng(seed)
    settings = RecognizerSettings(
        average_window_ms=int(rng.choice([200, 300, 500, 1000])),
        detection_threshold=int(rng.choice([0, 60, 120, 200])),
        suppression_ms=int(rng.choice([0, 140, 700, 1500])),
        minimum_count=int(rng.integers(1, 5)),
    )
    times = 500 + np.cumsum(rng.choice([0, 20, 140, 160, 900], size=800))
    scores = rng.choice([0, 50, 120, 200, 255], size=(800, 4)).astype(np.int32)  # many ties
    recognizer = RecognizeCommands(LABELS, replace(settings, detection_threshold=255))
    live = RecognizeCommands(LABELS, settings)
    expected_decisions, expected_words = [], []
    for t, s in zip(times.tolist(), scores.tolist(), strict=True):
        d = recognizer.process(s, t)
        if d is not None:
            expected_decisions.append((d.time_ms, d.index, d.score))
        d = live.process(s, t)
        if d is not None and d.reportable:
            expected_words.append((t / 1000, d.label))
    decisions = averaged_decisions(LABELS, settings, times, scores)
    assert decisions == expected_decisions
    found = new_detections(decisions, LABELS, settings.detection_threshold, settings.suppression_ms)
    assert found == expected_words
    assert replay(LABELS, settings, StreamScores(EvalStream("s", np.zeros(1)), times, scores, [])) == found
    assert len(expected_decisions) > 100 and expected_words


def _tone_clip(tmp_path, name: str, freq: float, seconds: float = 0.4) -> Clip:
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    audio = np.zeros(SAMPLE_RATE, np.float32)
    start = (SAMPLE_RATE - len(t)) // 2
    audio[start : start + len(t)] = 0.5 * np.sin(2 * np.pi * freq * t)
    path = tmp_path / f"{name}.wav"
    write_wav(path, audio)
    return Clip("stop" if freq > 1000 else "_unknown_", path, 3.0 if "own" in name else 1.0)


def test_keyword_stream_puts_each_keyword_where_its_event_says(tmp_path):
    keywords = [_tone_clip(tmp_path, f"kw{i}", 2000.0) for i in range(5)]
    others = [_tone_clip(tmp_path, f"other{i}", 300.0) for i in range(3)]
    stream = keyword_stream(keywords, others, [], seed=3)
    assert len(stream.keywords) == 5 and not stream.negative
    spectrum_hop = 160
    frames = stream.audio[: len(stream.audio) // spectrum_hop * spectrum_hop].reshape(-1, spectrum_hop)
    # The 2 kHz energy (keyword) is inside the events; outside them only 300 Hz tones and silence.
    t = np.arange(spectrum_hop) / SAMPLE_RATE
    high = np.abs(frames @ np.exp(-2j * np.pi * 2000 * t)) > 5
    inside = np.zeros(len(frames), bool)
    for e in stream.keywords:
        inside[int(e.start_s * 100) : int(e.end_s * 100) + 1] = True
    assert high[inside].mean() > 0.9
    assert not high[~inside].any()
    # Other words surround the keywords: the stream is longer than keywords and pauses alone.
    assert stream.duration_s > 5 * 0.4 + 6 * 1.6


def test_speech_stream_has_every_other_word_and_no_keyword(tmp_path):
    others = [_tone_clip(tmp_path, f"other{i}", 300.0 + 50 * i) for i in range(4)]
    stream = speech_stream(others, [], seed=0)
    assert stream.negative and stream.keywords == []
    assert 4 * 0.4 < stream.duration_s < 4 * (0.5 + 3.0) + 1.1


def _stream(events, negative=False, seconds=60.0):
    return EvalStream("s", np.zeros(int(seconds * SAMPLE_RATE), np.float32), events, negative)


def test_metrics_count_hits_misses_and_false_accepts_per_word():
    events = [
        KeywordEvent("stop", 1.0, 1.5),
        KeywordEvent("go", 5.0, 5.3),
        KeywordEvent("stop", 9.0, 9.4, weight=3.0),  # an own recording: its miss counts three times
    ]
    keywords = _stream(events)
    negative = _stream([], negative=True, seconds=1800.0)  # half an hour
    streams = [
        StreamScores(s, np.zeros(0, np.int64), np.zeros((0, 4), np.int32), []) for s in (keywords, negative)
    ]
    detections = [
        [
            (1.2, "stop"),
            (5.9, "go"),
            (7.0, "go"),
        ],  # stop hit, go hit (0.6 s late), one wrong go; stop 2 missed
        [(100.0, "stop"), (200.0, "go"), (300.0, "go")],
    ]
    m = metrics_for(["stop", "go"], streams, RecognizerSettings(), detections)
    stop, go = m.words
    assert (stop.keywords, stop.missed, go.keywords, go.missed) == (2, 1, 1, 0)
    assert stop.frr == pytest.approx(3.0 / 4.0) and go.frr == 0.0
    assert (stop.false_accepts, go.false_accepts) == (1, 2)
    assert stop.fa_per_hour == pytest.approx(2.0) and go.fa_per_hour == pytest.approx(4.0)
    assert m.fa_per_hour == pytest.approx(6.0) and m.negative_hours == pytest.approx(0.5)
    assert m.wrong_in_keyword_streams == 1
    assert m.frr == pytest.approx((0.75 + 0.0) / 2)


def test_a_detection_after_the_late_limit_is_not_a_hit():
    keywords = _stream([KeywordEvent("go", 1.0, 1.3)])
    scored = [StreamScores(keywords, np.zeros(0, np.int64), np.zeros((0, 4), np.int32), [])]
    m = metrics_for(["stop", "go"], scored, RecognizerSettings(), [[(2.4, "go")]])
    assert m.words[1].missed == 1 and m.wrong_in_keyword_streams == 1


def test_poisson_upper_bound():
    assert poisson_upper95(0) == pytest.approx(2.996, abs=0.01)
    assert poisson_upper95(1) == pytest.approx(4.74, abs=0.05)
    assert poisson_upper95(10) == pytest.approx(17.0, abs=0.2)


def _calibration_case():
    """A keyword stream whose keywords score 230 (stop) or 170 (go), and a negative stream with
    bursts of 150 and 210 for stop: thresholds decide the trade-off."""
    times = 980 + 140 * np.arange(400, dtype=np.int64)
    kw = np.tile(np.array([[200, 40, 5, 5]], np.int32), (400, 1))
    events = []
    for k, (word, level) in enumerate([("stop", 230), ("go", 170)] * 5):
        i = 10 + 35 * k
        kw[i : i + 4] = [5, 5, 0, 0]
        kw[i : i + 4, LABELS.index(word)] = level
        t = times[i] / 1000
        events.append(KeywordEvent(word, t - 0.3, t + 0.1))
    neg = np.tile(np.array([[200, 40, 5, 5]], np.int32), (400, 1))
    for i, level in ((50, 150), (150, 150), (250, 210)):
        neg[i : i + 4] = [5, 5, level, 0]
    kw_stream = EvalStream("k", np.zeros(int(60 * SAMPLE_RATE), np.float32), events)
    neg_stream = EvalStream("n", np.zeros(int(3600 * SAMPLE_RATE), np.float32), negative=True)
    return [StreamScores(kw_stream, times, kw, []), StreamScores(neg_stream, times, neg, [])]


def test_calibration_picks_the_lowest_frr_that_meets_the_target():
    scored = _calibration_case()
    base = RecognizerSettings()
    # At most 1 FA/h (one hour of negatives): threshold must be >= 150 (two bursts of 150 otherwise),
    # and below 170 keeps go detected: FRR 0.
    c = choose(["stop", "go"], scored, base, 20, target=1.0)
    assert c.met and c.frr == 0.0 and 150 <= c.detection_threshold < 170
    assert c.fa_per_hour == pytest.approx(1.0)
    # At most 0 FA/h: above 210, which loses every go (FRR 50 %).
    c = choose(["stop", "go"], scored, base, 20, target=0.0)
    assert c.met and 210 <= c.detection_threshold < 230 and c.frr == pytest.approx(0.5)
    curve = {p["threshold"]: p for p in c.curve}
    assert curve[100]["fa_per_hour"] == pytest.approx(3.0) and curve[100]["frr"] == 0.0
    assert curve[250]["frr"] == 1.0


def test_calibration_says_when_the_target_cannot_be_met():
    scored = _calibration_case()
    neg = scored[1]
    neg.scores[300:310] = [0, 0, 255, 0]  # 1.4 s of stop at 255: no threshold below 255 rejects it
    c = choose(["stop", "go"], scored, RecognizerSettings(), 20, target=0.0)
    assert not c.met and c.fa_per_hour == pytest.approx(1.0)
    assert c.frr == 0.5  # of the settings with the fewest false accepts, the lowest FRR


def test_a_setting_that_misses_most_keywords_is_put_in_words():
    from core.model.calibration_check import missed_warning

    scored = _calibration_case()
    assert missed_warning(choose(["stop", "go"], scored, RecognizerSettings(), 20, target=1.0).frr) is None
    # Half the keywords missed (every go) is bad, but not "most": no warning yet.
    assert missed_warning(choose(["stop", "go"], scored, RecognizerSettings(), 20, target=0.0).frr) is None
    warning = missed_warning(0.975)
    assert warning is not None and "misses 98 % of the validation keywords" in warning
    assert "wakebench record" in warning and "target_fa_per_hour" in warning
    assert missed_warning(None) is None


def test_decisions_do_not_depend_on_threshold():
    times, scores = random_scores(200, seed=1)
    a = averaged_decisions(LABELS, RecognizerSettings(), times, scores)
    b = averaged_decisions(LABELS, replace(RecognizerSettings(), detection_threshold=10), times, scores)
    assert a == b
    assert new_detections(a, LABELS, 255, 1500) == []


def test_own_recordings_in_the_validation_split_are_calibrated_on_with_their_weight(tmp_path):
    from types import SimpleNamespace

    from core.config import DataSettings, ProjectConfig
    from core.model.stream_eval import split_clips
    from tests.audio_factory import make_dataset

    make_dataset(
        tmp_path / "data" / "synthetic", {"stop": 20, "go": 20, "table": 20}, speakers=20, source="tone"
    )
    make_dataset(tmp_path / "data" / "recordings", {"stop": 40}, speakers=1, source="tone")
    config = ProjectConfig(data=DataSettings(recording_weight=3.0))
    run = SimpleNamespace(config=config, project_dir=tmp_path, extra_dirs=[])
    clips, _ = split_clips(run, "validation")
    own = [c for c in clips if "recordings" in c.path.parts]
    assert own and all(c.weight == 3.0 and c.label == "stop" for c in own)
    assert all(c.weight == 1.0 for c in clips if "synthetic" in c.path.parts)
    assert any(c.label == "_unknown_" for c in clips)  # other words are there to make negatives from
