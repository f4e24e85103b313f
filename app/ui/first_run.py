"""The first-run page (how to use the prompts; nothing leaves this computer) and the
recording-consent question."""

from __future__ import annotations

import html
from collections.abc import Sequence

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QMessageBox, QPushButton, QScrollArea, QVBoxLayout, QWidget

from app.errors import GlimpseError
from app.prompts.policy import load_bank

TEXT_WIDTH_CHARS = 72  # the page's reading measure, in the current font: it grows with the font
PAGE_MARGIN_PX = 32
READING_SCALE = 1.15  # the guide's text against the application font

WELCOME_HTML = """
<h1 style="font-weight: normal">Before you begin</h1>
<p>Glimpse watches the face of the person you are talking with and notices brief changes:
a movement that comes and goes in less than half a second. When it notices one, it offers
you a question you could ask, such as <i>&ldquo;What else comes to mind about that?&rdquo;</i></p>
<p>It never tells you what the person feels. A brief change can mean many things, or nothing,
and Glimpse can be wrong. The question is an invitation, not a conclusion.</p>
<h3>How to use the prompts</h3>
<ul>
<li><b>Notice, don't call out.</b> Never tell the person that you saw their face change.</li>
<li><b>Don't fixate.</b> Keep your attention on the person, not on the screen. After a prompt
Glimpse stays quiet for a while.</li>
<li><b>Open the door.</b> Use the question to invite more, and let the person choose whether
to say more.</li>
<li><b>&ldquo;I just asked&rdquo;</b> (Space): press it right after you ask something that matters.
For the next few seconds Glimpse pays closer attention; the rest of the time it stays gentle.</li>
</ul>
<h3>Privacy</h3>
<ul>
<li>Everything runs on this computer. Nothing leaves it: no network, no account, no telemetry.</li>
<li>Nothing is recorded unless you switch recording on, and only after you confirm that the
person you are filming has agreed.</li>
</ul>
"""

CONSENT_TITLE = "Record this conversation?"
CONSENT_TEXT = ("Glimpse will save the video, the face measurements and the moments in a private folder "
                "on this computer, until you delete them.\n\nOnly record when the person you are filming "
                "knows about it and has agreed.")
CONSENT_YES = "They have agreed: record"


def example_questions(bank: Sequence[str], n: int = 2) -> list[str]:
    """`n` questions spread over the bank (not its first few, which the text already quotes)."""
    if not bank:
        return []
    return [bank[(2 + i * len(bank) // n) % len(bank)] for i in range(n)]


def examples_html(questions: Sequence[str]) -> str:
    items = "".join(f"<p style='margin-left: 1.5em'>&ldquo;{html.escape(q)}&rdquo;</p>" for q in questions)
    return (f"<h3>Two of the questions you may see</h3>{items}"
            "<p>You can change, add or remove questions under Live &gt; Your questions.</p>")


class WelcomePage(QWidget):
    """Shown on first run and from Help; `done` when the listener is ready."""

    done = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        text = QLabel(WELCOME_HTML)
        text.setObjectName("WelcomeText")
        text.setWordWrap(True)
        text.setTextFormat(Qt.TextFormat.RichText)
        font = text.font()  # a little larger than the application font, and following it
        font.setPointSizeF(font.pointSizeF() * READING_SCALE)
        text.setFont(font)
        try:
            examples = example_questions(load_bank())
        except GlimpseError:
            examples = []
        self.examples = QLabel(examples_html(examples) if examples else "", objectName="Examples")  # type: ignore[call-overload]  # stubs omit inherited Qt properties
        self.examples.setWordWrap(True)
        self.examples.setTextFormat(Qt.TextFormat.RichText)
        self.examples.setFont(font)
        self.examples.setVisible(bool(examples))
        self.texts = (text, self.examples)
        body = QWidget()
        inner = QVBoxLayout(body)
        inner.setContentsMargins(PAGE_MARGIN_PX, 24, PAGE_MARGIN_PX, 24)
        for label in self.texts:
            row = QHBoxLayout()
            row.addStretch(1)
            row.addWidget(label)
            row.addStretch(1)
            inner.addLayout(row)
        self.begin_button = QPushButton("Begin")
        self.begin_button.setDefault(True)
        self.begin_button.setMinimumWidth(160)
        self.begin_button.clicked.connect(self.done)
        inner.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(body)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 12)
        layout.addWidget(scroll, 1)
        # below the text, outside its scroll area: in sight at any text size and window height
        layout.addWidget(self.begin_button, 0, Qt.AlignmentFlag.AlignHCenter)
        self._fit_text()

    def _fit_text(self) -> None:
        """A fixed width (an alignment flag would break the labels' height-for-width), set from the font so
        larger text gets a wider column, but never wider than the page."""
        measure = self.fontMetrics().averageCharWidth() * TEXT_WIDTH_CHARS
        room = self.width() - 2 * PAGE_MARGIN_PX - 24  # the scroll bar's room
        for label in self.texts:
            label.setFixedWidth(max(200, min(measure, room) if self.isVisible() else measure))
            # as tall as the text at that width: the scroll area's layout alone gave the page's text less
            # height than it needs at large fonts, and cut off its last section (Privacy)
            label.setMinimumHeight(label.heightForWidth(label.width()))

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt API
        super().resizeEvent(event)
        self._fit_text()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt API
        super().changeEvent(event)
        if event.type() == event.Type.FontChange:
            self._fit_text()


def ask_consent(parent: QWidget | None) -> bool:
    """True when the listener confirms that the filmed person agreed to be recorded."""
    box = QMessageBox(QMessageBox.Icon.Question, CONSENT_TITLE, CONSENT_TEXT, parent=parent)
    yes = box.addButton(CONSENT_YES, QMessageBox.ButtonRole.AcceptRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)
    box.exec()
    return box.clickedButton() is yes
