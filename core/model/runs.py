"""A training run on disk: `runs/<id>/`.

    config.json        the resolved project config the run trains with (a resume uses it, not the project's)
    run.json           where the data came from (project folder, extra folders) and the run's state
    metrics.jsonl      one JSON object per training event (steps, validations, checkpoints), appended
    checkpoints/       ckpt-<step>.npz: model and optimizer variables, random state, step (latest two kept)
    model.tflite, model_data.cc, model_data.h, model_settings.h, report.json   written by export

Every file except metrics.jsonl is replaced atomically (core.fileio). metrics.jsonl is appended one line
per write; a line torn by a crash is ignored when reading, and a resume drops the lines after its checkpoint.
"""

from __future__ import annotations

import io
import json
import os
import re
import time
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from core.config import ProjectConfig, config_from_dict
from core.errors import ConfigError, TrainingError
from core.fileio import write_bytes_atomic, write_json_atomic

RUNS_DIR = "runs"
CONFIG_FILE = "config.json"
RUN_FILE = "run.json"
METRICS_FILE = "metrics.jsonl"
CHECKPOINT_DIR = "checkpoints"
MODEL_FILE = "model.tflite"
REPORT_FILE = "report.json"
KEEP_CHECKPOINTS = 2

_CHECKPOINT = re.compile(r"ckpt-(\d+)\.npz")


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
        info = {
            "id": run.path.name,
            "created": time.strftime("%Y-%m-%dT%H:%M:%S"),
            "project_dir": str(Path(project_dir).resolve()),
            "extra_dirs": [str(Path(d).resolve()) for d in extra_dirs],
            "state": "created",
        }
        write_json_atomic(run.path / RUN_FILE, info)
        return run

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
    def info(self) -> dict[str, Any]:
        try:
            return json.loads((self.path / RUN_FILE).read_text(encoding="utf-8"))
        except (FileNotFoundError, json.JSONDecodeError):
            return {}

    def update_info(self, **changes: Any) -> None:
        write_json_atomic(self.path / RUN_FILE, {**self.info, **changes})

    @property
    def project_dir(self) -> Path:
        return Path(self.info.get("project_dir", "."))

    @property
    def extra_dirs(self) -> list[str]:
        return list(self.info.get("extra_dirs", []))

    @property
    def report(self) -> dict[str, Any]:
        """report.json written by export; {} before the run is exported."""
        try:
            return json.loads(self.report_path.read_text(encoding="utf-8"))
        except (FileNotFoundError, json.JSONDecodeError):
            return {}

    # ---- metrics -------------------------------------------------------------------------------

    def append_metrics(self, record: dict[str, Any]) -> None:
        """Append one JSON line (one write call, so a crash tears at most this line)."""
        line = (json.dumps(record, default=float) + "\n").encode("utf-8")
        fd = os.open(self.metrics_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, line)
        finally:
            os.close(fd)

    def read_metrics(self) -> list[dict[str, Any]]:
        """Every intact metrics line (a torn line from a crash is skipped)."""
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

    def truncate_metrics(self, step: int) -> None:
        """Drop records after `step` (a resume repeats that work)."""
        kept = [r for r in self.read_metrics() if int(r.get("step", 0)) <= step]
        text = "".join(json.dumps(r) + "\n" for r in kept)
        write_bytes_atomic(self.metrics_path, text.encode("utf-8"))

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
        np.savez(buffer, __meta__=np.array(json.dumps({**meta, "step": step})), **arrays)
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
    return sorted(runs, key=lambda r: (r.info.get("created", ""), r.id))


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
