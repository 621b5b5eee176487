"""From frontend output (uint16) to what the model takes: float training input and int8 board input.

Kept apart from `frontend` (which needs TensorFlow) so the board stage and the interpreter can quantize
features without importing TensorFlow.
"""

from __future__ import annotations

import numpy as np

# TF speech_commands scales the frontend's uint16 output by 10/256 before the model ("micro" preprocess).
FLOAT_SCALE = 10.0 / 256.0


def to_model_input(features: np.ndarray) -> np.ndarray:
    """uint16 frontend output -> the float32 values the model is trained on."""
    return features.astype(np.float32) * FLOAT_SCALE


def quantize_input(features: np.ndarray, scale: float, zero_point: int) -> np.ndarray:
    """uint16 frontend output -> int8 model input, with the model's input quantization (as the firmware does)."""
    q = np.round(features.astype(np.float32) * FLOAT_SCALE / scale) + zero_point
    return np.clip(q, -128, 127).astype(np.int8)


def dequantize_input(values: np.ndarray, scale: float, zero_point: int) -> np.ndarray:
    """int8 model input -> the uint16 frontend output it came from (to within one quantization step):
    what a board's feature frames (`F` lines) looked like before quantization, for drawing them."""
    features = (values.astype(np.float32) - zero_point) * scale / FLOAT_SCALE
    return np.clip(np.round(features), 0, 65535).astype(np.uint16)
