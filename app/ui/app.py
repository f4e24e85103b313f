"""The desktop app: `run_app(args)` and the main window shell (Live and Review pages, menus).

Window geometry and whether the first-run page was seen are UI state in QSettings;
the spotting settings live in the core's settings file (shared with the CLI and
the review's tuning panel). Every error any page reports reaches the one message
bar at the top of the window.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Callable

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import (QApplication, QFileDialog, QFrame, QHBoxLayout, QLabel, QMainWindow, QMenu,
                               QMessageBox, QPushButton, QStackedWidget, QTabWidget, QToolButton, QVBoxLayout,
                               QWidget)

from .. import __version__, capture
from .. import settings as settings_mod
from ..session import sessions_root
from ..settings import Settings
from ..sources import DEMO_VIDEO, demo_choice, parse_source
from .first_run import WelcomePage, ask_consent
from .live import LivePage

log = logging.getLogger(__name__)

STYLE = """
#PromptCard { background: #f6f2ea; border: 1px solid #e3dccf; border-radius: 14px; }
#PromptCard QLabel, #PromptCardCompact QLabel { color: #2e3336; }
#DiscreetStrip { background: #f6f2ea; border: 1px solid #d8d0c1; }
#Notice { background: #edf2f5; border: 1px solid #d2dde4; border-radius: 8px; }
#MessageBar[kind="error"] { background: #fbefed; border: 1px solid #ebcdc8; border-radius: 8px; }
#MessageBar[kind="info"] { background: #eef5ef; border: 1px solid #cfe0d2; border-radius: 8px; }
#Quiet { color: #6b7378; }
#Status { color: #4b5357; }
#RecordingLabel { color: #b03a2e; font-weight: 600; }
QPushButton#RecordButton:checked { background: #b03a2e; color: white; border: 1px solid #8e2f25;
                                   border-radius: 4px; padding: 4px 10px; }
#WelcomeText { font-size: 11pt; }
"""


class MessageBar(QFrame):
    """One line at the top of the window for errors and notices, with an optional action."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent, objectName="MessageBar")
        self.text = QLabel("", wordWrap=True, textInteractionFlags=Qt.TextInteractionFlag.TextSelectableByMouse)
        self.action_button = QPushButton("")
        self.action_button.hide()
        close = QToolButton(text="✕", toolTip="Dismiss", autoRaise=True)
        close.clicked.connect(self.hide)
        row = QHBoxLayout(self)
        row.setContentsMargins(12, 6, 6, 6)
        row.addWidget(self.text, 1)
        row.addWidget(self.action_button)
        row.addWidget(close)
        self._action: Callable[[], None] | None = None
        self.action_button.clicked.connect(self._act)
        self.hide()

    def show_message(self, text: str, kind: str = "error", action: tuple[str, Callable[[], None]] | None = None):
        self.setProperty("kind", kind)
        self.style().unpolish(self)
        self.style().polish(self)
        self.text.setText(text)
        self._action = action[1] if action else None
        self.action_button.setText(action[0] if action else "")
        self.action_button.setVisible(action is not None)
        self.show()

    def _act(self) -> None:
        if self._action is not None:
            self._action()
        self.hide()


class ReviewPlaceholder(QLabel):
    """Stands in for the review page when it is not part of this build."""

    def __init__(self, why: str):
        super().__init__(f"Review is not available: {why}", alignment=Qt.AlignmentFlag.AlignCenter, wordWrap=True)

    def open_path(self, path) -> None:
        pass


class MainWindow(QMainWindow):
    """The shell: first-run page, then the Live and Review tabs, with menus and one message bar."""

    def __init__(self, args=None, qsettings: QSettings | None = None, settings_path: Path | None = None,
                 recordings_root: Callable[[], Path] = sessions_root,
                 list_cameras: Callable[[], list] = capture.list_cameras, demo_path: Path = DEMO_VIDEO,
                 confirm_consent: Callable[[QWidget], bool] = ask_consent):
        super().__init__()
        self.args = args
        self.qsettings = qsettings if qsettings is not None else QSettings("glimpse", "glimpse")
        self.settings_path = Path(settings_path) if settings_path else settings_mod.user_settings_path()
        self.demo_path = Path(demo_path)
        self.setWindowTitle("Glimpse")
        self.messages = MessageBar()
        self.welcome = WelcomePage()
        self.welcome.done.connect(self._welcome_done)
        self.live = LivePage(self.load_settings, recordings_root, list_cameras, self.demo_path,
                             getattr(args, "model", None), confirm_consent)
        self.live.error.connect(self.show_error)
        self.live.watch.qsettings = self.qsettings  # the watched screen region is remembered with the window's state
        self.live.recording_saved.connect(self._recording_saved)
        self.live.discreet_changed.connect(self._discreet_changed)
        self.review: QWidget | None = None
        self.tabs = QTabWidget(documentMode=True)
        self.tabs.addTab(self.live, "Live")
        self.tabs.addTab(QWidget(), "Review")  # built when first shown
        self.tabs.currentChanged.connect(self._tab_changed)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.welcome)
        self.stack.addWidget(self.tabs)
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(8, 8, 8, 0)
        layout.addWidget(self.messages)
        layout.addWidget(self.stack, 1)
        self.setCentralWidget(central)
        self._settings_message: str | None = None
        self._build_menus()
        if not self.restoreGeometry(self.qsettings.value("geometry", b"")):
            self.resize(1000, 760)

    # -- menus ---------------------------------------------------------------------------------

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file = bar.addMenu("&File")
        self._add(file, "Open video or recording…", self.choose_and_open, QKeySequence.StandardKey.Open)
        file.addSeparator()
        self._add(file, "Quit", self.close, QKeySequence.StandardKey.Quit)

        live = bar.addMenu("&Live")
        self._add(live, "Start / stop", self.live.toggle_running, "Ctrl+Return")
        live.addAction(self.live.ask_action)
        self.record_action = self._add(live, "Record this session", self.live.record_button.toggle, "Ctrl+R")
        self.discreet_action = self._add(live, "Discreet mode", self.live.discreet_button.toggle, "Ctrl+D")
        live.addSeparator()
        self._add(live, "Play the demo recording", lambda: self.live.play(demo_choice(self.demo_path)))
        self._add(live, "Look for cameras again", self.live.refresh_sources)

        view = bar.addMenu("&View")
        for label, check in (("Landmarks", self.live.landmarks_check), ("Mirror", self.live.mirror_check)):
            action = self._add(view, label, check.setChecked)
            action.setCheckable(True)
            check.toggled.connect(action.setChecked)
        cue = view.addMenu("Cue when a question appears")
        group = QActionGroup(self)
        for key, label in (("off", "None (default)"), ("visual", "A gentle visual cue"),
                           ("sound", "A gentle visual cue and the system sound")):
            action = self._add(cue, label, lambda _=False, k=key: setattr(self.live, "cue", k))
            action.setCheckable(True)
            action.setChecked(key == self.live.cue)
            group.addAction(action)

        help_menu = bar.addMenu("&Help")
        self._add(help_menu, "How to use Glimpse", self.show_welcome)
        self._add(help_menu, "About Glimpse", self._about)

    def _add(self, menu, label: str, slot, shortcut=None) -> QAction:
        action = QAction(label, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(slot)
        menu.addAction(action)
        return action

    # -- start-up ------------------------------------------------------------------------------

    def begin(self) -> None:
        """After show(): the first-run page once, then what the command line asked for."""
        if not self.qsettings.value("welcome_seen", False, type=bool):
            self.show_welcome()
        else:
            self._start_page()

    def show_welcome(self) -> None:
        self.stack.setCurrentWidget(self.welcome)

    def _welcome_done(self) -> None:
        first = not self.qsettings.value("welcome_seen", False, type=bool)
        self.qsettings.setValue("welcome_seen", True)
        self.stack.setCurrentWidget(self.tabs)
        if first:
            self._start_page()

    def _start_page(self) -> None:
        self.stack.setCurrentWidget(self.tabs)
        args = self.args
        command = getattr(args, "command", "live")
        if command == "replay":
            self.tabs.setCurrentIndex(1)
            if getattr(args, "path", None):
                self.review_page().open_path(args.path)
            return
        self.live.setFocus()
        if getattr(args, "source", None):  # `glimpse live --source screen:...` (the only --source a window takes)
            self.live.play(parse_source(args.source))
            return
        camera = getattr(args, "camera", None)
        if camera is not None and not getattr(args, "demo", False):
            if self.live.select_camera(camera):
                self.live.start()
                return
            self.show_error(f"camera {camera} was not found"
                            + ("; choose one from the list" if self.live.has_camera else ""))
        if getattr(args, "demo", False) or not self.live.has_camera:
            self.live.play(demo_choice(self.demo_path))

    # -- pages ---------------------------------------------------------------------------------

    def review_page(self) -> QWidget:
        """The Review page, imported on first use (it is the heavier one)."""
        if self.review is None:
            try:
                from .replay import ReplayPage
                page = ReplayPage(settings_path=self.settings_path, model_path=getattr(self.args, "model", None))
            except ModuleNotFoundError as exc:
                if exc.name != "app.ui.replay":
                    raise
                page = ReviewPlaceholder("this build has no review page yet.")
            error = getattr(page, "error", None)
            if error is not None and hasattr(error, "connect"):
                error.connect(self.show_error)
            menu_actions = getattr(page, "menu_actions", None)
            if callable(menu_actions):
                actions = menu_actions()
                self._give_up_taken_keys(actions)
                self.menuBar().insertMenu(self.menuBar().actions()[-1], self._review_menu(actions))
            self.review = page
            self.tabs.blockSignals(True)
            old = self.tabs.widget(1)
            self.tabs.removeTab(1)
            old.deleteLater()
            self.tabs.insertTab(1, page, "Review")
            self.tabs.blockSignals(False)
        return self.review

    def _review_menu(self, actions) -> QMenu:
        menu = QMenu("&Review", self)
        menu.addActions(actions)
        return menu

    def _give_up_taken_keys(self, actions) -> None:
        """A page's action keeps no shortcut the window's menus already use (File > Open is Ctrl+O and
        opens recordings too): Qt ignores a key that two actions of one window claim."""
        taken = {a.shortcut().toString() for menu in self.menuBar().actions() if menu.menu() is not None
                 for a in menu.menu().actions() if not a.shortcut().isEmpty()}
        for action in actions:
            if not action.shortcut().isEmpty() and action.shortcut().toString() in taken:
                action.setShortcut(QKeySequence())

    def _tab_changed(self, index: int) -> None:
        if index == 1:
            self.tabs.setCurrentWidget(self.review_page())
        # Space is "I just asked" on the Live tab only: on the Review tab it plays and pauses the video
        self.live.ask_action.setEnabled(self.tabs.currentWidget() is self.live)

    def open_in_review(self, path) -> None:
        page = self.review_page()
        self.stack.setCurrentWidget(self.tabs)
        self.tabs.setCurrentWidget(page)
        page.open_path(str(path))

    def choose_and_open(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open a video or a recording's session.json", "",
                                              "Videos and recordings (*.mp4 *.mov *.avi *.mkv *.webm *.m4v "
                                              "session.json);;All files (*)")
        if path:
            self.open_in_review(Path(path).parent if Path(path).name == "session.json" else path)

    # -- messages ------------------------------------------------------------------------------

    def show_error(self, message: str) -> None:
        log.warning("%s", message)
        self.messages.show_message(message, "error")

    def _recording_saved(self, folder: Path) -> None:
        self.messages.show_message(f"Recording saved in {folder}", "info",
                                   ("Open in Review", lambda: self.open_in_review(folder)))

    def load_settings(self) -> Settings:
        """The listener's settings, read at each start; a broken file is reported once and set aside."""
        settings, message = settings_mod.load_or_default(self.settings_path)
        if message and message != self._settings_message:
            self._settings_message = message
            self.show_error(message)
        return settings

    def _discreet_changed(self, on: bool) -> None:
        if on:
            self.showMinimized()
        else:
            self.showNormal()
            self.raise_()
            self.activateWindow()

    def _about(self) -> None:
        QMessageBox.about(self, "About Glimpse",
                          f"<p><b>Glimpse {__version__}</b></p><p>Notices brief facial changes and offers a "
                          "gentle, open question. Everything runs on this computer.</p>")

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt API
        self.qsettings.setValue("geometry", self.saveGeometry())
        self.live.shutdown()
        shutdown = getattr(self.review, "shutdown", None)
        if callable(shutdown):
            shutdown()
        super().closeEvent(event)


def make_application() -> QApplication:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Glimpse")
    app.setOrganizationName("glimpse")
    app.setStyle("Fusion")
    app.setStyleSheet(STYLE)
    return app


def run_app(args) -> int:
    """`glimpse`, `glimpse live [--camera N] [--demo]`, `glimpse replay [PATH]`."""
    logging.basicConfig(level=logging.INFO, format="glimpse: %(message)s")
    app = make_application()
    window = MainWindow(args)
    window.show()
    window.begin()
    return app.exec()
