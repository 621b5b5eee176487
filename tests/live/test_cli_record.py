"""`wakebench record` and `wakebench listen --list`, driven through the real command line with generated
audio in place of the microphone (and the real PortAudio backend for the no-microphone path)."""

from __future__ import annotations

import io

import numpy as np
import pytest

from core.audio import mic
from core.audio.files import read_audio
from core.audio.mic import list_input_devices
from core.audio.sources import ArraySource
from core.cli import live as cli_live
from core.cli import main
from tests import audio_factory as af


def _take(word: str | None, offset_s: float = 0.6) -> np.ndarray:
    audio = af.noise("white", 2.0, level=0.003, seed=11)
    if word:
        spoken = af.speak(word, clip=False) * 0.6
        start = int(offset_s * 16000)
        audio[start : start + len(spoken)] += spoken
    return audio


def test_record_prompts_plays_back_and_keeps_or_discards_each_take(tmp_path, monkeypatch, capsys):
    # Four takes: seth (kept), noise only (not a word: asked again), seth (discarded), seth (kept).
    source = ArraySource(np.concatenate([_take("seth"), _take(None), _take("seth", 0.4), _take("seth", 0.9)]))
    monkeypatch.setattr(cli_live, "open_microphone", lambda device: source)
    played = []
    monkeypatch.setattr(cli_live, "play_back", lambda audio: played.append(len(audio)))
    monkeypatch.setattr("sys.stdin", io.StringIO("\ny\n\n\nn\n\n\n"))
    rc = main(["record", "--word", "seth", "--count", "2", "--speaker", "alice", "--dir", str(tmp_path)])
    out = capsys.readouterr().out
    assert rc == 0
    assert out.count("take 1/2") == 1 and out.count("take 2/2") == 3
    assert "no word heard" in out and "discarded" in out
    assert played == [16000, 16000, 16000]  # every heard take was played back as its 1 s clip
    saved = sorted(p.name for p in (tmp_path / "seth").iterdir())
    assert saved == ["alice_nohash_0.wav", "alice_nohash_1.wav"]
    assert all(len(read_audio(tmp_path / "seth" / name)) == 16000 for name in saved)
    assert "kept 2 take(s)" in out


def test_record_again_continues_the_numbering(tmp_path, monkeypatch, capsys):
    (tmp_path / "seth").mkdir()
    existing = tmp_path / "seth" / "alice_nohash_0.wav"
    af.write_wav(existing, af.tone(300, 1.0))
    before = existing.read_bytes()
    monkeypatch.setattr(cli_live, "open_microphone", lambda device: ArraySource(_take("seth")))
    monkeypatch.setattr(cli_live, "play_back", lambda audio: None)
    monkeypatch.setattr("sys.stdin", io.StringIO("\ny\n"))
    assert (
        main(["record", "--word", "seth", "--count", "1", "--speaker", "alice", "--dir", str(tmp_path)]) == 0
    )
    assert existing.read_bytes() == before
    assert (tmp_path / "seth" / "alice_nohash_1.wav").is_file()
    assert "1 there already" in capsys.readouterr().out


def test_record_without_a_microphone_is_a_clear_error(tmp_path, monkeypatch, capsys):
    if list_input_devices():
        pytest.skip("this machine has a microphone")
    monkeypatch.setattr("sys.stdin", io.StringIO("\n"))
    rc = main(["record", "--word", "seth", "--count", "1", "--dir", str(tmp_path)])
    err = capsys.readouterr().err
    assert rc == 1
    assert "no microphone found" in err and "plug in a microphone" in err
    assert not (tmp_path / "seth").exists() or not any((tmp_path / "seth").iterdir())


def test_listen_list_shows_the_input_devices(monkeypatch, capsys):
    class FakeSd:
        PortAudioError = RuntimeError

        class default:  # noqa: N801 — mimics sounddevice.default
            device = [0, 0]

        @staticmethod
        def query_devices():
            return [{"name": "Built-in Mic", "max_input_channels": 1, "default_samplerate": 44100.0}]

    monkeypatch.setattr(mic, "load_sounddevice", lambda: FakeSd)
    assert main(["listen", "--list"]) == 0
    assert "Built-in Mic" in capsys.readouterr().out


def test_listen_list_with_no_devices_says_to_plug_one_in(capsys):
    if list_input_devices():
        pytest.skip("this machine has a microphone")
    assert main(["listen", "--list"]) == 1
    assert "plug in a microphone" in capsys.readouterr().err
