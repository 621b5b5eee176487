"""How the CLI shows events: a one-line progress bar on a terminal, or one JSON object per line."""

from __future__ import annotations

import json
import sys
import time
from typing import Any, TextIO

from core.events import Done, Event, Log, Progress, TrainStep, Validation


def print_json(value: dict[str, Any], stream: TextIO | None = None) -> None:
    stream = stream or sys.stdout
    stream.write(json.dumps(value, default=str) + "\n")
    stream.flush()


class EventPrinter:
    """A callback for core jobs: `--json` prints every event as a JSON line on stdout; otherwise a
    progress bar is redrawn on stderr (when it is a terminal) and logs go to stderr."""

    def __init__(self, json_lines: bool, stream: TextIO | None = None) -> None:
        self.json_lines = json_lines
        self.stream = stream or sys.stderr
        self._last_draw = 0.0
        self._bar_open = False
        self._is_tty = self.stream.isatty()

    def __call__(self, event: Event) -> None:
        if self.json_lines:
            print_json(event.to_json())
            return
        if isinstance(event, Progress):
            self._bar(event.stage, event.done, event.total, event.message)
        elif isinstance(event, TrainStep):
            text = f"loss {event.loss:.3f} acc {event.train_accuracy:.1%} lr {event.learning_rate:g} ETA {event.eta_s:.0f}s"
            self._bar("train", event.step, event.total_steps, text)
        elif isinstance(event, Validation):
            self._line(f"step {event.step}: validation accuracy {event.accuracy:.1%}")
        elif isinstance(event, Log):
            self._line(event.message)
        elif isinstance(event, Done):
            self._close_bar()

    def _bar(self, stage: str, done: float, total: float, message: str) -> None:
        now = time.monotonic()
        finished = total and done >= total
        if not self._is_tty or (now - self._last_draw < 0.1 and not finished):
            return
        self._last_draw = now
        width = 30
        if total:
            filled = int(width * min(done / total, 1.0))
            bar = "█" * filled + "░" * (width - filled)
            text = f"\r{stage:>8} {bar} {done:,.0f}/{total:,.0f} {message}"
        else:
            text = f"\r{stage:>8} {done:,.0f} {message}"
        self.stream.write(text[:200].ljust(100))
        self.stream.flush()
        self._bar_open = True
        if finished:
            self._close_bar()

    def _line(self, text: str) -> None:
        self._close_bar()
        self.stream.write(text + "\n")
        self.stream.flush()

    def _close_bar(self) -> None:
        if self._bar_open:
            self.stream.write("\n")
            self.stream.flush()
            self._bar_open = False
