"""The wakebench workbench: a Textual face over `core`.

The app is the shell: its modes (workbench, record), its keys, the project (config file, picked run, the
runs and words found on disk) and error routing. Everything else lives in the panes (`tui/widgets/`),
which draw, and run the long jobs only they use, through the one job runner (`tui/jobs.py`):

    key / button / palette  ->  app action (one line)  ->  pane method  ->  app.jobs.start(JobKind.X, work, owner=pane)
    core events  ->  JobEvent to the pane          job end  ->  typed JobEnded message, handled with @on
                                                               (in the pane, then bubbling up to the app)

Adding a feature to a pane: give the pane a method that starts its job (see the recipe in tui/jobs.py),
an app action that calls it with what the project knows (config, paths), a `Binding` or a row in
`tui/commands.py` for it, and an `@on(Pane.XEnded)` here only if the project's state changes (rescan,
picked run). Panes get what they need as arguments (attributes down) and report with messages (up).

TensorFlow is only ever imported inside workers; the first frame imports only what it draws.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from textual import on
from textual.app import App
from textual.binding import Binding
from textual.worker import Worker

from core.config import PROJECT_FILE, ProjectConfig, load_config, parse_words, save_config
from core.errors import ConfigError, WakebenchError
from core.events import Log
from tui.commands import WorkbenchCommands
from tui.jobs import JobEvent, JobKind, JobRunner
from tui.messages import ProjectScanned, RunDetailsRead
from tui.screens.error import ErrorDialog
from tui.screens.prompt import PromptDialog
from tui.screens.record import RecordScreen
from tui.screens.workbench import PANES, WorkbenchScreen
from tui.views import WordsView, list_serial_ports, run_details, scan_project
from tui.widgets.board import BoardPane, PortInfo
from tui.widgets.build import BuildPane
from tui.widgets.model import ModelPane, RunRow
from tui.widgets.spectrogram import SpectrogramPane
from tui.widgets.training import TrainingPane
from tui.widgets.words import WordsPane

if TYPE_CHECKING:
    from core.audio.sources import AudioSource

P = TypeVar("P")


class WakebenchApp(App[None]):
    """Words → data → training → int8 model → board, on one screen."""

    CSS_PATH = "app.tcss"
    TITLE = "wakebench"
    MODES = {"workbench": "workbench", "record": "record"}
    DEFAULT_MODE = "workbench"
    COMMANDS = App.COMMANDS | {WorkbenchCommands}
    BINDINGS = [
        Binding("q", "quit", "Quit"),
        Binding("t", "train", "Train"),
        Binding("x", "stop_jobs", "Stop"),
        Binding("e", "export", "Export"),
        Binding("b", "build", "Build"),
        Binding("f", "flash", "Flash"),
        Binding("r", "retrain_flash", "Retrain+Flash"),
        Binding("m", "mic", "Mic"),
        Binding("o", "open_wav", "Open WAV"),
        Binding("c", "capture", "Capture"),
        Binding("v", "switch_mode('record')", "Record voice"),
        Binding("s", "synth", "Synthesise", show=False),
        *(
            Binding(str(n), f"show_pane('{pane}')", f"Show {title}", show=False)
            for n, (pane, title) in enumerate(PANES, start=1)
        ),
    ]

    def __init__(
        self,
        project_dir: str | Path = ".",
        list_ports: Callable[[], list[PortInfo]] = list_serial_ports,
        record_source: Callable[[], AudioSource] | None = None,
    ) -> None:
        super().__init__()
        self.jobs = JobRunner(self)
        """Every long job runs through here (tui/jobs.py)."""
        self.install_screen(WorkbenchScreen(), "workbench")
        self.install_screen(RecordScreen(record_source or default_record_source), "record")
        self.project_dir = Path(project_dir).resolve()
        self.config_path = self.project_dir / PROJECT_FILE
        self.config, self.config_error = self._read_config()
        self.picked_run: str | None = None
        """Id of the run the Model pane, the spectrogram and Resume use (the newest one by default)."""
        self.runs: list[RunRow] = []
        self.words_view = WordsView(list(self.config.words))
        self._list_ports = list_ports
        self.realtime_files = True
        """Play WAV files at their own speed (tests turn this off to read them as fast as possible)."""
        self._last_wav = ""

    def _read_config(self) -> tuple[ProjectConfig, WakebenchError | None]:
        try:
            return load_config(self.config_path), None
        except WakebenchError as exc:
            # Work on defaults in memory; the broken file is left untouched until the user fixes it.
            return ProjectConfig(), exc

    # ---- start-up ---------------------------------------------------------------------------------

    def on_mount(self) -> None:
        self.sub_title = f"{self.project_dir.name} · {', '.join(self.config.words)}"
        if self.config_error is not None:
            self.show_error(self.config_error, "project file")
        self.pane(BuildPane).show_tools(self.config.board.arduino_cli)
        self.pane(SpectrogramPane).set_status("[dim]o: play a WAV · m: microphone[/]")
        self.pane(WordsPane).show_words(self.words_view.words, self.config.words, self.words_view.counts)
        # Disk and port scans start once the first frame is on screen, so they do not delay it.
        self.call_after_refresh(self._after_first_paint)

    def on_unmount(self) -> None:
        self.jobs.shutdown()  # closing the app stops its jobs (x or not), so their threads end too

    def _after_first_paint(self) -> None:
        self.scan_project()
        self.refresh_ports()
        self.pane(TrainingPane).show_plots()

    @property
    def workbench(self) -> WorkbenchScreen:
        """The workbench screen (whichever mode or dialog is showing)."""
        return self.get_screen("workbench", WorkbenchScreen)

    def pane(self, pane_type: type[P]) -> P:
        """The workbench's pane of `pane_type` (there is one of each)."""
        return self.workbench.query_one(pane_type)

    # ---- errors -------------------------------------------------------------------------------------

    def show_error(self, error: BaseException, context: str = "") -> None:
        """Open the error dialog (or add to the one already open)."""
        if isinstance(self.screen, ErrorDialog):
            self.screen.add_error(error, context)
        else:
            self.push_screen(ErrorDialog(error, context))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        self.jobs.worker_changed(event)

    @on(JobEvent)
    def _job_event(self, message: JobEvent) -> None:
        # What a pane does not show itself bubbles up to here.
        if isinstance(message.event, Log):
            self.notify(message.event.message, timeout=4)

    def action_stop_jobs(self) -> None:
        self.jobs.stop_all()

    # ---- the project: config, words, runs -----------------------------------------------------------

    def scan_project(self) -> None:
        """Count clips and runs again (in a worker)."""
        config, project_dir = self.config, self.project_dir
        self.jobs.start(
            JobKind.SCAN, lambda on_event, cancel: scan_project(config, project_dir), owner=self, replace=True
        )

    def action_rescan(self) -> None:
        self.scan_project()

    @on(ProjectScanned)
    def _project_scanned(self, message: ProjectScanned) -> None:
        if message.result is None:
            return
        self._show_words(message.result.words)
        self.runs = runs = message.result.runs
        ids = [row.run_id for row in runs]
        if self.picked_run not in ids:
            self.picked_run = ids[0] if ids else None  # the newest run, until the user picks another
        self.pane(ModelPane).show_runs(runs, self.picked_run)
        self._show_picked_run()

    def _show_words(self, view: WordsView) -> None:
        self.words_view = view
        self.pane(WordsPane).show_words(view.words, self.config.words, view.counts)

    def _save_config(self, config: ProjectConfig) -> bool:
        if self.config_error is not None:
            self.show_error(
                ConfigError(
                    f"{self.config_path} could not be read, so it is not overwritten",
                    "fix or delete the file, then restart wakebench",
                ),
                "saving the project",
            )
            return False
        save_config(config, self.config_path)
        self.config = config
        self.sub_title = f"{self.project_dir.name} · {', '.join(config.words)}"
        return True

    @on(WordsPane.SelectionChanged)
    def _words_ticked(self, message: WordsPane.SelectionChanged) -> None:
        if not message.words:
            self.notify("a project needs at least one word", severity="warning")
            self._show_words(self.words_view)
            return
        self._save_config(self.config.replace(words=message.words))

    @on(WordsPane.WordAdded)
    def _word_added(self, message: WordsPane.WordAdded) -> None:
        try:
            (word,) = parse_words(message.word)[:1]
            words = parse_words(", ".join([*self.config.words, word]))
        except WakebenchError as exc:
            self.show_error(exc, "adding a word")
            return
        if self._save_config(self.config.replace(words=words)):
            view = self.words_view
            if word not in view.words:
                view = WordsView([*view.words, word], {**view.counts, word: {}})
            self._show_words(view)
            self.scan_project()

    # ---- data ---------------------------------------------------------------------------------------

    def action_synth(self) -> None:
        self.pane(WordsPane).synthesise(self.config, self.project_dir)

    def action_fetch_speech_commands(self) -> None:
        if self.jobs.refuse_if_busy(JobKind.DATA):
            return
        dest = self.config.data.speech_commands_dir or "data/speech_commands"
        question = "Download Google Speech Commands v0.02 (2.4 GB, resumable) into this folder?"
        self.push_screen(PromptDialog(question, dest), self._fetch_into)

    def _fetch_into(self, dest: str | None) -> None:
        if dest:
            self.pane(WordsPane).fetch_speech_commands(self.project_dir / dest)

    @on(WordsPane.DataMade)
    def _data_made(self, message: WordsPane.DataMade) -> None:
        if message.result is not None:
            from core.data.speech_commands import use_speech_commands

            # Core records the folder in wakebench.toml, exactly as `wakebench data fetch` does.
            self.config = use_speech_commands(self.config_path, message.result)
        self.scan_project()

    # ---- training and the picked run ----------------------------------------------------------------

    def action_train(self) -> None:
        self._start_training(resume=False)

    def action_resume_training(self) -> None:
        self._start_training(resume=True)

    def _start_training(self, resume: bool) -> None:
        # Resume continues the picked run (the newest one unless another was picked).
        which: Path | bool = self._run_path(self.picked_run) if resume and self.picked_run else resume
        if self.pane(TrainingPane).train(self.config, self.project_dir, which):
            self.workbench.show_pane("training")

    def action_stop_training(self) -> None:
        self.jobs.cancel(JobKind.TRAIN)

    @on(TrainingPane.Trained)
    def _trained(self, message: TrainingPane.Trained) -> None:
        if message.result is not None:
            self.picked_run = Path(message.result.run_dir).name
        self.scan_project()

    def action_export(self) -> None:
        """Export the picked run: int8 model, C files and report (checked in the TFLM interpreter)."""
        if self.picked_run is None:
            self.show_error(WakebenchError("there is no run to export yet", "train one first (t)"), "export")
            return
        self.pane(ModelPane).export(self._run_path(self.picked_run))

    @on(ModelPane.Exported)
    def _exported(self, message: ModelPane.Exported) -> None:
        self.scan_project()

    def action_pick_run(self) -> None:
        run = self.pane(ModelPane).highlighted_run
        if run is None:
            self.notify("no runs yet: train one first (t)", severity="warning")
            return
        self._pick(run)

    @on(ModelPane.RunPicked)
    def _run_picked(self, message: ModelPane.RunPicked) -> None:
        self._pick(message.run_id)

    def _pick(self, run_id: str) -> None:
        self.picked_run = run_id
        self.pane(ModelPane).show_runs(self.runs, run_id)
        self._show_picked_run()

    def _show_picked_run(self) -> None:
        if self.picked_run is None:
            self.pane(ModelPane).show_model(None)
            return
        if not self.jobs.busy(JobKind.TRAIN):
            config, run_path = self.config, self._run_path(self.picked_run)
            self.jobs.start(
                JobKind.RUN_DETAILS,
                lambda on_event, cancel: run_details(config, run_path),
                owner=self,
                replace=True,
            )

    @on(RunDetailsRead)
    def _run_details_read(self, message: RunDetailsRead) -> None:
        details = message.result
        if details is None:
            return
        self.pane(ModelPane).show_model(details.model, details.budget, details.board)
        if not self.jobs.busy(JobKind.TRAIN):
            self.pane(TrainingPane).show_history(
                details.steps, details.validations, run_id=details.model.run_id
            )

    def _run_path(self, run_id: str) -> Path:
        from core.model.runs import RunDir  # with numpy: not needed for the first frame

        return RunDir.of(self.project_dir, run_id).path

    def _picked_model_dir(self) -> Path | None:
        """The picked run's folder when it has an exported model, else None."""
        from core.model.runs import RunDir  # with numpy: not needed for the first frame

        if self.picked_run is None:
            return None
        run = RunDir.of(self.project_dir, self.picked_run)
        return run.path if run.model_path.is_file() else None

    # ---- spectrogram --------------------------------------------------------------------------------

    @on(SpectrogramPane.SourceChosen)
    def _source_chosen(self, message: SpectrogramPane.SourceChosen) -> None:
        if message.source == "mic":
            self.action_mic()
        elif message.source == "file":
            self.action_open_wav()
        else:
            self._show_board_in_spectrogram()

    def _show_board_in_spectrogram(self) -> None:
        spectrogram, board = self.pane(SpectrogramPane), self.pane(BoardPane)
        if not board.connected:
            spectrogram.stop()
            spectrogram.playing = ""
            spectrogram.set_status(
                "[$warning]no board connected:[/] connect one in the Board pane, or start a virtual board"
            )
            return
        labels = list(board.hello.labels) if board.hello is not None else []
        spectrogram.play_board(board.link.device if board.link else board.port, labels)
        board.set_streams(features=True, scores=True)

    @on(BoardPane.BoardUpdate)
    def _board_update(self, message: BoardPane.BoardUpdate) -> None:
        spectrogram = self.pane(SpectrogramPane)
        if spectrogram.playing == "board":
            quant = message.quant
            spectrogram.show_board(message.batch.items, quant.input_scale, quant.input_zero_point)

    def action_mic(self) -> None:
        """Start the microphone (or stop it when it is already running)."""
        pane = self.pane(SpectrogramPane)
        if pane.playing == "mic" and self.jobs.busy(JobKind.STREAM):
            self.jobs.cancel(JobKind.STREAM)
            return
        pane.select_source("mic")
        self._play("mic", None)

    def action_open_wav(self) -> None:
        self.pane(SpectrogramPane).select_source("file")
        self.push_screen(
            PromptDialog("WAV file to play through the spectrogram", self._last_wav, "path/to/audio.wav"),
            self._open_wav,
        )

    def _open_wav(self, path: str | None) -> None:
        if path:
            self._last_wav = path
            self._play("file", self.project_dir / Path(path).expanduser())

    def _play(self, kind: str, path: Path | None) -> None:
        if self.pane(SpectrogramPane).playing == "board":
            self.pane(BoardPane).set_streams(features=False, scores=False)  # the board's frames are not shown
        pane = self.pane(SpectrogramPane)
        pane.play(kind, path, self._picked_model_dir(), self.config.features, realtime=self.realtime_files)
        self.workbench.show_pane("spectrogram")

    # ---- board and build ----------------------------------------------------------------------------

    def refresh_ports(self) -> None:
        self.pane(BoardPane).refresh_ports(self._list_ports, self.config.board.port)

    def action_refresh_ports(self) -> None:
        self.refresh_ports()

    def action_connect_board(self) -> None:
        """Connect to the picked port, or disconnect when connected."""
        pane = self.pane(BoardPane)
        if self.jobs.busy(JobKind.BOARD):
            pane.disconnect()
        else:
            pane.connect(pane.port, self._picked_model_dir())

    def action_virtual_board(self) -> None:
        """Start a virtual board for the picked run (it must be exported) and connect to it."""
        run_dir = self._picked_model_dir()
        if run_dir is None:
            self.show_error(
                WakebenchError(
                    "the virtual board runs the picked run's int8 model", "export a run first (e)"
                ),
                "virtual board",
            )
            return
        self.push_screen(
            PromptDialog(
                "WAV file the virtual board hears, looped (or: mic)", self._last_wav, "path/to/audio.wav"
            ),
            lambda answer: self._start_virtual_board(run_dir, answer),
        )

    def _start_virtual_board(self, run_dir: Path, answer: str | None) -> None:
        if not answer:
            return
        wav = None if answer == "mic" else self.project_dir / Path(answer).expanduser()
        if wav is not None:
            self._last_wav = answer
        self.pane(BoardPane).start_virtual_board(run_dir, wav)
        self.workbench.show_pane("board")

    def action_capture(self) -> None:
        """Save what the board heard (the last detection's 1 s, or the last 1.5 s) with a label."""
        pane = self.pane(BoardPane)
        if not pane.connected or pane.history is None:
            self.notify("connect to a board first (or start a virtual board)", severity="warning")
            return
        from tui.screens.capture import CaptureDialog

        self.push_screen(CaptureDialog(self.config.words, pane.last_detection_text), self._capture)

    def _capture(self, choice: object) -> None:
        from tui.screens.capture import CaptureChoice

        if not isinstance(choice, CaptureChoice):
            return
        target = Path(self.config.data.captures_dir).expanduser()
        try:
            path = self.pane(BoardPane).capture(
                choice, target if target.is_absolute() else self.project_dir / target
            )
        except WakebenchError as exc:
            self.show_error(exc, "capture")
            return
        self.notify(
            f"saved {path.relative_to(self.project_dir) if path.is_relative_to(self.project_dir) else path}"
        )

    @on(BoardPane.CaptureSaved)
    def _capture_saved(self, message: BoardPane.CaptureSaved) -> None:
        self.scan_project()  # the Words pane counts the new capture

    def _exported_run(self, what: str) -> Path | None:
        """The picked run's folder when it is exported; otherwise an error saying what to do first."""
        run_dir = self._picked_model_dir()
        if run_dir is None:
            hint = (
                "train a run (t) and export it (e) first"
                if self.picked_run is None
                else "export it first (e)"
            )
            self.show_error(WakebenchError(f"{what} needs an exported run", hint), what)
        return run_dir

    def _board_target(self) -> tuple[str, object]:
        """The port to flash (the Board pane's connected board, else [board] port, else found by
        arduino-cli) and the link to hand over for the upload (None when not connected)."""
        board = self.pane(BoardPane)
        if board.connected and board.link is not None:
            return board.link.device, board.link
        return self.config.board.port, None

    def action_build(self) -> None:
        run_dir = self._exported_run("build")
        if run_dir is not None:
            self.pane(BuildPane).build(run_dir, self.config, self.project_dir)
            self.workbench.show_pane("build")

    def action_flash(self) -> None:
        run_dir = self._exported_run("flash")
        if run_dir is not None:
            port, link = self._board_target()
            self.pane(BuildPane).flash(run_dir, self.config, self.project_dir, port, link)
            self.workbench.show_pane("build")

    def action_retrain_flash(self) -> None:
        """The loop: retrain the picked run on the recordings and captures made since, then flash it."""
        run_dir = self._exported_run("retrain+flash")
        if run_dir is not None:
            port, link = self._board_target()
            self.pane(BuildPane).retrain_flash(run_dir, self.config, self.project_dir, port, link)
            self.workbench.show_pane("build")

    @on(BuildPane.Retrained)
    def _retrained(self, message: BuildPane.Retrained) -> None:
        if message.result is None:
            return
        self.picked_run = Path(message.result.run_dir).name
        self.pane(ModelPane).show_change(message.result)
        self.scan_project()

    # ---- navigation ---------------------------------------------------------------------------------

    def action_show_pane(self, pane: str) -> None:
        self.workbench.show_pane(pane)

    def action_save_svg(self) -> None:
        path = self.save_screenshot(path=str(self.project_dir))
        self.notify(f"saved {path}")


def default_record_source() -> AudioSource:
    """Record mode listens to the default microphone."""
    from core.audio.mic import MicSource

    return MicSource()


def run_app(project_dir: str | Path = ".") -> int:
    """Open the workbench on the project in `project_dir`, creating a default stop/go project on first run."""
    import os

    # TensorFlow's C++ logging writes to the terminal Textual draws on; keep it to errors.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    project_dir = Path(project_dir)
    config_path = project_dir / PROJECT_FILE
    if not config_path.exists():
        save_config(ProjectConfig(), config_path)
    WakebenchApp(project_dir).run()
    return 0
