"""`wakebench boards`, `monitor`, `capture` and `sim`: the serial ports, a board's predictions as they
come, clips of what it heard, and a virtual board for when there is no hardware.

Exit codes of the board commands: 0 done, 1 other failure, 2 no PORT given and not exactly one board
(the candidates are listed), 3 no such port, 4 port busy, 5 permission denied, 6 the port vanished and
did not come back, 130 stopped by Ctrl-C (the monitor prints its summary first; a capture not yet saved
is not saved).

The board stack (numpy, pyserial, the TFLM interpreter for `sim`) is imported inside the commands, so
that `wakebench --help` and a mistyped argument answer at once.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.cli.cancel import raise_if_stopped, stop_on_signals
from core.cli.common import current_project, positive_int
from core.cli.output import EventPrinter, print_json
from core.config import keywords
from core.errors import CaptureError, ConfigError, PortVanishedError

if TYPE_CHECKING:
    import numpy as np

    from core.audio.sources import AudioSource
    from core.board.capture import AudioHistory
    from core.board.link import BoardLink
    from core.board.protocol import Detection  # lazy: the board stack

EXIT_CODES = (
    "exit codes: 0 done, 2 no PORT and not exactly one board (candidates listed), 3 no such port, "
    "4 port busy, 5 permission denied, 6 port vanished and did not come back"
)
PORT_HELP = (
    "serial port or pyserial URL (/dev/ttyACM0, COM5, a virtual board's pty); default: the only board found"
)
SPARKS = " ▁▂▃▄▅▆▇█"


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "boards",
        help="list serial ports, with the boards recognised by their USB ids",
        description="List the serial ports; boards with a profile in assets/boards/ are recognised by "
        "their USB vendor/product ids, the rest are listed as unknown serial ports.",
    )
    p.add_argument("--json", action="store_true", help="one JSON object per port")
    p.set_defaults(run=cmd_boards)

    p = subparsers.add_parser(
        "monitor",
        help="show a board's hello, detections, logs and errors as they come",
        description="Connect to a board (or a virtual board) and print what it reports; reconnects by "
        "itself when the board is unplugged and plugged back in. Ctrl-C stops.",
        epilog=EXIT_CODES,
    )
    p.add_argument("port", metavar="PORT", nargs="?", help=PORT_HELP)
    p.add_argument("--json", action="store_true", help="one JSON object per line (every message and event)")
    p.add_argument("--seconds", type=float, metavar="N", help="stop after N seconds (default: until Ctrl-C)")
    p.add_argument("--features", action="store_true", help="also the feature frames (F1)")
    p.add_argument("--scores", action="store_true", help="also the raw scores of every inference (P1)")
    p.add_argument("--audio", action="store_true", help="also the audio stream (A1): a summary per second")
    p.add_argument(
        "--baud", type=positive_int, default=115200, help="baud rate (UART boards; USB ignores it)"
    )
    p.add_argument(
        "--wait",
        type=float,
        default=30.0,
        metavar="S",
        help="how long a vanished port may stay away before giving up (default 30 s)",
    )
    p.set_defaults(run=cmd_monitor)

    p = subparsers.add_parser(
        "capture",
        help="save what the board heard as a training clip (data/captures/<label>/)",
        description="Stream the board's audio and save the last --seconds (or, with --detection, the 1 s "
        "ending at the next detection) into <captures_dir>/<label>/; never overwrites. Label a false "
        "alarm _unknown_ ('not a word'). Training uses the captures folder as a data source.",
        epilog=EXIT_CODES,
    )
    p.add_argument("port", metavar="PORT", nargs="?", help=PORT_HELP)
    p.add_argument("--label", required=True, help="the word the clip is (or _unknown_ for not a word)")
    p.add_argument("--seconds", type=float, default=1.5, help="length of an on-demand capture (default 1.5)")
    p.add_argument("--detection", action="store_true", help="wait for the next detection and save its 1 s")
    p.add_argument("--count", type=positive_int, default=1, help="captures to save (default 1)")
    p.add_argument(
        "--timeout", type=float, default=30.0, help="seconds to wait for each capture (default 30)"
    )
    p.add_argument("--dir", type=Path, help="captures folder (default: the project's data.captures_dir)")
    p.add_argument("--baud", type=positive_int, default=115200, help="baud rate (UART boards)")
    p.set_defaults(run=cmd_capture)

    p = subparsers.add_parser(
        "sim",
        help="a virtual board on a pseudo-terminal, running a run's int8 model like the firmware",
        description="Open a pseudo-terminal and behave like the firmware on it: hello with the run's model "
        "hash and labels, streaming features, the int8 model in the TFLM interpreter at the run's "
        "inference cadence, the recognizer, host commands and streams. Prints the port's path as its "
        "first line; connect with `wakebench monitor PATH` or the app's Board pane. Ctrl-C stops.",
    )
    p.add_argument("run_dir", metavar="RUN", help="exported run: a folder, an id under runs/, or 'latest'")
    p.add_argument("--audio", nargs="+", metavar="WAV", help="what the board hears: WAV files, in order")
    p.add_argument("--mic", action="store_true", help="hear the microphone (the default without --audio)")
    p.add_argument("--device", help="input device for --mic (index or part of its name)")
    p.add_argument("--loop", action="store_true", help="play the WAV files again and again")
    p.add_argument(
        "--fast",
        action="store_true",
        help="no real-time pacing: start when a host connects and play as fast as it reads (nothing dropped)",
    )
    p.add_argument("--link", type=Path, help="also make this path a symlink to the pty (a stable port name)")
    p.add_argument("--board", default="virtual", help="board id in the hello (default 'virtual')")
    p.add_argument(
        "--every",
        type=positive_int,
        metavar="N",
        help="run the model every N frames (default: the run's cadence)",
    )
    p.set_defaults(run=cmd_sim)


# --- boards -----------------------------------------------------------------------------------


def cmd_boards(args: argparse.Namespace) -> int:
    from core.board.discovery import list_ports  # lazy: the board stack

    ports = list_ports()
    if args.json:
        for port in ports:
            print_json(port.to_json())
        return 0
    if not ports:
        print(
            "no serial ports found (plug a board in, or start a virtual one: wakebench sim RUN)",
            file=sys.stderr,
        )
        return 0
    for port in ports:
        print(port.describe())
    return 0


# --- monitor ----------------------------------------------------------------------------------


class MonitorPrinter:
    """Prints link items: messages on stdout, connection events on stderr (all on stdout with --json)."""

    def __init__(self, json_lines: bool, labels: list[str] | None = None) -> None:
        self.json_lines = json_lines
        self.labels = labels or []
        self.detections = 0
        self._audio_window: list[int] = []
        self._audio_started = time.monotonic()
        self._audio_lost = 0

    def __call__(self, item: Any) -> None:
        from core.board import link as ln  # lazy: the board stack
        from core.board import protocol as pr

        match item:
            case pr.Hello():
                self.labels = list(item.labels)
                self._out(
                    {"event": "hello", "board": item.board, "model": item.model, "labels": list(item.labels),
                     "rate": item.rate, "window_ms": item.window_ms, "stride_ms": item.stride_ms, "bins": item.bins},
                    f"board {item.board}  model {item.model}  labels {','.join(item.labels)}  "
                    f"({item.rate} Hz, {item.window_ms}/{item.stride_ms} ms, {item.bins} bins)",
                )  # fmt: skip
            case pr.Detection():
                self.detections += 1
                self._out(
                    {"event": "detection", "time_s": item.ms / 1000, "word": item.label, "score": item.score},
                    f"{item.ms / 1000:8.2f} s  {item.label}  {item.score}",
                )
            case pr.LogLine():
                self._out({"event": "log", "text": item.text}, f"log: {item.text}")
            case pr.BoardErrorLine():
                self._out(
                    {"event": "board_error", "code": item.code, "text": item.text},
                    f"board error {item.code}: {item.text}",
                )
            case pr.Scores():
                names = (
                    self.labels
                    if len(self.labels) == len(item.scores)
                    else [str(i) for i in range(len(item.scores))]
                )
                self._out(
                    {"event": "scores", "time_s": item.ms / 1000, "scores": list(item.scores)},
                    f"{item.ms / 1000:8.2f} s  scores  " + "  ".join(f"{n} {s}" for n, s in zip(names, item.scores, strict=True)),
                )  # fmt: skip
            case pr.FeatureFrame():
                values = item.values
                self._out(
                    {"event": "features", "time_s": item.ms / 1000, "values": values.tolist()},
                    f"{item.ms / 1000:8.2f} s  features  " + "".join(SPARKS[v * len(SPARKS) // 256] for v in values),
                )  # fmt: skip
            case pr.AudioChunk():
                self._audio(item)
            case ln.Connected():
                self._event({"event": "connected", "port": item.port, "again": item.again},
                            f"{'reconnected' if item.again else 'connected'} to {item.port}")  # fmt: skip
            case ln.Disconnected():
                self._event(
                    {"event": "disconnected", "port": item.port, "reason": item.reason},
                    f"port {item.port} vanished ({item.reason}); waiting for it to come back",
                )
            case ln.BoardReset():
                self._event({"event": "reset", "board": item.hello.board}, "the board restarted")
            case ln.AudioGap():
                self._audio_lost += item.lost
                self._event(
                    {"event": "audio_gap", "expected": item.expected, "seq": item.seq, "lost": item.lost},
                    f"audio gap: {item.lost} samples lost",
                )

    def _audio(self, chunk: Any) -> None:
        if self.json_lines:
            print_json({"event": "audio", "seq": chunk.seq, "samples": chunk.sample_count})
            return
        import numpy as np  # lazy: the board stack

        self._audio_window.append(int(np.max(np.abs(chunk.samples.astype(np.int32)))))
        now = time.monotonic()
        if now - self._audio_started >= 1.0:
            peak = max(self._audio_window) or 1
            print(
                f"audio: {len(self._audio_window)} chunks in {now - self._audio_started:.1f} s, "
                f"peak {20 * np.log10(peak / 32768):.0f} dBFS, {self._audio_lost} samples lost so far",
                flush=True,
            )
            self._audio_window.clear()
            self._audio_started = now

    def _out(self, obj: dict[str, Any], text: str) -> None:
        if self.json_lines:
            print_json(obj)
        else:
            print(text, flush=True)

    def _event(self, obj: dict[str, Any], text: str) -> None:
        if self.json_lines:
            print_json(obj)
        else:
            print(text, file=sys.stderr, flush=True)


def cmd_monitor(args: argparse.Namespace) -> int:
    from core.board.discovery import pick_port  # lazy: the board stack
    from core.board.link import BoardLink, Connected, Disconnected, LinkState

    port = pick_port(args.port)
    printer = MonitorPrinter(args.json)
    started = time.monotonic()
    streams = [s for s, on in (("F", args.features), ("P", args.scores), ("A", args.audio)) if on]
    with (
        stop_on_signals(EventPrinter(args.json), "printing the summary") as token,
        BoardLink.open(port, baudrate=args.baud, streams=streams) as link,  # type: ignore[arg-type]
    ):
        vanished_at: float | None = None
        warned = False
        while not token.cancelled and (args.seconds is None or time.monotonic() - started < args.seconds):
            item = link.get(timeout=0.25)
            if item is not None:
                printer(item)
                if isinstance(item, Disconnected):
                    vanished_at = time.monotonic()
                elif isinstance(item, Connected):
                    vanished_at = None
            now = time.monotonic()
            if link.state is LinkState.DISCONNECTED:
                raise PortVanishedError(
                    f"{port}: the pseudo-terminal is gone (a virtual board that stopped does not come back)",
                    "start the virtual board with `wakebench sim RUN --link PATH` and monitor PATH: "
                    "the monitor then waits for the next one",
                )
            if vanished_at is not None and now - vanished_at > args.wait:
                raise PortVanishedError(
                    f"{port}: the port vanished and did not come back within {args.wait:g} s",
                    "check the cable and that the board still runs; then start the monitor again",
                )
            if not warned and link.hello is None and now - started > 3.0 and link.connected:
                warned = True
                print(
                    f"no hello from {port} yet: is the wakebench firmware on it (`wakebench flash`), "
                    "and for a UART board, is --baud right?",
                    file=sys.stderr,
                )
        stats = link.stats
    summary = {
        "event": "done",
        "detections": printer.detections,
        "skipped_lines": stats.skipped_lines,
        "skipped": stats.skipped,
        "audio_gaps": stats.audio_gaps,
        "samples_lost": stats.samples_lost,
        "reconnects": stats.reconnects,
        "resets": stats.resets,
    }
    if args.json:
        print_json(summary)
    else:
        skipped = ", ".join(f"{n} {kind}" for kind, n in stats.skipped.items())
        print(
            f"{printer.detections} detection(s); {stats.skipped_lines} line(s) skipped"
            + (f" ({skipped})" if skipped else "")
            + (
                f"; {stats.samples_lost} audio samples lost in {stats.audio_gaps} gap(s)"
                if stats.audio_gaps
                else ""
            )
            + (f"; {stats.reconnects} reconnect(s)" if stats.reconnects else ""),
            file=sys.stderr,
        )
    raise_if_stopped(token, "the monitor printed its summary")
    return 0


# --- capture ----------------------------------------------------------------------------------


def captures_dir(explicit: Path | None) -> Path:
    if explicit is not None:
        return explicit
    project = current_project()
    path = Path(project.config.data.captures_dir).expanduser()
    return path if path.is_absolute() else project.root / path


def cmd_capture(args: argparse.Namespace) -> int:
    from core.board.capture import AudioHistory, capture_label, save_capture  # lazy: the board stack
    from core.board.discovery import pick_port
    from core.board.link import BoardLink

    label = capture_label(args.label)  # a bad label is refused before anything opens
    target = captures_dir(args.dir)
    port = pick_port(args.port)
    history = AudioHistory(seconds=max(args.seconds, 1.0) + 1.0)
    saved = []
    with (
        stop_on_signals(None, "the capture in progress is not saved", at_once=True),
        BoardLink.open(port, baudrate=args.baud) as link,
    ):
        link.add_listener(history)
        hello = link.wait_for_hello(timeout=5)
        link.set_stream("A", True)
        for n in range(args.count):
            if args.detection:
                print(
                    f"waiting for a detection to save as {label!r} (up to {args.timeout:g} s)",
                    file=sys.stderr,
                )
                detection, audio = wait_for_detection(link, history, args.timeout)
                note = f"the 1 s before {detection.label} ({detection.score}) at {detection.ms / 1000:.2f} s"
            else:
                print(
                    f"capture {n + 1}/{args.count}: say {label!r} now ({args.seconds:g} s)", file=sys.stderr
                )
                audio = wait_for_audio(link, history, args.seconds, args.timeout)
                note = f"the last {args.seconds:g} s"
            path = save_capture(audio, label, target, hello.board)
            saved.append(path)
            print(f"saved {path} ({note})", flush=True)
        if not saved:
            raise CaptureError("nothing captured")
    return 0


def wait_for_audio(link: BoardLink, history: AudioHistory, seconds: float, timeout: float) -> np.ndarray:
    """`seconds` of audio heard from now on (not what was buffered before the prompt)."""

    history_start = history.seconds
    needed = seconds
    deadline = time.monotonic() + timeout
    heard_from = time.monotonic()
    while time.monotonic() < deadline:
        link.get(timeout=0.05)  # keep the queue short; the history listens on the reader thread
        if history.seconds >= needed and time.monotonic() - heard_from >= seconds - 0.05:
            return history.last(seconds)
        if history.seconds < history_start:
            heard_from = time.monotonic()  # the audio broke: start the take over
        history_start = history.seconds
    raise CaptureError(
        f"no {seconds:g} s of unbroken audio from the board within {timeout:g} s",
        "is the board streaming? (a real board needs native USB or >= 460800 baud for audio)",
    )


def wait_for_detection(
    link: BoardLink, history: AudioHistory, timeout: float
) -> tuple[Detection, np.ndarray]:
    from core.board.protocol import Detection  # lazy: the board stack

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        item = link.get(timeout=0.1)
        if isinstance(item, Detection):
            try:
                return history.at_detection()
            except CaptureError as exc:  # e.g. the audio had only just started: wait for the next one
                print(f"not saved: {exc.message}; waiting for the next detection", file=sys.stderr)
    raise CaptureError(f"no detection within {timeout:g} s", "say one of the words, or raise --timeout")


# --- sim --------------------------------------------------------------------------------------


def sim_source(args: argparse.Namespace) -> AudioSource:
    """What the virtual board hears: the WAV files (in order), else the microphone."""

    if args.audio and args.mic:
        raise ConfigError("give --audio WAV... or --mic, not both")
    if not args.audio:
        if args.fast or args.loop:
            raise ConfigError("--fast and --loop need --audio WAV... (the microphone runs in real time)")
        from core.cli.live import open_microphone  # lazy: the audio stack

        return open_microphone(args.device)
    import numpy as np  # lazy: the audio stack

    from core.audio.files import read_audio
    from core.audio.sources import ArraySource

    audio = np.concatenate([read_audio(path) for path in args.audio])
    chunk_ms = 100 if args.fast else 10
    return ArraySource(
        audio, realtime=not args.fast, chunk_ms=chunk_ms, loop=args.loop, name=" + ".join(args.audio)
    )


def cmd_sim(args: argparse.Namespace) -> int:
    from core.board.sim import SimEvent, VirtualBoard  # lazy: the board and model stacks

    source = sim_source(args)

    def on_event(event: SimEvent) -> None:
        prefix = {"detection": "detected", "command": "host sent", "host": "", "end": ""}[event.kind]
        print(f"{prefix + ' ' if prefix else ''}{event.text}", file=sys.stderr, flush=True)

    board = VirtualBoard(
        args.run_dir, source, realtime=not args.fast, board=args.board, link=args.link,
        infer_every=args.every, on_event=on_event,
    )  # fmt: skip
    with stop_on_signals(None, "unplugging the virtual board", at_once=False) as token:
        try:
            print(board.path, flush=True)
            print(
                f"virtual board on {board.path}: run {board.run_dir.id}, model {board.sha8}, words "
                f"{', '.join(keywords(board.labels))}; hearing {source.name}{' (fast)' if args.fast else ''}. "
                f"Connect with `wakebench monitor {board.path}`; Ctrl-C stops.",
                file=sys.stderr,
                flush=True,
            )
            board.run(token)
        finally:
            board.close()  # the pty (and --link) disappear, as an unplugged board
    raise_if_stopped(token, "the virtual board was unplugged")
    return 0
