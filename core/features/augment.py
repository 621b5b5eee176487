"""Training-time audio augmentation: TF speech_commands' recipe plus what modern wake-word trainers add.

TF speech_commands (the seed's recipe, still the behaviour when the extra settings are off):
- time shift: each training clip moves by a random amount up to +/- `time_shift_ms`, padded with zeros;
- background noise: a random stretch of a random `_background_noise_` file is mixed into a share
  (`background_frequency`) of training clips at a random volume up to `background_volume`;
- silence: an all-zero clip plus background noise at a random volume up to 1 (in every split, so
  validation and test also contain realistic silence);
- the mix is clipped to [-1, 1].
Added (each off at 0 / empty), in the order a sound takes from mouth to recording:
- speed (`speed_probability`, `speed_range`): resampling changes tempo, pitch and formants together,
  the time-domain form of vocal-tract-length perturbation (VTLP);
- room reverberation (`reverb_probability`): convolution with a simulated room (core.features.rooms);
- cheap-microphone band-limiting/EQ (`eq_probability`): a random high-pass, low-pass and tilt;
- noise at a signal-to-noise ratio (`noise_snr_db`, e.g. [-5, 20]) instead of a fixed volume range;
- gain (`gain_db`): louder and quieter talkers, clipped like a real converter.
SpecAugment (time and frequency masks on the features) is applied in core.features.bank.
Validation and test clips get none of this. All randomness comes from the `rng` passed in, so the
same clip with the same seed always gives the same variants (which is what makes caching work).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from core.config import TrainingSettings
from core.features.rooms import rir_bank


@dataclass(frozen=True)
class AugmentSettings:
    """The augmentation part of the training recipe (the extra augmentations are off by default here;
    TrainingSettings turns them on)."""

    time_shift_ms: int = 100
    background_volume: float = 0.1
    background_frequency: float = 0.8
    noise_snr_db: tuple[float, ...] = ()  # (low, high): noise at a random SNR; empty: background_volume
    reverb_probability: float = 0.0
    rir_count: int = 64  # rooms in the simulated bank
    eq_probability: float = 0.0
    speed_probability: float = 0.0
    speed_range: tuple[float, ...] = (0.9, 1.1)
    gain_db: tuple[float, ...] = ()  # (low, high) dB; empty: no gain change
    spec_time_masks: int = 0  # SpecAugment: masks per variant and their largest width
    spec_time_mask_frames: int = 0
    spec_freq_masks: int = 0
    spec_freq_mask_channels: int = 0
    # Streaming-true training (core.features.context): audio before each clip with the frontend state
    # carried into it, shifts that keep the word inside the window, other speech around the word.
    warmup_ms: int = 0
    keep_word_inside: bool = False
    context_speech: float = 0.0

    @classmethod
    def from_training(cls, training: TrainingSettings) -> AugmentSettings:
        return cls(
            training.time_shift_ms,
            training.background_volume,
            training.background_frequency,
            noise_snr_db=tuple(training.noise_snr_db),
            reverb_probability=training.reverb_probability,
            eq_probability=training.eq_probability,
            speed_probability=training.speed_probability,
            speed_range=tuple(training.speed_range),
            gain_db=tuple(training.gain_db),
            spec_time_masks=training.spec_time_masks,
            spec_time_mask_frames=training.spec_time_mask_frames,
            spec_freq_masks=training.spec_freq_masks,
            spec_freq_mask_channels=training.spec_freq_mask_channels,
            warmup_ms=training.warmup_ms,
            keep_word_inside=training.keep_word_inside,
            context_speech=training.context_speech,
        )


def time_shift(audio: np.ndarray, shift: int) -> np.ndarray:
    """`audio` moved later by `shift` samples (earlier when negative), zero-padded, same length."""
    out = np.zeros_like(audio)
    n = len(audio)
    if shift >= 0:
        out[shift:] = audio[: n - shift] if shift < n else audio[:0]
    else:
        out[: n + shift] = audio[-shift:]
    return out


def speech_bounds(clip: np.ndarray, below_peak_db: float = 30.0) -> tuple[int, int]:
    """Where the speech in a clip is: the first and last 10 ms frame within `below_peak_db` of the
    loudest one, as sample offsets (start, end)."""
    hop = 160
    n = len(clip) // hop
    if n == 0:
        return 0, len(clip)
    frames = np.asarray(clip[: n * hop], np.float64).reshape(n, hop)
    db = 10 * np.log10(np.mean(frames**2, axis=1) + 1e-12)
    loud = np.flatnonzero(db > db.max() - below_peak_db)
    return int(loud[0] * hop), int((loud[-1] + 1) * hop)


def background_stretch(
    backgrounds: Sequence[np.ndarray], samples: int, rng: np.random.Generator
) -> np.ndarray:
    """A random `samples`-long stretch of a random background recording (tiled if it is shorter)."""
    noise = backgrounds[int(rng.integers(len(backgrounds)))]
    if len(noise) < samples:
        noise = np.tile(noise, samples // max(len(noise), 1) + 1)
    start = rng.integers(len(noise) - samples + 1)
    return noise[start : start + samples]


def change_speed(audio: np.ndarray, factor: float) -> np.ndarray:
    """`audio` played `factor` times faster (higher pitch and formants, shorter), centred, same length.
    Linear interpolation: its slight aliasing is far below the noise the clip gets next, and it is ~10x
    quicker than a polyphase filter, which matters at tens of thousands of variants."""
    from core.audio.samples import fit_clip

    n = len(audio)
    positions = np.arange(0.0, n - 1, factor)
    return fit_clip(np.interp(positions, np.arange(n), audio).astype(np.float32), n)


FFT_SIZE = 24000  # room and microphone filtering of a 1 s clip with a 0.4 s response, without wrap-around


def room_spectra(bank: Sequence[np.ndarray]) -> np.ndarray:
    """The bank's impulse responses as spectra for `filter_clip` [rooms, FFT_SIZE // 2 + 1]."""
    return np.stack([np.fft.rfft(rir, FFT_SIZE) for rir in bank]).astype(np.complex64)


@functools.lru_cache(maxsize=4)
def microphone_bank(sample_rate: int, count: int = 64) -> np.ndarray:
    """`count` random microphone responses (fixed seed), picked from per variant: designing one costs
    more than filtering with it."""
    rng = np.random.default_rng([count, sample_rate])
    return np.stack([microphone_response(sample_rate, rng) for _ in range(count)])


def microphone_response(sample_rate: int, rng: np.random.Generator) -> np.ndarray:
    """The magnitude response of a random small microphone and converter, per FFT bin: a high-pass at
    80-400 Hz (tiny capsule), a low-pass at 3-7.5 kHz (cheap anti-alias filter), a treble tilt of
    +/-2 dB per octave above 1 kHz."""
    freqs = np.fft.rfftfreq(FFT_SIZE, 1 / sample_rate)
    freqs[0] = freqs[1]
    high_cut, high_order = rng.uniform(80, 400), int(rng.integers(1, 3))
    low_cut, low_order = rng.uniform(3000, 7500), int(rng.integers(2, 6))
    response = 1 / np.sqrt(1 + (high_cut / freqs) ** (2 * high_order))
    response /= np.sqrt(1 + (freqs / low_cut) ** (2 * low_order))
    tilt_db = rng.uniform(-2, 2) * np.log2(np.maximum(freqs, 1000) / 1000)
    return (response * 10 ** (tilt_db / 20)).astype(np.float32)


def filter_clip(
    audio: np.ndarray,
    room: np.ndarray | None,
    microphone: np.ndarray | None,
    spectrum: np.ndarray | None = None,
) -> np.ndarray:
    """`audio` through a room (a spectrum of `room_spectra`) and/or a microphone (`microphone_response`),
    in one FFT (`spectrum`: `audio`'s own, when already known); a reverberant clip keeps its peak."""
    from scipy import fft  # single precision stays single: about twice numpy's speed here

    if spectrum is None:
        spectrum = fft.rfft(audio, FFT_SIZE)
    if room is not None:
        spectrum = spectrum * room
    if microphone is not None:
        spectrum = spectrum * microphone
    out = fft.irfft(spectrum, FFT_SIZE)[: len(audio)]
    if room is not None:
        peak, out_peak = float(np.max(np.abs(audio))), float(np.max(np.abs(out)))
        if out_peak > 0:
            out = out * (peak / out_peak)
    return np.asarray(out, np.float32)


# The spectrum of the last clip filtered: a clip's variants are made one after another from the same
# array, so all but the speed-changed ones reuse it (one rebinding, so threads never see half of it).
_last_spectrum: tuple[np.ndarray | None, np.ndarray | None] = (None, None)


def _spectrum_of(clip: np.ndarray) -> np.ndarray:
    global _last_spectrum
    last, spectrum = _last_spectrum
    if last is not clip or spectrum is None:
        from scipy import fft

        spectrum = fft.rfft(clip, FFT_SIZE)
        _last_spectrum = (clip, spectrum)
    return spectrum


def speech_rms(audio: np.ndarray) -> float:
    """RMS of the loud part of a clip (10 ms frames within 30 dB of the loudest): the level an SNR refers to."""
    frame = 160
    n = len(audio) // frame
    if n == 0:
        return float(np.sqrt(np.mean(audio**2))) if len(audio) else 0.0
    power = np.mean(audio[: n * frame].reshape(n, frame).astype(np.float64) ** 2, axis=1)
    loud = power[power >= power.max() * 1e-3]
    return float(np.sqrt(loud.mean())) if len(loud) else 0.0


def augment_clip(
    audio: np.ndarray | None,
    backgrounds: Sequence[np.ndarray],
    settings: AugmentSettings,
    sample_rate: int,
    samples: int,
    rng: np.random.Generator,
    training: bool,
    rooms: np.ndarray | None = None,
    shift: int | None = None,
) -> np.ndarray:
    """One augmented version of a clip (`audio`, already `samples` long) or of silence (`audio` None).
    `rooms` are `room_spectra` of the room bank (made here, once per process, when not given); `shift`
    (samples) replaces the random time shift when given (core.features.context draws it)."""
    silence = audio is None
    clip: np.ndarray = np.zeros(samples, np.float32) if silence else np.asarray(audio, np.float32)
    if training and not silence:
        original = clip
        if settings.speed_probability and rng.uniform() < settings.speed_probability:
            clip = change_speed(clip, _between(rng, settings.speed_range))
        if shift is None:
            shift = 0
            if settings.time_shift_ms > 0:
                limit = settings.time_shift_ms * sample_rate // 1000
                shift = int(rng.integers(-limit, limit + 1))
        room = microphone = None
        if settings.reverb_probability and rng.uniform() < settings.reverb_probability:
            if rooms is None:
                rooms = room_spectra(rir_bank(settings.rir_count, sample_rate))
            room = rooms[int(rng.integers(len(rooms)))]
        if settings.eq_probability and rng.uniform() < settings.eq_probability:
            microphones = microphone_bank(sample_rate)
            microphone = microphones[int(rng.integers(len(microphones)))]
        if room is not None or microphone is not None:
            spectrum = _spectrum_of(clip) if clip is original else None
            clip = filter_clip(clip, room, microphone, spectrum)
        if shift:  # after the filters (they commute with a shift), so unshifted spectra can be reused
            clip = time_shift(clip, shift)
    noise = None
    if silence:
        if backgrounds:
            noise = rng.uniform(0.0, 1.0) * background_stretch(backgrounds, samples, rng)
    elif training and backgrounds and rng.uniform() < settings.background_frequency:
        stretch = background_stretch(backgrounds, samples, rng)
        if settings.noise_snr_db:
            signal, level = speech_rms(clip), float(np.sqrt(np.mean(stretch.astype(np.float64) ** 2)))
            snr = _between(rng, settings.noise_snr_db)
            if signal > 0 and level > 0:
                noise = stretch * (signal / level / 10 ** (snr / 20))
        else:
            noise = rng.uniform(0.0, settings.background_volume) * stretch
    if noise is not None:
        clip = clip + noise
    if training and not silence and settings.gain_db:
        clip = clip * 10 ** (_between(rng, settings.gain_db) / 20)
    return np.clip(clip, -1.0, 1.0).astype(np.float32)


def _between(rng: np.random.Generator, bounds: tuple[float, ...]) -> float:
    """A uniform random number between a (low, high) setting."""
    return float(rng.uniform(bounds[0], bounds[-1]))


def spec_augment(features: np.ndarray, settings: AugmentSettings, rng: np.random.Generator) -> np.ndarray:
    """SpecAugment on one variant's features [frames, channels]: random time and frequency bands set to
    0 (the frontend's value for silence), so the model cannot lean on one moment or one band."""
    out = features.copy()
    frames, channels = out.shape
    for _ in range(settings.spec_time_masks):
        width = int(rng.integers(0, settings.spec_time_mask_frames + 1))
        start = int(rng.integers(0, max(frames - width, 0) + 1))
        out[start : start + width, :] = 0
    for _ in range(settings.spec_freq_masks):
        width = int(rng.integers(0, settings.spec_freq_mask_channels + 1))
        start = int(rng.integers(0, max(channels - width, 0) + 1))
        out[:, start : start + width] = 0
    return out
