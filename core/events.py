"""Typed progress events and the cancel token shared by every long job.

Long jobs are generators of these events (or take an `on_event` callback) and a `CancelToken`.
The CLI renders them as a progress bar or JSON lines; the TUI posts them as messages from its workers.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from core.errors import Cancelled


class CancelToken:
    """A thread-safe flag a UI sets and a job checks between units of work."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
            raise Cancelled("cancelled by the user; everything saved so far is kept")


@dataclass(frozen=True)
class Event:
    """Base of all events; `to_json` gives the `--json` line form."""

    @property
    def name(self) -> str:
        return _EVENT_NAMES.get(type(self), type(self).__name__.lower())

    def to_json(self) -> dict[str, Any]:
        return {"event": self.name, **dataclasses.asdict(self)}


@dataclass(frozen=True)
class Progress(Event):
    """Generic progress of a stage: `done` of `total` units (total 0 = unknown)."""

    stage: str
    done: float
    total: float
    message: str = ""


@dataclass(frozen=True)
class Log(Event):
    """A line of text worth showing to the user."""

    message: str


@dataclass(frozen=True)
class TrainStep(Event):
    """One reported training step."""

    step: int
    total_steps: int
    loss: float
    train_accuracy: float
    learning_rate: float
    eta_s: float


@dataclass(frozen=True)
class Validation(Event):
    """Validation accuracy measured at `step`."""

    step: int
    accuracy: float


@dataclass(frozen=True)
class Checkpoint(Event):
    """A checkpoint was written; a resume starts from here."""

    step: int
    path: str


@dataclass(frozen=True)
class Done(Event):
    """A job finished; `result` holds its summary (JSON-serialisable)."""

    result: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {"event": "done", **self.result}


_EVENT_NAMES: dict[type, str] = {
    Progress: "progress",
    Log: "log",
    TrainStep: "step",
    Validation: "validation",
    Checkpoint: "checkpoint",
    Done: "done",
}

EventCallback = Callable[[Event], None]


def ignore_events(_event: Event) -> None:
    """Default callback for callers that do not watch progress."""
