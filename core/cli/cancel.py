"""Ctrl-C for the CLI's long commands, in one place.

`with stop_on_signals(printer, "saving a checkpoint") as token:` gives the job a CancelToken that the
first Ctrl-C (SIGINT) or SIGTERM sets: the job stops at its next check, keeps what it saved (a training
checkpoint, a partial download to resume, finished clips) and raises `Cancelled`, which `core.cli.main`
turns into exit status 130. A second Ctrl-C aborts at once (KeyboardInterrupt, also 130). A command that
waits for the user (`record` at its prompt) passes `at_once=True`: there is nothing in flight to finish,
so the first Ctrl-C stops it straight away.
"""

from __future__ import annotations

import contextlib
import signal
import sys
from collections.abc import Iterator
from types import FrameType

from core.cli.output import EventPrinter
from core.errors import Cancelled
from core.events import CancelToken

SIGNALS = (signal.SIGINT, signal.SIGTERM)


@contextlib.contextmanager
def stop_on_signals(
    printer: EventPrinter | None = None, doing: str = "stopping", *, at_once: bool = False
) -> Iterator[CancelToken]:
    """A CancelToken set by the first Ctrl-C or SIGTERM while the block runs (the previous handlers are
    back afterwards). `doing` says what stopping involves ("saving a checkpoint"); it is printed on stderr
    unless the command prints JSON lines."""
    token = CancelToken()

    def handler(signum: int, _frame: FrameType | None) -> None:
        if token.cancelled or at_once:
            token.cancel()
            raise KeyboardInterrupt
        token.cancel()
        if printer is None or not printer.json_lines:
            print(f"\nstopping: {doing} (Ctrl-C again to abort)", file=sys.stderr, flush=True)

    previous = {sig: signal.signal(sig, handler) for sig in SIGNALS}
    try:
        yield token
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def raise_if_stopped(token: CancelToken, what: str) -> None:
    """For a job that ends quietly when cancelled (a live source stops yielding): make the stop a
    Cancelled like every other, naming what was kept."""
    if token.cancelled:
        raise Cancelled(f"stopped by Ctrl-C; {what}")
