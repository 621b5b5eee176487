"""Training: the micro_speech recipe, fast on a laptop CPU, resumable, reporting typed events.

Why it is fast (TF's own speech_commands train.py does ~7.5 steps/s on 2 cores, this does ~40x that):
- features are computed once, not per step: every training clip gets `augment_variants` augmented
  versions (time shift, background noise) up front, in large batches, cached on disk
  (core.features.cache); a step draws (clip, variant) pairs from that bank;
- the bank, the labels and the sampling weights live in the TensorFlow graph: sampling, gathering,
  forward, backward and the Adam update of many steps run in one `tf.function` call, so Python is
  touched once per ~100 steps;
- dropout masks come from random bytes, not random floats (core.models.BitDropout).

A run writes its resolved config, metrics.jsonl and checkpoints (core.model.runs); cancelling (or Ctrl-C in the
CLI) saves a checkpoint first, and a killed run loses at most the steps since its last checkpoint.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from core.config import ProjectConfig
from core.errors import Cancelled, TrainingError
from core.events import (
    CancelToken,
    Checkpoint,
    Done,
    EventCallback,
    Log,
    TrainStep,
    Validation,
    ignore_events,
)
from core.features.quantize import FLOAT_SCALE
from core.features.splits import SplitData, load_split_data
from core.model.architectures import build_model
from core.model.runs import CheckpointData, RunDir, new_run_path, resolve_run

STEPS_PER_CALL = 100  # training steps per tf.function call (bounded by eval/checkpoint/phase boundaries)
SHARDS = 2  # each batch is computed as this many independent parts, one per CPU thread


@dataclass(frozen=True)
class TrainResult:
    """Summary of a finished training (the `done` event's result)."""

    run_dir: str
    steps: int
    val_accuracy: float | None  # None when the split is empty (too few speakers)
    test_accuracy: float | None
    train_accuracy: float
    resumed_from: int
    feature_seconds: float
    train_seconds: float
    steps_per_second: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def total_steps(config: ProjectConfig) -> int:
    return int(sum(config.training.steps))


def learning_rate_at(config: ProjectConfig, step: int) -> float:
    """Learning rate of 0-based step `step` (the phase it falls in)."""
    t = config.training
    end = 0
    for n, lr in zip(t.steps, t.learning_rates, strict=True):
        end += n
        if step < end:
            return float(lr)
    return float(t.learning_rates[-1])


def check_recipe(config: ProjectConfig) -> None:
    t = config.training
    if not t.steps or len(t.steps) != len(t.learning_rates):
        raise TrainingError(
            f"{len(t.steps)} step phases but {len(t.learning_rates)} learning rates",
            "give one learning rate per phase, e.g. --steps 15000,3000 --lr 0.001,0.0001",
        )
    if any(n <= 0 for n in t.steps) or any(not lr > 0 for lr in t.learning_rates):
        raise TrainingError(
            "steps and learning rates must be positive", "e.g. --steps 15000,3000 --lr 0.001,0.0001"
        )
    for name in ("batch_size", "eval_every", "checkpoint_every", "augment_variants"):
        if getattr(t, name) <= 0:
            raise TrainingError(f"training.{name} must be positive, got {getattr(t, name)}")


class Trainer:
    """The model, optimizer and in-graph data of one run; `run_steps(k)` trains k steps in one call."""

    def __init__(self, config: ProjectConfig, train: SplitData) -> None:
        import keras  # lazy: TensorFlow takes seconds to import
        import tensorflow as tf  # lazy: TensorFlow takes seconds to import

        t = config.training
        self.config = config
        self.model = build_model(t.model, config.features, len(config.labels), seed=t.seed)
        self.optimizer = keras.optimizers.Adam(learning_rate=t.learning_rates[0])
        self.optimizer.build(self.model.trainable_variables)
        self.generator = tf.random.Generator.from_seed(t.seed)

        batch = t.batch_size
        shards = min(SHARDS, batch)
        shard_sizes = [batch // shards + (i < batch % shards) for i in range(shards)]
        model, optimizer = self.model, self.optimizer
        sample = batch_sampler(train, self.generator)

        def step() -> tuple[Any, Any]:
            x, y = sample(batch)
            # The batch's shards are independent subgraphs that TF runs on separate threads; summed
            # losses divided by the whole batch give exactly the gradient of the batch mean.
            shard_grads, loss_sum, correct_sum = [], 0.0, 0.0
            for xs, ys in zip(tf.split(x, shard_sizes), tf.split(y, shard_sizes), strict=True):
                grads, shard_loss, shard_correct = summed_gradients(model, xs, ys)
                shard_grads.append(grads)
                loss_sum += shard_loss
                correct_sum += shard_correct
            grads = [tf.add_n(list(g)) / batch for g in zip(*shard_grads, strict=True)]
            optimizer.apply(grads, model.trainable_variables)
            return loss_sum / batch, correct_sum / batch

        self._compile(step, tf.distribute.get_strategy())

    def _compile(self, step: Callable[[], tuple[Any, Any]], strategy: Any) -> None:
        """The graphs of `run_steps` (k training steps per call, each `step` run by `strategy`: the
        default one runs it once, MirroredStrategy once per replica, summing the replicas' parts) and of
        `predict`."""
        import tensorflow as tf  # lazy: TensorFlow takes seconds to import

        model = self.model

        @tf.function(input_signature=[tf.TensorSpec([], tf.int32)])
        def run_steps(k: Any) -> tuple[Any, Any]:
            total_loss = tf.constant(0.0)
            total_acc = tf.constant(0.0)
            for _ in tf.range(k):
                loss, acc = strategy.run(step)
                total_loss += strategy.reduce(tf.distribute.ReduceOp.SUM, loss, axis=None)
                total_acc += strategy.reduce(tf.distribute.ReduceOp.SUM, acc, axis=None)
            n = tf.cast(k, tf.float32)
            return total_loss / n, total_acc / n

        @tf.function(input_signature=[tf.TensorSpec([None, *model.input_shape[1:]], tf.float32)])
        def predict(x: Any) -> Any:
            return tf.argmax(model(x, training=False), 1, output_type=tf.int32)

        self._run_steps = run_steps
        self._predict = predict

    def run_steps(self, k: int, learning_rate: float) -> tuple[float, float]:
        """Train `k` steps at `learning_rate`; mean loss and mean training accuracy over them."""
        import tensorflow as tf  # lazy: TensorFlow takes seconds to import

        self.optimizer.learning_rate.assign(learning_rate)
        loss, acc = self._run_steps(tf.constant(k, tf.int32))
        return float(loss), float(acc)

    def accuracy(self, data: SplitData, batch: int = 1000) -> float | None:
        """Float-model accuracy on the plain version of every entry of a split (None when it is empty)."""
        if len(data) == 0:
            return None
        inputs = data.eval_inputs()
        predicted = np.concatenate(
            [self._predict(inputs[i : i + batch]).numpy() for i in range(0, len(inputs), batch)]
        )
        return float(np.mean(predicted == data.labels))

    # ---- checkpoint state ------------------------------------------------------------------------

    def state(self) -> dict[str, np.ndarray]:
        arrays = {f"model/{i}": np.asarray(v.numpy()) for i, v in enumerate(self.model.variables)}
        arrays.update(
            {f"optimizer/{i}": np.asarray(v.numpy()) for i, v in enumerate(self.optimizer.variables)}
        )
        arrays["generator"] = self.generator.state.numpy()
        return arrays

    def restore(self, checkpoint: CheckpointData) -> None:
        where = str(checkpoint.path)
        _assign_saved(checkpoint.arrays, "model", self.model.variables, where)
        _assign_saved(checkpoint.arrays, "optimizer", self.optimizer.variables, where)
        self.generator.state.assign(checkpoint.arrays["generator"])


def batch_sampler(train: SplitData, generator: Any) -> Callable[[int], tuple[Any, Any]]:
    """An in-graph sampler of the training bank: `sample(n)` draws n (clip, variant) pairs by the
    entries' weights and gives their model inputs and labels."""
    import tensorflow as tf  # lazy: TensorFlow takes seconds to import

    variants = train.features.shape[1]
    flat = train.features.reshape(-1, *train.features.shape[2:])  # [rows * variants, frames, channels]
    bank = tf.constant(flat)
    rows = tf.constant(train.rows)
    labels = tf.constant(train.labels)
    cdf = tf.constant((np.cumsum(train.weights) / train.weights.sum()).astype(np.float32))
    n_entries = len(train.rows)

    def sample(n: int) -> tuple[Any, Any]:
        u = generator.uniform([n])
        entry = tf.minimum(tf.searchsorted(cdf, u, side="right"), n_entries - 1)
        variant = generator.uniform([n], 0, variants, dtype=tf.int32)
        x = tf.gather(bank, tf.gather(rows, entry) * variants + variant)
        return tf.expand_dims(tf.cast(x, tf.float32) * FLOAT_SCALE, -1), tf.gather(labels, entry)

    return sample


def summed_gradients(model: Any, x: Any, y: Any) -> tuple[list[Any], Any, Any]:
    """Gradients of the summed (not mean) cross-entropy of a batch part, that sum, and its correct count."""
    import tensorflow as tf  # lazy: TensorFlow takes seconds to import

    with tf.GradientTape() as tape:
        logits = model(x, training=True)
        loss = tf.reduce_sum(tf.nn.sparse_softmax_cross_entropy_with_logits(y, logits))
    correct = tf.reduce_sum(tf.cast(tf.equal(tf.argmax(logits, 1, output_type=tf.int32), y), tf.float32))
    return tape.gradient(loss, model.trainable_variables), loss, correct


def _assign_saved(arrays: dict[str, np.ndarray], prefix: str, variables: Sequence[Any], where: str) -> None:
    """Assign a checkpoint's `<prefix>/<n>` arrays, in n order, to `variables`; a checkpoint of another
    model is a TrainingError naming `where` (the checkpoint file)."""
    saved = sorted((int(k.split("/")[1]), v) for k, v in arrays.items() if k.startswith(prefix + "/"))
    if len(saved) != len(variables):
        raise TrainingError(
            f"{where}: checkpoint has {len(saved)} {prefix} variables, the model has {len(variables)}",
            "the checkpoint belongs to another model; start a new run",
        )
    for (_, value), var in zip(saved, variables, strict=True):
        if tuple(value.shape) != tuple(var.shape):
            raise TrainingError(
                f"{where}: checkpoint variable {var.path} has shape {value.shape}, expected {var.shape}"
            )
        var.assign(value)


def use_threads_for_shards() -> None:
    """One thread per op and one op per shard in parallel: tiny_conv's ops are too small to split well
    across threads, while the shards are independent (~20% more steps/s on 2 cores). Only possible
    before TensorFlow's runtime starts in this process; otherwise its settings stay."""
    import tensorflow as tf  # lazy: TensorFlow takes seconds to import

    try:
        tf.config.threading.set_intra_op_parallelism_threads(1)
        tf.config.threading.set_inter_op_parallelism_threads(max(SHARDS, 2))
    except RuntimeError:
        pass


def restore_model(run: RunDir) -> tuple[Any, CheckpointData]:
    """The Keras model of a run with the weights of its latest checkpoint, and that checkpoint."""
    checkpoint = run.latest_checkpoint()
    if checkpoint is None:
        raise TrainingError(
            f"{run.path}: the run has no checkpoint yet", f"train it: wakebench train --resume {run.path}"
        )
    config = run.config
    model = build_model(config.training.model, config.features, len(config.labels), seed=config.training.seed)
    _assign_saved(checkpoint.arrays, "model", model.variables, str(checkpoint.path))
    return model, checkpoint


def train(
    config: ProjectConfig,
    project_dir: str | Path = ".",
    *,
    run_dir: str | Path | None = None,
    resume: bool | str | Path = False,
    extra_dirs: Sequence[str | Path] = (),
    cache_dir: Path | None = None,
    devices: int | str = 1,
    on_event: EventCallback = ignore_events,
    cancel: CancelToken | None = None,
    warm_start: RunDir | None = None,
    boost: Mapping[str, float] | None = None,
) -> TrainResult:
    """Train a new run (in `run_dir`, default runs/<date>-<words>) or continue one.

    `resume=True` continues the project's latest run, a path or id continues that run; a resumed run
    uses its own saved config and data folders. `devices` > 1 (or "all") trains with MirroredStrategy
    (core.model.distributed); the run folder and its checkpoints are the same either way. Raises
    Cancelled after saving a checkpoint when `cancel` is set.

    `warm_start` (a new run only) starts the model from that run's latest checkpoint instead of random
    weights (with a fresh optimizer; the new run records it as its parent), and `boost` multiplies the
    sampling weight of the clips it names (see load_split_data). Both are saved in run.json, so a
    resume of such a run trains on the same terms.
    """
    project_dir = Path(project_dir)
    start_from = ""
    if resume:
        run = resolve_run("latest" if resume is True else resume, project_dir)
        config = run.config
        project_dir = run.project_dir
        extra_dirs = run.extra_dirs
        check_recipe(config)
        start_from, boost = run.info.warm_start, run.info.boost
    else:
        check_recipe(config)  # before the run folder is made
        if warm_start is not None:
            start_from = str(_latest_checkpoint_path(warm_start))
        run = RunDir.create(
            run_dir or new_run_path(project_dir, config), config, project_dir, [str(d) for d in extra_dirs]
        )
        if warm_start is not None:
            run.mark_fine_tune(warm_start, Path(start_from), dict(boost or {}))
    on_event(Log(f"run {run.path}"))
    total = total_steps(config)
    t = config.training

    started = time.monotonic()
    # lazy: core.model.distributed builds on this module's Trainer
    from core.model.distributed import MirroredTrainer, select_devices

    device_names = select_devices(devices, on_event)  # before TensorFlow's runtime starts
    if not device_names:
        use_threads_for_shards()
    data = load_split_data(
        config, project_dir, extra_dirs, cache_dir=cache_dir, on_event=on_event, cancel=cancel, boost=boost
    )
    feature_seconds = time.monotonic() - started
    on_event(Log(f"features ready in {feature_seconds:.1f} s"))

    for split in ("validation", "testing"):
        if len(data[split]) == 0:
            on_event(Log(f"the {split} split is empty (too few speakers): no {split} accuracy"))
    trainer = (
        MirroredTrainer(config, data["training"], device_names)
        if device_names
        else Trainer(config, data["training"])
    )
    step = 0
    checkpoint = run.latest_checkpoint()
    if checkpoint is not None:
        trainer.restore(checkpoint)
        step = checkpoint.step
        run.truncate_metrics(step)
        on_event(Log(f"resuming at step {step:,} of {total:,}"))
    elif start_from:
        _warm_start(trainer, Path(start_from))
        on_event(Log(f"warm start from {start_from}"))
    elif resume:
        on_event(Log("the run has no checkpoint yet: starting at step 0"))
    resumed_from = step
    run.update_info(state="training")

    def emit(event: TrainStep | Validation | Checkpoint) -> None:
        run.append_metrics(event)
        on_event(event)

    def save(at: int) -> None:
        path = run.save_checkpoint(at, trainer.state(), {"total_steps": total})
        emit(Checkpoint(at, str(path)))

    train_started = time.monotonic()
    done_this_session = 0
    loss = acc = float("nan")
    val_acc = None
    try:
        while step < total:
            if cancel is not None and cancel.cancelled:
                raise Cancelled(
                    f"training stopped at step {step:,} of {total:,}; the run is saved in {run.path}",
                    f"continue it with: wakebench train --resume {run.path}",
                )
            k = _steps_until_boundary(config, step)
            lr = learning_rate_at(config, step)
            loss, acc = trainer.run_steps(k, lr)
            if not math.isfinite(loss):
                raise TrainingError(
                    f"training diverged at step {step + k} (loss {loss})", "lower the learning rate"
                )
            step += k
            done_this_session += k
            elapsed = time.monotonic() - train_started
            eta = (total - step) * elapsed / done_this_session
            emit(TrainStep(step, total, loss, acc, lr, eta))
            if step % t.eval_every == 0 or step == total:
                val_acc = trainer.accuracy(data["validation"])  # None when there is no validation split
                if val_acc is not None:
                    emit(Validation(step, val_acc))
            if step % t.checkpoint_every == 0 or step == total:
                save(step)
    except Cancelled:
        if step > resumed_from and not any(s == step for s, _ in run.checkpoints()):
            save(step)
        run.update_info(state="stopped", step=step)
        raise

    train_seconds = time.monotonic() - train_started
    if val_acc is None:  # resumed a finished run, or no validation clips
        val_acc = trainer.accuracy(data["validation"])
    result = TrainResult(
        run_dir=str(run.path),
        steps=step,
        val_accuracy=val_acc,
        test_accuracy=trainer.accuracy(data["testing"]),
        train_accuracy=acc,
        resumed_from=resumed_from,
        feature_seconds=round(feature_seconds, 3),
        train_seconds=round(train_seconds, 3),
        steps_per_second=round(done_this_session / train_seconds, 1) if train_seconds > 0 else 0.0,
    )
    run.update_info(state="trained", step=step, val_accuracy=val_acc)
    on_event(Done(result.to_dict()))
    return result


def _latest_checkpoint_path(run: RunDir) -> Path:
    """The newest checkpoint file of the run a warm start begins from (TrainingError when there is none)."""
    checkpoint = run.latest_checkpoint()
    if checkpoint is None:
        raise TrainingError(
            f"{run.path}: the run has no checkpoint to start from",
            f"train it first: wakebench train --resume {run.path}",
        )
    return checkpoint.path


def _warm_start(trainer: Trainer, path: Path) -> None:
    """Load the model weights (not the optimizer state) of a parent run's checkpoint file."""
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files if k != "__meta__"}
    except (OSError, ValueError) as exc:
        raise TrainingError(
            f"{path}: cannot read the parent run's checkpoint ({exc})",
            "the parent run's checkpoints were removed or damaged; retrain from another run",
        ) from None
    _assign_saved(arrays, "model", trainer.model.variables, str(path))


def _steps_until_boundary(config: ProjectConfig, step: int) -> int:
    """Steps to run in the next call: up to STEPS_PER_CALL, stopping at the next validation, checkpoint,
    learning-rate change or the end."""
    t = config.training
    boundaries = [total_steps(config), step + STEPS_PER_CALL]
    boundaries += [(step // every + 1) * every for every in (t.eval_every, t.checkpoint_every)]
    boundaries += [int(b) for b in np.cumsum(t.steps) if b > step]
    return min(b for b in boundaries if b > step) - step
