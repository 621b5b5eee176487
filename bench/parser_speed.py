"""Throughput of the host's protocol decoder (target >= 5 MB/s): `StreamDecoder.feed` - the link's line
framing, `parse_line`, skip counting and the audio `seq` check, i.e. everything the reader thread does
with the bytes - on a realistic mix of lines.

The mix is what a board sends with every stream on: per 10 ms one `A` line of 160 samples, per 20 ms one
`F` frame of 40 bins, a `P` line every 140 ms (the default inference cadence), now and then a `D` and an
`L` line, and 1 % garbage lines. It is fed in 4 KB reads, as the reader thread gets them from a port.
A board streaming all of that sends about 50 KB/s, so the figure is also how many such boards one core
keeps up with.

Usage: python bench/parser_speed.py [--seconds 60] [--repeat 5]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.board.link import StreamDecoder  # noqa: E402
from core.board.protocol import (  # noqa: E402
    encode_audio,
    encode_detection,
    encode_features,
    encode_hello,
    encode_log,
    encode_scores,
)


def board_stream(seconds: float, seed: int = 0) -> tuple[bytes, dict[str, int]]:
    """`seconds` of a board's output with every stream on, and how many lines of each kind it holds."""
    rng = np.random.default_rng(seed)
    labels = ["_silence_", "_unknown_", "stop", "go"]
    lines = [encode_hello("edgebadge", "3f2a9c1d", labels)]
    counts = {"A": 0, "F": 0, "P": 0, "D": 0, "L": 0, "garbage": 0}
    for tick in range(int(seconds * 100)):  # 10 ms ticks
        ms = tick * 10
        pcm = (rng.normal(0, 3000, 160)).clip(-32768, 32767).astype(np.int16)
        lines.append(encode_audio(tick * 160, pcm))
        counts["A"] += 1
        if tick % 2 == 0:
            lines.append(encode_features(ms, rng.integers(0, 256, 40, dtype=np.uint8)))
            counts["F"] += 1
        if tick % 14 == 0:
            lines.append(encode_scores(ms, rng.integers(0, 256, len(labels))))
            counts["P"] += 1
        if tick % 300 == 0:
            lines.append(encode_detection(ms, "stop", 230))
            lines.append(encode_log(f"threshold {200 + tick % 50}"))
            counts["D"] += 1
            counts["L"] += 1
        if rng.random() < 0.01:
            lines.append(bytes(rng.integers(32, 127, int(rng.integers(1, 80)), dtype=np.uint8)) + b"\n")
            counts["garbage"] += 1
    return b"".join(lines), counts


def measure(data: bytes, read_size: int = 4096) -> tuple[float, StreamDecoder]:
    decoder = StreamDecoder()
    started = time.perf_counter()
    for i in range(0, len(data), read_size):
        decoder.feed(data[i : i + read_size])
    return time.perf_counter() - started, decoder


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="seconds of board output to decode")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs (the best is reported)")
    args = parser.parse_args()

    data, counts = board_stream(args.seconds)
    lines = sum(counts.values())
    print(
        f"stream: {args.seconds:g} s of board output, {len(data) / 1e6:.2f} MB, {lines} lines "
        f"({', '.join(f'{k} {v}' for k, v in counts.items())}), {len(data) / lines:.0f} B/line on average"
    )
    times = []
    for _ in range(args.repeat):
        seconds, decoder = measure(data)
        times.append(seconds)
    best = min(times)
    stats = decoder.stats
    assert stats.bytes_read == len(data) and stats.skipped_lines == counts["garbage"], stats
    print(f"decoded {stats.messages} messages, skipped {stats.skipped_lines} garbage lines ({stats.skipped})")
    print(
        f"parser throughput: {len(data) / best / 1e6:.1f} MB/s best of {args.repeat} "
        f"(median {len(data) / sorted(times)[len(times) // 2] / 1e6:.1f} MB/s), "
        f"{lines / best:,.0f} lines/s; target >= 5 MB/s"
    )
    print(
        f"real time: one core decodes {args.seconds / best:,.0f}x a board's full output rate "
        f"({len(data) / args.seconds / 1e3:.1f} KB/s)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
