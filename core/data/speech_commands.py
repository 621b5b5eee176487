"""Google Speech Commands: download (resumable), verify and extract safely.

`fetch_speech_commands` streams the archive into `<dest>/.wakebench-fetch/`, resuming a partial file
with an HTTP Range request (and starting over when a server ignores Range), checks the size and
SHA-256 where they are known, reads the whole gzip/tar stream (gzip checks its CRC at the end), and
extracts into a staging folder first, refusing absolute paths, `..` and links that leave DEST.
Only then are the files moved into DEST and a completion marker written; a second run with the
marker present does nothing. `use_speech_commands` then points a project's wakebench.toml at DEST
(the command line and the app both call it, so they record the same thing).
"""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import http.client
import json
import os
import posixpath
import shutil
import tarfile
import time
import urllib.error
import urllib.parse
import urllib.request
import zlib
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from core.config import ProjectConfig, load_config, save_config
from core.data.speech_commands_archives import KNOWN_ARCHIVES, KnownArchive  # noqa: F401 (re-exported)
from core.errors import Cancelled, DownloadError
from core.events import CancelToken, Done, EventCallback, Log, Progress, ignore_events
from core.fileio import write_json_atomic

MARKER = ".wakebench-complete.json"
WORKDIR = ".wakebench-fetch"
CHUNK = 1 << 20
RETRIES = 5
TIMEOUT_S = 30.0


@dataclass
class FetchResult:
    """What `fetch_speech_commands` did."""

    dest: str
    version: str
    url: str
    files: int
    archive_bytes: int
    sha256: str
    checksum_verified: bool
    already_done: bool = False
    resumed_from: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def fetch_speech_commands(
    dest: str | Path,
    version: str = "0.02",
    url: str | None = None,
    sha256: str | None = None,
    on_event: EventCallback = ignore_events,
    cancel: CancelToken | None = None,
    keep_archive: bool = False,
) -> FetchResult:
    """Download and extract Speech Commands `version` (or the archive at `url`) into `dest`."""
    dest = Path(dest)
    known = KNOWN_ARCHIVES.get(version)
    if known is None and url is None:
        raise DownloadError(
            f"unknown Speech Commands version {version!r}",
            f"known versions: {', '.join(KNOWN_ARCHIVES)}; or give the archive with --url",
        )
    if url is None and known is not None:
        url, size, expected = known.url, known.size, sha256 or known.sha256
    else:
        # A custom URL is a different file: only a checksum given with it applies.
        size, expected = None, sha256
    assert url is not None
    expected = expected.lower() if expected else None

    marker = dest / MARKER
    done = _read_marker(marker)
    if done and done.get("url") == url and done.get("version") == version:
        result = FetchResult(**{**done, "already_done": True})
        on_event(Log(f"{dest} already holds Speech Commands {version} ({result.files} files)"))
        on_event(Done(result.to_dict()))
        return result
    work = dest / WORKDIR
    if dest.exists() and any(p.name not in (WORKDIR, MARKER) for p in dest.iterdir()) and not work.exists():
        raise DownloadError(
            f"{dest} already holds other files",
            "give an empty or new folder with --dest; wakebench never writes over data it did not make",
        )
    work.mkdir(parents=True, exist_ok=True)
    archive = work / (posixpath.basename(urllib.parse.urlsplit(url).path) or "archive.tar.gz")
    partial = archive.with_name(archive.name + ".part")

    resumed_from = 0
    if not archive.exists():
        resumed_from = partial.stat().st_size if partial.exists() else 0
        _download(url, partial, size, on_event, cancel)
        partial.replace(archive)
    archive_bytes = archive.stat().st_size
    if size is not None and archive_bytes != size:
        archive.unlink()
        raise DownloadError(
            f"{url}: downloaded {archive_bytes} bytes but Speech Commands {version} is {size} bytes",
            "run the command again to download it afresh",
        )
    digest = _sha256(archive, on_event, cancel)
    if expected and digest != expected:
        archive.unlink()
        raise DownloadError(
            f"{url}: checksum mismatch (sha256 {digest}, expected {expected})",
            "the download is damaged or the file changed on the server; run the command again",
        )
    files = _extract(archive, dest, work, on_event, cancel)

    result = FetchResult(
        dest=str(dest),
        version=version,
        url=url,
        files=files,
        archive_bytes=archive_bytes,
        sha256=digest,
        checksum_verified=bool(expected),
        resumed_from=resumed_from,
    )
    write_json_atomic(marker, {k: v for k, v in result.to_dict().items() if k != "already_done"})
    if keep_archive:
        archive.replace(dest / archive.name)
    shutil.rmtree(work, ignore_errors=True)
    on_event(Done(result.to_dict()))
    return result


def use_speech_commands(project_file: str | Path, dest: str | Path) -> ProjectConfig:
    """Set `data.speech_commands_dir` of the project in `project_file` to `dest` and save it atomically.

    `dest` is a path as the caller used it (relative ones start from the current folder). It is written
    relative to the project folder when it lies inside it, so the project can move; absolute otherwise.
    Every other setting is read from the file and written back unchanged; a file that cannot be read
    raises ConfigError and is left alone. A setting already naming the same folder is kept as written.
    """
    project_file = Path(project_file)
    config = load_config(project_file)
    folder = project_file.parent
    current = config.data.speech_commands_dir
    if current and _same_folder(folder / current, Path(dest)):
        return config
    data = dataclasses.replace(config.data, speech_commands_dir=_project_relative(Path(dest), folder))
    config = config.replace(data=data)
    save_config(config, project_file)
    return config


def _project_relative(path: Path, folder: Path) -> str:
    # Compare the paths as given first (keeps a symlinked data folder as named), then fully resolved.
    for p, root in (
        (Path(os.path.abspath(path)), Path(os.path.abspath(folder))),
        (path.resolve(), folder.resolve()),
    ):
        if p.is_relative_to(root):
            return p.relative_to(root).as_posix()
    return str(Path(os.path.abspath(path)))


def _same_folder(a: Path, b: Path) -> bool:
    return os.path.abspath(a) == os.path.abspath(b) or a.resolve() == b.resolve()


# --- download --------------------------------------------------------------------------------


def _download(
    url: str, partial: Path, size: int | None, on_event: EventCallback, cancel: CancelToken | None
) -> None:
    """Append the rest of `url` to `partial`, resuming after dropped connections."""
    failures = 0
    while True:
        have = partial.stat().st_size if partial.exists() else 0
        try:
            if _download_once(url, partial, have, size, on_event, cancel):
                return
            raise ConnectionError("the server closed the connection early")
        except (OSError, http.client.HTTPException) as exc:
            if isinstance(exc, urllib.error.HTTPError):
                raise DownloadError(
                    f"{url}: HTTP {exc.code} {exc.reason}", "check the URL or --version"
                ) from None
            grew = partial.exists() and partial.stat().st_size > have
            failures = 0 if grew else failures + 1  # only attempts that get nowhere count towards giving up
            if failures >= RETRIES:
                reason = getattr(exc, "reason", None) or exc
                raise DownloadError(
                    f"{url}: download failed ({reason})",
                    "check the network and run the same command again; it resumes where it stopped",
                ) from None
            on_event(Log(f"download interrupted ({exc}); resuming"))
            time.sleep(min(0.2 * 2**failures, 5.0))


def _download_once(
    url: str, partial: Path, have: int, size: int | None, on_event: EventCallback, cancel: CancelToken | None
) -> bool:
    """One request; returns True when the file is complete, False when the server stopped early."""
    request = urllib.request.Request(url, headers={"User-Agent": "wakebench"})
    if have:
        request.add_header("Range", f"bytes={have}-")
    try:
        response = urllib.request.urlopen(request, timeout=TIMEOUT_S)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and have and (size is None or have == size):
            return True  # the partial file is already whole
        if exc.code == 416:
            partial.unlink()  # our partial file does not fit the server's file: start over
            return False
        raise
    with response:
        if have and response.status == 206:
            start = _content_range_start(response.headers.get("Content-Range", ""))
            if start != have:
                raise DownloadError(f"{url}: server resumed at byte {start}, not {have}")
            mode, done = "ab", have
        else:
            if have:
                on_event(Log("the server ignored the resume request; downloading from the start"))
            mode, done = "wb", 0
        length = response.headers.get("Content-Length")
        total = done + int(length) if length and length.isdigit() else (size or 0)
        with open(partial, mode) as out:
            while True:
                if cancel is not None and cancel.cancelled:
                    raise Cancelled(
                        f"download cancelled; the {done:,} bytes so far are kept and the next run resumes"
                    )
                try:
                    chunk = response.read(CHUNK)
                except http.client.IncompleteRead as exc:
                    out.write(exc.partial)
                    raise
                if not chunk:
                    break
                out.write(chunk)
                done += len(chunk)
                on_event(Progress("download", done, total, "Speech Commands"))
    return not total or done >= total


def _content_range_start(value: str) -> int:
    # "bytes 100-199/200"
    try:
        return int(value.split()[1].split("-")[0])
    except (IndexError, ValueError):
        return -1


def _sha256(path: Path, on_event: EventCallback, cancel: CancelToken | None) -> str:
    digest = hashlib.sha256()
    total = path.stat().st_size
    done = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK * 4):
            if cancel is not None:
                cancel.raise_if_cancelled()
            digest.update(chunk)
            done += len(chunk)
            on_event(Progress("verify", done, total, "sha256"))
    return digest.hexdigest()


def _read_marker(marker: Path) -> dict[str, Any] | None:
    try:
        value = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    fields = set(FetchResult.__dataclass_fields__) - {"already_done"}
    return value if isinstance(value, dict) and fields <= set(value) else None


# --- extraction ------------------------------------------------------------------------------


def _extract(
    archive: Path, dest: Path, work: Path, on_event: EventCallback, cancel: CancelToken | None
) -> int:
    """Extract into a staging folder, then move into `dest`; returns the number of files."""
    staging = work / "staging"
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    total = archive.stat().st_size
    files = 0
    try:
        with open(archive, "rb") as raw, gzip.GzipFile(fileobj=raw) as gz:
            with tarfile.open(fileobj=gz, mode="r|") as tar:
                for member in tar:
                    if cancel is not None:
                        cancel.raise_if_cancelled()
                    _check_member(member, archive)
                    tar.extract(member, staging, filter="data")
                    files += member.isfile()
                    if member.isfile() and files % 100 == 0:  # 100k+ files: a line each is too chatty
                        on_event(Progress("extract", raw.tell(), total, member.name))
            # Read to the very end so gzip checks its CRC and length trailer.
            while gz.read(CHUNK):
                pass
            on_event(Progress("extract", total, total, f"{files} files"))
    except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile) as exc:
        shutil.rmtree(staging, ignore_errors=True)
        archive.unlink(missing_ok=True)  # a damaged archive is no use; the next run downloads it again
        kind = "truncated" if isinstance(exc, EOFError) else "corrupt"
        raise DownloadError(
            f"{archive.name}: archive is {kind} ({exc})", "run the command again to download it afresh"
        ) from None
    except DownloadError:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if files == 0:
        shutil.rmtree(staging, ignore_errors=True)
        raise DownloadError(f"{archive.name}: archive holds no files")
    for entry in sorted(staging.iterdir()):
        target = dest / entry.name
        if target.is_dir() and not target.is_symlink():
            shutil.rmtree(target)  # left by an interrupted earlier move of ours
        elif target.exists() or target.is_symlink():
            target.unlink()
        entry.replace(target)
    shutil.rmtree(staging, ignore_errors=True)
    return files


def _check_member(member: tarfile.TarInfo, archive: Path) -> None:
    """Refuse members that would land outside DEST or are not plain files/folders/inside links."""
    name = member.name
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if name.startswith("/") or (len(name) > 1 and name[1] == ":") or ".." in parts:
        raise DownloadError(f"{archive.name}: unsafe member {name!r} (path leaves the destination)")
    if member.issym() or member.islnk():
        link = member.linkname
        if member.issym():
            target = posixpath.normpath(posixpath.join(posixpath.dirname("/".join(parts)), link))
        else:
            target = posixpath.normpath(link)
        if link.startswith("/") or target == ".." or target.startswith("../"):
            raise DownloadError(
                f"{archive.name}: unsafe link {name!r} -> {link!r} (points outside the destination)"
            )
    elif not (member.isfile() or member.isdir()):
        raise DownloadError(f"{archive.name}: unsupported member {name!r} (device or pipe)")
