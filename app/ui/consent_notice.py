"""The notice to the other person, shown before the first screen or camera of a session: the text
to read out or paste into the call chat, a Copy button, and "I have told them", which must be ticked
before watching starts. The words are in the core (`app/prompts/consent.py`)."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.prompts.consent import (
    COPIED_LABEL,
    COPY_LABEL,
    NOTICE_INTRO,
    NOTICE_STORAGE,
    NOTICE_TEXT,
    NOTICE_TITLE,
    START_LABEL,
    TOLD_LABEL,
)

COPIED_SHOWN_MS = 1500
WIDTH_CHARS = 60  # the dialog's width in average characters of its font: it grows with the text size


class ConsentNotice(QDialog):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(NOTICE_TITLE)
        self.setObjectName("ConsentNotice")
        # the notice in a framed box as tall as its wrapped text at any font size (a fixed height let the
        # rows below ride over it at large text)
        self.text = QLabel(NOTICE_TEXT, wordWrap=True, objectName="NoticeText")  # type: ignore[call-overload]  # stubs omit inherited Qt properties
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.box = QFrame(frameShape=QFrame.Shape.StyledPanel)
        QVBoxLayout(self.box).addWidget(self.text)
        self.copy_button = QPushButton(COPY_LABEL)
        self.copy_button.clicked.connect(self.copy)
        self.told = QCheckBox(TOLD_LABEL)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.start_button = self.buttons.addButton(START_LABEL, QDialogButtonBox.ButtonRole.AcceptRole)
        self.start_button.setEnabled(False)
        self.told.toggled.connect(self.start_button.setEnabled)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        row = QHBoxLayout()
        row.addWidget(self.told, 1)
        row.addWidget(self.copy_button)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(NOTICE_INTRO, wordWrap=True))
        layout.addWidget(self.box)
        layout.addLayout(row)
        layout.addWidget(QLabel(NOTICE_STORAGE, wordWrap=True, objectName="Quiet"))  # type: ignore[call-overload]  # stubs omit inherited Qt properties
        layout.addWidget(self.buttons)
        self.fit()

    def fit(self) -> None:
        """A width from the font, and the height its wrapped texts need at that width (a dialog's layout
        does not ask its labels for their height at the width it finally gets)."""
        layout = self.layout()
        assert layout is not None  # made in __init__
        width = max(self.fontMetrics().averageCharWidth() * WIDTH_CHARS, layout.minimumSize().width())
        height = layout.totalHeightForWidth(width)
        self.setMinimumSize(width, height)
        self.resize(width, height)

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt API
        self.fit()  # the font it shows with (a style sheet or the application font may have changed it)
        super().showEvent(event)

    def copy(self) -> None:
        QApplication.clipboard().setText(NOTICE_TEXT)
        self.copy_button.setText(COPIED_LABEL)
        QTimer.singleShot(COPIED_SHOWN_MS, self.copy_button, lambda: self.copy_button.setText(COPY_LABEL))

    def accept(self) -> None:
        if self.told.isChecked():  # Enter cannot start it unticked
            super().accept()


def confirm_told(parent: QWidget, kind: str) -> bool:
    """Show the notice (modal, as the recording consent is); True once the listener ticked and started."""
    return ConsentNotice(parent).exec() == QDialog.DialogCode.Accepted
