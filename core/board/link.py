"""The host's end of a board link: a serial port read by a thread that turns bytes into typed protocol
messages, counts what it skips, checks audio `seq`, and reconnects by itself.

    with BoardLink.open("/dev/ttyACM0") as link:        # any pyserial URL: COM5, loop://, socket://…, a pty
        hello = link.wait_for_hello(timeout=5)
        link.set_stream("A", True)                       # remembered: re-sent after a reconnect or reset
        for item in link.items(seconds=10):              # messages and link events, in arrival order
            ...

- `BoardLink.open(port, wait_s=0)` opens the port now (retrying up to `wait_s` while it is missing or busy,
  e.g. right after an upload) and raises `BoardNotFoundError` (no such port), `PortBusyError` (another
  program holds it), `PortPermissionError` (says which group to join) or `BoardError`.
- A reader thread reads whatever the port has; the caller never blocks on it. `get(timeout)` and
  `items(seconds)` hand out, in order, the protocol messages (`core.board.protocol`) and the link's own
  events: `Connected`, `Disconnected`, `BoardReset` (a hello nobody asked for: the board restarted) and
  `AudioGap` (audio `seq` jumped: samples were lost, counted, never filled in). Listeners
  (`add_listener`) see every item on the reader thread, before the queue (the capture buffer is one).
- When the port goes away (unplugged, board reset over USB) the link says so and reopens it as soon as
  it is back: the same USB serial number (the path may change, ttyACM0 -> ttyACM1), else the same path
  (not a bare pseudo-terminal, whose number the OS gives to the next terminal: see `comes_back`).
  After each (re)connect it asks for the hello and re-sends the streams and threshold the caller set.
- `release()` closes the port and stops reconnecting (while an upload needs the port); `reconnect()`
  reopens it (and `wait_connected`/`wait_for_hello` wait for the board). `close()` ends the link.
- `stats` counts bytes, messages, skipped lines by kind (`ParseError.kind`), audio gaps and lost samples,
  reconnects and resets.
"""

from __future__ import annotations

import contextlib
import errno
import os
import queue
import re
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import TYPE_CHECKING

import serial
from serial.tools import list_ports

from core.board.protocol import (
    AudioChunk,
    BoardMessage,
    Command,
    Hello,
    HelloRequest,
    LineBuffer,
    ParseError,
    SetThreshold,
    Stream,
    StreamSwitch,
    encode_command,
    parse_line,
)
from core.errors import (
    BoardError,
    BoardNotFoundError,
    PortBusyError,
    PortPermissionError,
    PortVanishedError,
)

if TYPE_CHECKING:
    from serial import SerialBase as SerialPort
else:
    SerialPort = serial.SerialBase

DEFAULT_BAUDRATE = 115200
"""Native USB boards ignore it; a UART board streaming audio needs >= 460800 (PROTOCOL.md)."""
READ_TIMEOUT_S = 0.1
WRITE_TIMEOUT_S = 1.0
RECONNECT_INTERVAL_S = 0.2
HELLO_ANSWER_S = 2.0
"""A hello this soon after a `?` answers it; any other hello after the first means the board restarted."""
HELLO_REPEAT_S = 1.0
QUEUE_ITEMS = 20_000
"""Items kept for a slow consumer (about a minute of all streams); beyond that the oldest are dropped."""
AUDIO_FLOWING_S = 0.5
"""Audio counts as flowing while a chunk came this recently."""
CUT_OFF = "cut off"
"""Skip kind of a partial line lost when the port went away."""


# ---------------------------------------------------------------------------------------------- events
@dataclass(frozen=True, slots=True)
class Connected:
    """The port is open (`again`: after it had gone away, or after `reconnect()`)."""

    port: str
    again: bool = False


@dataclass(frozen=True, slots=True)
class Disconnected:
    """The port went away or was released; `reason` says how."""

    port: str
    reason: str


@dataclass(frozen=True, slots=True)
class BoardReset:
    """A hello nobody asked for arrived after an earlier one: the board restarted (streams are off)."""

    hello: Hello


@dataclass(frozen=True, slots=True)
class AudioGap:
    """Audio `seq` jumped from `expected` to `seq`: the samples between were lost."""

    expected: int
    seq: int

    @property
    def lost(self) -> int:
        return self.seq - self.expected


LinkEvent = Connected | Disconnected | BoardReset | AudioGap
LinkItem = BoardMessage | LinkEvent


class LinkState(StrEnum):
    CONNECTED = "connected"
    RECONNECTING = "reconnecting"
    DISCONNECTED = "disconnected"
    """Gone and not reconnecting by itself (reconnect=False); `reconnect()` tries again."""
    RELEASED = "released"
    CLOSED = "closed"


@dataclass
class LinkStats:
    bytes_read: int = 0
    message_bytes: int = 0
    messages: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    """Skipped lines by kind (`ParseError.kind`, or `CUT_OFF`)."""
    skipped_bytes: int = 0
    audio_chunks: int = 0
    audio_gaps: int = 0
    samples_lost: int = 0
    audio_restarts: int = 0
    """Times `seq` went back (audio switched on again, or the board restarted): not a loss."""
    reconnects: int = 0
    resets: int = 0
    items_dropped: int = 0
    """Items the consumer did not take in time (the queue was full)."""

    @property
    def skipped_lines(self) -> int:
        return sum(self.skipped.values())

    def copy(self) -> LinkStats:
        return replace(self, skipped=dict(self.skipped))


# ---------------------------------------------------------------------------------------------- decoding
class StreamDecoder:
    """Bytes -> messages, without I/O: the line framing, the parser, skip counts and the audio `seq` check.

    Every byte fed ends up in a message (`stats.message_bytes`), in a skipped line (`stats.skipped_bytes`)
    or in the unfinished line still waiting (`pending`)."""

    def __init__(self) -> None:
        self.stats = LinkStats()
        self._lines = LineBuffer()
        self._expected_seq: int | None = None
        self._last_chunk_at: float | None = None

    @property
    def pending(self) -> int:
        return self._lines.pending

    def feed(self, data: bytes) -> list[BoardMessage | AudioGap]:
        stats = self.stats
        stats.bytes_read += len(data)
        out: list[BoardMessage | AudioGap] = []
        for line in self._lines.feed(data):
            message = line if isinstance(line, ParseError) else parse_line(line)
            if isinstance(message, ParseError):
                self._skip(message.kind, message.byte_count)
                continue
            stats.messages += 1
            stats.message_bytes += len(line)  # type: ignore[arg-type]
            if isinstance(message, AudioChunk):
                gap = self._check_seq(message)
                if gap is not None:
                    out.append(gap)
            out.append(message)
        return out

    def _skip(self, kind: str, size: int) -> None:
        self.stats.skipped[kind] = self.stats.skipped.get(kind, 0) + 1
        self.stats.skipped_bytes += size

    def _check_seq(self, chunk: AudioChunk) -> AudioGap | None:
        stats = self.stats
        stats.audio_chunks += 1
        self._last_chunk_at = time.monotonic()
        expected, self._expected_seq = self._expected_seq, chunk.seq + chunk.sample_count
        if expected is None or chunk.seq == expected:
            return None
        if chunk.seq < expected:
            stats.audio_restarts += 1
            return None
        stats.audio_gaps += 1
        stats.samples_lost += chunk.seq - expected
        return AudioGap(expected, chunk.seq)

    def audio_restarted(self) -> None:
        """Audio was switched on (`A1`): the board counts `seq` from 0 again. While chunks are still
        arriving (audio was on already, e.g. left on by an earlier host), the ones in flight carry the
        old count: the next chunk is taken as it comes and the drop back to 0 counts as a restart."""
        self._expected_seq = None if self._audio_flowing() else 0

    def _audio_flowing(self) -> bool:
        return self._last_chunk_at is not None and time.monotonic() - self._last_chunk_at < AUDIO_FLOWING_S

    def forget_seq(self) -> None:
        """The board restarted: the next chunk's `seq` starts a new count."""
        self._expected_seq = None

    def cut(self) -> None:
        """The port went away: a half-received line is lost (and counted)."""
        if self._lines.pending:
            self._skip(CUT_OFF, self._lines.pending)
        self._lines.clear()
        self._expected_seq = None


# ---------------------------------------------------------------------------------------------- opening
def is_url(port: str) -> bool:
    return "://" in port


def open_serial(port: str, baudrate: int = DEFAULT_BAUDRATE) -> SerialPort:
    """A pyserial port opened for the link (exclusive where the OS allows, so two monitors cannot share
    a board), or the BoardError that says why it cannot be."""
    try:
        return serial.serial_for_url(
            port,
            baudrate=baudrate,
            timeout=READ_TIMEOUT_S,
            write_timeout=WRITE_TIMEOUT_S,
            exclusive=True,
        )
    except serial.SerialException as exc:
        raise port_error(port, exc) from None
    except (ValueError, OSError) as exc:
        raise BoardError(f"{port}: cannot open ({exc})") from None


def port_error(port: str, exc: BaseException) -> BoardError:
    """The BoardError for a failed open, by its errno."""
    code = getattr(exc, "errno", None)
    if code in (errno.ENOENT, errno.ENODEV, errno.ENXIO, errno.EIO):
        return BoardNotFoundError(
            f"{port}: no such port",
            "list the ports with `wakebench boards`; a board that was just flashed or reset may take a "
            "few seconds to come back",
        )
    if code in (errno.EACCES, errno.EPERM):
        return PortPermissionError(f"{port}: permission denied", permission_hint(port))
    if code in (errno.EBUSY, errno.EAGAIN, errno.EWOULDBLOCK):
        holders = port_holders(port)
        who = f" (held by {', '.join(holders)})" if holders else ""
        return PortBusyError(
            f"{port}: port busy{who}",
            "another program has it open: a monitor, the app, an upload or a serial terminal; close it",
        )
    return BoardError(f"{port}: cannot open ({exc})")


def permission_hint(port: str) -> str:
    group = "dialout"
    try:
        import grp  # lazy: POSIX only

        group = grp.getgrgid(os.stat(port).st_gid).gr_name
    except (ImportError, OSError, KeyError):
        pass
    if sys.platform.startswith("linux"):
        return f"join the `{group}` group that owns {port}: `sudo usermod -aG {group} $USER`, then log out and in"
    return f"your user may not open {port} (owned by group `{group}`); ask for access to it"


def port_holders(port: str) -> list[str]:
    """Other processes (of this user; Linux only) that have `port` open, as "pid N (name)"."""
    try:
        target = os.path.realpath(port)
        pids = [p for p in os.listdir("/proc") if p.isdigit() and int(p) != os.getpid()]
    except OSError:
        return []
    found = []
    for pid in pids:
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
            if any(os.readlink(f"/proc/{pid}/fd/{fd}") == target for fd in fds):
                with open(f"/proc/{pid}/comm", encoding="utf-8") as f:
                    found.append(f"pid {pid} ({f.read().strip()})")
        except OSError:
            continue
    return found


def comes_back(port: str) -> bool:
    """Whether waiting for `port` to reappear makes sense. Not for a bare pseudo-terminal (/dev/pts/N,
    /dev/ttysNNN): a closed pty never returns, and the OS soon hands its number to an unrelated terminal
    that the link must not write commands into. A symlink to one (`wakebench sim --link PATH`) does come
    back: the next virtual board points it at its own pty."""
    if is_url(port) or os.path.islink(port):
        return True
    return not re.fullmatch(r"/dev/(pts/\d+|ttys\d+)", os.path.realpath(port))


def usb_serial_number(port: str) -> str | None:
    """The USB serial number of the device behind `port`, if it is a USB port pyserial lists."""
    if is_url(port):
        return None
    real = os.path.realpath(port)
    for info in list_ports.comports():
        if info.device in (port, real):
            return info.serial_number or None
    return None


def device_with_serial_number(serial_number: str) -> str | None:
    for info in list_ports.comports():
        if info.serial_number == serial_number:
            return info.device
    return None


# ---------------------------------------------------------------------------------------------- the link
class BoardLink:
    """A board on a serial port; see the module docstring. Make one with `BoardLink.open(port)`."""

    def __init__(
        self,
        port: str,
        baudrate: int = DEFAULT_BAUDRATE,
        reconnect: bool = True,
        queue_items: int = QUEUE_ITEMS,
    ) -> None:
        self.port = str(port)
        self.baudrate = baudrate
        self.auto_reconnect = reconnect
        self.device = self.port
        """The path in use now (differs from `port` when a replugged board came back elsewhere)."""
        self.serial_number: str | None = None
        self.hello_answer_s = HELLO_ANSWER_S
        self._serial: SerialPort | None = None
        self._reading: SerialPort | None = None  # the port the reader thread is inside a read of
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._write_lock = threading.Lock()
        self._wake = threading.Event()
        self._queue: queue.Queue[LinkItem] = queue.Queue(maxsize=queue_items)
        self._decoder = StreamDecoder()
        self._listeners: list[Callable[[LinkItem], None]] = []
        self._streams: dict[str, bool] = {}
        self._threshold: int | None = None
        self._state = LinkState.RECONNECTING
        self._ever_connected = False
        self._hello: Hello | None = None
        self._hello_count = 0
        self._connection_hellos = 0
        self._hello_asked_at: float | None = None
        self._failure: BaseException | None = None
        self._thread: threading.Thread | None = None

    # ---- opening and closing --------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        port: str,
        baudrate: int = DEFAULT_BAUDRATE,
        reconnect: bool = True,
        wait_s: float = 0.0,
        queue_items: int = QUEUE_ITEMS,
        streams: Iterable[Stream] = (),
    ) -> BoardLink:
        """Open `port` now (retrying for `wait_s` while it is missing or busy) and start reading;
        `streams` are switched on right after the connect's `?`, before anything else is sent."""
        link = cls(port, baudrate, reconnect, queue_items)
        link._streams.update(dict.fromkeys(streams, True))
        deadline = time.monotonic() + wait_s
        while True:
            try:
                link._connect()
                break
            except (BoardNotFoundError, PortBusyError):
                if time.monotonic() >= deadline:
                    raise
                time.sleep(RECONNECT_INTERVAL_S)
        link._thread = threading.Thread(target=link._run, name=f"board-link {port}", daemon=True)
        link._thread.start()
        return link

    def close(self) -> None:
        """End the link: switch off the streams it switched on (a board left streaming audio keeps its
        port busy for the next host), close the port and stop the reader (safe to call twice)."""
        with self._lock:
            if self._state is LinkState.CLOSED:
                return
            on = [stream for stream, wanted in self._streams.items() if wanted]
        for stream in on:
            with contextlib.suppress(BoardError):
                self.send(StreamSwitch(stream, False))  # type: ignore[arg-type]
        with self._lock:
            self._state = LinkState.CLOSED
            self._drop_serial()
            self._changed.notify_all()
        self._wake.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=2.0)

    def __enter__(self) -> BoardLink:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def release(self) -> None:
        """Close the port and stop reconnecting until `reconnect()` (an upload needs the port)."""
        with self._lock:
            self._check_open()
            had = self._serial is not None
            self._state = LinkState.RELEASED
            dropped = self._serial
            self._drop_serial()
            self._changed.notify_all()
            # A read in progress keeps the closed port's file (and its exclusive lock) alive until it
            # returns: wait for that, so the port is free for an upload when this returns.
            if threading.current_thread() is not self._thread:
                self._changed.wait_for(lambda: dropped is None or self._reading is not dropped, timeout=2.0)
        if had:
            self._emit(Disconnected(self.device, "released"))

    def reconnect(self, timeout: float | None = None) -> None:
        """(Re)open the port now: by USB serial number, else by path. With `timeout`, wait until it is
        open (PortVanishedError if it is not back by then)."""
        with self._lock:
            self._check_open()
            had = self._serial is not None
            self._drop_serial()
            self._state = LinkState.RECONNECTING
            self._changed.notify_all()
        if had:
            self._emit(Disconnected(self.device, "reconnect requested"))
        self._wake.set()
        if timeout is not None:
            self.wait_connected(timeout)

    # ---- state ----------------------------------------------------------------------------------

    @property
    def state(self) -> LinkState:
        return self._state

    @property
    def connected(self) -> bool:
        return self._state is LinkState.CONNECTED

    @property
    def closed(self) -> bool:
        return self._state is LinkState.CLOSED

    @property
    def hello(self) -> Hello | None:
        """The last hello received (kept across reconnects)."""
        return self._hello

    @property
    def stats(self) -> LinkStats:
        with self._lock:
            return self._decoder.stats.copy()

    @property
    def streams(self) -> dict[str, bool]:
        """The streams the caller switched on or off (re-sent after each reconnect)."""
        with self._lock:
            return dict(self._streams)

    def add_listener(self, listener: Callable[[LinkItem], None]) -> None:
        """Call `listener(item)` on the reader thread for every item, before it is queued (keep it quick)."""
        with self._lock:
            self._listeners.append(listener)

    def remove_listener(self, listener: Callable[[LinkItem], None]) -> None:
        with self._lock:
            if listener in self._listeners:
                self._listeners.remove(listener)

    # ---- receiving ------------------------------------------------------------------------------

    def get(self, timeout: float | None = None) -> LinkItem | None:
        """The next item, or None when `timeout` passed (or the link is closed) with nothing new."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            try:
                return self._queue.get(
                    timeout=0.1 if deadline is None else max(0.0, min(0.1, deadline - time.monotonic()))
                )
            except queue.Empty:
                self._raise_failure()
                if self.closed or (deadline is not None and time.monotonic() >= deadline):
                    return None

    def items(self, seconds: float | None = None) -> Iterator[LinkItem]:
        """Items as they come, until `seconds` passed (forever without) or the link is closed."""
        deadline = None if seconds is None else time.monotonic() + seconds
        while True:
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                return
            item = self.get(timeout=0.25 if left is None else min(0.25, left))
            if item is not None:
                yield item
            elif self.closed and self._queue.empty():
                return

    def wait_connected(self, timeout: float) -> None:
        """Block until the port is open; PortVanishedError when it is not within `timeout`."""
        with self._changed:
            ok = self._changed.wait_for(
                lambda: self._state in (LinkState.CONNECTED, LinkState.CLOSED), timeout
            )
            if not ok or self._state is LinkState.CLOSED:
                raise PortVanishedError(
                    f"{self.port}: the port did not come back within {timeout:g} s",
                    "check the cable; after an upload, a board may need a reset (press its button once)",
                )

    def wait_for_hello(self, timeout: float = 5.0, request: bool = True, fresh: bool = False) -> Hello:
        """The board's hello on the current connection: the one already received, else (or with `fresh`,
        always) the next one, asking with `?` every second when `request`, waiting up to `timeout` s, also
        through a reconnect. Does not take items from the queue."""
        deadline = time.monotonic() + timeout
        with self._lock:
            if self._connection_hellos and not fresh and self._hello is not None:
                return self._hello
            count = self._hello_count
        asked = 0.0
        while True:
            now = time.monotonic()
            if now >= deadline:
                break
            if request and self.connected and now - asked >= HELLO_REPEAT_S:
                asked = now
                # A failure means the port went away just now; the reader reconnects and asks again.
                with contextlib.suppress(BoardError):
                    self.request_hello()
            with self._changed:
                self._changed.wait_for(
                    lambda: self._hello_count > count or self._state is LinkState.CLOSED,
                    min(0.25, max(0.0, deadline - time.monotonic())),
                )
                if self._hello_count > count:
                    assert self._hello is not None
                    return self._hello
                if self._state in (LinkState.CLOSED, LinkState.DISCONNECTED):
                    break  # nothing will bring the board back by itself
            self._raise_failure()
        if not self.connected:
            raise PortVanishedError(
                f"{self.port}: the port is gone and did not come back within {timeout:g} s"
            )
        raise BoardError(
            f"{self.device}: no hello from the board within {timeout:g} s",
            "is the wakebench firmware on it (`wakebench flash`)? A UART board also needs the right baud rate",
        )

    # ---- sending --------------------------------------------------------------------------------

    def send(self, command: Command) -> None:
        """Send one host command now; BoardError when the port is not open or the write fails."""
        data = encode_command(command)
        with self._lock:
            port = self._serial
            if isinstance(command, HelloRequest):
                self._hello_asked_at = time.monotonic()
            if isinstance(command, StreamSwitch) and command.stream == "A" and command.on:
                self._decoder.audio_restarted()
        if port is None:
            raise BoardError(f"{self.port}: not connected ({self._state})")
        try:
            with self._write_lock:
                port.write(data)
        except (serial.SerialException, OSError, TypeError, AttributeError) as exc:
            # The reader notices the port is gone and reconnects; the caller learns now.
            raise BoardError(f"{self.device}: could not send {data.strip().decode()!r} ({exc})") from None

    def request_hello(self) -> None:
        self.send(HelloRequest())

    def set_stream(self, stream: Stream, on: bool) -> None:
        """Switch a stream (`F`, `P`, `A`) on or off, now if connected, and again after each reconnect."""
        with self._lock:
            self._streams[stream] = on
            connected = self._serial is not None
        if connected:
            self.send(StreamSwitch(stream, on))

    def set_threshold(self, value: int) -> None:
        """Set the board's detection threshold (0-255), now if connected, and again after each reconnect."""
        with self._lock:
            self._threshold = int(value)
            connected = self._serial is not None
        if connected:
            self.send(SetThreshold(int(value)))

    # ---- reader thread --------------------------------------------------------------------------

    def _run(self) -> None:
        try:
            self._loop()
        except BaseException as exc:  # a listener failed, or a bug: say so to the caller, do not hang
            with self._lock:
                self._failure = exc
                self._state = LinkState.CLOSED
                self._drop_serial()
                self._changed.notify_all()

    def _loop(self) -> None:
        while True:
            with self._lock:
                state, port = self._state, self._serial
                self._reading = port
            if state is LinkState.CLOSED:
                return
            if port is None:
                if state is LinkState.RECONNECTING:
                    try:
                        self._connect()
                        continue
                    except BoardError:
                        pass
                self._wake.wait(RECONNECT_INTERVAL_S)
                self._wake.clear()
                continue
            try:
                data = port.read(max(1, port.in_waiting))
            except (serial.SerialException, OSError, TypeError, AttributeError, ValueError) as exc:
                self._done_reading()
                self._lost(port, str(exc) or type(exc).__name__)
                continue
            self._done_reading()
            if data:
                self._received(data)

    def _done_reading(self) -> None:
        with self._lock:
            self._reading = None
            self._changed.notify_all()

    def _connect(self) -> None:
        """Open the port (by serial number when known) and announce it; raises the open's BoardError."""
        device = self.port
        if self.serial_number:
            device = device_with_serial_number(self.serial_number) or self.port
        port = open_serial(device, self.baudrate)
        with self._lock:
            if self._state is LinkState.CLOSED or self._state is LinkState.RELEASED:
                port.close()
                return
            self._serial = port
            self.device = device
            if self.serial_number is None:
                self.serial_number = usb_serial_number(device)
            again = self._ever_connected
            self._ever_connected = True
            if again:
                self._decoder.stats.reconnects += 1
            self._state = LinkState.CONNECTED
            self._connection_hellos = 0
            self._changed.notify_all()
        self._emit(Connected(device, again))
        self._apply_settings(hello=True)

    def _apply_settings(self, hello: bool) -> None:
        """Ask for the hello (a board that booted before we opened the port sent it to nobody) and
        re-send what the caller set; a failure here means the port is gone, which the reader sees."""
        with self._lock:
            streams, threshold = dict(self._streams), self._threshold
        try:
            if hello:
                self.request_hello()
            for stream, on in streams.items():
                if on:
                    self.send(StreamSwitch(stream, on))  # type: ignore[arg-type]
            if threshold is not None:
                self.send(SetThreshold(threshold))
        except BoardError:
            pass

    def _lost(self, port: SerialPort, reason: str) -> None:
        with self._lock:
            if self._serial is not port:
                return  # closed or reconnected on purpose meanwhile
            self._drop_serial()
            if self._state is LinkState.CONNECTED:
                auto = self.auto_reconnect and comes_back(self.port)
                self._state = LinkState.RECONNECTING if auto else LinkState.DISCONNECTED
            self._changed.notify_all()
        self._emit(Disconnected(self.device, reason))

    def _drop_serial(self) -> None:
        """Close the port quietly (lock held) and forget a half-received line."""
        port, self._serial = self._serial, None
        if port is not None:
            try:
                if hasattr(port, "cancel_read"):
                    port.cancel_read()
                port.close()
            except Exception:  # closing a vanished device can fail in many ways; it is gone either way
                pass
        self._decoder.cut()

    def _received(self, data: bytes) -> None:
        with self._lock:
            items = self._decoder.feed(data)
        for item in items:
            if isinstance(item, Hello):
                self._hello_received(item)
            self._emit(item)

    def _hello_received(self, hello: Hello) -> None:
        with self._lock:
            # Not consumed by the first answer: a board that just booted may send its boot hello and
            # answer the `?` of the connect as well.
            asked = (
                self._hello_asked_at is not None
                and time.monotonic() - self._hello_asked_at <= self.hello_answer_s
            )
            reset = self._connection_hellos > 0 and not asked
            self._connection_hellos += 1
            self._hello = hello
            self._hello_count += 1
            if reset:
                self._decoder.stats.resets += 1
                self._decoder.forget_seq()  # a restarted board counts seq from 0 once audio is on again
            self._changed.notify_all()
        if reset:
            self._emit(BoardReset(hello))
            self._apply_settings(hello=False)  # a restarted board has every stream off

    def _emit(self, item: LinkItem) -> None:
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            listener(item)
        try:
            self._queue.put_nowait(item)
        except queue.Full:
            with contextlib.suppress(queue.Empty):
                self._queue.get_nowait()
            with self._lock:
                self._decoder.stats.items_dropped += 1
            self._queue.put_nowait(item)

    def _check_open(self) -> None:
        if self._state is LinkState.CLOSED:
            raise BoardError(f"{self.port}: the link is closed")

    def _raise_failure(self) -> None:
        if self._failure is not None:
            raise BoardError(f"{self.port}: the link's reader stopped: {self._failure!r}") from self._failure
