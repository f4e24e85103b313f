"""Every menu action and every button of the main window, triggered with a recorded session open in Review,
raises nothing (issue 20: File > Save a session summary passed a bool where a folder was expected, and the
error reached only the crash log). Dialogs are answered by stand-ins; the live page plays the demo for real.

Checkable actions and buttons (and Start / stop) are triggered twice (on, then off), so both paths run and
the window is as it was for the next; Quit and Delete go last.
Buttons of windows the actions open (About, the shortcuts, the guide) are pressed too. A failure is an
exception in a slot or a thread, or one caught on the way and shown as an "Unexpected error".
"""

from __future__ import annotations

import shutil
import sys
import threading
from pathlib import Path

import pytest
import shiboken6
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QDialog,
    QFileDialog,
    QMenu,
    QMessageBox,
    QToolButton,
    QWidget,
)

from app.settings.schema import Settings
from app.settings.store import save
from app.ui.app import MainWindow
from app.ui.messages import ERROR
from tests.support.window import main_window

DATA = Path(__file__).parent / "data"
LAST = ("Quit", "Delete")  # actions that end what the others need: triggered at the end, in this order
TOGGLES = ("Start / stop", "Start", "Stop")  # pressed twice, as checkable ones: the page is as it was after
SETTLE_MS = 30
# Qt's own "»" buttons of a menu bar or toolbar too narrow for its entries: each pops up a menu of the
# actions that did not fit (triggered themselves above), in a loop of its own that nothing here answers
QT_MENU_BUTTONS = ("qt_menubar_ext_button", "qt_toolbar_ext_button")


class Answers:
    """What the stand-in dialogs answer, and what they were asked."""

    def __init__(self, tmp: Path, session: Path):
        self.tmp, self.session = tmp, session
        self.settings_file = tmp / "colleague.json"
        save(Settings().replace(sensitivity=60.0), self.settings_file)
        self.asked: list[str] = []

    def open_file(self, _parent: QWidget | None, caption: str = "", *_args: object, **_kw: object) -> tuple[str, str]:
        self.asked.append(caption)
        if "settings" in caption.lower():
            return str(self.settings_file), ""
        return str(self.session / "session.json") if "record" in caption.lower() else str(
            DATA / "injected_short.mp4"), ""

    def directory(self, _parent: QWidget | None, caption: str = "", *_args: object, **_kw: object) -> str:
        self.asked.append(caption)
        return str(self.session)

    def save_file(self, _parent: QWidget | None, caption: str = "", default: str = "", *_args: object,
                  **_kw: object) -> tuple[str, str]:
        self.asked.append(caption)
        out = self.tmp / "out"
        out.mkdir(exist_ok=True)
        return str(out / Path(default or "file.txt").name), ""


def reachable_actions(window: MainWindow) -> list[QAction]:
    """The menu bar's actions (submenus too) and every action the pages carry, once each."""
    found: list[QAction] = []

    def walk(actions: list[QAction]) -> None:
        for action in actions:
            if action.isSeparator() or action in found:
                continue
            if action.menu() is not None:
                walk(action.menu().actions())
            else:
                found.append(action)

    walk(window.menuBar().actions())
    for widget in [window, *window.findChildren(QWidget)]:
        walk(widget.actions())
    return found


def buttons_of(root: QWidget) -> list[QAbstractButton]:
    """Its buttons, less the toolbar buttons of its actions (the actions are triggered themselves)."""
    return [b for b in root.findChildren(QAbstractButton) if b.objectName() not in QT_MENU_BUTTONS
            and not (isinstance(b, QToolButton) and b.defaultAction() is not None)]


def press(qtbot, window: MainWindow, thing: QAction | QAbstractButton, where: str) -> str | None:
    """Trigger or click it (twice when it toggles), then let what it started finish; what was pressed, or
    None (disabled, or gone: a window an earlier press closed)."""
    if not shiboken6.isValid(thing) or not thing.isEnabled():
        return None
    name = f"{where}: {thing.text() or thing.toolTip() or thing.objectName() or type(thing.parent()).__name__}"
    for _ in range(2 if thing.isCheckable() or thing.text() in TOGGLES else 1):
        thing.trigger() if isinstance(thing, QAction) else thing.click()
        qtbot.wait(SETTLE_MS)
        # what it started ends before the next press: an analysis (Open video…), a live session stopping
        qtbot.waitUntil(lambda: not window.live._stopping, timeout=20_000)
        if window.review is not None:
            qtbot.waitUntil(lambda: not window.review.runner.busy(), timeout=120_000)
    return name


@pytest.fixture
def window(qtbot, tmp_path, monkeypatch):
    with main_window(qtbot, tmp_path, monkeypatch, size=(1400, 900), confirm_consent=lambda parent: True,
                     confirm_quit=lambda parent, clock: True) as w:
        yield w


def test_every_action_and_button_of_the_main_window_runs_without_an_error(qtbot, window, tmp_path, monkeypatch):
    session = tmp_path / "session"
    shutil.copytree(DATA / "recorded_session", session)
    answers = Answers(tmp_path, session)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", answers.open_file)
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", answers.directory)
    monkeypatch.setattr(QFileDialog, "getSaveFileName", answers.save_file)
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    for static in ("information", "warning", "critical"):  # Qt's own exec, out of reach of the patch below
        monkeypatch.setattr(QMessageBox, static, lambda *a, **k: QMessageBox.StandardButton.Ok)
    monkeypatch.setattr(QMessageBox, "exec", lambda self: QMessageBox.StandardButton.Cancel)
    monkeypatch.setattr(QDialog, "exec", lambda self: QDialog.DialogCode.Rejected)
    monkeypatch.setattr(QMenu, "exec", lambda self, *a, **k: None)
    thread_errors: list[object] = []
    monkeypatch.setattr(threading, "excepthook", thread_errors.append)
    hook_errors: list[object] = []
    monkeypatch.setattr(sys, "excepthook", lambda *exc: hook_errors.append(exc))
    shown: list[tuple[str, str]] = []  # a slot's exception caught on the way and shown is a failure too
    show = window.messages.show_message
    monkeypatch.setattr(window.messages, "show_message",
                        lambda text, kind=ERROR, *a, **k: (shown.append((kind, text)), show(text, kind, *a, **k)))

    window.begin()
    window.welcome.begin_button.click()  # no camera: the demo starts playing
    page = window.review_page()
    with qtbot.waitSignal(page.recording_opened, timeout=60_000):
        window.open_in_review(session)
    before = set(QApplication.topLevelWidgets())
    pressed: list[str | None] = []
    with qtbot.capture_exceptions() as exceptions:
        for tab in (window.live, page):  # some actions are for one page only (Space is "I just asked" on Live)
            window.tabs.setCurrentWidget(tab)
            actions = reachable_actions(window)
            things: list[tuple[QAction | QAbstractButton, str]] = [
                (a, "menu") for a in actions if not a.text().startswith(LAST)]
            things += [(b, type(b.parent()).__name__) for b in buttons_of(window)]
            pressed += [press(qtbot, window, thing, where) for thing, where in things]
        page.mode.what_if_button.click()  # the exports again, of the what-if view (opening goes back to live)
        pressed += [press(qtbot, window, a, "what-if") for a in page.menu_actions() if a.text().startswith("Export")]
        for other in set(QApplication.topLevelWidgets()) - before - {window}:  # About, shortcuts, guide, …
            if shiboken6.isValid(other):
                title = other.windowTitle()
                pressed += [press(qtbot, window, b, title) for b in buttons_of(other)]
        for name in LAST:
            pressed += [press(qtbot, window, a, "menu") for a in reachable_actions(window) if a.text().startswith(name)]
    done = sorted({p for p in pressed if p is not None})
    print(f"{len(done)} actions and buttons pressed:\n  " + "\n  ".join(done))
    assert not exceptions, "\n".join(f"{type(e[1]).__name__}: {e[1]}" for e in exceptions)
    assert not hook_errors and not thread_errors
    assert not [text for kind, text in shown if kind == ERROR and "Unexpected" in text], shown
    assert sum(p.startswith("menu: ") for p in done) >= 24 and len(done) >= 60  # every menu entry of today, at least
    assert {"session-what-if-moments.csv", "session-what-if-moments.json"} <= {p.name for p in (tmp_path / "out").iterdir()}
