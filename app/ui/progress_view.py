"""Analysis progress with time left, for the review page (the estimate is `app.system.progress`'s)."""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QSizePolicy, QWidget

from app.system.progress import Estimate, ProgressClock


class AnalysisProgress(QWidget):
    """A bar, "what" and "42% · about 1 min left", and Cancel. Feed `update(done, total)`; `start(what)`
    before, `finish()` after. `clock` is injectable so tests need not wait."""

    cancel_requested = Signal()

    def __init__(self, parent: QWidget | None = None, clock: Callable[[], float] = time.monotonic):
        super().__init__(parent)
        self._now = clock
        self._clock = ProgressClock()
        self.estimate = Estimate(0.0, None, 0.0)
        self.what = QLabel("")
        self.bar = QProgressBar()
        self.bar.setRange(0, 1000)
        self.bar.setTextVisible(False)
        self.left_label = QLabel("")
        self.left_label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel_requested)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.what)
        row.addWidget(self.bar, 1)
        row.addWidget(self.left_label)
        row.addWidget(self.cancel_button)
        self.hide()

    def start(self, what: str) -> None:
        self._clock.reset()
        self.what.setText(what)
        self.update_progress(0, 0)
        self.show()

    def update_progress(self, done: int, total: int) -> Estimate:
        self.estimate = self._clock.update(done, total, self._now())
        self.bar.setValue(round(1000 * self.estimate.done))
        self.left_label.setText(self.estimate.text() if total else "starting…")
        self.bar.setToolTip(f"{done} of {total} frames" if total else "")
        return self.estimate

    def finish(self) -> None:
        self.hide()
