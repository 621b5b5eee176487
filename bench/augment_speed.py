"""What the training augmentation costs on ONE core: the seed's recipe (shift + noise) against the default
one (speed, room, microphone, noise at an SNR, gain; SpecAugment is applied to features and is cheap), per
variant, and for the training split of a dataset (clips x augment_variants).

Audio only: the feature frontend's cost is bench/feature_speed.py's. Usage:
    python bench/augment_speed.py [--data DIR] [--clips 300]
DIR is a synthetic set (default: a new small one is made); its _background_noise_/ is the noise.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, help="a synthetic dataset folder (default: make a small one)")
    parser.add_argument("--clips", type=int, default=300, help="clips to augment per recipe")
    args = parser.parse_args()
    os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})

    import numpy as np

    from core.audio.files import read_audio
    from core.audio.samples import fit_clip
    from core.config import BACKGROUND_NOISE_DIR, ProjectConfig, TrainingSettings
    from core.data.dataset import build_index
    from core.data.synth import synthesize_dataset
    from core.features.augment import AugmentSettings, augment_clip, room_spectra
    from core.features.rooms import rir_bank

    data = args.data
    if data is None:
        data = Path(tempfile.mkdtemp(prefix="wakebench-augment-bench-")) / "data" / "synthetic"
        synthesize_dataset(["stop", "go"], data, per_word=60, sentence_takes=1)
    clips = [fit_clip(read_audio(p), 16000) for p in sorted(data.rglob("*_nohash_*.wav"))[: args.clips]]
    noise = [read_audio(p) for p in sorted((data / BACKGROUND_NOISE_DIR).glob("*.wav"))]
    training = TrainingSettings()
    recipes = {"seed recipe": AugmentSettings(), "default recipe": AugmentSettings.from_training(training)}
    start = time.perf_counter()
    rooms = room_spectra(rir_bank(recipes["default recipe"].rir_count, 16000))
    print(
        f"room bank            {len(rooms)} rooms simulated in {time.perf_counter() - start:.1f} s (once per process)"
    )
    per_variant = {}
    for name, settings in recipes.items():
        rng = np.random.default_rng(0)
        start = time.perf_counter()
        for clip in clips:
            for _ in range(training.augment_variants):
                augment_clip(clip, noise, settings, 16000, 16000, rng, True, rooms)
        per_variant[name] = (time.perf_counter() - start) / (len(clips) * training.augment_variants)
        print(f"{name:<20} {per_variant[name] * 1000:.2f} ms per variant (one core)")
    config = ProjectConfig(words=["stop", "go"])
    config = dataclasses.replace(
        config, data=dataclasses.replace(config.data, synthetic_dir=str(data.resolve()))
    )
    index = build_index(config, data)
    train = len(index.split("training"))
    variants = train * training.augment_variants
    for name, seconds in per_variant.items():
        print(
            f"training split       {train} clips x {training.augment_variants} variants: {name} {variants * seconds:.0f} s"
        )
    print(f"load average         {os.getloadavg()[0]:.1f} (the machine is shared; figures are upper bounds)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
