"""The timeline: how much the face moved against its usual level, over time, against the threshold;
the moments, and where the face was lost.

A thin view: the page hands it the curve, threshold and moments that the core
computed, and it reports clicks as seek or selection requests. It explains itself:
plain axis names, a legend, a tooltip on every moment, a "Show all" reset, and a
clean empty state (no SI-prefix scaling, fixed ranges).
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QSize, Qt, Signal
from PySide6.QtGui import QColor, QResizeEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QToolButton, QToolTip, QVBoxLayout, QWidget

from app.run.review_model import ReviewResult
from app.spotting.spotter import Moment
from app.spotting.strength import relative
from app.system.progress import format_length, format_time
from app.ui.theme import Tones, tones_for

if TYPE_CHECKING:
    from pyqtgraph.GraphicsScene.mouseEvents import MouseClickEvent

SELECTED = QColor(255, 170, 0)
PLAYHEAD = QColor(200, 40, 60)
Y_LABEL = "movement"
CURVE_NAME = "how much the face moved, against its usual level"
LEGEND_CURVE = "movement, against its usual level"
LEGEND_TIP = (f"The line: {CURVE_NAME}. A moment is a brief rise above the threshold that comes back down. "
              "Hover over a dot for its time, where on the face, how strong, and the question offered.")
X_LABEL = "time"
EMPTY_TEXT = "Nothing to show yet: open a video or a recording (File > Open)."
EMPTY_SPAN_S = 60.0  # the x range of an empty timeline
PLOT_MIN_HEIGHT = 110  # Review's video, timeline and list fit a 1280x800 screen at 175% text
HEADROOM = 1.6  # the y range reaches this far over the threshold at least
REFERENCE_LINE_PX = 17  # a line of text at 100%: larger fonts get fewer time ticks, so their labels do not collide


class TimeAxis(pg.AxisItem):
    """Seconds as m:ss (never "(x0.001)")."""

    def __init__(self, **kwargs: Any):
        super().__init__("bottom", **kwargs)
        self.enableAutoSIPrefix(False)

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:  # noqa: N802 - pyqtgraph API
        fine = spacing < 1.0
        return [(format_time(v) if fine else format_time(v)[:-2]) if v >= 0 else "" for v in values]


NO_FRAMES_STEPS = 5  # frames further apart than this many usual intervals leave a stretch nothing was seen in


def moment_tip(m: Moment, threshold: float) -> str:
    """What a marker's tooltip says: time, length, regions, strength in words, and the question."""
    strength = relative(m.strength, threshold)
    question = (f"Question shown: \u201c{m.prompt}\u201d" if m.prompted and m.prompt
                else "In quiet time: no question shown")
    return (f"{format_time(m.start_s)} \u00b7 {format_length(m.duration_s)} \u00b7 {', '.join(m.regions)}\n"
            f"{strength.describe()}\n{question}")


def lost_spans(t_s: np.ndarray, face: np.ndarray) -> list[tuple[float, float]]:
    """(start, end) seconds of each stretch of frames without a face, and of each stretch without frames (a
    recorded session's paused call or lost camera: nothing was seen there either), in time order."""
    if not len(t_s):
        return []
    step = float(np.median(np.diff(t_s))) if len(t_s) > 1 else 0.0
    edges = np.flatnonzero(np.diff(np.concatenate([[0], (~face).astype(np.int8), [0]])))
    spans = [(float(t_s[a]), float(t_s[b - 1]) + step) for a, b in zip(edges[::2], edges[1::2], strict=True)]
    holes = np.flatnonzero(np.diff(t_s) > NO_FRAMES_STEPS * step)
    spans += [(float(t_s[i]) + step, float(t_s[i + 1])) for i in holes]
    return sorted(spans)




def blend(color: str, under: str) -> str:
    """#rrggbb of a translucent `color` (#aarrggbb) painted over `under`: the no-face span as drawn."""
    c, u = QColor(color), QColor(under)
    a = c.alphaF()
    return QColor(*(round(a * x + (1 - a) * y) for x, y in zip((c.red(), c.green(), c.blue()),
                                                               (u.red(), u.green(), u.blue()), strict=True))).name()


def legend_html(t: Tones) -> str:
    """The legend: one entry per kind of mark, in the colours drawn."""
    entries = ((t.curve, "\u2014", LEGEND_CURVE), (t.threshold, "- -", "threshold"),
               (t.prompted, "\u25cf", "question shown"), (t.quiet, "\u25cb", "quiet time"),
               (t.asked, "\u2506", "you asked"), (None, "", "no face"))
    parts = []
    for color, mark, text in entries:
        swatch = (f"<span style='color:{color}'>{mark.replace(' ', '&nbsp;')}</span>" if color else
                  f"<span style='background:{blend(t.no_face, t.plot)}'>&nbsp;&nbsp;&nbsp;</span>")
        # non-breaking spaces: an entry never breaks across lines, only between entries
        parts.append(f"{swatch}&nbsp;{html.escape(text).replace(' ', '&nbsp;')}")
    return " &nbsp; ".join(parts)


class Timeline(QWidget):
    """Movement curve, threshold line, moment markers (question shown, or in quiet time), no-face spans,
    "I just asked" marks and the playhead. Click to seek; click a marker to select its moment."""

    seek_requested = Signal(float)
    moment_clicked = Signal(int)
    previous_requested = Signal()
    next_requested = Signal()
    threshold_changed = Signal(float)  # the moments list words its strengths against the same bar

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.moments: list[Moment] = []
        self.selected: int | None = None
        self.duration_s = 0.0
        self.threshold_value = 1.0
        self.row_thresholds: tuple[float, ...] = ()  # live: each moment's own (raised after "I just asked")
        self._lost_items: list[pg.LinearRegionItem] = []
        self._asked_items: list[pg.InfiniteLine] = []
        t = self.tones = tones_for(self)

        self.plot = pg.PlotWidget(background=QColor(t.plot), axisItems={"bottom": TimeAxis()})
        self.plot.setMinimumHeight(PLOT_MIN_HEIGHT)
        pi = self.plot.getPlotItem()
        pi.setMouseEnabled(x=True, y=False)
        pi.setMenuEnabled(False)
        pi.hideButtons()
        pi.showGrid(x=True, y=False, alpha=0.15)
        pi.setLabel("bottom", X_LABEL)
        pi.setLabel("left", Y_LABEL)
        left = pi.getAxis("left")
        left.enableAutoSIPrefix(False)
        left.setStyle(showValues=False)  # the units mean nothing to a listener: the threshold line is the scale
        for name in ("left", "bottom"):
            pi.getAxis(name).setTextPen(QColor(t.axis_text))
            pi.getAxis(name).setPen(QColor(t.axis_pen))
        self.view_box = pi.getViewBox()
        # a 1-pixel cosmetic pen: wider antialiased pens make painting a 10-minute curve ~100x slower
        self.curve = pi.plot(pen=pg.mkPen(QColor(t.curve), width=1), connect="finite")
        self.curve.setDownsampling(auto=True, method="peak")
        self.curve.setClipToView(True)
        self.threshold = pg.InfiniteLine(angle=0, movable=False, pen=pg.mkPen(QColor(t.threshold), width=1.5,
                                                                              style=Qt.PenStyle.DashLine),
                                         label="threshold", labelOpts={"position": 0.02, "color": QColor(t.threshold),
                                                                       "anchors": [(0, 1), (0, 1)]})
        pi.addItem(self.threshold)
        # one item per look, fed arrays: per-spot pens and brushes cost ~40 ms for 500 moments
        tip = self._tip
        self.prompted_markers = pg.ScatterPlotItem(size=11, pen=pg.mkPen(QColor(t.prompted), width=2),
                                                   brush=pg.mkBrush(QColor(t.prompted)), hoverable=True, tip=tip)
        self.quiet_markers = pg.ScatterPlotItem(size=9, pen=pg.mkPen(QColor(t.quiet), width=2),
                                                brush=pg.mkBrush(QColor(t.quiet_fill)), hoverable=True, tip=tip)
        for item in (self.quiet_markers, self.prompted_markers):
            item.sigClicked.connect(self._marker_clicked)
            pi.addItem(item)
        self.ring = pg.ScatterPlotItem(size=20, symbol="o", pen=pg.mkPen(SELECTED, width=2.5), brush=None)
        pi.addItem(self.ring)
        self.playhead = pg.InfiniteLine(angle=90, movable=True, pen=pg.mkPen(PLAYHEAD, width=1.5),
                                        hoverPen=pg.mkPen(PLAYHEAD, width=3))
        self.playhead.sigDragged.connect(lambda line: self.seek_requested.emit(float(line.value())))
        pi.addItem(self.playhead)
        self.plot.scene().sigMouseClicked.connect(self._clicked)
        self.empty_label = QLabel(EMPTY_TEXT, self.plot, objectName="Quiet", wordWrap=True,  # type: ignore[call-overload]  # stubs omit inherited Qt properties
                                  alignment=Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)

        self.prev_button = QToolButton()
        self.prev_button.setText("◀ Previous moment")
        self.prev_button.setToolTip("Previous moment (P)")
        self.prev_button.clicked.connect(self.previous_requested)
        self.next_button = QToolButton()
        self.next_button.setText("Next moment ▶")
        self.next_button.setToolTip("Next moment (N)")
        self.next_button.clicked.connect(self.next_requested)
        self.reset_button = QToolButton()
        self.reset_button.setText("Show all")
        self.reset_button.setToolTip("Zoom out to the whole recording (scroll on the timeline to zoom in)")
        self.reset_button.clicked.connect(self.reset_zoom)
        self.legend = QLabel(legend_html(t), wordWrap=True, objectName="Legend")  # type: ignore[call-overload]  # stubs omit inherited Qt properties
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        self.legend.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.legend.setToolTip(LEGEND_TIP)
        left.setToolTip(CURVE_NAME)
        self.key_button = QToolButton()
        self.key_button.setText("Key")
        self.key_button.setToolTip(f"<p>{legend_html(t)}</p><p>{html.escape(LEGEND_TIP)}</p>")
        key = self.key_button
        key.clicked.connect(lambda: QToolTip.showText(key.mapToGlobal(key.rect().bottomLeft()), key.toolTip(), key))
        self.key_button.hide()  # shown when the timeline is too short to hold the legend under the plot
        head = QHBoxLayout()
        head.setContentsMargins(0, 0, 0, 0)
        head.addWidget(self.prev_button)
        head.addWidget(self.next_button)
        head.addStretch(1)
        head.addWidget(self.key_button)
        head.addWidget(self.reset_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(head)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.legend)  # its own row: it wraps at large fonts instead of being cut
        # the legend does not count toward the minimum: when the page squeezes the timeline it goes behind Key
        layout.setSizeConstraint(QVBoxLayout.SizeConstraint.SetNoConstraint)
        self._fit_font()
        self.set_recording(0.0)

    # -- the model --------------------------------------------------------------------------------------
    def set_recording(self, duration_s: float, no_face: Sequence[tuple[float, float]] = (),
                      asked_s: Sequence[float] = ()) -> None:
        """Once per recording: its length, the stretches without a face, and the "I just asked" marks."""
        pi = self.plot.getPlotItem()
        for item in self._lost_items + self._asked_items:
            pi.removeItem(item)
        self._lost_items, self._asked_items = [], []
        for a, b in no_face:
            region = pg.LinearRegionItem((a, b), movable=False, brush=pg.mkBrush(QColor(self.tones.no_face)),
                                         pen=pg.mkPen(None))
            region.setZValue(-10)
            pi.addItem(region)
            self._lost_items.append(region)
        for t in asked_s:
            asked = QColor(self.tones.asked)
            line = pg.InfiniteLine(t, angle=90, movable=False, pen=pg.mkPen(asked, width=1.5,
                                                                             style=Qt.PenStyle.DotLine),
                                   label="asked", labelOpts={"position": 0.92, "color": asked})
            pi.addItem(line)
            self._asked_items.append(line)
        self.duration_s = max(duration_s, 1e-3)
        self.reset_zoom()

    def reset_zoom(self) -> None:
        """The whole recording (an empty timeline: its first minute, in whole seconds)."""
        empty = self.is_empty()
        span = EMPTY_SPAN_S if empty else self.duration_s
        self.view_box.setLimits(xMin=0, xMax=span, minXRange=min(0.5, span))
        self.view_box.setXRange(0, span, padding=0 if empty else 0.01)

    def is_empty(self) -> bool:
        x, _ = self.curve.getData()
        return x is None or len(x) == 0

    def set_curve(self, x: np.ndarray, strength: np.ndarray, threshold: float) -> None:
        """Per-frame strength (NaN without a face) and the threshold, in the same units."""
        was_empty = self.is_empty()
        self.curve.setData(x, strength, connect="finite")
        self.threshold.setValue(threshold)
        if float(threshold) != self.threshold_value:
            self.threshold_value = float(threshold)
            self.threshold_changed.emit(self.threshold_value)
        empty = self.is_empty()
        self.empty_label.setVisible(empty)
        self.threshold.setVisible(not empty)
        self.playhead.setVisible(not empty)
        self._fit_y(strength, threshold)
        if was_empty != self.is_empty():
            self.reset_zoom()

    def set_moments(self, moments: Sequence[Moment], selected: int | None = None) -> None:
        self.moments = list(moments)
        x = np.array([m.peak_s for m in self.moments])
        y = np.array([m.strength for m in self.moments])
        prompted = np.array([m.prompted for m in self.moments], bool)
        index = np.arange(len(self.moments))
        for item, keep in ((self.prompted_markers, prompted), (self.quiet_markers, ~prompted)):
            item.setData(x=x[keep], y=y[keep], data=index[keep])
        self.set_selected(selected)

    def show_result(self, result: ReviewResult) -> None:
        """What Review's model computed: the view's moments (one selected) and its curve and threshold."""
        self.row_thresholds = result.row_thresholds
        self.set_moments(result.moments, result.selected)
        self.set_curve(result.curve_x, result.curve, result.threshold)

    def marker_positions(self) -> list[tuple[float, float]]:
        """(time, strength) of every marker, in moment order (what the listener sees)."""
        spots: list[tuple[int, float, float]] = []
        for item in (self.prompted_markers, self.quiet_markers):
            x, y = item.getData()
            spots += zip(item.data["data"].tolist(), x.tolist(), y.tolist(), strict=True)
        return [(t, v) for _, t, v in sorted(spots)]

    def set_selected(self, index: int | None) -> None:
        self.selected = index if index is not None and 0 <= index < len(self.moments) else None
        if self.selected is None:
            self.ring.setData([])
        else:
            m = self.moments[self.selected]
            self.ring.setData([m.peak_s], [m.strength])
            self._keep_in_view(m.peak_s)

    def set_playhead(self, t_s: float) -> None:
        self.playhead.setValue(t_s)
        self._keep_in_view(t_s)

    # -- helpers -------------------------------------------------------------------------------------------
    def _fit_y(self, strength: np.ndarray, threshold: float) -> None:
        finite = strength[np.isfinite(strength)] if len(strength) else strength
        peaks = [m.strength for m in self.moments]
        top = max([threshold * HEADROOM, *(peaks or [0.0]), float(finite.max()) if len(finite) else 0.0])
        self.view_box.setYRange(0, top * 1.08, padding=0)

    def _keep_in_view(self, t_s: float) -> None:
        (x0, x1), _ = self.view_box.viewRange()
        if not x0 <= t_s <= x1:
            width = x1 - x0
            self.view_box.setXRange(t_s - 0.25 * width, t_s + 0.75 * width, padding=0)

    def marker_tip(self, index: int) -> str:
        rows = self.row_thresholds  # the strength word the moments list shows: against the moment's own threshold
        return moment_tip(self.moments[index], rows[index] if index < len(rows) else self.threshold_value)

    def _tip(self, x: float, y: float, data: Any) -> str:
        """pyqtgraph's hover tooltip for a marker (`data` is the moment's index)."""
        try:
            return self.marker_tip(int(data))
        except (TypeError, ValueError, IndexError):
            return ""

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt API
        super().resizeEvent(event)
        self.empty_label.setGeometry(self.plot.rect().adjusted(40, 10, -10, -30))
        self._fit_legend()
        self._fit_axis_labels()

    def _fit_axis_labels(self) -> None:
        """The axes' titles only where they fit whole: a short plot (large text, a small window) keeps its
        ticks and drops the titles rather than show a cut "moveme"."""
        fm = self.plot.fontMetrics()
        pi = self.plot.getPlotItem()
        tall = self.plot.height() >= fm.horizontalAdvance(Y_LABEL) + 3 * fm.height()
        pi.getAxis("left").showLabel(tall)
        pi.getAxis("bottom").showLabel(tall)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt API
        hint = super().minimumSizeHint()
        spacing = layout.spacing() if (layout := self.layout()) else 0
        hint.setHeight(self.prev_button.sizeHint().height() + self.plot.minimumHeight() + spacing)
        return hint

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt API
        super().changeEvent(event)
        if event.type() == event.Type.FontChange:
            self._fit_font()

    def _fit_font(self) -> None:
        self.plot.getPlotItem().getAxis("bottom").setTickDensity(
            min(1.0, REFERENCE_LINE_PX / max(self.fontMetrics().height(), 1)))
        self._fit_legend()

    def _fit_legend(self) -> None:
        """The legend under the plot when there is room for it; else behind the Key button (a squeezed plot
        would draw its time labels under the legend)."""
        spacing = layout.spacing() if (layout := self.layout()) else 0
        need = (self.prev_button.sizeHint().height() + self.plot.minimumHeight()
                + self.legend.heightForWidth(max(self.width(), 1)) + 2 * spacing)
        fits = self.height() >= need
        self.legend.setVisible(fits)
        self.key_button.setVisible(not fits)

    def _marker_clicked(self, _item: pg.ScatterPlotItem, points: np.ndarray, _event: MouseClickEvent) -> None:
        if len(points):
            self.moment_clicked.emit(int(points[0].data()))

    def _clicked(self, event: MouseClickEvent) -> None:
        """A click that no marker took: seek there."""
        if event.button() != Qt.MouseButton.LeftButton or event.isAccepted():
            return
        pos = event.scenePos()
        if self.view_box.sceneBoundingRect().contains(pos):
            self.seek_requested.emit(max(0.0, float(self.view_box.mapSceneToView(pos).x())))
