"""The moments list: one row per moment, with the listener's mark and note, and the controls to set them.

Readable at any font size: column widths and row heights come from the font, long questions and
notes are elided in the table with the whole text in the tooltip, the note field wraps, and a
moment's strength is a word (slight / clear / strong, against the threshold), not a bare number.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QEvent, QModelIndex, QObject, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QColor, QFocusEvent, QKeyEvent, QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QStyle,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.run.review_model import LIVE, WHAT_IF, ReviewResult
from app.settings.schema import Settings
from app.spotting.spotter import threshold_for
from app.spotting.strength import relative
from app.store.marks import HELPFUL, NOT_A_MOMENT, VERDICT_TITLES
from app.system.progress import format_length, format_time
from app.ui.elide import ElidedLabel
from app.ui.theme import tones_for

COLUMNS = ("Time", "Length", "Regions", "Strength", "Question", "Mark", "Note")
COLUMN_TIPS = ("When the moment started", "How long the change lasted", "Where on the face it was",
               "How far past the threshold the change went: slight, clear or strong",
               "",  # the question column's: QUESTION_HEADERS, by view
               "Your word on this moment", "Your note on this moment")
# widths as the text they must hold in the current font; the question column takes the rest
# the note itself is in the field below
COLUMN_SAMPLES = ("00:00.0", "under 0.1 s", "brows, mouth", "strong", "", "Not a moment", "Note")
QUESTION_COLUMN = 4
QUESTION_HEADERS = {  # the question column's title and tooltip in each view of Review
    LIVE: ("Question shown", "The question shown live at this moment (none in the quiet time after one)"),
    WHAT_IF: ("Question", "The question these settings would offer at this moment (none in the quiet time "
                          "after one)")}
QUESTION_MIN_CHARS = 14  # below this the other columns give up their room first (the question elides, whole in
# its tooltip, so the columns' titles need not be cut at 175% text in a 1280 px window)
SHRINK_FIRST = (2, 1, 5)  # regions, length, mark: narrowed to their titles when room is short
ELIDE_FIRST = (6, 5, 2, 1, 3)  # then note, mark, regions, length, strength: cut, title and all (the header's
ELIDED_MIN = "Ab…"  # tooltip holds the whole title), never narrower than this; the time is never cut
CELL_PADDING_PX = 18
QUIET_TEXT = "(quiet time: no question shown)"
NO_MOMENTS_TEXT = "No moments with these settings."
ANALYSING_TEXT = "Analysing… the moments appear here when it is done."
DEFAULT_THRESHOLD = threshold_for(Settings().sensitivity)  # until the page says which settings found the moments
NOTE_LINES = 2  # the note field shows this many lines and wraps


class MomentsModel(QAbstractTableModel):
    """Rows as `app.store.marks.rows` makes them (a moment's fields plus `mark` and `note`)."""

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.rows: list[dict] = []
        self.threshold = DEFAULT_THRESHOLD
        self.row_thresholds: tuple[float, ...] = ()  # each row's own, where moments were found at different ones
        self.view = WHAT_IF
        self.colors = {"quiet": QColor(120, 124, 132), HELPFUL: QColor(20, 130, 90), NOT_A_MOMENT: QColor(170, 70, 50)}

    def set_threshold(self, threshold: float, per_row: Sequence[float] = ()) -> None:
        self.threshold = float(threshold)
        self.row_thresholds = tuple(float(t) for t in per_row)
        if self.rows:
            self.dataChanged.emit(self.index(0, 3), self.index(len(self.rows) - 1, 3))

    def set_view(self, view: str) -> None:
        """LIVE: the rows are what was shown live; WHAT_IF: what the settings would find."""
        self.view = view
        self.headerDataChanged.emit(Qt.Orientation.Horizontal, QUESTION_COLUMN, QUESTION_COLUMN)

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

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal or role not in (Qt.ItemDataRole.DisplayRole,
                                                                    Qt.ItemDataRole.ToolTipRole):
            return None
        title, tip = QUESTION_HEADERS[self.view] if section == QUESTION_COLUMN else (COLUMNS[section],
                                                                                       COLUMN_TIPS[section])
        return title if role == Qt.ItemDataRole.DisplayRole else f"{title}: {tip}"  # the whole title, if cut

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        r, col = self.rows[index.row()], index.column()
        threshold = self.row_thresholds[index.row()] if index.row() < len(self.row_thresholds) else self.threshold
        if role == Qt.ItemDataRole.DisplayRole:
            return self.text(r, col, threshold)
        if role == Qt.ItemDataRole.ToolTipRole and col in (1, 2, 4, 5, 6):
            return self.text(r, col)
        if role == Qt.ItemDataRole.ToolTipRole and col == 3:
            return relative(r["strength"], threshold).describe()
        if role == Qt.ItemDataRole.ForegroundRole:
            if col == 4 and not r["prompted"]:
                return self.colors["quiet"]
            if col == 5 and r["mark"] in (HELPFUL, NOT_A_MOMENT):
                return self.colors[r["mark"]]
        if role == Qt.ItemDataRole.TextAlignmentRole and col in (0, 1):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    @staticmethod
    def text(r: dict, col: int, threshold: float = DEFAULT_THRESHOLD) -> str:
        if col == 0:
            return format_time(r["start_s"])
        if col == 1:
            return format_length(r["duration_s"])
        if col == 2:
            return ", ".join(r["regions"])
        if col == 3:
            return relative(r["strength"], threshold).word
        if col == 4:
            return r["prompt"] if r["prompted"] else QUIET_TEXT
        if col == 5:
            return VERDICT_TITLES[r["mark"]]
        return r["note"]


class NoteEdit(QPlainTextEdit):
    """A note that wraps, with the line edit's small API: `text()`, `setText()`, `editingFinished`
    (on Enter and when focus leaves; Shift+Enter starts a new line)."""

    editingFinished = Signal()  # noqa: N815 - as QLineEdit's

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setTabChangesFocus(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self._fit_height()

    def text(self) -> str:
        return self.toPlainText()

    def setText(self, text: str) -> None:  # noqa: N802 - as QLineEdit's
        self.setPlainText(text)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt API
        shift = event.modifiers() & Qt.KeyboardModifier.ShiftModifier
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not shift:
            self.editingFinished.emit()
            return
        super().keyPressEvent(event)

    def focusOutEvent(self, event: QFocusEvent) -> None:  # noqa: N802 - Qt API
        super().focusOutEvent(event)
        self.editingFinished.emit()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt API
        super().changeEvent(event)
        if event.type() == event.Type.FontChange:
            self._fit_height()

    def _fit_height(self) -> None:
        margins = self.contentsMargins()
        self.setFixedHeight(self.fontMetrics().lineSpacing() * NOTE_LINES + 2 * int(self.document().documentMargin())
                            + margins.top() + margins.bottom())


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
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        header.setTextElideMode(Qt.TextElideMode.ElideRight)
        self._fit_columns()
        self.table.selectionModel().currentRowChanged.connect(self._row_changed)

        self.count_label = ElidedLabel("No moments yet.")
        self.helpful_button = QPushButton("Helpful")
        self.helpful_button.setToolTip("This was worth a question (H)")
        self.false_button = QPushButton("Not a moment")
        self.false_button.setToolTip("Nothing happened here, or it was not worth a question (X)")
        for button, verdict in ((self.helpful_button, HELPFUL), (self.false_button, NOT_A_MOMENT)):
            button.setCheckable(True)
            button.clicked.connect(lambda checked, v=verdict: self._verdict_clicked(v, checked))
        self.note_edit = NoteEdit()
        self.note_edit.setPlaceholderText("Note on this moment (saved with the recording)")
        self.note_edit.setToolTip("Saved with the recording. Enter keeps it; Shift+Enter starts a new line.")
        self.note_edit.editingFinished.connect(self.commit_note)
        self._note_row: int | None = None
        marks = QHBoxLayout()
        marks.setContentsMargins(0, 0, 0, 0)
        marks.addWidget(self.count_label, 1)
        marks.addWidget(self.helpful_button)
        marks.addWidget(self.false_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table, 1)
        layout.addLayout(marks)
        layout.addWidget(self.note_edit)  # a row of its own, full width: it never gets squeezed
        self._analysing = False
        self._recolor()
        self._sync_controls()

    # -- the model ------------------------------------------------------------------------------------------
    def set_rows(self, rows: Sequence[dict], selected: int | None = None) -> None:
        self._note_row = None  # the page commits a note being typed before it changes the rows
        self.model.set_rows(rows)
        n = len(rows)
        prompted = sum(1 for r in rows if r["prompted"])
        self.count_label.setText(f"{n} moment{'s' if n != 1 else ''}, {prompted} with a question"
                                 if n else ANALYSING_TEXT if self._analysing else NO_MOMENTS_TEXT)
        self.select(selected)

    def show_result(self, result: ReviewResult) -> None:
        """What Review's model computed: the view's rows (one selected), against the view's thresholds."""
        self.model.set_threshold(result.threshold, result.row_thresholds)
        self.set_view(result.view)
        self.set_rows(result.rows, result.selected)

    def set_threshold(self, threshold: float, per_row: Sequence[float] = ()) -> None:
        """The threshold the moments were found with: their strength words are relative to it. `per_row`:
        each moment's own, when they were found at different ones (live, after 'I just asked')."""
        self.model.set_threshold(threshold, per_row)

    def set_view(self, view: str) -> None:
        """Which view of Review the rows are (review_mode.LIVE or WHAT_IF): the question column says so."""
        self.model.set_view(view)
        self._fit_columns()  # its title's width differs by view

    def set_analysing(self, on: bool) -> None:
        """While an analysis runs, an empty list says so instead of "No moments with these settings."."""
        self._analysing = on
        if not self.model.rows:
            self.count_label.setText(ANALYSING_TEXT if on else NO_MOMENTS_TEXT)

    # -- readable at any font size ----------------------------------------------------------------------------
    def _fit_columns(self) -> None:
        """Widths and row height from the font, and the question column first in line for the room (fixed
        widths, not sized to contents: that reads every row on each re-spot, slow at 500 rows). When even
        the titles do not fit (a large font, a narrow window), columns are cut with an ellipsis, not
        pushed out of sight."""
        fm, header = self.table.fontMetrics(), self.table.horizontalHeader()
        self.table.verticalHeader().setDefaultSectionSize(fm.height() + CELL_PADDING_PX // 2)
        header.setStretchLastSection(False)
        title = [header.fontMetrics().horizontalAdvance(t) + CELL_PADDING_PX for t in COLUMNS]
        widths = [max(fm.horizontalAdvance(sample) + CELL_PADDING_PX, title[col]) if sample else 0
                  for col, sample in enumerate(COLUMN_SAMPLES)]
        # the viewport's width less a vertical scroll bar (kept for it: rows come and go without a refit)
        room = self.table.maximumViewportSize().width() - self.table.style().pixelMetric(
            QStyle.PixelMetric.PM_ScrollBarExtent, None, self.table)
        question_title = str(self.model.headerData(QUESTION_COLUMN, Qt.Orientation.Horizontal))
        question_min = max(fm.averageCharWidth() * QUESTION_MIN_CHARS,
                           header.fontMetrics().horizontalAdvance(question_title) + CELL_PADDING_PX)
        for col in SHRINK_FIRST:
            if room - sum(widths) >= question_min:
                break
            widths[col] = title[col]
        over = sum(widths) + question_min - room
        floor = fm.horizontalAdvance(ELIDED_MIN) + CELL_PADDING_PX
        header.setMinimumSectionSize(min(floor, *title))
        for col in ELIDE_FIRST:
            cut = min(max(over, 0), max(widths[col] - floor, 0))
            widths[col] -= cut
            over -= cut
        widths[QUESTION_COLUMN] = max(question_min, room - sum(widths))
        for col, width in enumerate(widths):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.Interactive)
            header.resizeSection(col, width)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt API
        super().resizeEvent(event)
        self._fit_columns()

    def _recolor(self) -> None:
        t = tones_for(self)
        self.model.colors = {"quiet": QColor(t.muted), HELPFUL: QColor(t.helpful), NOT_A_MOMENT: QColor(t.not_a_moment)}

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt API
        super().changeEvent(event)
        if event.type() == event.Type.FontChange:
            self._fit_columns()
        elif event.type() == event.Type.PaletteChange:
            self._recolor()

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
