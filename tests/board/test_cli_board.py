"""`wakebench sim`, `monitor` and `capture` as a user runs them: real processes on real pseudo-terminals.

The virtual board runs a WAV whose keyword times are known; the monitor prints its detections; a scripted
board injects garbage, unplugs and comes back; the exit codes say what went wrong."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import wave
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest

from core.audio.files import read_audio
from core.audio.samples import to_int16
from core.board.link import BoardLink
from core.board.protocol import encode_detection, encode_hello
from core.cli import main
from core.live.detector import detect_file
from tests.board.pty_board import PtyBoard
from tests.live.keyword_stream import score_detections

ROOT = Path(__file__).resolve().parents[2]
HELLO = encode_hello("edgebadge", "3f2a9c1d", ["_silence_", "_unknown_", "stop", "go"])


def wakebench(*args: str, cwd: Path | None = None) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "tui.launch", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=cwd,
    )


class Lines:
    """A process's stdout read line by line on a thread, so a test can wait for a line with a timeout."""

    def __init__(self, process: subprocess.Popen) -> None:
        self.process = process
        self.lines: list[str] = []
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    def wait_for(self, predicate, timeout: float = 30.0) -> str:
        deadline = time.monotonic() + timeout
        seen = 0
        while time.monotonic() < deadline:
            while seen < len(self.lines):
                seen += 1
                if predicate(self.lines[seen - 1]):
                    return self.lines[seen - 1]
            if self.process.poll() is not None and seen == len(self.lines):
                self._thread.join(1)
                if seen == len(self.lines):
                    break
            time.sleep(0.02)
        raise AssertionError(f"no such line within {timeout} s; got {self.lines}, stderr {self.stderr()}")

    def stderr(self) -> str:
        return self.process.stderr.read() if self.process.poll() is not None else "(running)"

    def stop(self, sig: int = signal.SIGINT, timeout: float = 10.0) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        code = self.process.wait(timeout=timeout)
        self._thread.join(2)
        return code


@contextmanager
def sim(*args: str):
    """`wakebench sim ...` in its own process; yields (pty path, Lines) and stops it with SIGTERM."""
    lines = Lines(wakebench("sim", *args))
    try:
        path = lines.wait_for(lambda line: line.startswith("/"), timeout=60)
        yield path, lines
    finally:
        code = lines.stop(signal.SIGTERM)
        assert code == 130, lines.stderr()  # stopped as by Ctrl-C


def test_sim_and_monitor_show_the_words_of_a_wav(tiny_run, board_recording):
    path, stream = board_recording
    with sim(str(tiny_run), "--audio", str(path), "--fast") as (pty, board):
        assert os.path.exists(pty)
        monitor = Lines(wakebench("monitor", pty, "--json"))
        monitor.wait_for(lambda line: '"end of audio"' in line, timeout=60)
        assert monitor.stop(signal.SIGINT) == 130  # Ctrl-C ends the monitor, after its summary
    assert not os.path.exists(pty)  # the virtual board unplugged itself on SIGTERM
    events = [json.loads(line) for line in monitor.lines]
    hello = next(e for e in events if e["event"] == "hello")
    assert hello["board"] == "virtual" and hello["labels"][2:] == ["stop", "go"]
    found = [(e["time_s"], e["word"]) for e in events if e["event"] == "detection"]
    # Exactly what `wakebench detect` finds in the same file, and the spoken keywords are among them.
    assert found == [(d.time_ms / 1000, d.label) for d in detect_file(tiny_run, path)]
    score = score_detections(stream, found)
    assert score.hits >= 3, (found, score)
    done = events[-1]
    assert done["event"] == "done" and done["detections"] == len(found) and done["skipped_lines"] == 0


def test_monitor_survives_garbage_and_an_unplug(tmp_path):
    port = tmp_path / "board"
    first = PtyBoard(link=port)
    monitor = Lines(wakebench("monitor", str(port), "--json", "--wait", "20"))
    try:
        first.wait_command("?", timeout=20)
        first.write(HELLO + encode_detection(1000, "stop", 230))
        first.write(b"\x00\x01garbage\xff\n" + b"L " + b"x" * 900 + b"\n" + b"D 2 go\n")
        first.write(encode_detection(2000, "go", 240))
        monitor.wait_for(lambda line: '"word": "go"' in line)
        first.close()
        monitor.wait_for(lambda line: '"disconnected"' in line)
        second = PtyBoard(link=port)
        try:
            second.wait_command("?", timeout=20)
            second.write(HELLO + encode_detection(500, "stop", 250))
            monitor.wait_for(lambda line: '"time_s": 0.5' in line)
        finally:
            second.close()
        assert monitor.stop() == 130
    finally:
        first.close()
        if monitor.process.poll() is None:
            monitor.stop(signal.SIGKILL)
    events = [json.loads(line) for line in monitor.lines]
    kinds = [e["event"] for e in events]
    assert kinds.count("hello") == 2 and kinds.count("detection") == 3
    assert [e["again"] for e in events if e["event"] == "connected"] == [False, True]
    done = events[-1]
    assert done["skipped"] == {"not text": 1, "over-long": 1, "field count": 1} and done["reconnects"] == 1


def test_monitor_exit_codes_say_what_went_wrong(tmp_path, capsys):
    assert main(["monitor", "/dev/wakebench-missing"]) == 3
    assert "no such port" in capsys.readouterr().err
    board = PtyBoard()
    try:
        with BoardLink.open(board.path):
            assert main(["monitor", board.path, "--seconds", "1"]) == 4
        assert "port busy" in capsys.readouterr().err
        threading.Timer(0.5, board.close).start()
        assert main(["monitor", board.path, "--seconds", "20"]) == 6  # a bare pty never comes back
        assert "the pseudo-terminal is gone" in capsys.readouterr().err
    finally:
        board.close()
    linked = PtyBoard(link=tmp_path / "board")
    threading.Timer(0.5, linked.close).start()
    started = time.monotonic()
    assert main(["monitor", linked.path, "--wait", "0.5", "--seconds", "20"]) == 6
    assert time.monotonic() - started < 10
    assert "did not come back within 0.5 s" in capsys.readouterr().err


def wav_samples(path: Path) -> np.ndarray:
    with wave.open(str(path)) as w:
        return np.frombuffer(w.readframes(w.getnframes()), "<i2")


def is_slice_of(clip: np.ndarray, audio: np.ndarray) -> int:
    for start in range(0, len(audio) - len(clip) + 1, 160):
        if np.array_equal(audio[start : start + len(clip)], clip):
            return start
    raise AssertionError("the captured clip is not a piece of the audio the board heard")


def test_capture_saves_exactly_what_the_board_heard(tiny_run, board_recording, tmp_path, capsys):
    path, stream = board_recording
    audio = to_int16(read_audio(path))
    captures = tmp_path / "captures"
    assert main(["capture", "/dev/null", "--label", "two words!"]) == 1  # refused before any port opens
    assert "not a word" in capsys.readouterr().err
    with sim(str(tiny_run), "--audio", str(path), "--fast") as (pty, _):
        assert main(["capture", pty, "--label", "go", "--seconds", "0.5", "--dir", str(captures)]) == 0
        assert main(["capture", pty, "--label", "_unknown_", "--detection", "--dir", str(captures)]) == 0
    out = capsys.readouterr().out
    on_demand = captures / "go" / "virtual_nohash_0.wav"
    at_detection = captures / "_unknown_" / "virtual_nohash_0.wav"
    assert f"saved {on_demand}" in out and f"saved {at_detection}" in out
    clip = wav_samples(on_demand)
    assert len(clip) == 8000
    is_slice_of(clip, audio)
    window = wav_samples(at_detection)
    start = is_slice_of(window, audio)
    assert len(window) == 16000
    # The 1 s ends where a detection's model window ended: a spoken word lies inside it.
    assert any(start <= e.start_s * 16000 and e.end_s * 16000 <= start + 16000 for e in stream.events)


@pytest.mark.parametrize(
    "args, message", [(["--mic", "--audio", "x.wav"], "not both"), (["--fast"], "need --audio")]
)
def test_sim_refuses_contradicting_sources(tiny_run, args, message, capsys):
    assert main(["sim", str(tiny_run), *args]) == 1
    assert message in capsys.readouterr().err
