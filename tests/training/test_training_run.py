"""Training: the run folder, the events, learning-rate phases, cancel + resume."""

from __future__ import annotations

import json

import numpy as np
import pytest

from core.errors import Cancelled, TrainingError
from core.events import CancelToken, Checkpoint, Done, Log, TrainStep, Validation
from core.model.runs import RunDir
from core.model.train import learning_rate_at, total_steps, train
from tests.training.training_helpers import tiny_config


def test_training_writes_a_run_folder_and_reports_typed_events(trained):
    run, events = trained
    steps = [e for e in events if isinstance(e, TrainStep)]
    validations = [e for e in events if isinstance(e, Validation)]
    checkpoints = [e for e in events if isinstance(e, Checkpoint)]
    done = [e for e in events if isinstance(e, Done)]

    assert [e.step for e in steps] == [100, 200, 300]
    assert all(e.total_steps == 300 and e.eta_s >= 0 and np.isfinite(e.loss) for e in steps)
    assert steps[-1].eta_s == 0
    assert [e.step for e in validations] == [100, 200, 300]  # every eval_every steps
    assert [e.step for e in checkpoints] == [100, 200, 300]
    assert len(done) == 1 and isinstance(events[-1], Done)
    assert done[0].result["run_dir"] == str(run.path)
    assert done[0].result["val_accuracy"] == validations[-1].accuracy
    # The tones are easy: a model that did not learn would sit near 1/4.
    assert validations[-1].accuracy >= 0.8
    assert steps[-1].train_accuracy >= 0.8

    # The run folder: the resolved config, metrics mirroring the events, the latest two checkpoints.
    # (export, which other tests run on this shared run, writes its calibrated recognizer into it)
    assert run.config.replace(recognizer=tiny_config().recognizer) == tiny_config()
    assert json.loads(run.config_path.read_text())["training"]["steps"] == [200, 100]
    records = run.history()
    assert [r.step for r in records.steps] == [100, 200, 300]
    assert [r.accuracy for r in records.validations] == [v.accuracy for v in validations]
    assert [s for s, _ in run.checkpoints()] == [200, 300]
    assert run.latest_checkpoint().step == 300
    assert run.info.state == "trained"


def test_learning_rate_follows_the_phases(trained):
    _, events = trained
    rates = {e.step: e.learning_rate for e in events if isinstance(e, TrainStep)}
    assert rates == {100: 0.001, 200: 0.001, 300: 0.0001}
    config = tiny_config()
    assert total_steps(config) == 300
    assert [learning_rate_at(config, s) for s in (0, 199, 200, 299)] == [0.001, 0.001, 0.0001, 0.0001]


def test_cancel_saves_a_checkpoint_and_resume_continues_from_it(project, tmp_path):
    config = tiny_config(steps=[300], learning_rates=[0.001], checkpoint_every=200)
    token = CancelToken()
    seen = []

    def stop_after_first_validation(event):
        seen.append(event)
        if isinstance(event, Validation):
            token.cancel()

    with pytest.raises(Cancelled) as stopped:
        train(config, project, run_dir=tmp_path / "run", on_event=stop_after_first_validation, cancel=token)
    assert "--resume" in stopped.value.hint
    run = RunDir.open(tmp_path / "run")
    # Step 100 is not a checkpoint step (every 200): the cancel itself saved one.
    assert [s for s, _ in run.checkpoints()] == [100]
    assert run.info.state == "stopped"

    resumed = []
    result = train(tiny_config(), project, resume=tmp_path / "run", on_event=resumed.append)
    assert result.resumed_from == 100
    assert any(isinstance(e, Log) and "resuming at step 100" in e.message for e in resumed)
    steps = [e.step for e in resumed if isinstance(e, TrainStep)]
    assert steps == [200, 300]  # continued, not restarted; and with the run's own config (300 steps)
    assert result.steps == 300
    metric_steps = [r.step for r in run.history().steps]
    assert metric_steps == [100, 200, 300]  # no step recorded twice


def test_resume_drops_metrics_written_after_the_checkpoint(project, tmp_path):
    """A killed run may have logged steps past its last checkpoint; the resume repeats them once."""
    config = tiny_config(steps=[200], learning_rates=[0.001], checkpoint_every=100)
    train(config, project, run_dir=tmp_path / "run")
    run = RunDir.open(tmp_path / "run")
    run.checkpoints()[-1][1].unlink()  # as if killed after logging step 200 but before its checkpoint
    run.append_metrics(TrainStep(150, 200, 0.5, 0.5, 0.001, 1.0))
    with open(run.metrics_path, "ab") as f:
        f.write(b'{"event": "step", "st')  # a line torn by the kill
    result = train(config, project, resume=run.path)
    assert result.resumed_from == 100
    steps = [r.step for r in run.history().steps]
    assert steps == [100, 200]


def test_resume_of_a_folder_that_is_not_a_run_is_a_clear_error(tmp_path):
    with pytest.raises(TrainingError, match="no such run"):
        train(tiny_config(), tmp_path, resume=tmp_path / "nothing")


def test_a_new_run_never_overwrites_an_existing_one(trained, project):
    run, _ = trained
    before = run.config_path.read_bytes()
    with pytest.raises(TrainingError, match="already holds a run"):
        train(tiny_config(), project, run_dir=run.path)
    assert run.config_path.read_bytes() == before


def test_mismatched_phases_are_refused_before_any_work(project, tmp_path):
    with pytest.raises(TrainingError, match="learning rate"):
        train(tiny_config(steps=[100, 100], learning_rates=[0.001]), project, run_dir=tmp_path / "r")
    assert not (tmp_path / "r").exists()


def test_a_dataset_without_validation_or_test_speakers_still_trains_and_says_so(tmp_path):
    from core.config import PROJECT_FILE, save_config
    from core.model.export import export_run
    from tests.audio_factory import make_dataset

    config = tiny_config(steps=[100], learning_rates=[0.001])
    make_dataset(tmp_path / config.data.synthetic_dir, {"stop": 6, "go": 6}, speakers=2, source="tone")
    save_config(config, tmp_path / PROJECT_FILE)  # (both speakers hash into the training split)
    events = []
    result = train(config, tmp_path, on_event=events.append)
    assert result.val_accuracy is None and result.test_accuracy is None
    assert not any(isinstance(e, Validation) for e in events)
    logs = [e.message for e in events if isinstance(e, Log)]
    assert any("validation split is empty" in m for m in logs)
    exported = []
    report = export_run(result.run_dir, on_event=exported.append)
    assert report.float_accuracy is None and report.int8_accuracy is None and report.test_clips == 0
    assert any(isinstance(e, Log) and "test split is empty" in e.message for e in exported)
    assert report.model_bytes > 0
