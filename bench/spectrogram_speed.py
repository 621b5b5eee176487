"""Can the spectrogram pane keep up with 50 feature frames per second, using at most 30 % of one core?

Runs the Spectrogram pane headless at 160x48 and feeds it one 40-channel frame every 20 ms of wall time
for a few seconds, exactly as a live source does (frame, scores, level), while Textual repaints at its own
rate. It prints:
- the process CPU time per second of wall time while streaming (all of Textual's work included), minus
  the idle baseline of the same app, as a percentage of one core;
- the CPU time of pushing one frame and re-rendering every line of the spectrogram (the widget's own cost).

Usage: python bench/spectrogram_speed.py [seconds]
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from textual.app import App, ComposeResult  # noqa: E402

from tui.widgets.spectrogram import ShownDetection, Spectrogram, SpectrogramPane  # noqa: E402

FRAME_RATE = 50
LABELS = ["_silence_", "_unknown_", "stop", "go"]


def make_frames(n: int, channels: int = 40) -> np.ndarray:
    """Deterministic, speech-like frames: moving formant bands over noise."""
    rng = np.random.default_rng(0)
    t = np.arange(n)[:, None]
    ch = np.arange(channels)[None, :]
    bands = 500 * np.exp(-(((ch - 10 - 6 * np.sin(t / 15)) / 3) ** 2)) + 300 * np.exp(
        -(((ch - 28) / 4) ** 2)
    ) * (t % 50 < 25)
    return np.clip(bands + rng.uniform(0, 150, (n, channels)), 0, 1000).astype(np.uint16)


class BenchApp(App[None]):
    CSS_PATH = str(Path(__file__).resolve().parents[1] / "tui" / "app.tcss")

    def compose(self) -> ComposeResult:
        yield SpectrogramPane(classes="pane")


async def measure(seconds: float) -> None:
    frames = make_frames(int(seconds * FRAME_RATE) + 10)
    app = BenchApp()
    async with app.run_test(size=(160, 48)) as pilot:
        pane = app.query_one(SpectrogramPane)
        pane.set_labels(LABELS)
        await pilot.pause()

        # Idle baseline: the same app doing nothing for one second.
        cpu0, wall0 = time.process_time(), time.perf_counter()
        await asyncio.sleep(1.0)
        idle = (time.process_time() - cpu0) / (time.perf_counter() - wall0)

        # Streaming: one frame every 20 ms (scores and level with every frame, a detection now and then).
        cpu0, wall0 = time.process_time(), time.perf_counter()
        start = wall0
        for i, frame in enumerate(frames[: int(seconds * FRAME_RATE)]):
            pane.push_frames(frame)
            pane.show_scores([40, 20, (i * 7) % 256, (i * 3) % 256])
            pane.show_level(-20.0 - (i % 30))
            if i % 100 == 99:
                pane.add_detection(ShownDetection(i / FRAME_RATE, "stop", 230))
            due = start + (i + 1) / FRAME_RATE
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
        await pilot.pause()
        wall = time.perf_counter() - wall0
        busy = (time.process_time() - cpu0) / wall
        behind = wall - seconds

        # The widget's own cost: push a frame and render every line, many times.
        spectrogram = app.query_one(Spectrogram)
        width, height = spectrogram.size
        n = 2000
        t0 = time.process_time()
        for frame in frames[:n] if len(frames) >= n else np.resize(frames, (n, 40)):
            spectrogram.push_frames(frame)
            for y in range(height):
                spectrogram.render_line(y)
        per_frame = (time.process_time() - t0) / n

    print(
        f"spectrogram {width}x{height} cells ({2 * height} pixel rows for 40 channels), {FRAME_RATE} frames/s for {seconds:.0f} s"
    )
    print(f"  whole app while streaming: {busy * 100:.1f} % of one core (idle baseline {idle * 100:.1f} %)")
    print(f"  streaming cost over idle:  {(busy - idle) * 100:.1f} % of one core (target <= 30 %)")
    print(f"  fell behind real time by:  {max(0.0, behind) * 1000:.0f} ms")
    print(
        f"  push + full render of one frame: {per_frame * 1e3:.3f} ms CPU = {per_frame * FRAME_RATE * 100:.1f} % of one core at {FRAME_RATE}/s"
    )


if __name__ == "__main__":
    asyncio.run(measure(float(sys.argv[1]) if len(sys.argv) > 1 else 5.0))
