"""`wakebench train | export | eval`: --json lines, the default synthetic set, Ctrl-C and kill + --resume."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import pytest

from core.cli import main
from core.model.runs import RunDir
from tests.audio_factory import make_dataset
from tests.training.training_helpers import WORDS, json_lines, make_project, tiny_config


def _run_cli(argv, capfd) -> tuple[int, list[dict], str]:
    """Run the CLI in this process; stdout (at file-descriptor level) must be JSON lines only."""
    code = main(argv)
    out, err = capfd.readouterr()
    return code, json_lines(out), err


def test_train_export_eval_print_json_lines_ending_with_the_result(tmp_path, monkeypatch, capfd):
    project = make_project(tmp_path / "project")
    monkeypatch.chdir(project)

    code, lines, _ = _run_cli(["train", "--steps", "100", "--lr", "0.001", "--json"], capfd)
    assert code == 0
    done = lines[-1]
    assert done["event"] == "done" and 0.0 <= done["val_accuracy"] <= 1.0
    assert {"step", "validation", "checkpoint"} <= {line["event"] for line in lines}
    run = RunDir.open(project / done["run_dir"])
    assert run.config.training.steps == [100]  # the flags went into the run's resolved config
    assert run.config.training.eval_every == tiny_config().training.eval_every  # the rest from wakebench.toml

    code, lines, _ = _run_cli(["export", done["run_dir"], "--json"], capfd)
    assert code == 0
    report = lines[-1]
    for key in ("model_bytes", "arena_bytes", "ops", "float_accuracy", "int8_accuracy"):
        assert report[key] == getattr(run.report, key)
    assert report["model_bytes"] == run.model_path.stat().st_size

    data = make_dataset(tmp_path / "eval", WORDS, speakers=3, source="tone")
    code, lines, _ = _run_cli(["eval", done["run_dir"], "--data", str(data), "--json"], capfd)
    assert code == 0
    result = lines[-1]
    assert result["labels"] == ["_silence_", "_unknown_", "stop", "go"]
    assert len(result["confusion"]) == 4 and sum(map(sum, result["confusion"])) == sum(WORDS.values())
    assert set(result["per_class"]) == set(result["labels"]) and 0 <= result["accuracy"] <= 1

    # Without --json: a readable summary instead.
    assert main(["eval", "latest", "--data", str(data)]) == 0
    out, _ = capfd.readouterr()
    assert "accuracy" in out and "confusion (rows: true, columns: predicted)" in out


def test_cli_errors_are_messages_with_hints_not_tracebacks(tmp_path, monkeypatch, capfd):
    monkeypatch.chdir(tmp_path)
    assert main(["train", "--model", "huge_transformer"]) == 1
    assert "unknown model 'huge_transformer'" in capfd.readouterr().err
    assert main(["export", "no-such-run"]) == 1
    err = capfd.readouterr().err
    assert "no such run" in err and "hint:" in err and "Traceback" not in err
    assert main(["train", "--resume", "latest", "--steps", "10"]) == 1
    assert "--steps cannot change a run that is resumed" in capfd.readouterr().err


@pytest.mark.slow
def test_train_with_no_project_and_no_data_first_makes_the_default_synthetic_set(
    tmp_path, monkeypatch, capfd
):
    import core.data.synth as synth
    from core.config import DataSettings

    monkeypatch.chdir(tmp_path)
    asked = []
    make = synth.synthesize_dataset

    def without_kokoro(words, out, **kwargs):
        # The default engines are asked for; Kokoro's share alone would take ~3 of this test's minutes
        # (its clips are tested in tests/data), so the other engines make the set here.
        asked.append(kwargs["engines"])
        return make(words, out, **{**kwargs, "engines": [e for e in kwargs["engines"] if e != "kokoro"]})

    monkeypatch.setattr(synth, "synthesize_dataset", without_kokoro)
    code, lines, _ = _run_cli(
        ["train", "--words", "stop,go", "--steps", "20", "--lr", "0.001", "--json"], capfd
    )
    assert code == 0
    assert asked == [DataSettings().synth_engines]
    assert any(line["event"] == "progress" and line["stage"] == "synth" for line in lines)
    assert len(list((tmp_path / "data" / "synthetic" / "stop").glob("*.wav"))) == 600
    assert lines[-1]["event"] == "done" and lines[-1]["steps"] == 20


def _start(args, cwd):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    return subprocess.Popen(
        [sys.executable, "-m", "tui.launch", *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _read_until(process, predicate) -> list[dict]:
    """JSON lines of `process` up to and including the first one `predicate` accepts."""
    seen = []
    for line in process.stdout:
        seen.append(json.loads(line))
        if predicate(seen[-1]):
            return seen
    raise AssertionError(f"process ended first; stderr: {process.stderr.read()}")


@pytest.mark.slow
def test_ctrl_c_and_kill_lose_at_most_the_steps_since_the_last_checkpoint(tmp_path):
    project = make_project(tmp_path / "project", tiny_config(checkpoint_every=100, eval_every=100))
    run_dir = project / "runs" / "long"
    long_run = ["train", "--steps", "1000000", "--lr", "0.001", "--run-dir", str(run_dir), "--json"]

    # Ctrl-C: the run stops cleanly, saving a checkpoint at the step it reached.
    process = _start(long_run, project)
    first = _read_until(process, lambda e: e["event"] == "checkpoint")[-1]["step"]
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130
    assert "--resume" in err
    stopped_at = RunDir(run_dir).latest_checkpoint().step
    assert stopped_at >= first

    # --resume continues from that checkpoint, not from 0.
    process = _start(["train", "--resume", str(run_dir), "--json"], project)
    lines = _read_until(process, lambda e: e["event"] == "checkpoint")
    assert {"event": "log", "message": f"resuming at step {stopped_at:,} of 1,000,000"} in lines
    steps = [e["step"] for e in lines if e["event"] == "step"]
    assert steps[0] == stopped_at + 100
    # A hard kill (no chance to save) loses only what came after the last checkpoint.
    process.kill()
    process.wait(timeout=30)
    saved = RunDir(run_dir).latest_checkpoint().step
    assert saved >= lines[-1]["step"] > stopped_at

    process = _start(["train", "--resume", str(run_dir), "--json"], project)
    lines = _read_until(process, lambda e: e["event"] == "step")
    process.kill()
    process.wait(timeout=30)
    assert {"event": "log", "message": f"resuming at step {saved:,} of 1,000,000"} in lines
    assert lines[-1]["step"] == saved + 100
