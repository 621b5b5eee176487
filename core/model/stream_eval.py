"""Wake-word metrics measured the way a user meets the model: in a stream.

- false-reject rate (FRR) per word: each keyword clip is laid inside longer audio, with other words
  spoken just before and after it (50-300 ms apart) over background noise; it is found when the
  detector reports that word between the clip's speech start and 1 s after its end;
- false accepts per hour (FA/h) per word: detections on long audio without any keyword (other words
  as continuous speech, background noise alone, and any WAV files the user gives).

Both run through exactly the detection path of `wakebench detect` and the board:
`core.live.detector.StreamingDetector` (streaming micro frontend with carried state, the 49-frame
window, the int8 model in TFLM at the run's inference cadence, `RecognizeCommands`), taken stage by
stage (`score_streams`: the frames of a stream first, then its windows in TFLM on both cores, then the
recognizer), which a test checks gives StreamingDetector's scores, times and detections exactly.
The model's scores at each inference do not depend on the recognizer's threshold or window, so
`StreamScores` keeps them and `replay` re-runs the recognizer's rules on them for other settings
(calibration, core.model.calibrate); a test checks `replay` gives the live path's detections.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from core.audio.files import read_audio
from core.audio.samples import SAMPLE_RATE
from core.config import BACKGROUND_NOISE_DIR, UNKNOWN_LABEL, FeatureSettings, RecognizerSettings
from core.errors import AudioError, DataError
from core.events import CancelToken, EventCallback, Log, Progress, ignore_events
from core.features.augment import speech_bounds

if TYPE_CHECKING:
    from core.model.tflm import TflmModel
    from core.model.tflm_pool import ScoresHandle, TflmPool

LATE_S = 1.0  # a detection up to this long after the keyword's end still counts (averaging delay)
PHRASE_GAP_S = (0.05, 0.3)  # between the words of one phrase
PAUSE_S = (1.6, 2.5)  # between phrases: longer than the default 1.5 s suppression
NOISE_PEAK = 0.05  # background noise level under the speech (peak), as bench/recognizer_tuning.py
NOISE_ONLY_S = 60.0  # seconds of background noise alone per background file in the negatives
CHUNK_SAMPLES = 2 * SAMPLE_RATE  # the streaming frontend is fastest on ~2 s chunks


@dataclass(frozen=True)
class Clip:
    """One clip to lay into a stream: its label (a keyword or _unknown_), file and weight."""

    label: str
    path: Path
    weight: float = 1.0


@dataclass(frozen=True)
class KeywordEvent:
    """Where a keyword is in a stream (seconds of speech, as spoken)."""

    word: str
    start_s: float
    end_s: float
    weight: float = 1.0


@dataclass
class EvalStream:
    """A long recording and, for a keyword stream, the truth of where each keyword is."""

    name: str
    audio: np.ndarray  # float32, 16 kHz
    keywords: list[KeywordEvent] = field(default_factory=list)
    negative: bool = False  # True: no keyword at all (counts towards FA/h)

    @property
    def duration_s(self) -> float:
        return len(self.audio) / SAMPLE_RATE


@dataclass
class StreamScores:
    """The model's scores at every inference of a stream and the live path's own detections."""

    stream: EvalStream
    times_ms: np.ndarray  # int64 [inferences]
    scores: np.ndarray  # int32 [inferences, labels]
    detections: list[tuple[float, str]]  # (time_s, word) reported by the live recognizer


@dataclass
class WordMetrics:
    word: str
    keywords: int
    missed: int
    frr: float | None  # weighted by clip weight (own recordings count more); None without clips
    false_accepts: int
    fa_per_hour: float | None  # None without negative audio


@dataclass
class StreamMetrics:
    """Per-word and overall streaming metrics at one recognizer setting."""

    words: list[WordMetrics]
    frr: float | None  # mean of the words' FRR
    fa_per_hour: float | None  # all words together
    fa_per_hour_upper95: float | None  # 95 % upper bound (Poisson) of the true FA/h
    false_accepts: int
    keyword_clips: int
    wrong_in_keyword_streams: int  # detections in keyword streams that matched no keyword
    keyword_hours: float
    negative_hours: float
    recognizer: dict[str, int]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# ---- clips ----------------------------------------------------------------------------------------


def folder_clips(data_dir: str | Path, labels: Sequence[str]) -> tuple[list[Clip], list[Path]]:
    """Every clip of a Speech Commands layout folder (keywords and other words) and its background
    noise files."""
    from core.model.evaluate import folder_labels

    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise DataError(
            f"{data_dir}: no such folder", "give a folder in Speech Commands layout: DIR/<word>/*.wav"
        )
    clips = [
        Clip(label, path) for path, label in folder_labels(data_dir, list(labels)) if label != "_silence_"
    ]
    background = sorted((data_dir / BACKGROUND_NOISE_DIR).glob("*.wav"))
    return clips, background


def split_clips(run: Any, split: str) -> tuple[list[Clip], list[Path]]:
    """The clips of one split of a run's dataset (all its other-word clips, not only the share training
    samples), with their weights, and the dataset's background noise files."""
    from core.data.dataset import build_index

    config = run.config
    # Every clip of the unknown pool and no generated silence: the stream supplies its own noise.
    everything = config.replace(data=replace(config.data, unknown_percentage=1e9, silence_percentage=0.0))
    index = build_index(everything, run.project_dir, run.extra_dirs, seed=config.training.seed)
    clips = [Clip(e.label, e.path, e.weight) for e in index.split(split) if e.path is not None]
    return clips, index.background_files


# ---- streams --------------------------------------------------------------------------------------


def _load(clip: Clip, rng: random.Random) -> np.ndarray | None:
    """The clip's speech (trimmed to its loud part, 50 ms margin) at a random level, or None if unreadable."""
    try:
        audio = read_audio(clip.path, SAMPLE_RATE)
    except AudioError:
        return None
    if len(audio) < 320 or not np.any(audio):
        return None
    lo, hi = speech_bounds(audio)
    margin = SAMPLE_RATE // 20
    audio = audio[max(0, lo - margin) : hi + margin]
    peak = float(np.max(np.abs(audio))) or 1.0
    return (audio * (rng.uniform(0.3, 0.9) / peak)).astype(np.float32)


def _noise_bed(background: Sequence[np.ndarray], samples: int, rng: random.Random) -> np.ndarray:
    if not background:
        return np.zeros(samples, np.float32)
    noise = np.concatenate(background)
    start = rng.randrange(len(noise))
    bed = np.resize(np.roll(noise, -start), samples).astype(np.float32)
    peak = float(np.max(np.abs(bed))) or 1.0
    return bed * (NOISE_PEAK / peak)


def _silence(seconds: tuple[float, float], rng: random.Random) -> np.ndarray:
    return np.zeros(int(rng.uniform(*seconds) * SAMPLE_RATE), np.float32)


def keyword_stream(
    keywords: Sequence[Clip],
    others: Sequence[Clip],
    background: Sequence[np.ndarray],
    seed: int = 0,
    name: str = "keywords",
) -> EvalStream:
    """Each keyword clip inside a short phrase (an other word before and after it, each with
    probability 0.8, 50-300 ms apart), phrases 1.6-2.5 s apart, over background noise."""
    rng = random.Random(seed)
    pieces: list[np.ndarray] = [_silence(PAUSE_S, rng)]
    pos = len(pieces[0])
    events = []
    for clip in keywords:
        audio = _load(clip, rng)
        if audio is None:
            continue
        phrase: list[tuple[np.ndarray, bool]] = []
        for before in (True, False):
            if others and rng.random() < 0.8:
                other = _load(rng.choice(others), rng)
                if other is not None:
                    phrase.append((other, False))
            if before:
                phrase.append((audio, True))
        for i, (words, is_keyword) in enumerate(phrase):
            if i:
                gap = _silence(PHRASE_GAP_S, rng)
                pieces.append(gap)
                pos += len(gap)
            if is_keyword:
                lo, hi = speech_bounds(words)
                events.append(
                    KeywordEvent(clip.label, (pos + lo) / SAMPLE_RATE, (pos + hi) / SAMPLE_RATE, clip.weight)
                )
            pieces.append(words)
            pos += len(words)
        pause = _silence(PAUSE_S, rng)
        pieces.append(pause)
        pos += len(pause)
    speech = np.concatenate(pieces)
    audio = np.clip(speech + _noise_bed(background, len(speech), rng), -1, 1).astype(np.float32)
    return EvalStream(name, audio, events)


def speech_stream(
    others: Sequence[Clip], background: Sequence[np.ndarray], seed: int = 0, name: str = "speech"
) -> EvalStream:
    """Other words one after the other like continuous speech (50-500 ms apart, a 1-3 s pause every
    ~15 words), over background noise: no keyword anywhere."""
    rng = random.Random(seed)
    order = list(others)
    rng.shuffle(order)
    pieces = [_silence((0.5, 1.0), rng)]
    for clip in order:
        audio = _load(clip, rng)
        if audio is None:
            continue
        pieces += [audio, _silence((1.0, 3.0) if rng.random() < 1 / 15 else (0.05, 0.5), rng)]
    speech = np.concatenate(pieces)
    audio = np.clip(speech + _noise_bed(background, len(speech), rng), -1, 1).astype(np.float32)
    return EvalStream(name, audio, negative=True)


def noise_stream(background: Sequence[np.ndarray], seed: int = 0) -> EvalStream | None:
    """NOISE_ONLY_S of each background recording (looped), its level changing every 5 s: no speech."""
    if not background:
        return None
    rng = random.Random(seed)
    parts = []
    for noise in background:
        bed = np.resize(noise, int(NOISE_ONLY_S * SAMPLE_RATE)).astype(np.float32)
        peak = float(np.max(np.abs(bed))) or 1.0
        step = 5 * SAMPLE_RATE
        for start in range(0, len(bed), step):
            bed[start : start + step] *= rng.uniform(0.05, 0.8) / peak
        parts.append(bed)
    return EvalStream("noise", np.concatenate(parts), negative=True)


def wav_stream(path: str | Path) -> EvalStream:
    """A user's long WAV of non-keyword audio (speech, TV, music, a room)."""
    return EvalStream(Path(path).name, read_audio(path, SAMPLE_RATE), negative=True)


def load_background(paths: Sequence[Path]) -> list[np.ndarray]:
    out = []
    for p in paths:
        try:
            audio = read_audio(p, SAMPLE_RATE)
        except AudioError:
            continue
        if len(audio):
            out.append(audio)
    return out


def build_streams(
    clips: Sequence[Clip],
    background_files: Sequence[Path],
    words: Sequence[str],
    negatives: Sequence[str | Path] = (),
    speech_passes: int = 1,
    seed: int = 0,
) -> list[EvalStream]:
    """The keyword stream, `speech_passes` continuous-speech streams of the other words (each pass in
    another order, at other levels and gaps), the noise stream and one stream per negatives WAV."""
    keywords = [c for c in clips if c.label in words]
    others = [c for c in clips if c.label == UNKNOWN_LABEL]
    if not keywords:
        raise DataError(f"no clips of {', '.join(words)} to measure false rejects on")
    background = load_background(background_files)
    streams = [keyword_stream(keywords, others, background, seed)]
    if others:
        streams += [
            speech_stream(others, background, seed + 1 + p, f"speech{p + 1}") for p in range(speech_passes)
        ]
    noise = noise_stream(background, seed + 100)
    if noise is not None:
        streams.append(noise)
    streams += [wav_stream(p) for p in negatives]
    return streams


# ---- running and scoring --------------------------------------------------------------------------


def stream_frames(
    stream: EvalStream,
    features: FeatureSettings,
    cancel: CancelToken | None = None,
    cache_dir: Path | None = None,
) -> np.ndarray:
    """The stream's feature frames (uint16 [frames, channels]) from a fresh streaming frontend fed in
    the chunks the live detector gets them in (state carried from frame to frame, as on the board);
    with `cache_dir`, read back when the same audio went through the same frontend before
    (core.features.stream_cache)."""
    from core.features.stream_cache import cached_frames
    from core.features.streaming import StreamingFrontend

    def compute() -> np.ndarray:
        frontend = StreamingFrontend(features)
        parts = [np.zeros((0, features.channels), np.uint16)]
        for start in range(0, len(stream.audio), CHUNK_SAMPLES):
            if cancel is not None:
                cancel.raise_if_cancelled()
            parts.append(frontend.process(stream.audio[start : start + CHUNK_SAMPLES]))
        return np.concatenate(parts)

    return cached_frames(stream.audio, features, cache_dir, compute)


def inference_ends(frame_count: int, window_frames: int, every: int) -> np.ndarray:
    """The frames whose window the model runs on: the first full window, then every `every` frames
    (StreamingDetector.push's rule)."""
    return np.arange(window_frames - 1, frame_count, every, dtype=np.int64)


def stream_scores(
    model: TflmModel,
    labels: Sequence[str],
    features: FeatureSettings,
    recognizer: RecognizerSettings,
    stream: EvalStream,
    cancel: CancelToken | None = None,
) -> StreamScores:
    """Run a stream through the live detection path (as a freshly booted board) and keep every
    inference's scores: see `score_streams`."""
    from core.model.tflm_pool import TflmPool

    with TflmPool(model, 1, cancel) as pool:
        ends, handle = _start(pool, features, recognizer, stream, cancel)
        return recognized(labels, features, recognizer, stream, ends, handle.result())


def _start(
    pool: TflmPool,
    features: FeatureSettings,
    recognizer: RecognizerSettings,
    stream: EvalStream,
    cancel: CancelToken | None,
    cache_dir: Path | None = None,
) -> tuple[np.ndarray, ScoresHandle]:
    """The stream's frames, and its windows handed to the pool: (inference frame indices, scores to come)."""
    from core.live.recognize import check_cadence

    check_cadence(recognizer, features.stride_ms)  # as StreamingDetector refuses it
    frames = stream_frames(stream, features, cancel, cache_dir)
    ends = inference_ends(len(frames), features.frames, recognizer.inference_every_frames)
    return ends, pool.submit(frames, ends)


def recognized(
    labels: Sequence[str],
    features: FeatureSettings,
    recognizer: RecognizerSettings,
    stream: EvalStream,
    ends: np.ndarray,
    scores: np.ndarray,
) -> StreamScores:
    """The scores' times and the live recognizer's detections on them, as StreamingDetector takes them."""
    from core.live.recognize import RecognizeCommands

    times = ends * features.stride_ms + features.window_ms
    scores = np.asarray(scores, np.int32).reshape(-1, len(labels))
    live = RecognizeCommands(list(labels), recognizer)
    found = []
    for t, row in zip(times.tolist(), scores.tolist(), strict=True):
        decision = live.process(row, t)
        if decision is not None and decision.reportable:
            found.append((t / 1000, decision.label))
    return StreamScores(stream, times.astype(np.int64), scores, found)


@dataclass(frozen=True)
class Decisions:
    """Every decision RecognizeCommands makes on a stream's scores, in time order."""

    times_ms: np.ndarray  # int64
    index: np.ndarray  # int64: the top label
    score: np.ndarray  # int64: its averaged score, 0-255

    def tuples(self) -> list[tuple[int, int, int]]:
        return list(zip(self.times_ms.tolist(), self.index.tolist(), self.score.tolist(), strict=True))


def decisions_of(settings: RecognizerSettings, times_ms: np.ndarray, scores: np.ndarray) -> Decisions:
    """RecognizeCommands' decisions (without a queue capacity) on all inferences at once: the queue at
    an inference holds the results no older than `average_window_ms` (times only grow, so it is the
    results since the first one that new), a decision needs `minimum_count` of them spanning at least
    a quarter of the window, and its score is each label's floored mean, the first highest one winning.
    A test checks it against RecognizeCommands itself."""
    times = np.asarray(times_ms, np.int64).reshape(-1)
    values = np.asarray(scores, np.int64).reshape(len(times), -1)
    if len(times) and np.any(np.diff(times) < 0):
        raise ValueError("inference times must not go backwards")
    window = settings.average_window_ms
    first = np.searchsorted(times, times - window, side="left")
    last = np.arange(len(times))
    count = last - first + 1
    decided = (count >= settings.minimum_count) & (times - times[first] >= window // 4)
    sums = np.concatenate([np.zeros((1, values.shape[1]), np.int64), np.cumsum(values, axis=0)])
    first, last, count = first[decided], last[decided], count[decided]
    means = (sums[last + 1] - sums[first]) // count[:, None]
    top = np.argmax(means, axis=1) if len(means) else np.zeros(0, np.int64)
    return Decisions(times[decided], top.astype(np.int64), means[np.arange(len(top)), top])


def averaged_decisions(
    labels: Sequence[str], settings: RecognizerSettings, times_ms: np.ndarray, scores: np.ndarray
) -> list[tuple[int, int, int]]:
    """(time_ms, top label index, averaged score) of every decision RecognizeCommands makes; they do not
    depend on the threshold or suppression (only which decisions are *new* does)."""
    return decisions_of(settings, times_ms, scores).tuples()


def new_detections(
    decisions: Decisions | Sequence[tuple[int, int, int]],
    labels: Sequence[str],
    threshold: int,
    suppression_ms: int,
) -> list[tuple[float, str]]:
    """The reportable detections among `decisions` at `threshold`: RecognizeCommands' rule for a new
    command (above the threshold, and another label than the last new one or past its suppression;
    no suppression after `_silence_`).

    Taken over the decisions above the threshold, that rule says: the first decision of every run of
    one label is new (its label differs from the run before, whose first decision was new), later ones
    in the run only when more than `suppression_ms` after the run's last new one (always for label 0).
    So only the keyword runs need a look one by one."""
    if not isinstance(decisions, Decisions):
        rows = np.asarray(list(decisions), np.int64).reshape(-1, 3)
        decisions = Decisions(rows[:, 0], rows[:, 1], rows[:, 2])
    above = decisions.score > threshold
    times, index = decisions.times_ms[above], decisions.index[above]
    if not len(times):
        return []
    run = np.cumsum(np.concatenate([[True], index[1:] != index[:-1]]))
    is_word = np.array([not label.startswith("_") for label in labels])
    found: list[tuple[float, str]] = []
    current, last_new = -1, 0
    for pos in np.flatnonzero(is_word[index]).tolist():
        time_ms = int(times[pos])
        if run[pos] != current:
            current, last_new = run[pos], time_ms
        elif time_ms - last_new > suppression_ms:
            last_new = time_ms
        else:
            continue
        found.append((time_ms / 1000, labels[int(index[pos])]))
    return found


def replay(
    labels: Sequence[str], settings: RecognizerSettings, scored: StreamScores
) -> list[tuple[float, str]]:
    """The detections the live path would report on this stream with other recognizer settings (same
    inference cadence)."""
    decisions = decisions_of(settings, scored.times_ms, scored.scores)
    return new_detections(decisions, labels, settings.detection_threshold, settings.suppression_ms)


@dataclass
class _Count:
    keywords: dict[str, int]
    weights: dict[str, float]
    missed: dict[str, int]
    missed_weight: dict[str, float]
    false_accepts: dict[str, int]
    wrong: int = 0


def match(stream: EvalStream, detections: Sequence[tuple[float, str]], count: _Count) -> None:
    """Add a stream's hits, misses and false accepts to `count`."""
    if stream.negative:
        for _, word in detections:
            count.false_accepts[word] = count.false_accepts.get(word, 0) + 1
        return
    claimed = [False] * len(stream.keywords)
    events = stream.keywords
    j = 0  # detections and events are both in time order
    for time_s, word in detections:
        while j < len(events) and events[j].end_s + LATE_S < time_s:
            j += 1
        hit = False
        for i in range(j, len(events)):
            e = events[i]
            if e.start_s > time_s:
                break
            if not claimed[i] and e.word == word:
                claimed[i] = hit = True
                break
        if not hit:
            count.wrong += 1
    for e, hit in zip(events, claimed, strict=True):
        count.keywords[e.word] = count.keywords.get(e.word, 0) + 1
        count.weights[e.word] = count.weights.get(e.word, 0.0) + e.weight
        if not hit:
            count.missed[e.word] = count.missed.get(e.word, 0) + 1
            count.missed_weight[e.word] = count.missed_weight.get(e.word, 0.0) + e.weight


def metrics_for(
    words: Sequence[str],
    streams: Sequence[StreamScores],
    settings: RecognizerSettings,
    detections: Sequence[Sequence[tuple[float, str]]],
) -> StreamMetrics:
    """Metrics of `detections` (one list per stream) at recognizer `settings`."""
    count = _Count({}, {}, {}, {}, {})
    for scored, found in zip(streams, detections, strict=True):
        match(scored.stream, found, count)
    negative_hours = sum(s.stream.duration_s for s in streams if s.stream.negative) / 3600
    keyword_hours = sum(s.stream.duration_s for s in streams if not s.stream.negative) / 3600
    per_word = []
    for w in words:
        n = count.keywords.get(w, 0)
        weight = count.weights.get(w, 0.0)
        fa = count.false_accepts.get(w, 0)
        per_word.append(
            WordMetrics(
                w,
                n,
                count.missed.get(w, 0),
                count.missed_weight.get(w, 0.0) / weight if weight else None,
                fa,
                fa / negative_hours if negative_hours else None,
            )
        )
    frrs = [m.frr for m in per_word if m.frr is not None]
    total_fa = sum(count.false_accepts.values())
    return StreamMetrics(
        words=per_word,
        frr=float(np.mean(frrs)) if frrs else None,
        fa_per_hour=total_fa / negative_hours if negative_hours else None,
        fa_per_hour_upper95=poisson_upper95(total_fa) / negative_hours if negative_hours else None,
        false_accepts=total_fa,
        keyword_clips=sum(count.keywords.values()),
        wrong_in_keyword_streams=count.wrong,
        keyword_hours=round(keyword_hours, 4),
        negative_hours=round(negative_hours, 4),
        recognizer={
            "average_window_ms": settings.average_window_ms,
            "detection_threshold": settings.detection_threshold,
            "suppression_ms": settings.suppression_ms,
            "minimum_count": settings.minimum_count,
            "inference_every_frames": settings.inference_every_frames,
        },
    )


def poisson_upper95(k: int) -> float:
    """One-sided 95 % upper bound of a Poisson mean after seeing `k` events (3.0 for k = 0)."""
    if k == 0:
        return -math.log(0.05)
    # Wilson-Hilferty approximation of the chi-square quantile, (chi2(0.95, 2k+2)) / 2.
    dof = 2 * k + 2
    z = 1.6448536
    return dof * (1 - 2 / (9 * dof) + z * math.sqrt(2 / (9 * dof))) ** 3 / 2


def score_streams(
    run: Any,
    streams: Sequence[EvalStream],
    model: Any = None,
    on_event: EventCallback = ignore_events,
    cancel: CancelToken | None = None,
    workers: int | None = None,
    cache_dir: Path | None = None,
) -> list[StreamScores]:
    """Every stream through the run's live detection path (its exported int8 model, its recognizer).

    It is StreamingDetector's path taken stage by stage: each stream's frames from a fresh streaming
    frontend (carried state), the model in TFLM on the window ending at every `inference_every_frames`-th
    frame once the first window is full, RecognizeCommands on those scores in time order (a test checks
    the scores, times and detections equal StreamingDetector's). The model's windows are independent of
    each other, so they are scored on `workers` cores (default: all, at most 2) while this process
    computes the next stream's frames (read from `cache_dir` when that audio went through the same
    frontend before)."""
    from core.live.detector import load_run_model
    from core.model.tflm_pool import MIN_POOL_WINDOWS, TflmPool, default_workers

    if model is None:
        run, model = load_run_model(run)
    config = run.config
    features, recognizer = config.features, config.recognizer
    total = sum(s.duration_s for s in streams)
    frames_total = sum(len(s.audio) for s in streams) / features.stride_samples
    if workers is None:
        workers = default_workers()
    if frames_total / recognizer.inference_every_frames < MIN_POOL_WINDOWS:
        workers = 1
    on_event(Progress("stream", 0, round(total, 1), "seconds of audio"))
    with TflmPool(model, workers, cancel) as pool:
        started = []
        for s in streams:
            ends, handle = _start(pool, features, recognizer, s, cancel, cache_dir)
            started.append((s, ends, handle))
        out = []
        done = 0.0
        for s, ends, handle in started:
            out.append(recognized(run.labels, features, recognizer, s, ends, handle.result()))
            done += s.duration_s
            on_event(Progress("stream", round(done, 1), round(total, 1), s.name))
    return out


def streams_cache(run: Any) -> Path:
    """Where a run's project keeps its streams' frames (core.features.stream_cache)."""
    from core.features.stream_cache import STREAMS_DIR

    return Path(run.project_dir) / STREAMS_DIR


@dataclass
class StreamEvalResult:
    """`wakebench eval --stream`: the metrics at the run's own recognizer settings."""

    run_dir: str
    source: str
    metrics: StreamMetrics
    streams: list[dict[str, Any]]

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_dir": self.run_dir,
            "source": self.source,
            **self.metrics.to_dict(),
            "streams": self.streams,
        }


def evaluate_stream(
    run: Any,
    data_dir: str | Path | None = None,
    negatives: Sequence[str | Path] = (),
    seed: int = 0,
    on_event: EventCallback = ignore_events,
    cancel: CancelToken | None = None,
) -> StreamEvalResult:
    """FRR per word and FA/h of an exported run: on `data_dir` (Speech Commands layout, every clip), or
    by default on the testing split of the run's own dataset (speakers it never trained on), plus the
    `negatives` WAVs, through the live detection path at the run's recognizer settings."""
    from core.events import Done
    from core.live.detector import load_run_model

    run, model = load_run_model(run)
    words = run.config.words
    if data_dir is not None:
        clips, background = folder_clips(data_dir, run.labels)
        source = str(data_dir)
    else:
        clips, background = split_clips(run, "testing")
        source = f"testing split of {run.project_dir}"
    on_event(Log(f"streams from {source}: {len(clips)} clips, {len(negatives)} negative WAV file(s)"))
    streams = build_streams(clips, background, words, negatives, seed=seed)
    scored = score_streams(run, streams, model, on_event, cancel, cache_dir=streams_cache(run))
    metrics = metrics_for(words, scored, run.config.recognizer, [s.detections for s in scored])
    result = StreamEvalResult(
        str(run.path),
        source,
        metrics,
        [
            {"name": s.stream.name, "seconds": round(s.stream.duration_s, 1), "negative": s.stream.negative}
            for s in scored
        ],
    )
    on_event(Done(result.to_dict()))
    return result
