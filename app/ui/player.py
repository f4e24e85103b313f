"""The video player: a frame view with optional landmark overlay and region highlight, and its controls.

Decoding happens in one long-lived thread, newest request wins: playback asks
for the frame its clock has reached, a seek or a drag of the slider asks for
another, and the view paints whatever frame arrives. The frames come from the
core's readers (`app.sources.video`), found by their timestamps.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import ArrayLike
from PySide6.QtCore import QObject, QPointF, QRectF, QSize, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QColor, QImage, QPainter, QPaintEvent, QPen, QPolygonF
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QSlider,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.face.landmarks import REGION_OUTLINES
from app.sources.video import Segment, SegmentReader
from app.system.progress import format_time
from app.ui.geometry import fit_rect

SPEEDS = (0.1, 0.25, 0.5, 1.0)

REGION_GROUPS = REGION_OUTLINES  # landmark groups outlined when a moment in that region is selected


def to_qimage(image: np.ndarray) -> QImage:
    h, w = image.shape[:2]
    image = np.ascontiguousarray(image)
    return QImage(image.data, w, h, image.strides[0], QImage.Format.Format_BGR888).copy()


class Decoder(QObject):
    """Decodes requested frames in a thread, newest request wins; answers with `frame_ready`
    on the GUI thread, never with a frame of a source it has since been moved off."""

    frame_ready = Signal(int, QImage)
    failed = Signal(str)
    _decoded = Signal(int, int, QImage)  # from the thread: source generation, index, image

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.generation = 0  # bumped on the GUI thread by every set_source
        self._decoded.connect(self._deliver)
        self._cond = threading.Condition()
        self._wanted: int | None = None
        self._source: list[Segment] | None = None
        self._source_generation = 0
        self._new_source = False
        self._stop = False
        self._busy = False
        self._thread = threading.Thread(target=self._loop, name="glimpse-player", daemon=True)
        self._thread.start()

    def set_source(self, segments: Sequence[Segment] | None) -> None:
        self.generation += 1
        with self._cond:
            self._source = list(segments) if segments else None
            self._source_generation = self.generation
            self._new_source, self._wanted = True, None
            self._cond.notify()

    def request(self, index: int) -> None:
        with self._cond:
            self._wanted = index
            self._cond.notify()

    def idle(self) -> bool:
        with self._cond:
            return self._wanted is None and not self._busy

    def close(self, timeout_s: float = 5.0) -> None:
        with self._cond:
            self._stop = True
            self._cond.notify()
        self._thread.join(timeout_s)

    def _loop(self) -> None:
        reader: SegmentReader | None = None
        generation = 0
        try:
            while True:
                with self._cond:
                    while not self._stop and self._wanted is None and not self._new_source:
                        self._cond.wait()
                    if self._stop:
                        return
                    if self._new_source:
                        if reader is not None:
                            reader.close()
                        reader = SegmentReader(self._source) if self._source else None
                        generation, self._new_source = self._source_generation, False
                    index, self._wanted = self._wanted, None
                    self._busy = index is not None
                if index is None or reader is None:
                    continue
                try:
                    image = reader.read(index)
                except cv2.error as exc:
                    self.failed.emit(f"{reader.name}: frame {index} could not be decoded ({exc})")
                    image = None
                if image is not None:
                    self._decoded.emit(generation, index, to_qimage(image))
                with self._cond:
                    self._busy = False
        finally:
            if reader is not None:
                reader.close()

    @Slot(int, int, QImage)
    def _deliver(self, generation: int, index: int, image: QImage) -> None:
        if generation == self.generation:
            self.frame_ready.emit(index, image)


@dataclass(frozen=True)
class Highlight:
    """Outline `regions` while the shown frame's time is within [start_s, end_s]."""

    regions: tuple[str, ...]
    start_s: float
    end_s: float


class FrameView(QWidget):
    """Paints the current frame, letterboxed, with the landmark overlay and region highlight on top."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.image: QImage | None = None
        self.landmarks: np.ndarray | None = None  # (478, 3) normalised, for the shown frame
        self.show_landmarks = False
        self.highlight_regions: tuple[str, ...] = ()
        self.placeholder = "Open a video or a recorded session (File menu, drag and drop, or glimpse replay PATH)."
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(200, 80)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return QSize(640, 360)

    def image_rect(self) -> QRectF:
        return fit_rect(self.image, self.width(), self.height())

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt API
        p = QPainter(self)
        p.fillRect(self.rect(), QColor(24, 26, 30))
        if self.image is None:
            p.setPen(QColor(170, 175, 185))
            p.drawText(self.rect().adjusted(20, 0, -20, 0), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                       self.placeholder)
            return
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        rect = self.image_rect()
        p.drawImage(rect, self.image)
        if self.landmarks is None:
            return
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        pts = self.landmarks[:, :2].astype(np.float64) * (rect.width(), rect.height()) + (rect.x(), rect.y())
        if self.show_landmarks:
            p.setPen(QPen(QColor(120, 220, 200, 170), 1.6))
            p.drawPoints(QPolygonF([QPointF(x, y) for x, y in pts]))
        pen = QPen(QColor(255, 196, 64), 2.2)
        for region in self.highlight_regions:
            for group in REGION_GROUPS.get(region, ()):
                g = pts[group]
                (x0, y0), (x1, y1) = g.min(axis=0), g.max(axis=0)
                pad = max(6.0, 0.25 * max(x1 - x0, y1 - y0))
                p.setPen(pen)
                p.setBrush(QColor(255, 196, 64, 40))
                p.drawEllipse(QRectF(x0 - pad, y0 - pad, x1 - x0 + 2 * pad, y1 - y0 + 2 * pad))


class VideoPlayer(QWidget):
    """Play/pause, frame steps, slow motion and seeking over one video; shows frame times from the features."""

    position_changed = Signal(int, float)  # frame index, its time in seconds (the frame on screen)
    frame_shown = Signal(int)
    playing_changed = Signal(bool)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.segments: list[Segment] = []
        self.times = np.zeros(0)
        self.landmarks: np.ndarray | None = None
        self.highlight: Highlight | None = None
        self.index = -1  # frame on screen
        self.speed = 1.0
        self._requested = -1
        self._clock: tuple[float, float] | None = None  # (wall time, media time) when playback (re)started
        self.decoder = Decoder(self)
        self.decoder.frame_ready.connect(self._on_frame)
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(10)
        self._timer.timeout.connect(self._tick)

        self.view = FrameView()
        self.play_button = self._button("Play", "Play or pause (Space, K)", self.toggle_play)
        self.back_button = self._button("◀|", "One frame back (Left arrow, comma)", lambda: self.step(-1))
        self.fwd_button = self._button("|▶", "One frame forward (Right arrow, full stop)", lambda: self.step(1))
        self.speed_box = QComboBox()
        for s in SPEEDS:
            self.speed_box.addItem(f"{s:g}x", s)
        self.speed_box.setCurrentIndex(SPEEDS.index(1.0))
        self.speed_box.setToolTip("Playback speed: slow motion helps see brief changes ([ and ] to change)")
        self.speed_box.currentIndexChanged.connect(lambda i: self.set_speed(SPEEDS[i]))
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setToolTip("Seek (Home, End; J and L jump 5 s)")
        self.slider.setEnabled(False)
        self.slider.valueChanged.connect(self._slider_moved)
        self.time_label = QLabel(format_time(0))
        self.time_label.setMinimumWidth(self.time_label.fontMetrics().horizontalAdvance("00:00.0 / 00:00.0"))
        self.landmarks_box = QCheckBox("Landmarks")
        self.landmarks_box.setToolTip("Show the tracked face points over the video")
        self.landmarks_box.toggled.connect(self.set_show_landmarks)

        controls = QHBoxLayout()
        controls.setContentsMargins(0, 0, 0, 0)
        for w in (self.back_button, self.play_button, self.fwd_button, self.speed_box):
            controls.addWidget(w)
        controls.addStretch(1)
        controls.addWidget(self.time_label)
        controls.addWidget(self.landmarks_box)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.slider)  # a row of its own: the buttons and the time never squeeze it at large text
        layout.addLayout(controls)
        self.set_landmarks(None)

    def _button(self, text: str, tip: str, slot: Callable[[], object]) -> QToolButton:
        b = QToolButton()
        b.setText(text)
        b.setToolTip(tip)
        b.clicked.connect(slot)
        return b

    # -- the model: a video and its frame times ---------------------------------------------------------
    def open(self, segments: Sequence[Segment], times: ArrayLike, first_frame: int = 0) -> None:
        """Show a recording made of `segments`; `times` are its frames' times on the timeline."""
        self.pause()
        segments = list(segments)
        if [seg.path for seg in segments] != [seg.path for seg in self.segments]:
            self.view.image = None
        self.segments = segments
        self.times = np.asarray(times, np.float64)
        self.index = self._requested = -1
        self.decoder.set_source(segments)
        self.slider.blockSignals(True)
        self.slider.setRange(0, max(0, len(self.times) - 1))
        self.slider.setValue(0)
        self.slider.blockSignals(False)
        self.slider.setEnabled(len(self.times) > 0)
        if len(self.times):
            self.seek_frame(first_frame)

    def open_video(self, path: Path, times: ArrayLike, first_frame: int = 0) -> None:
        """One video file whose container times are `times`."""
        times = np.asarray(times, np.float64)
        self.open([Segment(Path(path), 0, times)], times, first_frame)

    def close_video(self) -> None:
        self.pause()
        self.decoder.set_source(None)
        self.segments = []
        self.times = np.zeros(0)
        self.index = self._requested = -1
        self.view.image = None
        self.slider.setEnabled(False)
        self.view.update()

    def set_landmarks(self, landmarks: np.ndarray | None) -> None:
        """(N, 478, 3) normalised per frame (zeros where no face), or None when not kept."""
        self.landmarks = landmarks
        self.landmarks_box.setEnabled(landmarks is not None)
        if landmarks is None:
            self.landmarks_box.setToolTip("Landmarks were not kept for this recording")
        self._update_overlay()

    def set_highlight(self, highlight: Highlight | None) -> None:
        self.highlight = highlight
        self._update_overlay()

    def set_show_landmarks(self, on: bool) -> None:
        self.view.show_landmarks = on
        self.view.update()

    # -- transport ----------------------------------------------------------------------------------------
    @property
    def playing(self) -> bool:
        return self._timer.isActive()

    @property
    def time_s(self) -> float:
        return float(self.times[self.index]) if 0 <= self.index < len(self.times) else 0.0

    @property
    def target_index(self) -> int:
        """The frame asked for last (it may still be decoding), else the one on screen."""
        return self._requested if self._requested >= 0 else self.index

    def _target_time(self) -> float:
        return float(self.times[max(self.target_index, 0)]) if len(self.times) else 0.0

    def play(self) -> None:
        if not len(self.times) or self.playing:
            return
        if self.target_index >= len(self.times) - 1:
            self.seek_frame(0)
        self._clock = (time.monotonic(), self._target_time())
        self._timer.start()
        self.play_button.setText("Pause")
        self.playing_changed.emit(True)

    def pause(self) -> None:
        if not self.playing:
            return
        self._timer.stop()
        self.play_button.setText("Play")
        self.playing_changed.emit(False)

    def toggle_play(self) -> None:
        self.pause() if self.playing else self.play()

    def set_speed(self, speed: float) -> None:
        self.speed = float(speed)
        if self.playing:
            self._clock = (time.monotonic(), self._target_time())
        i = self.speed_box.findData(speed)
        if i >= 0 and i != self.speed_box.currentIndex():
            self.speed_box.setCurrentIndex(i)

    def change_speed(self, steps: int) -> None:
        i = min(max(SPEEDS.index(self.speed) + steps if self.speed in SPEEDS else 3, 0), len(SPEEDS) - 1)
        self.set_speed(SPEEDS[i])

    def step(self, frames: int) -> None:
        """Pause and move by whole frames."""
        self.pause()
        self.seek_frame(self.target_index + frames)

    def seek_frame(self, index: int) -> None:
        if not len(self.times):
            return
        index = int(min(max(index, 0), len(self.times) - 1))
        if self.playing:
            self._clock = (time.monotonic(), float(self.times[index]))
        self._request(index)

    def seek_time(self, t_s: float) -> None:
        """Show the frame on screen at `t_s` (the last one starting at or before it)."""
        self.seek_frame(self.frame_at(t_s))

    def seek_relative(self, seconds: float) -> None:
        if len(self.times):
            self.seek_time(float(self.times[max(self.target_index, 0)]) + seconds)

    def frame_at(self, t_s: float) -> int:
        return max(0, int(np.searchsorted(self.times, t_s + 1e-6, side="right")) - 1)

    def _request(self, index: int) -> None:
        if index != self._requested:
            self._requested = index
            self.decoder.request(index)
            self.slider.blockSignals(True)
            self.slider.setValue(index)
            self.slider.blockSignals(False)

    def _slider_moved(self, value: int) -> None:
        self.seek_frame(value)

    def _tick(self) -> None:
        assert self._clock is not None  # play() sets it before it starts the timer
        wall0, media0 = self._clock
        target_t = media0 + (time.monotonic() - wall0) * self.speed
        target = self.frame_at(target_t)
        if target >= len(self.times) - 1 and target_t > self.times[-1] + 0.5 / max(self._fps(), 1):
            target = len(self.times) - 1
            self._request(target)
            self.pause()
            return
        # one frame at a time: ask for the next only when the last one is on screen (no backlog)
        if target != self._requested and (self._requested == self.index or self.decoder.idle()):
            self._request(target)

    def _fps(self) -> float:
        return 1.0 / float(np.median(np.diff(self.times))) if len(self.times) > 1 else 30.0

    @Slot(int, QImage)
    def _on_frame(self, index: int, image: QImage) -> None:
        if not 0 <= index < len(self.times):
            return
        self.index = index
        self.view.image = image
        self.time_label.setText(f"{format_time(self.times[index])} / {format_time(self.times[-1])}")
        self._update_overlay()
        self.position_changed.emit(index, float(self.times[index]))
        self.frame_shown.emit(index)

    def _update_overlay(self) -> None:
        lm = None
        if self.landmarks is not None and 0 <= self.index < len(self.landmarks):
            lm = self.landmarks[self.index]
            if not lm.any():
                lm = None  # no face in this frame
        self.view.landmarks = lm
        h, t = self.highlight, self.time_s
        near = h is not None and lm is not None and h.start_s <= t <= h.end_s
        self.view.highlight_regions = h.regions if h is not None and near else ()
        self.view.update()

    def shutdown(self) -> None:
        self.pause()
        self.decoder.close()
