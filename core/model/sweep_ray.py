"""The parts of a sweep that live inside Ray Tune: the trial function and the driver-side progress callback.

Imported only once Ray is known to be installed (core.model.sweep.load_ray). Both are module-level so that
Ray pickles them by reference: its saved experiment state then restores them in a later session.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ray import tune

from core.config import config_from_dict
from core.events import EventCallback, Log, Progress, Validation
from core.model.export import export_run
from core.model.runs import RunDir
from core.model.sweep import METRIC
from core.model.sweep_spec import apply_overrides
from core.model.train import train

# Where a session's progress goes, by sweep folder name. Ray pickles the callback with the experiment
# state; a key (not the callback function) lets a restored experiment report to the new session.
_LISTENERS: dict[str, EventCallback] = {}


def run_trial(
    params: dict[str, Any], *, project_dir: str, config_dict: dict[str, Any], sweep_name: str
) -> None:
    """One trial, in a Ray worker: train an ordinary run (continuing it if Ray restarts the trial),
    reporting validation accuracy as it goes, then export it and report the final figures."""
    trial_id = tune.get_context().get_trial_id()
    config = apply_overrides(config_from_dict(config_dict), params, where=f"trial {trial_id}")
    run_dir = Path(project_dir) / "runs" / f"{sweep_name}-{trial_id}"
    resume: bool | Path = run_dir if (run_dir / "run.json").is_file() else False
    total_steps = int(sum(config.training.steps))

    def on_event(event: Any) -> None:
        # The last validation comes with the final report below (ASHA ends a trial at its last step).
        if isinstance(event, Validation) and event.step < total_steps:
            tune.report({"step": event.step, METRIC: event.accuracy, "final": False})

    result = train(config, project_dir, run_dir=None if resume else run_dir, resume=resume, on_event=on_event)
    report = export_run(run_dir)  # also calibrates the recognizer to the sweep's false-accept target
    RunDir.open(run_dir).mark_sweep_trial(sweep_name, params)
    calibration = report.calibration or {}
    tune.report(
        {
            "step": result.steps,
            METRIC: result.val_accuracy if result.val_accuracy is not None else 0.0,
            "final": True,
            "test_accuracy": result.test_accuracy,
            "int8_accuracy": report.int8_accuracy,
            "model_bytes": report.model_bytes,
            "arena_bytes": report.arena_bytes_with_margin,
            "frr": calibration.get("frr"),
            "fa_per_hour": calibration.get("fa_per_hour"),
            "target_met": calibration.get("met"),
        }
    )


class ProgressCallback(tune.Callback):
    """Turns trial reports into Progress and Log events for whoever listens under `key` (driver side)."""

    def __init__(self, key: str, total_steps: int) -> None:
        self.key = key
        self.total_steps = total_steps

    def _emit(self, event: Any) -> None:
        _LISTENERS.get(self.key, lambda _event: None)(event)

    def on_trial_result(
        self, iteration: int, trials: list[Any], trial: Any, result: dict[str, Any], **info: Any
    ) -> None:
        step = int(result.get("step", 0))
        message = f"trial {trial.trial_id}: step {step:,}, val {float(result.get(METRIC, 0.0)):.3f}"
        self._emit(Progress("sweep", float(step), float(self.total_steps), message))

    def on_trial_complete(self, iteration: int, trials: list[Any], trial: Any, **info: Any) -> None:
        self._emit(Log(f"trial {trial.trial_id} done"))


def listen(key: str, on_event: EventCallback) -> None:
    _LISTENERS[key] = on_event
