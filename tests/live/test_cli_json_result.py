"""The last `--json` line of a command is exactly the `Done` event its core job reported (the same keys and
values), so a script reading the CLI and the app reading events see one result."""

from __future__ import annotations

import json

import pytest

import core.data.check
import core.data.synth
import core.live.detector
import core.model.evaluate
from core.cli import main
from core.events import Done
from tests.audio_factory import make_dataset


def spy_on_done(monkeypatch, module, name: str) -> list[Done]:
    """Wrap `module.name` (a job taking `on_event`) so the Done events it reports are kept."""
    job = getattr(module, name)
    seen: list[Done] = []

    def spied(*args, on_event, **kwargs):
        def forward(event):
            if isinstance(event, Done):
                seen.append(event)
            on_event(event)

        return job(*args, on_event=forward, **kwargs)

    monkeypatch.setattr(module, name, spied)
    return seen


def last_json_line(capsys) -> dict:
    lines = [line for line in capsys.readouterr().out.splitlines() if line.strip()]
    return json.loads(lines[-1])


def test_detect(tiny_run, keyword_recording, monkeypatch, capsys):
    done = spy_on_done(monkeypatch, core.live.detector, "detect_file")
    assert main(["detect", str(tiny_run), str(keyword_recording[0]), "--json"]) == 0
    assert [last_json_line(capsys)] == [d.to_json() for d in done]


def test_eval(tiny_run, tmp_path, monkeypatch, capsys):
    data = make_dataset(tmp_path / "eval", {"stop": 4, "go": 4}, speakers=2, source="tone")
    done = spy_on_done(monkeypatch, core.model.evaluate, "evaluate_folder")
    assert main(["eval", str(tiny_run), "--data", str(data), "--json"]) == 0
    assert [last_json_line(capsys)] == [d.to_json() for d in done]


@pytest.mark.parametrize("valid", [True, False])
def test_data_check(tmp_path, monkeypatch, capsys, valid):
    data = make_dataset(tmp_path / "data", {"stop": 3}, speakers=2, source="tone")
    done = spy_on_done(monkeypatch, core.data.check, "check_dataset")
    words = "stop" if valid else "stop,go"
    assert main(["data", "check", str(data), "--words", words, "--json"]) == (0 if valid else 1)
    assert [last_json_line(capsys)] == [d.to_json() for d in done]


def test_data_synth(tmp_path, monkeypatch, capsys):
    done = spy_on_done(monkeypatch, core.data.synth, "synthesize_dataset")
    args = ["data", "synth", "--words", "stop", "--out", str(tmp_path / "syn"), "--per-word", "2"]
    assert main([*args, "--unknown-per-word", "1", "--no-background", "--workers", "1", "--json"]) == 0
    assert [last_json_line(capsys)] == [d.to_json() for d in done]
