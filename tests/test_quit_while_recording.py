"""Closing the window while recording asks first (issue 20 item 5: it closed at once). "Keep recording" leaves
the window open and the recording running; "Stop recording and quit" closes it and the session is complete.
"""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from app.store.session import list_sessions, open_session
from app.ui.app import MainWindow
from app.ui.live_recording import QUIT_NO, QUIT_YES, ask_quit_while_recording


@pytest.fixture
def recording(qtbot, tmp_path):
    """A window recording the demo, whose close question answers from `answers` (and notes the clock)."""
    qs = QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat)
    qs.setValue("welcome_seen", True)
    answers: list[bool] = []
    asked: list[str] = []

    def confirm_quit(_parent: object, clock: str) -> bool:
        asked.append(clock)
        return answers.pop(0) if answers else True  # the test's answer; then quit (the window is closed after it)

    window = MainWindow(None, qs, tmp_path / "settings.json", lambda: tmp_path / "sessions", lambda: [],
                        confirm_consent=lambda parent: True, confirm_quit=confirm_quit)
    qtbot.addWidget(window)
    window.show()
    window.begin()  # no camera: the demo plays
    window.live.record_button.click()
    qtbot.waitUntil(window.live.is_recording, timeout=20_000)
    yield window, answers, asked
    window.live.shutdown()


def test_keep_recording_leaves_the_window_open_and_the_recording_running(qtbot, recording):
    window, answers, asked = recording
    answers.append(False)
    assert not window.close()
    assert window.isVisible() and window.live.is_recording() and window.live.is_running()
    assert len(asked) == 1 and asked[0].count(":") == 1  # the recording's length, m:ss


def test_stop_recording_and_quit_closes_and_completes_the_session(qtbot, recording, tmp_path):
    window, answers, asked = recording
    qtbot.waitUntil(lambda: window.live.preview.frames_painted > 10, timeout=20_000)
    answers.append(True)
    assert window.close()
    assert asked and not window.isVisible() and not window.live.worker.is_alive()  # joined on close
    (folder,) = list_sessions(tmp_path / "sessions")
    assert "ended" in json.loads((folder / "session.json").read_text(encoding="utf-8"))
    assert len(open_session(folder).table) > 0


def test_closing_without_a_recording_asks_nothing(qtbot, tmp_path):
    qs = QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat)
    window = MainWindow(None, qs, tmp_path / "settings.json", lambda: tmp_path / "sessions", lambda: [],
                        confirm_quit=lambda parent, clock: pytest.fail("asked without a recording"))
    qtbot.addWidget(window)
    window.show()
    assert window.close()


@pytest.mark.parametrize("button, answer", [(QUIT_NO, False), (QUIT_YES, True)])
def test_the_question_s_two_buttons(qtbot, button, answer):
    """The question itself: its two buttons, in plain words; Keep recording is the default."""
    seen: list[str] = []

    def click() -> None:
        box = QApplication.activeModalWidget()
        assert isinstance(box, QMessageBox)
        seen.append(box.text())
        assert box.defaultButton().text() == QUIT_NO
        next(b for b in box.buttons() if b.text() == button).click()

    QTimer.singleShot(0, click)
    assert ask_quit_while_recording(None, "1:05") is answer
    assert "recording this session for 1:05" in seen[0] and "kept" in seen[0]
