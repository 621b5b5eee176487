"""Evaluate an exported run on any folder in the Speech Commands layout, with the int8 model running in
the TFLM interpreter exactly as on the board (same features, same input quantization).

Each subfolder is a class: a folder named after one of the run's words (or `_silence_`, `_unknown_`)
is that label, `_background_noise_/` is skipped, and every other folder counts as `_unknown_`.
Every clip is used (no split); unreadable files are skipped and listed.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from core.config import BACKGROUND_NOISE_DIR, SILENCE_LABEL, UNKNOWN_LABEL
from core.errors import AudioError, DataError, ExportError
from core.events import CancelToken, Done, EventCallback, Log, Progress, ignore_events
from core.runs import RunDir

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
    from core.data import word_folder

    by_folder = {word_folder(label): label for label in labels[2:]}
    by_folder[SILENCE_LABEL] = SILENCE_LABEL
    by_folder[UNKNOWN_LABEL] = UNKNOWN_LABEL
    clips = []
    for folder in sorted(p for p in data_dir.iterdir() if p.is_dir()):
        if folder.name == BACKGROUND_NOISE_DIR or folder.name.startswith("."):
            continue
        label = by_folder.get(folder.name, UNKNOWN_LABEL)
        clips += [(p, label) for p in sorted(folder.iterdir()) if p.is_file() and p.suffix.lower() == ".wav"]
    return clips


def evaluate_folder(
    run: RunDir | str | Path,
    data_dir: str | Path,
    *,
    on_event: EventCallback = ignore_events,
    cancel: CancelToken | None = None,
) -> EvalResult:
    """Accuracy, per-class accuracy and confusion matrix of the run's model.tflite on `data_dir`."""
    from core.audio import fit_clip, read_wav
    from core.export import confusion_matrix, int8_predictions, per_class_accuracy
    from core.features import compute_features
    from core.tflm import TflmModel

    run = run if isinstance(run, RunDir) else RunDir.open(run)
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise DataError(
            f"{data_dir}: no such folder", "give a folder in Speech Commands layout: DIR/<word>/*.wav"
        )
    config = run.config
    labels = config.labels
    if not run.model_path.is_file():
        raise ExportError(
            f"{run.path}: the run is not exported yet", f"export it first: wakebench export {run.path}"
        )
    model = TflmModel.from_file(run.model_path, run.report.get("arena_bytes"))
    if model.num_labels != len(labels):
        raise DataError(
            f"{run.model_path} has {model.num_labels} outputs but the run has {len(labels)} labels"
        )

    clips = folder_labels(data_dir, labels)
    if not clips:
        raise DataError(f"{data_dir}: no WAV files in any subfolder", "expected DIR/<word>/<name>.wav")
    label_ids = {label: i for i, label in enumerate(labels)}
    samples = config.features.clip_samples
    true: list[int] = []
    predicted: list[int] = []
    skipped: list[dict[str, str]] = []
    on_event(Progress("eval", 0, len(clips), str(data_dir)))
    for start in range(0, len(clips), BATCH_CLIPS):
        if cancel is not None:
            cancel.raise_if_cancelled()
        audio, ids = [], []
        for path, label in clips[start : start + BATCH_CLIPS]:
            try:
                audio.append(fit_clip(read_wav(path, config.features.sample_rate), samples))
            except AudioError as exc:
                skipped.append({"path": str(path), "reason": exc.reason})
                on_event(Log(f"skipped unreadable clip {exc}"))
                continue
            ids.append(label_ids[label])
        if audio:
            features = compute_features(np.stack(audio), config.features)
            predicted += int8_predictions(model, features).tolist()
            true += ids
        on_event(Progress("eval", min(start + BATCH_CLIPS, len(clips)), len(clips), str(data_dir)))
    if not true:
        raise DataError(
            f"{data_dir}: none of the {len(clips)} WAV files could be read", "see the skipped files above"
        )

    confusion = confusion_matrix(true, predicted, len(labels))
    result = EvalResult(
        accuracy=float(np.mean(np.array(true) == np.array(predicted))),
        per_class=per_class_accuracy(confusion, labels),
        confusion=confusion,
        labels=labels,
        clips=len(true),
        data_dir=str(data_dir),
        run_dir=str(run.path),
        skipped=skipped,
    )
    on_event(Done(result.to_dict()))
    return result
