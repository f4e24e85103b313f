"""The notice to the other person, shown before the first screen or camera of a session: the text
to read out or paste into the call chat, a Copy button, and "I have told them", which must be ticked
before watching starts. The words are in the core (`app/prompts/consent.py`)."""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
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


class ConsentNotice(QDialog):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(NOTICE_TITLE)
        self.setObjectName("ConsentNotice")
        self.text = QPlainTextEdit(NOTICE_TEXT, readOnly=True)
        self.text.setFixedHeight(84)
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
        layout.addWidget(self.text)
        layout.addLayout(row)
        layout.addWidget(QLabel(NOTICE_STORAGE, wordWrap=True, objectName="Quiet"))  # type: ignore[call-overload]  # stubs omit inherited Qt properties
        layout.addWidget(self.buttons)
        self.resize(520, 0)

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
