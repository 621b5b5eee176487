"""App-wide messages: what workers report to the UI. Widget-specific messages live on their widgets."""

from __future__ import annotations

from textual.message import Message

from core.events import Event
from tui.stream import StreamBatch


class CoreEvent(Message):
    """A `core.events.Event` from the long job running in worker group `job` (posted from its thread)."""

    def __init__(self, job: str, event: Event) -> None:
        super().__init__()
        self.job = job
        self.event = event


class StreamUpdate(Message):
    """A batch of what live stream number `stream_id` produced (a `tui.stream.StreamBatch`)."""

    def __init__(self, stream_id: int, batch: StreamBatch, labels: list[str]) -> None:
        super().__init__()
        self.stream_id = stream_id
        self.batch = batch
        self.labels = labels
