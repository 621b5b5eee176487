"""Accuracy figures of a model on labelled clips: confusion matrix, per-class accuracy, and the int8
model's predictions in the TFLM interpreter. Export (test split) and evaluate (any folder) share them."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from core.model.tflm import TflmModel


def confusion_matrix(
    true: Sequence[int] | np.ndarray, predicted: Sequence[int] | np.ndarray, n_labels: int
) -> list[list[int]]:
    """Rows are true labels, columns predictions."""
    matrix = np.zeros((n_labels, n_labels), np.int64)
    np.add.at(matrix, (np.asarray(true, np.int64), np.asarray(predicted, np.int64)), 1)
    return matrix.tolist()


def per_class_accuracy(confusion: list[list[int]], labels: Sequence[str]) -> dict[str, float | None]:
    """Recall of each label (None for a label without clips)."""
    out: dict[str, float | None] = {}
    for i, label in enumerate(labels):
        total = sum(confusion[i])
        out[label] = confusion[i][i] / total if total else None
    return out


def int8_predictions(model: TflmModel, features_u16: np.ndarray) -> np.ndarray:
    """Label index predicted by a TflmModel for each uint16 feature window."""
    if len(features_u16) == 0:
        return np.zeros(0, np.int64)
    return np.argmax(model.scores_batch(features_u16), axis=1)
