"""Read-only views of the project for the panes, gathered from `core` in a worker thread.

Nothing here decides anything: it asks `core` and reshapes the answers into the small dataclasses the
widgets draw. It must stay free of TensorFlow (it runs at start-up).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

from core.config import ProjectConfig
from tui.widgets.board import PortInfo


@dataclass(frozen=True)
class WordsView:
    """Words to offer (Speech Commands words first, then custom ones) and clips per word and source."""

    words: list[str]
    counts: dict[str, dict[str, int]] = field(default_factory=dict)


def speech_commands_words() -> list[str]:
    from core.data.synth import SPEECH_COMMANDS_WORDS

    return list(SPEECH_COMMANDS_WORDS)


def words_view(config: ProjectConfig, root: Path) -> WordsView:
    """Every word to tick, with how many clips each data source has for it."""
    from core.data.dataset import build_index

    offered = speech_commands_words()
    words = offered + [w for w in config.words if w not in offered]
    index = build_index(config.replace(words=words), root, strict=False)
    per_source = index.source_counts()
    counts = {w: {source: labels.get(w, 0) for source, labels in per_source.items()} for w in words}
    return WordsView(words, counts)


def list_serial_ports() -> list[PortInfo]:
    """The serial ports pyserial sees, sorted by device name."""
    from serial.tools import list_ports

    return [
        PortInfo(p.device, p.description if p.description != "n/a" else "")
        for p in sorted(list_ports.comports())
    ]


def arduino_cli_path() -> str | None:
    """Where arduino-cli is installed, or None."""
    return shutil.which("arduino-cli")
