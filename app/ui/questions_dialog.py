"""Your questions: edit, add and remove the questions Glimpse may offer, each checked as it is written
(open, not yes/no, no feeling words: `app.settings.questions`). Saved with the settings."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.settings.questions import bank_problems, problems

EDITABLE = Qt.ItemFlag.ItemIsEditable | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsEnabled


class QuestionsDialog(QDialog):
    """`QuestionsDialog(current, built_in)`; after `exec()`, `questions()` is the list to save: empty
    when it is the built-in bank unchanged (so a later Glimpse's better bank still reaches the listener)."""

    def __init__(self, current: Sequence[str], built_in: Sequence[str], parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Your questions")
        self.built_in = tuple(built_in)
        intro = QLabel("Glimpse offers one of these after a brief change. Keep them open (not answerable "
                       "with yes or no), calm, and about what the person is saying, never about their face or "
                       "a guess at what goes on inside them. Double-click a question to change it.")
        intro.setWordWrap(True)
        self.list = QListWidget()
        self.list.setWordWrap(True)
        self.list.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked
                                  | QAbstractItemView.EditTrigger.EditKeyPressed)
        self.list.itemChanged.connect(lambda _item: self._check())
        self.new_edit = QLineEdit(placeholderText="A new question, e.g. What happened then?")
        self.new_edit.textChanged.connect(self._check_new)
        self.new_edit.returnPressed.connect(self.add_question)
        self.add_button = QPushButton("Add")
        self.add_button.clicked.connect(self.add_question)
        self.remove_button = QPushButton("Remove")
        self.remove_button.clicked.connect(self.remove_selected)
        self.restore_button = QPushButton("Use the built-in questions")
        self.restore_button.clicked.connect(lambda: self._fill(self.built_in))
        self.problem_label = QLabel("", objectName="Help", wordWrap=True)  # type: ignore[call-overload]  # stubs omit inherited Qt properties
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        add_row = QHBoxLayout()
        add_row.addWidget(self.new_edit, 1)
        add_row.addWidget(self.add_button)
        edit_row = QHBoxLayout()
        edit_row.addWidget(self.remove_button)
        edit_row.addStretch(1)
        edit_row.addWidget(self.restore_button)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.list, 1)
        layout.addLayout(edit_row)
        layout.addLayout(add_row)
        layout.addWidget(self.problem_label)
        layout.addWidget(self.buttons)
        fm = self.fontMetrics()
        self.resize(fm.averageCharWidth() * 70, fm.lineSpacing() * 28)
        self._fill(tuple(current) or self.built_in)

    def listed(self) -> tuple[str, ...]:
        return tuple(self.list.item(i).text().strip() for i in range(self.list.count()))

    def questions(self) -> tuple[str, ...]:
        listed = self.listed()
        return () if listed == self.built_in else listed

    def add_question(self) -> bool:
        text = self.new_edit.text().strip()
        if not text or problems(text):
            self._check_new(text)
            return False
        self._append(text)
        self.new_edit.clear()
        self.list.scrollToBottom()
        self._check()
        return True

    def remove_selected(self) -> None:
        for item in self.list.selectedItems():
            self.list.takeItem(self.list.row(item))
        self._check()

    def _fill(self, questions: Sequence[str]) -> None:
        self.list.blockSignals(True)
        self.list.clear()
        for q in questions:
            self._append(q)
        self.list.blockSignals(False)
        self._check()

    def _append(self, text: str) -> None:
        item = QListWidgetItem(text)
        item.setFlags(EDITABLE)
        self.list.addItem(item)

    def _check_new(self, text: str) -> None:
        found = problems(text) if text.strip() else []
        self.add_button.setEnabled(bool(text.strip()) and not found)
        if found:
            self.problem_label.setText("This question: " + "; ".join(found) + ".")
        else:
            self._check()

    def _check(self) -> None:
        found = bank_problems(self.listed())
        self.problem_label.setText("; ".join(found) + "." if found else "")
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setEnabled(not found)
