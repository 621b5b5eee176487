"""Evaluate an exported run on any folder in the Speech Commands layout, with the int8 model running in
the TFLM interpreter exactly as on the board (same features, same input quantization).

Each subfolder is a class, by the same rule as training (core.data.dataset.folder_label): a folder named
after one of the run's words (or `_silence_`, `_unknown_`) is that label, `_background_noise_/`, hidden
and other `_` folders are skipped, and every other folder counts as `_unknown_`.
Every clip is used (no split); unreadable files are skipped and listed.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from core.audio.files import AUDIO_SUFFIXES
from core.config import keywords
from core.data import word_folder
from core.data.dataset import folder_label
from core.errors import DataError
from core.events import CancelToken, Done, EventCallback, Progress, ignore_events
from core.features.cache import compute_clip_features, request_for
from core.model.metrics import confusion_matrix, int8_predictions, per_class_accuracy
from core.model.runs import RunDir
from core.model.tflm import TflmModel

BATCH_CLIPS = 512


@dataclass
class EvalResult:
    """Accuracy of a run's int8 model on a folder; confusion rows are true labels, columns predictions."""

    accuracy: float
    per_class: dict[str, float | None]
    confusion: list[list[int]]
    labels: list[str]
    clips: int
    data_dir: str
    run_dir: str
    skipped: list[dict[str, str]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def folder_labels(data_dir: Path, labels: list[str]) -> list[tuple[Path, str]]:
    """(wav path, label) of every clip in a Speech Commands layout folder."""
    word_folders = {word_folder(word): word for word in keywords(labels)}
    clips = []
    for folder in sorted(p for p in data_dir.iterdir() if p.is_dir()):
        label = folder_label(folder.name, word_folders)
        if label is None:
            continue
        clips += [
            (p, label) for p in sorted(folder.iterdir()) if p.is_file() and p.suffix.lower() in AUDIO_SUFFIXES
        ]
    return clips


def evaluate_folder(
    run: RunDir | str | Path,
    data_dir: str | Path,
    *,
    on_event: EventCallback = ignore_events,
    cancel: CancelToken | None = None,
) -> EvalResult:
    """Accuracy, per-class accuracy and confusion matrix of the run's model.tflite on `data_dir`."""
    run = run if isinstance(run, RunDir) else RunDir.open(run)
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise DataError(
            f"{data_dir}: no such folder", "give a folder in Speech Commands layout: DIR/<word>/*.wav"
        )
    clips = folder_labels(data_dir, run.config.labels)
    return evaluate_clips(run, clips, str(data_dir), on_event=on_event, cancel=cancel)


def evaluate_clips(
    run: RunDir,
    clips: list[tuple[Path, str]],
    data_dir: str = "",
    *,
    on_event: EventCallback = ignore_events,
    cancel: CancelToken | None = None,
) -> EvalResult:
    """evaluate_folder on a list of (clip, label) pairs (e.g. the clips recorded since a run)."""
    config = run.config
    labels = config.labels
    model = TflmModel.from_run(run)
    if model.num_labels != len(labels):
        raise DataError(
            f"{run.model_path} has {model.num_labels} outputs but the run has {len(labels)} labels"
        )
    if not clips:
        raise DataError(f"{data_dir}: no WAV files in any subfolder", "expected DIR/<word>/<name>.wav")
    label_ids = {label: i for i, label in enumerate(labels)}
    # Plain features (no augmentation, no cache), as the test split gets them in training.
    computed = compute_clip_features(
        [request_for(path) for path, _ in clips], config.features, [], on_event=on_event, cancel=cancel
    )
    readable = computed.rows >= 0  # -1: unreadable, skipped
    features = computed.features[computed.rows[readable], 0]
    true = [label_ids[label] for (_, label), ok in zip(clips, readable, strict=True) if ok]
    if not true:
        raise DataError(
            f"{data_dir}: none of the {len(clips)} WAV files could be read", "see the skipped files above"
        )
    predicted: list[int] = []
    on_event(Progress("eval", 0, len(true), data_dir))
    for start in range(0, len(true), BATCH_CLIPS):
        if cancel is not None:
            cancel.raise_if_cancelled()
        predicted += int8_predictions(model, features[start : start + BATCH_CLIPS]).tolist()
        on_event(Progress("eval", min(start + BATCH_CLIPS, len(true)), len(true), data_dir))

    confusion = confusion_matrix(true, predicted, len(labels))
    result = EvalResult(
        accuracy=float(np.mean(np.array(true) == np.array(predicted))),
        per_class=per_class_accuracy(confusion, labels),
        confusion=confusion,
        labels=labels,
        clips=len(true),
        data_dir=data_dir,
        run_dir=str(run.path),
        skipped=[{"path": path, "reason": reason} for path, reason in computed.skipped],
    )
    on_event(Done(result.to_dict()))
    return result
