"""The prompt card: one open question, large and calm, that fades in, stays a few seconds, and goes.

It shows only the question: no region, no time, no score (those belong to the review).
"""

from __future__ import annotations

import time

from PySide6.QtCore import QEasingCurve, QEvent, QPropertyAnimation, Qt, QTimer, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QFrame, QGraphicsOpacityEffect, QLabel, QSizePolicy, QVBoxLayout, QWidget

FADE_IN_MS = 600
FADE_OUT_MS = 1500
# the question against the application font (22 pt and 13 pt at the usual 9 pt), so a larger system font
# makes the card larger too
CARD_SCALE, COMPACT_SCALE = 22.0 / 9.0, 13.0 / 9.0
CARD_LINES, COMPACT_LINES = 2, 2  # the card holds this many lines of the question (longer ones wrap)


class PromptCard(QFrame):
    """`show_prompt(text, hold_s)`: fade in, hold `hold_s`, fade out. A newer prompt replaces the
    one on screen. `compact` is the one-line variant for the discreet strip."""

    shown = Signal(str)  # a prompt started to appear
    hidden = Signal()  # the card has faded out

    def __init__(self, compact: bool = False, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("PromptCardCompact" if compact else "PromptCard")
        self.label = QLabel("", self)
        self.label.setWordWrap(True)
        self.label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
        self.compact = compact
        layout = QVBoxLayout(self)
        margin = 6 if compact else 18
        layout.setContentsMargins(margin * 2, margin, margin * 2, margin)
        layout.addWidget(self.label)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self._fit_font()
        self._effect = QGraphicsOpacityEffect(self)
        self._effect.setOpacity(0.0)
        self.setGraphicsEffect(self._effect)
        self._fade = QPropertyAnimation(self._effect, b"opacity", self)
        self._fade.setEasingCurve(QEasingCurve.Type.InOutSine)
        self._fade.finished.connect(self._faded)
        self._hold = QTimer(self, singleShot=True)
        self._hold.timeout.connect(self._fade_out)
        self._hold_ms = 6000
        self._showing = False
        self.shown_at: float | None = None  # time.monotonic() when the current prompt started to appear

    def _fit_font(self) -> None:
        font = QFont(self.font())
        font.setPointSizeF(self.font().pointSizeF() * (COMPACT_SCALE if self.compact else CARD_SCALE))
        self.label.setFont(font)
        layout = self.layout()
        assert layout is not None  # set in __init__, before the first fit
        margins = layout.contentsMargins()
        lines = COMPACT_LINES if self.compact else CARD_LINES
        self.setMinimumHeight(self.label.fontMetrics().lineSpacing() * lines + margins.top() + margins.bottom())

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt API
        super().changeEvent(event)
        if event.type() == event.Type.FontChange:
            self._fit_font()

    def text(self) -> str:
        return self.label.text() if self._showing else ""

    def is_showing(self) -> bool:
        return self._showing

    def opacity(self) -> float:
        return self._effect.opacity()

    def show_prompt(self, text: str, hold_s: float) -> None:
        self._hold.stop()
        self._fade.stop()
        self.label.setText(text)
        self._showing = True
        self.shown_at = time.monotonic()
        # hold_s is the whole time on screen, fades included
        self._hold_ms = max(1000, int(hold_s * 1000) - FADE_IN_MS - FADE_OUT_MS)
        self._animate(1.0, FADE_IN_MS)
        self.shown.emit(text)

    def clear(self) -> None:
        """Fade out now (e.g. when live mode stops)."""
        if self._showing:
            self._hold.stop()
            self._fade_out()

    def _animate(self, to: float, ms: int) -> None:
        self._fade.setStartValue(self._effect.opacity())
        self._fade.setEndValue(to)
        self._fade.setDuration(ms)
        self._fade.start()

    def _fade_out(self) -> None:
        self._animate(0.0, FADE_OUT_MS)

    def _faded(self) -> None:
        if self._fade.endValue() == 1.0:
            self._hold.start(self._hold_ms)
        else:
            self._showing = False
            self.label.setText("")
            self.hidden.emit()
