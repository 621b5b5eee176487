"""Sweeps on Ray Tune: many ordinary runs over a search space, poor ones cut early, ranked for a board.

Each trial is a normal run folder (`runs/<sweep>-<trial>/`, the files `wakebench train` and `export` write),
trained in a Ray worker, reporting its validation accuracy as it trains so ASHA can stop poor trials early;
a finished trial is exported and measured. Ray keeps the experiment state under
`.wakebench/sweeps/<name>-<digest>/`: running the same spec again continues it, and finished trials are
not run again. Ray is an optional extra (`pip install -e ".[scale]"`); `address` (or `RAY_ADDRESS`) joins an
existing cluster unchanged, where every node needs wakebench installed and the project folder at the same
path (a shared file system).
"""

from __future__ import annotations

import contextlib
import math
import os
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from core.board.profiles import get_board, memory_budget
from core.config import ProjectConfig
from core.errors import Cancelled, ConfigError, WakebenchError
from core.events import Done, EventCallback, Log, ignore_events
from core.model.sweep_spec import Distribution, SweepSpec, apply_overrides

SWEEPS_DIR = Path(".wakebench") / "sweeps"  # under the project folder
INSTALL_HINT = 'install the optional extra: python3 -m pip install -e ".[scale]" (Ray Tune)'
LOCAL_OBJECT_STORE_BYTES = 200 * 1024**2  # trials pass only small dicts; keep a local Ray light
METRIC = "val_accuracy"  # what trials report while they train (ASHA compares trials by it)
DONE_STATES = ("finished", "stopped early", "error")


@dataclass(frozen=True)
class TrialResult:
    """One trial's row of the sweep table."""

    trial_id: str
    run_dir: str
    params: dict[str, Any]
    state: str  # "finished", "stopped early" (ASHA), "error" or "unfinished"
    step: int
    val_accuracy: float | None
    test_accuracy: float | None
    int8_accuracy: float | None
    model_bytes: int | None
    arena_bytes: int | None
    fits_board: bool | None
    frr: float | None
    """False-reject rate on validation streams at the calibrated threshold (None: not calibrated)."""
    fa_per_hour: float | None
    target_met: bool | None
    """Whether calibration reached the sweep's false-accept target (FRR counts only then, first)."""
    rank_metric: float | None
    """What the table is sorted by, lower is better (see SweepResult.metric)."""


@dataclass(frozen=True)
class SweepResult:
    name: str
    folder: str
    board: str
    metric: str
    trials: list[TrialResult]

    @property
    def best(self) -> TrialResult | None:
        ranked = [t for t in self.trials if t.rank_metric is not None and t.target_met and t.fits_board]
        return ranked[0] if ranked else None

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["best"] = self.best.run_dir if self.best else None
        return out


def load_ray() -> Any:
    """The `ray` module, or a clear error saying how to install it."""
    try:
        import ray  # lazy: optional extra, and it takes seconds to import
        import ray.tune  # noqa: F401
    except ImportError:
        raise WakebenchError("Ray Tune is not installed: `wakebench sweep` needs it", INSTALL_HINT) from None
    return ray


def search_space(spec: SweepSpec) -> dict[str, Any]:
    """The spec's distributions as Ray Tune's search space (flat dotted keys)."""
    from ray import tune  # lazy: optional extra

    makers: dict[str, Callable[[Distribution], Any]] = {
        "choice": lambda d: tune.choice(d.values),
        "grid": lambda d: tune.grid_search(d.values),
        "uniform": lambda d: tune.uniform(*d.values),
        "loguniform": lambda d: tune.loguniform(*d.values),
        "randint": lambda d: tune.randint(*d.values),
    }
    return {key: makers[d.kind](d) for key, d in spec.search.items()}


def sweep_folder(spec: SweepSpec, project_dir: Path) -> Path:
    return project_dir / SWEEPS_DIR / f"{spec.name}-{spec.digest}"


def run_sweep(
    spec: SweepSpec,
    config: ProjectConfig,
    project_dir: str | Path = ".",
    *,
    address: str | None = None,
    trials: int | None = None,
    cpus_per_trial: float = 1.0,
    fresh: bool = False,
    on_event: EventCallback = ignore_events,
) -> SweepResult:
    """Run (or continue) the sweep. Ctrl-C is Ray Tune's own: it saves the experiment and this raises
    Cancelled; running the same spec again continues it."""
    ray = load_ray()
    from ray import tune  # lazy: optional extra
    from ray.tune.schedulers import ASHAScheduler
    from ray.tune.search import BasicVariantGenerator

    from core.model import sweep_ray  # lazy: imports Ray at module level

    project_dir = Path(project_dir).resolve()
    # Every trial's export calibrates its recognizer to the sweep's target: trials compare at one FA/h.
    target = {"recognizer.target_fa_per_hour": spec.target_fa_per_hour}
    base_config = apply_overrides(config, {**spec.base, **target}, where="sweep [base]")
    get_board(spec.board)  # an unknown board is refused before Ray starts
    if trials is not None:
        if trials < 1:
            raise ConfigError(f"--trials must be at least 1, got {trials}")
        spec = replace(spec, trials=trials)
    folder = sweep_folder(spec, project_dir)
    total_steps = int(sum(base_config.training.steps))

    if not ray.is_initialized():
        address = address or os.environ.get("RAY_ADDRESS") or None
        on_event(Log(f"ray: {'joining ' + address if address else 'starting a local Ray'}"))
        local = {} if address else {"object_store_memory": LOCAL_OBJECT_STORE_BYTES}
        ray.init(address=address, include_dashboard=False, log_to_driver=False, **local)

    trainable = tune.with_resources(
        tune.with_parameters(
            sweep_ray.run_trial,
            project_dir=str(project_dir),
            config_dict=base_config.to_dict(),
            sweep_name=spec.name,
        ),
        {"cpu": cpus_per_trial},
    )
    sweep_ray.listen(folder.name, on_event)
    if can_restore(folder) and not fresh:
        on_event(Log(f"continuing the sweep in {folder} (finished trials are kept)"))
        tuner = tune.Tuner.restore(str(folder), trainable, resume_unfinished=True, resume_errored=True)
    else:
        tuner = tune.Tuner(
            trainable,
            param_space=search_space(spec),
            tune_config=tune.TuneConfig(
                num_samples=spec.trials,
                scheduler=ASHAScheduler(
                    time_attr="step",
                    metric=METRIC,
                    mode="max",
                    max_t=total_steps,
                    grace_period=min(spec.grace_steps, total_steps),
                ),
                search_alg=BasicVariantGenerator(
                    max_concurrent=spec.max_concurrent, random_state=base_config.training.seed
                ),
            ),
            run_config=tune.RunConfig(
                name=folder.name,
                storage_path=str(folder.parent),
                callbacks=[sweep_ray.ProgressCallback(folder.name, total_steps)],
                verbose=0,
            ),
        )
    with contextlib.redirect_stdout(sys.stderr):  # Ray Tune prints its tables; stdout is for --json lines
        grid = tuner.fit()
    result = _collect(spec, folder, grid, project_dir)
    expected = spec.trials * math.prod(len(d.values) for d in spec.search.values() if d.kind == "grid")
    done = sum(t.state in DONE_STATES for t in result.trials)
    if done < expected:
        raise Cancelled(
            f"sweep stopped with {done} of {expected} trials done; its state is in {folder}",
            "run the same `wakebench sweep` command again to continue it",
        )
    on_event(Done(result.to_dict()))
    return result


def can_restore(folder: Path) -> bool:
    from ray import tune  # lazy: optional extra

    return folder.is_dir() and tune.Tuner.can_restore(str(folder))


def _collect(spec: SweepSpec, folder: Path, grid: Any, project_dir: Path) -> SweepResult:
    board = get_board(spec.board)
    rows: list[TrialResult] = []
    for result in grid:
        metrics = result.metrics or {}
        trial_id = metrics.get("trial_id") or Path(result.path).name
        params = {k: v for k, v in (result.config or {}).items()}
        final = bool(metrics.get("final"))
        if result.error is not None:
            state = "error"
        elif final:
            state = "finished"
        elif metrics.get("done"):
            state = "stopped early"
        else:
            state = "unfinished"
        model_bytes = metrics.get("model_bytes") if final else None
        arena_bytes = metrics.get("arena_bytes") if final else None
        fits = None
        if model_bytes is not None and arena_bytes is not None:
            fits = memory_budget(board, int(model_bytes), int(arena_bytes)).fits
        val = metrics.get(METRIC)
        frr = metrics.get("frr") if final else None
        rows.append(
            TrialResult(
                trial_id=str(trial_id),
                run_dir=str(project_dir / "runs" / f"{spec.name}-{trial_id}"),
                params=params,
                state=state,
                step=int(metrics.get("step", 0) or 0),
                val_accuracy=val,
                test_accuracy=metrics.get("test_accuracy"),
                int8_accuracy=metrics.get("int8_accuracy"),
                model_bytes=model_bytes,
                arena_bytes=arena_bytes,
                fits_board=fits,
                frr=frr,
                fa_per_hour=metrics.get("fa_per_hour") if final else None,
                target_met=metrics.get("target_met") if final else None,
                rank_metric=float(frr) if frr is not None and math.isfinite(frr) else None,
            )
        )
    # Calibrated trials that met the target first, by false rejects; then those that could not meet it.
    rows.sort(key=lambda t: (t.rank_metric is None, not t.target_met, t.rank_metric or 0.0))
    metric = (
        f"false-reject rate at <= {spec.target_fa_per_hour:g} false accepts per hour (validation streams)"
    )
    return SweepResult(spec.name, str(folder), spec.board, metric, rows)
