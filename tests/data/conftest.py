"""Fixtures of the data tests: a local HTTP server that serves archives the tests build."""

from __future__ import annotations

import io
import tarfile
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


@dataclass
class ArchiveServer:
    """Serves `files` (path -> bytes) on 127.0.0.1; records each request's path and Range header."""

    base_url: str = ""
    files: dict[str, bytes] = field(default_factory=dict)
    requests: list[tuple[str, str | None]] = field(default_factory=list)
    honour_range: bool = True
    drop_after: dict[str, list[int]] = field(
        default_factory=dict
    )  # path -> bytes sent before hanging up, per request
    pause: float = 0.0  # seconds between 4 KB pieces of a body (a slow link)

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"


def _handler(state: ArchiveServer):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_args):  # keep pytest output clean
            pass

        def do_GET(self):
            state.requests.append((self.path, self.headers.get("Range")))
            data = state.files.get(self.path)
            if data is None:
                self.send_error(404, "Not Found")
                return
            start = 0
            wanted = self.headers.get("Range")
            if wanted and state.honour_range:
                start = int(wanted.split("=")[1].split("-")[0])
                if start >= len(data):
                    self.send_response(416)
                    self.send_header("Content-Range", f"bytes */{len(data)}")
                    self.end_headers()
                    return
                self.send_response(206)
                self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
            else:
                self.send_response(200)
            body = data[start:]
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            drops = state.drop_after.get(self.path)
            if drops:
                self.wfile.write(body[: drops.pop(0)])  # then close: the client sees a short read
                return
            if not state.pause:
                self.wfile.write(body)
                return
            for start in range(0, len(body), 4096):
                try:
                    self.wfile.write(body[start : start + 4096])
                    self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    return  # the client went away
                time.sleep(state.pause)

    return Handler


@pytest.fixture()
def archive_server():
    state = ArchiveServer()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    state.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


def make_tar_gz(files: dict[str, bytes], links: list[tuple[str, str, bytes]] = ()) -> bytes:
    """A .tar.gz of `files` (name -> content) plus `links` (name, target, tarfile type)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, content in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
        for name, target, kind in links:
            info = tarfile.TarInfo(name)
            info.type = kind
            info.linkname = target
            tar.addfile(info)
    return buffer.getvalue()
