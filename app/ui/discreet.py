"""Discreet mode: a small always-on-top strip with only the prompt and a face-tracking dot,
so the listener can keep a video call or their notes in front."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QKeySequence, QMouseEvent, QPainter, QPaintEvent, QShortcut
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QToolButton, QWidget

from app.ui.prompt_card import PromptCard

FACE_COLORS = {True: QColor("#6fa77a"), False: QColor("#b8b2a7"), None: QColor("#d9d4cb")}
MIN_WIDTH_PX = 560
CHARS_PER_LINE = 34  # the built-in questions are at most ~50 characters: two lines of this hold them
FACE_TIPS = {True: "A face is being tracked", False: "No face", None: "Live mode is off"}


class FaceDot(QWidget):
    """A small round dot: soft green while a face is tracked, grey when none, pale when idle.
    `pulse()` rings it once (the optional visual cue)."""

    def __init__(self, diameter: int = 12, parent: QWidget | None = None):
        super().__init__(parent)
        self.diameter = diameter
        self.state: bool | None = None
        self._ring = 0.0
        self._ring_timer = QTimer(self, interval=40)
        self._ring_timer.timeout.connect(self._step_ring)
        self.setFixedSize(QSize(diameter + 8, diameter + 8))
        self.setToolTip(FACE_TIPS[None])

    def set_face(self, state: bool | None) -> None:
        if state != self.state:
            self.state = state
            self.setToolTip(FACE_TIPS[state])
            self.update()

    def pulse(self) -> None:
        self._ring = 1.0
        self._ring_timer.start()

    def _step_ring(self) -> None:
        self._ring = max(0.0, self._ring - 0.04)
        if self._ring == 0.0:
            self._ring_timer.stop()
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt API
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        color = FACE_COLORS[self.state]
        if self._ring > 0:
            ring = QColor(color)
            ring.setAlphaF(0.5 * self._ring)
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(ring)
            p.drawEllipse(self.rect())
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(color)
        d = self.diameter
        p.drawEllipse((self.width() - d) // 2, (self.height() - d) // 2, d, d)
        p.end()


class DiscreetStrip(QWidget):
    """The compact window. It shows what the live page tells it and asks back through signals."""

    asked = Signal()  # "I just asked" (button or Space)
    full_window_requested = Signal()

    def __init__(self, parent: QWidget | None = None):
        flags = Qt.WindowType.Window | Qt.WindowType.WindowStaysOnTopHint | Qt.WindowType.FramelessWindowHint
        super().__init__(parent, flags)
        self.setObjectName("DiscreetStrip")
        self.setWindowTitle("Glimpse (discreet)")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)
        self.dot = FaceDot(12, self)
        self.card = PromptCard(compact=True, parent=self)
        self.ask_button = QPushButton("I just asked", self)
        self.ask_button.setToolTip("Mark that you just asked a question (Space): Glimpse pays closer "
                                   "attention for the next few seconds")
        self.ask_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.ask_button.clicked.connect(self.asked)
        self.full_button = QToolButton(self)
        self.full_button.setText("⤢")
        self.full_button.setToolTip("Back to the full window")
        self.full_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.full_button.clicked.connect(self.full_window_requested)
        self.recording_label = QLabel("● Rec", self, objectName="RecordingLabel")  # type: ignore[call-overload]  # stubs omit inherited Qt properties
        self.recording_label.setToolTip("This session is being recorded")
        self.recording_label.hide()
        self.attentive_label = QLabel("", self, objectName="Quiet")  # type: ignore[call-overload]  # stubs omit inherited Qt properties; "I just asked": the window counting down
        self.attentive_label.hide()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 4, 6, 4)
        layout.setSpacing(8)
        layout.addWidget(self.dot)
        layout.addWidget(self.card, 1)
        layout.addWidget(self.recording_label)
        layout.addWidget(self.attentive_label)
        layout.addWidget(self.ask_button)
        layout.addWidget(self.full_button)
        QShortcut(QKeySequence(Qt.Key.Key_Space), self).activated.connect(self.asked.emit)
        # wide enough for a question in two lines of the card's font, as tall as those two lines
        card_width = self.card.label.fontMetrics().averageCharWidth() * CHARS_PER_LINE
        others = self.sizeHint().width() - self.card.sizeHint().width()
        self.resize(max(MIN_WIDTH_PX, card_width + others), self.sizeHint().height())
        self._drag_from: QPoint | None = None

    def set_face(self, state: bool | None) -> None:
        self.dot.set_face(state)

    def show_prompt(self, text: str, hold_s: float) -> None:
        self.card.show_prompt(text, hold_s)

    def set_attentive(self, seconds: float) -> None:
        """Seconds of closer attention left after "I just asked" (0: hidden)."""
        self.attentive_label.setText(f"Listening closely · {seconds:.0f} s")
        self.attentive_label.setVisible(seconds > 0)

    def set_recording(self, on: bool) -> None:
        self.recording_label.setVisible(on)

    def place_top_centre(self) -> None:
        screen = self.screen().availableGeometry() if self.screen() else None
        if screen is not None:
            self.move(screen.center().x() - self.width() // 2, screen.top() + 24)

    # frameless: drag anywhere to move it
    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt API
        if event.button() == Qt.MouseButton.LeftButton:
            self._drag_from = event.globalPosition().toPoint() - self.frameGeometry().topLeft()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt API
        if self._drag_from is not None:
            self.move(event.globalPosition().toPoint() - self._drag_from)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt API
        self._drag_from = None
