"""Data item 3 — Google Speech Commands fetch: resumable streaming download, integrity, safe extraction."""

from __future__ import annotations

import dataclasses
import hashlib
import tarfile
from pathlib import Path

import numpy as np
import pytest

from core.config import (
    PROJECT_FILE,
    BoardSettings,
    DataSettings,
    ProjectConfig,
    RecognizerSettings,
    TrainingSettings,
    load_config,
    save_config,
)
from core.data import speech_commands
from core.data.speech_commands import (
    KNOWN_ARCHIVES,
    MARKER,
    WORKDIR,
    fetch_speech_commands,
    use_speech_commands,
)
from core.errors import Cancelled, ConfigError, DownloadError
from core.events import CancelToken, Log, Progress
from tests.audio_factory import noise, tone, wav_bytes
from tests.data.conftest import make_tar_gz


def _speech_commands_files(noisy: bool = False) -> dict[str, bytes]:
    files = {}
    for w, word in enumerate(["stop", "go", "yes"]):
        for spk in ("0a7c2a8d", "1b4c9b89"):
            audio = noise("white", 1.0, seed=w) if noisy else tone(300 + 100 * w, 0.3)
            files[f"./{word}/{spk}_nohash_0.wav"] = wav_bytes(audio)
    files["./_background_noise_/white_noise.wav"] = wav_bytes(noise("white", 0.5))
    files["./validation_list.txt"] = b"stop/0a7c2a8d_nohash_0.wav\n"
    files["./LICENSE"] = b"CC BY 4.0\n"
    return files


@pytest.fixture()
def small_archive(archive_server):
    data = make_tar_gz(_speech_commands_files())
    archive_server.files["/sc.tar.gz"] = data
    return data


def _extracted(dest):
    return sorted(str(p.relative_to(dest)) for p in dest.rglob("*") if p.is_file() and WORKDIR not in p.parts)


def test_fetch_extracts_the_archive_and_reports_progress(tmp_path, archive_server, small_archive):
    events = []
    dest = tmp_path / "sc"
    result = fetch_speech_commands(dest, url=archive_server.url("/sc.tar.gz"), on_event=events.append)
    assert result.files == 9 and result.archive_bytes == len(small_archive)
    assert result.sha256 == hashlib.sha256(small_archive).hexdigest()
    assert not result.checksum_verified  # no checksum is known for a custom URL
    assert "stop/0a7c2a8d_nohash_0.wav" in _extracted(dest)
    assert (dest / "_background_noise_" / "white_noise.wav").is_file()
    assert (dest / MARKER).is_file() and not (dest / WORKDIR).exists()
    stages = {e.stage for e in events if isinstance(e, Progress)}
    assert {"download", "verify", "extract"} <= stages
    download = [e for e in events if isinstance(e, Progress) and e.stage == "download"]
    assert download[-1].done == download[-1].total == len(small_archive)


def test_a_second_fetch_does_nothing(tmp_path, archive_server, small_archive):
    url = archive_server.url("/sc.tar.gz")
    fetch_speech_commands(tmp_path / "sc", url=url)
    before = len(archive_server.requests)
    again = fetch_speech_commands(tmp_path / "sc", url=url)
    assert again.already_done and again.files == 9
    assert len(archive_server.requests) == before


def test_a_known_checksum_is_verified(tmp_path, archive_server, small_archive):
    url = archive_server.url("/sc.tar.gz")
    good = hashlib.sha256(small_archive).hexdigest()
    assert fetch_speech_commands(tmp_path / "a", url=url, sha256=good).checksum_verified
    with pytest.raises(DownloadError, match="checksum mismatch"):
        fetch_speech_commands(tmp_path / "b", url=url, sha256="0" * 64)
    assert not (tmp_path / "b" / "stop").exists() and not (tmp_path / "b" / MARKER).exists()


def test_the_version_table_holds_only_published_checksums():
    v2 = KNOWN_ARCHIVES["0.02"]
    assert v2.url.endswith("speech_commands_v0.02.tar.gz") and v2.size == 2428923189
    assert v2.sha256 is not None and len(v2.sha256) == 64
    assert KNOWN_ARCHIVES["0.01"].sha256 is None
    with pytest.raises(DownloadError, match="known versions"):
        fetch_speech_commands("unused", version="9.99")


def test_a_dropped_connection_is_resumed_with_a_range_request(tmp_path, archive_server, small_archive):
    cut = len(small_archive) // 3
    archive_server.drop_after["/sc.tar.gz"] = [cut]
    result = fetch_speech_commands(tmp_path / "sc", url=archive_server.url("/sc.tar.gz"))
    assert result.files == 9
    assert archive_server.requests == [("/sc.tar.gz", None), ("/sc.tar.gz", f"bytes={cut}-")]


def test_a_cancelled_download_resumes_on_the_next_run(tmp_path, archive_server, monkeypatch):
    monkeypatch.setattr(speech_commands, "CHUNK", 4096)
    data = make_tar_gz(_speech_commands_files(noisy=True))  # noise does not compress: many chunks
    archive_server.files["/big.tar.gz"] = data
    token = CancelToken()

    def cancel_midway(event):
        if isinstance(event, Progress) and event.stage == "download" and event.done > len(data) // 2:
            token.cancel()

    dest = tmp_path / "sc"
    with pytest.raises(Cancelled):
        fetch_speech_commands(
            dest, url=archive_server.url("/big.tar.gz"), on_event=cancel_midway, cancel=token
        )
    kept = (dest / WORKDIR / "big.tar.gz.part").stat().st_size
    assert len(data) // 2 < kept < len(data)
    result = fetch_speech_commands(dest, url=archive_server.url("/big.tar.gz"))
    assert result.resumed_from == kept and result.files == 9
    assert archive_server.requests[-1] == ("/big.tar.gz", f"bytes={kept}-")
    assert result.sha256 == hashlib.sha256(data).hexdigest()


def test_a_server_that_ignores_range_gets_a_fresh_download(tmp_path, archive_server, small_archive):
    archive_server.honour_range = False
    work = tmp_path / "sc" / WORKDIR
    work.mkdir(parents=True)
    (work / "sc.tar.gz.part").write_bytes(b"stale bytes from some other file")
    events = []
    result = fetch_speech_commands(
        tmp_path / "sc", url=archive_server.url("/sc.tar.gz"), on_event=events.append
    )
    assert result.files == 9 and result.sha256 == hashlib.sha256(small_archive).hexdigest()
    assert any(isinstance(e, Log) and "ignored the resume" in e.message for e in events)


def test_a_truncated_archive_is_refused_and_removed(tmp_path, archive_server, small_archive):
    archive_server.files["/cut.tar.gz"] = small_archive[: len(small_archive) * 2 // 3]
    dest = tmp_path / "sc"
    with pytest.raises(DownloadError, match="truncated"):
        fetch_speech_commands(dest, url=archive_server.url("/cut.tar.gz"))
    assert _extracted(dest) == []
    assert not (dest / WORKDIR / "cut.tar.gz").exists()  # the next run downloads it again


def test_a_corrupt_archive_is_refused(tmp_path, archive_server, small_archive):
    damaged = bytearray(small_archive)
    middle = len(damaged) // 2
    damaged[middle : middle + 64] = bytes(64)
    archive_server.files["/bad.tar.gz"] = bytes(damaged)
    with pytest.raises(DownloadError, match="corrupt|truncated"):
        fetch_speech_commands(tmp_path / "sc", url=archive_server.url("/bad.tar.gz"))
    assert _extracted(tmp_path / "sc") == []


def test_not_a_gzip_at_all_is_refused(tmp_path, archive_server):
    archive_server.files["/page.tar.gz"] = b"<html>rate limited</html>"
    with pytest.raises(DownloadError, match="corrupt"):
        fetch_speech_commands(tmp_path / "sc", url=archive_server.url("/page.tar.gz"))


EVIL = {
    "dotdot": ({"../evil.wav": b"x"}, []),
    "nested-dotdot": ({"stop/../../evil.wav": b"x"}, []),
    "absolute": ({"/tmp/wakebench-evil.wav": b"x"}, []),
    "symlink-out": ({}, [("stop/link.wav", "../../evil.wav", tarfile.SYMTYPE)]),
    "symlink-absolute": ({}, [("stop/passwd", "/etc/passwd", tarfile.SYMTYPE)]),
    "hardlink-out": ({}, [("stop/hard.wav", "../evil.wav", tarfile.LNKTYPE)]),
    "device": ({}, [("stop/dev", "", tarfile.CHRTYPE)]),
}


@pytest.mark.parametrize("case", sorted(EVIL))
def test_members_that_leave_the_destination_are_refused(tmp_path, archive_server, case):
    files, links = EVIL[case]
    files = {"./stop/ok_nohash_0.wav": wav_bytes(tone(440, 0.1)), **files}
    archive_server.files["/evil.tar.gz"] = make_tar_gz(files, links)
    dest = tmp_path / "inner" / "sc"
    with pytest.raises(DownloadError, match="unsafe|unsupported"):
        fetch_speech_commands(dest, url=archive_server.url("/evil.tar.gz"))
    assert not (tmp_path / "evil.wav").exists() and not (tmp_path / "inner" / "evil.wav").exists()
    assert not Path("/tmp/wakebench-evil.wav").exists()
    assert _extracted(dest) == []  # nothing half-extracted into DEST


def test_links_that_stay_inside_are_fine(tmp_path, archive_server):
    files = {"./stop/a_nohash_0.wav": wav_bytes(tone(440, 0.1))}
    archive_server.files["/ok.tar.gz"] = make_tar_gz(
        files, [("./stop/b_nohash_0.wav", "a_nohash_0.wav", tarfile.SYMTYPE)]
    )
    dest = tmp_path / "sc"
    fetch_speech_commands(dest, url=archive_server.url("/ok.tar.gz"))
    assert (dest / "stop" / "b_nohash_0.wav").read_bytes() == files["./stop/a_nohash_0.wav"]


def test_http_errors_and_unreachable_servers_are_download_errors(tmp_path, archive_server, monkeypatch):
    with pytest.raises(DownloadError, match="HTTP 404"):
        fetch_speech_commands(tmp_path / "a", url=archive_server.url("/missing.tar.gz"))
    monkeypatch.setattr(speech_commands.time, "sleep", lambda _s: None)
    with pytest.raises(DownloadError, match="download failed") as caught:
        fetch_speech_commands(tmp_path / "b", url="http://127.0.0.1:9/sc.tar.gz")
    assert "resumes" in caught.value.hint


def test_a_destination_holding_other_files_is_left_alone(tmp_path, archive_server, small_archive):
    dest = tmp_path / "mine"
    dest.mkdir()
    (dest / "precious.txt").write_text("keep me")
    with pytest.raises(DownloadError, match="already holds other files"):
        fetch_speech_commands(dest, url=archive_server.url("/sc.tar.gz"))
    assert (dest / "precious.txt").read_text() == "keep me"
    assert np.array_equal(sorted(p.name for p in dest.iterdir()), ["precious.txt"])


# --- recording the fetched folder in the project ---------------------------------------------


def _custom_project(folder: Path) -> tuple[Path, ProjectConfig]:
    """A project whose every table differs from the defaults, so a lost setting shows."""
    config = ProjectConfig(
        words=["seth", "hey bench"],
        data=DataSettings(synth_per_word=7, recordings_dir="takes", validation_percentage=20.0),
        training=TrainingSettings(steps=[30, 10], learning_rates=[0.01, 0.001], batch_size=9),
        recognizer=RecognizerSettings(detection_threshold=150, suppression_ms=900),
        board=BoardSettings(profile="nano33ble", port="/dev/ttyACM3"),
    )
    folder.mkdir(parents=True, exist_ok=True)
    save_config(config, folder / PROJECT_FILE)
    return folder / PROJECT_FILE, config


def test_use_speech_commands_sets_only_that_setting_relative_to_the_project(tmp_path):
    project_file, before = _custom_project(tmp_path / "proj")
    updated = use_speech_commands(project_file, tmp_path / "proj" / "data" / "sc")
    expected = before.replace(data=dataclasses.replace(before.data, speech_commands_dir="data/sc"))
    assert updated == expected
    assert load_config(project_file) == expected


def test_use_speech_commands_takes_relative_paths_from_the_current_folder(tmp_path, monkeypatch):
    project_file, _ = _custom_project(tmp_path / "proj")
    monkeypatch.chdir(tmp_path / "proj")
    assert use_speech_commands(PROJECT_FILE, "data/../big/sc").data.speech_commands_dir == "big/sc"
    monkeypatch.chdir(tmp_path)
    assert use_speech_commands(project_file, "shared/sc").data.speech_commands_dir == str(
        tmp_path / "shared/sc"
    )
    assert load_config(project_file).data.speech_commands_dir == str(tmp_path / "shared/sc")


def test_use_speech_commands_keeps_a_setting_that_already_names_the_folder(tmp_path):
    project_file, config = _custom_project(tmp_path / "proj")
    save_config(
        config.replace(data=dataclasses.replace(config.data, speech_commands_dir="./sc/")), project_file
    )
    text = project_file.read_text()
    assert use_speech_commands(project_file, tmp_path / "proj" / "sc").data.speech_commands_dir == "./sc/"
    assert project_file.read_text() == text


def test_use_speech_commands_leaves_an_unreadable_project_file_alone(tmp_path):
    project_file = tmp_path / PROJECT_FILE
    project_file.write_text("words = [stop\n")
    with pytest.raises(ConfigError, match=PROJECT_FILE):
        use_speech_commands(project_file, tmp_path / "sc")
    assert project_file.read_text() == "words = [stop\n"
