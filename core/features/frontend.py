"""Micro frontend features: the same algorithm the firmware runs (TFLM's audio micro frontend).

Batch extraction uses TensorFlow's wheel-shipped `audio_microfrontend` op, compiled once into a graph
and mapped over many clips. Each clip starts from a fresh frontend state, as in training.
TensorFlow is imported on first use only.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from core.audio.samples import to_int16
from core.config import FeatureSettings


def _frontend_kwargs(settings: FeatureSettings) -> dict[str, Any]:
    return dict(
        sample_rate=settings.sample_rate,
        window_size=settings.window_ms,
        window_step=settings.stride_ms,
        num_channels=settings.channels,
        upper_band_limit=settings.upper_band_hz,
        lower_band_limit=settings.lower_band_hz,
        smoothing_bits=settings.smoothing_bits,
        even_smoothing=settings.even_smoothing,
        odd_smoothing=settings.odd_smoothing,
        min_signal_remaining=settings.min_signal_remaining,
        enable_pcan=settings.enable_pcan,
        pcan_strength=settings.pcan_strength,
        pcan_offset=settings.pcan_offset,
        gain_bits=settings.gain_bits,
        enable_log=settings.enable_log,
        scale_shift=settings.scale_shift,
        out_scale=1,
    )


@functools.lru_cache(maxsize=8)
def _batch_graph(settings: FeatureSettings, samples: int) -> Any:
    import tensorflow as tf  # lazy: TensorFlow takes seconds to import

    # lazy: TensorFlow takes seconds to import
    from tensorflow.lite.experimental.microfrontend.python.ops import audio_microfrontend_op as frontend

    kwargs = _frontend_kwargs(settings)
    frames = 1 + (samples - settings.window_samples) // settings.stride_samples

    def one(clip: Any) -> Any:
        return frontend.audio_microfrontend(clip, out_type=tf.uint16, **kwargs)

    @tf.function(input_signature=[tf.TensorSpec([None, samples], tf.int16)])
    def run(batch: Any) -> Any:
        return tf.map_fn(
            one,
            batch,
            fn_output_signature=tf.TensorSpec([frames, settings.channels], tf.uint16),
            parallel_iterations=16,
        )

    return run


def compute_features(clips: np.ndarray, settings: FeatureSettings) -> np.ndarray:
    """Frontend output (uint16) of each clip: `[N, samples]` -> `[N, frames, channels]`.

    A single clip `[samples]` gives `[frames, channels]`. Every clip starts from a fresh frontend state.
    """
    clips = np.asarray(clips)
    single = clips.ndim == 1
    batch = to_int16(clips[None] if single else clips)
    if batch.shape[1] < settings.window_samples:
        raise ValueError(f"clips of {batch.shape[1]} samples are shorter than one window")
    out = _batch_graph(settings, batch.shape[1])(batch).numpy()
    return out[0] if single else out


def compute_stream_features(audio: np.ndarray, settings: FeatureSettings) -> np.ndarray:
    """Frontend output over one long recording with the state carried from frame to frame, as on the
    board: `[samples]` -> `[frames, channels]` (uint16)."""
    import tensorflow as tf  # lazy: TensorFlow takes seconds to import

    # lazy: TensorFlow takes seconds to import
    from tensorflow.lite.experimental.microfrontend.python.ops import audio_microfrontend_op as frontend

    pcm = to_int16(np.asarray(audio).reshape(-1))
    if pcm.size < settings.window_samples:
        return np.zeros((0, settings.channels), np.uint16)
    out = frontend.audio_microfrontend(tf.constant(pcm), out_type=tf.uint16, **_frontend_kwargs(settings))
    return out.numpy()
