"""The wakebench workbench: a Textual face over `core`.

The app owns the project (its config and the picked run) and runs every long job of `core` in a thread
worker; workers report `core.events` as messages, which the app hands down to the panes. Any failure
opens one error dialog and the app stays usable. TensorFlow is only ever imported inside workers.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from pathlib import Path

from textual import on, work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from core.audio.sources import AudioSource
from core.config import PROJECT_FILE, ProjectConfig, load_config, parse_words, save_config
from core.errors import Cancelled, ConfigError, WakebenchError
from core.events import CancelToken, Done, Event, Log, Progress, TrainStep, Validation
from core.model.runs import MODEL_FILE, RUNS_DIR
from tui.messages import CoreEvent, StreamUpdate
from tui.screens.error import ErrorDialog
from tui.screens.prompt import PromptDialog
from tui.screens.record import RecordScreen
from tui.screens.workbench import PANES, WorkbenchScreen
from tui.stream import stream_batches
from tui.views import (
    WordsView,
    arduino_cli_path,
    list_serial_ports,
    memory_view,
    model_view,
    run_rows,
    training_history,
    words_view,
)
from tui.widgets.board import BoardPane, PortInfo
from tui.widgets.build import BuildPane
from tui.widgets.model import ModelPane, ModelView, RunRow
from tui.widgets.spectrogram import SpectrogramPane
from tui.widgets.training import TrainingPane
from tui.widgets.words import WordsPane

# Worker groups: one long job of each kind at a time.
JOB_TITLES = {
    "scan": "reading the project",
    "ports": "listing serial ports",
    "data": "making data",
    "train": "training",
    "export": "exporting",
    "stream": "the live stream",
}


class WakebenchApp(App[None]):
    """Words → data → training → int8 model → board, on one screen."""

    CSS_PATH = "app.tcss"
    TITLE = "wakebench"
    MODES = {"workbench": "workbench", "record": "record"}
    DEFAULT_MODE = "workbench"
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
        self._tokens: dict[str, CancelToken] = {}
        self.realtime_files = True
        """Play WAV files at their own speed (tests turn this off to read them as fast as possible)."""
        self._stream_id = 0
        self._stream_kind = ""
        self._last_wav = ""

    def _read_config(self) -> tuple[ProjectConfig, WakebenchError | None]:
        try:
            return load_config(self.config_path), None
        except WakebenchError as exc:
            # Work on defaults in memory; the broken file is left untouched until the user fixes it.
            return ProjectConfig(), exc

    # ---- start-up -------------------------------------------------------------------------------

    def on_mount(self) -> None:
        self.sub_title = f"{self.project_dir.name} · {', '.join(self.config.words)}"
        if self.config_error is not None:
            self.show_error(self.config_error, "project file")
        self._show_build_tools()
        spectrogram = self.workbench.query_one(SpectrogramPane)
        spectrogram.set_status("[dim]o: play a WAV · m: microphone[/]")
        self.workbench.query_one(WordsPane).show_words(
            self.words_view.words, self.config.words, self.words_view.counts
        )
        # Disk and port scans start once the first frame is on screen, so they do not delay it.
        self.call_after_refresh(self._after_first_paint)

    def _after_first_paint(self) -> None:
        self.scan_project()
        self.refresh_ports()

    @property
    def workbench(self) -> WorkbenchScreen:
        """The workbench screen (whichever mode or dialog is showing)."""
        return self.get_screen("workbench", WorkbenchScreen)

    # ---- errors ---------------------------------------------------------------------------------

    def show_error(self, error: BaseException, context: str = "") -> None:
        """Open the error dialog (or add to the one already open)."""
        if isinstance(self.screen, ErrorDialog):
            self.screen.add_error(error, context)
        else:
            self.push_screen(ErrorDialog(error, context))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        worker, group = event.worker, event.worker.group
        if event.state == WorkerState.ERROR:
            error = worker.error
            if isinstance(error, Cancelled):
                self.notify(
                    f"{JOB_TITLES.get(group, group)} stopped; what was saved is kept", severity="warning"
                )
            else:
                self.show_error(error, JOB_TITLES.get(group, group))
        if event.state in (WorkerState.SUCCESS, WorkerState.ERROR, WorkerState.CANCELLED):
            if not self._busy(group):
                self._tokens.pop(group, None)
            self._job_finished(group, event.state, worker)

    def _job_finished(self, group: str, state: WorkerState, worker: Worker) -> None:
        ok = state == WorkerState.SUCCESS
        if group == "scan" and ok:
            self._apply_scan(*worker.result)
        elif group == "picked" and ok:
            self._apply_picked_run(*worker.result)
        elif group == "ports" and ok:
            self.workbench.query_one(BoardPane).set_ports(worker.result, self.config.board.port)
        elif group == "data":
            self.scan_project()
        elif group == "train":
            error = worker.error
            state_name = "done" if ok else "stopped" if isinstance(error, Cancelled) else "failed"
            self.workbench.query_one(TrainingPane).set_state(state_name)
            if ok:
                self.picked_run = Path(worker.result.run_dir).name
            self.scan_project()
        elif group == "export":
            self.workbench.query_one(ModelPane).border_subtitle = ""
            self.scan_project()
        elif group == "stream" and not self._busy("stream"):
            pane = self.workbench.query_one(SpectrogramPane)
            if ok:
                seconds = worker.result * self.config.features.stride_ms / 1000
                pane.set_status(f"{pane.status} · [dim]ended at {seconds:.1f} s[/]")
            else:
                pane.set_status(f"{pane.status} · [$error]stopped[/]")

    # ---- long jobs --------------------------------------------------------------------------------

    def _busy(self, group: str) -> bool:
        return any(
            w.group == group and w.state in (WorkerState.PENDING, WorkerState.RUNNING) for w in self.workers
        )

    def _token(self, group: str) -> CancelToken:
        token = CancelToken()
        self._tokens[group] = token
        return token

    def _reporter(self, job: str) -> Callable[[Event], None]:
        """An `on_event` callback for a core job running in a worker thread."""

        def report(event: Event) -> None:
            self.post_message(CoreEvent(job, event))

        return report

    def _refuse_if_busy(self, group: str) -> bool:
        if self._busy(group):
            self.notify(f"{JOB_TITLES[group]} is already running (x stops it)", severity="warning")
            return True
        return False

    @work(thread=True, exclusive=True, group="scan", exit_on_error=False)
    def scan_project(self) -> tuple[WordsView, list[RunRow]]:
        return words_view(self.config, self.project_dir), run_rows(self.project_dir)

    def _apply_scan(self, words: WordsView, runs: list[RunRow]) -> None:
        self._apply_words_view(words)
        self.runs = runs
        ids = [row.run_id for row in runs]
        if self.picked_run not in ids:
            self.picked_run = ids[0] if ids else None  # the newest run, until the user picks another
        self.workbench.query_one(ModelPane).show_runs(runs, self.picked_run)
        self._show_picked_run()

    def _apply_words_view(self, view: WordsView) -> None:
        self.words_view = view
        self.workbench.query_one(WordsPane).show_words(view.words, self.config.words, view.counts)

    @work(thread=True, exclusive=True, group="ports", exit_on_error=False)
    def _list_ports_worker(self) -> list[PortInfo]:
        return self._list_ports()

    def action_refresh_ports(self) -> None:
        self.refresh_ports()

    def refresh_ports(self) -> None:
        self._list_ports_worker()

    def on_core_event(self, message: CoreEvent) -> None:
        event = message.event
        pane = {"train": TrainingPane, "data": WordsPane, "export": ModelPane}.get(message.job)
        if isinstance(event, TrainStep):
            self.workbench.query_one(TrainingPane).add_step(event)
        elif isinstance(event, Validation):
            self.workbench.query_one(TrainingPane).add_validation(event)
        elif isinstance(event, Progress) and pane is not None:
            total = f"/{event.total:,.0f}" if event.total else ""
            self.workbench.query_one(pane).border_subtitle = f"{event.stage} {event.done:,.0f}{total}"
        elif isinstance(event, Log):
            self.notify(event.message, timeout=4)
        elif isinstance(event, Done) and pane is not None:
            self.workbench.query_one(pane).border_subtitle = ""

    # ---- project and words --------------------------------------------------------------------------

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
            self.workbench.query_one(WordsPane).show_words(
                self.words_view.words, self.config.words, self.words_view.counts
            )
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
                self.words_view = WordsView([*view.words, word], {**view.counts, word: {}})
            self._apply_words_view(self.words_view)
            self.scan_project()

    def action_synth(self) -> None:
        if not self._refuse_if_busy("data"):
            self._synth_worker(self._token("data"))

    @work(thread=True, exclusive=True, group="data", exit_on_error=False)
    def _synth_worker(self, cancel: CancelToken) -> None:
        from core.data.synth import synthesize_dataset

        start_resource_tracker()
        data = self.config.data
        out_dir = self.project_dir / data.synthetic_dir
        synthesize_dataset(
            self.config.words,
            out_dir,
            per_word=data.synth_per_word,
            seed=data.synth_seed,
            on_event=self._reporter("data"),
            cancel=cancel,
        )

    def action_fetch_speech_commands(self) -> None:
        if self._refuse_if_busy("data"):
            return
        dest = self.config.data.speech_commands_dir or "data/speech_commands"
        question = "Download Google Speech Commands v0.02 (2.4 GB, resumable) into this folder?"
        self.push_screen(PromptDialog(question, dest), self._fetch_into)

    def _fetch_into(self, dest: str | None) -> None:
        if dest:
            self._fetch_worker(dest, self._token("data"))

    @work(thread=True, exclusive=True, group="data", exit_on_error=False)
    def _fetch_worker(self, dest: str, cancel: CancelToken) -> None:
        from core.data.speech_commands import fetch_speech_commands

        fetch_speech_commands(self.project_dir / dest, on_event=self._reporter("data"), cancel=cancel)
        # On the app's thread, so that it cannot interleave with another save of the project file.
        self.call_from_thread(self._use_speech_commands, self.project_dir / dest)

    def _use_speech_commands(self, dest: Path) -> None:
        from core.data.speech_commands import use_speech_commands

        # Core records the folder in wakebench.toml, exactly as `wakebench data fetch` does.
        self.config = use_speech_commands(self.config_path, dest)

    # ---- training -------------------------------------------------------------------------------------

    def action_train(self) -> None:
        self._start_training(resume=False)

    def action_resume_training(self) -> None:
        self._start_training(resume=True)

    def _start_training(self, resume: bool) -> None:
        if self._refuse_if_busy("train"):
            return
        pane = self.workbench.query_one(TrainingPane)
        pane.reset()
        pane.set_state("running", "resuming" if resume else "")
        self.workbench.show_pane("training")
        self._train_worker(self._token("train"), resume)

    @work(thread=True, exclusive=True, group="train", exit_on_error=False)
    def _train_worker(self, cancel: CancelToken, resume: bool):
        from core.model.train import train

        # Resume continues the picked run (the newest one unless another was picked).
        which = (self.project_dir / RUNS_DIR / self.picked_run) if resume and self.picked_run else resume
        return train(
            self.config, self.project_dir, resume=which, on_event=self._reporter("train"), cancel=cancel
        )

    def action_stop_training(self) -> None:
        self._cancel("train")

    def action_stop_jobs(self) -> None:
        running = [group for group in list(self._tokens) if self._busy(group)]
        if not running:
            self.notify("nothing is running")
        for group in running:
            self._cancel(group)

    def _cancel(self, group: str, quiet: bool = False) -> None:
        token = self._tokens.get(group)
        if token is not None and not token.cancelled:
            token.cancel()
            if not quiet:
                self.notify(f"stopping {JOB_TITLES.get(group, group)}…")

    # ---- model ---------------------------------------------------------------------------------------

    def action_export(self) -> None:
        """Export the picked run: int8 model, C files and report (checked in the TFLM interpreter)."""
        if self.picked_run is None:
            self.show_error(WakebenchError("there is no run to export yet", "train one first (t)"), "export")
            return
        if self._refuse_if_busy("export"):
            return
        self.workbench.query_one(ModelPane).border_subtitle = "exporting…"
        self._export_worker(self.project_dir / RUNS_DIR / self.picked_run, self._token("export"))

    @work(thread=True, exclusive=True, group="export", exit_on_error=False)
    def _export_worker(self, run_path: Path, cancel: CancelToken):
        from core.model.export import export_run

        return export_run(run_path, on_event=self._reporter("export"), cancel=cancel)

    def action_pick_run(self) -> None:
        run = self.workbench.query_one(ModelPane).highlighted_run
        if run is None:
            self.notify("no runs yet: train one first (t)", severity="warning")
            return
        self._pick(run)

    @on(ModelPane.RunPicked)
    def _run_picked(self, message: ModelPane.RunPicked) -> None:
        self._pick(message.run_id)

    def _pick(self, run_id: str) -> None:
        self.picked_run = run_id
        self.workbench.query_one(ModelPane).show_runs(self.runs, run_id)
        self._show_picked_run()

    def _show_picked_run(self) -> None:
        if self.picked_run is None:
            self.workbench.query_one(ModelPane).show_model(None)
            return
        if not self._busy("train"):
            self._picked_worker(self.project_dir / RUNS_DIR / self.picked_run)

    @work(thread=True, exclusive=True, group="picked", exit_on_error=False)
    def _picked_worker(self, run_path: Path):
        view = model_view(run_path)
        budget, board = memory_view(self.config, view)
        return view, budget, board, training_history(run_path)

    def _apply_picked_run(self, view: ModelView, budget, board: str, history) -> None:
        self.workbench.query_one(ModelPane).show_model(view, budget, board)
        if not self._busy("train"):
            self.workbench.query_one(TrainingPane).show_history(*history, run_id=view.run_id)

    # ---- spectrogram --------------------------------------------------------------------------------

    @on(SpectrogramPane.SourceChosen)
    def _source_chosen(self, message: SpectrogramPane.SourceChosen) -> None:
        if message.source == "mic":
            self.action_mic()
        elif message.source == "file":
            self.action_open_wav()
        else:
            self._cancel("stream", quiet=True)
            self.workbench.query_one(SpectrogramPane).set_status(
                "[$warning]board source not available yet:[/] the serial link arrives with the board issue"
            )

    def action_mic(self) -> None:
        """Start the microphone (or stop it when it is already running)."""
        if self._stream_kind == "mic" and self._busy("stream"):
            self._cancel("stream")
            return
        self.workbench.query_one(SpectrogramPane).select_source("mic")
        self._start_stream("mic", None)

    def action_open_wav(self) -> None:
        self.workbench.query_one(SpectrogramPane).select_source("file")
        self.push_screen(
            PromptDialog("WAV file to play through the spectrogram", self._last_wav, "path/to/audio.wav"),
            self._open_wav,
        )

    def _open_wav(self, path: str | None) -> None:
        if path:
            self._last_wav = path
            self._start_stream("file", self.project_dir / Path(path).expanduser())

    def _start_stream(self, kind: str, path: Path | None) -> None:
        self._cancel("stream", quiet=True)
        self._stream_id += 1
        self._stream_kind = kind
        run_dir = self._picked_model_dir()
        pane = self.workbench.query_one(SpectrogramPane)
        pane.start()
        pane.set_labels([])
        what = "microphone" if path is None else path.name
        model = f" · model {run_dir.name}" if run_dir else " · [dim]no model[/]"
        pane.set_status(f"{what}{model}")
        self.workbench.show_pane("spectrogram")
        self._stream_worker(self._stream_id, kind, path, run_dir, self._token("stream"))

    @work(thread=True, exclusive=True, group="stream", exit_on_error=False)
    def _stream_worker(
        self, stream_id: int, kind: str, path: Path | None, run_dir: Path | None, cancel: CancelToken
    ) -> int:
        from core.audio.mic import MicSource
        from core.audio.sources import FileSource

        source = MicSource() if kind == "mic" else FileSource(path, realtime=self.realtime_files, chunk_ms=40)
        labels: list[str] = []
        frames = 0
        for batch in stream_batches(source, run_dir, self.config.features, cancel, labels):
            frames += len(batch.frames)
            self.post_message(StreamUpdate(stream_id, batch, list(labels)))
        return frames

    def on_stream_update(self, message: StreamUpdate) -> None:
        if message.stream_id != self._stream_id:
            return  # a batch from a stream that was replaced
        pane = self.workbench.query_one(SpectrogramPane)
        batch = message.batch
        if message.labels and pane.labels != message.labels:
            pane.set_labels(message.labels)
        if len(batch.frames):
            pane.push_frames(batch.frames)
        pane.show_level(batch.level_dbfs)
        if batch.scores is not None:
            pane.show_scores([int(s) for s in batch.scores])
        for detection in batch.detections:
            pane.add_detection(detection)

    def _picked_model_dir(self) -> Path | None:
        """The picked run's folder when it has an exported model, else None."""
        if self.picked_run is None:
            return None
        run_dir = self.project_dir / RUNS_DIR / self.picked_run
        return run_dir if (run_dir / MODEL_FILE).is_file() else None

    # ---- board and build ---------------------------------------------------------------------------------

    def action_connect_board(self) -> None:
        pane = self.workbench.query_one(BoardPane)
        pane.set_state("unavailable", "the serial link to a board is not in wakebench yet (board issue)")
        self.notify(
            "connecting to a board arrives with the board issue; the port list above is real",
            severity="warning",
        )

    def _show_build_tools(self) -> None:
        pane = self.workbench.query_one(BuildPane)
        cli = arduino_cli_path()
        if cli is None:
            pane.set_status(
                "[$error]arduino-cli not found on PATH.[/] Install it (arduino.github.io/arduino-cli) to build and "
                "flash. wakebench's build and flash commands are not built yet."
            )
        else:
            pane.set_status(
                f"arduino-cli at {cli}. [$warning]wakebench's build and flash support is not there yet[/] "
                "(the build-and-flash issue)."
            )

    def _not_yet(self, what: str) -> None:
        cli = arduino_cli_path()
        missing = "arduino-cli is not installed, and " if cli is None else ""
        text = f"{what}: {missing}wakebench's arduino-cli support is not built yet"
        self.workbench.query_one(BuildPane).log_line(text)
        self.notify(text, severity="warning")

    def action_build(self) -> None:
        self._not_yet("Build")

    def action_flash(self) -> None:
        self._not_yet("Flash")

    def action_retrain_flash(self) -> None:
        self._not_yet("Retrain+Flash")

    # ---- navigation ------------------------------------------------------------------------------------

    def action_show_pane(self, pane: str) -> None:
        self.workbench.show_pane(pane)

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand("Synthesise data", "Make synthetic clips for the ticked words", self.action_synth)
        yield SystemCommand(
            "Fetch Speech Commands", "Download Google Speech Commands", self.action_fetch_speech_commands
        )
        yield SystemCommand(
            "Resume training", "Continue the last run from its checkpoint", self.action_resume_training
        )
        yield SystemCommand(
            "Stop all jobs", "Cancel every running job; saved work is kept", self.action_stop_jobs
        )
        yield SystemCommand("Rescan project", "Re-count clips and runs", self.scan_project)
        yield SystemCommand("Refresh serial ports", "List the serial ports again", self.refresh_ports)
        yield SystemCommand(
            "Pick highlighted run", "Use the run highlighted in the Model pane", self.action_pick_run
        )
        for pane, title in PANES:
            yield SystemCommand(
                f"Show {title}", f"Bring the {title} pane forward", lambda p=pane: self.action_show_pane(p)
            )
        yield SystemCommand(
            "Save SVG screenshot", "Save the screen as an SVG in the project folder", self._save_svg
        )

    def _save_svg(self) -> None:
        path = self.save_screenshot(path=str(self.project_dir))
        self.notify(f"saved {path}")


def default_record_source() -> AudioSource:
    """Record mode listens to the default microphone."""
    from core.audio.mic import MicSource

    return MicSource()


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
