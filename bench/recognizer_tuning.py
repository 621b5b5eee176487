"""Which recognizer settings detect best on held-out audio? Measures the RecognizerSettings defaults.

Builds a long recording from the *testing split* of a run's dataset (speakers the model never trained on):
keyword clips and other-word clips in random order, 1.5-3 s apart, over the dataset's background noise.
Runs the exported int8 model (TFLM) on every 20 ms frame of it once, then replays the recognizer
(core.recognize.RecognizeCommands, the board's rules) over those scores for each combination of average
window, threshold and inference stride, and prints hits, misses, false alarms and F1 (a detection of the
right word from its start to 1 s after its end is a hit; any other detection is a false alarm). The strides
always include the configured cadence (`[recognizer] inference_every_frames`, the board's and the PC's).

Usage: python bench/recognizer_tuning.py RUN [--data DIR] [--keywords 150] [--others 100]
DIR is the run's dataset (default: the run config's synthetic_dir in the run's project folder).
Prints the best settings per stride, how robust each is around the configured cadence, and the current
defaults.
"""

from __future__ import annotations

import argparse
import random
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.audio.files import read_audio  # noqa: E402
from core.config import BACKGROUND_NOISE_DIR, RecognizerSettings  # noqa: E402
from core.data import word_folder  # noqa: E402
from core.data.split_rule import which_set  # noqa: E402
from core.features.streaming import stream_features  # noqa: E402
from core.live.detector import load_run_model  # noqa: E402
from core.live.recognize import RecognizeCommands  # noqa: E402
from tests.live.keyword_stream import KeywordStream, build_stream, score_detections  # noqa: E402

WINDOWS_MS = (200, 300, 400, 500, 750, 1000)
THRESHOLDS = (80, 100, 120, 150, 175, 200)
MIN_COUNTS = (2, 3)
MICRO_SPEECH = RecognizerSettings(
    average_window_ms=1000, detection_threshold=200, suppression_ms=1500, minimum_count=3
)
BASE_STRIDES = (1, 2, 4)  # plus the configured cadence(s), see main()


def held_out_stream(config, data_dir: Path, keywords: int, others: int, seed: int) -> KeywordStream:
    rng = random.Random(seed)
    val, test = config.data.validation_percentage, config.data.testing_percentage
    testing = {
        d.name: [p for p in sorted(d.glob("*.wav")) if which_set(p.name, val, test) == "testing"]
        for d in sorted(data_dir.iterdir())
        if d.is_dir() and not d.name.startswith("_")
    }
    word_dirs = {word_folder(w): w for w in config.words}
    kw_files = [(word_dirs[name], p) for name, files in testing.items() if name in word_dirs for p in files]
    other_files = [
        ("_unknown_", p) for name, files in testing.items() if name not in word_dirs for p in files
    ]
    if not kw_files:
        raise SystemExit(f"no testing-split keyword clips in {data_dir}")
    chosen = rng.sample(kw_files, min(keywords, len(kw_files))) + rng.sample(
        other_files, min(others, len(other_files))
    )
    rng.shuffle(chosen)
    clips = [(label, read_audio(path)) for label, path in chosen]
    noise_files = sorted((data_dir / BACKGROUND_NOISE_DIR).glob("*.wav"))
    background = (
        np.concatenate([read_audio(p) for p in noise_files]) if noise_files else np.zeros(16000, np.float32)
    )
    return build_stream(clips, background, seed=seed, noise_level=0.05)


def frame_scores(model, stream: KeywordStream, features_settings) -> tuple[np.ndarray, np.ndarray]:
    """Scores of the model on every full window of the stream, and the time (ms) of each."""
    features = stream_features(stream.audio, features_settings)
    n = features_settings.frames
    times, scores = [], []
    for end in range(n, len(features) + 1):
        scores.append(np.asarray(model.scores(features[end - n : end])))
        times.append((end - 1) * features_settings.stride_ms + features_settings.window_ms)
    return np.array(times), np.array(scores)


def replay(labels, settings: RecognizerSettings, times, scores, stride: int) -> list[tuple[float, str]]:
    """Detections when the model runs every `stride` frames from the first full window (core/live/detector.py's
    and the firmware's rule), whatever `settings.inference_every_frames` says."""
    recognizer = RecognizeCommands(labels, settings)
    found = []
    for t, s in zip(times[::stride], scores[::stride], strict=True):
        d = recognizer.process(s, int(t))
        if d is not None and d.reportable:
            found.append((t / 1000, d.label))
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", help="exported run directory")
    parser.add_argument("--data", type=Path, help="the run's dataset folder (Speech Commands layout)")
    parser.add_argument("--keywords", type=int, default=150, help="keyword clips in the recording")
    parser.add_argument("--others", type=int, default=100, help="other-word clips in the recording")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    run_dir, model = load_run_model(args.run)
    config = run_dir.config
    data_dir = args.data or run_dir.project_dir / config.data.synthetic_dir
    stream = held_out_stream(config, data_dir, args.keywords, args.others, args.seed)
    print(
        f"held-out recording: {stream.duration_s / 60:.1f} min, {len(stream.keyword_events())} keywords "
        f"({', '.join(config.words)}), {len(stream.events) - len(stream.keyword_events())} other words, "
        f"testing split of {data_dir}"
    )
    times, scores = frame_scores(model, stream, config.features)
    labels = list(run_dir.labels)
    base = RecognizerSettings()  # the project's defaults (a run keeps the settings it was trained with)
    print(f"defaults now: {base}; this run's: {config.recognizer}")
    cadences = sorted({base.inference_every_frames, config.recognizer.inference_every_frames})
    strides = sorted(set(BASE_STRIDES) | set(cadences))
    print(
        "inference cadence (inference_every_frames, board and PC): "
        + ", ".join(f"every {c} frames = {c * config.features.stride_ms} ms" for c in cadences)
    )
    results: dict[tuple[int, int, int], dict[int, object]] = {}
    for stride in strides:
        for window in WINDOWS_MS:
            for threshold in THRESHOLDS:
                for count in MIN_COUNTS:
                    settings = replace(
                        base, average_window_ms=window, detection_threshold=threshold, minimum_count=count
                    )
                    found = replay(labels, settings, times, scores, stride)
                    results.setdefault((window, threshold, count), {})[stride] = score_detections(
                        stream, found
                    )

    def line(key, stride):
        s = results[key][stride]
        return f"F1 {s.f1:.3f} (hits {s.hits}/{s.keywords}, {s.false_alarms} false alarms, {s.false_alarms_per_hour:.0f}/h)"

    for name, settings in (("micro_speech", MICRO_SPEECH), ("current defaults", base)):
        for stride in strides:
            found = replay(labels, settings, times, scores, stride)
            s = score_detections(stream, found)
            print(
                f"{name} ({settings.average_window_ms} ms, threshold {settings.detection_threshold}, "
                f"min count {settings.minimum_count}), every {stride}: F1 {s.f1:.3f} (hits {s.hits}/{s.keywords}, "
                f"{s.false_alarms} false alarms, {s.false_alarms_per_hour:.0f}/h)"
            )
    for stride in strides:
        ranked = sorted(results, key=lambda k: -results[k][stride].f1)[:3]
        for key in ranked:
            print(
                f"every {stride}: window {key[0]} ms, threshold {key[1]}, min count {key[2]}: {line(key, stride)}"
            )
    # A board that falls behind infers less often than configured, a fast PC never more: rank by the
    # worst F1 from every frame up to the configured cadence.
    around = [s for s in strides if s <= max(cadences)]
    print(f"most robust (best worst-case F1 over every {', '.join(map(str, around))}):")
    robust = sorted(results, key=lambda k: -min(results[k][s].f1 for s in around))[:5]
    for key in robust:
        per = ", ".join(f"every {s}: {results[key][s].f1:.3f}" for s in strides)
        print(f"  window {key[0]} ms, threshold {key[1]}, min count {key[2]}: {per}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
