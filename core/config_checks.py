"""The values a project config may hold, checked when a config is read (core.config.load_config for
wakebench.toml, config_from_dict for a run's config.json), so a value no command could run with is refused
at once, naming its key (`recognizer.detection_threshold must be 0..255, got 999`), not at detect or
export time.

Every setting has a rule here: a range (`RANGES`), a text that must not be empty (`NOT_EMPTY`), or a rule
across settings (`_cross_problems`: band limits against the sample rate, one learning rate per step phase,
an inference cadence at which the recognizer can decide). tests/unit/test_config_checks.py fails for a
setting without one. The recognizer's ranges are those the firmware can hold (uint8 threshold, int32
times); core.live.recognize checks them with the same rules.

Nothing here imports the config module at run time (it imports this one).
"""

from __future__ import annotations

from dataclasses import dataclass, fields, is_dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from core.config import ProjectConfig, RecognizerSettings

AUDIO_RATE = 16000
"""The rate of every audio path (files are resampled to it, microphones and boards record at it)."""


@dataclass(frozen=True)
class Range:
    """An inclusive range; None = unbounded on that side. `above` makes the low end exclusive."""

    low: float | None = None
    high: float | None = None
    above: bool = False

    def holds(self, value: float) -> bool:
        if self.low is not None and (value <= self.low if self.above else value < self.low):
            return False
        return self.high is None or value <= self.high

    def describe(self) -> str:
        if self.low is not None and self.low == self.high:
            return _number(self.low)
        if self.above and self.high is None:
            return f"above {_number(self.low)}"
        if self.above:
            return f"above {_number(self.low)} and at most {_number(self.high)}"
        if self.high is None:
            return f"at least {_number(self.low)}"
        if self.low is None:
            return f"at most {_number(self.high)}"
        return f"{_number(self.low)}..{_number(self.high)}"


def _number(value: float | None) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


RANGES: dict[str, Range] = {
    # features: what the micro frontend (TFLM's, and core.features.streaming) can compute
    "features.sample_rate": Range(AUDIO_RATE, AUDIO_RATE),
    "features.clip_ms": Range(100, 10_000),
    "features.window_ms": Range(1, 1000),
    "features.stride_ms": Range(1, 1000),
    "features.channels": Range(1, 256),
    "features.lower_band_hz": Range(0.0),
    "features.upper_band_hz": Range(0.0, AUDIO_RATE / 2, above=True),
    "features.smoothing_bits": Range(0, 16),
    "features.even_smoothing": Range(0.0, 1.0),
    "features.odd_smoothing": Range(0.0, 1.0),
    "features.min_signal_remaining": Range(0.0, 1.0),
    "features.pcan_strength": Range(0.0, 10.0),
    "features.pcan_offset": Range(0.0, above=True),
    "features.gain_bits": Range(0, 31),
    "features.scale_shift": Range(0, 16),
    # data
    "data.synth_per_word": Range(1, 1_000_000),
    "data.synth_seed": Range(0),
    "data.silence_percentage": Range(0.0, 1000.0),
    "data.unknown_percentage": Range(0.0, 1000.0),
    "data.validation_percentage": Range(0.0, 100.0),
    "data.testing_percentage": Range(0.0, 100.0),
    "data.recording_weight": Range(0.0, 1000.0, above=True),
    # training
    "training.batch_size": Range(1, 100_000),
    "training.eval_every": Range(1),
    "training.checkpoint_every": Range(1),
    "training.time_shift_ms": Range(0, 10_000),
    "training.background_volume": Range(0.0, 1.0),
    "training.background_frequency": Range(0.0, 1.0),
    "training.augment_variants": Range(1, 1000),
    "training.warmup_ms": Range(0, 10_000),
    "training.reverb_probability": Range(0.0, 1.0),
    "training.eq_probability": Range(0.0, 1.0),
    "training.speed_probability": Range(0.0, 1.0),
    "training.spec_time_masks": Range(0, 100),
    "training.spec_time_mask_frames": Range(0, 1000),
    "training.spec_freq_masks": Range(0, 100),
    "training.spec_freq_mask_channels": Range(0, 256),
    "training.context_speech": Range(0.0, 1.0),
    "training.seed": Range(0),
    # recognizer: what the firmware can hold (uint8 threshold, int32 times)
    "recognizer.average_window_ms": Range(1, 60_000),
    "recognizer.detection_threshold": Range(0, 255),
    "recognizer.suppression_ms": Range(0, 600_000),
    "recognizer.minimum_count": Range(0, 1000),
    "recognizer.inference_every_frames": Range(1),
    "recognizer.target_fa_per_hour": Range(0.0, 1000.0),
    # board
    "board.baud": Range(1, 10_000_000),
    # loop: a fine-tuning must train, and the new clips may not crowd out everything else
    "loop.steps": Range(1, 1_000_000),
    "loop.learning_rate": Range(0, 1, above=True),
    "loop.new_clip_share": Range(0, 0.9),
}

NOT_EMPTY = (
    "data.synthetic_dir",
    "data.recordings_dir",
    "data.captures_dir",
    "training.model",
    "board.profile",
)
"""Texts that must be given (the others, e.g. data.speech_commands_dir or board.port, may be empty)."""

CROSS_CHECKED = (
    "words",  # core.config checks them (the keyword rule lives there)
    "data.speech_commands_dir",
    "board.port",
    "board.arduino_cli",  # empty = arduino-cli from PATH
    "board.sketch_dir",  # empty = firmware/wakebench
    "board.private_toolchain",
    "loop.recalibrate",
    "features.enable_pcan",
    "features.enable_log",
    "training.keep_word_inside",  # a flag
    "training.steps",
    "training.learning_rates",
    "training.noise_snr_db",  # [low, high] or empty: `_span_problem`
    "training.speed_range",
    "training.gain_db",
    "data.synth_engines",  # not empty; the names are checked by the synthesis backends
)
"""Settings checked by `_cross_problems` or free by nature (flags, optional texts)."""

RECOGNIZER_HINT = "fix the [recognizer] table in wakebench.toml"


@dataclass(frozen=True)
class Problem:
    """One value a config may not hold: its key (`section.name`) and what is wrong."""

    key: str
    message: str

    def __str__(self) -> str:
        return f"{self.key} {self.message}"

    @property
    def section(self) -> str:
        return self.key.split(".", 1)[0] if "." in self.key else ""


def checked_keys() -> set[str]:
    """Every key some rule here covers."""
    return set(RANGES) | set(NOT_EMPTY) | set(CROSS_CHECKED)


def config_problems(config: ProjectConfig) -> list[Problem]:
    """Everything wrong with a config, in file order (empty when it is fine)."""
    problems = [*_value_problems(config, ""), *_cross_problems(config)]
    order = {key: i for i, key in enumerate(_keys(config, ""))}
    return sorted(problems, key=lambda p: order.get(p.key, len(order)))


def recognizer_problems(settings: RecognizerSettings) -> list[Problem]:
    """The recognizer settings' range problems (core.live.recognize.check_settings raises them)."""
    return list(_value_problems(settings, "recognizer."))


def results_in_window(settings: RecognizerSettings, stride_ms: int, every_frames: int) -> int:
    """Results the averaging window holds at one inference every `every_frames` feature frames."""
    return settings.average_window_ms // (every_frames * stride_ms) + 1


def results_needed(settings: RecognizerSettings) -> int:
    """Results a decision needs: minimum_count, and two when it needs average_window_ms // 4 between the
    oldest and the newest."""
    return max(settings.minimum_count, 2 if settings.average_window_ms // 4 > 0 else 1)


def cadence_problem(settings: RecognizerSettings, stride_ms: int, every: int) -> str | None:
    """Why the recognizer could never decide at one inference every `every` frames, or None."""
    fit = results_in_window(settings, stride_ms, every)
    needed = results_needed(settings)
    if fit >= needed:
        return None
    return (
        f"one inference every {every} frames ({every * stride_ms} ms) leaves {fit} result(s) in the "
        f"{settings.average_window_ms} ms average window, fewer than the {needed} a decision needs: "
        "nothing would ever be detected"
    )


def hint_for(problem: Problem) -> str:
    if problem.key == "recognizer.inference_every_frames":
        return (
            "set inference_every_frames in the [recognizer] table of wakebench.toml to 1 or more "
            "(1 = run the model on every 20 ms frame)"
        )
    if problem.section:
        return f"fix {problem.key.split('.', 1)[1]} in the [{problem.section}] table of wakebench.toml"
    return f"fix {problem.key} at the top of wakebench.toml"


# ---- the rules ------------------------------------------------------------------------------------------


def _keys(obj: Any, prefix: str) -> list[str]:
    out = []
    for f in fields(obj):
        value = getattr(obj, f.name)
        out += _keys(value, f"{f.name}.") if is_dataclass(value) else [prefix + f.name]
    return out


def _value_problems(obj: Any, prefix: str) -> list[Problem]:
    problems = []
    for f in fields(obj):
        value = getattr(obj, f.name)
        key = prefix + f.name
        if is_dataclass(value):
            problems += _value_problems(value, f"{f.name}.")
        elif key in RANGES and not RANGES[key].holds(value):
            problems.append(Problem(key, f"must be {RANGES[key].describe()}, got {value!r}"))
        elif key in NOT_EMPTY and not str(value).strip():
            problems.append(Problem(key, "must not be empty"))
    return problems


def _span_problem(key: str, values: list[float], may_be_empty: bool) -> Problem | None:
    """A `[low, high]` setting (or `[]` where that means "off")."""
    if not values and may_be_empty:
        return None
    if len(values) != 2 or values[0] > values[1]:
        off = " or [] for none" if may_be_empty else ""
        return Problem(key, f"must be [low, high] with low <= high{off}, got {values}")
    return None


def _cross_problems(config: ProjectConfig) -> list[Problem]:
    problems = []
    f = config.features
    if f.window_ms > f.clip_ms:
        problems.append(
            Problem("features.window_ms", f"must be at most clip_ms ({f.clip_ms}), got {f.window_ms}")
        )
    if f.stride_ms > f.window_ms:
        # The frontend shifts each window by the stride: a stride past the window would skip audio.
        problems.append(
            Problem("features.stride_ms", f"must be at most window_ms ({f.window_ms}), got {f.stride_ms}")
        )
    if f.lower_band_hz >= f.upper_band_hz:
        problems.append(
            Problem(
                "features.lower_band_hz",
                f"must be below upper_band_hz ({f.upper_band_hz:g}), got {f.lower_band_hz:g}",
            )
        )

    d = config.data
    if d.validation_percentage + d.testing_percentage >= 100:
        problems.append(
            Problem(
                "data.testing_percentage",
                f"and validation_percentage must leave speakers for training "
                f"({d.validation_percentage:g} + {d.testing_percentage:g} >= 100)",
            )
        )

    if not d.synth_engines:
        problems.append(
            Problem("data.synth_engines", 'must name at least one speech engine, e.g. ["espeak"]')
        )

    t = config.training
    for key, values, may_be_empty in (
        ("training.noise_snr_db", t.noise_snr_db, True),
        ("training.gain_db", t.gain_db, True),
        ("training.speed_range", t.speed_range, False),
    ):
        problem = _span_problem(key, values, may_be_empty)
        if problem:
            problems.append(problem)
    if t.speed_range and len(t.speed_range) == 2 and min(t.speed_range) <= 0:
        problems.append(
            Problem("training.speed_range", f"speed factors must be positive, got {t.speed_range}")
        )
    if not t.steps or any(n < 1 for n in t.steps):
        problems.append(Problem("training.steps", f"must be one or more positive step counts, got {t.steps}"))
    if any(not lr > 0 for lr in t.learning_rates):
        problems.append(Problem("training.learning_rates", f"must be positive, got {t.learning_rates}"))
    if len(t.steps) != len(t.learning_rates):
        problems.append(
            Problem(
                "training.learning_rates",
                f"must give one rate per step phase: {len(t.steps)} phases, {len(t.learning_rates)} rates",
            )
        )
    if t.time_shift_ms > f.clip_ms:
        problems.append(
            Problem("training.time_shift_ms", f"must be at most clip_ms ({f.clip_ms}), got {t.time_shift_ms}")
        )

    r = config.recognizer
    if not recognizer_problems(r) and RANGES["features.stride_ms"].holds(f.stride_ms):
        cadence = cadence_problem(r, f.stride_ms, r.inference_every_frames)
        if cadence is not None:
            problems.append(
                Problem("recognizer.inference_every_frames", f"= {r.inference_every_frames}: {cadence}")
            )
    return problems
