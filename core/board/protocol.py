"""Serial protocol v1 between a board and the host (spec: PROTOCOL.md in the design notes).

Text lines of ASCII, `\\n`-terminated (a `\\r` before it is ignored), at most 512 bytes including the
terminator, fields separated by exactly one space, decimal numbers without sign.

- `parse_line` turns one board->host line into a typed message, or returns a `ParseError` saying why it
  does not parse (callers count and skip those; nothing here raises on bad input).
- `parse_command` does the same for host->board commands (the virtual board uses it).
- `encode_*` write lines; the firmware's C++ encoder must produce exactly what these accept.
- `LineBuffer` cuts a byte stream into lines and turns over-long ones into ParseErrors.

Limits (as PROTOCOL.md states them):
- one `A` chunk carries at most `MAX_AUDIO_SAMPLES_PER_LINE` (186) samples, what fits a 512-byte line with a
  10-digit `seq`; the firmware sends 160 (10 ms). Senders keep to that; the parser takes any chunk that
  fits the line (a few more samples fit after a short `seq`).
- `F` bytes are the model's int8 input value + 128 (`feature_bytes`), not the frontend's uint16 output.
- numbers are unsigned 32-bit at most; scores and the threshold 0-255.

Throughput: bench/parser_speed.py measures `LineBuffer` + `parse_line` on a realistic mix of lines (the
board's audio, feature and score streams at once); the link needs >= 5 MB/s so a fast board never backs up
the host.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from core.features.quantize import dequantize_input, quantize_input

PROTOCOL_VERSION = "v1"
HELLO_TAG = "#wakebench"
MAX_LINE_BYTES = 512
"""Longest line including its `\\n` (and a `\\r` before it, if any)."""
MAX_AUDIO_SAMPLES_PER_LINE = 186
"""What really fits in 512 bytes with a 10-digit `seq`: 13 + 4*ceil(2n/3) + 1 <= 512."""
MAX_U32 = 2**32 - 1
HELLO_KEYS = ("board", "model", "labels", "rate", "window_ms", "stride_ms", "bins")

_NUMBER = re.compile(r"[0-9]{1,10}")
_TOKEN = re.compile(r"[!-~]+")  # printable ASCII, no space
LABEL_RE = re.compile(r"[!-+\--~]+")
"""What a label may be in a protocol line: printable ASCII without space and comma."""
_PRINTABLE = re.compile(r"[ -~]*")


# ---------------------------------------------------------------------------------------------- messages
@dataclass(frozen=True, slots=True)
class Hello:
    """`#wakebench v1 board=… model=… labels=… rate=… window_ms=… stride_ms=… bins=…`."""

    board: str
    model: str
    labels: tuple[str, ...]
    rate: int = 16000
    window_ms: int = 30
    stride_ms: int = 20
    bins: int = 40
    extra: tuple[tuple[str, str], ...] = ()
    """Keys this host does not know, in line order (ignored, kept for display)."""


@dataclass(frozen=True, slots=True)
class Detection:
    """`D <ms> <label> <score>`: a new detection at board uptime `ms`, averaged score 0-255."""

    ms: int
    label: str
    score: int


@dataclass(frozen=True, slots=True)
class Scores:
    """`P <ms> <s0> … <sN-1>`: raw scores of one inference, 0-255 each."""

    ms: int
    scores: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class FeatureFrame:
    """`F <ms> <b64>`: one frame of feature bins, one unsigned byte each. The firmware sends what the
    model sees: its int8 input value + 128 (see `feature_bytes`)."""

    ms: int
    data: bytes

    @property
    def values(self) -> np.ndarray:
        return np.frombuffer(self.data, dtype=np.uint8)


@dataclass(frozen=True, slots=True)
class AudioChunk:
    """`A <seq> <b64>`: 16-bit little-endian mono PCM. `seq` is the index of the chunk's first sample
    counted from `A1`, dropped chunks included, so a jump in `seq` shows how many samples were lost."""

    seq: int
    data: bytes

    @property
    def sample_count(self) -> int:
        return len(self.data) // 2

    @property
    def samples(self) -> np.ndarray:
        return np.frombuffer(self.data, dtype="<i2").astype(np.int16)


@dataclass(frozen=True, slots=True)
class LogLine:
    """`L <text>`: free text from the board."""

    text: str


@dataclass(frozen=True, slots=True)
class BoardErrorLine:
    """`E <code> <text>`: an error the board cannot recover from by itself (e.g. code `model`)."""

    code: str
    text: str


@dataclass(frozen=True, slots=True)
class ParseError:
    """A line that does not parse. Returned, never raised: callers count it and carry on."""

    raw: bytes
    reason: str
    size: int = -1
    """Bytes the line took in the stream (`raw` holds only the head of an over-long one); -1: len(raw)."""

    @property
    def byte_count(self) -> int:
        return len(self.raw) if self.size < 0 else self.size

    @property
    def kind(self) -> str:
        """The reason's category, for counting skipped lines (one of `SKIP_KINDS`)."""
        for kind, marker in _SKIP_MARKERS:
            if marker in self.reason:
                return kind
        return "malformed"

    def __str__(self) -> str:
        shown = sanitize_text(self.raw[:48].decode("ascii", "replace"), 48)
        return f"{self.reason}: {shown!r}{'…' if len(self.raw) > 48 else ''}"


# Categories of skipped lines, by a phrase of the reasons the parser writes (first match wins).
_SKIP_MARKERS = (
    ("over-long", "bytes is longer than"),
    ("not text", "not ASCII"),
    ("not text", "control character"),
    ("empty", "empty line"),
    ("unknown tag", "unknown tag"),
    ("bad hello", "hello"),
    ("bad hello", "protocol version"),
    ("bad spacing", "empty field"),
    ("bad label", "bad label"),
    ("field count", " needs "),
    ("bad base64", "base64"),
    ("bad number", "decimal number"),
    ("bad number", "is larger than"),
)
SKIP_KINDS = tuple(dict.fromkeys(kind for kind, _ in _SKIP_MARKERS)) + ("malformed",)

BoardMessage = Hello | Detection | Scores | FeatureFrame | AudioChunk | LogLine | BoardErrorLine


def feature_bytes(features_u16: np.ndarray, input_scale: float, input_zero_point: int) -> np.ndarray:
    """The bytes of `F` lines for frontend output (uint16): the model's int8 input + 128, as the
    firmware sends them (so a virtual board and a real one look the same)."""
    return (quantize_input(features_u16, input_scale, input_zero_point).astype(np.int16) + 128).astype(
        np.uint8
    )


def feature_values(frame: bytes | np.ndarray, input_scale: float, input_zero_point: int) -> np.ndarray:
    """The inverse of `feature_bytes`: an `F` frame's bytes back to frontend output (uint16, to within
    one quantization step), so a board's frames are drawn exactly like the PC's."""
    data = np.frombuffer(frame, np.uint8) if isinstance(frame, bytes) else np.asarray(frame, np.uint8)
    return dequantize_input(data.astype(np.int16) - 128, input_scale, input_zero_point)


# ---------------------------------------------------------------------------------------------- commands
Stream = Literal["F", "P", "A"]
STREAM_NAMES: dict[str, str] = {"F": "feature frames", "P": "raw scores", "A": "audio"}


@dataclass(frozen=True, slots=True)
class HelloRequest:
    """`?`: ask for the hello line."""


@dataclass(frozen=True, slots=True)
class StreamSwitch:
    """`F1`/`F0`, `P1`/`P0`, `A1`/`A0`: switch a stream on or off."""

    stream: Stream
    on: bool


@dataclass(frozen=True, slots=True)
class SetThreshold:
    """`T <0-255>`: set the recognizer's detection threshold."""

    value: int


Command = HelloRequest | StreamSwitch | SetThreshold


# ---------------------------------------------------------------------------------------------- parsing
def _line_text(line: str | bytes) -> str | ParseError:
    """The line's content without terminator, checked for length and characters."""
    raw = line if isinstance(line, bytes) else line.encode("utf-8", "surrogateescape")
    length = len(raw) if raw.endswith(b"\n") else len(raw) + 1
    if length > MAX_LINE_BYTES:
        return ParseError(
            raw[:MAX_LINE_BYTES], f"line of {length} bytes is longer than {MAX_LINE_BYTES}", len(raw)
        )
    body = raw[:-1] if raw.endswith(b"\n") else raw
    if body.endswith(b"\r"):
        body = body[:-1]
    try:
        text = body.decode("ascii")
    except UnicodeDecodeError:
        return ParseError(raw, "not ASCII")
    if not _PRINTABLE.fullmatch(text):
        return ParseError(raw, "control character in line")
    if not text:
        return ParseError(raw, "empty line")
    return text


def _number(text: str, what: str, maximum: int = MAX_U32) -> int | str:
    """An unsigned decimal, or the reason it is not one."""
    if not _NUMBER.fullmatch(text):
        return f"{what} is not a decimal number: {text[:20]!r}"
    value = int(text)
    if value > maximum:
        return f"{what} {value} is larger than {maximum}"
    return value


def _base64(text: str, what: str) -> bytes | str:
    """Strict standard base64 (padding required, canonical), or the reason it is not."""
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return f"{what} is not valid base64"
    if base64.b64encode(data).decode("ascii") != text:
        return f"{what} is not canonical base64"
    if not data:
        return f"{what} is empty"
    return data


def parse_line(line: str | bytes) -> BoardMessage | ParseError:
    """Parse one board->host line (with or without its `\\r\\n`)."""
    raw = line if isinstance(line, bytes) else line.encode("utf-8", "surrogateescape")
    text = _line_text(raw)
    if isinstance(text, ParseError):
        return text
    result = _parse_text(text)
    return ParseError(raw, result) if isinstance(result, str) else result


def _parse_text(text: str) -> BoardMessage | str:
    tag, _, rest = text.partition(" ")
    if tag in ("L", "E"):
        return _parse_text_line(tag, rest)
    fields = rest.split(" ") if rest else []
    if any(not f for f in fields) or text.endswith(" "):
        return "empty field (fields are separated by exactly one space)"
    if tag == HELLO_TAG:
        return _parse_hello(fields)
    if tag == "D":
        return _parse_detection(fields)
    if tag == "P":
        return _parse_scores(fields)
    if tag == "F":
        return _parse_feature(fields)
    if tag == "A":
        return _parse_audio(fields)
    return f"unknown tag {tag[:20]!r}"


def _parse_text_line(tag: str, rest: str) -> BoardMessage | str:
    if tag == "L":
        return LogLine(rest)
    code, _, message = rest.partition(" ")
    if not code:
        return "E line without an error code"
    return BoardErrorLine(code, message)


def _parse_hello(fields: list[str]) -> Hello | str:
    if not fields:
        return "hello without a protocol version"
    if fields[0] != PROTOCOL_VERSION:
        return f"unsupported protocol version {fields[0][:20]!r} (this host speaks {PROTOCOL_VERSION})"
    values: dict[str, str] = {}
    extra: list[tuple[str, str]] = []
    for item in fields[1:]:
        key, eq, value = item.partition("=")
        if not eq or not key:
            return f"hello field {item[:20]!r} is not key=value"
        if key in values or any(key == k for k, _ in extra):
            return f"hello key {key!r} given twice"
        if key in HELLO_KEYS:
            values[key] = value
        else:
            extra.append((key, value))
    missing = [k for k in HELLO_KEYS if k not in values]
    if missing:
        return f"hello without {', '.join(missing)}"
    if not values["board"] or not values["model"]:
        return "hello with an empty board or model"
    labels = values["labels"].split(",")
    if not all(labels) or not all(LABEL_RE.fullmatch(label) for label in labels):
        return f"hello labels are not a comma-separated list: {values['labels'][:40]!r}"
    numbers = {}
    for key in ("rate", "window_ms", "stride_ms", "bins"):
        number = _number(values[key], key)
        if isinstance(number, str):
            return number
        if number == 0:
            return f"hello {key} must not be 0"
        numbers[key] = number
    return Hello(values["board"], values["model"], tuple(labels), extra=tuple(extra), **numbers)


def _parse_detection(fields: list[str]) -> Detection | str:
    if len(fields) != 3:
        return f"D line needs 3 fields (ms label score), got {len(fields)}"
    ms = _number(fields[0], "time")
    score = _number(fields[2], "score", 255)
    if isinstance(ms, str):
        return ms
    if isinstance(score, str):
        return score
    if not LABEL_RE.fullmatch(fields[1]):
        return f"bad label {fields[1][:20]!r}"
    return Detection(ms, fields[1], score)


def _parse_scores(fields: list[str]) -> Scores | str:
    if len(fields) < 2:
        return f"P line needs a time and at least one score, got {len(fields)} fields"
    ms = _number(fields[0], "time")
    if isinstance(ms, str):
        return ms
    scores = []
    for i, f in enumerate(fields[1:]):
        score = _number(f, f"score {i}", 255)
        if isinstance(score, str):
            return score
        scores.append(score)
    return Scores(ms, tuple(scores))


def _parse_feature(fields: list[str]) -> FeatureFrame | str:
    if len(fields) != 2:
        return f"F line needs 2 fields (ms base64), got {len(fields)}"
    ms = _number(fields[0], "time")
    if isinstance(ms, str):
        return ms
    data = _base64(fields[1], "feature frame")
    return FeatureFrame(ms, data) if isinstance(data, bytes) else data


def _parse_audio(fields: list[str]) -> AudioChunk | str:
    if len(fields) != 2:
        return f"A line needs 2 fields (seq base64), got {len(fields)}"
    seq = _number(fields[0], "seq")
    if isinstance(seq, str):
        return seq
    data = _base64(fields[1], "audio chunk")
    if isinstance(data, str):
        return data
    if len(data) % 2:
        return f"audio chunk of {len(data)} bytes is not whole 16-bit samples"
    return AudioChunk(seq, data)


def parse_command(line: str | bytes) -> Command | ParseError:
    """Parse one host->board command; the board answers a ParseError with `E cmd <reason>`."""
    raw = line if isinstance(line, bytes) else line.encode("utf-8", "surrogateescape")
    text = _line_text(raw)
    if isinstance(text, ParseError):
        return text
    if text == "?":
        return HelloRequest()
    if len(text) == 2 and text[0] in STREAM_NAMES and text[1] in "01":
        return StreamSwitch(text[0], text[1] == "1")  # type: ignore[arg-type]
    if text.startswith("T "):
        value = _number(text[2:], "threshold", 255)
        return ParseError(raw, value) if isinstance(value, str) else SetThreshold(value)
    return ParseError(raw, f"unknown command {text[:20]!r}")


# ---------------------------------------------------------------------------------------------- encoding
def _finish(text: str) -> bytes:
    data = text.encode("ascii") + b"\n"
    if len(data) > MAX_LINE_BYTES:
        raise ValueError(f"protocol line of {len(data)} bytes exceeds {MAX_LINE_BYTES}: {text[:40]!r}…")
    return data


def _check_u32(value: int, what: str, maximum: int = MAX_U32) -> int:
    if not 0 <= int(value) <= maximum:
        raise ValueError(f"{what} must be 0..{maximum}, got {value}")
    return int(value)


def _check_label(label: str) -> str:
    if not LABEL_RE.fullmatch(label):
        raise ValueError(f"label {label!r} cannot be sent (printable ASCII without space or comma)")
    return label


def sanitize_text(text: str, limit: int) -> str:
    """Printable ASCII only (others become `?`), cut to `limit` characters."""
    cleaned = "".join(c if " " <= c <= "~" else "?" for c in text)
    return cleaned[:limit]


def encode_hello(
    board: str,
    model: str,
    labels: Sequence[str],
    rate: int = 16000,
    window_ms: int = 30,
    stride_ms: int = 20,
    bins: int = 40,
    extra: Iterable[tuple[str, str]] = (),
) -> bytes:
    for name, value in (("board", board), ("model", model)):
        if not value or not _TOKEN.fullmatch(value):
            raise ValueError(f"hello {name} {value!r} must be printable ASCII without spaces")
    pairs = [("board", board), ("model", model), ("labels", ",".join(_check_label(x) for x in labels))]
    pairs += [(k, str(_check_u32(v, k))) for k, v in (("rate", rate), ("window_ms", window_ms))]
    pairs += [(k, str(_check_u32(v, k))) for k, v in (("stride_ms", stride_ms), ("bins", bins))]
    pairs += list(extra)
    return _finish(" ".join([HELLO_TAG, PROTOCOL_VERSION] + [f"{k}={v}" for k, v in pairs]))


def encode_detection(ms: int, label: str, score: int) -> bytes:
    return _finish(f"D {_check_u32(ms, 'time')} {_check_label(label)} {_check_u32(score, 'score', 255)}")


def encode_scores(ms: int, scores: Iterable[int]) -> bytes:
    values = [str(_check_u32(s, "score", 255)) for s in scores]
    if not values:
        raise ValueError("a P line needs at least one score")
    return _finish(f"P {_check_u32(ms, 'time')} " + " ".join(values))


def encode_features(ms: int, values: bytes | Sequence[int] | np.ndarray) -> bytes:
    data = bytes(np.asarray(values, dtype=np.uint8)) if not isinstance(values, bytes) else values
    if not data:
        raise ValueError("a feature frame needs at least one bin")
    return _finish(f"F {_check_u32(ms, 'time')} {base64.b64encode(data).decode('ascii')}")


def encode_audio(seq: int, samples: bytes | np.ndarray) -> bytes:
    data = samples if isinstance(samples, bytes) else np.asarray(samples, dtype="<i2").tobytes()
    if not data or len(data) % 2 or len(data) // 2 > MAX_AUDIO_SAMPLES_PER_LINE:
        raise ValueError(f"an audio chunk holds 1..{MAX_AUDIO_SAMPLES_PER_LINE} whole samples")
    return _finish(f"A {_check_u32(seq, 'seq')} {base64.b64encode(data).decode('ascii')}")


def encode_log(text: str) -> bytes:
    """A log line; text is cleaned and cut to fit."""
    return _finish("L " + sanitize_text(text, MAX_LINE_BYTES - 3))


def encode_error(code: str, text: str) -> bytes:
    """An error line; text is cleaned and cut to fit."""
    if not code or not _TOKEN.fullmatch(code):
        raise ValueError(f"error code {code!r} must be printable ASCII without spaces")
    return _finish(f"E {code} " + sanitize_text(text, MAX_LINE_BYTES - 4 - len(code)))


def encode_message(message: BoardMessage) -> bytes:
    """Any board->host message back to its line (round trip of `parse_line`)."""
    match message:
        case Hello():
            return encode_hello(
                message.board,
                message.model,
                message.labels,
                message.rate,
                message.window_ms,
                message.stride_ms,
                message.bins,
                message.extra,
            )
        case Detection():
            return encode_detection(message.ms, message.label, message.score)
        case Scores():
            return encode_scores(message.ms, message.scores)
        case FeatureFrame():
            return encode_features(message.ms, message.data)
        case AudioChunk():
            return encode_audio(message.seq, message.data)
        case LogLine():
            return encode_log(message.text)
        case BoardErrorLine():
            return encode_error(message.code, message.text)
    raise TypeError(f"not a board message: {message!r}")


def encode_command(command: Command) -> bytes:
    match command:
        case HelloRequest():
            return b"?\n"
        case StreamSwitch():
            if command.stream not in STREAM_NAMES:
                raise ValueError(f"unknown stream {command.stream!r}")
            return f"{command.stream}{int(command.on)}\n".encode("ascii")
        case SetThreshold():
            return f"T {_check_u32(command.value, 'threshold', 255)}\n".encode("ascii")
    raise TypeError(f"not a command: {command!r}")


# ---------------------------------------------------------------------------------------------- framing
@dataclass
class LineBuffer:
    """Cuts a byte stream into lines. `feed` returns complete lines (with `\\n`) and a ParseError for each
    over-long line, whose bytes are skipped up to its end; a partial line waits for the next `feed`."""

    limit: int = MAX_LINE_BYTES
    _pending: bytearray = field(default_factory=bytearray)
    _discarding: bool = False
    _discarded: int = 0
    _head: bytes = b""

    def feed(self, data: bytes) -> list[bytes | ParseError]:
        out: list[bytes | ParseError] = []
        start = 0
        while start < len(data):
            end = data.find(b"\n", start)
            piece = data[start:] if end < 0 else data[start : end + 1]
            start = len(data) if end < 0 else end + 1
            if self._discarding:
                self._discarded += len(piece)
            else:
                self._pending += piece
                if len(self._pending) > self.limit:
                    self._discarding, self._discarded = True, len(self._pending)
                    self._head = bytes(self._pending[:60])
                    self._pending.clear()
            if end < 0:
                break
            if self._discarding:
                out.append(
                    ParseError(
                        self._head,
                        f"line of {self._discarded} bytes is longer than {self.limit}",
                        self._discarded,
                    )
                )
                self._discarding = False
            else:
                out.append(bytes(self._pending))
                self._pending.clear()
        return out

    @property
    def pending(self) -> int:
        """Bytes of an unfinished line held back."""
        return self._discarded if self._discarding else len(self._pending)

    def clear(self) -> None:
        """Forget an unfinished line (e.g. after the port was reopened)."""
        self._pending.clear()
        self._discarding = False
        self._discarded = 0
