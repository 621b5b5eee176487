"""The board's end of a pseudo-terminal: what the virtual board writes to and reads from. The host opens
`path` (the pty's slave) with pyserial exactly as it opens a USB board's port.

Writing never blocks the caller unless asked: `send(line, droppable=True)` sends a stream line only when
nothing is waiting to go out (the firmware's LineWriter rule: stream lines are dropped, not queued, when
the host does not keep up); other lines queue and go out as the host reads (`flush`).

The slave is kept open here too, so the pty lives until `close()` even while no host has it open (a board
stays plugged in between two monitors). Data written meanwhile waits in the pty; pyserial drops it when
a host opens the port, as a real board's host does not see what was sent before it connected.
"""

from __future__ import annotations

import contextlib
import os
import select
import tty
from pathlib import Path

from core.errors import BoardError

MAX_QUEUED_BYTES = 1 << 20
"""Reliable lines kept while the host does not read (beyond that the oldest are lost, and counted)."""


class PtyPort:
    def __init__(self, link: str | Path | None = None) -> None:
        if os.name != "posix":
            raise BoardError("the virtual board needs a POSIX pseudo-terminal (Linux or macOS)")
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave)  # a byte pipe: no echo, no \n -> \r\n, as a USB serial port is
        os.set_blocking(self._master, False)
        self.tty = os.ttyname(self._slave)
        self.link = Path(link) if link is not None else None
        if self.link is not None:
            self._point_link()
        self._out = bytearray()
        self.dropped_lines = 0
        self.lost_bytes = 0
        self.closed = False

    def _point_link(self) -> None:
        """Point the symlink at this pty atomically (a stable path, as /dev/serial/by-id/... is)."""
        assert self.link is not None
        if self.link.exists() and not self.link.is_symlink():
            raise BoardError(f"{self.link} exists and is not a symlink; pick another --link path")
        tmp = self.link.with_name(f".{self.link.name}.{os.getpid()}.tmp")
        tmp.unlink(missing_ok=True)
        tmp.symlink_to(self.tty)
        tmp.replace(self.link)

    @property
    def path(self) -> str:
        """What a host opens: the symlink when there is one, else the pty itself."""
        return str(self.link) if self.link is not None else self.tty

    @property
    def backlog(self) -> int:
        """Bytes waiting to go out."""
        return len(self._out)

    def send(self, line: bytes, droppable: bool = False) -> bool:
        """Queue one line; a droppable one only when nothing is waiting. Returns False when dropped."""
        if droppable and self._out:
            self.flush()
            if self._out:
                self.dropped_lines += 1
                return False
        self._out += line
        if len(self._out) > MAX_QUEUED_BYTES:
            cut = self._out.find(b"\n", len(self._out) - MAX_QUEUED_BYTES) + 1
            self.lost_bytes += cut
            del self._out[:cut]
        self.flush()
        return True

    def flush(self) -> None:
        """Write what the pty takes now."""
        while self._out:
            try:
                written = os.write(self._master, self._out)
            except BlockingIOError:
                return
            except OSError as exc:
                raise BoardError(f"{self.path}: the pseudo-terminal failed ({exc})") from None
            del self._out[:written]

    def wait(self, timeout: float, writable: bool = False) -> None:
        """Sleep up to `timeout` s, waking when the host sends something (or, with `writable`, when the
        pty takes more output)."""
        select.select([self._master], [self._master] if writable and self._out else [], [], timeout)

    def read(self) -> bytes:
        """What the host sent since the last call (never blocks)."""
        data = b""
        while True:
            try:
                chunk = os.read(self._master, 4096)
            except (BlockingIOError, InterruptedError):
                return data
            except OSError:
                return data  # EIO while no host has the slave open (it is open here, so rarely)
            if not chunk:
                return data
            data += chunk

    def close(self) -> None:
        """Unplug: the path disappears."""
        if self.closed:
            return
        self.closed = True
        for fd in (self._master, self._slave):
            with contextlib.suppress(OSError):
                os.close(fd)
        if self.link is not None and self.link.is_symlink() and os.readlink(self.link) == self.tty:
            self.link.unlink(missing_ok=True)
