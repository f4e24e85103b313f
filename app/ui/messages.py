"""The window's one message area: a new message replaces the old one (never stacks), the same error
reported twice shows once, and an error clears when the listener's next action succeeds.

Its row is always there (one line high when empty), so a message never pushes the pages down.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QSizePolicy, QToolButton, QWidget

ERROR, INFO = "error", "info"
PADDING_PX = 6


class MessageArea(QFrame):
    """`show_message(text, kind, action)`; `succeeded()` after an action worked; `clear()`."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent, objectName="MessageArea")  # type: ignore[call-arg]  # stubs omit inherited Qt properties
        self.setProperty("kind", "")
        self.text = QLabel("", wordWrap=True, textInteractionFlags=Qt.TextInteractionFlag.TextSelectableByMouse)
        self.text.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.action_button = QPushButton("")
        self.close_button = QToolButton(text="✕", toolTip="Dismiss", autoRaise=True)  # type: ignore[call-arg]  # stubs omit inherited Qt properties
        self.close_button.clicked.connect(self.clear)
        row = QHBoxLayout(self)
        row.setContentsMargins(2 * PADDING_PX, PADDING_PX // 2, PADDING_PX, PADDING_PX // 2)
        row.addWidget(self.text, 1)
        row.addWidget(self.action_button)
        row.addWidget(self.close_button)
        self._action: Callable[[], None] | None = None
        self.action_button.clicked.connect(self._act)
        self.kind: str | None = None
        self.shown_count = 0  # messages actually put on screen (a repeat of the one showing is not)
        self.clear()

    def show_message(self, text: str, kind: str = ERROR,
                     action: tuple[str, Callable[[], None]] | None = None) -> None:
        if kind == self.kind and text == self.text.text() and action is None and self._action is None:
            return  # the same message again: it is already there, once
        self.kind = kind
        self._restyle(kind)
        self.text.setText(text)
        self.text.setToolTip("")
        self._action = action[1] if action else None
        self.action_button.setText(action[0] if action else "")
        self.action_button.setVisible(action is not None)
        self.close_button.setVisible(True)
        self.shown_count += 1

    def succeeded(self) -> None:
        """The listener's last action worked: an error from before no longer applies."""
        if self.kind == ERROR:
            self.clear()

    def clear(self) -> None:
        self.kind = None
        self._action = None
        self._restyle("")
        self.text.setText("")
        self.action_button.hide()
        self.close_button.hide()

    def is_showing(self) -> bool:
        return self.kind is not None

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt API
        super().showEvent(event)
        # keep one line's room even when empty: a message then appears without moving the pages
        self.setMinimumHeight(max(self.fontMetrics().height(), self.close_button.sizeHint().height()) + PADDING_PX)

    def _restyle(self, kind: str) -> None:
        self.setProperty("kind", kind)
        self.style().unpolish(self)
        self.style().polish(self)

    def _act(self) -> None:
        action = self._action
        self.clear()
        if action is not None:
            action()
