"""The Build & flash pane: Build, Flash and Retrain+Flash buttons, their log and progress.

Building and flashing go through arduino-cli; until wakebench's arduino-cli support lands, the pane says
exactly that (and whether arduino-cli itself is installed) instead of pretending.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import Button, ProgressBar, RichLog, Static


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
