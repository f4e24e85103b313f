"""A side drawer that folds away when the window is too narrow for it (Review's tuning drawer).

The page beside a video call may be narrower than the review and the drawer need together (large
system fonts): the drawer then folds away by itself, and comes back when the window widens, unless
the listener closed it. Opened by hand in a narrow window, it asks the window for the room it needs.
The page reports its minimum width without the drawer (`without_drawer`), so the window can shrink.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QSize
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QSplitter, QWidget


class Drawer(QObject):
    """`drawer` beside `main` in `splitter` on `page`; `action` (checkable) opens and closes it."""

    def __init__(self, page: QWidget, splitter: QSplitter, main: QWidget, drawer: QWidget, action: QAction):
        super().__init__(page)
        self.page, self.splitter, self.main, self.drawer, self.action = page, splitter, main, drawer, action
        self.folded_for_width = False  # hidden because the window is narrow, not because the listener closed it
        action.toggled.connect(self.set_open)
        page.installEventFilter(self)

    def extra_width(self) -> int:
        """What the open drawer adds to the page's minimum width."""
        return self.drawer.minimumWidth() + self.splitter.handleWidth()

    def needed_width(self) -> int:
        margins = self.page.contentsMargins()
        return self.main.minimumSizeHint().width() + self.extra_width() + margins.left() + margins.right()

    def without_drawer(self, hint: QSize) -> QSize:
        if self.drawer.isVisibleTo(self.page):
            hint = QSize(max(0, hint.width() - self.extra_width()), hint.height())
        return hint

    def set_open(self, on: bool) -> None:
        self.folded_for_width = False
        if on and self.page.isVisible() and self.page.width() < self.needed_width():
            window = self.page.window()
            window.resize(window.width() + self.needed_width() - self.page.width(), window.height())
        self.drawer.setVisible(on)
        self._sync(on)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt API
        if obj is self.page and event.type() == QEvent.Type.Resize:
            self.fit()
        return False

    def fit(self) -> None:
        fits = self.page.width() >= self.needed_width()
        if self.drawer.isVisibleTo(self.page) and not fits:
            self.drawer.hide()
            self._sync(False)
            self.folded_for_width = True
        elif self.folded_for_width and fits:
            self.drawer.show()
            self._sync(True)
            self.folded_for_width = False

    def _sync(self, on: bool) -> None:
        if self.action.isChecked() != on:
            self.action.blockSignals(True)
            self.action.setChecked(on)
            self.action.blockSignals(False)
