"""Training on several devices: `tf.distribute.MirroredStrategy` over a machine's GPUs.

One replica per device, each drawing its part of the batch from the in-graph bank; gradients are summed
across replicas by the optimizer, so a step is the same mean-of-batch update as on one device. With one
device, or none but the CPU, training takes the ordinary single-device path (core.model.train.Trainer).
Asked for N > 1 devices on a machine without GPUs, the CPU is split into N logical devices: that runs the
distributed path for checking it (tests, a laptop before a cluster) and is not faster.
"""

from __future__ import annotations

import contextlib
from typing import Any

from core.config import ProjectConfig
from core.errors import TrainingError
from core.events import EventCallback, Log
from core.features.splits import SplitData
from core.model.architectures import build_model
from core.model.train import Trainer, batch_sampler, summed_gradients


def select_devices(requested: int | str, on_event: EventCallback) -> list[str]:
    """Names of the devices to train on; one name (or none) means the single-device path.

    Must run before TensorFlow's runtime starts in this process (logical CPU devices are fixed then).
    """
    if requested == 1:
        return []
    import tensorflow as tf  # lazy: TensorFlow takes seconds to import

    gpus = tf.config.list_physical_devices("GPU")
    count = max(len(gpus), 1) if requested == "all" else int(requested)
    if count == 1:
        return []
    if gpus:
        if count > len(gpus):
            raise TrainingError(
                f"{count} devices asked for, but this machine has {len(gpus)} GPU(s)",
                f"use --devices {len(gpus)} or --devices all",
            )
        return [f"/gpu:{i}" for i in range(count)]
    cpu = tf.config.list_physical_devices("CPU")[0]
    # Fails once TensorFlow's runtime has started in this process; the count is checked below.
    with contextlib.suppress(RuntimeError):
        tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * count)
    names = [d.name for d in tf.config.list_logical_devices("CPU")]
    if len(names) < count:
        raise TrainingError(
            f"cannot split the CPU into {count} devices: TensorFlow had already started in this process",
            "start training in a new process (the CLI does)",
        )
    on_event(
        Log(f"no GPU: {count} replicas on logical CPU devices (checks the distributed path; not faster)")
    )
    return names[:count]


class MirroredTrainer(Trainer):
    """Trainer whose steps run as one replica per device under MirroredStrategy (same state and API)."""

    def __init__(self, config: ProjectConfig, train: SplitData, devices: list[str]) -> None:
        import keras  # lazy: TensorFlow takes seconds to import
        import tensorflow as tf  # lazy: TensorFlow takes seconds to import

        t = config.training
        strategy = tf.distribute.MirroredStrategy(devices)
        replicas = strategy.num_replicas_in_sync
        if t.batch_size % replicas:
            raise TrainingError(
                f"training.batch_size {t.batch_size} does not split evenly over {replicas} devices",
                f"use a multiple of {replicas}",
            )
        self.config = config
        with strategy.scope():
            self.model = build_model(t.model, config.features, len(config.labels), seed=t.seed)
            self.optimizer = keras.optimizers.Adam(learning_rate=t.learning_rates[0])
            self.optimizer.build(self.model.trainable_variables)
            # Made in the strategy's scope, the generator gives each replica a stream of its own.
            self.generator = tf.random.Generator.from_seed(t.seed)
        model, optimizer, batch = self.model, self.optimizer, t.batch_size
        sample = batch_sampler(train, self.generator)

        def replica_step() -> tuple[Any, Any]:
            x, y = sample(batch // replicas)
            grads, loss_sum, correct = summed_gradients(model, x, y)
            # Each replica's share of the batch mean; the optimizer sums gradients across replicas.
            optimizer.apply([g / batch for g in grads], model.trainable_variables)
            return loss_sum / batch, correct / batch

        self._compile(replica_step, strategy)
        self.replicas = replicas
