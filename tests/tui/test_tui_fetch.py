"""Fetching Speech Commands from the app: the fetched folder is recorded in wakebench.toml by core
(the same function `wakebench data fetch` uses), served by a local HTTP server, never the internet."""

from __future__ import annotations

import contextlib

from textual.widgets import SelectionList
from textual.worker import WorkerFailed

from core.config import PROJECT_FILE, load_config
from core.data import speech_commands
from tests.audio_factory import tone, wav_bytes
from tests.data.conftest import archive_server, make_tar_gz  # noqa: F401 (archive_server is a fixture)
from tests.tui.helpers import make_app, run_async
from tui.screens.error import ErrorDialog
from tui.screens.prompt import PromptDialog


async def settle(pilot) -> None:
    with contextlib.suppress(WorkerFailed):
        await pilot.app.workers.wait_for_complete()
    await pilot.pause()


@run_async
async def test_fetch_records_the_folder_and_the_words_pane_counts_it(project, archive_server, monkeypatch):  # noqa: F811
    files = {f"./stop/s{i}_nohash_0.wav": wav_bytes(tone(300 + i, 0.2)) for i in range(4)}
    archive_server.files["/sc.tar.gz"] = make_tar_gz(files)
    # The app fetches the published v0.02; here that name points at the local server (no size/checksum).
    mirror = speech_commands.KnownArchive("0.02", archive_server.url("/sc.tar.gz"), None, None)
    monkeypatch.setitem(speech_commands.KNOWN_ARCHIVES, "0.02", mirror)
    before = load_config(project / PROJECT_FILE)
    assert before.data.speech_commands_dir == ""

    app = make_app(project)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await pilot.click("#fetch")
        assert isinstance(app.screen, PromptDialog)
        await pilot.press("enter")  # the offered folder: data/speech_commands
        await settle(pilot)
        assert not isinstance(app.screen, ErrorDialog)
        assert archive_server.requests and archive_server.requests[0][0] == "/sc.tar.gz"
        assert (project / "data/speech_commands/stop/s3_nohash_0.wav").is_file()

        saved = load_config(project / PROJECT_FILE)
        assert saved.data.speech_commands_dir == "data/speech_commands"
        assert saved.replace(data=before.data) == before  # nothing else changed
        assert app.config == saved
        assert "sc 4" in str(app.query_one(SelectionList).get_option("stop").prompt)
