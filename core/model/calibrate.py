"""Calibration: the detection threshold and averaging window that meet a false-accept target.

On audio the model did not train on — the *validation* split of the run's dataset (held-out speakers;
own recordings and board captures included, their misses weighted by `data.recording_weight`, so a
user's own voice counts most), laid into streams by core.model.stream_eval (keywords inside phrases,
continuous other speech in several orders, noise alone, and any extra negative WAVs) — the model runs
once through the live detection path at the run's inference cadence. The recognizer is then replayed
for every (window, threshold) pair; the pair with the lowest FRR whose FA/h is at most the target wins
(ties: the higher threshold). When no pair meets the target, the one with the fewest false accepts
is taken and `met` says so.

The choice is written into the run's config.json `[recognizer]` (used by detect, listen and the app) and
into calibration.json with the FRR-vs-FA/h curve at the chosen window (for the app's Model pane);
export then generates model_settings.h from it.
How far the FA/h figure can be trusted depends on the hours of negative audio: with no false accept
in h hours the true rate is below 3/h with 95 % confidence (`fa_per_hour_upper95`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from core.config import RecognizerSettings
from core.errors import ConfigError, DataError
from core.events import CancelToken, EventCallback, Log, ignore_events
from core.fileio import write_json_atomic
from core.model.calibration_check import missed_warning
from core.model.stream_eval import (
    build_streams,
    decisions_of,
    metrics_for,
    new_detections,
    score_streams,
    split_clips,
    streams_cache,
)

CALIBRATION_FILE = "calibration.json"
WINDOWS_MS = (200, 300, 400, 500, 650, 800, 1000)
THRESHOLDS = tuple(range(50, 251, 5))
SPEECH_PASSES = 3  # the validation words laid into continuous speech three times, in other orders


@dataclass
class Calibration:
    """The chosen recognizer settings, what they measured, and the curve at the chosen window."""

    target_fa_per_hour: float
    met: bool
    average_window_ms: int
    detection_threshold: int
    frr: float | None
    fa_per_hour: float | None
    fa_per_hour_upper95: float | None
    keyword_clips: int
    negative_hours: float
    per_word: list[dict[str, Any]]
    curve: list[dict[str, float]] = field(default_factory=list)
    """Points {threshold, frr, fa_per_hour} at the chosen window, thresholds ascending."""
    source: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Calibration:
        return cls(**data)


def read_calibration(run_path: str | Path) -> Calibration | None:
    """The run's calibration.json, or None before it was calibrated (or if the file is damaged)."""
    try:
        return Calibration.from_dict(json.loads((Path(run_path) / CALIBRATION_FILE).read_text("utf-8")))
    except (FileNotFoundError, json.JSONDecodeError, TypeError):
        return None


def _windows(settings: RecognizerSettings, stride_ms: int) -> list[int]:
    from core.live.recognize import check_cadence

    usable = []
    for w in WINDOWS_MS:
        try:
            check_cadence(replace(settings, average_window_ms=w), stride_ms)
        except ConfigError:
            continue
        usable.append(w)
    return usable


def choose(
    words: Sequence[str],
    scored: Sequence[Any],
    base: RecognizerSettings,
    stride_ms: int,
    target: float,
    source: str = "",
) -> Calibration:
    """Replay the recognizer over every (window, threshold) and pick by the rule in the module docstring."""
    labels = ["_silence_", "_unknown_", *words]
    table: dict[tuple[int, int], Any] = {}
    for window in _windows(base, stride_ms):
        settings = replace(base, average_window_ms=window)
        decisions = [decisions_of(settings, s.times_ms, s.scores) for s in scored]
        for threshold in THRESHOLDS:
            found = [new_detections(d, labels, threshold, base.suppression_ms) for d in decisions]
            table[(window, threshold)] = metrics_for(
                words, scored, replace(settings, detection_threshold=threshold), found
            )
    if not table:
        raise ConfigError("no averaging window fits the inference cadence", "lower inference_every_frames")

    def frr(m: Any) -> float:
        return 1.0 if m.frr is None else m.frr

    feasible = [k for k, m in table.items() if (m.fa_per_hour or 0.0) <= target]
    if feasible:
        key = min(feasible, key=lambda k: (frr(table[k]), -k[1], k[0]))
    else:
        key = min(table, key=lambda k: (table[k].false_accepts, frr(table[k]), -k[1]))
    best = table[key]
    curve = [
        {"threshold": t, "frr": frr(table[(key[0], t)]), "fa_per_hour": table[(key[0], t)].fa_per_hour or 0.0}
        for t in THRESHOLDS
    ]
    return Calibration(
        target_fa_per_hour=target,
        met=bool(feasible),
        average_window_ms=key[0],
        detection_threshold=key[1],
        frr=best.frr,
        fa_per_hour=best.fa_per_hour,
        fa_per_hour_upper95=best.fa_per_hour_upper95,
        keyword_clips=best.keyword_clips,
        negative_hours=best.negative_hours,
        per_word=[asdict(w) for w in best.words],
        curve=curve,
        source=source,
    )


def calibrate_run(
    run: Any,
    model: Any = None,
    target: float | None = None,
    negatives: Sequence[str | Path] = (),
    on_event: EventCallback = ignore_events,
    cancel: CancelToken | None = None,
) -> Calibration:
    """Calibrate an exported run (or `model`, its TflmModel, during export) on its validation split and
    write the choice into the run (config.json's recognizer and calibration.json)."""
    config = run.config
    target = config.recognizer.target_fa_per_hour if target is None else target
    clips, background = split_clips(run, "validation")
    if not any(c.label in config.words for c in clips):
        raise DataError(
            "no keyword clips in the validation split to calibrate on",
            "add speakers (synthetic or recordings) so the validation split is not empty",
        )
    source = f"validation split of {run.project_dir}"
    streams = build_streams(clips, background, config.words, negatives, speech_passes=SPEECH_PASSES, seed=1)
    on_event(Log(f"calibrating on {source}: {sum(s.duration_s for s in streams) / 60:.1f} min of audio"))
    scored = score_streams(run, streams, model, on_event, cancel, cache_dir=streams_cache(run))
    result = choose(config.words, scored, config.recognizer, config.features.stride_ms, target, source)
    save_calibration(run, result)
    fa = "n/a" if result.fa_per_hour is None else f"{result.fa_per_hour:.2f}"
    on_event(
        Log(
            f"calibrated: window {result.average_window_ms} ms, threshold {result.detection_threshold}: "
            f"FRR {100 * (result.frr or 0):.1f} %, {fa} FA/h on {result.negative_hours:.2f} h "
            f"(target {target}/h {'met' if result.met else 'NOT met'})"
        )
    )
    warning = missed_warning(result.frr)
    if warning:
        on_event(Log(f"warning: {warning}"))
    return result


def calibrated_settings(settings: RecognizerSettings, calibration: Calibration) -> RecognizerSettings:
    return replace(
        settings,
        average_window_ms=calibration.average_window_ms,
        detection_threshold=calibration.detection_threshold,
    )


def save_calibration(run: Any, calibration: Calibration) -> None:
    """calibration.json, and the chosen window and threshold into the run's config.json."""
    config = run.config
    updated = config.replace(recognizer=calibrated_settings(config.recognizer, calibration))
    write_json_atomic(run.path / CALIBRATION_FILE, calibration.to_dict())
    write_json_atomic(run.config_path, updated.to_dict())
    run.__dict__.pop("config", None)  # RunDir.config is cached: read the new file next time
