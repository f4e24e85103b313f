"""The thin frame around the part of the screen being watched: frameless, always on top, click-through
(`Qt.WindowTransparentForInput`), a border only.

The border is drawn just outside the watched rectangle and the window is masked to that ring, so
the inside is not part of the window at all: the screen grab sees the call, never the frame, and
this holds without a compositing window manager too.
"""

from __future__ import annotations

from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QRegion
from PySide6.QtWidgets import QWidget

from app.sources.screen import Region
from app.ui.region_picker import rect_of

BORDER_PX = 3
COLOR = QColor("#e0a43a")


class WatchFrame(QWidget):
    def __init__(self, parent: QWidget | None = None):
        flags = (Qt.WindowType.Window | Qt.WindowType.FramelessWindowHint | Qt.WindowType.WindowStaysOnTopHint
                 | Qt.WindowType.Tool | Qt.WindowType.WindowTransparentForInput
                 | Qt.WindowType.WindowDoesNotAcceptFocus | Qt.WindowType.BypassWindowManagerHint)
        super().__init__(parent, flags)
        self.setWindowTitle("Glimpse: watching this part of the screen")
        self.setAttribute(Qt.WidgetAttribute.WA_ShowWithoutActivating)
        self.region: Region | None = None

    def watch(self, region: Region) -> None:
        """Frame `region` (screen pixels), moving and resizing as needed, and show."""
        self.region = region
        ratio = self.screen().devicePixelRatio() if self.screen() else 1.0
        inner = rect_of(region, ratio)
        outer = inner.adjusted(-BORDER_PX, -BORDER_PX, BORDER_PX, BORDER_PX)
        self.setGeometry(outer)
        ring = QRegion(QRect(0, 0, outer.width(), outer.height())).subtracted(
            QRegion(QRect(BORDER_PX, BORDER_PX, inner.width(), inner.height())))
        self.setMask(ring)
        self.show()
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt API
        p = QPainter(self)
        p.fillRect(self.rect(), COLOR)
        p.end()
