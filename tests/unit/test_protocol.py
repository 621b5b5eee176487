"""Serial protocol v1: every valid line parses to the right message, everything else is a ParseError with
a reason (never an exception), and encoders write lines the parser reads back."""

from __future__ import annotations

import base64

import numpy as np
import pytest

from core.board.protocol import (
    MAX_AUDIO_SAMPLES_PER_LINE,
    MAX_LINE_BYTES,
    AudioChunk,
    BoardErrorLine,
    Detection,
    FeatureFrame,
    Hello,
    HelloRequest,
    LineBuffer,
    LogLine,
    ParseError,
    Scores,
    SetThreshold,
    StreamSwitch,
    encode_audio,
    encode_command,
    encode_detection,
    encode_error,
    encode_features,
    encode_hello,
    encode_log,
    encode_message,
    encode_scores,
    parse_command,
    parse_line,
)

HELLO = "#wakebench v1 board=edgebadge model=3f2a9c1d labels=_silence_,_unknown_,stop,go rate=16000 window_ms=30 stride_ms=20 bins=40"


def test_hello_line_from_the_spec():
    msg = parse_line(HELLO + "\r\n")
    assert msg == Hello("edgebadge", "3f2a9c1d", ("_silence_", "_unknown_", "stop", "go"), 16000, 30, 20, 40)


def test_hello_ignores_unknown_keys_but_keeps_them():
    msg = parse_line(HELLO + " fw=0.1 arena=9400")
    assert isinstance(msg, Hello)
    assert msg.extra == (("fw", "0.1"), ("arena", "9400"))
    assert parse_line(encode_message(msg)) == msg


@pytest.mark.parametrize(
    "line, reason",
    [
        ("#wakebench v2 board=x", "unsupported protocol version"),
        ("#wakebench", "without a protocol version"),
        (HELLO.replace(" bins=40", ""), "without bins"),
        (HELLO + " board=other", "given twice"),
        (HELLO.replace("rate=16000", "rate=16k"), "rate is not a decimal"),
        (HELLO.replace("bins=40", "bins=0"), "bins must not be 0"),
        (HELLO.replace("stop,go", "stop,,go"), "labels"),
        (HELLO + " junk", "not key=value"),
        ("#other v1", "unknown tag"),
    ],
)
def test_bad_hello_lines(line, reason):
    result = parse_line(line)
    assert isinstance(result, ParseError)
    assert reason in result.reason


@pytest.mark.parametrize(
    "line, message",
    [
        ("D 12310 stop 231", Detection(12310, "stop", 231)),
        ("D 4294967295 go 0\n", Detection(4294967295, "go", 0)),
        ("P 20 1 2 250 3\r\n", Scores(20, (1, 2, 250, 3))),
        ("P 0 255", Scores(0, (255,))),
        ("F 40 " + base64.b64encode(bytes(range(40))).decode(), FeatureFrame(40, bytes(range(40)))),
        ("A 160 AQD//w==", AudioChunk(160, b"\x01\x00\xff\xff")),
        ("L model ok, arena 9400 bytes", LogLine("model ok, arena 9400 bytes")),
        ("L", LogLine("")),
        ("E model ops mismatch: MEAN", BoardErrorLine("model", "ops mismatch: MEAN")),
        ("E cmd", BoardErrorLine("cmd", "")),
    ],
)
def test_valid_board_lines(line, message):
    assert parse_line(line) == message
    assert parse_line(line.encode()) == message


def test_audio_samples_are_little_endian_int16():
    chunk = parse_line("A 0 AQD//w==")
    assert chunk.samples.tolist() == [1, -1]
    assert chunk.sample_count == 2


@pytest.mark.parametrize(
    "line, reason",
    [
        # garbage and unknown tags
        ("", "empty line"),
        ("\r\n", "empty line"),
        ("hello world", "unknown tag"),
        ("X 1 2", "unknown tag"),
        ("d 1 stop 2", "unknown tag"),
        (b"\xff\xfeD 1 stop 2", "not ASCII"),
        ("D 1 st\u00f6p 2", "not ASCII"),
        ("D 1 stop\t2", "control character"),
        (b"D 1 stop 2\x00", "control character"),
        ("D 1 stop 2\nD 3 go 4", "control character"),
        # wrong field counts / separators
        ("D 1 stop", "needs 3 fields"),
        ("D 1 stop 2 3", "needs 3 fields"),
        ("D  1 stop 2", "empty field"),
        ("D 1 stop 2 ", "empty field"),
        ("P 5", "at least one score"),
        ("F 1", "needs 2 fields"),
        ("A 1 AAAA AAAA", "needs 2 fields"),
        ("E", "without an error code"),
        # bad numbers
        ("D -1 stop 2", "not a decimal"),
        ("D +1 stop 2", "not a decimal"),
        ("D 1_000 stop 2", "not a decimal"),
        ("D 0x10 stop 2", "not a decimal"),
        ("D 1 stop 256", "larger than 255"),
        ("D 4294967296 stop 1", "larger than"),
        ("D 99999999999 stop 1", "not a decimal"),
        ("P 1 2 x 4", "score 1 is not a decimal"),
        ("P 1 2 300", "score 1 300 is larger than 255"),
        ("D 1 a,b 2", "bad label"),
        # bad base64
        ("F 1 AAA", "not valid base64"),
        ("F 1 AA=A", "not valid base64"),
        ("F 1 AA*A", "not valid base64"),
        ("F 1 AAB=", "not canonical"),
        ("F 1 ====", "not valid base64"),
        ("A 1 AAAA", "not whole 16-bit samples"),
    ],
)
def test_bad_board_lines_are_parse_errors_with_a_reason(line, reason):
    result = parse_line(line)
    assert isinstance(result, ParseError), result
    assert reason in result.reason
    assert reason in str(result) or result.reason in str(result)


def test_line_length_limit_counts_the_terminator():
    fits = "L " + "x" * (MAX_LINE_BYTES - 3)  # + "\n" = 512 bytes
    assert parse_line(fits + "\n") == LogLine("x" * (MAX_LINE_BYTES - 3))
    assert parse_line(fits) == LogLine("x" * (MAX_LINE_BYTES - 3))
    too_long = parse_line(fits + "x\n")
    assert isinstance(too_long, ParseError) and "513 bytes" in too_long.reason
    assert isinstance(parse_line(fits + "\r\n"), ParseError)  # the \r counts too


def test_parse_error_repr_is_short_for_huge_garbage():
    result = parse_line(b"\x00" * 100_000)
    assert isinstance(result, ParseError)
    assert len(str(result)) < 200


def test_encoders_round_trip_through_the_parser():
    rng = np.random.default_rng(0)
    frame = rng.integers(0, 256, 40, dtype=np.uint8)
    pcm = rng.integers(-32768, 32768, MAX_AUDIO_SAMPLES_PER_LINE, dtype=np.int16)
    assert parse_line(encode_detection(4294967295, "stop", 255)) == Detection(4294967295, "stop", 255)
    assert parse_line(encode_scores(7, [0, 255, 3])) == Scores(7, (0, 255, 3))
    assert parse_line(encode_features(9, frame)).values.tolist() == frame.tolist()
    chunk = parse_line(encode_audio(4294967295, pcm))
    assert chunk.seq == 4294967295 and chunk.samples.tolist() == pcm.tolist()
    assert len(encode_audio(4294967295, pcm)) <= MAX_LINE_BYTES
    assert parse_line(encode_hello("nano33ble", "00000000", ["_silence_", "_unknown_", "yes"])) == Hello(
        "nano33ble", "00000000", ("_silence_", "_unknown_", "yes")
    )
    for message in (LogLine("x" * 600), BoardErrorLine("model", "input \u00e9 bad\nline")):
        line = encode_message(message)
        assert len(line) <= MAX_LINE_BYTES and line.endswith(b"\n") and line.count(b"\n") == 1
        assert isinstance(parse_line(line), type(message))
    assert parse_line(encode_error("model", "bad\ttab")) == BoardErrorLine("model", "bad?tab")
    assert parse_line(encode_log("")) == LogLine("")


@pytest.mark.parametrize(
    "call",
    [
        lambda: encode_detection(1, "two words", 3),
        lambda: encode_detection(1, "stop", 256),
        lambda: encode_detection(-1, "stop", 1),
        lambda: encode_scores(1, []),
        lambda: encode_audio(0, np.zeros(MAX_AUDIO_SAMPLES_PER_LINE + 1, np.int16)),
        lambda: encode_audio(0, b"\x00"),
        lambda: encode_features(0, b""),
        lambda: encode_scores(0, [255] * 200),
        lambda: encode_hello("edge badge", "x", ["a"]),
        lambda: encode_error("two words", "x"),
    ],
)
def test_encoders_refuse_what_would_not_parse(call):
    with pytest.raises(ValueError):
        call()


@pytest.mark.parametrize(
    "line, command",
    [
        ("?", HelloRequest()),
        ("?\r\n", HelloRequest()),
        ("F1\n", StreamSwitch("F", True)),
        ("F0", StreamSwitch("F", False)),
        ("P1", StreamSwitch("P", True)),
        ("A0", StreamSwitch("A", False)),
        ("T 0", SetThreshold(0)),
        ("T 255", SetThreshold(255)),
    ],
)
def test_host_commands_round_trip(line, command):
    assert parse_command(line) == command
    assert parse_command(encode_command(command)) == command


@pytest.mark.parametrize(
    "line, reason",
    [
        ("F2", "unknown command"),
        ("T", "unknown command"),
        ("T 256", "larger than 255"),
        ("T -1", "not a decimal"),
        ("hello", "unknown command"),
        ("", "empty line"),
    ],
)
def test_bad_host_commands(line, reason):
    result = parse_command(line)
    assert isinstance(result, ParseError) and reason in result.reason


def test_line_buffer_joins_partial_lines_and_skips_over_long_ones():
    buffer = LineBuffer()
    assert buffer.feed(b"D 1 st") == []
    assert buffer.pending == 6
    assert buffer.feed(b"op 2\r\nD 3 go") == [b"D 1 stop 2\r\n"]
    out = buffer.feed(b" 4\n" + b"x" * 300)
    assert out == [b"D 3 go 4\n"]
    assert buffer.feed(b"y" * 300) == []  # over-long: dropped while it streams in, not buffered
    assert buffer.pending == 600
    out = buffer.feed(b"z\nL ok\n")
    assert isinstance(out[0], ParseError) and "602 bytes" in out[0].reason
    assert out[1:] == [b"L ok\n"]
    assert [parse_line(line) for line in out[1:]] == [LogLine("ok")]


def test_line_buffer_clear_drops_a_half_line_after_reconnect():
    buffer = LineBuffer()
    buffer.feed(b"D 1 st")
    buffer.clear()
    assert buffer.feed(b"L back\n") == [b"L back\n"]


def test_feature_bytes_are_the_model_input_plus_128():
    from core.board.protocol import feature_bytes
    from core.features.quantize import quantize_input

    frames = np.array([[0, 100, 670, 65535]], dtype=np.uint16)
    got = feature_bytes(frames, 0.1019608, -128)
    assert got.dtype == np.uint8
    assert got.tolist() == (quantize_input(frames, 0.1019608, -128).astype(int) + 128).tolist()
    assert got[0, 0] == 0 and got[0, 3] == 255
