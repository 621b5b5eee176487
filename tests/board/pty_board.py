"""A scripted board on a real pseudo-terminal: the test writes the board's lines to the pty master and
reads the host's commands from it, while the code under test opens the slave with pyserial like any port.

`close()` makes the port vanish (as an unplugged board); `PtyBoard(link=path)` also keeps a symlink at
`path` to the current slave (as /dev/serial/by-id/... does), so a new PtyBoard at the same `link` is the
same board plugged back in."""

from __future__ import annotations

import contextlib
import os
import select
import time
import tty
from pathlib import Path


class PtyBoard:
    def __init__(self, link: str | Path | None = None) -> None:
        self.master, self._slave = os.openpty()
        tty.setraw(self._slave)  # no echo, no \n -> \r\n: a byte pipe, as a USB serial port is
        os.set_blocking(self.master, False)
        self.tty = os.ttyname(self._slave)
        self.link = Path(link) if link is not None else None
        if self.link is not None:
            tmp = self.link.with_name(self.link.name + ".new")
            tmp.unlink(missing_ok=True)
            tmp.symlink_to(self.tty)
            tmp.replace(self.link)
        self._received = b""

    @property
    def path(self) -> str:
        return str(self.link) if self.link is not None else self.tty

    def write(self, data: bytes | str) -> None:
        data = data.encode("ascii") if isinstance(data, str) else data
        view = memoryview(data)
        deadline = time.monotonic() + 5
        while view:
            try:
                view = view[os.write(self.master, view) :]
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise TimeoutError("the host does not read the pty") from None
                select.select([], [self.master], [], 0.05)

    def commands(self) -> list[str]:
        """Every complete command line the host sent so far (without newlines)."""
        while True:
            try:
                chunk = os.read(self.master, 4096)
            except (BlockingIOError, OSError):
                break
            if not chunk:
                break
            self._received += chunk
        return [c.strip() for c in self._received.decode("ascii", "replace").split("\n")[:-1]]

    def wait_command(self, command: str, count: int = 1, timeout: float = 5.0) -> list[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = self.commands()
            if got.count(command) >= count:
                return got
            time.sleep(0.02)
        raise AssertionError(
            f"the host did not send {command!r} x{count} within {timeout} s: {self.commands()}"
        )

    def close(self) -> None:
        """Unplug: the slave device disappears once the host lets go of it."""
        for fd in (self.master, self._slave):
            with contextlib.suppress(OSError):
                os.close(fd)
        if self.link is not None:
            self.link.unlink(missing_ok=True)
