"""The virtual board: the firmware's behaviour on a pseudo-terminal, with a run's int8 model in the TFLM
interpreter on the PC, so the whole workbench (monitor, app, captures) works without hardware.

It is the firmware's loop (firmware/wakebench/wakebench.ino) in Python:
- boot: `L model <sha8> ok ...`, then the hello with the run's model hash (sha256 of model.tflite, first
  8 hex digits, as the export writes into model_settings.h) and labels;
- audio in 10 ms chunks through the streaming path of `wakebench detect` (core/live/detector.py's
  `StreamingDetector`: streaming micro frontend, 49-frame window, the model at the run's inference
  cadence, the same recognizer); `D` lines for new keyword detections, `F`/`P`/`A` lines while enabled;
- host commands (`?`, `F1/F0`, `P1/P0`, `A1/A0`, `T n`; anything else is answered `E cmd ...`), read
  between chunks with the firmware's 32-byte command limit.

Lines go out in the order the board would send them: each chunk's audio and the frames it completes are
interleaved by their end sample, so a `D` line follows the audio that ends where the model's window ends.

Pacing: in real time (a file plays at its own speed, the microphone as it comes), stream lines are dropped
when the host does not keep up, as on the board (and `seq` shows it). With `realtime=False` (`--fast`)
the audio starts when the host first sends a command (a quarter second later, so that the streams it
switches on first see it all) and runs as fast as the host reads: every line waits
for room, nothing is dropped. When a file ends, the board sends `L end of audio` and goes on hearing
silence (real time) or idles, answering commands (fast), until stopped.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from core.audio.samples import SAMPLE_RATE
from core.audio.sources import AudioSource
from core.board.firmware_files import model_sha8
from core.board.protocol import (
    HelloRequest,
    LineBuffer,
    ParseError,
    SetThreshold,
    StreamSwitch,
    encode_audio,
    encode_detection,
    encode_error,
    encode_features,
    encode_hello,
    encode_log,
    encode_scores,
    feature_bytes,
    parse_command,
)
from core.board.pty_port import PtyPort
from core.events import CancelToken
from core.live.detector import LiveFrame, StreamingDetector, load_run_model

AUDIO_CHUNK_SAMPLES = 160
"""10 ms: what the firmware sends per `A` line (serial_protocol.h kAudioChunkSamples)."""
MAX_COMMAND_BYTES = 32
"""The firmware's CommandReader limit (serial_protocol.h kMaxCommandBytes)."""
BOARD_NAME = "virtual"
END_OF_AUDIO = "end of audio"
HOST_SETTLE_S = 0.25


@dataclass(frozen=True)
class SimEvent:
    """Something the virtual board did, for its own terminal: `kind` is "command", "detection",
    "host" (first command of a host) or "end"."""

    kind: str
    text: str


@dataclass
class SimStats:
    samples: int = 0
    detections: int = 0
    commands: int = 0
    bad_commands: int = 0


class VirtualBoard:
    """A board on a pty, driven by `source`. `run()` serves until `cancel` is set; `close()` unplugs it."""

    def __init__(
        self,
        run: str | Path | Any,
        source: AudioSource,
        realtime: bool = True,
        board: str = BOARD_NAME,
        link: str | Path | None = None,
        infer_every: int | None = None,
        on_event: Callable[[SimEvent], None] | None = None,
    ) -> None:
        self.run_dir, self.model = load_run_model(run)
        config = self.run_dir.config
        self.labels = list(self.run_dir.labels)
        self.features = config.features
        self.detector = StreamingDetector(
            self.model, self.labels, config.features, config.recognizer, infer_every
        )
        self.sha8 = model_sha8(self.model.model_bytes)
        self.board = board
        self.source = source
        self.realtime = realtime
        self.on_event = on_event or (lambda event: None)
        self.stats = SimStats()
        self.streams = {"F": False, "P": False, "A": False}
        self._commands = LineBuffer(limit=MAX_COMMAND_BYTES + 1)
        self._audio_pending = np.zeros(0, np.int16)
        self._audio_seq = 0
        self._position = 0  # samples heard since boot
        self._host_spoke_at: float | None = None
        self._ended = False
        self._cancel: CancelToken | None = None
        self.port = PtyPort(link)  # last: nothing to clean up if the run could not be loaded

    @property
    def path(self) -> str:
        return self.port.path

    def hello_line(self) -> bytes:
        f = self.features
        return encode_hello(
            self.board, self.sha8, self.labels, SAMPLE_RATE, f.window_ms, f.stride_ms, f.channels
        )

    # ---- serving --------------------------------------------------------------------------------

    def run(self, cancel: CancelToken | None = None) -> SimStats:
        """Boot, then serve until `cancel` is set (the pty stays open; `close()` removes it)."""
        self._cancel = cancel
        self._send(
            encode_log(
                f"model {self.sha8} ok, virtual board (TFLM on the PC), arena {self.model.arena_bytes} bytes"
            )
        )
        self._send(self.hello_line())
        self.source.start()
        try:
            while not self._stopped():
                self._serve_commands()
                if not self.realtime and not self._listening():
                    self.port.wait(0.05)  # --fast: the audio waits for a host
                    continue
                if self._ended:
                    self._idle()
                    continue
                chunk = self.source.read(timeout=0.1)
                if chunk is None:
                    self._end_of_audio()
                elif chunk.size:
                    self.hear(chunk)
        finally:
            self.source.stop()
        return self.stats

    def close(self) -> None:
        self.port.close()

    def _listening(self) -> bool:
        """--fast starts hearing `HOST_SETTLE_S` after the host's first command, so that the streams
        it switches on right after connecting (`?`, then `F1`...) see the audio from its start."""
        return self._host_spoke_at is not None and time.monotonic() - self._host_spoke_at >= HOST_SETTLE_S

    def _stopped(self) -> bool:
        return self._cancel is not None and self._cancel.cancelled

    def hear(self, samples: np.ndarray) -> None:
        """Process one chunk of audio as the board's loop does, and send what it produces."""
        samples = np.asarray(samples, dtype=np.int16)
        frames = self.detector.push(samples)
        start = self._position
        self._position += len(samples)
        self.stats.samples += len(samples)
        # The audio lines and the frames' lines in the order of their end sample (audio first on a tie).
        out: list[tuple[int, int, Callable[[], None]]] = []
        if self.streams["A"]:
            pending = np.concatenate([self._audio_pending, samples])
            first = start - len(self._audio_pending)
            whole = len(pending) // AUDIO_CHUNK_SAMPLES * AUDIO_CHUNK_SAMPLES
            for i in range(0, whole, AUDIO_CHUNK_SAMPLES):
                piece = pending[i : i + AUDIO_CHUNK_SAMPLES]
                out.append((first + i + AUDIO_CHUNK_SAMPLES, 0, partial(self._send_audio, piece)))
            self._audio_pending = pending[whole:]
        rate_per_ms = SAMPLE_RATE // 1000
        for frame in frames:
            out.append((frame.time_ms * rate_per_ms, 1, partial(self._send_frame, frame)))
        for _, _, send in sorted(out, key=lambda item: (item[0], item[1])):
            send()
        if not self.realtime:
            self._drain()

    # ---- lines out ------------------------------------------------------------------------------

    def _send(self, line: bytes, droppable: bool = False) -> None:
        # --fast never drops: every line waits for room (see `_drain`).
        self.port.send(line, droppable=droppable and self.realtime)

    def _send_audio(self, piece: np.ndarray) -> None:
        self._send(encode_audio(self._audio_seq, piece), droppable=True)
        self._audio_seq += len(piece)  # also for a dropped line: the host sees the gap in seq

    def _send_frame(self, frame: LiveFrame) -> None:
        if self.streams["F"]:
            values = feature_bytes(frame.features, self.model.input_scale, self.model.input_zero_point)
            self._send(encode_features(frame.time_ms, values), droppable=True)
        if frame.scores is not None and self.streams["P"]:
            self._send(encode_scores(frame.time_ms, [int(s) for s in frame.scores]), droppable=True)
        word = frame.new_word
        if word is not None:
            self.stats.detections += 1
            self._send(encode_detection(frame.time_ms, word.label, word.score))
            self.on_event(SimEvent("detection", f"{frame.time_ms / 1000:8.2f} s  {word.label}  {word.score}"))

    def _drain(self) -> None:
        """Wait until the host took every line (--fast), answering its commands meanwhile."""
        while self.port.backlog and not self.port.closed and not self._stopped():
            self.port.wait(0.1, writable=True)
            self.port.flush()
            self._serve_commands()

    # ---- commands in ----------------------------------------------------------------------------

    def _serve_commands(self) -> None:
        self.port.flush()
        data = self.port.read()
        if not data:
            return
        for line in self._commands.feed(data):
            if isinstance(line, ParseError):  # longer than the board's command buffer
                self.stats.bad_commands += 1
                self._send(encode_error("cmd", "command too long"))
                continue
            self._command(line)

    def _command(self, line: bytes) -> None:
        text = line.decode("ascii", "replace").strip()
        if self._host_spoke_at is None:
            self._host_spoke_at = time.monotonic()
            self.on_event(SimEvent("host", "a host is talking to the board"))
        command = parse_command(line)
        self.stats.commands += 1
        self.on_event(SimEvent("command", text))
        match command:
            case ParseError():
                self.stats.bad_commands += 1
                self._send(encode_error("cmd", f"{command.reason}: {text}"))
            case HelloRequest():
                self._send(self.hello_line())
            case StreamSwitch(stream="A", on=on):
                self.streams["A"] = on
                self._audio_seq = 0
                self._audio_pending = np.zeros(0, np.int16)  # streaming starts with the next sample heard
            case StreamSwitch(stream=stream, on=on):
                self.streams[stream] = on
            case SetThreshold(value=value):
                recognizer = self.detector.recognizer
                recognizer.settings = dataclasses.replace(recognizer.settings, detection_threshold=value)
                self._send(encode_log(f"threshold {value}"))

    # ---- after the audio ------------------------------------------------------------------------

    def _end_of_audio(self) -> None:
        self._ended = True
        self._send(encode_log(END_OF_AUDIO))
        self.on_event(SimEvent("end", END_OF_AUDIO))
        self._silence_from = time.monotonic()
        self._silence_sent = 0

    def _idle(self) -> None:
        """After the file: real time hears silence at its own pace; --fast only answers commands."""
        if not self.realtime:
            self.port.wait(0.1)
            return
        due = int((time.monotonic() - self._silence_from) * SAMPLE_RATE) - self._silence_sent
        if due >= AUDIO_CHUNK_SAMPLES:
            n = due // AUDIO_CHUNK_SAMPLES * AUDIO_CHUNK_SAMPLES
            self._silence_sent += n
            self.hear(np.zeros(n, np.int16))
        else:
            self.port.wait(0.01)
