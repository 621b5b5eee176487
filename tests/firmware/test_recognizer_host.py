"""The firmware's C++ recognizer takes the same decisions as core.live.recognize on the shared vectors."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from host_build import run_driver

sys.path.insert(0, str(Path(__file__).parents[1] / "vectors"))
from recognizer_vectors import TIME_ORDER_ERROR, all_vectors, python_decisions  # noqa: E402

UNBOUNDED = 4096  # The driver's largest queue; no vector holds that many results in one window.


def vector_input(vector) -> str:
    s = vector.settings
    capacity = vector.capacity or UNBOUNDED
    head = f"{len(vector.labels)} {capacity} {s.average_window_ms} {s.detection_threshold} {s.suppression_ms} {s.minimum_count}"
    steps = [f"{t} " + " ".join(map(str, scores)) for t, scores, _ in vector.steps]
    return "\n".join([head, *steps]) + "\n"


def decode(vector, line: str):
    line = line.strip()
    if line == "none":
        return None
    if line == "error":
        return TIME_ORDER_ERROR
    index, score, is_new = (int(x) for x in line.split())
    return [vector.labels[index], score, bool(is_new)]


@pytest.mark.parametrize("vector", all_vectors(), ids=lambda v: v.name)
def test_cpp_recognizer_matches_python_and_the_vector(host_build, vector):
    output = run_driver(host_build, "recognizer_driver", vector_input(vector))
    cpp = [decode(vector, line) for line in output]
    assert len(cpp) == len(vector.steps)
    assert cpp == python_decisions(vector)
    assert cpp == [step[2] for step in vector.steps]
