"""How fast batch feature extraction (the TFLM micro frontend, core.features.frontend) runs on ONE core, and how
fast cached features load back.

The process is pinned to one CPU and TensorFlow to one thread for intra- and inter-op work, so the
figure is per core. Target: >= 1,000x real time. Usage:
    python bench/feature_speed.py [--clips 4000]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=4000, help="1 s clips per batch run")
    args = parser.parse_args()

    os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    import numpy as np

    from core.model.tflm import quiet_stderr

    with quiet_stderr():  # TensorFlow's C++ start-up notes
        import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(1)
    tf.config.threading.set_inter_op_parallelism_threads(1)

    from core.audio.samples import to_int16
    from core.config import FeatureSettings
    from core.features.frontend import compute_features

    settings = FeatureSettings()
    rng = np.random.default_rng(0)
    # Speech-like input: noise bursts and tones at varied levels (the frontend's cost does not depend
    # much on content, but PCAN/noise reduction take their real paths).
    t = np.arange(settings.clip_samples) / settings.sample_rate
    clips = np.stack(
        [
            0.3 * rng.uniform(0.05, 1) * np.sin(2 * np.pi * rng.uniform(100, 4000) * t)
            + 0.05 * rng.standard_normal(settings.clip_samples)
            for _ in range(args.clips)
        ]
    ).astype(np.float32)
    pcm = to_int16(clips)
    audio_s = args.clips * settings.clip_ms / 1000

    start = time.perf_counter()
    compute_features(pcm[:8], settings)
    first = time.perf_counter() - start  # builds the graph once per process
    best = float("inf")
    cpu_best = float("inf")
    for _ in range(3):
        cpu, wall = time.process_time(), time.perf_counter()
        features = compute_features(pcm, settings)
        best = min(best, time.perf_counter() - wall)
        cpu_best = min(cpu_best, time.process_time() - cpu)
    assert features.shape == (args.clips, settings.frames, settings.channels)

    print(f"CPUs allowed: {sorted(os.sched_getaffinity(0))}; TF threads: intra 1, inter 1")
    print(f"graph build + first call: {first:.2f} s (once per process)")
    print(
        f"batch features: {args.clips} x 1 s clips in {best:.2f} s wall ({cpu_best:.2f} s CPU) = "
        f"{best / args.clips * 1e3:.3f} ms per clip = {audio_s / best:,.0f}x real time on one core "
        f"[target >= 1,000x]"
    )

    # The cache: time to compute-and-store, then to load back, the same number of clips from WAVs.
    from core.audio.files import write_wav
    from core.features.cache import ClipRequest, compute_clip_features

    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for i in range(min(args.clips, 1000)):
            path = Path(tmp) / "clips" / f"c{i}.wav"
            path.parent.mkdir(exist_ok=True)
            write_wav(path, clips[i])
            paths.append(path)
        from core.features.cache import request_for

        requests: list[ClipRequest] = [request_for(p) for p in paths]
        cache = Path(tmp) / "cache"
        wall = time.perf_counter()
        cold = compute_clip_features(requests, settings, [], cache_dir=cache)
        cold_s = time.perf_counter() - wall
        wall = time.perf_counter()
        warm = compute_clip_features(requests, settings, [], cache_dir=cache)
        warm_s = time.perf_counter() - wall
        assert cold.computed == len(paths) and warm.computed == 0
        print(
            f"cache: {len(paths)} WAV clips read + featurised + stored in {cold_s:.2f} s; "
            f"loaded back in {warm_s:.3f} s ({cold_s / max(warm_s, 1e-9):.0f}x faster)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
