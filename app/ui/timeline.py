"""The timeline: change strength over time against the threshold, the moments, and where the face was lost.

A thin view: the page hands it the curve, threshold and moments that the core
computed, and it reports clicks as seek or selection requests.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QHBoxLayout, QLabel, QToolButton, QVBoxLayout, QWidget

from ..spotting import Moment

CURVE = QColor(86, 120, 168)
THRESHOLD = QColor(214, 120, 40)
PROMPTED = QColor(32, 150, 130)
QUIET = QColor(120, 126, 136)
SELECTED = QColor(255, 170, 0)
ASKED = QColor(150, 90, 170)
NO_FACE = QColor(120, 120, 120, 60)
PLAYHEAD = QColor(200, 40, 60)


def lost_spans(t_s: np.ndarray, face: np.ndarray) -> list[tuple[float, float]]:
    """(start, end) seconds of each stretch of frames without a face."""
    if not len(t_s):
        return []
    step = float(np.median(np.diff(t_s))) if len(t_s) > 1 else 0.0
    edges = np.flatnonzero(np.diff(np.concatenate([[0], (~face).astype(np.int8), [0]])))
    return [(float(t_s[a]), float(t_s[b - 1]) + step) for a, b in zip(edges[::2], edges[1::2])]


class Timeline(QWidget):
    """Strength curve, threshold line, moment markers (prompted or in quiet time), no-face spans,
    "I just asked" marks and the playhead. Click to seek; click a marker to select its moment."""

    seek_requested = Signal(float)
    moment_clicked = Signal(int)
    previous_requested = Signal()
    next_requested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.moments: list[Moment] = []
        self.selected: int | None = None
        self.duration_s = 0.0
        self._lost_items: list[pg.LinearRegionItem] = []
        self._asked_items: list[pg.InfiniteLine] = []

        self.plot = pg.PlotWidget(background=QColor(250, 250, 252))
        self.plot.setMinimumHeight(150)
        pi = self.plot.getPlotItem()
        pi.setMouseEnabled(x=True, y=False)
        pi.setMenuEnabled(False)
        pi.hideButtons()
        pi.showGrid(x=True, y=False, alpha=0.15)
        pi.setLabel("bottom", "time (s)")
        pi.setLabel("left", "change")
        for name in ("left", "bottom"):
            pi.getAxis(name).setTextPen(QColor(70, 70, 80))
            pi.getAxis(name).setPen(QColor(170, 170, 180))
        self.view_box = pi.getViewBox()
        # a 1-pixel cosmetic pen: wider antialiased pens make painting a 10-minute curve ~100x slower
        self.curve = pi.plot(pen=pg.mkPen(CURVE, width=1), connect="finite")
        self.curve.setDownsampling(auto=True, method="peak")
        self.curve.setClipToView(True)
        self.threshold = pg.InfiniteLine(angle=0, movable=False, pen=pg.mkPen(THRESHOLD, width=1.5,
                                                                              style=Qt.PenStyle.DashLine))
        pi.addItem(self.threshold)
        # one item per look, fed arrays: per-spot pens and brushes cost ~40 ms for 500 moments
        self.prompted_markers = pg.ScatterPlotItem(size=11, pen=pg.mkPen(PROMPTED, width=2), brush=pg.mkBrush(PROMPTED))
        self.quiet_markers = pg.ScatterPlotItem(size=9, pen=pg.mkPen(QUIET, width=2), brush=pg.mkBrush(255, 255, 255))
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

        self.prev_button = QToolButton()
        self.prev_button.setText("◀ Previous moment")
        self.prev_button.setToolTip("Previous moment (P)")
        self.prev_button.clicked.connect(self.previous_requested)
        self.next_button = QToolButton()
        self.next_button.setText("Next moment ▶")
        self.next_button.setToolTip("Next moment (N)")
        self.next_button.clicked.connect(self.next_requested)
        legend = QLabel(
            f"<span style='color:{PROMPTED.name()}'>●</span> prompted &nbsp; "
            f"<span style='color:{QUIET.name()}'>○</span> in quiet time &nbsp; "
            f"<span style='color:{THRESHOLD.name()}'>- -</span> threshold &nbsp; "
            f"<span style='color:{ASKED.name()}'>┆</span> you asked &nbsp; "
            f"<span style='background:#ddd'>&nbsp;&nbsp;&nbsp;</span> no face")
        legend.setTextFormat(Qt.TextFormat.RichText)
        head = QHBoxLayout()
        head.setContentsMargins(0, 0, 0, 0)
        head.addWidget(self.prev_button)
        head.addWidget(self.next_button)
        head.addStretch(1)
        head.addWidget(legend)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(head)
        layout.addWidget(self.plot, 1)

    # -- the model --------------------------------------------------------------------------------------
    def set_recording(self, duration_s: float, no_face: Sequence[tuple[float, float]] = (),
                      asked_s: Sequence[float] = ()) -> None:
        """Once per recording: its length, the stretches without a face, and the "I just asked" marks."""
        pi = self.plot.getPlotItem()
        for item in self._lost_items + self._asked_items:
            pi.removeItem(item)
        self._lost_items, self._asked_items = [], []
        for a, b in no_face:
            region = pg.LinearRegionItem((a, b), movable=False, brush=pg.mkBrush(NO_FACE),
                                         pen=pg.mkPen(None))
            region.setZValue(-10)
            pi.addItem(region)
            self._lost_items.append(region)
        for t in asked_s:
            line = pg.InfiniteLine(t, angle=90, movable=False, pen=pg.mkPen(ASKED, width=1.5,
                                                                             style=Qt.PenStyle.DotLine),
                                   label="asked", labelOpts={"position": 0.92, "color": ASKED})
            pi.addItem(line)
            self._asked_items.append(line)
        self.duration_s = max(duration_s, 1e-3)
        self.view_box.setLimits(xMin=0, xMax=self.duration_s, minXRange=min(0.5, self.duration_s))
        self.view_box.setXRange(0, self.duration_s, padding=0.01)

    def set_curve(self, x: np.ndarray, strength: np.ndarray, threshold: float) -> None:
        """Per-frame strength (NaN without a face) and the threshold, in the same units."""
        self.curve.setData(x, strength, connect="finite")
        self.threshold.setValue(threshold)
        self._fit_y(strength, threshold)

    def set_moments(self, moments: Sequence[Moment], selected: int | None = None) -> None:
        self.moments = list(moments)
        x = np.array([m.peak_s for m in self.moments])
        y = np.array([m.strength for m in self.moments])
        prompted = np.array([m.prompted for m in self.moments], bool)
        index = np.arange(len(self.moments))
        for item, keep in ((self.prompted_markers, prompted), (self.quiet_markers, ~prompted)):
            item.setData(x=x[keep], y=y[keep], data=index[keep])
        self.set_selected(selected)

    def marker_positions(self) -> list[tuple[float, float]]:
        """(time, strength) of every marker, in moment order (what the listener sees)."""
        spots = []
        for item in (self.prompted_markers, self.quiet_markers):
            x, y = item.getData()
            spots += zip(item.data["data"].tolist(), x.tolist(), y.tolist())
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
        top = max([threshold * 1.6, *(peaks or [0.0]), float(finite.max()) if len(finite) else 0.0])
        self.view_box.setYRange(0, top * 1.08, padding=0)

    def _keep_in_view(self, t_s: float) -> None:
        (x0, x1), _ = self.view_box.viewRange()
        if not x0 <= t_s <= x1:
            width = x1 - x0
            self.view_box.setXRange(t_s - 0.25 * width, t_s + 0.75 * width, padding=0)

    def _marker_clicked(self, _item, points, _event) -> None:
        if len(points):
            self.moment_clicked.emit(int(points[0].data()))

    def _clicked(self, event) -> None:
        """A click that no marker took: seek there."""
        if event.button() != Qt.MouseButton.LeftButton or event.isAccepted():
            return
        pos = event.scenePos()
        if self.view_box.sceneBoundingRect().contains(pos):
            self.seek_requested.emit(max(0.0, float(self.view_box.mapSceneToView(pos).x())))
