"""A training run on disk: `runs/<id>/`.

    config.json        the resolved project config the run trains with (a resume uses it, not the project's)
    run.json           where the data came from (project folder, extra folders) and the run's state
    metrics.jsonl      one JSON object per training event (steps, validations, checkpoints), appended
    checkpoints/       ckpt-<step>.npz: model and optimizer variables, random state, step (latest two kept)
    model.tflite, model_data.cpp, model_data.h, model_settings.h, report.json   written by export
    build/<profile>/   firmware builds of the run's model for a board profile

This module is the one place that knows that layout: everything else asks a `RunDir` for its paths and
reads the run's files back through its typed readers (`info` -> RunInfo, `report` -> ExportReport or None,
`history()` -> TrainingHistory), never as raw JSON.

Every file except metrics.jsonl is replaced atomically (core.fileio). metrics.jsonl is appended one line
per write; a line torn by a crash is ignored when reading, and a resume drops the lines after its checkpoint.
"""

from __future__ import annotations

import dataclasses
import io
import json
import os
import re
import time
from dataclasses import asdict, dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from core.board.firmware_files import GENERATED_FILES
from core.config import ProjectConfig, config_from_dict
from core.errors import ConfigError, TrainingError
from core.events import Checkpoint, TrainStep, Validation
from core.fileio import write_bytes_atomic, write_json_atomic

RUNS_DIR = "runs"
CONFIG_FILE = "config.json"
RUN_FILE = "run.json"
METRICS_FILE = "metrics.jsonl"
CHECKPOINT_DIR = "checkpoints"
MODEL_FILE = "model.tflite"
REPORT_FILE = "report.json"
BUILD_DIR = "build"
KEEP_CHECKPOINTS = 2

_CHECKPOINT = re.compile(r"ckpt-(\d+)\.npz")


# ---- the typed records of a run's files ---------------------------------------------------------------

RunState = str
"""created (folder made) -> training -> stopped (cancelled; resumable) or trained."""


@dataclass(frozen=True)
class RunInfo:
    """run.json: where the run's data came from and how far it got."""

    id: str
    created: str = ""
    """Local time the run was made, `YYYY-mm-ddTHH:MM:SS` (runs sort by it)."""
    project_dir: str = "."
    extra_dirs: list[str] = field(default_factory=list)
    state: RunState = "created"
    step: int = 0
    """Training steps done when the state was last written."""
    val_accuracy: float | None = None
    """Validation accuracy at the end of training (None before, or with an empty split)."""
    sweep: str = ""
    """The sweep this run is a trial of (`wakebench sweep`); empty for a run of its own."""
    sweep_params: dict[str, Any] = field(default_factory=dict)
    """The searched config keys and the values this trial got."""
    parent: str = ""
    """The run this one was fine-tuned from (`wakebench loop`); empty for a run trained from scratch."""
    warm_start: str = ""
    """The parent's checkpoint file the model started from."""
    boost: dict[str, float] = field(default_factory=dict)
    """Clip path -> factor its sampling weight was multiplied by (the clips new since the parent)."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class ExportReport:
    """report.json (and the `done` result of `wakebench export`): what export made and measured."""

    run_dir: str
    model_bytes: int
    arena_bytes: int
    arena_bytes_with_margin: int
    ops: list[str]
    input_shape: list[int]
    output_shape: list[int]
    input_scale: float
    input_zero_point: int
    labels: list[str]
    test_clips: int
    float_accuracy: float | None
    int8_accuracy: float | None
    per_class: dict[str, float | None]
    confusion: list[list[int]]
    model_sha8: str
    trained_steps: int = 0
    files: list[str] = field(default_factory=list)
    seconds: float = 0.0
    calibration: dict[str, Any] | None = None
    """core.model.calibrate's choice (window, threshold, FRR, FA/h, curve); None when not calibrated."""
    recognizer: dict[str, Any] = field(default_factory=dict)
    """The recognizer settings generated into model_settings.h."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class TrainingHistory:
    """metrics.jsonl read back: the events training logged, in order, by kind."""

    steps: list[TrainStep] = field(default_factory=list)
    validations: list[Validation] = field(default_factory=list)
    checkpoints: list[Checkpoint] = field(default_factory=list)


MetricEvent = TrainStep | Validation | Checkpoint
_METRIC_EVENTS: dict[str, type[MetricEvent]] = {
    "step": TrainStep,
    "validation": Validation,
    "checkpoint": Checkpoint,
}

_Record = TypeVar("_Record")


def _from_json(cls: type[_Record], values: Any) -> _Record:
    """A record dataclass from its JSON object: unknown keys (from a newer wakebench) are ignored, a
    missing key takes its default; ValueError when the object does not fit (a missing required key,
    or a value of the wrong kind)."""
    if not isinstance(values, dict):
        raise ValueError(f"expected a JSON object, got {type(values).__name__}")
    kwargs = {}
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        if f.name in values:
            kwargs[f.name] = values[f.name]
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise ValueError(f"no {f.name!r}")
    try:
        return cls(**kwargs)
    except TypeError as exc:
        raise ValueError(str(exc)) from None


def _check_numbers(record: Any, *names: str) -> None:
    for name in names:
        value = getattr(record, name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
            raise ValueError(f"{name} is not a number: {value!r}")


def _read_json(path: Path) -> Any:
    """The JSON value of a file; None when it is missing or not JSON (a run from a crashed writer or
    another tool: treated as not written)."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError, UnicodeDecodeError):
        return None


def read_info(path: Path, run_id: str) -> RunInfo:
    """run.json at `path`; an unreadable or missing file gives the defaults (state "created")."""
    values = _read_json(path)
    try:
        info = _from_json(RunInfo, {"id": run_id, **values} if isinstance(values, dict) else {"id": run_id})
        _check_numbers(info, "step", "val_accuracy")
    except ValueError:
        return RunInfo(run_id)
    return info


def read_report(path: Path) -> ExportReport | None:
    """report.json at `path`, or None when the run is not (completely) exported."""
    try:
        report = _from_json(ExportReport, _read_json(path))
        _check_numbers(report, "model_bytes", "arena_bytes", "arena_bytes_with_margin", "input_scale")
        _check_numbers(report, "float_accuracy", "int8_accuracy", "input_zero_point", "test_clips")
    except ValueError:
        return None
    return report


def parse_metric(record: Any) -> MetricEvent | None:
    """One metrics.jsonl object as its event, or None for a line this version does not know."""
    if not isinstance(record, dict):
        return None
    cls = _METRIC_EVENTS.get(str(record.get("event")))
    if cls is None:
        return None
    try:
        event = _from_json(cls, {k: v for k, v in record.items() if k != "event"})
        _check_numbers(event, *(f.name for f in dataclasses.fields(event) if f.name != "path"))
    except ValueError:
        return None
    return event


@dataclass
class CheckpointData:
    """The state saved at `step`: named arrays plus JSON metadata."""

    step: int
    arrays: dict[str, np.ndarray]
    meta: dict[str, Any]
    path: Path


class RunDir:
    """Paths and files of one run. `RunDir(path)` does not check anything; `open` does."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def __repr__(self) -> str:
        return f"RunDir({str(self.path)!r})"

    # ---- creating and opening ------------------------------------------------------------------

    @classmethod
    def create(
        cls,
        path: str | Path,
        config: ProjectConfig,
        project_dir: str | Path,
        extra_dirs: list[str] | tuple[str, ...] = (),
    ) -> RunDir:
        """A new run in `path` (created); refuses a folder that already holds a run."""
        run = cls(path)
        if (run.path / CONFIG_FILE).exists():
            raise TrainingError(
                f"{run.path} already holds a run",
                f"continue it with `wakebench train --resume {run.path}` or pick another --run-dir",
            )
        run.path.mkdir(parents=True, exist_ok=True)
        write_json_atomic(run.path / CONFIG_FILE, config.to_dict())
        info = RunInfo(
            id=run.path.name,
            created=time.strftime("%Y-%m-%dT%H:%M:%S"),
            project_dir=str(Path(project_dir).resolve()),
            extra_dirs=[str(Path(d).resolve()) for d in extra_dirs],
            state="created",
        )
        write_json_atomic(run.path / RUN_FILE, info.to_dict())
        return run

    @classmethod
    def of(cls, project_dir: str | Path, run_id: str) -> RunDir:
        """The run `run_id` of a project: `<project_dir>/runs/<run_id>` (not checked)."""
        return cls(Path(project_dir) / RUNS_DIR / run_id)

    @classmethod
    def open(cls, path: str | Path) -> RunDir:
        """An existing run; a folder without a run's config is a TrainingError."""
        run = cls(path)
        if not (run.path / CONFIG_FILE).is_file():
            raise TrainingError(
                f"{run.path}: not a training run (no {CONFIG_FILE})",
                "give a folder under runs/ made by `wakebench train`",
            )
        return run

    # ---- files ---------------------------------------------------------------------------------

    @property
    def id(self) -> str:
        return self.path.name

    @property
    def config_path(self) -> Path:
        return self.path / CONFIG_FILE

    @property
    def info_path(self) -> Path:
        return self.path / RUN_FILE

    @property
    def metrics_path(self) -> Path:
        return self.path / METRICS_FILE

    @property
    def checkpoint_dir(self) -> Path:
        return self.path / CHECKPOINT_DIR

    @property
    def model_path(self) -> Path:
        return self.path / MODEL_FILE

    @property
    def report_path(self) -> Path:
        return self.path / REPORT_FILE

    @property
    def generated_paths(self) -> dict[str, Path]:
        """The firmware files export generates here (model_data.h/.cpp, model_settings.h): name -> path."""
        return {name: self.path / name for name in GENERATED_FILES}

    def build_dir(self, profile: str) -> Path:
        """Where firmware builds of this run's model for board `profile` go."""
        return self.path / BUILD_DIR / profile

    @property
    def exported(self) -> bool:
        """True when export finished (report.json is written last)."""
        return self.report is not None

    @cached_property
    def config(self) -> ProjectConfig:
        try:
            return config_from_dict(json.loads(self.config_path.read_text(encoding="utf-8")))
        except FileNotFoundError:
            raise TrainingError(f"{self.path}: not a training run (no {CONFIG_FILE})") from None
        except (json.JSONDecodeError, ConfigError) as exc:
            raise TrainingError(f"{self.config_path}: unreadable run config ({exc})") from None

    @property
    def labels(self) -> list[str]:
        return self.config.labels

    @property
    def info(self) -> RunInfo:
        """run.json (the defaults when it is missing or unreadable)."""
        return read_info(self.info_path, self.id)

    def update_info(
        self, *, state: RunState, step: int | None = None, val_accuracy: float | None = None
    ) -> None:
        """Record the run's state (and the step reached, and its final validation accuracy)."""
        changes: dict[str, Any] = {"state": state}
        if step is not None:
            changes["step"] = step
        if val_accuracy is not None:
            changes["val_accuracy"] = val_accuracy
        write_json_atomic(self.info_path, dataclasses.replace(self.info, **changes).to_dict())

    def mark_fine_tune(self, parent: RunDir, warm_start: Path, boost: dict[str, float]) -> None:
        """Record that this run starts from `parent`'s checkpoint `warm_start`, with `boost`ed clips."""
        info = dataclasses.replace(
            self.info, parent=str(parent.path.resolve()), warm_start=str(warm_start), boost=dict(boost)
        )
        write_json_atomic(self.info_path, info.to_dict())

    def mark_sweep_trial(self, sweep: str, params: dict[str, Any]) -> None:
        """Record that this run is a trial of `sweep`, with the values it was given."""
        info = dataclasses.replace(self.info, sweep=sweep, sweep_params=params)
        write_json_atomic(self.info_path, info.to_dict())

    @property
    def project_dir(self) -> Path:
        return Path(self.info.project_dir)

    @property
    def extra_dirs(self) -> list[str]:
        return list(self.info.extra_dirs)

    @property
    def report(self) -> ExportReport | None:
        """report.json written by export; None before the run is (completely) exported."""
        return read_report(self.report_path)

    def write_report(self, report: ExportReport) -> None:
        """Write report.json (export does it last, so a run with a report is completely exported)."""
        write_json_atomic(self.report_path, report.to_dict())

    # ---- metrics -------------------------------------------------------------------------------

    def append_metrics(self, event: MetricEvent) -> None:
        """Append one event as a JSON line (one write call, so a crash tears at most this line)."""
        line = (json.dumps(event.to_json(), default=float) + "\n").encode("utf-8")
        fd = os.open(self.metrics_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, line)
        finally:
            os.close(fd)

    def read_metrics(self) -> list[MetricEvent]:
        """Every intact metrics line as its event, in file order (a torn line from a crash, or a line of
        a kind this version does not know, is skipped)."""
        events = (parse_metric(record) for record in self._metric_lines())
        return [event for event in events if event is not None]

    def history(self) -> TrainingHistory:
        """The run's metrics by kind (for training curves)."""
        history = TrainingHistory()
        for event in self.read_metrics():
            if isinstance(event, TrainStep):
                history.steps.append(event)
            elif isinstance(event, Validation):
                history.validations.append(event)
            else:
                history.checkpoints.append(event)
        return history

    def truncate_metrics(self, step: int) -> None:
        """Drop records after `step` (a resume repeats that work)."""
        kept = [r for r in self._metric_lines() if not _after(r, step)]
        text = "".join(json.dumps(r) + "\n" for r in kept)
        write_bytes_atomic(self.metrics_path, text.encode("utf-8"))

    def _metric_lines(self) -> list[Any]:
        try:
            text = self.metrics_path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        records = []
        for line in text.splitlines():
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError:
                continue
        return records

    # ---- checkpoints ---------------------------------------------------------------------------

    def checkpoints(self) -> list[tuple[int, Path]]:
        """(step, path) of every checkpoint, oldest first."""
        if not self.checkpoint_dir.is_dir():
            return []
        found = []
        for p in self.checkpoint_dir.iterdir():
            m = _CHECKPOINT.fullmatch(p.name)
            if m:
                found.append((int(m.group(1)), p))
        return sorted(found)

    def save_checkpoint(self, step: int, arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> Path:
        """Write `ckpt-<step>.npz` atomically, then delete all but the latest KEEP_CHECKPOINTS."""
        buffer = io.BytesIO()
        meta_array = np.array(json.dumps({**meta, "step": step}))
        np.savez(buffer, allow_pickle=False, __meta__=meta_array, **arrays)
        path = self.checkpoint_dir / f"ckpt-{step:08d}.npz"
        write_bytes_atomic(path, buffer.getvalue())
        for _, old in self.checkpoints()[:-KEEP_CHECKPOINTS]:
            old.unlink(missing_ok=True)
        return path

    def latest_checkpoint(self) -> CheckpointData | None:
        """The newest readable checkpoint, or None when there is none."""
        for step, path in reversed(self.checkpoints()):
            try:
                with np.load(path, allow_pickle=False) as data:
                    arrays = {k: data[k] for k in data.files if k != "__meta__"}
                    meta = json.loads(str(data["__meta__"]))
            except (OSError, ValueError, KeyError, json.JSONDecodeError):
                continue  # damaged (cannot normally happen: writes are atomic); try the one before
            return CheckpointData(step, arrays, meta, path)
        return None


def _after(record: Any, step: int) -> bool:
    """True for a metrics record logged after `step`."""
    at = record.get("step", 0) if isinstance(record, dict) else 0
    return isinstance(at, (int, float)) and at > step


def new_run_path(project_dir: str | Path, config: ProjectConfig) -> Path:
    """runs/<date>-<time>-<words>, made unique with a counter."""
    words = "-".join(re.sub(r"[^a-z0-9]+", "_", w.lower()) for w in config.words)[:40]
    base = Path(project_dir) / RUNS_DIR / f"{time.strftime('%Y%m%d-%H%M%S')}-{words}"
    path, n = base, 1
    while path.exists():
        n += 1
        path = base.with_name(f"{base.name}-{n}")
    return path


def list_runs(project_dir: str | Path = ".") -> list[RunDir]:
    """Runs under `project_dir/runs`, oldest first."""
    root = Path(project_dir) / RUNS_DIR
    if not root.is_dir():
        return []
    runs = [RunDir(p) for p in root.iterdir() if (p / CONFIG_FILE).is_file()]
    return sorted(runs, key=lambda r: (r.info.created, r.id))


def resolve_run(name: str | Path, project_dir: str | Path = ".") -> RunDir:
    """A run given as a folder, as an id under `project_dir/runs`, or as "latest"."""
    candidate = Path(name)
    if (candidate / CONFIG_FILE).is_file():
        return RunDir(candidate)
    if str(name) == "latest":
        runs = list_runs(project_dir)
        if not runs:
            raise TrainingError(
                f"no runs in {Path(project_dir) / RUNS_DIR}", "train one with `wakebench train`"
            )
        return runs[-1]
    by_id = Path(project_dir) / RUNS_DIR / str(name)
    if (by_id / CONFIG_FILE).is_file():
        return RunDir(by_id)
    raise TrainingError(
        f"{name}: no such run (neither a run folder nor an id under {Path(project_dir) / RUNS_DIR})",
        "list runs with `ls runs/`; give the folder path or its name",
    )
