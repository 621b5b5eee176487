"""App-wide messages: what workers report to the UI. Widget-specific messages live on their widgets."""

from __future__ import annotations

from textual.message import Message

from core.events import Event


class CoreEvent(Message):
    """A `core.events.Event` from the long job running in worker group `job` (posted from its thread)."""

    def __init__(self, job: str, event: Event) -> None:
        super().__init__()
        self.job = job
        self.event = event


class StreamUpdate(Message):
    """A batch of what a live source produced: feature frames, level, scores and new detections."""

    def __init__(self, source: str, update: object) -> None:
        super().__init__()
        self.source = source
        self.update = update


class ProjectScanned(Message):
    """The project's data counts, runs and ports were (re)read from disk; `scan` holds them."""

    def __init__(self, scan: object) -> None:
        super().__init__()
        self.scan = scan
