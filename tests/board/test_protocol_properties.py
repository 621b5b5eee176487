"""Property-based tests of protocol v1 and the link's decoder (hypothesis): every message the encoders
can write parses back to itself, and arbitrary byte streams, cut anywhere, never raise and lose no byte:
each one ends up in a message, in a skipped line, or in the unfinished line still waiting."""

from __future__ import annotations

import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.board.link import StreamDecoder
from core.board.protocol import (
    MAX_AUDIO_SAMPLES_PER_LINE,
    MAX_LINE_BYTES,
    SKIP_KINDS,
    AudioChunk,
    BoardErrorLine,
    Detection,
    FeatureFrame,
    Hello,
    LogLine,
    ParseError,
    Scores,
    encode_message,
    parse_line,
)

U32 = st.integers(0, 2**32 - 1)
BYTE = st.integers(0, 255)
LABEL = st.text(alphabet=[c for c in string.printable[:94] if c not in " ,"], min_size=1, max_size=12)
TOKEN = st.text(alphabet=string.ascii_letters + string.digits + "_-", min_size=1, max_size=12)

hellos = st.builds(
    Hello,
    board=TOKEN,
    model=st.text(alphabet="0123456789abcdef", min_size=8, max_size=8),
    labels=st.lists(LABEL, min_size=1, max_size=8).map(tuple),
    rate=st.integers(1, 2**32 - 1),
    window_ms=st.integers(1, 1000),
    stride_ms=st.integers(1, 1000),
    bins=st.integers(1, 255),
)
detections = st.builds(Detection, ms=U32, label=LABEL, score=BYTE)
scores = st.builds(Scores, ms=U32, scores=st.lists(BYTE, min_size=1, max_size=60).map(tuple))
features = st.builds(FeatureFrame, ms=U32, data=st.binary(min_size=1, max_size=80))
audio = st.builds(
    AudioChunk,
    seq=U32,
    data=st.integers(1, MAX_AUDIO_SAMPLES_PER_LINE).flatmap(
        lambda n: st.binary(min_size=2 * n, max_size=2 * n)
    ),
)
logs = st.builds(LogLine, text=st.text(alphabet=string.printable[:95], max_size=200))
errors = st.builds(BoardErrorLine, code=TOKEN, text=st.text(alphabet=string.printable[:95], max_size=200))
messages = st.one_of(hellos, detections, scores, features, audio, logs, errors)


@given(messages)
def test_every_encodable_message_parses_back_to_itself(message):
    line = encode_message(message)
    assert line.endswith(b"\n") and len(line) <= MAX_LINE_BYTES
    assert parse_line(line) == message
    assert parse_line(line[:-1] + b"\r\n") == message  # a \r before the \n is ignored


def feed_in_pieces(data: bytes, cuts: list[int]) -> tuple[StreamDecoder, list]:
    decoder = StreamDecoder()
    out = []
    start = 0
    for cut in sorted(c % (len(data) + 1) for c in cuts) + [len(data)]:
        out += decoder.feed(data[start:cut])
        start = max(start, cut)
    return decoder, out


@settings(max_examples=300)
@given(st.binary(max_size=3000), st.lists(st.integers(0, 10_000), max_size=20))
def test_arbitrary_bytes_never_raise_and_every_byte_is_accounted_for(data, cuts):
    decoder, out = feed_in_pieces(data, cuts)
    stats = decoder.stats
    assert stats.bytes_read == len(data)
    assert stats.message_bytes + stats.skipped_bytes + decoder.pending == len(data)
    assert stats.messages == sum(1 for m in out if not hasattr(m, "lost"))
    assert all(not isinstance(m, ParseError) for m in out)


noise_lines = st.binary(max_size=700).map(lambda b: b.replace(b"\n", b"") + b"\n")


@settings(max_examples=200)
@given(
    st.lists(st.one_of(messages.map(encode_message), noise_lines), min_size=1, max_size=30),
    st.lists(st.integers(0, 50_000), max_size=30),
)
def test_valid_lines_survive_any_garbage_between_them_and_any_cutting(lines, cuts):
    data = b"".join(lines)
    decoder, out = feed_in_pieces(data, cuts)
    expected = [m for m in (parse_line(line) for line in lines) if not isinstance(m, ParseError)]
    got = [m for m in out if not hasattr(m, "lost")]  # AudioGap events are the decoder's own
    assert got == expected
    stats = decoder.stats
    assert decoder.pending == 0
    assert stats.message_bytes + stats.skipped_bytes == len(data)
    assert stats.skipped_lines == len(lines) - len(expected)


@pytest.mark.parametrize(
    "line, kind",
    [
        (b"x" * 600 + b"\n", "over-long"),
        (b"D 1 st\xe9p 3\n", "not text"),
        (b"D 1 stop\t3\n", "not text"),
        (b"\n", "empty"),
        (b"Q 1 2\n", "unknown tag"),
        (b"#wakebench v2 board=x\n", "bad hello"),
        (b"#wakebench v1 board=x\n", "bad hello"),
        (b"D 1 stop\n", "field count"),
        (b"F 1 ***\n", "bad base64"),
        (b"D x stop 3\n", "bad number"),
        (b"D 1 stop 300\n", "bad number"),
        (b"D 1  stop 3\n", "bad spacing"),
        (b"A 1 AAAA\n", "malformed"),  # 3 bytes: not whole samples
    ],
)
def test_skipped_lines_are_counted_by_kind(line, kind):
    error = parse_line(line)
    assert isinstance(error, ParseError) and error.kind == kind and kind in SKIP_KINDS
