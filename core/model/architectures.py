"""Model architectures, by name: each builds a Keras model from the feature shape and the label count.

A model maps float features `[batch, frames, channels, 1]` (see `core.features.quantize.to_model_input`) to
logits `[batch, n_labels]`; dropout is active only when it is called with `training=True`. Export adds
the softmax and fixes the batch to 1. More architectures are added with `register_model`.
Keras and TensorFlow are imported inside the builders, never at import time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from core.config import FeatureSettings
from core.errors import ConfigError

DEFAULT_MODEL = "wake_tc"  # the [training] default (core.config)


@dataclass(frozen=True)
class ModelSpec:
    """A named architecture."""

    name: str
    description: str
    build: Callable[[FeatureSettings, int, int], Any]
    """(feature settings, number of labels, seed) -> a Keras model (any batch) returning logits."""


_REGISTRY: dict[str, ModelSpec] = {}


def register_model(spec: ModelSpec) -> ModelSpec:
    """Add (or replace) an architecture; returns it so it can be used as a decorator result."""
    _REGISTRY[spec.name] = spec
    return spec


def model_names() -> list[str]:
    return sorted(_REGISTRY)


def get_model_spec(name: str) -> ModelSpec:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ConfigError(f"unknown model {name!r}", f"known models: {', '.join(model_names())}") from None


def build_model(name: str, features: FeatureSettings, n_labels: int, seed: int = 0) -> Any:
    """A fresh Keras model of architecture `name`, weights initialised from `seed`."""
    return get_model_spec(name).build(features, n_labels, seed)


def _bit_dropout_class() -> type:
    """Defined lazily so that importing this module does not import Keras."""
    global _BitDropout, _BIT_MASKS
    if _BitDropout is not None:
        return _BitDropout
    import keras  # lazy: TensorFlow takes seconds to import
    import tensorflow as tf  # lazy: TensorFlow takes seconds to import

    class BitDropout(keras.layers.Layer):
        """Dropout drawing random bits instead of one random float per activation.

        Keras' Dropout draws a float32 per activation and selects with tf.where; on a CPU that costs
        half as much as tiny_conv's whole training step. At rate 0.5 one random bit decides each
        activation (1/32 of the random numbers); other rates use one random byte (rate quantised
        to 1/256). The masks are the same Bernoulli masks.
        """

        def __init__(self, rate: float, seed: int | None = None, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            if not 0.0 <= rate < 1.0:
                raise ValueError(f"dropout rate must be in [0, 1), got {rate}")
            self.rate = rate
            self.threshold = round(rate * 256)
            self.seed_generator = keras.random.SeedGenerator(seed)

        def call(self, inputs: Any, training: bool = False) -> Any:
            if not training or self.threshold == 0:
                return inputs
            seed = tf.cast(self.seed_generator.next(), tf.int32)
            n = tf.size(inputs)
            scale = 256.0 / (256 - self.threshold)
            if self.threshold == 128:  # rate 0.5: each random bit is one keep/drop decision
                words = tf.random.stateless_uniform(
                    [(n + 31) // 32, 1], seed=seed, minval=None, maxval=None, dtype=tf.int32
                )
                keep = tf.not_equal(tf.bitwise.bitwise_and(words, _BIT_MASKS), 0)
            else:  # other rates: one random byte per activation
                words = tf.random.stateless_uniform(
                    [(n + 3) // 4], seed=seed, minval=None, maxval=None, dtype=tf.int32
                )
                keep = tf.bitcast(words, tf.uint8) >= self.threshold
            # A multiply by a 0/scale mask: its gradient is one multiply too (tf.where costs 3x more).
            mask = tf.reshape(tf.reshape(tf.cast(keep, inputs.dtype), [-1])[:n], tf.shape(inputs)) * scale
            return inputs * mask

        def get_config(self) -> dict[str, Any]:
            return {**super().get_config(), "rate": self.rate}

    _BIT_MASKS = tf.constant([1 << i for i in range(31)] + [-(1 << 31)], tf.int32)
    _BitDropout = BitDropout
    return BitDropout


_BitDropout: type | None = None
_BIT_MASKS: Any = None  # int32 [32]: bit i set in element i


def _tiny_conv(features: FeatureSettings, n_labels: int, seed: int) -> Any:
    """TF speech_commands' tiny_conv: one 10x8 (time x frequency) convolution with 8 filters, stride 2,
    ReLU, dropout 0.5 while training, and a fully connected layer to the labels."""
    import keras  # lazy: TensorFlow takes seconds to import

    def init(k: int) -> Any:  # as tf speech_commands models.py
        return keras.initializers.TruncatedNormal(stddev=0.01, seed=seed * 100 + k)

    inputs = keras.Input((features.frames, features.channels, 1), name="features")
    x = keras.layers.Conv2D(
        8, (10, 8), strides=(2, 2), padding="same", activation="relu", kernel_initializer=init(1), name="conv"
    )(inputs)
    x = _bit_dropout_class()(0.5, seed=seed * 100 + 2, name="dropout")(x)
    x = keras.layers.Flatten(name="flatten")(x)
    logits = keras.layers.Dense(n_labels, kernel_initializer=init(3), name="logits")(x)
    return keras.Model(inputs, logits, name="tiny_conv")


register_model(
    ModelSpec(
        "tiny_conv",
        "TF micro_speech tiny_conv: Conv2D 8x(10x8)/2 + ReLU + fully connected (~16.7k int8 weights for 4 labels)",
        _tiny_conv,
    )
)


def _conv_bn_relu(x: Any, layer: Any, name: str) -> Any:
    """layer -> batch norm -> ReLU (the converter folds the norm into the layer's weights)."""
    import keras

    x = layer(x)
    x = keras.layers.BatchNormalization(name=f"{name}_bn")(x)
    return keras.layers.ReLU(name=f"{name}_relu")(x)


def _ds_block(
    x: Any, filters: int, strides: tuple[int, int], name: str, seed: int, kernel: tuple[int, int] = (3, 3)
) -> Any:
    """Depthwise `kernel` (3x3; 9x1 along time is the time-channel separable convolution of TC-ResNet /
    MatchboxNet), optionally strided, then pointwise 1x1 convolution, each with batch norm + ReLU."""
    import keras

    init = keras.initializers.HeNormal(seed=seed)
    x = _conv_bn_relu(
        x,
        keras.layers.DepthwiseConv2D(
            kernel,
            strides=strides,
            padding="same",
            use_bias=False,
            depthwise_initializer=init,
            name=f"{name}_dw",
        ),
        f"{name}_dw",
    )
    return _conv_bn_relu(
        x,
        keras.layers.Conv2D(filters, (1, 1), use_bias=False, kernel_initializer=init, name=f"{name}_pw"),
        f"{name}_pw",
    )


def _pooled_head(x: Any, n_labels: int, dropout: float, seed: int) -> Any:
    """Average over the whole remaining time x frequency map (AVERAGE_POOL_2D), dropout, logits."""
    import keras

    x = keras.layers.AveragePooling2D(pool_size=tuple(x.shape[1:3]), name="pool")(x)
    x = keras.layers.Flatten(name="flatten")(x)
    if dropout:
        x = _bit_dropout_class()(dropout, seed=seed * 100 + 7, name="dropout")(x)
    return keras.layers.Dense(
        n_labels, kernel_initializer=keras.initializers.GlorotUniform(seed=seed * 100 + 8), name="logits"
    )(x)


def _ds_cnn(features: FeatureSettings, n_labels: int, seed: int) -> Any:
    """A DS-CNN (Zhang et al. 2017, "Hello Edge") sized for the EdgeBadge: a 10x4 convolution with 64
    filters, stride 2 in time and 4 in frequency (40 filterbank channels -> 10; DS-CNN's MFCCs have 10),
    four depthwise-separable blocks of 64, global average pooling and a fully connected layer."""
    import keras

    inputs = keras.Input((features.frames, features.channels, 1), name="features")
    init = keras.initializers.HeNormal(seed=seed * 100 + 1)
    x = _conv_bn_relu(
        inputs,
        keras.layers.Conv2D(
            64, (10, 4), strides=(2, 4), padding="same", use_bias=False, kernel_initializer=init, name="conv"
        ),
        "conv",
    )
    for i in range(4):
        x = _ds_block(x, 64, (1, 1), f"ds{i + 1}", seed * 100 + 10 + i)
    return keras.Model(inputs, _pooled_head(x, n_labels, 0.2, seed), name="ds_cnn")


def _wake_ds(features: FeatureSettings, n_labels: int, seed: int) -> Any:
    """wakebench's own small model for the seed's budget (<= 20 KB int8, <= 16 KB arena): tiny_conv's
    10x8/2 convolution with 16 filters, then two depthwise-separable blocks (the first strided, 32
    filters) and global average pooling instead of tiny_conv's 16k-weight fully connected layer — so it
    does not care where in the 1 s window the word is, which is what a stream needs."""
    import keras

    inputs = keras.Input((features.frames, features.channels, 1), name="features")
    init = keras.initializers.HeNormal(seed=seed * 100 + 1)
    x = _conv_bn_relu(
        inputs,
        keras.layers.Conv2D(
            16, (10, 8), strides=(2, 2), padding="same", use_bias=False, kernel_initializer=init, name="conv"
        ),
        "conv",
    )
    x = _ds_block(x, 32, (2, 2), "ds1", seed * 100 + 10)
    x = _ds_block(x, 32, (1, 1), "ds2", seed * 100 + 11)
    return keras.Model(inputs, _pooled_head(x, n_labels, 0.1, seed), name="wake_ds")


def _wake_tc(features: FeatureSettings, n_labels: int, seed: int) -> Any:
    """wakebench's temporal model: a 3-frame convolution across all filterbank channels at once (so each
    of its 48 filters sees the whole spectrum: a 1-D convolution over time, as a CONV_2D TFLM runs),
    then three time-separable blocks (depthwise 9x1 along time, pointwise to 48/64/64 filters, the first
    two strided) whose view covers the whole 1 s window, and global average pooling."""
    import keras

    inputs = keras.Input((features.frames, features.channels, 1), name="features")
    init = keras.initializers.HeNormal(seed=seed * 100 + 1)
    x = _conv_bn_relu(
        inputs,
        keras.layers.Conv2D(
            48,
            (3, features.channels),
            padding="valid",
            use_bias=False,
            kernel_initializer=init,
            name="conv",
        ),
        "conv",
    )
    for i, (filters, stride) in enumerate(((48, 2), (64, 2), (64, 1))):
        x = _ds_block(x, filters, (stride, 1), f"tc{i + 1}", seed * 100 + 10 + i, kernel=(9, 1))
    return keras.Model(inputs, _pooled_head(x, n_labels, 0.1, seed), name="wake_tc")


register_model(
    ModelSpec(
        "wake_tc",
        "wakebench's temporal model: Conv2D 48x(3x40) across all channels + 3 time-separable blocks "
        "(9x1 depthwise + pointwise 48/64/64) + average pool (~18k weights; for the EdgeBadge)",
        _wake_tc,
    )
)
register_model(
    ModelSpec(
        "ds_cnn",
        "DS-CNN: Conv2D 64x(10x4)/(2,4) + 4 depthwise-separable blocks of 64 + average pool (~21k weights; "
        "for the EdgeBadge's budget)",
        _ds_cnn,
    )
)
register_model(
    ModelSpec(
        "wake_ds",
        "wakebench's own: Conv2D 16x(10x8)/2 + 2 depthwise-separable blocks of 32 + average pool (~3.5k "
        "weights; the seed's 20 KB / 16 KB budget, position-independent)",
        _wake_ds,
    )
)
