"""Where a video frame goes in a widget: shared by the live preview and the replay player."""

from __future__ import annotations

from PySide6.QtCore import QRectF
from PySide6.QtGui import QImage


def fit_rect(image: QImage | None, width: int, height: int) -> QRectF:
    """The image as large as fits in width x height, centred, aspect kept (empty without an image)."""
    if image is None:
        return QRectF()
    iw, ih = image.width(), image.height()
    scale = min(width / iw, height / ih)
    w, h = iw * scale, ih * scale
    return QRectF((width - w) / 2, (height - h) / 2, w, h)
