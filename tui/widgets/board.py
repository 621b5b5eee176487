"""The Board pane: port picker, connection state, hello info and the serial monitor.

The ports listed are real (pyserial's `list_ports`); the serial link itself comes from `core` once it
exists, and until then the pane says so rather than pretending to connect.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import Button, RichLog, Select, Static

from tui.jobs import JobEnded, JobKind


@dataclass(frozen=True)
class PortInfo:
    """A serial port as the picker shows it."""

    device: str
    description: str


class BoardPane(Vertical):
    """Port picker, connection state, hello info and serial monitor."""

    class PortsListed(JobEnded["list[PortInfo]"]):
        """The serial port scan ended."""

        kind = JobKind.PORTS

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.border_title = "Board"
        self._preferred_port = ""

    def compose(self) -> ComposeResult:
        yield Select[str]([], prompt="port", id="port-select", allow_blank=True, compact=True)
        with Horizontal(classes="buttons"):
            yield Button("Refresh", id="ports-refresh", action="app.refresh_ports", compact=True)
            yield Button("Connect", id="board-connect", action="app.connect_board", compact=True)
        yield Static("", id="board-state")
        yield Static("", id="board-hello")
        yield RichLog(id="board-monitor", wrap=False, markup=False, max_lines=1000)

    def on_mount(self) -> None:
        self.set_state("not connected")
        self.show_hello(None)

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

    def set_state(self, state: str, detail: str = "") -> None:
        style = {"connected": "$success", "connecting": "$warning", "unavailable": "$error"}.get(state, "dim")
        text = f"[{style}]●[/] {state}" + (f" [dim]· {detail}[/]" if detail else "")
        self.query_one("#board-state", Static).update(Content.from_markup(text))

    def show_hello(self, fields: dict[str, str] | None) -> None:
        """The board's hello line (`#wakebench v1 board=… model=… labels=…`) as key/value pairs."""
        hello = self.query_one("#board-hello", Static)
        if not fields:
            hello.update(Content.from_markup("[dim]no hello from a board yet[/]"))
            return
        hello.update(Content(" · ".join(f"{k} {v}" for k, v in fields.items())))

    def monitor_line(self, text: str, detection: bool = False) -> None:
        """Append a line of the serial stream; detections stand out."""
        style = "bold reverse green" if detection else ""
        self.query_one("#board-monitor", RichLog).write(Text(text, style=style))

    # ---- jobs ----------------------------------------------------------------------------------------

    def refresh_ports(self, list_ports: Callable[[], list[PortInfo]], preferred: str = "") -> None:
        """List the serial ports again (in a worker: pyserial can take a moment); pick `preferred` if there."""
        self._preferred_port = preferred
        self.app.jobs.start(JobKind.PORTS, lambda on_event, cancel: list_ports(), owner=self, replace=True)

    @on(PortsListed)
    def _ports_listed(self, message: PortsListed) -> None:
        if message.result is not None:
            self.set_ports(message.result, self._preferred_port)

    def connect(self) -> None:
        self.set_state("unavailable", "the serial link to a board is not in wakebench yet (board issue)")
        self.notify(
            "connecting to a board arrives with the board issue; the port list above is real",
            severity="warning",
        )
