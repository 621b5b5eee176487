"""The Words pane: the Speech Commands words and custom words to tick, clip counts per source, data buttons."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import Button, Input, SelectionList
from textual.widgets.selection_list import Selection

from core.config import ProjectConfig
from core.events import CancelToken
from tui.jobs import JobEnded, JobEvent, JobKind, Reporter, show_progress, start_resource_tracker

# Short names of the clip sources, in the order they are shown.
SOURCE_ABBREVIATIONS = {"synthetic": "syn", "speech_commands": "sc", "recordings": "rec", "captures": "cap"}


def count_summary(counts: Mapping[str, int]) -> str:
    """ "syn 600 · rec 20" — only the sources that have clips; "no clips" when none."""
    parts = [
        f"{abbr} {counts.get(source, 0):,}"
        for source, abbr in SOURCE_ABBREVIATIONS.items()
        if counts.get(source)
    ]
    return " · ".join(parts) if parts else "no clips"


class WordsPane(Vertical):
    """Tick the keywords to train; add custom words; synthesise or fetch data for the ticked ones."""

    class SelectionChanged(Message):
        """The user ticked or unticked a word; `words` is the new selection in project order."""

        def __init__(self, words: list[str]) -> None:
            super().__init__()
            self.words = words

    class WordAdded(Message):
        """The user typed a custom word."""

        def __init__(self, word: str) -> None:
            super().__init__()
            self.word = word

    class DataMade(JobEnded["Path | None"]):
        """Synthesis or a Speech Commands fetch ended; `result` is the fetched folder (None for synthesis)."""

        kind = JobKind.DATA

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.border_title = "Words"
        self.selected: list[str] = []

    def compose(self) -> ComposeResult:
        yield SelectionList[str](id="word-list", compact=True)
        yield Input(placeholder="+ custom word", id="custom-word", compact=True)
        with Horizontal(classes="buttons"):
            yield Button("Synthesise", id="synth", action="app.synth", compact=True)
            yield Button("Speech Commands", id="fetch", action="app.fetch_speech_commands", compact=True)

    def show_words(
        self, words: Sequence[str], selected: Sequence[str], counts: Mapping[str, Mapping[str, int]]
    ) -> None:
        """List `words` (ticked: `selected`) with their clip counts per source."""
        self.selected = list(selected)
        width = max((len(w) for w in words), default=4) + 1
        selection_list = self.query_one(SelectionList)
        highlighted = selection_list.highlighted
        with selection_list.prevent(SelectionList.SelectedChanged):
            selection_list.clear_options()
            selection_list.add_options(
                Selection(
                    Content.from_markup(
                        "$word[dim]$counts[/]",
                        word=word.ljust(width),
                        counts=count_summary(counts.get(word, {})),
                    ),
                    word,
                    word in self.selected,
                    id=word,
                )
                for word in words
            )
        if highlighted is not None and words:
            selection_list.highlighted = min(highlighted, len(words) - 1)

    def on_selection_list_selected_changed(self, event: SelectionList.SelectedChanged) -> None:
        event.stop()
        ticked = set(event.selection_list.selected)
        # Keep the project's order; newly ticked words go last.
        words = [w for w in self.selected if w in ticked] + [
            w for w in event.selection_list.selected if w not in self.selected
        ]
        self.selected = words
        self.post_message(self.SelectionChanged(words))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.value.strip():
            self.post_message(self.WordAdded(event.value.strip()))
            event.input.clear()

    # ---- the data job (synthesis or a Speech Commands download) ----------------------------------------

    def synthesise(self, config: ProjectConfig, project_dir: Path) -> None:
        """Make the synthetic clips of the project's words (core refuses a folder of other files)."""

        def work(on_event: Reporter, cancel: CancelToken) -> None:
            from core.data.synth import synthesize_dataset

            start_resource_tracker()
            data = config.data
            synthesize_dataset(
                config.words,
                project_dir / data.synthetic_dir,
                per_word=data.synth_per_word,
                seed=data.synth_seed,
                engines=data.synth_engines,
                on_event=on_event,
                cancel=cancel,
            )

        self.app.jobs.start(JobKind.DATA, work, owner=self)

    def fetch_speech_commands(self, dest: Path) -> None:
        """Download Speech Commands into `dest`; the app records the folder in the project when it ends."""

        def work(on_event: Reporter, cancel: CancelToken) -> Path:
            from core.data.speech_commands import fetch_speech_commands

            fetch_speech_commands(dest, on_event=on_event, cancel=cancel)
            return dest

        self.app.jobs.start(JobKind.DATA, work, owner=self)

    @on(JobEvent)
    def _job_event(self, message: JobEvent) -> None:
        show_progress(self, message)

    @on(DataMade)
    def _data_made(self, message: DataMade) -> None:
        self.border_subtitle = ""
