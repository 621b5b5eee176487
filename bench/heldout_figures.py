"""The accuracy figures of issue 13 for an exported run, on data its training never saw.

- A held-out speech engine: `core.data.synth_backends.HELD_OUT_ENGINE` (Piper; the default set uses
  espeak-ng, Pico, MBROLA and Kokoro only) says the keywords and the other words (its clips made here, once);
  clip figures with the int8 model in TFLM (keyword recall, share of other words taken for a keyword),
  by the model's top label and, the issue's figure, detected by the calibrated recognizer when each
  clip is streamed alone; and streaming figures (FRR, FA/h) at the run's calibrated recognizer, through the live path;
- the run's own testing split as streams (held-out synthetic speakers of the default engines);
- `--real-negatives WAV...`: real non-keyword speech, if you have some (none ships with this machine);
- `--real-phrases DIR`: real people saying a keyword inside a short phrase (DIR/<word>/*.wav), each
  run through `detect`'s path on its own.

Usage: python bench/heldout_figures.py RUN [--per-word 100] [--real-negatives WAV ...] [--real-phrases DIR]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.data.synth_backends import HELD_OUT_ENGINE  # noqa: E402
from core.model.runs import resolve_run  # noqa: E402


def held_out_set(words: list[str], out: Path, per_word: int) -> Path:
    from core.data.synth import synthesize_dataset

    synthesize_dataset(
        words,
        out,
        per_word=per_word,
        seed=7,
        engines=[HELD_OUT_ENGINE],
        unknown_per_word=max(4, per_word // 8),
        negatives=False,
        carriers=False,
    )
    return out


def clip_figures(run, data: Path) -> dict:
    from core.config import is_keyword
    from core.model.evaluate import evaluate_folder

    result = evaluate_folder(run, data)
    labels = result.labels
    words = [i for i, label in enumerate(labels) if is_keyword(label)]
    unknown = labels.index("_unknown_")
    confusion = result.confusion
    recall = {labels[i]: confusion[i][i] / max(1, sum(confusion[i])) for i in words}
    others = sum(confusion[unknown])
    taken = sum(confusion[unknown][i] for i in words)
    return {
        "keyword_recall": recall,
        "other_words": others,
        "other_words_taken_for_keyword": taken / others if others else None,
        "accuracy": result.accuracy,
    }


def clip_detection_figures(run, data: Path) -> dict:
    """The clip figures at the run's calibrated recognizer: each clip of the held-out set alone, after
    1 s and before 0.5 s of quiet background noise, through `detect`'s streaming path; a keyword clip
    counts when its word is detected, an other-word clip is a false accept when any keyword is."""
    import numpy as np

    from core.audio.files import read_audio
    from core.audio.samples import to_int16
    from core.audio.sources import ArraySource
    from core.live.detector import LiveDetector, load_run_model

    rng = np.random.default_rng(0)
    noise = [read_audio(p) for p in sorted((data / "_background_noise_").glob("*.wav"))]
    words = run.config.words
    detected: dict[str, list[int]] = {w: [0, 0] for w in [*words, "_other_"]}
    run_dir, model = load_run_model(run)  # once, not per clip as detect_file would
    for folder in sorted(p for p in data.iterdir() if p.is_dir() and not p.name.startswith("_")):
        group = folder.name if folder.name in words else "_other_"
        for path in sorted(folder.glob("*.wav")):
            clip = read_audio(path)
            bed = noise[int(rng.integers(len(noise)))] if noise else np.zeros(0, np.float32)
            bed = np.resize(bed, len(clip) + 24000) * np.float32(rng.uniform(0.0, 0.05))
            bed[16000 : 16000 + len(clip)] += clip
            # As the 16-bit WAV detect_file would read back (int16 / 32768), in detect_file's chunks.
            recorded = to_int16(np.clip(bed, -1, 1)).astype(np.float32) / np.float32(32768)
            source = ArraySource(recorded, chunk_ms=2000)
            labels = {d.label for d in LiveDetector(run_dir, source, model=model).detections()}
            hit = group in labels if group != "_other_" else bool(labels)
            detected[group][0] += int(hit)
            detected[group][1] += 1
    return {
        "keyword_recall": {w: detected[w][0] / max(1, detected[w][1]) for w in words},
        "other_words": detected["_other_"][1],
        "other_words_taken_for_keyword": detected["_other_"][0] / max(1, detected["_other_"][1]),
    }


def stream_figures(run, data: Path | None, negatives: list[Path]) -> dict:
    from core.model.stream_eval import evaluate_stream

    m = evaluate_stream(run, data, negatives).metrics
    return {
        "frr": m.frr,
        "per_word": {
            w.word: {"frr": w.frr, "missed": w.missed, "keywords": w.keywords, "fa": w.false_accepts}
            for w in m.words
        },
        "fa_per_hour": m.fa_per_hour,
        "fa_per_hour_upper95": m.fa_per_hour_upper95,
        "negative_hours": m.negative_hours,
        "recognizer": m.recognizer,
    }


def real_negative_figures(run, wavs: list[Path]) -> dict:
    from core.live.detector import detect_file

    seconds, found = 0.0, []
    for wav in wavs:
        from core.audio.files import read_audio

        seconds += len(read_audio(wav)) / 16000
        found += [(wav.name, d.time_ms / 1000, d.label) for d in detect_file(run, wav)]
    return {
        "seconds": seconds,
        "false_accepts": len(found),
        "fa_per_hour": len(found) / (seconds / 3600) if seconds else None,
        "detections": found,
    }


def real_phrase_figures(run, folder: Path) -> dict:
    from core.live.detector import detect_file

    out = {}
    for word_dir in sorted(p for p in folder.iterdir() if p.is_dir()):
        for wav in sorted(word_dir.glob("*.wav")):
            labels = [d.label for d in detect_file(run, wav)]
            out[f"{word_dir.name}/{wav.name}"] = {
                "said": word_dir.name,
                "detected": labels,
                "ok": word_dir.name in labels,
            }
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run")
    parser.add_argument("--per-word", type=int, default=100)
    parser.add_argument(
        "--held-out-dir", type=Path, help="where to make (or reuse) the held-out engine's clips"
    )
    parser.add_argument("--real-negatives", nargs="*", type=Path, default=[])
    parser.add_argument("--real-phrases", type=Path)
    args = parser.parse_args()

    run = resolve_run(args.run)
    words = run.config.words
    folder = args.held_out_dir or Path(tempfile.mkdtemp(prefix="wakebench-heldout-"))
    held_out_set(words, folder, args.per_word)
    report = {
        "run": str(run.path),
        "recognizer": {
            k: getattr(run.config.recognizer, k)
            for k in ("average_window_ms", "detection_threshold", "inference_every_frames")
        },
        "held_out_engine": HELD_OUT_ENGINE,
        "held_out_clips": clip_figures(run, folder),
        "held_out_clips_detected": clip_detection_figures(run, folder),
        "held_out_streams": stream_figures(run, folder, []),
        "testing_split_streams": stream_figures(run, None, []),
    }
    if args.real_negatives:
        report["real_negatives"] = real_negative_figures(run, args.real_negatives)
    if args.real_phrases:
        report["real_phrases"] = real_phrase_figures(run, args.real_phrases)
    print(json.dumps(report, indent=1, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
