"""The Spectrogram pane: a scrolling 40-channel colour spectrogram, level meter, class scores and detections.

The pane draws frames of frontend features (uint16, one row of `channels` per 20 ms), audio levels, score
vectors and detections. Where they come from (microphone, WAV file, board) is chosen with the source switch
(the app decides what a choice means); `play` runs the source through `core` in the pane's stream job
(`tui.stream`) and draws what it sends back.

numpy is imported by the first frame that has something to draw, not by the app's first paint (an empty
spectrogram is one colour).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from rich.color import Color
from rich.segment import Segment
from rich.style import Style
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import RadioButton, RadioSet, Static

from core.config import FeatureSettings, is_keyword
from core.events import CancelToken
from tui.jobs import JobEnded, JobKind, Reporter

if TYPE_CHECKING:
    import numpy as np

    from tui.stream import StreamBatch

# Frontend output (uint16 after log + PCAN, scale_shift 6) stays below ~670; the model sees value * 10/256,
# i.e. 0..~26 (TF speech_commands "micro" preprocessing). A fixed scale keeps colours comparable over time.
FULL_SCALE = 672
LEVELS = 32
HALF_BLOCK = "▀"  # foreground paints the upper pixel, background the lower one

# An "inferno"-like ramp: dark for silence, bright for energy.
_RAMP = [
    (0, 0, 4),
    (40, 11, 84),
    (101, 21, 110),
    (159, 42, 99),
    (212, 72, 66),
    (245, 125, 21),
    (250, 193, 39),
    (252, 255, 164),
]


def _ramp_colours(n: int) -> list[Color]:
    """`n` colours evenly along the ramp, linearly interpolated between its anchors."""
    step = (len(_RAMP) - 1) / (n - 1)
    out = []
    for k in range(n):
        p = k * step
        i = min(int(p), len(_RAMP) - 2)
        t = p - i
        r, g, b = (a * (1 - t) + z * t for a, z in zip(_RAMP[i], _RAMP[i + 1], strict=True))
        out.append(Color.from_rgb(round(r), round(g), round(b)))
    return out


@cache
def _pair_styles() -> list[Style]:
    """One style per (upper, lower) pixel pair, indexed by upper * LEVELS + lower."""
    colours = _ramp_colours(LEVELS)
    return [Style(color=colours[u], bgcolor=colours[b]) for u in range(LEVELS) for b in range(LEVELS)]


@cache
def _silence_style() -> Style:
    """The style of an all-silent cell pair (the first of `_pair_styles`), without making the other 1023."""
    darkest = _ramp_colours(LEVELS)[0]
    return Style(color=darkest, bgcolor=darkest)


def feature_levels(frames: np.ndarray) -> np.ndarray:
    """uint16 frontend frames -> colour levels 0..LEVELS-1 (uint8)."""
    import numpy as np

    scaled = np.asarray(frames, dtype=np.uint32) * LEVELS // FULL_SCALE
    return np.minimum(scaled, LEVELS - 1).astype(np.uint8)


class Spectrogram(Widget):
    """Feature frames scrolling right to left; low frequencies at the bottom, two channels per text row.

    Each terminal cell is an upper half block whose foreground and background colours are two pixels, so
    40 channels fit in 20 rows. A shorter widget folds neighbouring channels (keeping the loudest)."""

    DEFAULT_CSS = """
    Spectrogram {
        height: 20;
        width: 1fr;
    }
    """

    MAX_FPS = 25
    """Repaints per second at most: frames arrive at 50/s and are all drawn, two columns per repaint."""

    def __init__(self, channels: int = 40, history: int = 512, **kwargs) -> None:
        super().__init__(**kwargs)
        self.channels = channels
        self.history = history
        self._repaint_pending = False
        self._levels_buffer: np.ndarray | None = None
        self.frames_seen = 0
        self._pixels: np.ndarray | None = None  # [rows*2, width] levels for the current size, top row first
        self._pixels_key: tuple[int, int, int] | None = None

    @property
    def _levels(self) -> np.ndarray:
        """[history, channels] colour levels, oldest first (made by the first frame pushed)."""
        if self._levels_buffer is None:
            import numpy as np

            self._levels_buffer = np.zeros((self.history, self.channels), np.uint8)
        return self._levels_buffer

    def push_frames(self, frames: np.ndarray) -> None:
        """Append feature frames (`[n, channels]` or one `[channels]` row, uint16) at the right edge."""
        import numpy as np

        levels = feature_levels(np.atleast_2d(frames))
        n = min(len(levels), len(self._levels))
        if n == 0:
            return
        self._levels[:-n] = self._levels[n:]
        self._levels[-n:] = levels[-n:]
        self.frames_seen += len(levels)
        self._schedule_repaint()

    def _schedule_repaint(self) -> None:
        # Frames come faster than a terminal is worth repainting; coalesce them into at most MAX_FPS paints.
        if not self._repaint_pending:
            self._repaint_pending = True
            self.set_timer(1 / self.MAX_FPS, self._repaint)

    def _repaint(self) -> None:
        self._repaint_pending = False
        self.refresh()

    def clear(self) -> None:
        if self._levels_buffer is not None:
            self._levels_buffer[:] = 0
        self.frames_seen = 0
        self.refresh()

    def _pixel_grid(self, width: int, height: int) -> np.ndarray:
        import numpy as np

        key = (self.frames_seen, width, height)
        if self._pixels_key == key and self._pixels is not None:
            return self._pixels
        rows = 2 * height
        history = len(self._levels)
        cols = (
            self._levels[-width:]
            if width <= history
            else np.vstack([np.zeros((width - history, self.channels), np.uint8), self._levels])
        )
        # Band b of `rows` covers channels [edges[b], edges[b+1]); reduceat keeps the loudest of each band.
        edges = (np.arange(rows) * self.channels) // rows
        bands = np.maximum.reduceat(cols, edges, axis=1)  # [width, rows], low frequency first
        self._pixels = np.ascontiguousarray(bands[:, ::-1].T)  # [rows, width], high frequency on top
        self._pixels_key = key
        return self._pixels

    def render_line(self, y: int) -> Strip:
        width, height = self.size
        if width <= 0 or height <= 0 or y >= height:
            return Strip.blank(width)
        if self.frames_seen == 0:  # all silence: one run of the darkest colour
            return Strip([Segment(HALF_BLOCK * width, _silence_style())], width)
        import numpy as np

        pixels = self._pixel_grid(width, height)
        codes = pixels[2 * y].astype(np.int32) * LEVELS + pixels[2 * y + 1]
        # One segment per run of identical cells keeps the strip short.
        starts = np.flatnonzero(np.diff(codes)) + 1
        bounds = [0, *starts.tolist(), width]
        code_list = codes.tolist()
        styles = _pair_styles()
        segments = [
            Segment(HALF_BLOCK * (end - start), styles[code_list[start]])
            for start, end in zip(bounds, bounds[1:], strict=False)
        ]
        return Strip(segments, width)


def _bar(fraction: float, width: int) -> str:
    """A horizontal bar of eighth blocks, `width` cells wide."""
    eighths = round(max(0.0, min(1.0, fraction)) * width * 8)
    full, rest = divmod(eighths, 8)
    return ("█" * full + (" ▏▎▍▌▋▊▉"[rest] if rest else "")).ljust(width, "·")


class LevelMeter(Static):
    """Input level in dBFS, -60..0."""

    def show_level(self, dbfs: float | None) -> None:
        if dbfs is None:
            self.update(Content.from_markup("level [dim]—[/]"))
            return
        fraction = (max(-60.0, min(0.0, dbfs)) + 60.0) / 60.0
        style = "$error" if dbfs > -3 else "$warning" if dbfs > -12 else "$success"
        self.update(
            Content.from_markup(f"level [{style}]{_bar(fraction, 20)}[/] {dbfs:5.1f} dBFS"), layout=False
        )


@dataclass(frozen=True)
class ShownDetection:
    """A detection as the pane shows it."""

    time_s: float
    label: str
    score: int


class ScoreBars(Static):
    """Each label's latest score (0-255) as a small bar, the keyword labels first."""

    def show_scores(self, labels: Sequence[str], scores: Sequence[int] | None) -> None:
        if not labels:
            self.update(
                Content.from_markup("[dim]scores appear while a source plays through an exported run[/]")
            )
            return
        parts = []
        order = [i for i, label in enumerate(labels) if is_keyword(label)] + [
            i for i, label in enumerate(labels) if not is_keyword(label)
        ]
        for i in order:
            score = int(scores[i]) if scores is not None and i < len(scores) else 0
            name = labels[i].strip("_")[:7]
            parts.append(f"{name} [$accent]{_bar(score / 255, 4)}[/]{score:3d}")
        self.update(Content.from_markup(" ".join(parts)), layout=False)


class DetectionList(Static):
    """The latest detections, newest first."""

    def __init__(self, keep: int = 6, **kwargs) -> None:
        super().__init__(**kwargs)
        self._shown: deque[ShownDetection] = deque(maxlen=keep)

    def add(self, detection: ShownDetection) -> None:
        self._shown.appendleft(detection)
        self._redraw()

    def clear(self) -> None:
        self._shown.clear()
        self._redraw()

    def on_mount(self) -> None:
        self._redraw()

    def _redraw(self) -> None:
        if not self._shown:
            self.update(Content.from_markup("[dim]detections: none yet[/]"))
            return
        first, *rest = self._shown
        text = f"[b $success]▶ {first.label} ({first.score})[/] at {first.time_s:.2f}s"
        if rest:
            text += "  [dim]" + "  ".join(f"{d.label} {d.time_s:.2f}s" for d in rest) + "[/]"
        self.update(Content.from_markup(text))


SOURCES = ("mic", "file", "board")
SOURCE_TITLES = {"mic": "mic", "file": "file", "board": "board"}


class SpectrogramPane(Vertical):
    """Spectrogram, level, scores and detections of the chosen source."""

    class SourceChosen(Message):
        """The user picked a source in the switch."""

        def __init__(self, source: str) -> None:
            super().__init__()
            self.source = source

    class StreamUpdate(Message):
        """A batch of what live stream number `stream_id` produced (posted by the stream job's thread)."""

        def __init__(self, stream_id: int, batch: StreamBatch, labels: list[str]) -> None:
            super().__init__()
            self.stream_id = stream_id
            self.batch = batch
            self.labels = labels

    class StreamEnded(JobEnded[int]):
        """A stream ended (`result`: the frames it produced)."""

        kind = JobKind.STREAM

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.border_title = "Spectrogram"
        self.labels: list[str] = []
        self.status = ""
        self.playing = ""
        """The kind of source of the latest stream ("mic", "file" or "board"), "" before the first."""
        self._stream_id = 0
        self._stride_s = 0.0

    def compose(self) -> ComposeResult:
        with Horizontal(id="spectro-top"):
            with RadioSet(id="source-switch"):
                for source in SOURCES:
                    yield RadioButton(SOURCE_TITLES[source], id=f"source-{source}", value=source == "file")
            yield Static("", id="source-status")
        yield Spectrogram(id="spectro-view")
        with Horizontal(id="spectro-bottom"):
            yield LevelMeter(id="level")
        yield ScoreBars(id="scores")
        yield DetectionList(id="detections")

    def on_mount(self) -> None:
        self.query_one(LevelMeter).show_level(None)
        self.query_one(ScoreBars).show_scores(self.labels, None)

    @property
    def source(self) -> str:
        pressed = self.query_one(RadioSet).pressed_button
        return pressed.id.removeprefix("source-") if pressed and pressed.id else "file"

    def select_source(self, source: str) -> None:
        """Tick `source` in the switch without announcing it (the app already knows)."""
        button = self.query_one(f"#source-{source}", RadioButton)
        with button.prevent(RadioButton.Changed, RadioSet.Changed):
            button.value = True

    def on_radio_set_changed(self, event: RadioSet.Changed) -> None:
        event.stop()
        if event.pressed.id:
            self.post_message(self.SourceChosen(event.pressed.id.removeprefix("source-")))

    def set_status(self, markup: str) -> None:
        self.status = markup
        self.query_one("#source-status", Static).update(Content.from_markup(markup))

    def set_labels(self, labels: Sequence[str]) -> None:
        self.labels = list(labels)
        self.query_one(ScoreBars).show_scores(self.labels, None)

    def start(self) -> None:
        """A new stream begins: clear the picture and the detections."""
        self.query_one(Spectrogram).clear()
        self.query_one(DetectionList).clear()
        self.query_one(ScoreBars).show_scores(self.labels, None)
        self.query_one(LevelMeter).show_level(None)

    def push_frames(self, frames: np.ndarray) -> None:
        self.query_one(Spectrogram).push_frames(frames)

    def show_level(self, dbfs: float | None) -> None:
        self.query_one(LevelMeter).show_level(dbfs)

    def show_scores(self, scores: Sequence[int]) -> None:
        self.query_one(ScoreBars).show_scores(self.labels, scores)

    def add_detection(self, detection: ShownDetection) -> None:
        self.query_one(DetectionList).add(detection)

    # ---- the stream job ------------------------------------------------------------------------------

    def play(
        self,
        kind: str,
        path: Path | None,
        run_dir: Path | None,
        features: FeatureSettings,
        realtime: bool = True,
    ) -> None:
        """Stream the microphone (`kind` "mic") or the WAV file at `path` ("file"), replacing any stream;
        through the run in `run_dir` when it has an exported model. `realtime`: files at their own speed."""
        self._stream_id += 1
        stream_id = self._stream_id
        self.playing = kind
        self._stride_s = features.stride_ms / 1000
        self.start()
        self.set_labels([])
        what = "microphone" if path is None else path.name
        model = f" · model {run_dir.name}" if run_dir else " · [dim]no model[/]"
        self.set_status(f"{what}{model}")

        def work(on_event: Reporter, cancel: CancelToken) -> int:
            from core.audio.mic import MicSource
            from core.audio.sources import FileSource
            from tui.stream import stream_batches

            source = MicSource() if kind == "mic" else FileSource(path, realtime=realtime, chunk_ms=40)
            labels: list[str] = []
            frames = 0
            for batch in stream_batches(source, run_dir, features, cancel, labels):
                frames += len(batch.frames)
                self.post_message(self.StreamUpdate(stream_id, batch, list(labels)))
            return frames

        self.app.jobs.start(JobKind.STREAM, work, owner=self, replace=True)

    def stop(self) -> None:
        self.app.jobs.cancel(JobKind.STREAM, quiet=True)

    # ---- the board source ----------------------------------------------------------------------------

    def play_board(self, device: str, labels: Sequence[str]) -> None:
        """Draw what the connected board sends (its feature frames, raw scores and detections) from now
        on, instead of a PC stream."""
        self.stop()
        self._stream_id += 1  # batches of the PC stream still in flight are dropped
        self.playing = "board"
        self.start()
        self.set_labels(labels)
        self.set_status(f"board {device} · [dim]its own features, model and recognizer[/]")

    def show_board(self, items: Sequence[object], input_scale: float, input_zero_point: int) -> None:
        """One batch of the board's messages, drawn exactly as a PC stream's (see `play_board`)."""
        import numpy as np  # lazy: the first frame draws without numpy

        from core.board import protocol as pr

        frames = [
            pr.feature_values(i.data, input_scale, input_zero_point)
            for i in items
            if isinstance(i, pr.FeatureFrame)
        ]
        if frames:
            self.push_frames(np.array(frames, dtype=np.uint16))
        scores = [i for i in items if isinstance(i, pr.Scores)]
        if scores and len(scores[-1].scores) == len(self.labels):
            self.show_scores(list(scores[-1].scores))
        audio = [i for i in items if isinstance(i, pr.AudioChunk)]
        if audio:
            samples = audio[-1].samples.astype(np.float64)
            rms = float(np.sqrt(np.mean(samples**2))) if len(samples) else 0.0
            self.show_level(20 * np.log10(max(rms, 1.0) / 32768.0))
        for item in items:
            if isinstance(item, pr.Hello) and list(item.labels) != self.labels:
                self.set_labels(item.labels)
            elif isinstance(item, pr.Detection):
                self.add_detection(ShownDetection(item.ms / 1000, item.label, item.score))

    @on(StreamUpdate)
    def _stream_update(self, message: StreamUpdate) -> None:
        if message.stream_id != self._stream_id:
            return  # a batch from a stream that was replaced
        batch = message.batch
        if message.labels and self.labels != message.labels:
            self.set_labels(message.labels)
        if len(batch.frames):
            self.push_frames(batch.frames)
        self.show_level(batch.level_dbfs)
        if batch.scores is not None:
            self.show_scores([int(s) for s in batch.scores])
        for detection in batch.detections:
            self.add_detection(detection)

    @on(StreamEnded)
    def _stream_ended(self, message: StreamEnded) -> None:
        if self.app.jobs.busy(JobKind.STREAM) or self.playing == "board":
            return  # replaced by a newer stream (or the board), which now owns the status line
        if message.ok and message.result is not None:
            self.set_status(f"{self.status} · [dim]ended at {message.result * self._stride_s:.1f} s[/]")
        else:
            self.set_status(f"{self.status} · [$error]stopped[/]")
