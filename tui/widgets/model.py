"""The Model pane: the picked run's int8 model against the seed and the board, its accuracy and confusion
matrix, its streaming metrics (false rejects at the calibrated false-accepts per hour) with the
FRR-vs-FA/h curve of the calibration and the chosen point, and the history of runs to compare and pick
from. The curve is a plotext plot, imported in a thread and mounted only for a calibrated run (plotext
takes a few tenths of a second to import)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.markup import escape
from textual.message import Message
from textual.widgets import Button, DataTable, Static

from core.events import CancelToken
from core.model.calibration_check import missed_warning
from tui.jobs import JobEnded, JobEvent, JobKind, Reporter, show_progress, start_resource_tracker

if TYPE_CHECKING:
    from core.board.profiles import MemoryBudget
    from core.loop import LoopResult
    from core.model.runs import ExportReport

SEED_MODEL_BYTES = 18_288
"""Size of the seed's int8 micro_speech model (tiny_conv, yes/no), the size to beat."""


@dataclass(frozen=True)
class ModelView:
    """One exported run as the pane shows it (built by the app from the run's report)."""

    run_id: str
    labels: list[str]
    size_bytes: int | None = None
    arena_bytes: int | None = None
    """Tensor arena the model needs, measured in TFLM."""
    arena_allocated: int | None = None
    """Arena the firmware reserves (measured plus a margin)."""
    ops: list[str] = field(default_factory=list)
    float_accuracy: float | None = None
    int8_accuracy: float | None = None
    confusion: list[list[int]] | None = None
    """Rows: true label, columns: predicted label, in `labels` order (int8 model on the test set)."""
    model_sha8: str = ""
    calibration: CalibrationView | None = None
    """The streaming calibration export made (None: not calibrated)."""


@dataclass(frozen=True)
class CalibrationView:
    """The recognizer setting export chose and the FRR-vs-FA/h curve at its averaging window."""

    window_ms: int
    threshold: int
    frr: float | None
    fa_per_hour: float | None
    target_fa_per_hour: float
    met: bool
    negative_hours: float
    curve: list[tuple[int, float, float]] = field(default_factory=list)
    """(threshold, FRR, FA/h) points, thresholds ascending."""


def calibration_text(c: CalibrationView) -> str:
    """Two lines: the streaming figures at the chosen setting and what was chosen."""
    frr = "—" if c.frr is None else f"{c.frr * 100:.1f} %"
    fa = "—" if c.fa_per_hour is None else f"{c.fa_per_hour:.2f}"
    met = "[$success]target met[/]" if c.met else "[$warning]target NOT met[/]"
    text = (
        f"stream FRR {frr} at {fa} FA/h ({c.negative_hours:.2f} h)\n"
        f"window {c.window_ms} ms · threshold {c.threshold} · ≤ {c.target_fa_per_hour:g}/h {met}"
    )
    warning = missed_warning(c.frr)
    return f"{text}\n[$warning]{escape(warning)}[/]" if warning else text


@dataclass(frozen=True)
class RunRow:
    """One line of the run history."""

    run_id: str
    words: str
    steps: str
    val_accuracy: float | None
    int8_accuracy: float | None
    size_bytes: int | None
    fits_board: bool | None = None
    """Whether the exported model fits the run's board (None before export)."""
    sweep: str = ""
    """The sweep the run is a trial of (`wakebench sweep`), else empty."""


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f} %"


def _bar(fraction: float, width: int = 10) -> str:
    fraction = max(0.0, min(1.0, fraction))
    full = round(fraction * width)
    if fraction > 0 and full == 0:
        full = 1
    return "▇" * full + "░" * (width - full)


def confusion_text(labels: Sequence[str], matrix: Sequence[Sequence[int]]) -> str:
    """A plain-text confusion matrix: rows true, columns predicted, diagonal to read down."""
    short = {"_silence_": "sil", "_unknown_": "unk"}
    names = [short.get(label, label[:5]) for label in labels]
    width = (
        max(
            max((len(n) for n in names), default=3),
            max((len(str(v)) for row in matrix for v in row), default=1),
        )
        + 1
    )
    head = " " * (width + 1) + "".join(n.rjust(width) for n in names)
    rows = [
        names[i].rjust(width) + " " + "".join(str(v).rjust(width) for v in row)
        for i, row in enumerate(matrix)
    ]
    return "\n".join([head, *rows])


class ModelPane(Vertical):
    """Size, budget, accuracy and confusion of the picked run; history of runs."""

    class RunPicked(Message):
        """The user picked a run from the history."""

        def __init__(self, run_id: str) -> None:
            super().__init__()
            self.run_id = run_id

    class Exported(JobEnded["ExportReport"]):
        """An export of a run ended."""

        kind = JobKind.EXPORT

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.border_title = "Model"
        self._loading_rows = False
        self._change: LoopResult | None = None
        self._calibration: CalibrationView | None = None
        self._plot_class: type | None = None

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="model-details"):
            yield Static(id="model-summary")
            yield Static(id="model-confusion")
            yield Static(id="model-stream")
            yield Vertical(id="model-curve")
        with Horizontal(classes="buttons"):
            yield Button("Export", id="export", action="app.export", compact=True)
            yield Button("Pick run", id="pick-run", action="app.pick_run", compact=True)
        yield DataTable(id="run-table", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("run", "words", "steps", "val", "int8", "bytes", "fits", "sweep")
        self.show_model(None, None)

    def show_change(self, result: LoopResult | None) -> None:
        """Remember what the last retrain loop changed against its parent run; the summary shows it
        while that loop's new run is the one shown (`show_model`)."""
        self._change = result

    def _change_lines(self, run_id: str) -> list[str]:
        result = self._change
        if result is None or Path(result.run_dir).name != run_id:
            return []
        before, after = result.new_clip_scores
        return [
            f"[b]vs parent {Path(result.parent).name}[/] ({result.steps:,} steps, {result.new_clips} new clips)",
            f"size  {result.model_bytes[0]:,} → {result.model_bytes[1]:,} B",
            f"test  int8 {_pct(result.test_accuracy[0])} → {_pct(result.test_accuracy[1])}",
            *(f"  {word:<10} {_pct(was)} → {_pct(now)}" for word, (was, now) in result.per_word.items()),
            f"new clips {_pct(before.accuracy if before else None)} → {_pct(after.accuracy if after else None)}",
        ]

    def show_model(self, view: ModelView | None, budget: MemoryBudget | None = None, board: str = "") -> None:
        """The picked run; `budget` (core.board.profiles: a built firmware's or an estimate) draws the flash and
        RAM bars of `board`."""
        summary = self.query_one("#model-summary", Static)
        confusion = self.query_one("#model-confusion", Static)
        self._show_calibration(view.calibration if view is not None else None)
        if view is None:
            summary.update(Content.from_markup("[dim]no run yet: train one (t), then export it (e)[/]"))
            confusion.update("")
            return
        lines = [f"[b]{view.run_id}[/]"]
        if view.size_bytes is None:
            lines.append("[dim]not exported yet: press e to export the int8 model[/]")
        else:
            delta = (view.size_bytes - SEED_MODEL_BYTES) / SEED_MODEL_BYTES * 100
            style = "$success" if delta <= 0 else "$warning"
            lines.append(f"int8  {view.size_bytes:,} B  seed {SEED_MODEL_BYTES:,} [{style}]{delta:+.1f} %[/]")
        if budget is not None:
            lines.append(
                f"flash {_bar(budget.flash_fraction)} {budget.flash_used / 1024:.1f}/{budget.flash_total / 1024:.0f} KB"
            )
            lines.append(
                f"RAM   {_bar(budget.ram_fraction)} {budget.ram_used / 1024:.1f}/{budget.ram_total / 1024:.0f} KB"
            )
            source = (
                "built firmware"
                if budget.measured
                else "estimate: model + buffers, without TFLM and the core"
            )
            lines.append(f"[dim]{source}{f' on {board}' if board else ''}[/]")
        if view.arena_bytes is not None:
            allocated = f" ({view.arena_allocated:,} reserved)" if view.arena_allocated else ""
            lines.append(f"arena {view.arena_bytes:,} B{allocated}")
        if view.model_sha8:
            lines.append(f"model hash {view.model_sha8}")
        if view.ops:
            lines.append("ops " + " ".join(view.ops))
        if view.float_accuracy is not None or view.int8_accuracy is not None:
            lines.append(f"test  float {_pct(view.float_accuracy)} · int8 {_pct(view.int8_accuracy)}")
        lines += self._change_lines(view.run_id)
        summary.update(Content.from_markup("\n".join(lines)))
        if view.confusion:
            confusion.update(
                Content("confusion (true × predicted)\n")
                + Content(confusion_text(view.labels, view.confusion))
            )
        else:
            confusion.update("")

    # ---- the calibration curve ---------------------------------------------------------------------

    def _show_calibration(self, calibration: CalibrationView | None) -> None:
        self._calibration = calibration
        stream = self.query_one("#model-stream", Static)
        stream.update(Content.from_markup(calibration_text(calibration)) if calibration else "")
        stream.display = calibration is not None  # an uncalibrated run's pane looks as before
        if calibration is None:
            self.query_one("#model-curve").remove_children()
        elif self._plot_class is None:
            self._load_plot()
        else:
            self.call_later(self._draw_curve)

    @work(thread=True, group="model-plot", exclusive=True)
    def _load_plot(self) -> None:
        from textual_plotext import PlotextPlot

        self.app.call_from_thread(self._plot_loaded, PlotextPlot)

    def _plot_loaded(self, plot_class: type) -> None:
        self._plot_class = plot_class
        self.call_later(self._draw_curve)

    async def _draw_curve(self) -> None:
        """FRR (%) against false accepts per hour over the calibration's thresholds, the chosen one marked."""
        c = self._calibration
        holder = self.query_one("#model-curve")
        if c is None or self._plot_class is None:
            return
        plots = holder.query("#curve-plot")
        if not plots:
            await holder.mount(self._plot_class(id="curve-plot"))
            plots = holder.query("#curve-plot")
        plot = plots.first()
        plt = plot.plt
        plt.clear_data()
        plt.clear_figure()
        plt.title("FRR % vs false accepts/h")
        if c.curve:
            plt.plot([p[2] for p in c.curve], [p[1] * 100 for p in c.curve], marker="braille", color="cyan")
        if c.frr is not None and c.fa_per_hour is not None:
            plt.scatter([c.fa_per_hour], [c.frr * 100], marker="●", color="orange", label=f"t {c.threshold}")
        plot.refresh()

    def show_runs(self, rows: Sequence[RunRow], picked: str | None) -> None:
        table = self.query_one(DataTable)
        table.clear()
        for row in rows:
            mark = "▶ " if row.run_id == picked else "  "
            table.add_row(
                mark + row.run_id,
                row.words,
                row.steps,
                _pct(row.val_accuracy),
                _pct(row.int8_accuracy),
                "—" if row.size_bytes is None else f"{row.size_bytes:,}",
                "—" if row.fits_board is None else ("✓" if row.fits_board else "✗"),
                row.sweep or "—",
                key=row.run_id,
            )
        ids = [row.run_id for row in rows]
        if picked in ids:
            table.move_cursor(row=ids.index(picked))

    @property
    def highlighted_run(self) -> str | None:
        table = self.query_one(DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
        return key.value

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if event.row_key.value:
            self.post_message(self.RunPicked(event.row_key.value))

    # ---- the export job ------------------------------------------------------------------------------

    def export(self, run_path: Path) -> None:
        """Export a run: int8 model, C files and report (checked in the TFLM interpreter)."""

        def work(on_event: Reporter, cancel: CancelToken) -> ExportReport:
            from core.model.export import export_run

            start_resource_tracker()  # calibration scores its streams in worker processes
            return export_run(run_path, on_event=on_event, cancel=cancel)

        if self.app.jobs.start(JobKind.EXPORT, work, owner=self):
            self.border_subtitle = "exporting…"

    @on(JobEvent)
    def _job_event(self, message: JobEvent) -> None:
        show_progress(self, message)

    @on(Exported)
    def _exported(self, message: Exported) -> None:
        self.border_subtitle = ""
