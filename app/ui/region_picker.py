"""Picking the part of the screen to watch: a full-screen overlay where the listener drags a rectangle
over the call's video tile. Enter keeps the rectangle shown, Esc cancels.

The overlay paints a still picture of the screen taken as it opens, dimmed, with the rectangle left
bright: it looks the same with or without a compositing window manager (a translucent window is
black without one). Opened pre-set to the current rectangle ("Adjust region"), a drag inside it
moves it, a drag elsewhere draws a new one, and a corner drag resizes it.
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, QRect, QSize, Qt, Signal
from PySide6.QtGui import (
    QCloseEvent,
    QColor,
    QGuiApplication,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QPixmap,
)
from PySide6.QtWidgets import QWidget

from app.sources.screen import MIN_SIDE_PX, Region

DIM = QColor(0, 0, 0, 130)
BORDER = QColor("#e0a43a")
HINT = ("Drag a rectangle over the person's video tile.   Enter keeps it · Esc cancels · drag inside to move it, "
        "from a corner to resize it")
CORNER_PX = 14  # a press this close to a corner of the rectangle resizes it


def region_of(rect: QRect, ratio: float = 1.0) -> Region:
    """A Qt rectangle (device-independent pixels) as a screen Region (device pixels, what mss reads)."""
    return Region(round(rect.x() * ratio), round(rect.y() * ratio), max(MIN_SIDE_PX, round(rect.width() * ratio)),
                  max(MIN_SIDE_PX, round(rect.height() * ratio)))


def rect_of(region: Region, ratio: float = 1.0) -> QRect:
    return QRect(round(region.left / ratio), round(region.top / ratio), round(region.width / ratio),
                 round(region.height / ratio))


class RegionPicker(QWidget):
    """The overlay. `picked(Region)` when the listener keeps a rectangle, `cancelled()` on Esc."""

    picked = Signal(object)
    cancelled = Signal()

    def __init__(self, preset: Region | None = None, parent: QWidget | None = None):
        flags = Qt.WindowType.Window | Qt.WindowType.FramelessWindowHint | Qt.WindowType.WindowStaysOnTopHint
        super().__init__(parent, flags)
        self.setWindowTitle("Glimpse: choose what to watch")
        self.setCursor(Qt.CursorShape.CrossCursor)
        screen = QGuiApplication.primaryScreen()
        self.ratio = screen.devicePixelRatio() if screen else 1.0
        self.area = screen.virtualGeometry() if screen else QRect(0, 0, 1280, 800)
        self.backdrop: QPixmap = screen.grabWindow(0) if screen else QPixmap()
        self.rect_ = rect_of(preset, self.ratio).translated(-self.area.topLeft()) if preset else QRect()
        self._anchor: QPoint | None = None
        self._mode = "new"
        self._start_rect = QRect()
        self.setGeometry(self.area)

    def open(self) -> None:
        self.show()
        self.raise_()
        self.activateWindow()
        self.setFocus()
        self.grabKeyboard()  # Esc and Enter reach the picker whichever window had the focus

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt API
        self.releaseKeyboard()
        super().closeEvent(event)

    def region(self) -> Region | None:
        if self.rect_.width() < MIN_SIDE_PX or self.rect_.height() < MIN_SIDE_PX:
            return None
        return region_of(self.rect_.translated(self.area.topLeft()), self.ratio)

    # -- input -----------------------------------------------------------------------------------

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt API
        if event.button() != Qt.MouseButton.LeftButton:
            return
        p = event.position().toPoint()
        self._anchor, self._start_rect = p, QRect(self.rect_)
        corner = self._corner_at(p)
        if corner is not None:
            self._mode, self._anchor = "resize", corner  # the opposite corner stays put
        elif self.rect_.contains(p):
            self._mode = "move"
        else:
            self._mode, self.rect_ = "new", QRect(p, QSize(0, 0))
        self.update()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt API
        if self._anchor is None:
            return
        p = event.position().toPoint()
        if self._mode == "move":
            self.rect_ = self._start_rect.translated(p - self._anchor)
        else:
            a = self._anchor  # corner to corner, whichever way the drag went (QRect's own span is inclusive)
            self.rect_ = QRect(min(a.x(), p.x()), min(a.y(), p.y()), abs(p.x() - a.x()), abs(p.y() - a.y()))
        self.update()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt API
        if self._anchor is not None and event.button() == Qt.MouseButton.LeftButton:
            self._anchor = None
            if self._mode == "new":
                self._accept()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt API
        if event.key() == Qt.Key.Key_Escape:
            self.close()
            self.cancelled.emit()
        elif event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self._accept()

    def _accept(self) -> None:
        region = self.region()
        if region is None:
            self.rect_ = QRect()  # a click, not a drag: wait for a real rectangle
            self.update()
            return
        self.close()
        self.picked.emit(region)

    def _corner_at(self, p: QPoint) -> QPoint | None:
        """The corner opposite the one under `p` (within CORNER_PX), or None."""
        if self.rect_.isNull():
            return None
        r = self.rect_
        for corner, opposite in ((r.topLeft(), r.bottomRight()), (r.topRight(), r.bottomLeft()),
                                 (r.bottomLeft(), r.topRight()), (r.bottomRight(), r.topLeft())):
            if (corner - p).manhattanLength() <= CORNER_PX:
                return opposite
        return None

    # -- painting --------------------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt API
        p = QPainter(self)
        if not self.backdrop.isNull():
            p.drawPixmap(self.rect(), self.backdrop)
        p.fillRect(self.rect(), DIM)
        if not self.rect_.isNull():
            if not self.backdrop.isNull():  # the rectangle shows the screen undimmed
                source = QRect(self.rect_.topLeft() * self.ratio, self.rect_.size() * self.ratio)
                p.drawPixmap(self.rect_, self.backdrop, source)
            p.setPen(QPen(BORDER, 2))
            p.drawRect(self.rect_.adjusted(-1, -1, 0, 0))
            region = self.region()
            if region is not None:
                p.drawText(self.rect_.bottomLeft() + QPoint(0, 18), f"{region.width} × {region.height}")
        p.setPen(QColor("white"))
        hint = QRect(0, 24, self.width(), 32)
        p.fillRect(hint.adjusted(self.width() // 6, 0, -self.width() // 6, 0), QColor(0, 0, 0, 170))
        p.drawText(hint, Qt.AlignmentFlag.AlignCenter, HINT)
        p.end()
