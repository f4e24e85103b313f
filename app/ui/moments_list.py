"""The moments list: one row per moment, with the listener's mark and note, and the controls to set them."""

from __future__ import annotations

from typing import Any, Sequence

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (QAbstractItemView, QHBoxLayout, QHeaderView, QLabel, QLineEdit, QPushButton,
                               QTableView, QVBoxLayout, QWidget)

from ..review import HELPFUL, NOT_A_MOMENT, VERDICT_TITLES
from .player import format_time

COLUMNS = ("Time", "Length", "Regions", "Strength", "Suggested question", "Your mark", "Note")
COLUMN_WIDTHS = (80, 64, 110, 66, 0, 100, 0)  # 0: shares the rest
QUIET_TEXT = "(quiet time: no question shown)"


class MomentsModel(QAbstractTableModel):
    """Rows as `app.review.rows` makes them (a moment's fields plus `mark` and `note`)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.rows: list[dict] = []

    def set_rows(self, rows: Sequence[dict]) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self.endResetModel()

    def update_row(self, index: int, row: dict) -> None:
        self.rows[index] = row
        self.dataChanged.emit(self.index(index, 0), self.index(index, len(COLUMNS) - 1))

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation, role=Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role=Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        r, col = self.rows[index.row()], index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self.text(r, col)
        if role == Qt.ItemDataRole.ToolTipRole and col in (4, 6):
            return self.text(r, col)
        if role == Qt.ItemDataRole.ForegroundRole:
            if col == 4 and not r["prompted"]:
                return QColor(120, 124, 132)
            if col == 5 and r["mark"] == HELPFUL:
                return QColor(20, 130, 90)
            if col == 5 and r["mark"] == NOT_A_MOMENT:
                return QColor(170, 70, 50)
        if role == Qt.ItemDataRole.TextAlignmentRole and col in (0, 1, 3):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    @staticmethod
    def text(r: dict, col: int) -> str:
        if col == 0:
            return format_time(r["start_s"])
        if col == 1:
            return f"{1000 * r['duration_s']:.0f} ms"
        if col == 2:
            return ", ".join(r["regions"])
        if col == 3:
            return f"{r['strength']:.1f}"
        if col == 4:
            return r["prompt"] if r["prompted"] else QUIET_TEXT
        if col == 5:
            return VERDICT_TITLES[r["mark"]]
        return r["note"]


class MomentsList(QWidget):
    """The table of moments; below it, the selected moment's mark buttons and note."""

    moment_selected = Signal(int)
    verdict_changed = Signal(int, object)  # row, "helpful" / "not_a_moment" / None
    note_changed = Signal(int, str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.model = MomentsModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(24)
        # fixed widths: sizing columns to their contents reads every row on each re-spot (slow at 500 rows)
        header = self.table.horizontalHeader()
        for col, width in enumerate(COLUMN_WIDTHS):
            if width:
                header.setSectionResizeMode(col, QHeaderView.ResizeMode.Interactive)
                header.resizeSection(col, width)
            else:
                header.setSectionResizeMode(col, QHeaderView.ResizeMode.Stretch)
        self.table.selectionModel().currentRowChanged.connect(self._row_changed)

        self.count_label = QLabel("No moments yet.")
        self.helpful_button = QPushButton("Helpful")
        self.helpful_button.setToolTip("This was worth a question (H)")
        self.false_button = QPushButton("Not a moment")
        self.false_button.setToolTip("Nothing happened here, or it was not worth a question (X)")
        for button, verdict in ((self.helpful_button, HELPFUL), (self.false_button, NOT_A_MOMENT)):
            button.setCheckable(True)
            button.clicked.connect(lambda checked, v=verdict: self._verdict_clicked(v, checked))
        self.note_edit = QLineEdit()
        self.note_edit.setPlaceholderText("Note on this moment (saved with the recording)")
        self.note_edit.editingFinished.connect(self.commit_note)
        self._note_row: int | None = None
        marks = QHBoxLayout()
        marks.setContentsMargins(0, 0, 0, 0)
        marks.addWidget(self.count_label)
        marks.addStretch(1)
        marks.addWidget(self.helpful_button)
        marks.addWidget(self.false_button)
        marks.addWidget(self.note_edit, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table, 1)
        layout.addLayout(marks)
        self._sync_controls()

    # -- the model ------------------------------------------------------------------------------------------
    def set_rows(self, rows: Sequence[dict], selected: int | None = None) -> None:
        self._note_row = None  # the page commits a note being typed before it changes the rows
        self.model.set_rows(rows)
        n = len(rows)
        prompted = sum(1 for r in rows if r["prompted"])
        self.count_label.setText(f"{n} moment{'s' if n != 1 else ''}, {prompted} with a question"
                                 if n else "No moments with these settings.")
        self.select(selected)

    def update_row(self, index: int, row: dict) -> None:
        self.model.update_row(index, row)
        if index == self.current():
            self._sync_controls()

    def current(self) -> int | None:
        index = self.table.selectionModel().currentIndex()
        return index.row() if index.isValid() else None

    def select(self, row: int | None) -> None:
        """Select a row without announcing it (the page already knows)."""
        self.commit_note()
        sm = self.table.selectionModel()
        sm.blockSignals(True)
        if row is None or not 0 <= row < self.model.rowCount():
            sm.clearSelection()
            sm.setCurrentIndex(QModelIndex(), sm.SelectionFlag.Clear)
        else:
            sm.setCurrentIndex(self.model.index(row, 0), sm.SelectionFlag.ClearAndSelect | sm.SelectionFlag.Rows)
            self.table.scrollTo(self.model.index(row, 0))
        sm.blockSignals(False)
        self.table.viewport().update()
        self._sync_controls()

    # -- the listener's intent ------------------------------------------------------------------------------
    def _row_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        self.commit_note()
        self._sync_controls()
        if current.isValid():
            self.moment_selected.emit(current.row())

    def _verdict_clicked(self, verdict: str, checked: bool) -> None:
        self.commit_note()
        row = self.current()
        if row is not None:
            self.verdict_changed.emit(row, verdict if checked else None)
        self._sync_controls()

    def commit_note(self) -> None:
        """Hand over a note still being typed (before the rows or the selection change)."""
        row = self._note_row
        if row is not None and row < len(self.model.rows) and self.note_edit.text() != self.model.rows[row]["note"]:
            self.note_changed.emit(row, self.note_edit.text())

    def toggle_verdict(self, verdict: str) -> None:
        """Keyboard: set the selected moment's verdict, or clear it when it is already that."""
        self.commit_note()
        row = self.current()
        if row is not None:
            self.verdict_changed.emit(row, None if self.model.rows[row]["mark"] == verdict else verdict)

    def _sync_controls(self) -> None:
        row = self.current()
        r = self.model.rows[row] if row is not None and row < len(self.model.rows) else None
        for button, verdict in ((self.helpful_button, HELPFUL), (self.false_button, NOT_A_MOMENT)):
            button.setEnabled(r is not None)
            button.setChecked(r is not None and r["mark"] == verdict)
        self.note_edit.setEnabled(r is not None)
        self._note_row = row if r is not None else None
        self.note_edit.setText(r["note"] if r else "")
