"""The Board pane: port picker, the link to a board (or to a virtual board started for the picked run), its
hello and model check, connection state and counts, the live list of what the board reports, captures.

Two jobs live here: the board link (`JobKind.BOARD`: core's `BoardLink` read in a worker, batches posted
back as `BoardUpdate`, which bubble to the app for the Spectrogram's board source) and the virtual board
(`JobKind.SIM`: core's `VirtualBoard` on a pty; once its pty exists the pane connects to it). While
connected the board streams audio (`A1`) into an `AudioHistory`, which captures are cut from.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import Button, RichLog, Select, Static

from core.events import CancelToken
from tui.jobs import JobEnded, JobKind, Reporter

if TYPE_CHECKING:
    from core.board.capture import AudioHistory
    from core.board.link import BoardLink, LinkStats
    from core.board.protocol import Detection, Hello
    from tui.board_link import BoardBatch, RunQuantization
    from tui.screens.capture import CaptureChoice

CAPTURE_SECONDS = 1.5


@dataclass(frozen=True)
class PortInfo:
    """A serial port as the picker shows it."""

    device: str
    description: str


class BoardPane(Vertical):
    """Port picker, connection state, hello info and the live list of what the board reports."""

    class PortsListed(JobEnded["list[PortInfo]"]):
        """The serial port scan ended."""

        kind = JobKind.PORTS

    class LinkEnded(JobEnded["LinkStats"]):
        """The board link closed (`result`: its final counts)."""

        kind = JobKind.BOARD

    class SimEnded(JobEnded[None]):
        """The virtual board stopped (its pty is gone)."""

        kind = JobKind.SIM

    class LinkOpened(Message):
        def __init__(self, link_id: int, link: BoardLink, quant: RunQuantization) -> None:
            super().__init__()
            self.link_id = link_id
            self.link = link
            self.quant = quant

    class BoardUpdate(Message):
        """What the board sent since the last update (bubbles to the app for the spectrogram)."""

        def __init__(self, link_id: int, batch: BoardBatch, quant: RunQuantization) -> None:
            super().__init__()
            self.link_id = link_id
            self.batch = batch
            self.quant = quant

    class SimStarted(Message):
        def __init__(self, path: str, run_dir: Path) -> None:
            super().__init__()
            self.path = path
            self.run_dir = run_dir

    class CaptureSaved(Message):
        """A capture was written (the app rescans, so the Words pane counts it)."""

        def __init__(self, path: Path) -> None:
            super().__init__()
            self.path = path

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.border_title = "Board"
        self._preferred_port = ""
        self._link_id = 0
        self.link: BoardLink | None = None
        self.hello: Hello | None = None
        self.last_detection: Detection | None = None
        self.history: AudioHistory | None = None
        self.quant: RunQuantization | None = None
        self.virtual_path = ""
        """The pty of the virtual board this pane started, "" when none runs."""
        self._virtual_run = ""
        self.detections = 0
        self._wanted_streams: dict[str, bool] = {"F": False, "P": False}

    def compose(self) -> ComposeResult:
        yield Select[str]([], prompt="port", id="port-select", allow_blank=True, compact=True)
        with Horizontal(classes="buttons"):
            yield Button("Refresh", id="ports-refresh", action="app.refresh_ports", compact=True)
            yield Button("Connect", id="board-connect", action="app.connect_board", compact=True)
            yield Button("Virtual", id="board-virtual", action="app.virtual_board", compact=True)
            yield Button("Capture", id="board-capture", action="app.capture", compact=True)
        yield Static("", id="board-state")
        yield Static("", id="board-hello")
        yield Static("", id="board-counts")
        yield RichLog(id="board-monitor", wrap=False, markup=False, max_lines=1000)

    def on_mount(self) -> None:
        self.set_state("not connected")
        self.show_hello(None)

    # ---- drawing ---------------------------------------------------------------------------------------

    def set_ports(self, ports: Sequence[PortInfo], preferred: str = "") -> None:
        select = self.query_one("#port-select", Select)
        select.set_options((f"{p.device}  {p.description}".strip(), p.device) for p in ports)
        devices = [p.device for p in ports]
        if preferred in devices:
            select.value = preferred
        elif devices:
            select.value = devices[0]
        select.prompt = "port" if ports else "no serial ports found"

    @property
    def port(self) -> str:
        value = self.query_one("#port-select", Select).value
        return value if isinstance(value, str) else ""

    @property
    def connected(self) -> bool:
        return self.link is not None and self.link.connected

    def set_state(self, state: str, detail: str = "") -> None:
        style = {"connected": "$success", "connecting": "$warning", "reconnecting": "$warning"}.get(
            state, "dim"
        )
        if state in ("unavailable", "disconnected", "failed"):
            style = "$error"
        text = f"[{style}]●[/] {state}" + (f" [dim]· {detail}[/]" if detail else "")
        self.query_one("#board-state", Static).update(Content.from_markup(text))

    def show_hello(self, fields: dict[str, str] | None, warning: str = "") -> None:
        """The board's hello line (`#wakebench v1 board=… model=… labels=…`) as key/value pairs."""
        hello = self.query_one("#board-hello", Static)
        if not fields:
            hello.update(Content.from_markup("[dim]no hello from a board yet[/]"))
            return
        text = Content(" · ".join(f"{k} {v}" for k, v in fields.items()))
        if warning:
            text = text + Content.from_markup(f"\n[$warning]⚠ {warning}[/]")
        hello.update(text)

    def show_counts(self, text: str) -> None:
        self.query_one("#board-counts", Static).update(Content.from_markup(text))

    def monitor_line(self, text: str, detection: bool = False, style: str = "") -> None:
        """Append a line of what the board reports; detections stand out."""
        self.query_one("#board-monitor", RichLog).write(
            Text(text, style="bold reverse green" if detection else style)
        )

    # ---- ports ---------------------------------------------------------------------------------------

    def refresh_ports(self, list_ports: Callable[[], list[PortInfo]], preferred: str = "") -> None:
        """List the serial ports again (in a worker: pyserial can take a moment); pick `preferred` if there."""
        self._preferred_port = preferred
        self.app.jobs.start(JobKind.PORTS, lambda on_event, cancel: list_ports(), owner=self, replace=True)

    @on(PortsListed)
    def _ports_listed(self, message: PortsListed) -> None:
        if message.result is not None:
            self.set_ports(message.result, self.virtual_path or self._preferred_port)

    # ---- the link job ----------------------------------------------------------------------------------

    def connect(self, port: str, run_dir: Path | None) -> None:
        """Open `port` (replacing any link); `run_dir` is the picked run, whose model the hello is checked
        against and whose input quantization draws the board's feature frames."""
        from core.board.capture import AudioHistory  # lazy: numpy stays out of the first frame

        if not port:
            self.notify(
                "no port to connect to: plug a board in, or start a virtual board", severity="warning"
            )
            return
        self._link_id += 1
        link_id = self._link_id
        history = self.history = AudioHistory()
        self.link, self.hello, self.last_detection, self.detections = None, None, None, 0
        streams = ["A"] + [s for s, on in self._wanted_streams.items() if on]
        self.set_state("connecting", port)
        self.show_hello(None)
        self.query_one("#board-connect", Button).label = "Disconnect"

        def work(on_event: Reporter, cancel: CancelToken) -> LinkStats:
            from core.board.link import BoardLink
            from tui.board_link import board_batches, run_quantization

            quant = run_quantization(run_dir)
            link = BoardLink.open(port, streams=streams)  # type: ignore[arg-type]
            link.add_listener(history)
            self.post_message(self.LinkOpened(link_id, link, quant))
            try:
                for batch in board_batches(link, cancel):
                    self.post_message(self.BoardUpdate(link_id, batch, quant))
            finally:
                link.close()
            return link.stats

        self.app.jobs.start(JobKind.BOARD, work, owner=self, replace=True)

    def disconnect(self) -> None:
        self.app.jobs.cancel(JobKind.BOARD, quiet=True)

    def set_streams(self, features: bool, scores: bool) -> None:
        """Feature frames and raw scores on or off (the Spectrogram's board source wants them)."""
        self._wanted_streams = {"F": features, "P": scores}
        if self.link is not None and not self.link.closed:
            from core.errors import BoardError

            try:
                self.link.set_stream("F", features)
                self.link.set_stream("P", scores)
            except BoardError as exc:
                self.notify(str(exc), severity="warning")

    @on(LinkOpened)
    def _link_opened(self, message: LinkOpened) -> None:
        if message.link_id == self._link_id:
            self.link, self.quant = message.link, message.quant

    @on(BoardUpdate)
    def _board_update(self, message: BoardUpdate) -> None:
        if message.link_id != self._link_id:
            message.stop()  # from a link that was replaced
            return
        batch = message.batch
        for item in batch.items:
            self._show_item(item, message.quant)
        detail = batch.device
        if self.virtual_path and batch.device == self.virtual_path:
            detail += f" · virtual board for {Path(self._virtual_run).name}"
        self.set_state(batch.state, detail)
        stats = batch.stats
        held = self.history.seconds if self.history is not None else 0.0
        lost = f", {stats.samples_lost} samples lost" if stats.samples_lost else ""
        self.show_counts(
            f"[dim]{self.detections} detections · {stats.skipped_lines} lines skipped · "
            f"{stats.reconnects} reconnects · audio held {held:.1f} s{lost}[/]"
        )

    def _show_item(self, item: object, quant: RunQuantization) -> None:
        from core.board import link as ln
        from core.board import protocol as pr

        match item:
            case pr.Hello():
                self.hello = item
                warning = ""
                if quant.model_sha8 and item.model != quant.model_sha8:
                    warning = f"not the picked run's model ({quant.model_sha8}): flash it, or pick that run"
                elif not quant.model_sha8:
                    warning = "the picked run is not exported: its model cannot be compared"
                self.show_hello(
                    {"board": item.board, "model": item.model, "labels": ",".join(item.labels)}, warning
                )
            case pr.Detection():
                self.last_detection = item
                self.detections += 1
                self.monitor_line(f"{item.ms / 1000:8.2f} s  {item.label}  {item.score}", detection=True)
            case pr.LogLine():
                self.monitor_line(f"log: {item.text}", style="dim")
            case pr.BoardErrorLine():
                self.monitor_line(f"board error {item.code}: {item.text}", style="bold red")
            case ln.Connected(again=True):
                self.monitor_line(f"reconnected to {item.port}", style="yellow")
            case ln.Disconnected():
                self.monitor_line(f"port vanished ({item.reason})", style="yellow")
            case ln.BoardReset():
                self.monitor_line("the board restarted", style="yellow")

    @on(LinkEnded)
    def _link_ended(self, message: LinkEnded) -> None:
        if self.app.jobs.busy(JobKind.BOARD):
            return  # replaced by a newer link
        self.link = None
        self.query_one("#board-connect", Button).label = "Connect"
        self.set_state("not connected" if message.ok else "failed")

    # ---- the virtual board ----------------------------------------------------------------------------

    def start_virtual_board(self, run_dir: Path, wav: Path | None) -> None:
        """A virtual board for `run_dir` hearing `wav` (looped, in real time) or the microphone."""

        def work(on_event: Reporter, cancel: CancelToken) -> None:
            from core.board.sim import VirtualBoard

            if wav is None:
                from core.audio.mic import MicSource

                source: Any = MicSource()
            else:
                from core.audio.sources import FileSource

                source = FileSource(wav, realtime=True, chunk_ms=10, loop=True)
            board = VirtualBoard(run_dir, source, realtime=True)
            try:
                self.post_message(self.SimStarted(board.path, run_dir))
                board.run(cancel)
            finally:
                board.close()

        self.set_state("connecting", "starting a virtual board")
        self.app.jobs.start(JobKind.SIM, work, owner=self, replace=True)

    @on(SimStarted)
    def _sim_started(self, message: SimStarted) -> None:
        self.virtual_path = message.path
        self._virtual_run = str(message.run_dir)
        self.set_ports([PortInfo(message.path, "virtual board")], message.path)
        self.connect(message.path, message.run_dir)

    @on(SimEnded)
    def _sim_ended(self, message: SimEnded) -> None:
        self.virtual_path = ""
        self.monitor_line("the virtual board stopped", style="yellow")

    # ---- captures ------------------------------------------------------------------------------------

    @property
    def last_detection_text(self) -> str:
        d = self.last_detection
        return "" if d is None else f"{d.label} ({d.score}) at {d.ms / 1000:.2f} s"

    def capture(self, choice: CaptureChoice, captures_dir: Path) -> Path:
        """Save what `choice` says from the audio history; CaptureError when it cannot be cut."""
        from core.board.capture import save_capture
        from core.errors import CaptureError

        if self.history is None:
            raise CaptureError("not connected to a board", "connect first (or start a virtual board)")
        if choice.at_detection:
            _, audio = self.history.at_detection()
        else:
            audio = self.history.last(CAPTURE_SECONDS)
        board = self.hello.board if self.hello is not None else "board"
        path = save_capture(audio, choice.label, captures_dir, board)
        self.monitor_line(f"saved {path}", style="green")
        self.post_message(self.CaptureSaved(path))
        return path
