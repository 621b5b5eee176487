"""A one-pane app for snapshots: one workbench pane filling the screen, fed fixed data."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from textual.app import App, ComposeResult
from textual.widget import Widget

import tui

APP_CSS = Path(tui.__file__).parent / "app.tcss"


class PaneApp(App[None]):
    CSS_PATH = str(APP_CSS)

    def __init__(self, pane: Widget, fill: Callable[[Widget], None]) -> None:
        super().__init__()
        self.pane = pane
        self.fill = fill

    def compose(self) -> ComposeResult:
        yield self.pane

    def on_mount(self) -> None:
        self.fill(self.pane)
