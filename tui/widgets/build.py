"""The Build & flash pane: Build, Flash and Retrain+Flash buttons, their log and progress.

Building and flashing go through arduino-cli; until wakebench's arduino-cli support lands, the pane says
exactly that (and whether arduino-cli itself is installed) instead of pretending.
"""

from __future__ import annotations

import shutil

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import Button, ProgressBar, RichLog, Static


def arduino_cli_path() -> str | None:
    """Where arduino-cli is installed, or None."""
    return shutil.which("arduino-cli")


class BuildPane(Vertical):
    """Build/flash controls and their log."""

    def __init__(self, **kwargs) -> None:
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

    def show_tools(self) -> None:
        """Say whether arduino-cli is installed (and that wakebench's build support is still to come)."""
        cli = arduino_cli_path()
        if cli is None:
            self.set_status(
                "[$error]arduino-cli not found on PATH.[/] Install it (arduino.github.io/arduino-cli) to build and "
                "flash. wakebench's build and flash commands are not built yet."
            )
        else:
            self.set_status(
                f"arduino-cli at {cli}. [$warning]wakebench's build and flash support is not there yet[/] "
                "(the build-and-flash issue)."
            )

    def not_yet(self, what: str) -> None:
        """Build, Flash and Retrain+Flash say what is missing instead of pretending."""
        missing = "arduino-cli is not installed, and " if arduino_cli_path() is None else ""
        text = f"{what}: {missing}wakebench's arduino-cli support is not built yet"
        self.log_line(text)
        self.notify(text, severity="warning")
