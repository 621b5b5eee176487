"""The published Speech Commands archives, in a module of their own so that the command line can list
the versions without importing the downloader (urllib, http.client)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class KnownArchive:
    """A published Speech Commands archive; size and sha256 are None when not published."""

    version: str
    url: str
    size: int | None
    sha256: str | None


_BASE = "https://storage.googleapis.com/download.tensorflow.org/data"
# Sizes and SHA-256 of v0.02 are the ones TensorFlow Datasets publishes for these files
# (tensorflow_datasets/url_checksums/speech_commands.txt). No checksum for v0.01 could be verified
# offline, so it is None: the gzip CRC and a full tar read are still checked.
KNOWN_ARCHIVES: dict[str, KnownArchive] = {
    "0.02": KnownArchive(
        "0.02",
        f"{_BASE}/speech_commands_v0.02.tar.gz",
        2428923189,
        "af14739ee7dc311471de98f5f9d2c9191b18aedfe957f4a6ff791c709868ff58",
    ),
    "0.02-test": KnownArchive(
        "0.02-test",
        f"{_BASE}/speech_commands_test_set_v0.02.tar.gz",
        112563277,
        "cc2a00c1147c2254e9be3fa0f779d8c17421dc349b86366567a8edfa9acd51df",
    ),
    "0.01": KnownArchive("0.01", f"{_BASE}/speech_commands_v0.01.tar.gz", None, None),
}
