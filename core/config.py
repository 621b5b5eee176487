"""Typed project configuration, read from and written to `wakebench.toml`.

Every section is a frozen dataclass; each field's `doc` becomes the comment above it in the file.
Feature shapes are derived in one place (`FeatureSettings`), never recomputed elsewhere.
"""

from __future__ import annotations

import dataclasses
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_type_hints

from core.config_checks import Problem, config_problems, hint_for
from core.errors import ConfigError
from core.fileio import write_text_atomic

PROJECT_FILE = "wakebench.toml"
SILENCE_LABEL = "_silence_"
UNKNOWN_LABEL = "_unknown_"
BACKGROUND_NOISE_DIR = "_background_noise_"


def is_keyword(label: str) -> bool:
    """The one rule for which labels are words: everything but wakebench's own labels (`_silence_`,
    `_unknown_`), whose names start with `_`. Only keywords are detections; the firmware gets the same
    answer per label from model_settings.h (kLabelIsKeyword)."""
    return not label.startswith("_")


def keywords(labels: Sequence[str]) -> list[str]:
    """The keywords among `labels`, in order."""
    return [label for label in labels if is_keyword(label)]


def doc(default: Any, text: str) -> Any:
    """A dataclass field with a default and the comment written above it in wakebench.toml."""
    if isinstance(default, (list, dict)):
        return field(default_factory=lambda: type(default)(default), metadata={"doc": text})
    return field(default=default, metadata={"doc": text})


@dataclass(frozen=True)
class FeatureSettings:
    """The micro frontend settings; the firmware computes exactly these features."""

    sample_rate: int = doc(16000, "Audio sample rate in Hz.")
    clip_ms: int = doc(1000, "Length of one training clip and of the model's view, in ms.")
    window_ms: int = doc(30, "Frontend analysis window in ms.")
    stride_ms: int = doc(20, "Step between feature frames in ms.")
    channels: int = doc(40, "Number of filterbank channels (feature bins per frame).")
    lower_band_hz: float = doc(125.0, "Lowest filterbank frequency in Hz.")
    upper_band_hz: float = doc(7500.0, "Highest filterbank frequency in Hz.")
    smoothing_bits: int = doc(10, "Noise reduction smoothing bits.")
    even_smoothing: float = doc(0.025, "Noise reduction smoothing for even channels.")
    odd_smoothing: float = doc(0.06, "Noise reduction smoothing for odd channels.")
    min_signal_remaining: float = doc(0.05, "Fraction of the signal noise reduction always keeps.")
    enable_pcan: bool = doc(True, "Per-channel amplitude normalisation (automatic gain).")
    pcan_strength: float = doc(0.95, "PCAN strength.")
    pcan_offset: float = doc(80.0, "PCAN offset.")
    gain_bits: int = doc(21, "PCAN gain bits.")
    enable_log: bool = doc(True, "Log-scale the filterbank energies.")
    scale_shift: int = doc(6, "Log scale shift.")

    @property
    def window_samples(self) -> int:
        return self.sample_rate * self.window_ms // 1000

    @property
    def stride_samples(self) -> int:
        return self.sample_rate * self.stride_ms // 1000

    @property
    def clip_samples(self) -> int:
        return self.sample_rate * self.clip_ms // 1000

    @property
    def frames(self) -> int:
        """Feature frames per clip: 49 for the 1 s / 30 ms / 20 ms default."""
        return 1 + (self.clip_samples - self.window_samples) // self.stride_samples

    @property
    def input_shape(self) -> tuple[int, int, int, int]:
        """The model's input shape, batch 1."""
        return (1, self.frames, self.channels, 1)


@dataclass(frozen=True)
class DataSettings:
    """Where the clips come from and how they are split."""

    synthetic_dir: str = doc("data/synthetic", "Synthetic keyword clips (built by `wakebench data synth`).")
    speech_commands_dir: str = doc("", "Google Speech Commands folder; empty = not used.")
    recordings_dir: str = doc("data/recordings", "Your own recordings, <word>/<speaker>_nohash_<n>.wav.")
    captures_dir: str = doc("data/captures", "Clips captured from the board, same layout.")
    synth_per_word: int = doc(600, "Synthetic clips per keyword.")
    synth_seed: int = doc(0, "Seed of the synthetic set (same seed = same clips).")
    synth_engines: list[str] = doc(
        ["espeak", "pico", "mbrola", "kokoro"],
        "Speech engines of the synthetic set (espeak, pico, mbrola, kokoro; piper is kept out as the "
        "held-out check).",
    )
    silence_percentage: float = doc(25.0, "Share of _silence_ clips, in percent of the keyword clips.")
    # TF speech_commands takes 10 %; a wake word needs many more negatives than keywords, and with 25 %
    # a quarter of the other words' clips were used: the held-out engine's other words were taken for a
    # keyword twice as often as with all of them (37 % vs 19 % at a 0.5 score).
    unknown_percentage: float = doc(
        400.0,
        "Share of other-word clips drawn into _unknown_, in percent of the keyword clips (400 takes every "
        "one of the synthetic set's).",
    )
    validation_percentage: float = doc(10.0, "Percent of speakers held out for validation.")
    testing_percentage: float = doc(10.0, "Percent of speakers held out for testing.")
    recording_weight: float = doc(3.0, "How many times a recording counts against a synthetic clip.")


@dataclass(frozen=True)
class TrainingSettings:
    """The training recipe (the `default` recipe of core.model.recipes; `--recipe seed` is micro_speech's)."""

    # wake_tc: on the held-out engine (Piper) it found more keywords than wake_ds and tiny_conv
    # (bench/model_table.py, README); ds_cnn found more still but trains for ~5 minutes. 4,000 steps keep
    # training + export within three minutes on a 2-core laptop (bench/train_speed.py: ~65 s).
    model: str = doc("wake_tc", "Model architecture (tiny_conv, wake_ds, wake_tc, ds_cnn).")
    steps: list[int] = doc([3000, 1000], "Training steps per learning-rate phase.")
    learning_rates: list[float] = doc([0.001, 0.0001], "Learning rate of each phase.")
    batch_size: int = doc(100, "Clips per training step.")
    eval_every: int = doc(400, "Validate every this many steps.")
    checkpoint_every: int = doc(1000, "Write a checkpoint every this many steps.")
    time_shift_ms: int = doc(400, "Random time shift of each clip, up to +/- this many ms (the seed: 100).")
    background_volume: float = doc(0.1, "Loudest background noise mixed into a clip.")
    background_frequency: float = doc(0.8, "Share of clips that get background noise.")
    noise_snr_db: list[float] = doc(
        [-5.0, 20.0], "Background noise at a random SNR in this range (dB); [] = the seed's volume range."
    )
    reverb_probability: float = doc(0.5, "Share of clips put in a simulated room (reverberation).")
    eq_probability: float = doc(0.5, "Share of clips band-limited like a cheap microphone.")
    speed_probability: float = doc(0.3, "Share of clips played faster or slower (tempo, pitch, formants).")
    speed_range: list[float] = doc([0.9, 1.1], "Speed factors of the speed change.")
    gain_db: list[float] = doc([-12.0, 6.0], "Random gain range in dB; [] = none.")
    spec_time_masks: int = doc(1, "SpecAugment: time masks per variant.")
    spec_time_mask_frames: int = doc(6, "SpecAugment: widest time mask, in feature frames.")
    spec_freq_masks: int = doc(1, "SpecAugment: frequency masks per variant.")
    spec_freq_mask_channels: int = doc(5, "SpecAugment: widest frequency mask, in channels.")
    augment_variants: int = doc(8, "Augmented feature variants precomputed per clip.")
    warmup_ms: int = doc(
        1000,
        "Audio before each training clip (noise, often other speech), the frontend state carried into "
        "the clip as on the board; 0 = each clip from a fresh state (the seed recipe).",
    )
    keep_word_inside: bool = doc(True, "Time shifts keep the whole word inside the 1 s window.")
    context_speech: float = doc(0.5, "Share of warm-ups that end with another clip's speech.")
    seed: int = doc(0, "Random seed of training.")


# The seed's augmentation (TF speech_commands: time shift and background noise only): the values of the
# TrainingSettings fields that turn every added augmentation off, for the seed's recipe and for tiny
# test models whose few hundred steps cannot learn through rooms, cheap microphones and -5 dB noise.
SEED_AUGMENTATION: dict[str, Any] = {
    "time_shift_ms": 100,
    "warmup_ms": 0,  # each clip from a fresh frontend state, the word within +/- 100 ms of centre
    "keep_word_inside": False,
    "context_speech": 0.0,
    "noise_snr_db": [],
    "reverb_probability": 0.0,
    "eq_probability": 0.0,
    "speed_probability": 0.0,
    "gain_db": [],
    "spec_time_masks": 0,
    "spec_freq_masks": 0,
}


@dataclass(frozen=True)
class RecognizerSettings:
    """Posterior smoothing, the same on the PC and on the board (generated into model_settings.h)."""

    # Threshold and suppression are micro_speech's; the window and minimum count are not, because
    # bench/recognizer_tuning.py says so. The models are confident only while the word sits near the
    # middle of their 1 s view (~10-25 frames of 20 ms), so a 1000 ms average never reaches 200: on
    # held-out audio (13 min, 140 stop/go from the testing split of the default synthetic set, 100
    # other words, noise) the full-recipe model detected 0/140 keywords at 1000 ms and at 750 ms (2/140
    # even with the threshold at 150), but 99/140 (F1 0.64) at 200 ms; a tiny test model went 0/50 ->
    # 50/50 and a second model 0/120 -> 104/120. A minimum count of 2 instead of 3 gives the same
    # decisions at one inference every 1-4 frames and keeps detecting (F1 0.59/0.99/0.87) when
    # inference comes only every 120 ms (a slower board, or `wakebench detect --every 6`), where 3
    # results never fit in the window.
    average_window_ms: int = doc(200, "Scores are averaged over this window.")
    detection_threshold: int = doc(200, "Averaged score (0-255) a word must reach.")
    suppression_ms: int = doc(1500, "Quiet time after a detection.")
    minimum_count: int = doc(2, "Fewest inferences in the window before deciding.")
    # One cadence for the board (kInferenceEveryFrames in model_settings.h) and the PC (detect, listen,
    # the app), so both see the same windows and take the same decisions. 7 frames = 140 ms: one TFLM
    # inference of tiny_conv costs ~1 ms on a 2-core PC, so every frame gives ~19x real time and every
    # 7th ~110x (bench/detect_speed.py; the target is >= 100x), while detecting about as well as every
    # 4-6 (bench/recognizer_tuning.py; recall drops at 8). micro_speech boards infer about every
    # 100-200 ms too. With the 200 ms window and minimum count 2, two results still fit the window.
    inference_every_frames: int = doc(
        7,
        "Run the model once every this many new feature frames (default 7 = 140 ms), the same on the "
        "board and the PC; the first run is when the model's window (49 frames) has filled.",
    )
    # Export calibrates: it picks average_window_ms and detection_threshold above so that the model
    # makes at most this many false accepts per hour on validation audio it did not train on, with the
    # fewest false rejects (core.model.calibrate); the run's copy of this table then holds the choice.
    target_fa_per_hour: float = doc(
        0.5,
        "Export picks the window and threshold meeting this many false accepts per hour on validation "
        "audio (0 = keep the window and threshold above).",
    )


@dataclass(frozen=True)
class BoardSettings:
    """Which board to build for and where it is plugged in."""

    profile: str = doc("edgebadge", "Board profile name (assets/boards/<name>.toml).")
    port: str = doc("", "Serial port; empty = find it.")
    baud: int = doc(115200, "Serial speed (ignored by native USB boards).")
    arduino_cli: str = doc(
        "", "arduino-cli to build and flash with (a path or a command); empty = from PATH."
    )
    sketch_dir: str = doc(
        "",
        "Sketch folder to build (e.g. your changed copy of firmware/wakebench); empty = the one wakebench ships.",
    )
    private_toolchain: bool = doc(
        False,
        "Keep arduino-cli's platforms and libraries in .wakebench/arduino/ instead of its shared folders.",
    )


@dataclass(frozen=True)
class LoopSettings:
    """The quick retrain-and-flash loop (`wakebench loop`, the app's r key)."""

    steps: int = doc(1000, "Fine-tuning steps from the parent run's last checkpoint.")
    learning_rate: float = doc(0.001, "Learning rate of the fine-tuning.")
    recalibrate: bool = doc(
        False,
        "Calibrate the new run's threshold and window again on validation streams (slow: about 45 s on the "
        "default set); false keeps the parent run's calibrated settings.",
    )
    new_clip_share: float = doc(
        0.25, "Share of each training batch drawn from the clips that are new since the parent run (0-0.9)."
    )


@dataclass(frozen=True)
class ProjectConfig:
    """A wakebench project: the words and every setting, as in wakebench.toml."""

    words: list[str] = doc(["stop", "go"], "Keywords to recognise.")
    data: DataSettings = field(default_factory=DataSettings)
    features: FeatureSettings = field(default_factory=FeatureSettings)
    training: TrainingSettings = field(default_factory=TrainingSettings)
    recognizer: RecognizerSettings = field(default_factory=RecognizerSettings)
    board: BoardSettings = field(default_factory=BoardSettings)
    loop: LoopSettings = field(default_factory=LoopSettings)

    @property
    def labels(self) -> list[str]:
        """Model labels: `_silence_`, `_unknown_`, then the words."""
        return [SILENCE_LABEL, UNKNOWN_LABEL, *self.words]

    def replace(self, **changes: Any) -> ProjectConfig:
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def parse_words(text: str) -> list[str]:
    """`"stop, go"` -> `["stop", "go"]`; refuses empty lists, duplicates and reserved names."""
    words = [w.strip().lower() for w in text.split(",") if w.strip()]
    if not words:
        raise ConfigError("no words given", "give words as a comma-separated list, e.g. --words stop,go")
    if len(set(words)) != len(words):
        raise ConfigError(f"a word is listed twice: {text!r}")
    for w in words:
        if not is_keyword(w):
            raise ConfigError(f"{w!r} is reserved (names starting with _ are wakebench's own labels)")
    return words


def _build(cls: type, values: dict[str, Any], where: str) -> Any:
    hints = get_type_hints(cls)
    kwargs: dict[str, Any] = {}
    known = {f.name: f for f in dataclasses.fields(cls)}
    for key, value in values.items():
        if key not in known:
            raise ConfigError(f"{where}: unknown setting {key!r}", f"known settings: {', '.join(known)}")
        kwargs[key] = _coerce(hints[key], value, f"{where}.{key}")
    return cls(**kwargs)


def _coerce(hint: Any, value: Any, where: str) -> Any:
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        if not isinstance(value, dict):
            raise ConfigError(f"{where} must be a table")
        return _build(hint, value, where)
    origin = getattr(hint, "__origin__", None)
    if origin is list:
        (item,) = hint.__args__
        if not isinstance(value, list):
            raise ConfigError(f"{where} must be a list, got {value!r}")
        return [_coerce(item, v, where) for v in value]
    if hint is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{where} must be true or false, got {value!r}")
        return value
    if hint is float and isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if hint in (int, str) and isinstance(value, hint) and not isinstance(value, bool):
        return value
    raise ConfigError(f"{where} must be {hint.__name__}, got {value!r}")


def load_config(path: str | Path) -> ProjectConfig:
    """Read a wakebench.toml; unknown keys and wrong types are a ConfigError naming the key."""
    path = Path(path)
    try:
        values = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such project file", "create one with `wakebench init`") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    return _check_config(_build(ProjectConfig, values, path.name), path.name)


def _check_config(config: ProjectConfig, where: str) -> ProjectConfig:
    """Refuse, as soon as it is read, a value no command could run with (core.config_checks has the
    rules); the message names the file and every wrong key."""
    problems = [*_word_problems(config.words), *config_problems(config)]
    if problems:
        raise ConfigError(f"{where}: " + "; ".join(str(p) for p in problems), hint_for(problems[0]))
    return config


def _word_problems(words: Sequence[str]) -> list[Problem]:
    problems = []
    if not words:
        problems.append(Problem("words", "must name at least one word"))
    if len(set(words)) != len(words):
        problems.append(Problem("words", f"lists a word twice: {list(words)!r}"))
    problems += [
        Problem("words", f"holds {w!r}, which is not a word (empty, or a name starting with _, reserved)")
        for w in words
        if not w.strip() or not is_keyword(w)
    ]
    return problems


def find_project(start: str | Path = ".") -> Path | None:
    """The wakebench.toml in `start`, or None."""
    candidate = Path(start) / PROJECT_FILE
    return candidate if candidate.is_file() else None


def render_config(config: ProjectConfig) -> str:
    """The commented TOML text of a config; `load_config` reads it back to an equal config."""
    lines = ["# wakebench project file. Every command reads it; command-line flags override it.", ""]
    lines += _render_fields(config, include_tables=False)
    for f in dataclasses.fields(config):
        value = getattr(config, f.name)
        if dataclasses.is_dataclass(value):
            lines += ["", f"[{f.name}]", f"# {type(value).__doc__}"]
            lines += _render_fields(value, include_tables=False)
    return "\n".join(lines) + "\n"


def _render_fields(obj: Any, include_tables: bool) -> list[str]:
    out = []
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        if dataclasses.is_dataclass(value) and not include_tables:
            continue
        if "doc" in f.metadata:
            out.append(f"# {f.metadata['doc']}")
        out.append(f"{f.name} = {_toml_value(value)}")
    return out


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {value!r} to TOML")


def save_config(config: ProjectConfig, path: str | Path) -> None:
    """Write the project file atomically."""
    write_text_atomic(Path(path), render_config(config))


def config_from_dict(values: dict[str, Any]) -> ProjectConfig:
    """Rebuild a config from `to_dict()` output (e.g. a run's resolved config); settings added since it
    was saved take their defaults."""
    return _check_config(_build(ProjectConfig, values, "config"), "config")
