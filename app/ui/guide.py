"""Help > How to use Glimpse: the guide in a window of its own, beside the live view, never over it."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QTextBrowser, QVBoxLayout, QWidget

from app.errors import GlimpseError
from app.prompts.policy import load_bank
from app.ui.first_run import WELCOME_HTML, example_questions, examples_html

GUIDE_TITLE = "How to use Glimpse"
WIDTH_CHARS, HEIGHT_LINES = 72, 34  # a comfortable reading measure, in the current font


def guide_html() -> str:
    """The first-run text under the guide's own title, with two of the questions."""
    try:
        examples = examples_html(example_questions(load_bank()))
    except GlimpseError:
        examples = ""
    title = f'<h1 style="font-weight: normal">{GUIDE_TITLE}</h1>'
    return WELCOME_HTML.replace('<h1 style="font-weight: normal">Before you begin</h1>', title) + examples


class GuideWindow(QWidget):
    """A separate, non-modal window with the guide; its text follows the application font."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent, Qt.WindowType.Window)
        self.setWindowTitle(f"{GUIDE_TITLE} · Glimpse")
        self.browser = QTextBrowser(objectName="GuideText")  # type: ignore[call-arg]  # stubs omit inherited Qt properties
        self.browser.setOpenExternalLinks(False)
        self.browser.setHtml(guide_html())
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.browser)
        fm = self.fontMetrics()
        self.browser.document().setDocumentMargin(fm.height())  # room to breathe, in the current font
        self.resize(fm.averageCharWidth() * WIDTH_CHARS, fm.lineSpacing() * HEIGHT_LINES)

    def present(self) -> None:
        self.show()
        self.raise_()
        self.activateWindow()
