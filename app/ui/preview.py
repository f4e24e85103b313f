"""The live preview: the newest tracked frame, optionally mirrored, with an optional landmark overlay.

It paints the packet it was given and says so (`painted`); the live page hands it
the next packet only then, so frames never queue up behind a slow paint.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPaintEvent, QPen, QPolygonF, QResizeEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

from app.run.events import LivePacket
from app.ui.geometry import fit_rect

BACKGROUND = QColor("#1f2326")
OVERLAY = QColor(170, 220, 255, 150)
PLACEHOLDER = QColor("#9aa3a8")


class LivePreview(QWidget):
    """Shows `LivePacket`s. `mirror` flips the picture (as a mirror would); `show_landmarks` draws
    the tracked points."""

    painted = Signal()
    size_changed = Signal(int, int)  # device pixels, for the worker to fit frames to

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(240, 120)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.mirror = False
        self.show_landmarks = False
        self.placeholder = "Choose a camera and press Start."
        self._packet: LivePacket | None = None
        self._image: QImage | None = None
        self.waiting_since: float | None = None  # a packet was handed over and is not painted yet
        self.frames_painted = 0

    def show_packet(self, packet: LivePacket) -> None:
        h, w = packet.image.shape[:2]
        # wraps the packet's buffer (no copy); the packet is kept alive alongside
        self._image = QImage(packet.image.data, w, h, 3 * w, QImage.Format.Format_RGB888)
        self._packet = packet
        self.waiting_since = time.monotonic()
        self.update()

    def clear(self, placeholder: str | None = None) -> None:
        self._packet, self._image, self.waiting_since = None, None, None
        if placeholder is not None:
            self.placeholder = placeholder
        self.update()

    def set_mirror(self, on: bool) -> None:
        self.mirror = on
        self.update()

    def set_show_landmarks(self, on: bool) -> None:
        self.show_landmarks = on
        self.update()

    def image_rect(self) -> QRectF:
        """Where the frame goes: as large as fits, centred, aspect kept."""
        return fit_rect(self._image, self.width(), self.height())

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt API
        p = QPainter(self)
        p.fillRect(self.rect(), BACKGROUND)
        if self._image is None:
            p.setPen(PLACEHOLDER)
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self.placeholder)
        else:
            target = self.image_rect()
            if self.mirror:
                p.translate(target.center().x() * 2, 0)
                p.scale(-1, 1)
            p.drawImage(target, self._image)
            landmarks = self._packet.landmarks if self._packet is not None else None
            if self.show_landmarks and landmarks is not None:
                pts = landmarks * (target.width(), target.height()) + (target.left(), target.top())
                p.setPen(QPen(OVERLAY, 2.0))
                p.drawPoints(QPolygonF([QPointF(float(x), float(y)) for x, y in pts]))
            self.frames_painted += 1
        p.end()
        if self.waiting_since is not None:
            self.waiting_since = None
            self.painted.emit()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt API
        ratio = self.devicePixelRatioF()
        self.size_changed.emit(int(self.width() * ratio), int(self.height() * ratio))
        super().resizeEvent(event)
