"""Every long job of the app runs here: in a thread worker, one job of each kind at a time, cancellable,
reporting core's events to the widget that started it and ending with one typed message.

How to add a job (say, flashing the board from the Build pane):

1. Add its kind to `JobKind`: `FLASH = "flash", "flashing the board", True` (the worker group; the words
   used in "flashing the board stopped" and as the error dialog's title; whether `x` can stop it).
2. Declare its end message on the widget that owns the job, with the type of what the work returns:

       class Flashed(JobEnded["FlashResult"]):
           kind = JobKind.FLASH

3. Start it from that widget with the work as a function of `(on_event, cancel)`; it runs in a thread:

       def flash(self, port: str) -> None:
           def work(on_event: Reporter, cancel: CancelToken) -> FlashResult:
               from core.arduino import flash_sketch  # TensorFlow and other heavy imports stay in workers
               return flash_sketch(port, on_event=on_event, cancel=cancel)

           self.app.jobs.start(JobKind.FLASH, work, owner=self)

   The work's `core.events` arrive at the owner as `JobEvent` messages: handle the ones it shows
   (`@on(JobEvent)`) and let the others bubble to the app, which shows `Log` lines as notifications.
4. Handle the end with `@on(BuildPane.Flashed)`: in the owner for what it shows, in the app for project
   state (the message bubbles up). Failures are already routed by the time it arrives (the error dialog,
   or a "stopped" notice after Ctrl-C/x), so handlers only update what they draw.

A job's worker belongs to the app node, so this one `Worker.StateChanged` handler sees them all.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from enum import Enum
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

from textual.message import Message
from textual.message_pump import MessagePump
from textual.widget import Widget
from textual.worker import Worker, WorkerState

from core.errors import Cancelled
from core.events import CancelToken, Done, Event, Progress

if TYPE_CHECKING:
    from tui.app import WakebenchApp

R = TypeVar("R")
Reporter = Callable[[Event], None]
"""The `on_event` callback a job's work hands to core (safe to call from the worker thread)."""
Work = Callable[[Reporter, CancelToken], Any]


class JobKind(Enum):
    """The kinds of long job; each is a worker group, so at most one of each runs."""

    SCAN = "scan", "reading the project", False
    RUN_DETAILS = "run-details", "reading the run", False
    PORTS = "ports", "listing serial ports", False
    BOARD = "board", "the board link", True
    SIM = "sim", "the virtual board", True
    DATA = "data", "making data", True
    TRAIN = "train", "training", True
    EXPORT = "export", "exporting", True
    STREAM = "stream", "the live stream", True
    RECORD = "record", "recording a take", True
    PLAYBACK = "playback", "playing the take", False
    BUILD = "build", "building the firmware", True
    FLASH = "flash", "flashing the board", True
    LOOP = "loop", "retraining and flashing", True

    def __init__(self, group: str, title: str, stoppable: bool) -> None:
        self.group = group
        self.title = title
        """What the job is doing, for notices and the error dialog."""
        self.stoppable = stoppable
        """Its work checks the cancel token, so Stop (x) can end it."""


class Outcome(Enum):
    DONE = "done"
    STOPPED = "stopped"
    FAILED = "failed"


class JobEvent(Message):
    """A `core.events.Event` from a running job, posted (from its thread) to the widget that started it."""

    def __init__(self, kind: JobKind, event: Event) -> None:
        super().__init__()
        self.kind = kind
        self.event = event


_END_MESSAGES: dict[JobKind, type[JobEnded[Any]]] = {}


class JobEnded(Message, Generic[R]):
    """Base of the typed end messages, one subclass per `JobKind` (set as the class attribute `kind`).

    `result` is what the work returned when the outcome is DONE, else None; `error` is set when it FAILED
    (already shown to the user)."""

    kind: ClassVar[JobKind]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        kind = cls.__dict__.get("kind")
        if kind is not None:
            if kind in _END_MESSAGES:
                raise TypeError(f"{kind} already ends with {_END_MESSAGES[kind].__qualname__}")
            _END_MESSAGES[kind] = cls

    def __init__(self, outcome: Outcome, result: R | None = None, error: BaseException | None = None) -> None:
        super().__init__()
        self.outcome = outcome
        self.result = result
        self.error = error

    @property
    def ok(self) -> bool:
        return self.outcome is Outcome.DONE


class JobRunner:
    """Starts, tracks and stops the app's jobs, and routes their failures (owned by the app: `app.jobs`)."""

    def __init__(self, app: WakebenchApp) -> None:
        self._app = app
        self._tokens: dict[JobKind, CancelToken] = {}
        # Every running job: who gets its messages, and its token (x stops only stoppable kinds; closing
        # the app stops them all).
        self._running: dict[Worker[Any], tuple[MessagePump, CancelToken]] = {}

    def busy(self, kind: JobKind) -> bool:
        """Whether a job of `kind` is pending or running."""
        return any(
            w.group == kind.group and w.state in (WorkerState.PENDING, WorkerState.RUNNING)
            for w in self._app.workers
        )

    def refuse_if_busy(self, kind: JobKind) -> bool:
        """True (and the user told so) when a job of `kind` is already running."""
        if self.busy(kind):
            self._app.notify(f"{kind.title} is already running (x stops it)", severity="warning")
            return True
        return False

    def start(self, kind: JobKind, work: Work, owner: MessagePump, *, replace: bool = False) -> bool:
        """Run `work(on_event, cancel)` in a thread; its events and end message go to `owner`.

        A job of the same kind already running is refused (False), or stopped first with `replace`."""
        if kind not in _END_MESSAGES:
            raise TypeError(f"{kind} has no JobEnded subclass declaring `kind = {kind}`")
        if self.busy(kind):
            if not replace:
                self.refuse_if_busy(kind)
                return False
            self.cancel(kind, quiet=True)
        token = CancelToken()
        if kind.stoppable:
            self._tokens[kind] = token

        def report(event: Event) -> None:
            owner.post_message(JobEvent(kind, event))

        def run() -> Any:
            return work(report, token)

        worker = self._app.run_worker(
            run, name=kind.group, group=kind.group, thread=True, exclusive=True, exit_on_error=False
        )
        self._running[worker] = (owner, token)
        return True

    def cancel(self, kind: JobKind, quiet: bool = False) -> None:
        """Ask the running job of `kind` to stop at its next check (what it saved is kept)."""
        token = self._tokens.get(kind)
        if token is not None and not token.cancelled:
            token.cancel()
            if not quiet:
                self._app.notify(f"stopping {kind.title}…")

    def shutdown(self) -> None:
        """Stop every job when the app closes: Textual cannot stop a thread, and a job serving a board
        or a stream would otherwise run on after the app and keep the process from exiting."""
        for _, token in self._running.values():
            token.cancel()

    def stop_all(self) -> None:
        running = [kind for kind in list(self._tokens) if self.busy(kind)]
        if not running:
            self._app.notify("nothing is running")
        for kind in running:
            self.cancel(kind)

    def worker_changed(self, event: Worker.StateChanged) -> None:
        """The app's one `Worker.StateChanged` handler: route failures, then post the job's end message."""
        worker = event.worker
        job = self._running.get(worker)
        if job is None:
            return  # not a job (a worker Textual or a widget runs for itself)
        owner = job[0]
        kind = next(k for k in JobKind if k.group == worker.group)
        error = worker.error
        if event.state == WorkerState.ERROR:
            if isinstance(error, Cancelled):
                self._app.notify(f"{kind.title} stopped; what was saved is kept", severity="warning")
            else:
                self._app.show_error(error, kind.title)
        if event.state not in (WorkerState.SUCCESS, WorkerState.ERROR, WorkerState.CANCELLED):
            return
        del self._running[worker]
        if not self.busy(kind):
            self._tokens.pop(kind, None)
        if event.state == WorkerState.SUCCESS:
            outcome = Outcome.DONE
        elif event.state == WorkerState.CANCELLED or isinstance(error, Cancelled):
            outcome = Outcome.STOPPED
        else:
            outcome = Outcome.FAILED
        failed = error if outcome is Outcome.FAILED else None
        result = worker.result if outcome is Outcome.DONE else None
        owner.post_message(_END_MESSAGES[kind](outcome, result, failed))


def show_progress(pane: Widget, message: JobEvent) -> None:
    """A job's `Progress` in its pane's border ("stage 120/600"), cleared by `Done`."""
    event = message.event
    if isinstance(event, Progress):
        total = f"/{event.total:,.0f}" if event.total else ""
        pane.border_subtitle = f"{event.stage} {event.done:,.0f}{total}"
    elif isinstance(event, Done):
        pane.border_subtitle = ""


def start_resource_tracker() -> None:
    """Start multiprocessing's resource tracker with the real stderr before a core job spawns processes.

    The tracker hands `sys.stderr.fileno()` to its process; while Textual runs, `sys.stderr` is its print
    capture whose fileno is -1, and spawning fails with "bad value(s) in fds_to_keep".
    """
    from multiprocessing import resource_tracker

    if sys.__stderr__ is None:
        return
    captured = sys.stderr
    sys.stderr = sys.__stderr__
    try:
        resource_tracker.ensure_running()
    finally:
        sys.stderr = captured
