"""Help > How to use Glimpse: the guide in a window of its own, beside the live view, never over it."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QTextBrowser, QVBoxLayout, QWidget

from .first_run import WELCOME_HTML

GUIDE_TITLE = "How to use Glimpse"
WIDTH_CHARS, HEIGHT_LINES = 72, 34  # a comfortable reading measure, in the current font


class GuideWindow(QWidget):
    """A separate, non-modal window with the guide; its text follows the application font."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent, Qt.WindowType.Window)
        self.setWindowTitle(f"{GUIDE_TITLE} · Glimpse")
        self.browser = QTextBrowser(objectName="GuideText")
        self.browser.setOpenExternalLinks(False)
        self.browser.setHtml(WELCOME_HTML)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.browser)
        fm = self.fontMetrics()
        self.resize(fm.averageCharWidth() * WIDTH_CHARS, fm.lineSpacing() * HEIGHT_LINES)

    def present(self) -> None:
        self.show()
        self.raise_()
        self.activateWindow()
