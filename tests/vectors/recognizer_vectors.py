"""Load the shared recognizer vectors and run them through the Python recognizer.

Imported by tests/unit/test_recognize.py and tests/firmware/ (which runs the same files through the C++
recognizer), and by make_recognizer_vectors.py.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.config import RecognizerSettings
from core.live.recognize import RecognizeCommands, TimeOrderError

VECTOR_DIR = Path(__file__).parent / "recognizer"
TIME_ORDER_ERROR = "time_order_error"


@dataclass(frozen=True)
class Vector:
    name: str
    labels: list[str]
    settings: RecognizerSettings
    capacity: int | None
    steps: list[tuple[int, list[int], Any]]


def load_vector(path: Path) -> Vector:
    data = json.loads(path.read_text(encoding="utf-8"))
    steps = [(int(t), [int(s) for s in scores], expect) for t, scores, expect in data["steps"]]
    return Vector(path.stem, data["labels"], RecognizerSettings(**data["settings"]), data["capacity"], steps)


def all_vectors() -> list[Vector]:
    return [load_vector(p) for p in sorted(VECTOR_DIR.glob("*.json"))]


def python_decisions(vector: Vector) -> list[Any]:
    """Each step's decision in the vector's `expect` form."""
    recognizer = RecognizeCommands(vector.labels, vector.settings, capacity=vector.capacity)
    out: list[Any] = []
    for time_ms, scores, _ in vector.steps:
        try:
            detection = recognizer.process(scores, time_ms)
        except TimeOrderError:
            out.append(TIME_ORDER_ERROR)
            continue
        out.append(None if detection is None else [detection.label, detection.score, detection.is_new])
    return out
