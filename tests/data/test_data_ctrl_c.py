"""Ctrl-C during `data synth`, `data fetch` and `data check` (a real SIGINT to the command's process group,
as a terminal sends it): exit status 130, a clear message, nothing half-written, and the next run
carries on from what was kept."""

from __future__ import annotations

import json

from core.audio.files import read_audio
from core.cli import main
from core.data.speech_commands import MARKER, WORKDIR
from tests.audio_factory import make_dataset, noise, wav_bytes
from tests.ctrl_c import ctrl_c_while_running
from tests.data.conftest import make_tar_gz


def test_ctrl_c_during_synth_keeps_whole_clips_and_a_rerun_completes(tmp_path):
    out = tmp_path / "syn"
    args = ["data", "synth", "--words", "stop", "--out", str(out), "--per-word", "300"]
    args += ["--unknown-per-word", "1", "--no-background", "--workers", "2", "--json"]
    stopped = ctrl_c_while_running(args, tmp_path)
    assert stopped.returncode == 130, stopped.stderr
    assert "cancelled" in stopped.stderr and "Traceback" not in stopped.stderr  # workers left Ctrl-C to it
    assert all(line["event"] != "done" for line in stopped.json_lines())
    assert not list(out.rglob("*.tmp"))  # every clip written is whole
    for wav in out.rglob("*.wav"):
        assert len(read_audio(wav)) == 16000, wav
    json.loads((out / "synth.json").read_text())

    args[args.index("300")] = "3"  # the same set, smaller: the kept clips count, the rest is made
    assert main(args[:-1]) == 0
    assert len(list((out / "stop").glob("*_nohash_*.wav"))) >= 3


def downloading(line: str) -> bool:
    event = json.loads(line)
    return event["event"] == "progress" and event["stage"] == "download" and event["done"] > 0


def test_ctrl_c_during_fetch_keeps_the_partial_download_and_the_next_fetch_resumes(tmp_path, archive_server):
    files = {f"./stop/s{i}_nohash_0.wav": wav_bytes(noise("white", 1.0, seed=i)) for i in range(8)}
    data = make_tar_gz(files)
    archive_server.files["/sc.tar.gz"] = data
    archive_server.pause = 0.05  # ~80 KB/s: the download is still running when Ctrl-C comes
    dest = tmp_path / "sc"
    args = [
        "data",
        "fetch",
        "speech-commands",
        "--dest",
        str(dest),
        "--url",
        archive_server.url("/sc.tar.gz"),
    ]
    small_reads = "import core.data.speech_commands as sc; sc.CHUNK = 4096"  # progress every 4 KB
    stopped = ctrl_c_while_running(
        [*args, "--json"], tmp_path, setup=small_reads, marker=downloading, on_stdout=True
    )
    assert stopped.returncode == 130, stopped.stderr
    assert "resumes" in stopped.stderr
    assert sorted(p.name for p in dest.iterdir()) == [WORKDIR]  # nothing extracted, no completion marker
    kept = (dest / WORKDIR / "sc.tar.gz.part").stat().st_size
    assert 0 < kept < len(data)

    archive_server.pause = 0.0
    assert main(args) == 0
    assert archive_server.requests[-1] == ("/sc.tar.gz", f"bytes={kept}-")
    assert (dest / MARKER).is_file() and len(list((dest / "stop").glob("*.wav"))) == 8


def test_ctrl_c_during_check_stops_without_a_result(tmp_path):
    data = make_dataset(tmp_path / "data", {"stop": 40, "go": 40}, speakers=4, source="tone")
    stopped = ctrl_c_while_running(["data", "check", str(data), "--json"], tmp_path)
    assert stopped.returncode == 130, stopped.stderr
    assert "cancelled" in stopped.stderr
    assert all(line["event"] != "done" for line in stopped.json_lines())
