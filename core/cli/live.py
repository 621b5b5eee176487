"""`wakebench detect`, `listen` and `record`: the model on a recording or the microphone, and your own voice.

The audio and model stacks (numpy, soundfile, the TFLM interpreter) are imported inside the commands, so
that `wakebench --help` and a mistyped argument answer at once.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from core.cli.cancel import raise_if_stopped, stop_on_signals
from core.cli.common import current_project, positive_int
from core.cli.output import EventPrinter, print_json
from core.config import keywords
from core.errors import MicrophoneError
from core.events import Done, Event

if TYPE_CHECKING:
    import numpy as np

    from core.audio.record import Recorder
    from core.audio.sources import AudioSource

EVERY_HELP = (
    "run the model every N feature frames of 20 ms instead of the run's own cadence (default: its "
    "[recognizer] inference_every_frames, which the board uses too; 1 = every frame)"
)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "detect",
        help="find the words in a recording with the exported int8 model (streaming, as on the board)",
        description="Run a WAV recording through the streaming path the board uses (micro frontend with "
        "carried state, int8 model in the TFLM interpreter, command recognizer); one detection per line.",
    )
    p.add_argument("run_dir", metavar="RUN", help="exported run: a folder, an id under runs/, or 'latest'")
    p.add_argument(
        "audio", metavar="AUDIO.wav", help="recording to search (any WAV; resampled to 16 kHz mono)"
    )
    p.add_argument("--every", type=positive_int, metavar="N", help=EVERY_HELP)
    p.add_argument("--json", action="store_true", help='one {"time_s", "word", "score"} object per line')
    p.set_defaults(run=cmd_detect)

    p = subparsers.add_parser(
        "listen",
        help="detect words live from the microphone with the exported int8 model",
        description="Listen on the microphone and print each detection (Ctrl-C stops).",
    )
    p.add_argument(
        "run_dir", metavar="RUN", nargs="?", help="exported run: a folder, an id under runs/, or 'latest'"
    )
    p.add_argument("--device", help="input device index or part of its name (default: the system default)")
    p.add_argument("--list", action="store_true", help="list the input devices and exit")
    p.add_argument("--every", type=positive_int, metavar="N", help=EVERY_HELP)
    p.add_argument("--json", action="store_true", help="one JSON object per detection")
    p.set_defaults(run=cmd_listen)

    p = subparsers.add_parser(
        "record",
        help="record your own takes of a word (trimmed to 1 s clips for training)",
        description="Record takes of a word from the microphone: a prompt per take, the word found and "
        "centred in a 1 s clip, playback, then keep or discard. Kept takes go to "
        "<recordings_dir>/<word>/<speaker>_nohash_<n>.wav and are never overwritten.",
    )
    p.add_argument("--word", required=True, help="the word to record")
    p.add_argument("--count", type=positive_int, default=20, help="takes to keep (default 20)")
    p.add_argument("--speaker", help="speaker id, letters and digits (default: your login name)")
    p.add_argument("--device", help="input device index or part of its name")
    p.add_argument(
        "--seconds", type=float, default=2.0, help="length of each take before trimming (default 2)"
    )
    p.add_argument("--dir", type=Path, help="recordings folder (default: the project's recordings_dir)")
    p.add_argument("--no-playback", action="store_true", help="do not play each take back")
    p.set_defaults(run=cmd_record)


# --- detect -----------------------------------------------------------------------------------


def cmd_detect(args: argparse.Namespace) -> int:
    from core.live.detector import WordDetected, detect_file  # lazy: the audio and model stacks

    printer = EventPrinter(args.json)

    def on_event(event: Event) -> None:
        if isinstance(event, WordDetected):
            if args.json:
                print_json(event.to_json())
            else:
                print(f"{event.time_s:8.2f} s  {event.word}  {event.score}", flush=True)
        elif isinstance(event, Done) or not args.json:  # --json: the detections, then the result
            printer(event)

    with stop_on_signals(printer) as token:
        found = detect_file(args.run_dir, args.audio, infer_every=args.every, on_event=on_event, cancel=token)
    if not args.json and not found:
        print("no words detected", file=sys.stderr)
    return 0


# --- listen -----------------------------------------------------------------------------------


def open_microphone(device: str | None) -> AudioSource:
    """The live source for `listen` and `record` (tests replace this with generated audio)."""
    from core.audio.mic import MicSource  # lazy: the audio stack

    return MicSource(device)


def cmd_listen(args: argparse.Namespace) -> int:
    from core.live.detector import LiveDetector  # lazy: the audio and model stacks

    if args.list:
        from core.audio.mic import list_input_devices  # lazy: the audio stack

        devices = list_input_devices()
        if not devices:
            print("no input devices found (plug in a microphone)", file=sys.stderr)
            return 1
        for d in devices:
            print(d.describe())
        return 0
    if not args.run_dir:
        print("wakebench listen: error: give a RUN (or --list to see input devices)", file=sys.stderr)
        return 2
    source = open_microphone(args.device)
    detector = LiveDetector(args.run_dir, source, infer_every=args.every)
    if not args.json:
        print(
            f"listening on {source.name} for {', '.join(keywords(detector.labels))} — Ctrl-C stops",
            file=sys.stderr,
        )
    with stop_on_signals(EventPrinter(args.json)) as token:
        for detection in detector.detections(token):
            if args.json:
                print_json(
                    {"time_s": detection.time_ms / 1000, "word": detection.label, "score": detection.score}
                )
            else:
                print(f"{detection.time_ms / 1000:8.2f} s  {detection.label}  {detection.score}", flush=True)
    if source.samples_dropped:
        print(f"note: {source.samples_dropped} samples were dropped (the PC fell behind)", file=sys.stderr)
    raise_if_stopped(token, "listening ended")
    return 0


# --- record -----------------------------------------------------------------------------------


def recordings_dir(explicit: Path | None) -> Path:
    if explicit is not None:
        return explicit
    return Path(current_project().config.data.recordings_dir)


def play_back(audio: np.ndarray) -> None:
    from core.audio.mic import play  # lazy: the audio stack

    play(audio)


def _ask(prompt: str) -> str:
    print(prompt, end=" ", flush=True)
    line = sys.stdin.readline()
    if not line:  # end of input: treat as quit
        return "q"
    return line.strip().lower()


def cmd_record(args: argparse.Namespace) -> int:
    from core.audio.record import Recorder  # lazy: the audio stack

    target = recordings_dir(args.dir)
    recorder = Recorder(
        open_microphone(args.device), args.word, target, speaker=args.speaker, take_seconds=args.seconds
    )
    print(
        f"recording {args.count} takes of {args.word!r} as speaker {recorder.speaker!r} into {recorder.folder}/ "
        f"({recorder.saved()} there already)"
    )
    # Ctrl-C stops at once: a take is only written whole (core.audio.record.save_take), and at the
    # prompt there is nothing in flight.
    with stop_on_signals(at_once=True):
        kept = _record_takes(args, recorder)
    print(
        f"kept {kept} take(s); {recorder.saved()} of {args.word!r} by {recorder.speaker!r} in {recorder.folder}/"
    )
    return 0


def _record_takes(args: argparse.Namespace, recorder: Recorder) -> int:
    """Prompt, record and keep takes until --count are kept or the user quits; the number kept."""
    playback = not args.no_playback
    kept = 0
    while kept < args.count:
        if _ask(f"take {kept + 1}/{args.count}: press Enter, then say {args.word!r} (q quits)") == "q":
            break
        take = recorder.record()
        if not take.heard or take.clip is None:
            print("  no word heard (too quiet, or nothing but noise) — try again, closer to the microphone")
            continue
        if take.too_long:
            print(f"  note: the word lasted {take.word_seconds:.1f} s and was cut to 1 s")
        while True:
            if playback:
                try:
                    play_back(take.clip)
                except MicrophoneError as exc:
                    print(f"  {exc.message}; playback is off from now on")
                    playback = False
            answer = _ask("  keep it? [Y]es / [n]o / [p]lay again / [q]uit:")
            if answer != "p":
                break
            playback = True
        if answer in ("", "y", "yes"):
            path = recorder.keep(take)
            kept += 1
            print(f"  saved {path}")
        elif answer == "q":
            break
        else:
            print("  discarded")
    return kept
