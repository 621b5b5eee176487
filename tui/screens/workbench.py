"""The workbench screen: six panes on one screen when wide, tabs (one pane at a time) when narrow."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Container
from textual.screen import Screen
from textual.widgets import Footer, Header, Tab, Tabs

from tui.widgets.board import BoardPane
from tui.widgets.build import BuildPane
from tui.widgets.model import ModelPane
from tui.widgets.spectrogram import SpectrogramPane
from tui.widgets.training import TrainingPane
from tui.widgets.words import WordsPane

# (id, tab title) in reading order of the wide grid: top row, then bottom row.
PANES = [
    ("words", "Words"),
    ("training", "Training"),
    ("board", "Board"),
    ("model", "Model"),
    ("spectrogram", "Spectrogram"),
    ("build", "Build"),
]
WIDE_COLUMNS = 120


class WorkbenchScreen(Screen):
    """All panes. The `-wide`/`-narrow` class (set from the width) switches between grid and tabs in app.tcss."""

    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (WIDE_COLUMNS, "-wide")]
    AUTO_FOCUS = "#word-list"
    """Focus starts in the Words pane (as `show_pane("words")` leaves it), not on the tabs first: every focus
    change rebuilds the footer, and doing that once less speeds up the first frame."""

    def compose(self) -> ComposeResult:
        yield Header(icon="◉")
        yield Tabs(*(Tab(title, id=f"tab-{pane}") for pane, title in PANES), id="pane-tabs")
        with Container(id="panes"):
            yield WordsPane(id="words", classes="pane")
            yield TrainingPane(id="training", classes="pane")
            yield BoardPane(id="board", classes="pane")
            yield ModelPane(id="model", classes="pane")
            yield SpectrogramPane(id="spectrogram", classes="pane")
            yield BuildPane(id="build", classes="pane")
        yield Footer()

    def on_mount(self) -> None:
        self.show_pane("words")

    def on_tabs_tab_activated(self, event: Tabs.TabActivated) -> None:
        if event.tab.id:
            self._mark_shown(event.tab.id.removeprefix("tab-"))

    def show_pane(self, pane: str) -> None:
        """Bring `pane` forward: its tab when narrow; in both layouts focus moves into it."""
        self.query_one(Tabs).active = f"tab-{pane}"
        self._mark_shown(pane)
        widget = self.query_one(f"#{pane}")
        for child in widget.query("*"):
            if child.focusable:
                child.focus()
                break

    def _mark_shown(self, pane: str) -> None:
        for widget in self.query(".pane"):
            widget.set_class(widget.id == pane, "-shown")
