"""arduino-cli's machine-readable answers as typed records.

Only `--json` output is covered by arduino-cli's stability promise (its docs/versioning.md), so every
command runs with `--json` and its answer is read here. Each record keeps the keys wakebench uses and
ignores the rest, so a newer arduino-cli that adds keys still parses. Shapes follow arduino-cli 1.x
(internal/cli/feedback/result/rpc.go and the commands' result structs):

    version        {"Application", "VersionString", "Commit", "Date", ...}
    board list     {"detected_ports": [{"port": {...}, "matching_boards": [{"name", "fqbn"}]}]}
    compile        {"compiler_out", "compiler_err", "builder_result": {"build_path",
                    "executable_sections_size": [{"name", "size", "max_size"}], "diagnostics": [...]},
                    "success", "error"}
    upload         {"stdout", "stderr", "updated_upload_port": {...}}
    any failure    {"error": "...", "output": {"stdout", "stderr"}}  (on stderr, non-zero exit)
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _int(value: Any) -> int:
    return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else 0


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


@dataclass(frozen=True)
class VersionInfo:
    application: str
    version: str
    commit: str = ""
    date: str = ""

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> VersionInfo:
        return cls(
            _text(data.get("Application")),
            _text(data.get("VersionString")),
            _text(data.get("Commit")),
            _text(data.get("Date")),
        )

    @property
    def numbers(self) -> tuple[int, int, int] | None:
        """(major, minor, patch) of a release version such as "1.3.1" or "1.4.0-rc1"; None otherwise
        (a development build says "0.0.0-git")."""
        m = re.match(r"v?(\d+)\.(\d+)\.(\d+)", self.version)
        if not m or self.version.startswith("0.0.0"):
            return None
        return int(m.group(1)), int(m.group(2)), int(m.group(3))


@dataclass(frozen=True)
class Port:
    address: str
    protocol: str = ""
    label: str = ""
    protocol_label: str = ""
    hardware_id: str = ""
    properties: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Port:
        props = {str(k): str(v) for k, v in _dict(data.get("properties")).items()}
        return cls(
            _text(data.get("address")),
            _text(data.get("protocol")),
            _text(data.get("label")),
            _text(data.get("protocol_label")),
            _text(data.get("hardware_id")),
            props,
        )


@dataclass(frozen=True)
class BoardMatch:
    name: str
    fqbn: str

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> BoardMatch:
        return cls(_text(data.get("name")), _text(data.get("fqbn")))


@dataclass(frozen=True)
class DetectedPort:
    """One port `board list` found, with the boards that may be on it."""

    port: Port
    boards: tuple[BoardMatch, ...] = ()

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DetectedPort:
        boards = tuple(BoardMatch.from_json(b) for b in _dicts(data.get("matching_boards")))
        return cls(Port.from_json(_dict(data.get("port"))), boards)

    def matches(self, fqbn: str) -> bool:
        """True when a board on this port has `fqbn`'s vendor:arch:board (board options ignored)."""
        base = ":".join(fqbn.split(":")[:3])
        return any(":".join(b.fqbn.split(":")[:3]) == base for b in self.boards)


def detected_ports(data: dict[str, Any]) -> list[DetectedPort]:
    return [DetectedPort.from_json(p) for p in _dicts(data.get("detected_ports"))]


@dataclass(frozen=True)
class SectionSize:
    """One entry of `executable_sections_size`: "text" (flash) always, "data" (RAM) only for boards
    whose definition sets a data-size limit (max_size 0 = no limit known)."""

    name: str
    size: int
    max_size: int = 0

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SectionSize:
        return cls(_text(data.get("name")), _int(data.get("size")), _int(data.get("max_size")))


@dataclass(frozen=True)
class Diagnostic:
    """A compiler message arduino-cli parsed out of GCC's output."""

    severity: str
    message: str
    file: str = ""
    line: int = 0
    column: int = 0

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Diagnostic:
        return cls(
            _text(data.get("severity")),
            _text(data.get("message")),
            _text(data.get("file")),
            _int(data.get("line")),
            _int(data.get("column")),
        )

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}: " if self.file else ""
        return f"{where}{self.severity}: {self.message}"


@dataclass(frozen=True)
class CompileResult:
    success: bool
    build_path: str
    sections: tuple[SectionSize, ...]
    diagnostics: tuple[Diagnostic, ...]
    compiler_out: str
    compiler_err: str
    error: str = ""

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CompileResult:
        builder = _dict(data.get("builder_result"))
        return cls(
            success=bool(data.get("success")),
            build_path=_text(builder.get("build_path")),
            sections=tuple(SectionSize.from_json(s) for s in _dicts(builder.get("executable_sections_size"))),
            diagnostics=tuple(Diagnostic.from_json(d) for d in _dicts(builder.get("diagnostics"))),
            compiler_out=_text(data.get("compiler_out")),
            compiler_err=_text(data.get("compiler_err")),
            error=_text(data.get("error")),
        )

    def section(self, name: str) -> SectionSize | None:
        return next((s for s in self.sections if s.name == name), None)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "error"]


@dataclass(frozen=True)
class UploadResult:
    stdout: str
    stderr: str
    updated_port: Port | None = None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> UploadResult:
        port = data.get("updated_upload_port")
        return cls(
            _text(data.get("stdout")),
            _text(data.get("stderr")),
            Port.from_json(port) if isinstance(port, dict) and port.get("address") else None,
        )


@dataclass(frozen=True)
class CliFailure:
    """arduino-cli's error answer: `{"error": ..., "output": {"stdout", "stderr"}}`."""

    error: str
    stdout: str = ""
    stderr: str = ""

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CliFailure:
        output = _dict(data.get("output"))
        return cls(_text(data.get("error")), _text(output.get("stdout")), _text(output.get("stderr")))
