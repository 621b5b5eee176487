"""Train the small default stop/go model that ships in firmware/wakebench/ so the sketch builds and runs
out of the box, and generate model_data.cc/.h and model_settings.h from it.

It is deliberately quick (synthetic espeak speech, a few hundred steps of tiny_conv): a working
placeholder, not the recipe's model. Replace it with a fully trained one by exporting a run:
`wakebench export RUN --firmware-dir firmware/wakebench` (see firmware/README.md).

    python firmware/tools/make_default_model.py            # about two minutes on two cores
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from core.audio import fit_clip, read_wav  # noqa: E402
from core.codegen import FIRMWARE_OPS, firmware_model, model_sha8, write_firmware_files  # noqa: E402
from core.config import DataSettings, ProjectConfig  # noqa: E402
from core.data.dataset import build_index  # noqa: E402
from core.data.synth import synthesize_dataset  # noqa: E402
from core.features import compute_features, quantize_input, to_model_input  # noqa: E402

SKETCH_DIR = ROOT / "firmware" / "wakebench"
REPORT = ROOT / "firmware" / "default_model_report.json"


def load_clips(entries, background: list[np.ndarray], samples: int, rng: np.random.Generator, augment: bool):
    """Fixed-length clips: keyword audio shifted up to 100 ms, mixed with background noise (as in
    TF speech_commands); silence is background noise alone."""
    out = np.zeros((len(entries), samples), np.float32)
    shift_max = samples // 10
    for i, entry in enumerate(entries):
        clip = (
            np.zeros(samples, np.float32) if entry.path is None else fit_clip(read_wav(entry.path), samples)
        )
        if augment and entry.path is not None:
            clip = np.roll(clip, int(rng.integers(-shift_max, shift_max + 1)))
        if background and (entry.path is None or (augment and rng.random() < 0.8)):
            noise = background[int(rng.integers(len(background)))]
            start = int(rng.integers(0, len(noise) - samples))
            volume = rng.uniform(0, 0.1) if entry.path is not None else rng.uniform(0, 1.0)
            clip = np.clip(clip + volume * noise[start : start + samples], -1, 1)
        out[i] = clip
    return out


def tiny_conv(frames: int, bins: int, labels: int, batch_size: int | None = None):
    import tensorflow as tf

    return tf.keras.Sequential(
        [
            tf.keras.layers.Input((frames, bins, 1), batch_size=batch_size),
            tf.keras.layers.Conv2D(8, (10, 8), strides=(2, 2), padding="same", activation="relu"),
            tf.keras.layers.Dropout(0.2),
            tf.keras.layers.Reshape((((frames + 1) // 2) * ((bins + 1) // 2) * 8,)),
            tf.keras.layers.Dense(labels),
            tf.keras.layers.Softmax(),
        ]
    )


def measure_arena(model: bytes) -> int:
    """Smallest arena (in 256-byte steps) with which the TFLM interpreter allocates the model."""
    from tflite_micro import runtime

    low, high = 256, 1 << 20
    while high - low > 256:
        mid = (low + high) // 2 // 256 * 256
        try:
            runtime.Interpreter.from_bytes(model, arena_size=mid)
            high = mid
        except Exception:  # noqa: BLE001 - the runtime raises a bare RuntimeError when it does not fit
            low = mid
    return high


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", default=str(ROOT / "build" / "default_model"), help="scratch folder")
    parser.add_argument("--per-word", type=int, default=250)
    parser.add_argument("--steps", type=int, default=600)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    started = time.monotonic()

    import tensorflow as tf
    from tflite_micro import runtime

    tf.keras.utils.set_random_seed(args.seed)
    work = Path(args.work)
    config = ProjectConfig(
        words=["stop", "go"],
        data=DataSettings(synthetic_dir="synthetic", recordings_dir="none", captures_dir="none"),
    )
    synthesize_dataset(config.words, work / "synthetic", per_word=args.per_word, seed=args.seed)
    index = build_index(config, work)
    labels = index.labels
    features_cfg = config.features
    rng = np.random.default_rng(args.seed)
    background = [read_wav(p) for p in index.background_files]

    train = [e for e in index.entries if e.split == "training"]
    held_out = [e for e in index.entries if e.split != "training"]
    y_train = np.array([labels.index(e.label) for e in train])
    y_held = np.array([labels.index(e.label) for e in held_out])
    print(f"{len(train)} training clips, {len(held_out)} held out, labels {labels}", flush=True)

    # Three augmented variants of the training set, one clean held-out set.
    x_train = np.concatenate(
        [
            compute_features(
                load_clips(train, background, features_cfg.clip_samples, rng, True), features_cfg
            )
            for _ in range(3)
        ]
    )
    y_train = np.tile(y_train, 3)
    held_u16 = compute_features(
        load_clips(held_out, background, features_cfg.clip_samples, rng, False), features_cfg
    )

    model = tiny_conv(features_cfg.frames, features_cfg.channels, len(labels))
    model.compile(tf.keras.optimizers.Adam(0.001), "sparse_categorical_crossentropy", metrics=["accuracy"])
    batch = 100
    epochs = max(1, round(args.steps * batch / len(x_train)))
    model.fit(to_model_input(x_train)[..., None], y_train, batch_size=batch, epochs=epochs, verbose=2)
    float_acc = model.evaluate(to_model_input(held_u16)[..., None], y_held, verbose=0)[1]

    def representative():
        for i in rng.choice(len(x_train), 200, replace=False):
            yield [to_model_input(x_train[i : i + 1])[..., None]]

    # Batch 1, fixed shapes: the firmware's input is [1, frames, bins, 1] and no shape ops get in.
    fixed = tiny_conv(features_cfg.frames, features_cfg.channels, len(labels), batch_size=1)
    fixed.set_weights(model.get_weights())
    converter = tf.lite.TFLiteConverter.from_keras_model(fixed)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = representative
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = tf.int8
    converter.inference_output_type = tf.int8
    tflite_model = converter.convert()

    ops = sorted({op["op_name"] for op in tf.lite.Interpreter(model_content=tflite_model)._get_ops_details()})
    if not set(ops) <= set(FIRMWARE_OPS):
        raise SystemExit(f"model uses ops the firmware lacks: {sorted(set(ops) - set(FIRMWARE_OPS))}")

    arena = measure_arena(tflite_model)
    interpreter = runtime.Interpreter.from_bytes(tflite_model, arena_size=arena)
    scale, zero_point = (
        interpreter.get_input_details(0)["quantization_parameters"]["scales"][0],
        int(interpreter.get_input_details(0)["quantization_parameters"]["zero_points"][0]),
    )
    correct = 0
    for features, label in zip(held_u16, y_held, strict=True):
        interpreter.set_input(quantize_input(features, scale, zero_point)[None, ..., None], 0)
        interpreter.invoke()
        correct += int(np.argmax(interpreter.get_output(0)[0]) == label)
    int8_acc = correct / len(y_held)

    spec = firmware_model(
        tflite_model, labels, features_cfg, config.recognizer, arena, float(scale), zero_point
    )
    write_firmware_files(spec, SKETCH_DIR)
    report = {
        "model_sha8": model_sha8(tflite_model),
        "model_bytes": len(tflite_model),
        "arena_bytes_measured": arena,
        "labels": labels,
        "ops": ops,
        "input_scale": float(scale),
        "input_zero_point": zero_point,
        "training_clips": len(train),
        "held_out_clips": len(held_out),
        "epochs": epochs,
        "float_accuracy_held_out": round(float(float_acc), 4),
        "int8_accuracy_held_out_tflm": round(int8_acc, 4),
        "data": f"synthetic espeak-ng speech, {args.per_word} clips per word, seed {args.seed}",
        "seconds": round(time.monotonic() - started, 1),
    }
    REPORT.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
