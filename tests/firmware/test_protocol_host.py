"""Every line the firmware's C++ encoder writes is parsed by core.board.protocol to the values it was
given; the C++ command parser agrees with the Python one; the line writer drops only stream lines."""

from __future__ import annotations

import base64
import random

import numpy as np
import pytest
from host_build import run_driver

from core.board.protocol import (
    MAX_LINE_BYTES,
    AudioChunk,
    BoardErrorLine,
    Detection,
    FeatureFrame,
    Hello,
    HelloRequest,
    LogLine,
    ParseError,
    Scores,
    SetThreshold,
    StreamSwitch,
    parse_command,
    parse_line,
)

# CommandType values in serial_protocol.h
HELLO, FEATURES, SCORES, AUDIO, THRESHOLD, UNKNOWN = range(6)


def random_requests(rng: random.Random, count: int) -> list[tuple[str, object]]:
    """(driver request, the message the line must parse to, or None when the encoder must refuse)."""
    out: list[tuple[str, object]] = []
    words = ["_silence_", "_unknown_", "stop", "go", "seth", "x"]
    for _ in range(count):
        kind = rng.choice("HDPFAALE")
        ms = rng.choice([0, 1, 4294967295, rng.randrange(2**32)])
        if kind == "H":
            labels = rng.sample(words, rng.randrange(1, len(words) + 1))
            msg = Hello(
                rng.choice(["edgebadge", "nano33ble"]),
                f"{rng.randrange(2**32):08x}",
                tuple(labels),
                16000,
                30,
                20,
                40,
            )
            out.append((f"H {msg.board} {msg.model} {','.join(labels)} 16000 30 20 40", msg))
        elif kind == "D":
            label, score = rng.choice(words), rng.randrange(256)
            out.append((f"D {ms} {label} {score}", Detection(ms, label, score)))
        elif kind == "P":
            scores = tuple(rng.randrange(256) for _ in range(rng.randrange(1, 130)))
            fits = len(f"P {ms} " + " ".join(map(str, scores))) + 1 <= MAX_LINE_BYTES
            out.append((f"P {ms} " + " ".join(map(str, scores)), Scores(ms, scores) if fits else None))
        elif kind == "F":
            data = bytes(rng.randrange(256) for _ in range(rng.choice([1, 2, 3, 40, 49, 80])))
            out.append((f"F {ms} " + " ".join(map(str, data)), FeatureFrame(ms, data)))
        elif kind == "A":
            n = rng.choice([1, 2, 3, 159, 160, 161, 186, 187, 190, 256])
            pcm = np.array([rng.randrange(-32768, 32768) for _ in range(n)], dtype="<i2")
            line_len = len(f"A {ms} ") + len(base64.b64encode(pcm.tobytes())) + 1
            msg = AudioChunk(ms, pcm.tobytes()) if line_len <= MAX_LINE_BYTES else None
            out.append((f"A {ms} " + " ".join(map(str, pcm.tolist())), msg))
        elif kind == "L":
            text = "".join(rng.choice("ab c-=:,.") for _ in range(rng.choice([0, 5, 80, 600])))
            out.append((f"L {text}", LogLine(text[: MAX_LINE_BYTES - 3])))
        else:
            text = "ops mismatch: " + "".join(rng.choice("AB _") for _ in range(rng.choice([3, 700])))
            out.append((f"E model {text}", BoardErrorLine("model", text[: MAX_LINE_BYTES - 9])))
    return out


def test_every_encoded_line_parses_to_its_values(host_build):
    requests = random_requests(random.Random(7), 600)
    requests += [
        ("D 5 two,words 3", None),  # a label with a comma cannot be sent
        ("H edgebadge 3f2a9c1d a,b,c 16000 30 20 40", Hello("edgebadge", "3f2a9c1d", ("a", "b", "c"))),
    ]
    output = run_driver(host_build, "protocol_driver", "\n".join(r for r, _ in requests) + "\n")
    assert len(output) == len(requests)
    refused = parsed = 0
    for (request, expected), line in zip(requests, output, strict=True):
        if expected is None:
            assert line == "FAIL\n", f"{request[:60]!r} should be refused, got {line[:80]!r}"
            refused += 1
            continue
        assert line.endswith("\n") and len(line.encode()) <= MAX_LINE_BYTES, line[:80]
        assert parse_line(line) == expected, f"request {request[:80]!r} gave {line[:120]!r}"
        parsed += 1
    assert refused >= 5 and parsed >= 500


def test_audio_chunk_of_the_firmware_size_fits_with_the_largest_seq(host_build):
    pcm = np.arange(-80, 80, dtype=np.int16) * 409
    line = run_driver(
        host_build, "protocol_driver", "A 4294967295 " + " ".join(map(str, pcm.tolist())) + "\n"
    )[0]
    chunk = parse_line(line)
    assert isinstance(chunk, AudioChunk) and chunk.seq == 4294967295
    assert chunk.samples.tolist() == pcm.tolist()


@pytest.mark.parametrize(
    "command",
    [
        "?",
        "F1",
        "F0",
        "P1",
        "P0",
        "A1",
        "A0",
        "T 0",
        "T 200",
        "T 255",
        "T 0000000255",
        "T 256",
        "T -1",
        "T",
        "T ",
        "T 2x",
        "F2",
        "X1",
        "hello",
        "??",
        "f1",
        "T 99999999999",
        "A1\r",
    ],
)
def test_cpp_command_parser_agrees_with_python(host_build, command):
    line = run_driver(host_build, "protocol_driver", f"C {command}\n")[0].split()
    assert line[0] == "cmd"
    kind, on, threshold = (int(x) for x in line[1:])
    expected = parse_command(command)
    match expected:
        case HelloRequest():
            assert kind == HELLO
        case StreamSwitch():
            assert kind == {"F": FEATURES, "P": SCORES, "A": AUDIO}[expected.stream] and on == expected.on
        case SetThreshold():
            assert (kind, threshold) == (THRESHOLD, expected.value)
        case ParseError():
            assert kind == UNKNOWN


def test_line_writer_keeps_detections_and_drops_stream_lines_when_the_port_is_slow(host_build):
    output = run_driver(host_build, "protocol_driver", "W 24 200\n")
    *lines, summary = output
    messages = [parse_line(line) for line in lines]
    assert not [m for m in messages if isinstance(m, ParseError)], "a line was split or interleaved"
    detections = [m.ms for m in messages if isinstance(m, Detection)]
    scores = [m for m in messages if isinstance(m, Scores)]
    assert detections == list(range(200))  # every reliable line, in order
    dropped = int(summary.split()[1])
    assert dropped == 200 - len(scores) and dropped > 100  # a 24-byte port cannot carry both


def test_line_writer_sends_everything_when_the_port_keeps_up(host_build):
    *lines, summary = run_driver(host_build, "protocol_driver", "W 4096 50\n")
    assert summary == "dropped 0\n"
    assert len(lines) == 100
