"""The quick retrain-and-flash loop: `wakebench loop RUN` and the app's r key.

"It missed my word" -> a retrained, flashed, checked board, in stages that each report progress and
can be cancelled:

1. new clips   the own-voice recordings and board captures that are newer than RUN (the dataset's own
               rules decide their labels and splits: about 80 % of them train);
2. retrain     fine-tune a new run from RUN's last checkpoint (warm start) on RUN's data plus the new
               clips, with a short schedule (`[loop] steps`, default 1,000) and the new clips weighted
               up so they make `[loop] new_clip_share` (default 25 %) of every batch; the new run
               records RUN as its parent;
3. export      int8 model, C files and report (core.model.export); the recognizer keeps the parent's
               calibrated threshold and window unless `[loop] recalibrate` (calibrating costs ~45 s);
4. check       how the new clips score before and after, and that the model fits the board;
5. build, flash, reconnect   (core.arduino) unless flashing is off: the board is only touched after
               every check passed, and the monitor's link is handed back.

A failure or a cancel at any stage keeps the last good model and firmware: RUN is never changed, the
board keeps what it runs until an upload, and the new run's folder stays for a look (it is never
overwritten either).
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from core.board.profiles import SKETCH_DIR, BoardProfile
from core.config import LoopSettings, ProjectConfig
from core.errors import DataError
from core.events import CancelToken, Done, Event, EventCallback, Log, Progress, ignore_events
from core.model.runs import RunDir

PER_TAKE_SOURCES = ("recordings", "captures")


@dataclass(frozen=True)
class NewClip:
    path: Path
    label: str
    split: str


@dataclass(frozen=True)
class ClipScores:
    """How one model does on the new clips: accuracy overall and per label (None: no clip of it)."""

    clips: int
    accuracy: float
    per_label: dict[str, float | None]


@dataclass
class LoopResult:
    """What a loop did and what changed (the `done` result of `wakebench loop`, shown by the app)."""

    parent: str
    run_dir: str
    new_clips: int
    new_training_clips: int
    boost: float
    steps: int
    stage_seconds: dict[str, float] = field(default_factory=dict)
    model_bytes: tuple[int, int] = (0, 0)
    """Before (the parent's) and after."""
    test_accuracy: tuple[float | None, float | None] = (None, None)
    per_word: dict[str, tuple[float | None, float | None]] = field(default_factory=dict)
    new_clip_scores: tuple[ClipScores | None, ClipScores | None] = (None, None)
    flashed: dict[str, Any] = field(default_factory=dict)
    """The flash report when the loop flashed a board, else {}."""

    @property
    def host_seconds(self) -> float:
        """Retrain + export + check: the part that does not wait for arduino-cli or the board."""
        return sum(self.stage_seconds.get(s, 0.0) for s in ("new clips", "retrain", "export", "check"))

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "host_seconds": round(self.host_seconds, 2)}


def new_clips(parent: RunDir) -> list[NewClip]:
    """The recordings and captures of the parent's project that are newer than the parent run, labelled
    and split as training will use them."""
    from core.data.dataset import build_index

    since = run_created(parent)
    config = parent.config
    index = build_index(
        config, parent.project_dir, parent.extra_dirs, seed=config.training.seed, strict=False
    )
    return [
        NewClip(e.path, e.label, e.split)
        for e in index.entries
        if e.source in PER_TAKE_SOURCES and e.path is not None and e.path.stat().st_mtime > since
    ]


def run_created(run: RunDir) -> float:
    """When the run was made (run.json's `created`, local time), as a timestamp; config.json's time
    when that is unreadable. (Not config.json's time first: export's calibration rewrites that file.)"""
    try:
        return time.mktime(time.strptime(run.info.created, "%Y-%m-%dT%H:%M:%S"))
    except (ValueError, OverflowError):
        return run.config_path.stat().st_mtime


def boost_factor(parent: RunDir, clips: list[NewClip], share: float) -> float:
    """The factor that makes the new training clips `share` of the sampled batches."""
    from core.data.dataset import build_index

    config = parent.config
    index = build_index(
        config, parent.project_dir, parent.extra_dirs, seed=config.training.seed, strict=False
    )
    new = {c.path for c in clips if c.split == "training"}
    training = [e for e in index.entries if e.split == "training"]
    new_weight = sum(e.weight for e in training if e.path in new)
    rest = sum(e.weight for e in training if e.path not in new)
    if new_weight <= 0 or rest <= 0 or share <= 0:
        return 1.0
    return share / (1 - share) * rest / new_weight


def fine_tune_config(parent: ProjectConfig, loop: LoopSettings) -> ProjectConfig:
    """The parent's config with the loop's short schedule: one phase of `loop.steps` at `loop.learning_rate`."""
    t = parent.training
    steps = loop.steps
    training = dataclasses.replace(
        t,
        steps=[steps],
        learning_rates=[loop.learning_rate],
        eval_every=min(t.eval_every, steps),
        checkpoint_every=min(t.checkpoint_every, steps),
    )
    return parent.replace(training=training, loop=loop)


def retrain_loop(
    parent: RunDir | str | Path,
    loop: LoopSettings,
    *,
    board: BoardProfile | None = None,
    cli: Any = None,
    port: str = "",
    baud: int = 115200,
    link: Any = None,
    run_dir: str | Path | None = None,
    sketch_dir: Path = SKETCH_DIR,
    cache_root: Path | None = None,
    on_event: EventCallback = ignore_events,
    cancel: CancelToken | None = None,
) -> LoopResult:
    """Run the loop from `parent` (see the module docstring). With `board` and `cli` (a
    core.arduino.cli.ArduinoCli) it builds and flashes too; `link` is the app's open BoardLink, released
    for the upload and reconnected after it."""
    from core.model.evaluate import evaluate_clips
    from core.model.export import export_run
    from core.model.train import train

    parent = parent if isinstance(parent, RunDir) else RunDir.open(parent)
    flashing = board is not None and cli is not None
    stages = ["new clips", "retrain", "export", "check"] + (["build", "flash"] if flashing else [])
    seconds: dict[str, float] = {}
    running: list[tuple[str, float]] = []  # the stage in progress and when it began

    def finish_stage() -> None:
        if running:
            name, began = running.pop()
            seconds[name] = round(time.monotonic() - began, 2)

    def stage(name: str) -> None:
        if cancel is not None:
            cancel.raise_if_cancelled()
        finish_stage()
        running.append((name, time.monotonic()))
        on_event(Progress("loop", stages.index(name), len(stages), name))

    def forward(event: Event) -> None:
        if not isinstance(event, Done):  # the loop's own Done comes last
            on_event(event)

    stage("new clips")
    if parent.report is None:
        from core.errors import ExportError

        raise ExportError(
            f"{parent.path}: not exported yet", f"export it first: wakebench export {parent.path}"
        )
    clips = new_clips(parent)
    if not clips:
        raise DataError(
            f"no recordings or captures newer than {parent.id}",
            "record the missed word (`wakebench record --word WORD`, or the app's record mode) or capture "
            "it from the board, then run the loop again",
        )
    factor = boost_factor(parent, clips, loop.new_clip_share)
    training_clips = sum(c.split == "training" for c in clips)
    on_event(
        Log(
            f"{len(clips)} new clips since {parent.id} ({training_clips} train); they count x{factor:.1f} "
            f"so they make {loop.new_clip_share:.0%} of each batch"
        )
    )

    stage("retrain")
    config = fine_tune_config(parent.config, loop)
    boost = {str(c.path.resolve()): factor for c in clips}
    trained = train(
        config,
        parent.project_dir,
        run_dir=run_dir,
        extra_dirs=parent.extra_dirs,
        warm_start=parent,
        boost=boost,
        on_event=forward,
        cancel=cancel,
    )
    child = RunDir.open(trained.run_dir)

    stage("export")
    report = export_run(child, on_event=forward, cancel=cancel, calibrate=loop.recalibrate)

    stage("check")
    pairs = [(c.path, c.label) for c in clips]
    before = evaluate_clips(parent, pairs, "new clips", cancel=cancel)
    after = evaluate_clips(child, pairs, "new clips", cancel=cancel)
    on_event(Log(f"new clips: {before.accuracy:.0%} right before, {after.accuracy:.0%} after"))
    if board is not None:
        from core.arduino.build import check_fit

        check_fit(child, board)

    parent_report = parent.report
    result = LoopResult(
        parent=str(parent.path),
        run_dir=str(child.path),
        new_clips=len(clips),
        new_training_clips=training_clips,
        boost=round(factor, 3),
        steps=trained.steps,
        model_bytes=(parent_report.model_bytes, report.model_bytes),
        test_accuracy=(parent_report.int8_accuracy, report.int8_accuracy),
        per_word={
            label: (parent_report.per_class.get(label), report.per_class.get(label))
            for label in report.labels
        },
        new_clip_scores=(_scores(before), _scores(after)),
    )
    if flashing:
        from core.arduino.build import build_run
        from core.arduino.flash import flash_run

        assert board is not None
        stage("build")
        build_run(
            child, board, cli, sketch_dir=sketch_dir, cache_root=cache_root, on_event=forward, cancel=cancel
        )
        stage("flash")
        flashed = flash_run(
            child,
            board,
            cli,
            port=port,
            baud=baud,
            link=link,
            sketch_dir=sketch_dir,
            cache_root=cache_root,
            on_event=forward,
            cancel=cancel,
        )
        result.flashed = flashed.to_dict()
    finish_stage()
    result.stage_seconds = seconds
    on_event(Progress("loop", len(stages), len(stages), "done"))
    on_event(Done(result.to_dict()))
    return result


def _scores(result: Any) -> ClipScores:
    present = {label: acc for label, acc in result.per_class.items() if acc is not None}
    return ClipScores(result.clips, round(result.accuracy, 4), present)
