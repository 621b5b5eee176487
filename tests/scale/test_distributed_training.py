"""`wakebench train --devices 2` runs MirroredStrategy (two logical CPU devices here) on an ordinary,
resumable run folder."""

from __future__ import annotations

import pytest

from core.errors import Cancelled
from core.events import CancelToken, Checkpoint
from core.model.runs import RunDir
from tests.training.training_helpers import cli, json_lines, make_project, tiny_config


@pytest.mark.slow
def test_a_run_continues_on_two_devices_and_learns(tmp_path):
    from core.model.train import train

    # A slow learning rate, so that 10 steps learn little and the distributed steps do the learning.
    config = tiny_config(steps=[200, 100], learning_rates=[0.001, 0.001], eval_every=10, checkpoint_every=10)
    project = make_project(tmp_path / "project", config)
    # One device for the first 10 steps, stopped at its checkpoint (as Ctrl-C would) ...
    token = CancelToken()

    def stop_at_checkpoint(event: object) -> None:
        if isinstance(event, Checkpoint):
            token.cancel()

    with pytest.raises(Cancelled):
        train(config, project, on_event=stop_at_checkpoint, cancel=token)
    (run,) = [RunDir.open(p) for p in (project / "runs").iterdir()]
    assert [step for step, _ in run.checkpoints()] == [10]

    # ... then the same run folder continues on two replicas, in a fresh process (devices are fixed
    # when TensorFlow starts).
    resumed = cli(["train", "--resume", str(run.path), "--devices", "2", "--json"], project, timeout=300)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    events = json_lines(resumed.stdout)
    assert any("2 replicas on logical CPU devices" in e.get("message", "") for e in events)
    result = events[-1]
    assert (result["event"], result["resumed_from"], result["steps"]) == ("done", 10, 300)
    # The distributed steps did the learning: their training loss falls by more than half.
    losses = [e["loss"] for e in events if e["event"] == "step"]
    assert len(losses) >= 20 and losses[-1] < 0.5 * losses[0], losses
    assert [step for step, _ in run.checkpoints()][-1] == 300


def test_devices_flag_is_checked(tmp_path):
    project = make_project(tmp_path / "project", tiny_config())
    result = cli(["train", "--devices", "0"], project, timeout=60)
    assert result.returncode == 2
    assert "--devices: must be at least 1" in result.stderr
