"""Time from launching `wakebench` (no arguments) to the first painted workbench, in a real pseudo-terminal.

Spawns the console entry point on a pty of 160x48 (and 80x24) in a fresh project folder, reads the
terminal output until the footer's "Quit" key and a pane title have been drawn, then presses q.
Python start-up and every import are included; nothing is preloaded. Prints the median of a few launches.

Usage: python bench/tui_first_paint.py [runs]
"""

from __future__ import annotations

import fcntl
import os
import pty
import select
import statistics
import struct
import sys
import tempfile
import termios
import time

LAUNCH = [sys.executable, "-c", "import sys; from tui.launch import main; sys.exit(main([]))"]
MARKERS = (b"Quit", b"Words")
TIMEOUT_S = 20.0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (Linux /proc)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def first_paint(columns: int, rows: int) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the app process) from launch to the first painted workbench."""
    project = tempfile.mkdtemp(prefix="wakebench-paint-")
    start = time.perf_counter()
    pid, fd = pty.fork()
    if pid == 0:  # child: the app, in the project folder, on a sized terminal
        os.chdir(project)
        os.environ["TERM"] = "xterm-256color"
        os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [os.getcwd(), os.environ.get("PYTHONPATH")]))
        os.execv(LAUNCH[0], LAUNCH)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
    seen = b""
    painted = cpu = None
    deadline = start + TIMEOUT_S
    while time.perf_counter() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.05)
        if ready:
            try:
                seen += os.read(fd, 1 << 16)
            except OSError:
                break
            if all(marker in seen for marker in MARKERS):
                painted = time.perf_counter() - start
                cpu = cpu_seconds(pid)
                break
    os.write(fd, b"q")
    end = time.perf_counter() + 5
    while time.perf_counter() < end:  # drain until the app exits
        if select.select([fd], [], [], 0.1)[0]:
            try:
                if not os.read(fd, 1 << 16):
                    break
            except OSError:
                break
    os.waitpid(pid, 0)
    os.close(fd)
    if painted is None:
        raise SystemExit(f"no workbench painted within {TIMEOUT_S:.0f} s at {columns}x{rows}")
    return painted, cpu


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    for columns, rows in ((160, 48), (80, 24)):
        results = [first_paint(columns, rows) for _ in range(runs)]
        times = [wall for wall, _ in results]
        cpus = [cpu for _, cpu in results]
        print(
            f"first paint at {columns}x{rows}: median {statistics.median(times):.2f} s wall "
            f"(min {min(times):.2f}, max {max(times):.2f}, {runs} launches; target <= 0.5 s), "
            f"median {statistics.median(cpus):.2f} s CPU of the app process"
        )
    print(f"load average while measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    os.chdir(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    main()
