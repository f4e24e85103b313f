"""The Live page's recording controls: consent the first time, the Record button, the running clock, and
the question asked before the window closes on a recording.

A mixin of `LivePage` (it uses the page's worker, buttons and labels); nothing here touches the video.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QMessageBox, QWidget

from app.ui.mixin import PageMixin

if TYPE_CHECKING:
    from PySide6.QtCore import QTimer, Signal
    from PySide6.QtWidgets import QLabel, QPushButton

    from app.ui.discreet import DiscreetStrip
    from app.ui.worker import LiveWorker

QUIT_TITLE = "Stop recording and quit?"
QUIT_TEXT = ("Glimpse has been recording this session for {clock}. Quitting stops the recording; what was "
             "recorded so far is kept in its folder.")
QUIT_YES, QUIT_NO = "Stop recording and quit", "Keep recording"


def ask_quit_while_recording(parent: QWidget, clock: str) -> bool:
    """True when the listener confirms quitting, which stops the recording (`clock`: its length, m:ss)."""
    box = QMessageBox(QMessageBox.Icon.Question, QUIT_TITLE, QUIT_TEXT.format(clock=clock), parent=parent)
    stop = box.addButton(QUIT_YES, QMessageBox.ButtonRole.DestructiveRole)
    box.setDefaultButton(box.addButton(QUIT_NO, QMessageBox.ButtonRole.RejectRole))
    box.exec()
    return box.clickedButton() is stop


class LiveRecording(PageMixin):
    """Record / Stop recording for `LivePage`: asks for consent once, shows the time while recording."""

    if TYPE_CHECKING:  # the page's own, used here
        worker: LiveWorker | None
        strip: DiscreetStrip | None
        record_button: QPushButton
        recording_label: QLabel
        recording_saved: Signal
        confirm_consent: Callable[[QWidget], bool]
        _sessions_root: Callable[[], Path]
        _clock: QTimer
        _consent_given: bool
        _recording_folder: Path | None
        _recording_since: float

    def _record_toggled(self, on: bool) -> None:
        if on and not self._consent_given:
            if not self.confirm_consent(self):
                self._set_record_button(False)
                return
            self._consent_given = True
        if self.worker is None:
            return  # starts (or not) with the next session
        if on:
            self.worker.start_recording(self._sessions_root())
        else:
            self.worker.stop_recording()

    def _set_record_button(self, on: bool) -> None:
        self.record_button.blockSignals(True)
        self.record_button.setChecked(on)
        self.record_button.setText("Stop recording" if on else "Record")
        self.record_button.blockSignals(False)

    def _on_recording(self, folder: Path | None) -> None:
        if folder is not None:
            self._recording_folder, self._recording_since = Path(folder), time.monotonic()
            self._set_record_button(True)
            self._show_recording_time()
            self._clock.start()
        else:
            saved, self._recording_folder = self._recording_folder, None
            self._clock.stop()
            self.recording_label.setText("")
            self._set_record_button(False)  # the next session is recorded only if asked again
            if saved is not None:
                self.recording_saved.emit(saved)
        if self.strip is not None:
            self.strip.set_recording(folder is not None)
        self.window().setWindowTitle(("● Recording — " if folder is not None else "") + "Glimpse")

    def is_recording(self) -> bool:
        return self._recording_folder is not None

    def recording_clock(self) -> str:
        """How long the recording has been running, m:ss."""
        seconds = int(time.monotonic() - self._recording_since)
        return f"{seconds // 60}:{seconds % 60:02d}"

    def _show_recording_time(self) -> None:
        self.recording_label.setText(f"● Recording  {self.recording_clock()}")
