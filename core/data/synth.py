"""Synthetic keyword datasets: the embedded default source, made offline by several speech synthesisers.

`synthesize_dataset` writes the Speech Commands layout:
    <out>/<word>/<speaker>_nohash_<n>.wav     keyword clips (1 s, 16 kHz mono 16-bit), some inside a
                                              short carrier phrase ("hey stop", "stop now")
    <out>/<other word>/...                    the pool `_unknown_` is drawn from (some in carriers too)
    <out>/_unknown_/...                       always-negative clips: words that sound like a keyword,
                                              partial keywords, and everyday sentences cut into 1 s windows
    <out>/_background_noise_/*.wav            generated noise and music-like signals for augmentation
    <out>/synth.json                          what was made, so a re-run only makes what is missing

Speakers are (engine, voice, variant, pitch, speed, formant shift) combinations drawn from several
engines (`DEFAULT_ENGINES`; `HELD_OUT_ENGINE` is never in the default). Every speaker says every word a
few times with small prosody changes, and the speaker id comes before `_nohash_`, so the dataset index
splits by speaker. Every clip is fully described by a job planned from the seed, so a seed gives the
same files whether one process renders them or many.
"""

from __future__ import annotations

import hashlib
import json
import math
import multiprocessing
import os
import random
import shutil
import signal
import sys
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import asdict, dataclass, field, replace
from multiprocessing.synchronize import Event as EventType
from pathlib import Path
from typing import Any

import numpy as np

from core.audio.files import wav_bytes_int16
from core.audio.samples import SAMPLE_RATE, fit_clip, to_int16
from core.config import BACKGROUND_NOISE_DIR, UNKNOWN_LABEL
from core.data import word_folder
from core.data.noise import make_hum, make_music, make_noise, make_rumble
from core.data.synth_backends import DEFAULT_ENGINES, Speaker, SpeechBackend, get_backend
from core.data.synth_texts import (
    CARRIERS,
    DEFAULT_UNKNOWN_WORDS,
    SENTENCES,
    SPEECH_COMMANDS_WORDS,  # noqa: F401 - re-exported: callers and tests import the word lists from here
    confusables_of,
    sentences_without,
)
from core.errors import DataError
from core.events import CancelToken, Done, EventCallback, Progress, ignore_events
from core.fileio import write_json_atomic

MANIFEST = "synth.json"
MANIFEST_FORMAT = (
    2  # 2: several engines, carriers, _unknown_/ negatives; folders keyed by a digest of their jobs
)

# Background noise files: (name, kind, seconds); 8 minutes in all.
BACKGROUND_RECIPE = (
    ("white_noise", "white", 60),
    ("pink_noise", "pink", 60),
    ("brown_noise", "brown", 60),
    ("blue_noise", "blue", 60),
    ("violet_noise", "violet", 60),
    ("hum", "hum", 30),
    ("rumble", "rumble", 30),
    ("music_a", "music", 60),
    ("music_b", "music", 60),
)

CLIP_SAMPLES = SAMPLE_RATE  # 1 s clips
MAX_WORD_SAMPLES = int(0.9 * CLIP_SAMPLES)  # longer words are re-spoken faster so they fit with a margin
WINDOW_HOP = CLIP_SAMPLES // 2  # sentence windows overlap by half
CHUNK = 40  # clips per task handed to a worker process
CARRIER_SHARE = 0.3  # share of keyword (and other-word) clips said inside a carrier phrase
SENTENCE_SPEAKERS = 8  # speakers saying each everyday sentence


@dataclass(frozen=True)
class ClipJob:
    """Everything needed to render one clip (or, with `windows`, one sentence cut into 1 s windows),
    planned in the parent from the seed."""

    path: str  # relative to the output folder; with windows, the prefix of `<path>_<k>.wav`
    text: str
    speaker: Speaker
    peak: float
    kind: str = "keyword"  # keyword, carrier, word, confusable, sentence: for the summary's counts
    windows: int = 0  # 0: one clip, the utterance centred; n: up to n windows of a longer utterance
    offset: float = 0.0  # where the first window starts, as a share of one hop


@dataclass
class SynthSummary:
    """What `synthesize_dataset` made (or found already made)."""

    out_dir: str
    engines: list[str]
    seed: int
    speakers: int
    keyword_clips: dict[str, int]
    unknown_words: list[str]
    unknown_clips: int
    background_seconds: float
    rendered_clips: int
    speakers_per_engine: dict[str, int] = field(default_factory=dict)
    planned: dict[str, dict[str, int]] = field(default_factory=dict)  # engine -> kind -> jobs
    negative_jobs: int = 0  # confusable/partial clips and sentences (each sentence gives several windows)
    reused_folders: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def default_speaker_count(per_word: int) -> int:
    """Speakers to sample: about three clips per speaker, never fewer than 50."""
    return max(50, math.ceil(per_word / 3))


def engine_speakers(engines: Sequence[str], count: int, seed: int) -> list[Speaker]:
    """`count` speakers shared among `engines` (by their DEFAULT_ENGINES weight, else equally), in a
    seeded interleaved order so that any run of consecutive speakers mixes the engines."""
    weights = {e: DEFAULT_ENGINES.get(e, 1.0 / len(engines)) for e in engines}
    total = sum(weights.values())
    exact = {e: count * weights[e] / total for e in engines}
    counts = {e: int(exact[e]) for e in engines}
    for e in sorted(engines, key=lambda e: counts[e] - exact[e])[: count - sum(counts.values())]:
        counts[e] += 1  # largest remainders first, so the counts add up to `count`
    speakers: list[Speaker] = []
    for engine in engines:
        backend = get_backend(engine)  # fails early, with a clear error, if the engine is missing
        n = max(1, counts[engine])
        drawn = backend.sample_speakers(n, random.Random(f"{seed}:speakers:{engine}"))
        speakers += [replace(s, engine=engine) for s in drawn]
    random.Random(f"{seed}:speaker-order").shuffle(speakers)
    return speakers


def synthesize_dataset(
    words: Sequence[str],
    out_dir: str | Path,
    per_word: int = 600,
    seed: int = 0,
    on_event: EventCallback = ignore_events,
    cancel: CancelToken | None = None,
    *,
    engines: Sequence[str] | None = None,
    speakers: int | None = None,
    unknown_words: Sequence[str] | None = None,
    unknown_per_word: int | None = None,
    background: bool = True,
    negatives: bool = True,
    carriers: bool = True,
    sentences: Sequence[str] | None = None,
    sentence_takes: int = SENTENCE_SPEAKERS,
    workers: int | None = None,
) -> SynthSummary:
    """Write a synthetic dataset for `words` into `out_dir` (see the module docstring for the layout).

    `engines` are speech backends (default: DEFAULT_ENGINES). `negatives` makes `_unknown_/`
    (confusables, partial keywords, and `sentences` (default: synth_texts.SENTENCES) said by
    `sentence_takes` speakers each, cut into windows); `carriers` says a share of the clips inside short
    phrases. Folders already made with the same recipe are kept; a folder that is not a synthetic
    dataset is refused rather than written into. `workers` processes render clips (default: one per CPU).
    """
    start = time.monotonic()
    out = Path(out_dir)
    if per_word < 1:
        raise DataError(f"--per-word must be at least 1, got {per_word}")
    if not words:
        raise DataError("no words to synthesise", "give words, e.g. --words stop,go")
    engines = list(dict.fromkeys(engines or DEFAULT_ENGINES))
    manifest = _load_manifest(out)
    voices = engine_speakers(engines, speakers or default_speaker_count(per_word), seed)

    keyword_folders = {word_folder(w): w for w in words}
    unknown = [w for w in (unknown_words or DEFAULT_UNKNOWN_WORDS) if word_folder(w) not in keyword_folders]
    unknown = list(dict.fromkeys(unknown))
    per_unknown = unknown_per_word or max(20, per_word // 20)
    share = CARRIER_SHARE if carriers else 0.0
    plan: dict[str, list[ClipJob]] = {}
    for folder, w in keyword_folders.items():
        plan[folder] = _plan_folder(folder, w, per_word, voices, seed, carrier_share=share)
    for w in unknown:
        plan[word_folder(w)] = _plan_folder(
            word_folder(w), w, per_unknown, voices, seed, carrier_share=share, kind="word"
        )
    if negatives:
        plan[UNKNOWN_LABEL] = _plan_negatives(
            list(words),
            per_unknown,
            voices,
            seed,
            SENTENCES if sentences is None else sentences,
            sentence_takes,
        )

    folders = manifest.setdefault("folders", {})
    todo: dict[str, list[ClipJob]] = {}
    reused = []
    for folder, jobs in plan.items():
        wanted = _digest(jobs)
        if folders.get(folder) == wanted and _complete(out / folder, sum(1 for j in jobs if not j.windows)):
            reused.append(folder)
            continue
        if folder in folders and (out / folder).exists():
            shutil.rmtree(out / folder)  # our own folder made with another recipe
        folders.pop(folder, None)
        todo[folder] = jobs
    out.mkdir(parents=True, exist_ok=True)
    _save_manifest(out, manifest)

    bg_recipe = {"seed": seed, "files": [list(r) for r in BACKGROUND_RECIPE]}
    make_background = background and manifest.get("background") != bg_recipe
    if make_background:
        manifest.pop("background", None)
    total = sum(len(j) for j in todo.values()) + (len(BACKGROUND_RECIPE) if make_background else 0)
    on_event(
        Progress("synth", 0, total, f"{len(voices)} speakers of {', '.join(engines)}, {len(plan)} folders")
    )

    done = 0

    def folder_done(folder: str) -> None:
        folders[folder] = _digest(plan[folder])
        _save_manifest(out, manifest)

    remaining = {folder: len(jobs) for folder, jobs in todo.items()}
    tasks: list[tuple[str, list[ClipJob]]] = [
        (folder, jobs[i : i + CHUNK]) for folder, jobs in todo.items() for i in range(0, len(jobs), CHUNK)
    ]
    for folder, count in remaining.items():
        if count == 0:
            folder_done(folder)
    for finished_folder, n in _run(tasks, make_background, out, seed, workers, cancel):
        done += n
        if finished_folder == BACKGROUND_NOISE_DIR:
            manifest["background"] = bg_recipe
            _save_manifest(out, manifest)
        else:
            remaining[finished_folder] -= n
            if remaining[finished_folder] == 0:
                folder_done(finished_folder)
        on_event(Progress("synth", done, total, finished_folder))

    planned: dict[str, Counter[str]] = {}
    for jobs in plan.values():
        for job in jobs:
            planned.setdefault(job.speaker.engine, Counter())[job.kind] += 1
    summary = SynthSummary(
        out_dir=str(out),
        engines=engines,
        seed=seed,
        speakers=len(voices),
        keyword_clips={w: per_word for w in words},
        unknown_words=unknown,
        unknown_clips=per_unknown * len(unknown),
        background_seconds=float(sum(s for _, _, s in BACKGROUND_RECIPE)) if background else 0.0,
        rendered_clips=done,
        speakers_per_engine=dict(Counter(v.engine for v in voices)),
        planned={e: dict(c) for e, c in planned.items()},
        negative_jobs=len(plan.get(UNKNOWN_LABEL, [])),
        reused_folders=sorted(reused),
        seconds=round(time.monotonic() - start, 2),
    )
    on_event(Done(summary.to_dict()))
    return summary


def _digest(jobs: list[ClipJob]) -> str:
    """What a folder's recipe is: a digest of every job in it (text, speaker, loudness, windows)."""
    text = json.dumps([asdict(j) for j in jobs], sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def _jitter(base: Speaker, rng: random.Random) -> Speaker:
    """The same speaker on another take: small changes of pitch, speed and intonation."""
    return replace(
        base,
        pitch=int(np.clip(base.pitch + rng.randint(-6, 6), 0, 99)),
        speed=int(np.clip(base.speed * rng.uniform(0.88, 1.12), 80, 450)),
        pitch_range=int(np.clip(base.pitch_range + rng.randint(-15, 15), 0, 99)),
    )


def _plan_folder(
    folder: str,
    text: str,
    count: int,
    voices: list[Speaker],
    seed: int,
    *,
    carrier_share: float = 0.0,
    kind: str = "keyword",
) -> list[ClipJob]:
    """The clips of one word: speaker n says it for the (n // len(voices))-th time, with small prosody
    changes; a `carrier_share` of the clips says it inside a short phrase."""
    rng = random.Random(f"{seed}:{folder}")
    offset = rng.randrange(len(voices))  # so small sets of different words use different speakers
    jobs = []
    for n in range(count):
        base = voices[(n + offset) % len(voices)]
        take = n // len(voices)
        spoken = _jitter(base, rng)
        # Punctuation changes the engines' intonation: statement, exclamation, question.
        punctuation = rng.choices(["", ".", "!", "?"], weights=[4, 2, 2, 1])[0]
        said, clip_kind = text, kind
        if rng.random() < carrier_share:
            said, clip_kind = rng.choice(CARRIERS).format(text), "carrier" if kind == "keyword" else kind
        jobs.append(
            ClipJob(
                f"{folder}/{base.id}_nohash_{take}.wav",
                said + punctuation,
                spoken,
                rng.uniform(0.3, 0.95),
                kind=clip_kind,
            )
        )
    return jobs


def _plan_negatives(
    words: list[str],
    per_confusable: int,
    voices: list[Speaker],
    seed: int,
    sentences: Sequence[str],
    takes: int,
) -> list[ClipJob]:
    """`_unknown_/`: words that sound like a keyword and partial keywords, `per_confusable` clips each,
    and the `sentences` without any keyword, each said by `takes` speakers and cut into overlapping
    1 s windows (the negatives a detector meets in a stream)."""
    rng = random.Random(f"{seed}:{UNKNOWN_LABEL}")
    keywords = {word_folder(w) for w in words}
    jobs: list[ClipJob] = []
    confusables = [c for w in words for c in confusables_of(w) if word_folder(c) not in keywords]
    for c in dict.fromkeys(confusables):
        slug = word_folder(c)
        for n in range(per_confusable):
            base = voices[rng.randrange(len(voices))]
            punctuation = rng.choices(["", ".", "!", "?"], weights=[4, 2, 2, 1])[0]
            jobs.append(
                ClipJob(
                    f"{UNKNOWN_LABEL}/{base.id}_nohash_{slug}_{n}.wav",
                    c + punctuation,
                    _jitter(base, rng),
                    rng.uniform(0.3, 0.95),
                    kind="confusable",
                )
            )
    talkers = [v for v in voices if get_backend(v.engine).says_sentences] or voices
    for i, sentence in enumerate(sentences_without(words, sentences)):
        for k in range(takes):
            base = talkers[rng.randrange(len(talkers))]
            jobs.append(
                ClipJob(
                    f"{UNKNOWN_LABEL}/{base.id}_nohash_sentence{i}-{k}",
                    sentence,
                    _jitter(base, rng),
                    rng.uniform(0.3, 0.95),
                    kind="sentence",
                    windows=8,
                    offset=rng.random(),
                )
            )
    return jobs


def _run(
    tasks: list[tuple[str, list[ClipJob]]],
    make_background: bool,
    out: Path,
    seed: int,
    workers: int | None,
    cancel: CancelToken | None,
) -> Iterator[tuple[str, int]]:
    """Render tasks, yielding (folder, jobs done) as they finish; in-process when workers == 1."""
    workers = workers or os.cpu_count() or 1
    # SVOX Pico crashes (SIGSEGV) in a process that has loaded TensorFlow, whose libraries' global
    # symbols clash with Pico's: then even a single task with Pico is rendered in a clean spawned worker.
    uses_pico = any(job.speaker.engine == "pico" for _, jobs in tasks for job in jobs)
    if (workers <= 1 or len(tasks) <= 1) and not (uses_pico and "tensorflow" in sys.modules):
        if make_background:
            _check(cancel)
            yield BACKGROUND_NOISE_DIR, render_background(out, seed)
        for folder, jobs in tasks:
            _check(cancel)
            yield folder, render_clips(str(out), jobs)
        return
    # "spawn" keeps workers clean even when the parent has TensorFlow or Textual threads running.
    context = multiprocessing.get_context("spawn")
    # Ctrl-C is the parent's to handle (a terminal sends it to the workers too): the workers start with
    # it blocked and ignore it, and a cancel tells them to stop after the clip at hand.
    stop = context.Event()
    with ProcessPoolExecutor(
        max_workers=workers, mp_context=context, initializer=_init_worker, initargs=(stop,)
    ) as pool:
        pending: dict[Future[int], str] = {}
        blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})  # workers spawn in submit()
        try:
            if make_background:
                pending[pool.submit(render_background, out, seed)] = BACKGROUND_NOISE_DIR
            for folder, jobs in tasks:
                pending[pool.submit(render_clips, str(out), jobs)] = folder
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
        try:
            while pending:
                finished, _ = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
                _check(cancel)
                for future in finished:
                    folder = pending.pop(future)
                    yield folder, future.result()
        finally:
            stop.set()  # a worker still rendering returns after its current clip
            for future in pending:
                future.cancel()


def _check(cancel: CancelToken | None) -> None:
    if cancel is not None:
        cancel.raise_if_cancelled()


# --- worker side -----------------------------------------------------------------------------

_stop: EventType | None = None
"""Set by the parent when the job is cancelled (worker processes only)."""


def _init_worker(stop: EventType) -> None:
    global _stop
    _stop = stop
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def render_clips(out_dir: str, jobs: list[ClipJob]) -> int:
    """Speak and write `jobs` (runs in a worker process); returns how many jobs were done (a sentence
    job writes several windows)."""
    fresh: set[str] = set()
    done = 0
    for job in jobs:
        if _stop is not None and _stop.is_set():
            break  # cancelled: every clip written so far is whole; a re-run makes the rest
        backend = get_backend(job.speaker.engine)
        if job.speaker.engine not in fresh:
            backend.reset()  # a task's clips depend only on the task, not on what this process spoke before
            fresh.add(job.speaker.engine)
        speaker = job.speaker
        audio = _say(backend, job.text, speaker)
        if job.windows:
            _write_windows(Path(out_dir) / job.path, audio, job)
            done += 1
            continue
        for _ in range(3):
            if len(audio) <= MAX_WORD_SAMPLES or speaker.speed >= 450:
                break
            speaker = replace(
                speaker, speed=min(450, math.ceil(speaker.speed * len(audio) / MAX_WORD_SAMPLES * 1.05))
            )
            audio = _say(backend, job.text, speaker)
        audio = fit_clip(
            audio, CLIP_SAMPLES
        )  # centres the word; crops only a phrase too long even at top speed
        _write_clip(Path(out_dir) / job.path, _scaled(audio, job.peak))
        done += 1
    return done


def _say(backend: SpeechBackend, text: str, speaker: Speaker) -> np.ndarray:
    """`text` spoken by `speaker`, formants shifted as the speaker says, silence around it cut."""
    from core.data.voice_transform import shift_formants

    return trim_silence(shift_formants(backend.speak(text, speaker), speaker.formant))


def _write_windows(prefix: Path, audio: np.ndarray, job: ClipJob) -> int:
    """Cut an utterance into up to `job.windows` 1 s windows, half overlapping, from `job.offset` of a
    hop before its start (so words get cut at different places); windows too quiet to hold speech are
    skipped. Returns how many were written."""
    lead = int(job.offset * WINDOW_HOP)
    padded = np.concatenate([np.zeros(lead, np.float32), audio, np.zeros(WINDOW_HOP, np.float32)])
    peak = float(np.max(np.abs(audio))) if len(audio) else 0.0
    written = 0
    for k in range(job.windows):
        window = padded[k * WINDOW_HOP : k * WINDOW_HOP + CLIP_SAMPLES]
        if len(window) < CLIP_SAMPLES:
            break
        if peak == 0 or np.max(np.abs(window)) < 0.1 * peak:
            continue
        # One loudness for the whole utterance, so windows keep their quieter and louder parts.
        _write_clip(prefix.with_name(f"{prefix.name}_{k}.wav"), window * (job.peak / peak))
        written += 1
    return written


def _scaled(audio: np.ndarray, peak: float) -> np.ndarray:
    top = float(np.max(np.abs(audio)))
    return audio * (peak / top) if top > 0 else audio


def render_background(out_dir: str | Path, seed: int) -> int:
    """Write the generated background noise files; returns how many."""
    rng = np.random.default_rng(abs(hash_seed(f"{seed}:background")))
    folder = Path(out_dir) / BACKGROUND_NOISE_DIR
    for name, kind, seconds in BACKGROUND_RECIPE:
        samples = seconds * SAMPLE_RATE
        if kind == "hum":
            audio = make_hum(samples, rng)
        elif kind == "music":
            audio = make_music(samples, rng)
        elif kind == "rumble":
            audio = make_rumble(samples, rng)
        else:
            audio = make_noise(kind, samples, rng, peak=0.5)
        _write_clip(folder / f"{name}.wav", audio)
    return len(BACKGROUND_RECIPE)


def hash_seed(text: str) -> int:
    """A stable integer from text (Python's hash() changes between runs)."""
    return random.Random(text).getrandbits(63)


def trim_silence(audio: np.ndarray, threshold_db: float = -35.0, margin_s: float = 0.02) -> np.ndarray:
    """Cut leading and trailing silence: keep from the first to the last 10 ms frame within
    `threshold_db` of the loudest frame, plus a small margin."""
    frame = SAMPLE_RATE // 100
    n = len(audio) // frame
    if n == 0:
        return audio
    rms = np.sqrt(np.mean(audio[: n * frame].reshape(n, frame).astype(np.float64) ** 2, axis=1))
    loud = np.nonzero(rms >= rms.max() * 10 ** (threshold_db / 20))[0]
    margin = int(margin_s * SAMPLE_RATE)
    begin = max(0, loud[0] * frame - margin)
    end = min(len(audio), (loud[-1] + 1) * frame + margin)
    return audio[begin:end]


def _write_clip(path: Path, audio: np.ndarray) -> None:
    # Rename into place so no half-written clip is ever seen; no fsync per clip because the
    # whole set can be regenerated from its seed, and fsync of thousands of files is slow.
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(wav_bytes_int16(to_int16(audio), SAMPLE_RATE))
    os.replace(tmp, path)


# --- manifest --------------------------------------------------------------------------------


def _load_manifest(out: Path) -> dict[str, Any]:
    path = out / MANIFEST
    if path.is_file():
        try:
            manifest = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise DataError(
                f"{path}: unreadable ({exc})", f"delete {path} and the folder to rebuild it"
            ) from None
        if isinstance(manifest, dict) and manifest.get("format") == MANIFEST_FORMAT:
            return manifest
        raise DataError(f"{path}: not a synthetic dataset manifest of this wakebench version")
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise DataError(
            f"{out} already holds files and is not a synthetic dataset",
            "choose an empty or new folder with --out; wakebench never writes over data it did not make",
        )
    return {"format": MANIFEST_FORMAT, "folders": {}}


def _save_manifest(out: Path, manifest: dict[str, Any]) -> None:
    write_json_atomic(out / MANIFEST, manifest)


def _complete(folder: Path, count: int) -> bool:
    return folder.is_dir() and sum(1 for p in folder.glob("*_nohash_*.wav")) >= count


def read_manifest(out_dir: str | Path) -> dict[str, Any] | None:
    """The manifest of a synthetic dataset, or None if `out_dir` is not one."""
    path = Path(out_dir) / MANIFEST
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
