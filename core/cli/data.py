"""`wakebench data synth | fetch | check`: make, download and check datasets.

Defaults come from `wakebench.toml` in the current folder when there is one; flags override it.
The audio and HTTP stacks are imported inside the commands, so that `wakebench --help` and a mistyped
argument answer at once.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from core.cli.cancel import stop_on_signals
from core.cli.common import current_project, positive_int
from core.cli.output import EventPrinter
from core.config import parse_words
from core.data.speech_commands_archives import KNOWN_ARCHIVES

if TYPE_CHECKING:
    from core.data.check import CheckReport

CHECK_DESCRIPTION = """\
Read every WAV under DIR (Speech Commands layout: DIR/<word>/<speaker>_nohash_<n>.wav) the way training
reads it, and list per-folder counts and every unusable file with its reason (not a WAV, truncated,
absurd header, silent, ...).

Exit status 0 when the usable part is fine: at least one usable clip in a word folder, no folder whose
WAVs are all unusable, and every word given with --words has at least --min-clips usable clips.
Unusable files alone do not fail the check (training skips them); 1 otherwise."""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    data = subparsers.add_parser(
        "data",
        help="make synthetic keywords, fetch Speech Commands, check a dataset",
        description="Datasets in the Speech Commands layout: DIR/<word>/<speaker>_nohash_<n>.wav.",
    )
    actions = data.add_subparsers(dest="data_action", metavar="ACTION")
    data.set_defaults(run=lambda _args: _print_help(data))

    p = actions.add_parser(
        "synth",
        help="synthesise keyword clips offline (espeak-ng, Pico, MBROLA), plus negatives and background noise",
        description="Write a synthetic dataset: for each word --per-word 1 s clips from many synthetic "
        "speakers, a pool of other words for _unknown_, and _background_noise_/. Deterministic for a seed; "
        "a re-run only makes what is missing. Defaults come from wakebench.toml when present.",
    )
    p.add_argument(
        "--words", help="comma-separated keywords, e.g. stop,go or 'hey bench' (default: the project's)"
    )
    p.add_argument("--out", type=Path, help="output folder (default: the project's data.synthetic_dir)")
    p.add_argument("--per-word", type=positive_int, help="clips per keyword (default: data.synth_per_word)")
    p.add_argument(
        "--seed", type=int, help="seed; the same seed gives the same files (default: data.synth_seed)"
    )
    p.add_argument(
        "--unknown-per-word",
        type=positive_int,
        help="clips per other word (default: max(20, per-word / 20))",
    )
    p.add_argument("--no-background", action="store_true", help="do not make _background_noise_/")
    p.add_argument("--workers", type=positive_int, help="worker processes (default: one per CPU)")
    p.add_argument(
        "--engines",
        help="comma-separated speech engines: espeak, pico, mbrola, kokoro, piper (default: data.synth_engines; "
        "piper is the held-out engine, never in the default set)",
    )
    p.add_argument(
        "--sentence-takes",
        type=int,
        default=None,
        help="speakers saying each everyday sentence that is cut into _unknown_ windows (default 8; 0 = none)",
    )
    p.add_argument(
        "--no-negatives",
        action="store_true",
        help="do not make _unknown_/ (confusable words, partial keywords, sentence windows)",
    )
    p.add_argument("--json", action="store_true", help="one JSON object per line; the last is the result")
    p.set_defaults(run=cmd_synth)

    p = actions.add_parser(
        "fetch",
        help="download and extract Google Speech Commands (resumable)",
        description="Stream the archive with progress, resume an interrupted download, check gzip/tar "
        "integrity and the published checksum where one is known, extract safely. Running it again "
        "when it is complete does nothing. In a project folder, data.speech_commands_dir in "
        "wakebench.toml is then set to DEST.",
    )
    p.add_argument("dataset", choices=["speech-commands"], help="what to fetch")
    p.add_argument("--version", default="0.02", choices=sorted(KNOWN_ARCHIVES), help="dataset version")
    p.add_argument(
        "--dest",
        type=Path,
        help="where to extract (default: data.speech_commands_dir or data/speech_commands)",
    )
    p.add_argument("--url", help="download the archive from this URL instead (a mirror)")
    p.add_argument("--sha256", help="expected SHA-256 of the archive (for --url)")
    p.add_argument("--keep-archive", action="store_true", help="keep the .tar.gz in DEST after extracting")
    p.add_argument("--json", action="store_true", help="one JSON object per line; the last is the result")
    p.set_defaults(run=cmd_fetch)

    p = actions.add_parser(
        "check",
        help="count usable clips per word and list every unusable file with its reason",
        description=CHECK_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("dir", type=Path, metavar="DIR", help="dataset folder")
    p.add_argument("--words", help="words that must have usable clips, e.g. stop,go")
    p.add_argument("--min-clips", type=positive_int, default=1, help="usable clips each --words word needs")
    p.add_argument("--json", action="store_true", help="one JSON object per line; the last is the report")
    p.set_defaults(run=cmd_check)


def _print_help(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


def cmd_synth(args: argparse.Namespace) -> int:
    from core.data.synth import SENTENCE_SPEAKERS, synthesize_dataset  # lazy: the audio stack

    project = current_project()
    config = project.config
    words = parse_words(args.words) if args.words else config.words
    out = args.out if args.out is not None else project.root / config.data.synthetic_dir
    printer = EventPrinter(args.json)
    with stop_on_signals(printer, "the clips made so far are kept; a re-run makes the rest") as token:
        summary = synthesize_dataset(
            words,
            out,
            per_word=args.per_word or config.data.synth_per_word,
            seed=config.data.synth_seed if args.seed is None else args.seed,
            on_event=printer,
            cancel=token,
            engines=parse_words(args.engines) if args.engines else config.data.synth_engines,
            negatives=not args.no_negatives,
            sentence_takes=SENTENCE_SPEAKERS if args.sentence_takes is None else max(0, args.sentence_takes),
            unknown_per_word=args.unknown_per_word,
            background=not args.no_background,
            workers=args.workers,
        )
    if not args.json:
        made = f"made {summary.rendered_clips} clips" if summary.rendered_clips else "already complete"
        print(
            f"{out}: {', '.join(f'{w} {n}' for w, n in summary.keyword_clips.items())} clips from "
            f"{summary.speakers} speakers ({', '.join(f'{e} {n}' for e, n in summary.speakers_per_engine.items())}), "
            f"{len(summary.unknown_words)} unknown words, {summary.negative_jobs} confusables/sentences, "
            f"{summary.background_seconds / 60:.0f} min background noise ({made}, {summary.seconds:.1f} s)"
        )
    return 0


def cmd_fetch(args: argparse.Namespace) -> int:
    from core.data.speech_commands import fetch_speech_commands, use_speech_commands  # lazy: the HTTP stack

    project = current_project()
    project_file, config = project.file, project.config
    dest = (
        args.dest
        if args.dest is not None
        else project.root / (config.data.speech_commands_dir or "data/speech_commands")
    )
    printer = EventPrinter(args.json)
    with stop_on_signals(printer, "the download so far is kept; a re-run resumes it") as token:
        result = fetch_speech_commands(
            dest,
            version=args.version,
            url=args.url,
            sha256=args.sha256,
            on_event=printer,
            cancel=token,
            keep_archive=args.keep_archive,
        )
    if not args.json:
        state = "already there" if result.already_done else "downloaded and extracted"
        checked = "sha256 verified" if result.checksum_verified else "no published checksum; gzip/tar checked"
        print(f"Speech Commands {result.version}: {result.files} files in {dest} ({state}; {checked})")
    if project_file is None:
        if not args.json:
            print(f'to train with it, set speech_commands_dir = "{dest}" under [data] in wakebench.toml')
        return 0
    # Train with what was just fetched: the project file records it (the app does the same).
    updated = use_speech_commands(project_file, dest)
    if not args.json:
        setting = updated.data.speech_commands_dir
        if setting == config.data.speech_commands_dir:
            print(f'{project_file}: data.speech_commands_dir is already "{setting}"')
        else:
            print(f'{project_file}: set data.speech_commands_dir = "{setting}"')
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from core.data.check import check_dataset  # lazy: the audio stack

    words = parse_words(args.words) if args.words else None
    printer = EventPrinter(args.json)
    with stop_on_signals(printer) as token:
        report = check_dataset(
            args.dir, words=words, min_clips=args.min_clips, on_event=printer, cancel=token
        )
    if not args.json:
        _print_report(report)
    return 0 if report.ok else 1


def _print_report(report: CheckReport) -> None:
    out = sys.stdout
    out.write(f"{'folder':<24} {'usable':>7} {'unusable':>9} {'seconds':>9}\n")
    for name, folder in report.folders.items():
        if folder.usable or folder.unusable:
            out.write(f"{name:<24} {folder.usable:>7} {len(folder.unusable):>9} {folder.seconds:>9.1f}\n")
    for item in report.unusable:
        out.write(f"unusable: {item.path}: {item.reason}\n")
    for problem in report.problems:
        out.write(f"problem: {problem}\n")
    verdict = "fine" if report.ok else "NOT fine"
    out.write(f"{report.usable} usable clips, {len(report.unusable)} unusable files: {verdict}\n")
