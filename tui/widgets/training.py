"""The Training pane: start / stop / resume, progress with ETA, live loss and accuracy curves.

The pane runs the training job (`core.model.train.train` in a worker); its events (`TrainStep`,
`Validation`) come back here, and the pane keeps the series it plots and redraws the curves at most a few
times a second. plotext takes a few tenths of a second to import, so the first frame has no plots: they
are imported in a thread and mounted by `show_plots`, which the app calls once its first frame is on
screen (and `redraw` calls, for a pane used on its own).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import Button, ProgressBar, Static

from core.config import ProjectConfig
from core.events import CancelToken, TrainStep, Validation
from tui.jobs import JobEnded, JobEvent, JobKind, Outcome, Reporter, show_progress

if TYPE_CHECKING:
    from core.model.train import TrainResult


def format_eta(seconds: float) -> str:
    seconds = max(0, round(seconds))
    minutes, secs = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"


class TrainingPane(Vertical):
    """Training controls, progress and curves."""

    REDRAW_EVERY_S = 0.5

    class Trained(JobEnded["TrainResult"]):
        """A training job ended (done, stopped with its checkpoint kept, or failed)."""

        kind = JobKind.TRAIN

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.border_title = "Training"
        self.steps: list[int] = []
        self.losses: list[float] = []
        self.train_acc: list[float] = []
        self.val_steps: list[int] = []
        self.val_acc: list[float] = []
        self.total_steps = 0
        self.state = "idle"
        self._dirty = False
        self._plots_requested = False

    def compose(self) -> ComposeResult:
        with Horizontal(classes="buttons"):
            yield Button("Train", id="train-start", action="app.train", variant="primary", compact=True)
            yield Button("Stop", id="train-stop", action="app.stop_training", variant="error", compact=True)
            yield Button("Resume", id="train-resume", action="app.resume_training", compact=True)
            yield Static("", id="train-state")
        with Horizontal(id="train-progress-row"):
            yield ProgressBar(total=1, id="train-progress", show_eta=False, show_percentage=True)
            yield Static("", id="train-counts")
        yield Horizontal(id="train-plots")
        yield Static("", id="train-status")

    def on_mount(self) -> None:
        self.set_interval(self.REDRAW_EVERY_S, self._redraw_if_dirty)
        self.set_state("idle")

    # ---- the training job ----------------------------------------------------------------------------

    def train(self, config: ProjectConfig, project_dir: Path, resume: Path | bool = False) -> bool:
        """Train a new run, or continue one from its last checkpoint (`resume`: its folder, or True for
        the newest run). False when a training is already running."""
        if self.app.jobs.refuse_if_busy(JobKind.TRAIN):
            return False
        self.reset()
        self.set_state("running", "resuming" if resume else "")

        def work(on_event: Reporter, cancel: CancelToken) -> TrainResult:
            from core.model.train import train

            return train(config, project_dir, resume=resume, on_event=on_event, cancel=cancel)

        return self.app.jobs.start(JobKind.TRAIN, work, owner=self)

    @on(JobEvent)
    def _job_event(self, message: JobEvent) -> None:
        event = message.event
        if isinstance(event, TrainStep):
            self.add_step(event)
        elif isinstance(event, Validation):
            self.add_validation(event)
        else:
            show_progress(self, message)

    @on(Trained)
    def _trained(self, message: Trained) -> None:
        self.set_state({Outcome.DONE: "done", Outcome.STOPPED: "stopped"}.get(message.outcome, "failed"))

    def show_plots(self) -> None:
        """Import plotext (in a thread) and mount the two plots, once."""
        if not self._plots_requested:
            self._plots_requested = True
            self._load_plots()

    @work(thread=True, group="plots")
    def _load_plots(self) -> None:
        from textual_plotext import PlotextPlot

        self.app.call_from_thread(self._mount_plots, PlotextPlot)

    async def _mount_plots(self, plot_class: type) -> None:
        await self.query_one("#train-plots").mount(plot_class(id="loss-plot"), plot_class(id="acc-plot"))
        self.redraw()

    def set_state(self, state: str, detail: str = "") -> None:
        """idle | running | stopped | done | failed, plus a short detail."""
        self.state = state
        style = {"running": "$accent", "done": "$success", "failed": "$error", "stopped": "$warning"}.get(
            state, "dim"
        )
        text = f"[{style}]● {state}[/]" + (f" [dim]{detail}[/]" if detail else "")
        self.query_one("#train-state", Static).update(Content.from_markup(text))
        self.query_one("#train-start", Button).disabled = state == "running"
        self.query_one("#train-resume", Button).disabled = state == "running"
        self.query_one("#train-stop", Button).disabled = state != "running"

    def reset(self) -> None:
        """A new run: forget the curves."""
        for series in (self.steps, self.losses, self.train_acc, self.val_steps, self.val_acc):
            series.clear()
        self.total_steps = 0
        self.query_one(ProgressBar).update(total=1, progress=0)
        self.redraw()

    def show_history(self, steps: list[TrainStep], validations: list[Validation], run_id: str) -> None:
        """The curves a finished (or stopped) run logged."""
        self.reset()
        for step in steps:
            self.add_step(step)
        for validation in validations:
            self.add_validation(validation)
        if steps:
            last = steps[-1]
            state = "done" if last.step >= last.total_steps else "stopped"
            self.set_state(state, f"run {run_id}")
        self.redraw()

    def add_step(self, event: TrainStep) -> None:
        self.total_steps = event.total_steps
        self.steps.append(event.step)
        self.losses.append(event.loss)
        self.train_acc.append(event.train_accuracy * 100)
        self.query_one(ProgressBar).update(total=event.total_steps, progress=event.step)
        counts = f"{event.step:,} / {event.total_steps:,}   ETA {format_eta(event.eta_s)}"
        self.query_one("#train-counts", Static).update(counts)
        self._status(event.learning_rate, event.step)
        self._dirty = True

    def add_validation(self, event: Validation) -> None:
        self.val_steps.append(event.step)
        self.val_acc.append(event.accuracy * 100)
        self._dirty = True
        if self.steps:
            self._status(None, self.steps[-1])

    def _status(self, learning_rate: float | None, step: int) -> None:
        lr = f"lr {learning_rate:g} · " if learning_rate is not None else ""
        val = f" · val {self.val_acc[-1]:.1f} %" if self.val_acc else ""
        history = (
            "  [dim]val history " + " ".join(f"{a:.0f}" for a in self.val_acc[-8:]) + "[/]"
            if self.val_acc
            else ""
        )
        self.query_one("#train-status", Static).update(
            Content.from_markup(f"{lr}step {step:,}{val}{history}")
        )

    def _redraw_if_dirty(self) -> None:
        if self._dirty:
            self.redraw()

    def redraw(self) -> None:
        """Draw the curves now (they are also redrawn by a timer as events arrive)."""
        plots = self.query("#train-plots > *")
        if len(plots) < 2:
            self.show_plots()
            return  # still loading plotext; drawn once mounted
        self._dirty = False
        loss, acc = plots
        plt = loss.plt
        plt.clear_data()
        plt.clear_figure()
        plt.title("loss")
        if self.steps:
            plt.plot(self.steps, self.losses, marker="braille", color="orange")
        loss.refresh()
        plt = acc.plt
        plt.clear_data()
        plt.clear_figure()
        plt.title("accuracy %")
        if self.steps:
            plt.plot(self.steps, self.train_acc, marker="braille", color="cyan", label="train")
        if self.val_steps:
            plt.plot(self.val_steps, self.val_acc, marker="braille", color="green", label="val")
        acc.refresh()
