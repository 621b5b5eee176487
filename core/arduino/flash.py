"""Flash a run's firmware: `wakebench flash RUN`.

Build if the run has no build of its model for the board (core.arduino.build), find the port (the one
board of that kind `arduino-cli board list` sees, unless a port is given), upload the run's own build
copy, then open the port and wait for the board's hello: the flash is only done when the board reports
the run's model hash. A failed upload or a wrong hash leaves the run's build where it was, so the next
try uploads the same images.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from core.arduino.build import BuildReport, build_run
from core.board.profiles import SKETCH_DIR, BoardProfile
from core.errors import BoardError, BoardNotFoundError
from core.events import CancelToken, Done, EventCallback, Log, Progress, ignore_events
from core.model.runs import RunDir

HELLO_TIMEOUT_S = 15.0
"""A board resets after the upload and says hello at boot; USB takes a few seconds to come back."""


@dataclass(frozen=True)
class FlashReport:
    run_dir: str
    board: str
    port: str
    model_sha8: str
    built: bool
    """True when this flash had to build first."""
    hello: str
    """The board's hello line, as parsed (board id, model, labels)."""
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def find_port(cli: Any, profile: BoardProfile, cancel: CancelToken | None = None) -> str:
    """The serial port of the one board of this kind that is plugged in (BoardNotFoundError otherwise)."""
    ports = cli.board_list(cancel)
    matching = [p for p in ports if p.matches(profile.fqbn)]
    if len(matching) == 1:
        return matching[0].port.address
    if not matching:
        seen = ", ".join(
            f"{p.port.address} ({', '.join(b.name for b in p.boards) or 'unknown'})" for p in ports
        )
        raise BoardNotFoundError(
            f"no {profile.title} found by `arduino-cli board list`"
            + (f"; ports seen: {seen}" if seen else ""),
            "plug it in (a data cable, not a charge-only one), or give the port: --port /dev/ttyACM0",
        )
    raise BoardNotFoundError(
        f"{len(matching)} {profile.title} boards are plugged in: {', '.join(p.port.address for p in matching)}",
        "say which one: --port PORT",
    )


def flash_run(
    run: RunDir | str | Path,
    profile: BoardProfile,
    cli: Any,
    *,
    port: str = "",
    baud: int = 115200,
    sketch_dir: Path = SKETCH_DIR,
    cache_root: Path | None = None,
    hello_timeout_s: float = HELLO_TIMEOUT_S,
    link: Any = None,
    on_event: EventCallback = ignore_events,
    cancel: CancelToken | None = None,
) -> FlashReport:
    """Build if needed, upload, and check the board's hello (see the module docstring). `link` is an
    open BoardLink on the board (the app's monitor): it lets go of the port for the upload and then
    reconnects."""
    started = time.monotonic()
    run = run if isinstance(run, RunDir) else RunDir.open(run)
    expected = run.report.model_sha8 if run.report is not None else ""
    build = BuildReport.read(run, profile.name)
    built = False
    if build is None or build.model_sha8 != expected or not expected:
        on_event(Log(f"building {run.id} for {profile.title} first"))
        build = build_run(
            run, profile, cli, sketch_dir=sketch_dir, cache_root=cache_root, on_event=on_event, cancel=cancel
        )
        built = True
    if cancel is not None:
        cancel.raise_if_cancelled()
    if not port:
        on_event(Progress("flash", 0, 3, f"looking for the {profile.title}"))
        port = find_port(cli, profile, cancel)
    on_event(Progress("flash", 1, 3, f"uploading to {port}"))
    if link is not None:
        link.release()
    try:
        result = cli.upload(
            build.sketch_dir, profile.name, build.build_dir, port, on_event=on_event, cancel=cancel
        )
    except BaseException:
        if link is not None:
            link.reconnect()  # the board still runs its old firmware: keep monitoring it
        raise
    if result.updated_port is not None and result.updated_port.address:
        port = result.updated_port.address  # the board came back on another port after its reset
    on_event(Progress("flash", 2, 3, f"waiting for the board's hello on {port}"))
    hello = wait_for_model(port, build.model_sha8, baud, hello_timeout_s, cancel, link)
    report = FlashReport(
        str(run.path),
        profile.name,
        port,
        build.model_sha8,
        built,
        f"board={hello.board} model={hello.model} labels={','.join(hello.labels)}",
        round(time.monotonic() - started, 2),
    )
    on_event(Progress("flash", 3, 3, f"the board runs model {hello.model}"))
    on_event(Done(report.to_dict()))
    return report


def wait_for_model(
    port: str,
    expected_sha8: str,
    baud: int = 115200,
    timeout_s: float = HELLO_TIMEOUT_S,
    cancel: CancelToken | None = None,
    link: Any = None,
) -> Any:
    """Wait for the board's hello on `port` (core.board.link asks with `?` once a second) and check its
    model hash; BoardError when it reports another model. With `link` (an open BoardLink, e.g. the
    app's monitor, released for the upload), that link is reconnected and waits for a fresh hello."""
    from core.board.link import BoardLink

    if cancel is not None:
        cancel.raise_if_cancelled()
    if link is not None:
        link.reconnect()
        hello = link.wait_for_hello(timeout=timeout_s, fresh=True)
    else:
        with BoardLink.open(port, baudrate=baud, wait_s=timeout_s) as opened:
            hello = opened.wait_for_hello(timeout=timeout_s)
    if hello.model != expected_sha8:
        raise BoardError(
            f"the board on {port} runs model {hello.model}, not {expected_sha8}: the upload did not take",
            "flash again; if it keeps happening, double-press reset to start the bootloader first",
        )
    return hello
