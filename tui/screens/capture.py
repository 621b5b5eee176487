"""The capture dialog: what to save of the board's audio, and what it is (a word, another word, or not a word)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, RadioButton, RadioSet

NOT_A_WORD = "_unknown_"


@dataclass(frozen=True)
class CaptureChoice:
    """The user's answer: `at_detection` (the 1 s of the last detection) or the last seconds, and the label."""

    at_detection: bool
    label: str


class CaptureDialog(ModalScreen[CaptureChoice | None]):
    """Pick what to save and its label; a word button, "not a word" or Enter in the text box saves."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, words: Sequence[str], detection: str = "", seconds: float = 1.5) -> None:
        """`detection` describes the last detection ("go (230) at 12.34 s"), "" when there is none."""
        super().__init__()
        self.words = list(words)
        self.detection = detection
        self.seconds = seconds

    def compose(self) -> ComposeResult:
        with Vertical(id="capture-box"):
            yield Label("Save what the board heard into data/captures/ (never overwrites)")
            with RadioSet(id="capture-what"):
                if self.detection:
                    yield RadioButton(
                        f"the 1 s of the last detection: {self.detection}", id="capture-detection", value=True
                    )
                yield RadioButton(f"the last {self.seconds:g} s", id="capture-last", value=not self.detection)
            yield Label("It is:")
            with Horizontal(id="capture-words"):
                for i, word in enumerate(self.words):
                    yield Button(word, id=f"capture-word-{i}", compact=True)
                yield Button("not a word", id="capture-not-a-word", variant="warning", compact=True)
            yield Input(placeholder="another word, then Enter", id="capture-other")
            with Horizontal(id="capture-buttons"):
                yield Button("Cancel", id="capture-cancel", compact=True)

    @property
    def at_detection(self) -> bool:
        pressed = self.query_one(RadioSet).pressed_button
        return pressed is not None and pressed.id == "capture-detection"

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        button_id = event.button.id or ""
        if button_id.startswith("capture-word-"):
            self.dismiss(
                CaptureChoice(self.at_detection, self.words[int(button_id.removeprefix("capture-word-"))])
            )
        elif button_id == "capture-not-a-word":
            self.dismiss(CaptureChoice(self.at_detection, NOT_A_WORD))
        else:
            self.dismiss(None)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.value.strip():
            self.dismiss(CaptureChoice(self.at_detection, event.value.strip()))

    def action_cancel(self) -> None:
        self.dismiss(None)
