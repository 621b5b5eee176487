"""Data items 2, 3 and 7 through the command line: `data synth`, `data fetch`, `init` and the project file."""

from __future__ import annotations

import json

import pytest

from core.cli import main
from core.config import load_config
from tests.audio_factory import tone, wav_bytes
from tests.data.conftest import make_tar_gz

FAST = ["--per-word", "3", "--unknown-per-word", "1", "--no-background", "--no-negatives", "--workers", "1"]


def _json_lines(capsys):
    return [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.strip()]


def test_synth_writes_the_dataset_and_ends_with_a_json_result(tmp_path, capsys):
    out = tmp_path / "syn"
    assert (
        main(
            ["data", "synth", "--words", "stop, hey bench", "--out", str(out), "--seed", "4", "--json", *FAST]
        )
        == 0
    )
    result = _json_lines(capsys)[-1]
    assert result["event"] == "done" and result["keyword_clips"] == {"stop": 3, "hey bench": 3}
    assert len(list((out / "hey_bench").glob("*_nohash_*.wav"))) == 3
    assert len(result["unknown_words"]) >= 30 and (out / "yes").is_dir()


def test_init_writes_a_commented_project_file_that_every_command_reads(tmp_path, monkeypatch, capsys):
    assert main(["init", str(tmp_path), "--words", "seth, hey bench", "--board", "nano33ble"]) == 0
    project = tmp_path / "wakebench.toml"
    text = project.read_text()
    assert "# Keywords to recognise." in text and "[training]" in text and "[board]" in text
    config = load_config(project)
    assert config.words == ["seth", "hey bench"] and config.board.profile == "nano33ble"
    capsys.readouterr()
    monkeypatch.chdir(tmp_path)
    assert main(["data", "synth", *FAST]) == 0  # words and folder come from the project file
    assert len(list((tmp_path / "data" / "synthetic" / "seth").glob("*.wav"))) == 3
    assert (tmp_path / "data" / "synthetic" / "hey_bench").is_dir()


def test_init_never_overwrites_and_refuses_bad_words(tmp_path, capsys):
    project = tmp_path / "wakebench.toml"
    assert main(["init", str(tmp_path)]) == 0
    assert load_config(project).words == ["stop", "go"]
    before = project.read_text()
    assert main(["init", str(tmp_path), "--words", "yes"]) == 1
    assert "already exists" in capsys.readouterr().err
    assert project.read_text() == before
    assert main(["init", str(tmp_path / "other"), "--words", "_silence_"]) == 1
    assert "reserved" in capsys.readouterr().err
    assert not (tmp_path / "other" / "wakebench.toml").exists()


def test_init_can_point_at_speech_commands(tmp_path, capsys):
    assert main(["init", str(tmp_path), "--speech-commands", "/data/sc", "--json"]) == 0
    assert _json_lines(capsys)[-1]["path"].endswith("wakebench.toml")
    assert load_config(tmp_path / "wakebench.toml").data.speech_commands_dir == "/data/sc"


def test_fetch_from_a_mirror_url_with_json_progress(tmp_path, archive_server, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no wakebench.toml here
    files = {f"./go/ab{i}_nohash_0.wav": wav_bytes(tone(300, 0.2)) for i in range(3)}
    archive_server.files["/sc.tar.gz"] = make_tar_gz(files)
    dest = tmp_path / "sc"
    args = [
        "data",
        "fetch",
        "speech-commands",
        "--url",
        archive_server.url("/sc.tar.gz"),
        "--dest",
        str(dest),
    ]
    assert main([*args, "--json"]) == 0
    lines = _json_lines(capsys)
    assert lines[-1]["event"] == "done" and lines[-1]["files"] == 3
    assert {line.get("stage") for line in lines if line["event"] == "progress"} >= {"download", "extract"}
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "already there" in out
    assert f'set speech_commands_dir = "{dest}"' in out  # without a project only a hint
    assert not (tmp_path / "wakebench.toml").exists()


def test_fetch_in_a_project_folder_records_the_folder_in_the_project(
    tmp_path, archive_server, capsys, monkeypatch
):
    archive_server.files["/sc.tar.gz"] = make_tar_gz({"./stop/ab_nohash_0.wav": wav_bytes(tone(300, 0.2))})
    assert main(["init", str(tmp_path), "--words", "seth,stop", "--board", "nano33ble"]) == 0
    before = load_config(tmp_path / "wakebench.toml")
    monkeypatch.chdir(tmp_path)
    capsys.readouterr()
    args = ["data", "fetch", "speech-commands", "--url", archive_server.url("/sc.tar.gz")]
    assert main(args) == 0
    assert 'wakebench.toml: set data.speech_commands_dir = "data/speech_commands"' in capsys.readouterr().out
    assert (tmp_path / "data/speech_commands/stop/ab_nohash_0.wav").is_file()
    after = load_config(tmp_path / "wakebench.toml")
    assert after.data.speech_commands_dir == "data/speech_commands"
    assert after.replace(data=before.data) == before  # words, board and the rest untouched

    assert main(args) == 0  # again: nothing to download, nothing to change
    assert 'is already "data/speech_commands"' in capsys.readouterr().out


def test_fetch_failures_exit_non_zero_with_the_reason(tmp_path, archive_server, capsys):
    archive_server.files["/bad.tar.gz"] = b"not a gzip"
    code = main(
        [
            "data",
            "fetch",
            "speech-commands",
            "--url",
            archive_server.url("/bad.tar.gz"),
            "--dest",
            str(tmp_path / "d"),
        ]
    )
    assert code == 1 and "corrupt" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["data", "fetch", "speech-commands", "--version", "7"])


def test_synth_takes_the_engines_to_use(tmp_path, capsys):
    out = tmp_path / "heldout"
    args = ["data", "synth", "--words", "go", "--out", str(out), "--engines", "pico,mbrola", "--json", *FAST]
    assert main(args) == 0
    result = _json_lines(capsys)[-1]
    assert result["engines"] == ["pico", "mbrola"] and set(result["speakers_per_engine"]) == {
        "pico",
        "mbrola",
    }
    assert all(p.name.startswith(("pico-", "mbrola-")) for p in (out / "go").glob("*.wav"))
    assert (
        main(["data", "synth", "--words", "go", "--out", str(tmp_path / "x"), "--engines", "nope", *FAST])
        == 1
    )
    assert "unknown speech backend 'nope'" in capsys.readouterr().err


def test_synth_sentence_takes_sets_how_many_speakers_say_each_sentence(tmp_path):
    out = tmp_path / "n"
    fast = ["--per-word", "2", "--unknown-per-word", "1", "--no-background", "--workers", "1"]
    assert (
        main(
            [
                "data",
                "synth",
                "--words",
                "go",
                "--out",
                str(out),
                "--engines",
                "pico",
                "--sentence-takes",
                "1",
                *fast,
            ]
        )
        == 0
    )
    takes = {
        w.name.split("_nohash_sentence")[1].split("_")[0]
        for w in (out / "_unknown_").glob("*_nohash_sentence*")
    }
    assert len(takes) >= 50 and all(t.endswith("-0") for t in takes)  # every sentence, one take each
    assert (
        main(["data", "synth", "--words", "go", "--out", str(tmp_path / "z"), "--sentence-takes", "0", *fast])
        == 0
    )
    assert not list((tmp_path / "z" / "_unknown_").glob("*_nohash_sentence*"))
