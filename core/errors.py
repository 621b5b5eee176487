"""One exception hierarchy for every failure a user can see.

Each error carries a message that says what went wrong and, where there is one, a hint that says what
to do. The CLI prints both and exits non-zero; the TUI shows them in one error dialog.
"""

from __future__ import annotations

from pathlib import Path


class WakebenchError(Exception):
    """Base of every error wakebench raises on purpose."""

    exit_code = 1

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}\n  hint: {self.hint}" if self.hint else self.message

    def __reduce__(self) -> tuple[type, tuple[object, ...]]:
        # Keep message and hint when the error crosses a process boundary (process pools pickle it).
        return (type(self), (self.message, self.hint))


class ConfigError(WakebenchError):
    """The project file or a flag has a value wakebench cannot use."""


class AudioError(WakebenchError):
    """An audio file cannot be read as audio (not a WAV, truncated, absurd header, ...)."""

    def __init__(self, path: str | Path, reason: str, hint: str = "") -> None:
        super().__init__(f"{path}: {reason}", hint)
        self.path = Path(path)
        self.reason = reason

    def __reduce__(self) -> tuple[type, tuple[object, ...]]:
        return (type(self), (self.path, self.reason, self.hint))


class DataError(WakebenchError):
    """A dataset is missing, empty or unusable."""


class DownloadError(WakebenchError):
    """A download failed or its content failed an integrity check."""


class SynthesisError(WakebenchError):
    """The speech synthesiser is missing or failed."""


class TrainingError(WakebenchError):
    """Training cannot start or continue."""


class ExportError(WakebenchError):
    """A model cannot be exported, or the firmware could not run it."""


class IncompatibleModelError(ExportError):
    """The model uses ops, types or shapes the firmware does not support."""


class MicrophoneError(WakebenchError):
    """No usable microphone: PortAudio missing, no device, or the device is busy."""


class BoardError(WakebenchError):
    """The board link failed: port missing, unplugged, or the board reported an error."""


class BoardNotFoundError(BoardError):
    """No board on the given port, or no port given and none found."""

    exit_code = 3


class BoardChoiceError(BoardError):
    """No PORT given and not exactly one recognised board: the message lists the candidates."""

    exit_code = 2


class PortBusyError(BoardError):
    """Another program holds the serial port (a monitor, the app, an upload, a terminal)."""

    exit_code = 4


class PortPermissionError(BoardError):
    """The user may not open the serial port (not in the group that owns it)."""

    exit_code = 5


class PortVanishedError(BoardError):
    """The port went away while in use (unplugged, board reset) and did not come back in time."""

    exit_code = 6


class CaptureError(WakebenchError):
    """A capture cannot be made: not enough unbroken audio from the board, no detection, a bad label."""


class FirmwareBuildError(WakebenchError):
    """A firmware build failed, or its output (the linked .elf) is missing or unreadable."""


class ArduinoCliError(WakebenchError):
    """arduino-cli is missing or reported a failure."""


class ArduinoCliNotFound(ArduinoCliError):
    """No arduino-cli where wakebench looked (PATH, or `[board] arduino_cli`), or one too old."""


class CompileError(ArduinoCliError):
    """The firmware did not compile; `compiler_output` holds the compiler's own messages."""

    def __init__(self, message: str, hint: str = "", compiler_output: str = "") -> None:
        super().__init__(message, hint)
        self.compiler_output = compiler_output

    def __reduce__(self) -> tuple[type, tuple[object, ...]]:
        return (type(self), (self.message, self.hint, self.compiler_output))


class UploadError(ArduinoCliError):
    """arduino-cli could not upload the firmware to the board."""


class Cancelled(WakebenchError):
    """The user stopped a long job; whatever was saved so far is kept."""

    exit_code = 130
