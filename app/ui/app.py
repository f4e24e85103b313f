"""The desktop app: `run_app(args)` and the main window shell (Live and Review pages, menus).

Window geometry and whether the first-run page was seen are UI state in QSettings;
the listener's settings have one owner, the window's `SettingsStore` (its file is
the one the CLI's --settings reads): Review's tuning drawer and the questions dialog
change them, live mode and Review follow every change. Every error any page reports reaches the one message
area at the top of the window (`messages.MessageArea`): a new message replaces the old one,
and an error clears when the next action succeeds. Help opens beside the window, never in it.
"""

from __future__ import annotations

import argparse
import functools
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, cast

from PySide6.QtCore import QByteArray, QSettings, Qt
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.errors import GlimpseError
from app.prompts.policy import load_bank
from app.run.choices import DEMO_VIDEO, demo_choice, parse_source
from app.settings.store import user_settings_path
from app.sources import capture
from app.store.session import open_session, sessions_root
from app.system import crashlog
from app.ui import theme
from app.ui.first_run import WelcomePage, ask_consent
from app.ui.guide import GuideWindow
from app.ui.live import LivePage
from app.ui.live_recording import ask_quit_while_recording
from app.ui.messages import ERROR, INFO, MessageArea
from app.ui.questions_dialog import QuestionsDialog
from app.ui.settings_store import gui_store
from app.ui.shortcuts import show_shortcuts
from app.ui.single_instance import SingleInstance

if TYPE_CHECKING:
    from app.ui.replay import ReplayPage

log = logging.getLogger(__name__)

class ReviewPlaceholder(QLabel):
    """Stands in for the review page when it is not part of this build."""

    def __init__(self, why: str):
        super().__init__(f"Review is not available: {why}", alignment=Qt.AlignmentFlag.AlignCenter, wordWrap=True)

    def open_path(self, path: str | Path) -> None:
        pass


class MainWindow(QMainWindow):
    """The shell: first-run page, then the Live and Review tabs, with menus and one message bar."""

    def __init__(self, args: argparse.Namespace | None = None, qsettings: QSettings | None = None,
                 settings_path: Path | None = None,
                 recordings_root: Callable[[], Path] = sessions_root,
                 list_cameras: Callable[[], list] = capture.list_cameras, demo_path: Path = DEMO_VIDEO,
                 confirm_consent: Callable[[QWidget], bool] = ask_consent,
                 confirm_quit: Callable[[QWidget, str], bool] = ask_quit_while_recording):
        """`confirm_consent` asks before the first recording, `confirm_quit` before closing on one (tests
        answer for the listener)."""
        super().__init__()
        self.confirm_quit = confirm_quit
        self.args = args
        self.qsettings = qsettings if qsettings is not None else QSettings("glimpse", "glimpse")
        self.settings_path = Path(settings_path) if settings_path else user_settings_path()
        self.settings_store = gui_store(self.settings_path, self)
        self.demo_path = Path(demo_path)
        self.recordings_root = recordings_root
        self.setWindowTitle("Glimpse")
        self.messages = MessageArea()
        self.guide: GuideWindow | None = None
        self.welcome = WelcomePage()
        self.welcome.done.connect(self._welcome_done)
        self.live = LivePage(self.settings_store, recordings_root, list_cameras, self.demo_path,
                             getattr(args, "model", None), confirm_consent, qsettings=self.qsettings)
        self.live.error.connect(self.show_error)
        self.live.watch.note.connect(lambda text: self.show_message(text, False))
        self.live.succeeded.connect(self.messages.succeeded)
        self.live.watch.qsettings = self.qsettings  # the watched screen region is remembered with the window's state
        self.live.recording_saved.connect(self._recording_saved)
        self.live.discreet_changed.connect(self._discreet_changed)
        self.review: ReplayPage | ReviewPlaceholder | None = None
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
        self._build_menus()
        geometry = self.qsettings.value("geometry", b"")
        if not isinstance(geometry, (QByteArray, bytes)) or not self.restoreGeometry(geometry):
            self.resize(1000, 760)
        if self.settings_store.problem:  # a broken settings file: said once, and set aside
            self.show_error(self.settings_store.problem)

    # -- menus ---------------------------------------------------------------------------------

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file = bar.addMenu("&File")
        self._add(file, "Open video or recording…", self.choose_and_open, QKeySequence.StandardKey.Open)
        self._add(file, "Save a session summary…", self.save_summary)
        file.addSeparator()
        self._add(file, "Quit", self.close, QKeySequence.StandardKey.Quit)

        live = bar.addMenu("&Live")
        self._add(live, "Start / stop", self._attempt(self.live.toggle_running), "Ctrl+Return")
        live.addAction(self.live.ask_action)
        self.record_action = self._add(live, "Record this session", self.live.record_button.toggle, "Ctrl+R")
        self.discreet_action = self._add(live, "Discreet mode", self.live.discreet_button.toggle, "Ctrl+D")
        live.addSeparator()
        self._add(live, "Play the demo recording", self._attempt(lambda: self.live.play(demo_choice(self.demo_path))))
        self._add(live, "Look for cameras again", self._attempt(self.live.refresh_sources))
        live.addSeparator()
        self._add(live, "Your questions…", self.edit_questions)

        view = bar.addMenu("&View")
        view.addAction(self.live.prompt_only_action)
        for label, check in (("Landmarks", self.live.landmarks_check), ("Mirror", self.live.mirror_check)):
            action = self._add(view, label, check.toggle)
            action.setCheckable(True)
            check.toggled.connect(action.setChecked)
        cue = view.addMenu("Cue when a question appears")
        group = QActionGroup(self)
        for key, label in (("off", "None (default)"), ("visual", "A gentle visual cue"),
                           ("sound", "A gentle visual cue and the system sound")):
            action = self._add(cue, label, functools.partial(setattr, self.live, "cue", key))
            action.setCheckable(True)
            action.setChecked(key == self.live.cue)
            group.addAction(action)

        help_menu = bar.addMenu("&Help")
        self.guide_action = self._add(help_menu, "How to use Glimpse", self.show_guide,
                                      QKeySequence.StandardKey.HelpContents)
        self._add(help_menu, "Keyboard shortcuts", lambda: show_shortcuts(self), "?")
        self._add(help_menu, "About Glimpse", self._about)

    def _attempt(self, action: Callable[[], object]) -> Callable[[], None]:
        """`action`, run for the listener: when it reports no new message, an earlier error is cleared."""
        def run(*_args: object) -> None:
            before = self.messages.shown_count
            action()
            if self.messages.shown_count == before:
                self.messages.succeeded()
        return run

    def _add(self, menu: QMenu, label: str, slot: Callable[[], object],
             shortcut: QKeySequence.StandardKey | str | None = None) -> QAction:
        action = QAction(label, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(lambda: slot())  # not `slot`: PySide would pass it `checked` as its first argument
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
        """The first-run page, in the window (only before the listener begins)."""
        self.stack.setCurrentWidget(self.welcome)

    def show_guide(self) -> GuideWindow:
        """Help: the guide in its own window, so the live view stays where it is."""
        if self.guide is None:
            self.guide = GuideWindow(self)
        self.guide.present()
        return self.guide

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
            if path := getattr(args, "path", None):
                self.review_page().open_path(path)
            return
        self.live.setFocus()
        if source := getattr(args, "source", None):  # `glimpse live --source screen:...` (the only one a window takes)
            self.live.play(parse_source(source))
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

    def review_page(self) -> ReplayPage | ReviewPlaceholder:
        """The Review page, imported on first use (it is the heavier one)."""
        if self.review is None:
            page: ReplayPage | ReviewPlaceholder
            try:
                from app.ui.replay import ReplayPage
                page = ReplayPage(self.settings_store, model_path=getattr(self.args, "model", None))
            except ModuleNotFoundError as exc:
                if exc.name != "app.ui.replay":
                    raise
                page = ReviewPlaceholder("this build has no review page yet.")
            shown = getattr(page, "message_shown", None)
            if shown is not None and hasattr(shown, "connect"):
                shown.connect(self.show_message)
            succeeded = getattr(page, "succeeded", None)
            if succeeded is not None and hasattr(succeeded, "connect"):
                succeeded.connect(self.messages.succeeded)
            menu_actions = getattr(page, "menu_actions", None)
            if callable(menu_actions):
                actions = menu_actions()
                self._give_up_taken_keys(actions)
                self.menuBar().insertMenu(self.menuBar().actions()[-1], self._review_menu(actions))
            self.review = page
            self.tabs.blockSignals(True)
            old = self.tabs.widget(1)
            assert old is not None  # the Review tab's stand-in, made in __init__
            self.tabs.removeTab(1)
            old.deleteLater()
            self.tabs.insertTab(1, page, "Review")
            self.tabs.blockSignals(False)
        return self.review

    def _review_menu(self, actions: list[QAction]) -> QMenu:
        menu = QMenu("&Review", self)
        menu.addActions(actions)
        return menu

    def _give_up_taken_keys(self, actions: list[QAction]) -> None:
        """A page's action keeps no shortcut the window's menus already use (File > Open is Ctrl+O and
        opens recordings too): Qt ignores a key that two actions of one window claim."""
        taken = {a.shortcut().toString() for menu in self.menuBar().actions() if isinstance(sub := menu.menu(), QMenu)
                 for a in sub.actions() if not a.shortcut().isEmpty()}
        for action in actions:
            if not action.shortcut().isEmpty() and action.shortcut().toString() in taken:
                action.setShortcut(QKeySequence())

    def _tab_changed(self, index: int) -> None:
        if index == 1:
            self.tabs.setCurrentWidget(self.review_page())
        # Space is "I just asked" on the Live tab only: on the Review tab it plays and pauses the video
        self.live.ask_action.setEnabled(self.tabs.currentWidget() is self.live)

    def open_in_review(self, path: str | Path) -> None:
        page = self.review_page()
        self.stack.setCurrentWidget(self.tabs)
        self.tabs.setCurrentWidget(page)
        page.open_path(str(path))

    def choose_and_open(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open a video or a recorded session", "",
                                              "Videos and recordings (*.mp4 *.mov *.avi *.mkv *.webm *.m4v "
                                              "session.json);;All files (*)")
        if path:
            self.open_in_review(Path(path).parent if Path(path).name == "session.json" else path)

    # -- messages ------------------------------------------------------------------------------

    def show_error(self, message: str) -> None:
        self.show_message(message, True)

    def show_message(self, message: str, is_error: bool) -> None:
        """A page's error or notice, in the window's one message area."""
        if is_error:
            log.warning("%s", message)
        self.messages.show_message(message, ERROR if is_error else INFO)

    def _recording_saved(self, folder: Path) -> None:
        self.messages.show_message(f"Recording saved in {folder}", INFO,
                                   ("Open in Review", lambda: self.open_in_review(folder)))

    def save_summary(self, folder: Path | None = None, out: Path | None = None) -> Path | None:
        """File > Save a session summary: a recorded session's page (HTML, or PDF when the name ends .pdf).
        Without `folder`: the session open in Review, else one the listener chooses."""
        if folder is None:
            folder = self._session_in_review()
        if folder is None:
            chosen = QFileDialog.getExistingDirectory(self, "Choose a recorded session", str(self.recordings_root()))
            if not chosen:
                return None
            folder = Path(chosen)
        if out is None:
            name, _ = QFileDialog.getSaveFileName(self, "Save the session summary", f"{Path(folder).name}.html",
                                                  "Web page (*.html);;PDF (*.pdf)")
            if not name:
                return None
            out = Path(name)
        from app.store import summary
        from app.ui.summary_pdf import write_pdf

        try:
            page = summary.to_html(summary.collect(open_session(folder)))
            written = write_pdf(page, out) if out.suffix.lower() == ".pdf" else summary.write_page(page, out)
        except (OSError, GlimpseError) as exc:
            self.show_error(f"The summary of {Path(folder).name} could not be saved: {exc}")
            return None
        self.messages.show_message(f"Summary saved in {written}", INFO)
        return written

    def _session_in_review(self) -> Path | None:
        """The recorded session open in Review (None: nothing, or a video file)."""
        rec = getattr(self.review, "recording", None)
        path = getattr(rec, "path", None)
        return path if isinstance(path, Path) and path.is_dir() else None

    def edit_questions(self) -> None:
        """Live > Your questions: edit the questions Glimpse offers; saved with the settings, and offered
        from now on (a running live session takes them between two frames, Review re-spots)."""
        try:
            built_in = load_bank()
        except GlimpseError as exc:
            self.show_error(str(exc))
            return
        dialog = QuestionsDialog(self.settings_store.settings.questions, built_in, self)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        try:
            self.settings_store.update(questions=dialog.questions())
            self.settings_store.flush()
        except GlimpseError as exc:
            self.show_error(str(exc))
            return
        self.messages.show_message("Your questions are saved; Glimpse offers them from now on.", INFO)

    def _discreet_changed(self, on: bool) -> None:
        if on:
            self.showMinimized()
        else:
            self.showNormal()
            self.raise_()
            self.activateWindow()

    def _about(self) -> None:
        from app.ui.about import show_about  # app/ui/about.py: model digest, licences, folders, diagnostics

        self.about_dialog = show_about(self, getattr(self.args, "model", None))

    def bring_forward(self, path: str | None = None) -> None:
        """A second start of Glimpse: this window comes forward (out of discreet mode), opening `path` in
        Review when it named a recording."""
        log.info("another start of Glimpse brought this window forward")
        if self.live.is_discreet():
            self.live.set_discreet(False)
        self.showNormal() if self.isMinimized() else self.show()
        self.raise_()
        self.activateWindow()
        if path:
            self.open_in_review(path)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt API
        """Asks first while recording (quitting stops the recording); then saves what is pending and stops."""
        if self.live.is_recording() and not self.confirm_quit(self, self.live.recording_clock()):
            event.ignore()
            return
        self.qsettings.setValue("geometry", self.saveGeometry())
        try:
            self.settings_store.flush()  # a change still waiting for the pause before its save
        except GlimpseError as exc:
            log.warning("%s", exc)
        if self.guide is not None:
            self.guide.close()
        self.live.shutdown()
        shutdown = getattr(self.review, "shutdown", None)
        if callable(shutdown):
            shutdown()
        super().closeEvent(event)


def make_application() -> QApplication:
    app = cast(QApplication | None, QApplication.instance()) or QApplication(sys.argv[:1])  # stubs: the base class
    app.setApplicationName("Glimpse")
    app.setOrganizationName("glimpse")
    app.setStyle("Fusion")
    theme.apply(app)
    theme.follow_system(app)
    return app


ALREADY_OPEN = "Glimpse is already open: its window was brought forward."
NO_ANSWER = ("Glimpse is already running, but its window did not answer. Close it (or end that program), then "
             "start Glimpse again.")


def run_app(args: argparse.Namespace) -> int:
    """`glimpse`, `glimpse live [--camera N] [--demo]`, `glimpse replay [PATH]`: one window per user (a
    second start brings the first forward, and hands it the recording to open)."""
    logging.basicConfig(level=logging.INFO, format="glimpse: %(message)s")
    app = make_application()
    instance = SingleInstance(parent=app)
    path = getattr(args, "path", None) if getattr(args, "command", None) == "replay" else None
    if not instance.acquire():
        return second_start(instance, str(Path(path).resolve()) if path else None)
    window = MainWindow(args)
    instance.woken.connect(window.bring_forward)
    window.show()
    window.begin()
    if (notice := crashlog.last_notice()) is not None:  # the start after a crash says where its report is
        window.messages.show_message(notice.text, "info")
    try:
        return app.exec()
    finally:
        instance.release()


def second_start(instance: SingleInstance, path: str | None) -> int:
    """Another Glimpse window is open: it comes forward (and opens `path`), or the listener is told why not."""
    if instance.ask_first(path):
        print(f"glimpse: {ALREADY_OPEN}", file=sys.stderr)
        return 0
    pid = instance.holder()  # for whoever reads the terminal; the window speaks in words only
    print(f"glimpse: {NO_ANSWER}" + (f" (its process id: {pid})" if pid else ""), file=sys.stderr)
    QMessageBox.information(None, "Glimpse is already running", NO_ANSWER)
    return 1
