"""Data item 6 — `wakebench data check DIR [--json]`: per-word counts and every unusable file with its reason."""

from __future__ import annotations

import json

import numpy as np
import pytest

from core.cli import main
from core.data.check import check_dataset
from core.errors import DataError
from tests.audio_factory import silence, tone, wav_bytes, write_wav


@pytest.fixture()
def mixed(tmp_path):
    root = tmp_path / "ds"
    for i in range(3):
        write_wav(root / "stop" / f"s{i}_nohash_0.wav", tone(400 + 50 * i, 0.8))
    write_wav(
        root / "stop" / "stereo_nohash_0.wav",
        np.stack([tone(300), tone(300)], 1),
        bits=32,
        float_samples=True,
    )
    write_wav(root / "go" / "cd_nohash_0.wav", tone(500, 1.0, rate=44100), rate=44100, bits=24)
    whole = wav_bytes(tone(440, 0.5))
    (root / "go" / "cut_nohash_0.wav").write_bytes(whole[: len(whole) // 2])
    (root / "go" / "empty_nohash_0.wav").write_bytes(b"")
    (root / "go" / "page_nohash_0.wav").write_text("<html>not audio</html>")
    write_wav(root / "go" / "quiet_nohash_0.wav", silence(1.0))
    (root / "go" / "notes.txt").write_text("ignored")
    write_wav(root / "_background_noise_" / "hum.wav", tone(60, 3.0))
    return root


def test_counts_usable_clips_and_lists_each_unusable_file_with_its_reason(mixed):
    report = check_dataset(mixed, words=["stop", "go"])
    assert report.counts() == {"_background_noise_": 1, "go": 1, "stop": 4}
    reasons = {u.path.rsplit("/", 1)[1]: u.reason for u in report.unusable}
    assert set(reasons) == {
        "cut_nohash_0.wav",
        "empty_nohash_0.wav",
        "page_nohash_0.wav",
        "quiet_nohash_0.wav",
    }
    assert "truncated" in reasons["cut_nohash_0.wav"]
    assert "empty file" in reasons["empty_nohash_0.wav"]
    assert "not a WAV" in reasons["page_nohash_0.wav"]
    assert "silent" in reasons["quiet_nohash_0.wav"]
    assert report.folders["go"].ignored == 1
    assert report.folders["_background_noise_"].seconds == pytest.approx(3.0)
    assert report.ok  # unusable files are reported, but the usable part is fine


def test_a_folder_with_nothing_usable_or_a_missing_word_fails(mixed, tmp_path):
    (mixed / "broken").mkdir()
    (mixed / "broken" / "a_nohash_0.wav").write_bytes(b"RIFF")
    report = check_dataset(mixed, words=["stop", "seth"], min_clips=2)
    assert not report.ok
    assert any("broken/" in p for p in report.problems)
    assert any("'seth': 0 usable clips" in p for p in report.problems)
    assert not check_dataset(mixed, words=["stop"], min_clips=5).ok
    (tmp_path / "nothing").mkdir()
    assert check_dataset(tmp_path / "nothing").problems == ["no usable clips in any word folder"]
    with pytest.raises(DataError, match="no such folder"):
        check_dataset(tmp_path / "missing")


def test_cli_json_ends_with_the_report_and_exit_status_follows_it(mixed, capsys):
    assert main(["data", "check", str(mixed), "--json"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    report = lines[-1]
    assert report["event"] == "done" and report["ok"] is True
    assert report["counts"]["stop"] == 4 and len(report["unusable"]) == 4
    assert any(line["event"] == "progress" for line in lines[:-1])
    assert main(["data", "check", str(mixed), "--words", "stop,seth", "--json"]) == 1


def test_cli_text_lists_counts_and_reasons(mixed, capsys):
    assert main(["data", "check", str(mixed)]) == 0
    out = capsys.readouterr().out
    assert "stop" in out and "empty_nohash_0.wav: empty file" in out and "fine" in out
    assert main(["data", "check", str(mixed / "nope")]) == 1
    assert "no such folder" in capsys.readouterr().err
