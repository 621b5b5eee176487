"""Read-only views of the project for the panes, gathered from `core` in a worker thread.

Nothing here decides anything: it asks `core` and reshapes the answers into the small dataclasses the
widgets draw. It must stay free of TensorFlow (it runs at start-up).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from core.config import ProjectConfig
from core.errors import WakebenchError
from core.events import TrainStep, Validation
from tui.widgets.board import PortInfo
from tui.widgets.model import CalibrationView, ModelView, RunRow

if TYPE_CHECKING:
    from core.board.profiles import MemoryBudget
    from core.model.runs import ExportReport


@dataclass(frozen=True)
class WordsView:
    """Words to offer (Speech Commands words first, then custom ones) and clips per word and source."""

    words: list[str]
    counts: dict[str, dict[str, int]] = field(default_factory=dict)


@dataclass(frozen=True)
class ProjectScan:
    """What the project holds: the words with their clip counts, and its runs (newest first)."""

    words: WordsView
    runs: list[RunRow]


@dataclass(frozen=True)
class RunDetails:
    """The picked run as the Model pane (model, budget on the project's board) and the Training pane
    (its curves) show it."""

    model: ModelView
    budget: MemoryBudget | None
    board: str
    steps: list[TrainStep]
    validations: list[Validation]


def scan_project(config: ProjectConfig, project_dir: Path) -> ProjectScan:
    return ProjectScan(words_view(config, project_dir), run_rows(project_dir))


def run_details(config: ProjectConfig, run_path: Path) -> RunDetails:
    view = model_view(run_path)
    budget, board = memory_view(config, view)
    return RunDetails(view, budget, board, *training_history(run_path))


def speech_commands_words() -> list[str]:
    from core.data.synth import SPEECH_COMMANDS_WORDS

    return list(SPEECH_COMMANDS_WORDS)


def words_view(config: ProjectConfig, root: Path) -> WordsView:
    """Every word to tick, with how many clips each data source has for it."""
    from core.data.dataset import build_index

    offered = speech_commands_words()
    words = offered + [w for w in config.words if w not in offered]
    index = build_index(config.replace(words=words), root, strict=False)
    per_source = index.source_counts()
    counts = {w: {source: labels.get(w, 0) for source, labels in per_source.items()} for w in words}
    return WordsView(words, counts)


def list_serial_ports() -> list[PortInfo]:
    """The serial ports pyserial sees, recognised boards first (named by their profile, from the USB ids)."""
    from core.board.discovery import list_ports  # lazy: pyserial stays out of the first frame

    return [PortInfo(p.device, p.title + (" (bootloader)" if p.bootloader else "")) for p in list_ports()]


def run_rows(project_dir: Path) -> list[RunRow]:
    """The project's runs, newest first, as the Model pane's history lists them."""
    from core.model.runs import list_runs

    rows = []
    for run in reversed(list_runs(project_dir)):
        try:
            config = run.config
        except WakebenchError:
            continue  # a damaged run folder is left alone, not listed
        info, report = run.info, run.report
        total = sum(config.training.steps)
        step = info.step
        rows.append(
            RunRow(
                run.id,
                ",".join(config.words),
                f"{step:,}/{total:,}" if step < total else f"{total:,}",
                info.val_accuracy,
                report.int8_accuracy if report is not None else None,
                _model_bytes(report, run.model_path),
                _fits_board(config, report),
                info.sweep,
            )
        )
    return rows


def _fits_board(config: ProjectConfig, report: ExportReport | None) -> bool | None:
    from core.board.profiles import get_board, memory_budget

    if report is None:
        return None
    try:
        board = get_board(config.board.profile)
    except WakebenchError:
        return None  # a run made for a board profile this checkout does not have
    return memory_budget(board, report.model_bytes, report.arena_bytes_with_margin).fits


def model_view(run_path: Path) -> ModelView:
    """The picked run's model as the Model pane shows it (from the report.json export wrote)."""
    from core.model.runs import RunDir

    run = RunDir(run_path)
    report = run.report
    if report is None:
        return ModelView(run.id, list(run.labels), size_bytes=_model_bytes(None, run.model_path))
    return ModelView(
        run.id,
        list(report.labels),
        size_bytes=_model_bytes(report, run.model_path),
        arena_bytes=report.arena_bytes,
        arena_allocated=report.arena_bytes_with_margin,
        ops=list(report.ops),
        float_accuracy=report.float_accuracy,
        int8_accuracy=report.int8_accuracy,
        confusion=report.confusion,
        model_sha8=report.model_sha8,
        calibration=calibration_view(report.calibration),
    )


def calibration_view(data: dict | None) -> CalibrationView | None:
    """report.json's calibration as the Model pane shows it (None before a calibrated export)."""
    if not data:
        return None
    try:
        return CalibrationView(
            window_ms=int(data["average_window_ms"]),
            threshold=int(data["detection_threshold"]),
            frr=data.get("frr"),
            fa_per_hour=data.get("fa_per_hour"),
            target_fa_per_hour=float(data["target_fa_per_hour"]),
            met=bool(data["met"]),
            negative_hours=float(data.get("negative_hours", 0.0)),
            curve=[
                (int(p["threshold"]), float(p["frr"]), float(p["fa_per_hour"])) for p in data.get("curve", [])
            ],
        )
    except (KeyError, TypeError, ValueError):
        return None  # a report of another version: show the model without the curve


def memory_view(config: ProjectConfig, view: ModelView):
    """(MemoryBudget, board title) of the project's board for this model, or (None, "") when unknown:
    the real flash/RAM of a firmware built with this model for this board when the build cache has one,
    else an estimate."""
    from core.board.build_cache import find_build
    from core.board.profiles import built_memory_budget, get_board, memory_budget

    if view.size_bytes is None:
        return None, ""
    board = get_board(config.board.profile)
    build = find_build(view.model_sha8, board.fqbn) if view.model_sha8 else None
    if build is not None:
        return built_memory_budget(board, build.size), board.title
    arena = view.arena_allocated or view.arena_bytes or board.default_arena_bytes
    return memory_budget(board, view.size_bytes, arena), board.title


def training_history(run_path: Path) -> tuple[list[TrainStep], list[Validation]]:
    """The steps and validations a run logged (metrics.jsonl), to redraw its curves."""
    from core.model.runs import RunDir

    history = RunDir(run_path).history()
    return history.steps, history.validations


def _model_bytes(report: ExportReport | None, model_path: Path) -> int | None:
    if report is not None and report.model_bytes:
        return report.model_bytes
    return model_path.stat().st_size if model_path.is_file() else None
