"""Ctrl-C during `export`, `eval`, `detect`, `listen` and `record` (a real SIGINT to the command's process
group, as a terminal sends it): exit status 130, a clear message, no result line, nothing half-written."""

from __future__ import annotations

import shutil

from core.audio.files import write_wav
from tests.audio_factory import noise
from tests.ctrl_c import ctrl_c_while_running

# A generated microphone for `listen` and `record`: two minutes of quiet noise.
MICROPHONE = """
import core.cli.live as cli_live
from core.audio.sources import ArraySource
from tests.audio_factory import noise

cli_live.open_microphone = lambda device: ArraySource(noise("pink", 120.0, level=0.01, seed=3), chunk_ms=20)
"""


def snapshot(folder):
    return {p.relative_to(folder): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def assert_cancelled(stopped) -> None:
    assert stopped.returncode == 130, stopped.stderr
    assert "wakebench: error: " in stopped.stderr and "Traceback" not in stopped.stderr
    assert all(line.get("event") != "done" for line in stopped.json_lines())


def test_ctrl_c_during_export_leaves_the_run_as_it_was(tiny_run, tmp_path):
    run = shutil.copytree(tiny_run, tmp_path / "run")
    before = snapshot(run)
    stopped = ctrl_c_while_running(["export", str(run), "--json"], tmp_path)
    assert_cancelled(stopped)
    assert snapshot(run) == before  # no new model without its C files and report, nor the reverse


def test_ctrl_c_during_eval_stops_without_a_result(tiny_run, tmp_path):
    data = tiny_run.parents[1] / "data" / "synthetic"
    assert_cancelled(ctrl_c_while_running(["eval", str(tiny_run), "--data", str(data), "--json"], tmp_path))


def test_ctrl_c_during_detect_stops_without_a_result(tiny_run, tmp_path):
    recording = tmp_path / "long.wav"
    write_wav(recording, noise("pink", 120.0, level=0.01, seed=2))
    assert_cancelled(ctrl_c_while_running(["detect", str(tiny_run), str(recording), "--json"], tmp_path))


def test_ctrl_c_stops_listen(tiny_run, tmp_path):
    stopped = ctrl_c_while_running(["listen", str(tiny_run), "--json"], tmp_path, setup=MICROPHONE)
    assert_cancelled(stopped)
    assert "listening ended" in stopped.stderr


def test_ctrl_c_at_the_record_prompt_stops_at_once_and_writes_nothing(tmp_path):
    announce_prompt = """
    import sys
    _ask = cli_live._ask

    def announced(prompt):
        print("#prompt", file=sys.stderr, flush=True)
        return _ask(prompt)

    cli_live._ask = announced
    """
    recordings = tmp_path / "recordings"
    args = ["record", "--word", "seth", "--count", "2", "--speaker", "alice", "--dir", str(recordings)]
    stopped = ctrl_c_while_running(
        args, tmp_path, setup=MICROPHONE + announce_prompt.replace("\n    ", "\n"), marker="#prompt"
    )
    assert stopped.returncode == 130, stopped.stderr
    assert "wakebench: interrupted" in stopped.stderr and "Traceback" not in stopped.stderr
    assert not recordings.exists() or not any(recordings.rglob("*"))
