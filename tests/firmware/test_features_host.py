"""The firmware's input quantization equals core.features.quantize.quantize_input bit for bit, and its feature
ring buffer hands the model the last N frames oldest first."""

from __future__ import annotations

import numpy as np
from host_build import run_driver

from core.features.quantize import FLOAT_SCALE, quantize_input


def test_quantization_matches_python(host_build):
    rng = np.random.default_rng(3)
    values = np.concatenate([np.arange(0, 1100), rng.integers(0, 65536, 2000), [65535]]).astype(np.uint16)
    # Scales of real exported models, one that makes exact .5 ties (round half to even), and odd ones.
    cases = [
        (0.0390625 * 2, 0),
        (0.101961, -128),
        (0.0999, -128),
        (0.0784314, -128),
        (0.5, 3),
        (0.0235, -100),
    ]
    for scale, zero_point in cases:
        request = f"Q {FLOAT_SCALE!r} {scale!r} {zero_point} " + " ".join(map(str, values.tolist())) + "\n"
        cpp = np.array(run_driver(host_build, "features_driver", request)[0].split(), dtype=np.int64)
        python = quantize_input(values, scale, zero_point).astype(np.int64)
        assert np.array_equal(cpp, python), (
            f"scale {scale}: first differences at {np.nonzero(cpp != python)[0][:5]}"
        )


def test_ring_buffer_gives_the_last_frames_oldest_first(host_build):
    frames, bins, pushes, fill = 49, 40, 130, -128
    output = run_driver(host_build, "features_driver", f"R {frames} {bins} {pushes} {fill}\n")
    assert len(output) == pushes
    for k, line in enumerate(output):
        window_text, filled = line.split("|")
        window = [int(x) for x in window_text.split()]
        expected = [fill] * max(0, frames - (k + 1)) + [i % 100 for i in range(max(0, k + 1 - frames), k + 1)]
        assert window == expected, f"after push {k}"
        assert int(filled) == min(k + 1, frames)


def test_audio_ring_copies_recent_samples_and_reports_overwritten_ones(host_build):
    def copy(capacity, pushes, index, count):
        return run_driver(host_build, "features_driver", f"G {capacity} {pushes} {index} {count}\n")[
            0
        ].split()

    assert copy(64, 100, 40, 8) == ["ok", *map(str, range(40, 48))]  # the newest 64 are 36..99
    assert copy(64, 100, 36, 64) == ["ok", *map(str, range(36, 100))]
    assert copy(64, 100, 35, 4) == ["lost"]  # sample 35 was overwritten by 99
    assert copy(64, 100, 98, 4) == ["lost"]  # 100 and 101 are not captured yet
