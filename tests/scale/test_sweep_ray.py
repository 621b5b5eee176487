"""A two-trial sweep on a local Ray: trials are ordinary runs, ranked, and Ctrl-C keeps finished trials."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.training.training_helpers import make_project, tiny_config

pytest.importorskip("ray.tune", reason="Ray Tune is the optional [scale] extra")

ROOT = Path(__file__).resolve().parents[2]
SPEC = """
[sweep]
trials = 1
max_concurrent = 1
grace_steps = 100
[search]
"training.learning_rates" = { grid = [[0.001, 0.0001], [0.003, 0.0003]] }
"""


def sweep_cli(project: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "RAY_ADDRESS": "",  # never join a cluster that happens to be running here
    }
    return subprocess.Popen(
        [sys.executable, "-m", "tui.launch", "sweep", "spec.toml", "--json"],
        cwd=project,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # so the test can Ctrl-C the whole group, as a terminal does
    )


@pytest.mark.slow
def test_sweep_survives_ctrl_c_and_continues_without_rerunning_finished_trials(tmp_path):
    project = make_project(tmp_path / "project", tiny_config(steps=[200, 100]))
    (project / "spec.toml").write_text(SPEC)

    first = sweep_cli(project)
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and first.poll() is None:
        if list((project / "runs").glob("*/report.json")):
            break
        time.sleep(0.2)
    finished = list((project / "runs").glob("*/report.json"))
    assert len(finished) == 1, "the first trial should have finished and been exported"
    os.killpg(first.pid, signal.SIGINT)
    _, err = first.communicate(timeout=120)
    assert first.returncode == 130, err[-2000:]
    assert "run the same `wakebench sweep` command again" in err

    done_run = finished[0].parent
    metrics_before = (done_run / "metrics.jsonl").read_bytes()

    second = sweep_cli(project)
    out, err = second.communicate(timeout=300)
    assert second.returncode == 0, err[-2000:]
    lines = [json.loads(line) for line in out.splitlines() if line.strip()]  # stdout is JSON lines only
    result = lines[-1]
    assert result["event"] == "done"
    trials = result["trials"]
    assert len(trials) == 2
    assert {t["state"] for t in trials} == {"finished"}
    assert {tuple(t["params"]["training.learning_rates"]) for t in trials} == {
        (0.001, 0.0001),
        (0.003, 0.0003),
    }
    # Finished trials are not trained again: the first run's metrics are byte for byte what they were.
    assert (done_run / "metrics.jsonl").read_bytes() == metrics_before
    for t in trials:
        run = Path(t["run_dir"])
        assert (run / "model.tflite").is_file() and (run / "report.json").is_file()
        info = json.loads((run / "run.json").read_text())
        assert info["sweep"] == "spec"
        report = json.loads((run / "report.json").read_text())
        assert t["model_bytes"] == report["model_bytes"]
        assert t["fits_board"] is True
        # Each trial's recognizer was calibrated to the spec's false-accept target, and ranked by its FRR.
        assert report["calibration"]["target_fa_per_hour"] == 0.5
        assert t["rank_metric"] == t["frr"] == report["calibration"]["frr"]
        assert t["target_met"] == report["calibration"]["met"]
    # Ranked: trials that met the target first, then by false-reject rate.
    keys = [(not t["target_met"], t["rank_metric"]) for t in trials]
    assert keys == sorted(keys)
    if trials[0]["target_met"]:
        assert result["best"] == trials[0]["run_dir"]
