"""Build a run's firmware with arduino-cli: `wakebench build RUN`.

1. Refuse, before compiling, a model the board or the firmware cannot run, naming the limit: the ops,
   input shape and type (core.model.export.check_model), flash (the model array) and RAM (the tensor arena
   plus the sketch's own buffers) against the board profile.
2. Stage the sketch with the run's generated model files in a persistent build slot
   (core.board.build_cache: a rebuild with another model takes seconds, not the minutes of a cold TFLM
   build); firmware/ is never edited. The slot's sketch.yaml names local libraries by absolute path, so
   the profile's `dir:` entries still resolve from the staged copy.
3. Compile with the board's sketch.yaml build profile, then report flash and RAM against the board's
   limits. arduino-cli reports RAM only for boards whose definition sets a data-size limit (not the
   EdgeBadge); then RAM is read from the ELF's sections (core.board.elf_size).
4. Copy what was built into the run's own build folder, runs/<id>/build/<board>/: the sketch as
   compiled (sketch/wakebench/), the images (.elf/.bin/.hex/.uf2) and build.json. Uploads use that copy,
   so a later failed build never touches what a board was flashed with.
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from core.board.profiles import SKETCH_DIR, BoardProfile, memory_budget, sketch_yaml_for_copy
from core.errors import CompileError, ExportError, IncompatibleModelError
from core.events import CancelToken, Done, EventCallback, Log, Progress, ignore_events
from core.fileio import write_json_atomic
from core.model.convert import check_model
from core.model.runs import RunDir

BUILD_FILE = "build.json"
IMAGE_SUFFIXES = (".elf", ".bin", ".hex", ".uf2")
SKETCH_NAME = "wakebench"


@dataclass(frozen=True)
class ModelFit:
    """What the model needs of the board, checked before compiling."""

    model_sha8: str
    model_bytes: int
    arena_bytes: int
    flash_used: int
    flash_total: int
    ram_used: int
    ram_total: int


@dataclass(frozen=True)
class BuildReport:
    """One finished build (build.json in the run's build folder, and the `done` result of `build`)."""

    run_dir: str
    board: str
    fqbn: str
    model_sha8: str
    build_dir: str
    """runs/<id>/build/<board>/: the sketch as compiled and the images."""
    images: list[str]
    flash_used: int
    flash_max: int
    ram_used: int | None
    ram_max: int
    ram_source: str
    """"arduino-cli" when it reported RAM, "elf" when read from the ELF's sections, "" when unknown."""
    seconds: float
    warnings: list[str]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def sketch_dir(self) -> Path:
        return Path(self.build_dir) / "sketch" / SKETCH_NAME

    @classmethod
    def read(cls, run: RunDir, board: str) -> BuildReport | None:
        """The run's last build for `board`, if its images are still there."""
        path = run.build_dir(board) / BUILD_FILE
        try:
            report = cls(**json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError):
            return None
        build_dir = Path(report.build_dir)
        if not all((build_dir / name).is_file() for name in report.images):
            return None
        return report


def check_fit(run: RunDir, profile: BoardProfile) -> ModelFit:
    """Refuse a model this board or the firmware cannot run; IncompatibleModelError names the limit."""
    report = exported_report(run)
    try:
        model_bytes = run.model_path.read_bytes()
    except FileNotFoundError:
        raise ExportError(
            f"{run.model_path}: the run has no exported model", f"export it: wakebench export {run.path}"
        ) from None
    config = run.config
    check_model(model_bytes, config.features, len(config.labels))  # ops, input shape and type, output
    arena = report.arena_bytes_with_margin
    budget = memory_budget(profile, len(model_bytes), arena)
    if budget.flash_used >= budget.flash_total:
        raise IncompatibleModelError(
            f"flash: the model alone is {budget.flash_used:,} bytes; {profile.title} holds at most "
            f"{budget.flash_total:,} bytes of sketch",
            "train a smaller model (fewer filters, or another architecture)",
        )
    if budget.ram_used > budget.ram_total:
        raise IncompatibleModelError(
            f"RAM/arena: the tensor arena ({arena:,} bytes with margin) and the sketch's buffers need "
            f"{budget.ram_used:,} bytes; {profile.title} has {budget.ram_total:,}",
            "train a model with smaller activations (fewer filters or a larger stride)",
        )
    return ModelFit(
        report.model_sha8,
        len(model_bytes),
        arena,
        budget.flash_used,
        budget.flash_total,
        budget.ram_used,
        budget.ram_total,
    )


def project_sketch_dir(configured: str, project_dir: str | Path) -> Path:
    """The sketch folder a project builds: `[board] sketch_dir` (relative to the project), else the
    firmware/wakebench that ships with wakebench. A folder without wakebench.ino is an ExportError."""
    from core.board.firmware_files import check_sketch_dir

    if not configured:
        return SKETCH_DIR
    path = Path(configured).expanduser()
    return check_sketch_dir(path if path.is_absolute() else Path(project_dir) / path)


def exported_report(run: RunDir) -> Any:
    """The run's report.json; an ExportError saying to export when the run is not (completely) exported."""
    report = run.report
    if report is None:
        raise ExportError(
            f"{run.path}: not exported yet (no {run.report_path.name})",
            f"export it first: wakebench export {run.path}",
        )
    return report


def run_firmware_files(run: RunDir) -> dict[str, str]:
    """The run's generated firmware files, checked to hold the model its report describes."""
    from core.board.firmware_files import checked_generated_files

    return checked_generated_files(run.path, exported_report(run).model_sha8)


def build_components(profile: BoardProfile, cli_version: str) -> dict[str, str]:
    """What a build slot is keyed on besides the sketch name and FQBN (core.board.build_cache)."""
    components = {
        "builder": f"arduino-cli {cli_version}",
        "platform": f"{profile.platform}@{profile.platform_version}",
    }
    for lib in profile.libraries:
        components[f"lib:{lib.name}"] = lib.dir or lib.version
    return components


def build_run(
    run: RunDir | str | Path,
    profile: BoardProfile,
    cli: Any,
    *,
    sketch_dir: Path = SKETCH_DIR,
    cache_root: Path | None = None,
    on_event: EventCallback = ignore_events,
    cancel: CancelToken | None = None,
) -> BuildReport:
    """Check, stage, compile and copy a run's firmware for one board (see the module docstring).

    `cli` is a core.arduino.cli.ArduinoCli. A compiler error is a CompileError with the compiler's
    messages; the run's previous build, if any, is left as it was.
    """
    from core.board.build_cache import BuildSlot
    from core.board.elf_size import read_elf_size

    started = time.monotonic()
    run = run if isinstance(run, RunDir) else RunDir.open(run)
    on_event(Progress("build", 0, 4, "checking the model against the board"))
    fit = check_fit(run, profile)
    files = run_firmware_files(run)
    overrides = {name: text.encode("utf-8") for name, text in files.items()}
    overrides["sketch.yaml"] = sketch_yaml_for_copy(profile, sketch_dir).encode("utf-8")

    version = cli.version().version
    slot = BuildSlot.for_build(profile.fqbn, build_components(profile, version), SKETCH_NAME, cache_root)
    if cancel is not None:
        cancel.raise_if_cancelled()
    with slot.lock():
        changed = slot.stage(sketch_dir, overrides)
        on_event(Progress("build", 1, 4, f"compiling for {profile.title} ({len(changed)} files changed)"))
        result = cli.compile(slot.sketch_dir, profile.name, slot.build_dir, on_event=on_event, cancel=cancel)
        elf = _image(slot.build_dir, ".elf")
        if elf is None:
            raise CompileError(
                f"{slot.build_dir}: the build left no .elf", "run the compile by hand to see why"
            )
        on_event(Progress("build", 2, 4, "measuring flash and RAM"))
        text = result.section("text")
        data = result.section("data")
        flash_used = text.size if text else read_elf_size(elf).flash_bytes
        flash_max = text.max_size if text and text.max_size else profile.flash_bytes
        if data is not None and data.max_size:
            ram_used, ram_max, ram_source = data.size, data.max_size, "arduino-cli"
        else:
            ram_used, ram_max, ram_source = read_elf_size(elf).ram_bytes, profile.ram_bytes, "elf"
        if ram_used > ram_max:
            raise IncompatibleModelError(
                f"RAM/arena: the firmware's variables take {ram_used:,} bytes; {profile.title} has {ram_max:,}",
                "train a model with a smaller tensor arena",
            )
        slot.record(profile.fqbn, fit.model_sha8, time.monotonic() - started)

        on_event(Progress("build", 3, 4, "copying the build into the run"))
        target = run.build_dir(profile.name)
        images = _copy_build(slot.sketch_dir, slot.build_dir, target)
    report = BuildReport(
        run_dir=str(run.path),
        board=profile.name,
        fqbn=profile.fqbn,
        model_sha8=fit.model_sha8,
        build_dir=str(target),
        images=images,
        flash_used=flash_used,
        flash_max=flash_max,
        ram_used=ram_used,
        ram_max=ram_max,
        ram_source=ram_source,
        seconds=round(time.monotonic() - started, 2),
        warnings=[str(d) for d in result.diagnostics if d.severity == "warning"],
    )
    write_json_atomic(target / BUILD_FILE, report.to_dict())
    on_event(
        Log(
            f"flash {flash_used:,} of {flash_max:,} bytes ({flash_used / flash_max:.0%}), "
            f"RAM {ram_used:,} of {ram_max:,} bytes ({ram_used / ram_max:.0%}, from {ram_source})"
        )
    )
    on_event(Progress("build", 4, 4, "done"))
    on_event(Done(report.to_dict()))
    return report


def _image(build_dir: Path, suffix: str) -> Path | None:
    found = sorted(build_dir.glob(f"*{suffix}")) if build_dir.is_dir() else []
    return found[0] if found else None


def _copy_build(staged_sketch: Path, build_dir: Path, target: Path) -> list[str]:
    """Replace the run's build folder with the staged sketch and the images (built in a temporary
    folder beside it, then swapped in, so an interruption leaves the previous copy or the new one)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fresh = target.with_name(f".{target.name}.new")
    shutil.rmtree(fresh, ignore_errors=True)
    shutil.copytree(staged_sketch, fresh / "sketch" / SKETCH_NAME)
    images = []
    for path in sorted(build_dir.iterdir()):
        if path.is_file() and path.suffix in IMAGE_SUFFIXES:
            shutil.copy2(path, fresh / path.name)
            images.append(path.name)
    old = target.with_name(f".{target.name}.old")
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        target.rename(old)
    fresh.rename(target)
    shutil.rmtree(old, ignore_errors=True)
    return images
