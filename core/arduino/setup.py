"""Install what a board's build profile needs into arduino-cli: `wakebench arduino setup`.

The platform at its pinned version (with its third-party index URL) and each Library Manager library at
its pinned version, one step at a time with progress (arduino-cli's own progress bars are text-only, so
the steps are the progress). Local `dir:` libraries cannot be installed: their folder must exist
(TensorFlow Lite Micro is fetched by firmware/fetch_tflm.sh). With `[board] private_toolchain = true`
everything lands in the project's .wakebench/arduino/ (core.arduino.cli.ArduinoDirs).
arduino-cli installs a profile's pieces by itself on the first `compile --profile` too; this makes that
step visible and lets it happen before the first build, on a good connection.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from core.board.profiles import SKETCH_DIR, BoardProfile, sketch_yaml_for_copy
from core.events import CancelToken, Done, EventCallback, Progress, ignore_events


@dataclass(frozen=True)
class SetupReport:
    board: str
    platform: str
    libraries: list[str]
    private_dir: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def setup_toolchain(
    profile: BoardProfile,
    cli: Any,
    on_event: EventCallback = ignore_events,
    cancel: CancelToken | None = None,
    sketch_dir: Path = SKETCH_DIR,
) -> SetupReport:
    """Install the profile's platform and libraries (see the module docstring)."""
    sketch_yaml_for_copy(profile, sketch_dir)  # a missing local library fails before any download
    urls = [profile.platform_index_url] if profile.platform_index_url else []
    libraries = [lib for lib in profile.libraries if not lib.dir]
    total = 2 + len(libraries)

    def step(n: int, text: str) -> None:
        if cancel is not None:
            cancel.raise_if_cancelled()
        on_event(Progress("setup", n, total, text))

    step(0, "updating the board index" + (f" (with {urls[0]})" if urls else ""))
    cli.update_index(urls, on_event=on_event, cancel=cancel)
    step(1, f"installing {profile.platform} {profile.platform_version}")
    cli.core_install(profile.platform, profile.platform_version, urls, on_event=on_event, cancel=cancel)
    for i, lib in enumerate(libraries):
        step(2 + i, f"installing {lib.name} {lib.version}")
        cli.lib_install(lib.name, lib.version, on_event=on_event, cancel=cancel)
    on_event(Progress("setup", total, total, "done"))
    report = SetupReport(
        profile.name,
        f"{profile.platform}@{profile.platform_version}",
        [f"{lib.name}@{lib.version}" for lib in libraries],
        str(cli.dirs.root) if cli.dirs is not None else "",
    )
    on_event(Done(report.to_dict()))
    return report
