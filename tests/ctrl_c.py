"""Run a `wakebench` command in a subprocess and press Ctrl-C while its job is running.

The child is the real CLI (`core.cli.main`) with one test-side change, made before it starts: every
look at a CancelToken (`cancelled`, `raise_if_cancelled`, which every long job does between units of
work) first announces "#job-running" on stderr and then waits a little. So the test knows the job is
under way and its signal handler installed, and the job cannot finish before the signal lands. `setup`
is more Python run in the child first (e.g. a generated microphone).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
READY = "#job-running"

CHILD = """
import sys, time
from core.events import CancelToken

_is_set = CancelToken.cancelled.fget
_announced = []


def _looked_at(token):
    if not _announced:
        _announced.append(True)
        print({ready!r}, file=sys.stderr, flush=True)
    time.sleep({pause})
    return _is_set(token)


def _raise_if_cancelled(token, _original=CancelToken.raise_if_cancelled):
    _looked_at(token)
    _original(token)


CancelToken.cancelled = property(_looked_at)
CancelToken.raise_if_cancelled = _raise_if_cancelled

{setup}

from core.cli import main

sys.exit(main(sys.argv[1:]))
"""


@dataclass
class Stopped:
    returncode: int
    stdout: str
    stderr: str

    def json_lines(self) -> list[dict]:
        return [json.loads(line) for line in self.stdout.splitlines() if line.strip().startswith("{")]


def start(args: list[str], cwd: Path, setup: str = "", pause: float = 0.05) -> subprocess.Popen:
    code = CHILD.format(ready=READY, pause=pause, setup=textwrap.dedent(setup))
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "2"}
    return subprocess.Popen(
        [sys.executable, "-c", code, *args],
        cwd=cwd,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as a terminal's foreground job
    )


def wait_for(
    stream, marker: str | Callable[[str], bool], process: subprocess.Popen, timeout: float
) -> list[str]:
    """Lines of `stream` up to the one holding `marker` (or that `marker` accepts); an AssertionError when
    the process ends first."""
    accepts = marker if callable(marker) else lambda line: marker in line
    seen = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = stream.readline()
        if not line:
            break
        seen.append(line)
        if accepts(line):
            return seen
    process.kill()
    out, err = process.communicate()
    raise AssertionError(f"no {marker!r} before the end; stderr: {''.join(seen)}{err}\nstdout: {out}")


def ctrl_c_while_running(
    args: list[str],
    cwd: Path,
    setup: str = "",
    marker: str | Callable[[str], bool] = READY,
    on_stdout: bool = False,
    timeout: float = 120,
) -> Stopped:
    """Start the command, wait for `marker` (by default: the job's first look at its cancel token), send
    SIGINT as a terminal's Ctrl-C does, and wait for the end."""
    process = start(args, cwd, setup)
    seen = wait_for(process.stdout if on_stdout else process.stderr, marker, process, timeout)
    os.killpg(process.pid, signal.SIGINT)  # a terminal's Ctrl-C goes to the whole group (workers too)
    out, err = process.communicate(timeout=timeout)
    if on_stdout:
        out = "".join(seen) + out
    else:
        err = "".join(seen) + err
    return Stopped(process.returncode, out, err)
