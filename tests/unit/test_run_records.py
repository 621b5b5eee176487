"""The typed readers of a run's files (core.model.runs): run.json, report.json and metrics.jsonl come
back as records, and a file that is missing, damaged or from another version never crashes a reader."""

from __future__ import annotations

import json
from pathlib import Path

from core.config import ProjectConfig
from core.events import Checkpoint, TrainStep, Validation
from core.model.runs import ExportReport, RunDir, RunInfo, list_runs

REPORT = ExportReport(
    run_dir="runs/x",
    model_bytes=18000,
    arena_bytes=9000,
    arena_bytes_with_margin=10000,
    ops=["CONV_2D", "SOFTMAX"],
    input_shape=[1, 49, 40, 1],
    output_shape=[1, 4],
    input_scale=0.1,
    input_zero_point=-128,
    labels=["_silence_", "_unknown_", "stop", "go"],
    test_clips=10,
    float_accuracy=0.9,
    int8_accuracy=0.8,
    per_class={"_silence_": 1.0, "_unknown_": None, "stop": 0.5, "go": 0.5},
    confusion=[[1, 0, 0, 0], [0, 0, 0, 0], [0, 0, 1, 1], [0, 0, 1, 1]],
    model_sha8="0123abcd",
    trained_steps=300,
    files=["model.tflite"],
    seconds=1.5,
)


def make_run(tmp_path, name: str = "run") -> RunDir:
    return RunDir.create(
        tmp_path / "project" / "runs" / name, ProjectConfig(), tmp_path / "project", ["extra"]
    )


def test_run_info_round_trips_and_tracks_the_state(tmp_path):
    run = make_run(tmp_path)
    info = run.info
    assert isinstance(info, RunInfo)
    assert (info.id, info.state, info.step, info.val_accuracy) == ("run", "created", 0, None)
    assert info.project_dir == str((tmp_path / "project").resolve())
    assert run.extra_dirs == [str(Path("extra").resolve())]
    run.update_info(state="trained", step=300, val_accuracy=0.75)
    again = RunDir.open(run.path).info
    assert (again.state, again.step, again.val_accuracy, again.created) == (
        "trained",
        300,
        0.75,
        info.created,
    )


def test_run_info_of_a_damaged_or_foreign_run_json_is_the_defaults(tmp_path):
    run = make_run(tmp_path)
    run.info_path.write_text("{not json")
    assert run.info == RunInfo("run")
    run.info_path.write_text(json.dumps({"state": "trained", "step": "many"}))
    assert run.info == RunInfo("run")
    run.info_path.write_text(json.dumps({"state": "stopped", "step": 5, "from_the_future": 1}))
    assert (run.info.state, run.info.step) == ("stopped", 5)


def test_report_is_none_until_exported_then_the_record(tmp_path):
    run = make_run(tmp_path)
    assert run.report is None and not run.exported
    run.write_report(REPORT)
    assert run.report == REPORT and run.exported
    assert json.loads(run.report_path.read_text()) == REPORT.to_dict()


def test_a_report_missing_a_figure_or_holding_a_wrong_one_reads_as_not_exported(tmp_path):
    run = make_run(tmp_path)
    values = REPORT.to_dict()
    del values["model_sha8"]
    run.report_path.write_text(json.dumps(values))
    assert run.report is None
    run.report_path.write_text(json.dumps({**REPORT.to_dict(), "arena_bytes": "big"}))
    assert run.report is None
    run.report_path.write_text(json.dumps({**REPORT.to_dict(), "added_later": [1]}))
    assert run.report == REPORT


def test_metrics_come_back_as_events_skipping_torn_and_unknown_lines(tmp_path):
    run = make_run(tmp_path)
    events = [
        TrainStep(100, 300, 0.5, 0.6, 0.001, 12.0),
        Validation(100, 0.7),
        Checkpoint(100, "checkpoints/ckpt-00000100.npz"),
        TrainStep(200, 300, 0.4, 0.7, 0.001, 6.0),
    ]
    for event in events:
        run.append_metrics(event)
    with open(run.metrics_path, "ab") as f:
        f.write(b'{"event": "someday", "step": 250}\n{"event": "step", "step": 300}\n{"event": "valid')
    assert run.read_metrics() == events
    history = run.history()
    assert history.steps == [events[0], events[3]]
    assert history.validations == [events[1]]
    assert history.checkpoints == [events[2]]


def test_truncating_metrics_keeps_only_what_a_resume_does_not_repeat(tmp_path):
    run = make_run(tmp_path)
    for step in (100, 200, 300):
        run.append_metrics(TrainStep(step, 300, 0.5, 0.5, 0.001, 1.0))
    run.truncate_metrics(200)
    assert [s.step for s in run.history().steps] == [100, 200]


def test_the_run_folder_layout_is_known_in_one_place(tmp_path):
    run = RunDir.of(tmp_path, "20260101-000000-stop-go")
    assert run.path == tmp_path / "runs" / "20260101-000000-stop-go"
    assert run.model_path == run.path / "model.tflite"
    assert set(run.generated_paths) == {"model_data.h", "model_data.cpp", "model_settings.h"}
    assert run.generated_paths["model_data.cpp"] == run.path / "model_data.cpp"
    assert run.build_dir("edgebadge") == run.path / "build" / "edgebadge"
    assert run.checkpoint_dir == run.path / "checkpoints"


def test_runs_are_listed_by_creation_time(tmp_path):
    first, second = make_run(tmp_path, "b"), make_run(tmp_path, "a")
    first.info_path.write_text(json.dumps({**first.info.to_dict(), "created": "2026-01-01T00:00:00"}))
    second.info_path.write_text(json.dumps({**second.info.to_dict(), "created": "2026-01-02T00:00:00"}))
    assert [r.id for r in list_runs(tmp_path / "project")] == ["b", "a"]
