"""The Build & flash pane: Build, Flash and Retrain+Flash, their progress and log.

Each button runs the same core call as the CLI (`wakebench build`, `flash`, `loop`) as a job in a thread
worker (tui/jobs.py): progress in the bar and the pane's border, every log line and the compiler's own
messages in the log, failures in the error dialog (a missing arduino-cli says how to install it).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import Button, ProgressBar, RichLog, Static

from core.errors import CompileError
from core.events import CancelToken, Done, Log, Progress
from tui.jobs import JobEnded, JobEvent, JobKind, Reporter, show_progress, start_resource_tracker

if TYPE_CHECKING:
    from core.arduino.build import BuildReport
    from core.arduino.flash import FlashReport
    from core.config import ProjectConfig
    from core.loop import LoopResult


def arduino_cli_path(configured: str = "") -> str | None:
    """Where the arduino-cli wakebench would use is (`[board] arduino_cli`, else PATH), or None."""
    if configured:
        path = Path(configured).expanduser()
        return str(path) if path.is_file() else shutil.which(configured)
    return shutil.which("arduino-cli")


class BuildPane(Vertical):
    """Build/flash controls and their log."""

    class Built(JobEnded["BuildReport"]):
        kind = JobKind.BUILD

    class Flashed(JobEnded["FlashReport"]):
        kind = JobKind.FLASH

    class Retrained(JobEnded["LoopResult"]):
        """The retrain-and-flash loop ended; `result.run_dir` is the new run."""

        kind = JobKind.LOOP

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.border_title = "Build & flash"

    def compose(self) -> ComposeResult:
        with Horizontal(classes="buttons"):
            yield Button("Build", id="build", action="app.build", compact=True)
            yield Button("Flash", id="flash", action="app.flash", compact=True)
            yield Button("Retrain+Flash", id="retrain-flash", action="app.retrain_flash", compact=True)
        yield Static("", id="build-status")
        yield ProgressBar(total=1, id="build-progress", show_eta=False)
        yield RichLog(id="build-log", wrap=True, markup=False, max_lines=500)

    def set_status(self, markup: str) -> None:
        self.query_one("#build-status", Static).update(Content.from_markup(markup))

    def log_line(self, text: str) -> None:
        self.query_one(RichLog).write(text)

    def set_progress(self, done: float, total: float | None) -> None:
        self.query_one(ProgressBar).update(total=total, progress=done)

    def show_tools(self, configured: str = "") -> None:
        """Say whether arduino-cli is there (without running it: the first frame stays fast)."""
        cli = arduino_cli_path(configured)
        if cli is None:
            self.set_status(
                "[$error]arduino-cli not found.[/] Install arduino-cli 1.3 or newer "
                "(arduino.github.io/arduino-cli) or set \\[board] arduino_cli, to build and flash."
            )
        else:
            self.set_status(f"arduino-cli: {cli} · b build · f flash · r retrain+flash")

    # ---- jobs ---------------------------------------------------------------------------------------

    def build(self, run_path: Path, config: ProjectConfig, project_dir: Path) -> None:
        """Compile the run's firmware for the project's board (`wakebench build`)."""

        def work(on_event: Reporter, cancel: CancelToken) -> BuildReport:
            from core.arduino.build import build_run, project_sketch_dir
            from core.arduino.cli import ArduinoCli
            from core.board.profiles import get_board

            cli = ArduinoCli.open(config.board.arduino_cli, project_dir, config.board.private_toolchain)
            sketch = project_sketch_dir(config.board.sketch_dir, project_dir)
            return build_run(
                run_path,
                get_board(config.board.profile),
                cli,
                sketch_dir=sketch,
                on_event=on_event,
                cancel=cancel,
            )

        self._start(JobKind.BUILD, work, f"building {run_path.name}")

    def flash(self, run_path: Path, config: ProjectConfig, project_dir: Path, port: str, link: Any) -> None:
        """Build if needed, upload, and check the board's hello (`wakebench flash`). `link` is the Board
        pane's open link (released for the upload, reconnected after), or None."""

        def work(on_event: Reporter, cancel: CancelToken) -> FlashReport:
            from core.arduino.build import project_sketch_dir
            from core.arduino.cli import ArduinoCli
            from core.arduino.flash import flash_run
            from core.board.profiles import get_board

            cli = ArduinoCli.open(config.board.arduino_cli, project_dir, config.board.private_toolchain)
            return flash_run(
                run_path,
                get_board(config.board.profile),
                cli,
                port=port,
                baud=config.board.baud,
                link=link,
                sketch_dir=project_sketch_dir(config.board.sketch_dir, project_dir),
                on_event=on_event,
                cancel=cancel,
            )

        self._start(JobKind.FLASH, work, f"flashing {run_path.name}")

    def retrain_flash(
        self,
        run_path: Path,
        config: ProjectConfig,
        project_dir: Path,
        port: str,
        link: Any,
        flash: bool = True,
    ) -> None:
        """The loop (`wakebench loop`): retrain on what is new since the run, export, check, build,
        flash and reconnect; with `flash=False` it stops after the check."""

        def work(on_event: Reporter, cancel: CancelToken) -> LoopResult:
            from core.arduino.build import project_sketch_dir
            from core.board.profiles import SKETCH_DIR
            from core.loop import retrain_loop

            start_resource_tracker()  # a recalibrating export scores its streams in worker processes
            board = cli = None
            sketch = SKETCH_DIR
            if flash:
                from core.arduino.cli import ArduinoCli
                from core.board.profiles import get_board

                board = get_board(config.board.profile)
                sketch = project_sketch_dir(config.board.sketch_dir, project_dir)
                cli = ArduinoCli.open(config.board.arduino_cli, project_dir, config.board.private_toolchain)
            return retrain_loop(
                run_path,
                config.loop,
                board=board,
                cli=cli,
                port=port,
                baud=config.board.baud,
                link=link,
                sketch_dir=sketch,
                on_event=on_event,
                cancel=cancel,
            )

        self._start(JobKind.LOOP, work, f"retraining {run_path.name}")

    def _start(self, kind: JobKind, work: Any, what: str) -> None:
        busy = [k for k in (JobKind.BUILD, JobKind.FLASH, JobKind.LOOP) if self.app.jobs.busy(k)]
        if busy:
            self.notify(f"{busy[0].title} is already running (x stops it)", severity="warning")
            return
        if self.app.jobs.start(kind, work, owner=self):
            self.set_progress(0, None)
            self.set_status(f"{what}…")
            self.log_line(f"-- {what}")

    @on(JobEvent)
    def _job_event(self, message: JobEvent) -> None:
        if message.kind not in (JobKind.BUILD, JobKind.FLASH, JobKind.LOOP):
            return
        show_progress(self, message)
        event = message.event
        if isinstance(event, Progress):
            if event.total:
                self.set_progress(event.done, event.total)
            if event.message:
                self.set_status(f"{event.stage}: {event.message}")
        elif isinstance(event, Log):
            self.log_line(event.message)
        elif isinstance(event, Done):
            return
        message.stop()  # shown here; the app would show Log lines as notifications too

    @on(Built)
    @on(Flashed)
    @on(Retrained)
    def _ended(self, message: JobEnded[Any]) -> None:
        self.border_subtitle = ""
        if isinstance(message.error, CompileError) and message.error.compiler_output:
            for line in message.error.compiler_output.splitlines()[-40:]:
                self.log_line(line)
        if not message.ok:
            self.set_status(f"[$warning]{message.kind.title} {message.outcome.value}[/]")
            return
        self.set_progress(1, 1)
        result = message.result
        if isinstance(message, BuildPane.Built):
            ram = f"{result.ram_used:,}" if result.ram_used is not None else "?"
            self.set_status(
                f"built {result.model_sha8}: flash {result.flash_used:,}/{result.flash_max:,} B · "
                f"RAM {ram}/{result.ram_max:,} B"
            )
        elif isinstance(message, BuildPane.Flashed):
            self.set_status(f"[$success]flashed[/] {result.port}: the board runs model {result.model_sha8}")
        else:
            self._show_loop(result)

    def _show_loop(self, result: LoopResult) -> None:
        before, after = result.new_clip_scores
        self.log_line(
            f"new clips ({result.new_clips}): {_pct(before.accuracy if before else None)} right before, "
            f"{_pct(after.accuracy if after else None)} after"
        )
        self.log_line(
            f"test accuracy {_pct(result.test_accuracy[0])} -> {_pct(result.test_accuracy[1])}; "
            f"model {result.model_bytes[0]:,} -> {result.model_bytes[1]:,} B"
        )
        for word, (was, now) in result.per_word.items():
            self.log_line(f"  {word}: {_pct(was)} -> {_pct(now)}")
        stages = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in result.stage_seconds.items())
        self.log_line(f"stages: {stages}")
        where = f"; flashed {result.flashed['port']}" if result.flashed else ""
        self.set_status(f"[$success]new run {Path(result.run_dir).name}[/]{where}")


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0%}"
