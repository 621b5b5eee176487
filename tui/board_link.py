"""Glue between `core.board` and the app: the board job (a `BoardLink` read in a worker, handing the Board
pane small batches of what arrived) and the virtual-board job (`VirtualBoard` on a pty for the picked run).

Batching keeps the UI to ~25 messages a second however fast the board talks; everything the batches carry
is core's: typed protocol messages and link events, the link's counts, and the audio history a capture
is cut from (`core.board.capture.AudioHistory`, fed on the link's reader thread).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from core.board.link import BoardLink, LinkItem, LinkState, LinkStats
from core.events import CancelToken

BATCH_SECONDS = 0.04
IDLE_SECONDS = 0.5
"""An empty batch (state and counts only) at least this often."""


@dataclass(frozen=True)
class RunQuantization:
    """The picked run's model as the board pane compares and draws with it."""

    model_sha8: str = ""
    input_scale: float = 0.1
    """Without an exported run: a typical model's input scale, so frames still draw sensibly."""
    input_zero_point: int = -128


def run_quantization(run_dir: Path | None) -> RunQuantization:
    from core.model.runs import RunDir

    report = RunDir(run_dir).report if run_dir is not None else None
    if report is None:
        return RunQuantization()
    return RunQuantization(report.model_sha8, report.input_scale, report.input_zero_point)


@dataclass
class BoardBatch:
    """What the link delivered since the last batch, with its state and counts now."""

    items: list[LinkItem] = field(default_factory=list)
    state: str = ""
    device: str = ""
    stats: LinkStats = field(default_factory=LinkStats)


def board_batches(link: BoardLink, cancel: CancelToken) -> Iterator[BoardBatch]:
    """Batches of a link's items until `cancel` is set, the link closes, or its port is gone for good
    (a virtual board's pty that closed)."""
    pending: list[LinkItem] = []
    last = time.monotonic()
    state = ""
    while not cancel.cancelled and not link.closed:
        item = link.get(timeout=BATCH_SECONDS)
        if item is not None:
            pending.append(item)
        now = time.monotonic()
        changed = link.state.value != state
        if (pending and now - last >= BATCH_SECONDS) or changed or now - last >= IDLE_SECONDS:
            state = link.state.value
            yield BoardBatch(pending, state, link.device, link.stats)
            pending, last = [], now
            if link.state is LinkState.DISCONNECTED:
                return
    if pending:
        yield BoardBatch(pending, link.state.value, link.device, link.stats)
