"""Export a trained run for the board, step by step: its latest checkpoint converted to full-integer int8
TFLite and checked against what the firmware can run (core.model.convert), measured and tested in the TFLM
interpreter (core.model.tflm, core.model.metrics), its recognizer calibrated to the false-accept target on
validation streams (core.model.calibrate), and turned into C files (core.board.firmware_files).

Writes into the run folder: model.tflite, model_data.cpp/.h and model_settings.h, and report.json (model
bytes, ops, measured arena, float vs int8 accuracy on the test split, confusion). report.json is written
last, so a run with a report is completely exported. install_firmware_files then puts the run's three
generated files, unchanged, into the sketch folder (firmware/wakebench/).
"""

from __future__ import annotations

import time
from dataclasses import asdict
from pathlib import Path

import numpy as np

from core.board.firmware_files import (
    arena_with_margin,
    check_sketch_dir,
    firmware_model,
    install_generated_files,
    model_sha8,
    write_firmware_files,
)
from core.errors import DataError, ExportError
from core.events import CancelToken, Done, EventCallback, Log, Progress, ignore_events
from core.features.quantize import to_model_input
from core.features.splits import load_split_data
from core.fileio import write_bytes_atomic
from core.model.calibrate import calibrate_run
from core.model.convert import check_model, convert_int8
from core.model.metrics import confusion_matrix, int8_predictions, per_class_accuracy
from core.model.runs import ExportReport, RunDir
from core.model.tflm import TflmModel
from core.model.train import restore_model, total_steps

REPRESENTATIVE_CLIPS = 500  # calibration clips for the int8 ranges, drawn from the training features


def export_run(
    run: RunDir | str | Path,
    *,
    firmware_dir: str | Path | None = None,
    cache_dir: Path | None = None,
    on_event: EventCallback = ignore_events,
    cancel: CancelToken | None = None,
    calibrate: bool = True,
) -> ExportReport:
    """Export a trained run (its latest checkpoint) and write the model, C files and report.

    `calibrate=False` keeps the recognizer settings in the run's config as they are (the retrain loop's
    fine-tuned run keeps its parent's calibrated threshold and window) instead of calibrating them.

    With `firmware_dir` (the sketch folder), the generated C files are then installed there too
    (install_firmware_files); a folder that is not the sketch is refused before any work.
    """
    started = time.monotonic()
    if firmware_dir is not None:
        check_sketch_dir(firmware_dir)
    run = run if isinstance(run, RunDir) else RunDir.open(run)
    config = run.config
    labels = config.labels
    stages = 6

    def stage(n: int, text: str) -> None:
        if cancel is not None:
            cancel.raise_if_cancelled()
        on_event(Progress("export", n, stages, text))

    stage(0, "loading the model and features")
    model, checkpoint = restore_model(run)
    total = total_steps(config)
    if checkpoint.step < total:
        on_event(Log(f"the run stopped at step {checkpoint.step:,} of {total:,}: exporting that checkpoint"))
    data = load_split_data(
        config,
        run.project_dir,
        run.extra_dirs,
        splits=("training", "testing"),
        cache_dir=cache_dir,
        on_event=on_event,
        cancel=cancel,
    )
    train, test = data["training"], data["testing"]
    rng = np.random.default_rng(config.training.seed)
    bank = train.features.reshape(-1, config.features.frames, config.features.channels)
    pick = rng.choice(len(bank), size=min(REPRESENTATIVE_CLIPS, len(bank)), replace=False)
    representative = to_model_input(bank[pick])[..., None]

    stage(1, "converting to int8")
    model_bytes = convert_int8(model, representative, config.features)
    stage(2, "checking ops and shapes")
    info = check_model(model_bytes, config.features, len(labels))

    stage(3, "measuring the tensor arena in TFLM")
    tflm = TflmModel(model_bytes)

    stage(4, "calibrating threshold and window on validation streams")
    calibration = None
    if not calibrate:
        on_event(Log("recognizer settings kept as the run's config has them (not calibrated again)"))
    elif config.recognizer.target_fa_per_hour > 0:
        try:
            calibration = calibrate_run(run, tflm, on_event=on_event, cancel=cancel)
        except DataError as exc:
            on_event(Log(f"not calibrated ({exc.message}): keeping the [recognizer] settings"))
        config = run.config  # with the calibrated recognizer

    stage(5, "testing float and int8 models")
    test_u16 = test.features[test.rows, 0]
    float_acc = int8_acc = None
    confusion = confusion_matrix([], [], len(labels))
    if len(test):
        float_pred = np.argmax(model.predict(test.eval_inputs(), verbose=0, batch_size=500), axis=1)
        int8_pred = int8_predictions(tflm, test_u16)
        float_acc = float(np.mean(float_pred == test.labels))
        int8_acc = float(np.mean(int8_pred == test.labels))
        confusion = confusion_matrix(test.labels, int8_pred, len(labels))
    else:
        on_event(Log("the test split is empty: no accuracy figures (add more speakers)"))

    sha8 = model_sha8(model_bytes)
    write_bytes_atomic(run.model_path, model_bytes)
    spec = firmware_model(
        model_bytes,
        labels,
        config.features,
        config.recognizer,
        tflm.arena_bytes,
        tflm.input_scale,
        tflm.input_zero_point,
        sha8,
    )
    files = [run.model_path, *write_firmware_files(spec, run.path)]
    report = ExportReport(
        run_dir=str(run.path),
        model_bytes=len(model_bytes),
        arena_bytes=tflm.arena_bytes,
        arena_bytes_with_margin=arena_with_margin(tflm.arena_bytes),
        ops=info.ops,
        input_shape=list(info.input_shape),
        output_shape=list(info.output_shape),
        input_scale=tflm.input_scale,
        input_zero_point=tflm.input_zero_point,
        labels=labels,
        test_clips=len(test),
        float_accuracy=float_acc,
        int8_accuracy=int8_acc,
        per_class=per_class_accuracy(confusion, labels),
        confusion=confusion,
        model_sha8=sha8,
        trained_steps=checkpoint.step,
        files=[p.name for p in files],
        seconds=round(time.monotonic() - started, 2),
        calibration=calibration.to_dict() if calibration is not None else None,
        recognizer=asdict(config.recognizer),
    )
    run.write_report(report)
    if firmware_dir is not None:
        installed = install_firmware_files(run, firmware_dir)
        names = ", ".join(p.name for p in installed)
        on_event(Log(f"model {sha8} installed into {firmware_dir}: {names}"))
    on_event(Progress("export", stages, stages, "done"))
    on_event(Done(report.to_dict()))
    return report


def install_firmware_files(run: RunDir | str | Path, sketch_dir: str | Path) -> list[Path]:
    """Write an exported run's model_data.cpp, model_data.h and model_settings.h into the sketch folder
    (atomically; nothing else there is touched) and return their paths.

    The files are copied as export generated them, not generated again, so the board gets exactly what
    the run's report describes (core.board.firmware_files.install_generated_files checks that). Refused
    with an ExportError: a folder without wakebench.ino, a run that is not exported, or generated files
    that do not belong to the run's reported model (an export that was interrupted).
    """
    sketch = check_sketch_dir(sketch_dir)
    run = run if isinstance(run, RunDir) else RunDir.open(run)
    report = run.report
    if report is None:
        raise ExportError(
            f"{run.path}: not exported yet (no {run.report_path.name})",
            f"export it first: wakebench export {run.path} --firmware-dir {sketch}",
        )
    return install_generated_files(run.path, report.model_sha8, sketch)
