"""Synthetic keyword datasets: the embedded default source, made offline by a speech synthesiser.

`synthesize_dataset` writes the Speech Commands layout:
    <out>/<word>/<speaker>_nohash_<n>.wav     keyword clips (1 s, 16 kHz mono 16-bit, word centred)
    <out>/<other word>/...                    the pool `_unknown_` is drawn from
    <out>/_background_noise_/*.wav            generated noise for augmentation
    <out>/synth.json                          what was made, so a re-run only makes what is missing

Speakers are (voice, variant, pitch, speed) combinations; every speaker says every word a few times
with small prosody changes, and the speaker id comes before `_nohash_`, so the dataset index splits by
speaker. Every clip is fully described by a job planned from the seed, so a seed gives the same files
whether one process renders them or many.
"""

from __future__ import annotations

import json
import math
import multiprocessing
import os
import random
import shutil
import signal
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import asdict, dataclass, field, replace
from multiprocessing.synchronize import Event as EventType
from pathlib import Path
from typing import Any

import numpy as np

from core.audio.files import wav_bytes_int16
from core.audio.samples import SAMPLE_RATE, fit_clip, to_int16
from core.config import BACKGROUND_NOISE_DIR
from core.data import word_folder
from core.data.noise import make_hum, make_noise, make_rumble
from core.data.synth_backends import Speaker, get_backend
from core.errors import DataError
from core.events import CancelToken, Done, EventCallback, Progress, ignore_events
from core.fileio import write_json_atomic

MANIFEST = "synth.json"
MANIFEST_FORMAT = 1

# The 35 words of Google Speech Commands v0.02.
SPEECH_COMMANDS_WORDS = (
    "yes", "no", "up", "down", "left", "right", "on", "off", "stop", "go", "zero", "one", "two", "three", "four",
    "five", "six", "seven", "eight", "nine", "bed", "bird", "cat", "dog", "happy", "house", "marvin", "sheila",
    "tree", "wow", "backward", "forward", "follow", "learn", "visual",
)  # fmt: skip
# Everyday words, including near-rhymes of common keywords, so `_unknown_` teaches what is *not* a keyword.
COMMON_WORDS = (
    "hello", "okay", "please", "thanks", "sorry", "water", "music", "light", "table", "window", "computer",
    "phone", "morning", "evening", "today", "later", "maybe", "never", "again", "start", "open", "close",
    "play", "pause", "next", "back", "top", "shop", "spot", "stock", "dot", "goal", "ghost", "show", "toe",
    "hey", "bench", "set", "seat", "bus", "coffee", "weather", "kitchen", "garden", "yellow", "number",
)  # fmt: skip
DEFAULT_UNKNOWN_WORDS = SPEECH_COMMANDS_WORDS + COMMON_WORDS

# Background noise files: (name, kind, seconds); 6 minutes in all.
BACKGROUND_RECIPE = (
    ("white_noise", "white", 60),
    ("pink_noise", "pink", 60),
    ("brown_noise", "brown", 60),
    ("blue_noise", "blue", 60),
    ("violet_noise", "violet", 60),
    ("hum", "hum", 30),
    ("rumble", "rumble", 30),
)

CLIP_SAMPLES = SAMPLE_RATE  # 1 s clips
MAX_WORD_SAMPLES = int(0.9 * CLIP_SAMPLES)  # longer words are re-spoken faster so they fit with a margin
CHUNK = 40  # clips per task handed to a worker process


@dataclass(frozen=True)
class ClipJob:
    """Everything needed to render one clip, planned in the parent from the seed."""

    path: str  # relative to the output folder
    text: str
    speaker: Speaker
    peak: float


@dataclass
class SynthSummary:
    """What `synthesize_dataset` made (or found already made)."""

    out_dir: str
    backend: str
    seed: int
    speakers: int
    keyword_clips: dict[str, int]
    unknown_words: list[str]
    unknown_clips: int
    background_seconds: float
    rendered_clips: int
    reused_folders: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def default_speaker_count(per_word: int) -> int:
    """Speakers to sample: about five clips per speaker, never fewer than 50."""
    return max(50, math.ceil(per_word / 5))


def synthesize_dataset(
    words: Sequence[str],
    out_dir: str | Path,
    per_word: int = 600,
    seed: int = 0,
    on_event: EventCallback = ignore_events,
    cancel: CancelToken | None = None,
    *,
    backend: str = "espeak",
    speakers: int | None = None,
    unknown_words: Sequence[str] | None = None,
    unknown_per_word: int | None = None,
    background: bool = True,
    workers: int | None = None,
) -> SynthSummary:
    """Write a synthetic dataset for `words` into `out_dir` (see the module docstring for the layout).

    Folders already made with the same recipe are kept; a folder that is not a synthetic dataset is
    refused rather than written into. `workers` processes render clips (default: one per CPU).
    """
    start = time.monotonic()
    out = Path(out_dir)
    if per_word < 1:
        raise DataError(f"--per-word must be at least 1, got {per_word}")
    if not words:
        raise DataError("no words to synthesise", "give words, e.g. --words stop,go")
    manifest = _load_manifest(out)
    engine = get_backend(backend)  # fails early, with a clear error, if the engine is missing
    n_speakers = speakers or default_speaker_count(per_word)
    voices = engine.sample_speakers(n_speakers, random.Random(f"{seed}:speakers:{backend}"))

    keyword_folders = {word_folder(w): w for w in words}
    unknown = [w for w in (unknown_words or DEFAULT_UNKNOWN_WORDS) if word_folder(w) not in keyword_folders]
    unknown = list(dict.fromkeys(unknown))
    per_unknown = unknown_per_word or max(20, per_word // 20)
    plan = {folder: (w, per_word) for folder, w in keyword_folders.items()}
    plan.update({word_folder(w): (w, per_unknown) for w in unknown})

    recipe = {"format": MANIFEST_FORMAT, "backend": backend, "seed": seed, "speakers": len(voices)}
    folders = manifest.setdefault("folders", {})
    todo: dict[str, list[ClipJob]] = {}
    reused = []
    for folder, (text, count) in plan.items():
        wanted = {**recipe, "text": text, "clips": count}
        if folders.get(folder) == wanted and _complete(out / folder, count):
            reused.append(folder)
            continue
        if folder in folders and (out / folder).exists():
            shutil.rmtree(out / folder)  # our own folder made with another recipe
        folders.pop(folder, None)
        todo[folder] = _plan_folder(folder, text, count, voices, seed)
    out.mkdir(parents=True, exist_ok=True)
    _save_manifest(out, manifest)

    bg_recipe = {**recipe, "files": [list(r) for r in BACKGROUND_RECIPE]}
    make_background = background and manifest.get("background") != bg_recipe
    if make_background:
        manifest.pop("background", None)
    total = sum(len(j) for j in todo.values()) + (len(BACKGROUND_RECIPE) if make_background else 0)
    on_event(Progress("synth", 0, total, f"{len(voices)} speakers, {len(plan)} words"))

    done = 0

    def folder_done(folder: str) -> None:
        text, count = plan[folder]
        folders[folder] = {**recipe, "text": text, "clips": count}
        _save_manifest(out, manifest)

    remaining = {folder: len(jobs) for folder, jobs in todo.items()}
    tasks: list[tuple[str, list[ClipJob]]] = [
        (folder, jobs[i : i + CHUNK]) for folder, jobs in todo.items() for i in range(0, len(jobs), CHUNK)
    ]
    for folder, count in remaining.items():
        if count == 0:
            folder_done(folder)
    for finished_folder, n in _run(tasks, make_background, out, backend, seed, workers, cancel):
        done += n
        if finished_folder == BACKGROUND_NOISE_DIR:
            manifest["background"] = bg_recipe
            _save_manifest(out, manifest)
        else:
            remaining[finished_folder] -= n
            if remaining[finished_folder] == 0:
                folder_done(finished_folder)
        on_event(Progress("synth", done, total, finished_folder))

    summary = SynthSummary(
        out_dir=str(out),
        backend=backend,
        seed=seed,
        speakers=len(voices),
        keyword_clips={w: per_word for w in words},
        unknown_words=unknown,
        unknown_clips=per_unknown * len(unknown),
        background_seconds=float(sum(s for _, _, s in BACKGROUND_RECIPE)) if background else 0.0,
        rendered_clips=done,
        reused_folders=sorted(reused),
        seconds=round(time.monotonic() - start, 2),
    )
    on_event(Done(summary.to_dict()))
    return summary


def _plan_folder(folder: str, text: str, count: int, voices: list[Speaker], seed: int) -> list[ClipJob]:
    """The clips of one word: speaker n says it for the (n // len(voices))-th time, with small prosody changes."""
    rng = random.Random(f"{seed}:{folder}")
    offset = rng.randrange(len(voices))  # so small sets of different words use different speakers
    jobs = []
    for n in range(count):
        base = voices[(n + offset) % len(voices)]
        take = n // len(voices)
        spoken = replace(
            base,
            pitch=int(np.clip(base.pitch + rng.randint(-6, 6), 0, 99)),
            speed=int(np.clip(base.speed * rng.uniform(0.88, 1.12), 80, 450)),
            pitch_range=int(np.clip(base.pitch_range + rng.randint(-15, 15), 0, 99)),
        )
        # Punctuation changes espeak's intonation: statement, exclamation, question.
        punctuation = rng.choices(["", ".", "!", "?"], weights=[4, 2, 2, 1])[0]
        jobs.append(
            ClipJob(
                f"{folder}/{base.id}_nohash_{take}.wav", text + punctuation, spoken, rng.uniform(0.3, 0.95)
            )
        )
    return jobs


def _run(
    tasks: list[tuple[str, list[ClipJob]]],
    make_background: bool,
    out: Path,
    backend: str,
    seed: int,
    workers: int | None,
    cancel: CancelToken | None,
) -> Iterator[tuple[str, int]]:
    """Render tasks, yielding (folder, clips done) as they finish; in-process when workers == 1."""
    workers = workers or os.cpu_count() or 1
    if workers <= 1 or len(tasks) <= 1:
        if make_background:
            _check(cancel)
            yield BACKGROUND_NOISE_DIR, render_background(out, seed)
        for folder, jobs in tasks:
            _check(cancel)
            yield folder, render_clips(backend, str(out), jobs)
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
                pending[pool.submit(render_clips, backend, str(out), jobs)] = folder
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


def render_clips(backend_name: str, out_dir: str, jobs: list[ClipJob]) -> int:
    """Speak and write `jobs` (runs in a worker process); returns how many clips were written."""
    backend = get_backend(backend_name)
    backend.reset()  # a task's clips depend only on the task, not on what this process spoke before
    written = 0
    for job in jobs:
        if _stop is not None and _stop.is_set():
            break  # cancelled: every clip written so far is whole; a re-run makes the rest
        speaker = job.speaker
        audio = trim_silence(backend.speak(job.text, speaker))
        for _ in range(3):
            if len(audio) <= MAX_WORD_SAMPLES or speaker.speed >= 450:
                break
            speaker = replace(
                speaker, speed=min(450, math.ceil(speaker.speed * len(audio) / MAX_WORD_SAMPLES * 1.05))
            )
            audio = trim_silence(backend.speak(job.text, speaker))
        audio = fit_clip(
            audio, CLIP_SAMPLES
        )  # centres the word; crops only a phrase too long even at top speed
        peak = float(np.max(np.abs(audio)))
        if peak > 0:
            audio = audio * (job.peak / peak)
        _write_clip(Path(out_dir) / job.path, audio)
        written += 1
    return written


def render_background(out_dir: str | Path, seed: int) -> int:
    """Write the generated background noise files; returns how many."""
    rng = np.random.default_rng(abs(hash_seed(f"{seed}:background")))
    folder = Path(out_dir) / BACKGROUND_NOISE_DIR
    for name, kind, seconds in BACKGROUND_RECIPE:
        samples = seconds * SAMPLE_RATE
        if kind == "hum":
            audio = make_hum(samples, rng)
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
