"""The one error dialog: what went wrong (core's message), what to do (its hint), and an OK button."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from core.errors import WakebenchError


def describe(error: BaseException) -> tuple[str, str, str]:
    """(title, message, hint) for an exception; unexpected ones say they are a bug."""
    if isinstance(error, WakebenchError):
        return type(error).__name__, error.message, error.hint
    return (
        f"Unexpected {type(error).__name__}",
        str(error) or repr(error),
        "this is a bug in wakebench; the app is still usable. Please report it with the steps that led here.",
    )


class ErrorDialog(ModalScreen[None]):
    """Shows one failure (more are appended if they arrive while it is open); the app stays usable."""

    BINDINGS = [Binding("escape,enter", "dismiss_dialog", "Close")]

    def __init__(self, error: BaseException, context: str = "") -> None:
        super().__init__()
        self._entries: list[tuple[str, str, str, str]] = []
        self._add(error, context)

    def compose(self) -> ComposeResult:
        with Vertical(id="error-box"):
            yield Static(id="error-text")
            with Horizontal(id="error-buttons"):
                yield Button("OK", id="error-ok", variant="error")

    def on_mount(self) -> None:
        self._render_text()
        self.query_one("#error-ok", Button).focus()

    def add_error(self, error: BaseException, context: str = "") -> None:
        self._add(error, context)
        self._render_text()

    def _add(self, error: BaseException, context: str) -> None:
        self._entries.append((context, *describe(error)))

    @property
    def messages(self) -> list[str]:
        return [message for _context, _title, message, _hint in self._entries]

    def _render_text(self) -> None:
        parts = []
        for context, title, message, hint in self._entries:
            head = f"{context}: {title}" if context else title
            part = Content.from_markup("[b $error]$head[/]\n$message", head=head, message=message)
            if hint:
                part += Content.from_markup("\n[$text-muted]what to do:[/] $hint", hint=hint)
            parts.append(part)
        self.query_one("#error-text", Static).update(Content("\n\n").join(parts))

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(None)

    def action_dismiss_dialog(self) -> None:
        self.dismiss(None)
