"""Find and run arduino-cli: always with `--json`, answers parsed into core.arduino.results records,
failures turned into core errors that say what to do.

- `find_arduino_cli` looks at `[board] arduino_cli` in wakebench.toml (a path, or a name on PATH), then
  PATH; when there is none the error says how to install it. `ArduinoCli.open` also checks the version:
  1.3 or newer, the first to accept `dir:` libraries in sketch.yaml build profiles.
- `ArduinoDirs` isolates a project's toolchain (`[board] private_toolchain = true`): arduino-cli then keeps
  its platforms, libraries and downloads under `.wakebench/arduino/` through ARDUINO_DIRECTORIES_*.
- Every call can be cancelled (the process is terminated) and reports progress while it runs: with
  `--json` arduino-cli prints nothing until it is done, so the progress is the elapsed time.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from core.arduino.results import (
    CliFailure,
    CompileResult,
    DetectedPort,
    UploadResult,
    VersionInfo,
    detected_ports,
)
from core.errors import ArduinoCliError, ArduinoCliNotFound, Cancelled, CompileError, UploadError
from core.events import CancelToken, EventCallback, Progress, ignore_events

EXECUTABLE = "arduino-cli"
MIN_VERSION = (1, 3, 0)
INSTALL_URL = "https://arduino.github.io/arduino-cli/latest/installation/"
INSTALL_HINT = (
    "install arduino-cli 1.3 or newer — on Linux or macOS: "
    "`curl -fsSL https://raw.githubusercontent.com/arduino/arduino-cli/master/install.sh | BINDIR=~/.local/bin sh`, "
    f"otherwise see {INSTALL_URL} — then make sure `arduino-cli version` runs, or set "
    '`arduino_cli = "/path/to/arduino-cli"` in the [board] table of wakebench.toml'
)
PRIVATE_DIR = Path(".wakebench") / "arduino"
"""Under the project folder: the private toolchain's data, user and downloads folders."""
TICK_S = 0.5

# arduino-cli's exit codes (internal/cli/feedback/errorcodes.go) and what to do about each.
EXIT_HINTS = {
    3: "arduino-cli could not find its config file; check --config-file or ARDUINO_CONFIG_FILE",
    5: "arduino-cli needs the network to download platforms and libraries the first time; "
    "connect (or set a proxy in arduino-cli's config) and try again",
    6: "arduino-cli cannot use its data folders; check that they exist and are writable "
    "(ARDUINO_DIRECTORIES_DATA/USER/DOWNLOADS, or [board] private_toolchain)",
    7: "arduino-cli refused wakebench's arguments; it may be older than 1.3 (`arduino-cli version`)",
    8: "arduino-cli could not load the sketch folder",
    9: "the compiler's messages are above",
    10: "check the board's cable and port (`wakebench flash --port`); double-press reset to start the "
    "bootloader and try again",
    11: "this board needs a programmer to upload; see the board's documentation",
}


@dataclass(frozen=True)
class ArduinoDirs:
    """A private toolchain: arduino-cli's data, sketchbook and downloads folders under `root`."""

    root: Path

    @classmethod
    def for_project(cls, project_dir: str | Path) -> ArduinoDirs:
        return cls((Path(project_dir) / PRIVATE_DIR).resolve())

    def env(self) -> dict[str, str]:
        return {
            "ARDUINO_DIRECTORIES_DATA": str(self.root / "data"),
            "ARDUINO_DIRECTORIES_USER": str(self.root / "user"),
            "ARDUINO_DIRECTORIES_DOWNLOADS": str(self.root / "downloads"),
        }


def find_arduino_cli(configured: str = "", project_dir: str | Path = ".") -> Path:
    """The arduino-cli executable: `configured` (a path, relative to the project, or a command name),
    else `arduino-cli` on PATH. ArduinoCliNotFound says how to install it."""
    if configured:
        candidate = Path(configured).expanduser()
        if not candidate.is_absolute() and len(candidate.parts) > 1:
            candidate = Path(project_dir) / candidate
        if len(candidate.parts) > 1 or candidate.is_absolute():
            if candidate.is_file() and os.access(candidate, os.X_OK):
                return candidate.resolve()
            raise ArduinoCliNotFound(
                f"[board] arduino_cli = {configured!r} in wakebench.toml: no executable there",
                f"fix the path, or remove the setting to use arduino-cli from PATH; {INSTALL_HINT}",
            )
        found = shutil.which(configured)
        if found:
            return Path(found)
        raise ArduinoCliNotFound(
            f"[board] arduino_cli = {configured!r}: no such command on PATH", INSTALL_HINT
        )
    found = shutil.which(EXECUTABLE)
    if found is None:
        raise ArduinoCliNotFound("arduino-cli is not installed (it is not on PATH)", INSTALL_HINT)
    return Path(found)


class ArduinoCli:
    """One arduino-cli executable and the environment it runs in."""

    def __init__(self, executable: str | Path, dirs: ArduinoDirs | None = None) -> None:
        self.executable = Path(executable)
        self.dirs = dirs

    @classmethod
    def open(
        cls, configured: str = "", project_dir: str | Path = ".", private_toolchain: bool = False
    ) -> ArduinoCli:
        """Find arduino-cli and check that it is 1.3 or newer (ArduinoCliNotFound otherwise)."""
        cli = cls(
            find_arduino_cli(configured, project_dir),
            ArduinoDirs.for_project(project_dir) if private_toolchain else None,
        )
        cli.check_version()
        return cli

    # ---- running -------------------------------------------------------------------------------

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        if self.dirs is not None:
            env.update(self.dirs.env())
        return env

    def run(
        self,
        args: Sequence[str],
        *,
        stage: str = "arduino-cli",
        on_event: EventCallback = ignore_events,
        cancel: CancelToken | None = None,
        timeout_s: float | None = None,
    ) -> tuple[int, dict[str, Any], dict[str, Any], str]:
        """Run `arduino-cli ARGS --json`; (exit code, stdout JSON, stderr JSON, raw stderr).

        A JSON document that does not parse counts as empty ({}): a failure is then reported from the
        exit code. Cancelling terminates the process and raises Cancelled.
        """
        command = [str(self.executable), *args, "--json"]
        try:
            proc = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=self.env(),
            )
        except OSError as exc:
            raise ArduinoCliNotFound(
                f"cannot run {self.executable}: {exc.strerror or exc}", INSTALL_HINT
            ) from None
        started = time.monotonic()
        while True:
            try:
                out, err = proc.communicate(timeout=TICK_S)
                break
            except subprocess.TimeoutExpired:
                elapsed = time.monotonic() - started
                if (cancel is not None and cancel.cancelled) or (
                    timeout_s is not None and elapsed > timeout_s
                ):
                    _stop(proc)
                    if cancel is not None and cancel.cancelled:
                        raise Cancelled(f"arduino-cli {args[0]} stopped") from None
                    raise ArduinoCliError(
                        f"arduino-cli {_command_name(args)} did not finish in {timeout_s:.0f} s",
                        "check the board's connection and try again",
                    ) from None
                on_event(Progress(stage, round(elapsed, 1), 0, f"arduino-cli {args[0]} ({elapsed:.0f} s)"))
        return proc.returncode, _json(out), _json(err), err

    def _fail(
        self,
        args: Sequence[str],
        code: int,
        out: dict[str, Any],
        err: dict[str, Any],
        raw_err: str,
        kind: type[ArduinoCliError] = ArduinoCliError,
    ) -> NoReturn:
        failure = CliFailure.from_json(err or out)
        text = failure.error or _last_line(raw_err) or f"exit code {code}"
        hint = _hint_for(text, 10 if kind is UploadError and code == 1 else code)
        details = "\n".join(t for t in (failure.stdout.strip(), failure.stderr.strip()) if t)
        message = f"arduino-cli {_command_name(args)} failed: {text}"
        if details:
            message += "\n" + details
        raise kind(message, hint)

    # ---- commands ------------------------------------------------------------------------------

    def version(self) -> VersionInfo:
        code, out, err, raw = self.run(["version"], timeout_s=60)
        if code != 0:
            self._fail(["version"], code, out, err, raw)
        return VersionInfo.from_json(out)

    def check_version(self) -> VersionInfo:
        info = self.version()
        numbers = info.numbers
        if numbers is None:
            raise ArduinoCliNotFound(
                f"{self.executable}: cannot tell its version ({info.version or 'no version in its answer'})",
                f"wakebench needs a release of arduino-cli 1.3 or newer; {INSTALL_HINT}",
            )
        if numbers < MIN_VERSION:
            raise ArduinoCliNotFound(
                f"{self.executable} is arduino-cli {info.version}; wakebench needs 1.3 or newer "
                "(for `dir:` libraries in sketch.yaml build profiles)",
                f"upgrade it: {INSTALL_HINT}",
            )
        return info

    def board_list(self, cancel: CancelToken | None = None) -> list[DetectedPort]:
        code, out, err, raw = self.run(["board", "list"], cancel=cancel, timeout_s=60)
        if code != 0:
            self._fail(["board", "list"], code, out, err, raw)
        return detected_ports(out)

    def update_index(
        self,
        index_urls: Sequence[str] = (),
        on_event: EventCallback = ignore_events,
        cancel: CancelToken | None = None,
    ) -> None:
        args = ["core", "update-index", *_urls(index_urls)]
        code, out, err, raw = self.run(args, stage="setup", on_event=on_event, cancel=cancel)
        if code != 0:
            self._fail(args, code, out, err, raw)

    def core_install(
        self,
        platform: str,
        version: str,
        index_urls: Sequence[str] = (),
        on_event: EventCallback = ignore_events,
        cancel: CancelToken | None = None,
    ) -> None:
        args = ["core", "install", f"{platform}@{version}", *_urls(index_urls)]
        code, out, err, raw = self.run(args, stage="setup", on_event=on_event, cancel=cancel)
        if code != 0:
            self._fail(args, code, out, err, raw)

    def lib_install(
        self,
        name: str,
        version: str,
        on_event: EventCallback = ignore_events,
        cancel: CancelToken | None = None,
    ) -> None:
        args = ["lib", "install", f"{name}@{version}"]
        code, out, err, raw = self.run(args, stage="setup", on_event=on_event, cancel=cancel)
        if code != 0:
            self._fail(args, code, out, err, raw)

    def compile(
        self,
        sketch_dir: str | Path,
        profile: str,
        build_path: str | Path,
        on_event: EventCallback = ignore_events,
        cancel: CancelToken | None = None,
    ) -> CompileResult:
        """Compile with a sketch.yaml build profile into `build_path`. A failed build is a CompileError
        carrying the compiler's own messages."""
        args = [
            "compile",
            "--profile",
            profile,
            "--build-path",
            str(build_path),
            "--warnings",
            "default",
            str(sketch_dir),
        ]
        code, out, err, raw = self.run(args, stage="compile", on_event=on_event, cancel=cancel)
        result = CompileResult.from_json(out) if out else None
        if code == 0 and result is not None and result.success:
            return result
        if result is not None and (result.compiler_err or result.diagnostics):
            errors = "\n".join(str(d) for d in result.errors)
            compiler = result.compiler_err.strip() or errors
            first = errors.splitlines()[0] if errors else _first_error_line(compiler)
            raise CompileError(
                f"the firmware did not compile: {first or result.error or f'exit code {code}'}",
                "the compiler's messages are above; nothing was uploaded",
                compiler,
            )
        self._fail(args, code, out, err, raw, CompileError)

    def upload(
        self,
        sketch_dir: str | Path,
        profile: str,
        build_path: str | Path,
        port: str,
        on_event: EventCallback = ignore_events,
        cancel: CancelToken | None = None,
    ) -> UploadResult:
        args = [
            "upload",
            "--profile",
            profile,
            "--input-dir",
            str(build_path),
            "--port",
            port,
            str(sketch_dir),
        ]
        code, out, err, raw = self.run(args, stage="upload", on_event=on_event, cancel=cancel, timeout_s=300)
        if code != 0:
            self._fail(args, code, out, err, raw, UploadError)
        return UploadResult.from_json(out)


def _command_name(args: Sequence[str]) -> str:
    """`core install` of `core install adafruit:samd@1.7.17 --additional-urls …`."""
    words = []
    for arg in args[:2]:
        if arg.startswith("-"):
            break
        words.append(arg)
    return " ".join(words[:2] if len(words) > 1 and not any(c in words[1] for c in ":@/") else words[:1])


def _urls(index_urls: Sequence[str]) -> list[str]:
    urls = [u for u in index_urls if u]
    return ["--additional-urls", ",".join(urls)] if urls else []


def _stop(proc: subprocess.Popen[str]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _json(text: str) -> dict[str, Any]:
    text = text.strip()
    if not text:
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        return {}
    return value if isinstance(value, dict) else {}


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else ""


def _first_error_line(text: str) -> str:
    for line in text.splitlines():
        if "error" in line.lower():
            return line.strip()
    return _last_line(text)


def _hint_for(text: str, code: int) -> str:
    lowered = text.lower()
    if any(sign in lowered for sign in ("dial tcp", "no such host", "connection refused", "timeout", "tls")):
        return EXIT_HINTS[5]
    if "platform" in lowered and ("not found" in lowered or "not installed" in lowered):
        return "install the board's platform: wakebench arduino setup"
    if "arduino_tensorflowlite" in lowered or ("library" in lowered and "not found" in lowered):
        return (
            "fetch the TensorFlow Lite Micro library first: firmware/fetch_tflm.sh (see firmware/README.md)"
        )
    return EXIT_HINTS.get(code, "run the same arduino-cli command by hand to see more")
