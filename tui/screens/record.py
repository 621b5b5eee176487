"""Record mode: takes of your own voice for one word, each trimmed by core to a 1 s clip centred on the
word, shown as a spectrogram, played back, then kept (saved under data/recordings/<word>/) or discarded.

`core.audio.record.Recorder` does the recording, trimming and saving; this screen is the prompt and the
choice. Core's audio modules (numpy) are imported when record mode opens, not with the app's first frame.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Button, Footer, Header, Input, Label, RichLog, Select, Static

from core.events import CancelToken
from tui.jobs import JobEnded, JobKind, Reporter
from tui.widgets.spectrogram import Spectrogram

if TYPE_CHECKING:
    from core.audio.record import Recorder, Take
    from core.audio.sources import AudioSource

TAKE_SECONDS = 2.0


class RecordScreen(Screen):
    """Prompt, record, look, listen, keep or discard — one take at a time."""

    AUTO_FOCUS = "#record-take"
    BINDINGS = [
        Binding("space", "record", "Record take"),
        Binding("k", "keep", "Keep"),
        Binding("d", "discard", "Discard"),
        Binding("p", "play", "Play"),
        Binding("escape", "app.switch_mode('workbench')", "Workbench"),
    ]

    class Recorded(JobEnded["Take"]):
        """A take ended (recorded, stopped or failed)."""

        kind = JobKind.RECORD

    class Played(JobEnded[None]):
        kind = JobKind.PLAYBACK

    def __init__(self, make_source: Callable[[], AudioSource], **kwargs) -> None:
        super().__init__(**kwargs)
        self.make_source = make_source
        self.take: Take | None = None

    def compose(self) -> ComposeResult:
        yield Header(icon="◉")
        with Vertical(id="record-box", classes="pane"):
            with Horizontal(id="record-settings"):
                yield Label("word ")
                words = self.app.config.words
                yield Select[str](
                    ((w, w) for w in words), value=words[0], id="record-word", allow_blank=False, compact=True
                )
                yield Label("  speaker ")
                yield Input(id="record-speaker", compact=True, restrict=r"[A-Za-z0-9]*")
            yield Static(id="record-prompt")
            yield Spectrogram(id="take-view", history=64)
            yield Static(id="record-result")
            with Horizontal(classes="buttons"):
                yield Button(
                    "Record", id="record-take", action="screen.record", variant="primary", compact=True
                )
                yield Button("Play", id="record-play", action="screen.play", compact=True)
                yield Button("Keep", id="record-keep", action="screen.keep", variant="success", compact=True)
                yield Button("Discard", id="record-discard", action="screen.discard", compact=True)
            yield RichLog(id="record-log", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        from core.audio.record import default_speaker

        self.query_one("#record-box").border_title = "Record your voice"
        self.query_one("#record-speaker", Input).value = default_speaker()
        self.set_words(self.app.config.words)

    def on_screen_resume(self) -> None:
        self.set_words(self.app.config.words)

    def set_words(self, words: list[str]) -> None:
        select = self.query_one("#record-word", Select)
        current = select.value
        select.set_options((w, w) for w in words)
        select.value = current if current in words else words[0]
        self._show_prompt()

    @property
    def word(self) -> str:
        return str(self.query_one("#record-word", Select).value)

    @property
    def speaker(self) -> str:
        return self.query_one("#record-speaker", Input).value

    def _recorder(self, source: AudioSource | None = None) -> Recorder:
        """A recorder of the chosen word and speaker; without `source` it only counts and keeps takes."""
        import numpy as np

        from core.audio.record import Recorder
        from core.audio.sources import ArraySource

        recordings = self.app.project_dir / self.app.config.data.recordings_dir
        # Counting and keeping takes never read the source: an empty one stands in.
        if source is None:
            source = ArraySource(np.zeros(0, np.int16), name="no source")
        return Recorder(source, self.word, recordings, self.speaker, take_seconds=TAKE_SECONDS)

    def _show_prompt(self, extra: str = "") -> None:
        try:
            kept = self._recorder().saved()
        except Exception:  # an invalid speaker id: said when recording
            kept = 0
        text = f"Press space, then say “[b]{self.word}[/]” once ({TAKE_SECONDS:.0f} s). Kept so far by this speaker: {kept}"
        self.query_one("#record-prompt", Static).update(Content.from_markup(text + extra))

    def on_select_changed(self, event: Select.Changed) -> None:
        self._show_prompt()

    def on_input_changed(self, event: Input.Changed) -> None:
        self._show_prompt()

    # ---- actions ------------------------------------------------------------------------------------

    def action_record(self) -> None:
        jobs = self.app.jobs
        if jobs.busy(JobKind.RECORD):
            return
        self.take = None
        self.query_one("#record-result", Static).update(Content.from_markup("[$warning]● recording…[/]"))

        def work(on_event: Reporter, cancel: CancelToken) -> Take:
            return self._recorder(self.make_source()).record(cancel)

        jobs.start(JobKind.RECORD, work, owner=self)

    @on(Recorded)
    def _recorded(self, message: Recorded) -> None:
        # A failure is already in the app's error dialog; the prompt says the take is gone.
        if message.result is not None:
            self._show_take(message.result)
        else:
            self.query_one("#record-result", Static).update(Content.from_markup("[$error]the take failed[/]"))

    def _show_take(self, take: Take) -> None:
        from core.audio.sources import ArraySource
        from core.live.detector import feature_frames

        self.take = take
        view = self.query_one(Spectrogram)
        view.clear()
        result = self.query_one("#record-result", Static)
        if not take.heard:
            result.update(
                Content.from_markup(
                    "[$error]no word heard[/] — speak a little louder or closer, then record again"
                )
            )
            return
        view.push_frames(list(feature_frames(ArraySource(take.clip))))
        view.refresh()
        note = " [$warning](longer than the clip: it was cut)[/]" if take.too_long else ""
        result.update(
            Content.from_markup(
                f"heard {take.word_seconds:.2f} s{note} — [b]k[/] keep · [b]d[/] discard · [b]p[/] play"
            )
        )

    def action_keep(self) -> None:
        if self.take is None or not self.take.heard:
            self.notify("record a take with a word in it first (space)", severity="warning")
            return
        path = self._recorder().keep(self.take)
        self.take = None
        self.query_one(RichLog).write(f"kept {path.relative_to(self.app.project_dir)}")
        self.query_one("#record-result", Static).update(
            Content.from_markup("[$success]kept[/] — space for the next take")
        )
        self.query_one(Spectrogram).clear()
        self._show_prompt()
        self.app.scan_project()

    def action_discard(self) -> None:
        if self.take is not None:
            self.take = None
            self.query_one(Spectrogram).clear()
            self.query_one("#record-result", Static).update("discarded — space to record again")

    def action_play(self) -> None:
        if self.take is None:
            self.notify("nothing recorded yet (space)", severity="warning")
            return
        audio = self.take.clip if self.take.heard else self.take.audio

        def work(on_event: Reporter, cancel: CancelToken) -> None:
            from core.audio.mic import play

            play(audio)

        self.app.jobs.start(JobKind.PLAYBACK, work, owner=self, replace=True)
