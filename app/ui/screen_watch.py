"""Watching a video call from the live page: the "Watch part of the screen" source, the notice to the
other person before the first screen or camera of a session, the region picker and the frame that
shows what is watched, the remembered region (QSettings), and the global "I just asked" key.

On a Wayland desktop the entry is "Watch a window…": the desktop's own share dialog picks the window
(app/sources/portal.py) and the face is found in it, so there is no region to draw; where the desktop gives
no global key, that is said once, in words.

`ScreenWatch` is the live page's helper: the page asks `before_start(choice)` (False: not yet; this
shows the notice or the picker and starts the page again when they are done), and tells it
`started(worker, choice)` and `stopped()`. Everything here reacts to signals; nothing waits.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QSettings, QTimer, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QPushButton, QWidget

from app.errors import GlimpseError
from app.prompts.consent import NoticeLog, source_kind
from app.run.choices import SourceChoice
from app.sources.hotkey import DEFAULT_HOTKEY, GlobalHotkey, parse_hotkey
from app.sources.portal import is_wayland_session
from app.sources.screen import Region, ScreenSpec, access_problem
from app.ui.consent_notice import confirm_told
from app.ui.region_picker import RegionPicker
from app.ui.watch_frame import WatchFrame

if TYPE_CHECKING:
    from app.ui.live import LivePage
    from app.ui.worker import LiveWorker

WATCH_LABEL = "Watch part of the screen…"
WINDOW_LABEL = "Watch a window…"  # Wayland: the desktop shares a window (screen:portal)
REGION_KEY, HOTKEY_KEY = "live/screen_region", "live/hotkey"
DEFAULT_REGION = Region(0, 0, 640, 480)
REDRAW_MS = 300
NO_DESKTOP_PLATFORMS = ("offscreen", "minimal")  # Qt without a real desktop: no global key to grab
PAUSED_TEXT = "The call video paused: nothing is measured until it moves again."


def read_region(qsettings: QSettings) -> Region | None:
    """The remembered region, or None (never picked, or unreadable)."""
    text = qsettings.value(REGION_KEY)
    try:
        return Region(*(int(v) for v in str(text).split(","))) if text else None
    except (ValueError, TypeError, GlimpseError):
        return None


def write_region(qsettings: QSettings, region: Region) -> None:
    qsettings.setValue(REGION_KEY, f"{region.left},{region.top},{region.width},{region.height}")
    qsettings.sync()


class HotkeyBridge(QObject):
    """The global key as a Qt signal: the listener thread emits, the GUI thread receives (queued)."""

    pressed = Signal()
    unavailable = Signal(str)  # on Wayland, found out after start() returned: why there is no global key

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._key: GlobalHotkey | None = None

    def start(self, text: str) -> None:
        """Grab the key named `text` ("off": none); raises GlimpseError saying why it cannot be had."""
        self.stop()
        key = parse_hotkey(text)
        if key is not None:
            self._key = GlobalHotkey(key, self.pressed.emit, on_problem=self.unavailable.emit)
            self._key.start()

    def stop(self) -> None:
        key, self._key = self._key, None
        if key is not None:
            key.stop()


class ScreenWatch(QObject):
    note = Signal(str)  # a sentence for the window's message area (said once)

    def __init__(self, page: LivePage, qsettings: QSettings | None = None,
                 confirm: Callable[[QWidget, str], bool] = confirm_told):
        super().__init__(page)
        self.page = page
        self.qsettings = qsettings if qsettings is not None else QSettings("glimpse", "glimpse")
        self.confirm = confirm
        self.log = NoticeLog()
        self.frame = WatchFrame()
        self.picker: RegionPicker | None = None
        self.hotkey = HotkeyBridge(self)
        self.hotkey.pressed.connect(page.mark_asked)
        self.hotkey.unavailable.connect(self._key_unavailable)
        self._focus_only_said = False
        self.adjust_button = QPushButton("Adjust region")
        self.adjust_button.setToolTip("Drag a new rectangle over the person's video tile (Esc keeps the old one)")
        self.adjust_button.clicked.connect(self.adjust)
        self.adjust_button.hide()

    # -- the source list -------------------------------------------------------------------------

    @property
    def region(self) -> Region | None:
        return read_region(self.qsettings)

    def entry(self) -> SourceChoice:
        if is_wayland_session():
            return SourceChoice(WINDOW_LABEL, screen=ScreenSpec(portal=True))
        return SourceChoice(WATCH_LABEL, screen=ScreenSpec(region=self.region or DEFAULT_REGION))

    def selected(self, choice: SourceChoice | None) -> None:
        """The page's source changed (or its state): Adjust is offered for the screen source."""
        self.adjust_button.setVisible(choice is not None and choice.label == WATCH_LABEL)

    # -- starting and stopping -------------------------------------------------------------------

    def before_start(self, choice: SourceChoice) -> bool:
        kind = source_kind(choice.is_screen, choice.is_camera)
        if choice.screen is not None and not choice.screen.portal:  # the portal asks the desktop itself
            problem = access_problem()
            if problem:
                self.page.error.emit(problem)
                return False
        if self.log.needed(kind):
            if not self.confirm(self.page, kind):
                return False
            self.log.confirm(kind)
        if choice.label == WATCH_LABEL and self.region is None:
            self.pick(start_after=True)
            return False
        return True

    def started(self, worker: LiveWorker, choice: SourceChoice) -> None:
        screen = choice.screen
        if screen is not None and screen.region is not None and not screen.portal:
            self.frame.watch(screen.region)
            worker.call_paused.connect(lambda t_s: self.page.status_label.setText(PAUSED_TEXT))
        self.start_hotkey()

    def start_hotkey(self) -> None:
        """Grab the global key for this session; where it cannot be had, the "I just asked" button's
        tip says why (not the error bar: Space and the button still work)."""
        if QGuiApplication.platformName() in NO_DESKTOP_PLATFORMS:
            return
        text = str(self.qsettings.value(HOTKEY_KEY, DEFAULT_HOTKEY))
        try:
            self.hotkey.start(text)
            note = f"From any app: {text}" if parse_hotkey(text) else ""
        except GlimpseError as exc:
            note = str(exc)
        self._tip(note)

    def _tip(self, note: str) -> None:
        note = note[:1].upper() + note[1:]
        self.page.ask_button.setToolTip(f"{self.page.ask_action.toolTip()}. {note}" if note else
                                        self.page.ask_action.toolTip())

    def _key_unavailable(self, message: str) -> None:
        """Wayland without the shortcuts portal (or a shortcut not confirmed): the tip says why, and the
        message area says it once."""
        self._tip(message)
        if not self._focus_only_said:
            self._focus_only_said = True
            self.note.emit("\"I just asked\" works only while Glimpse has focus (Space) or with the discreet "
                           "strip's button: this desktop gives applications no global key.")

    def stopped(self) -> None:
        self.frame.hide()
        self.hotkey.stop()

    # -- the region ------------------------------------------------------------------------------

    def adjust(self) -> None:
        problem = access_problem()
        if problem:
            self.page.error.emit(problem)
            return
        self.pick(start_after=False)

    def pick(self, start_after: bool) -> None:
        """Open the picker once the screen has redrawn under a dialog just closed (the notice): its
        backdrop is a picture of the screen taken as it opens."""
        QTimer.singleShot(REDRAW_MS, self, lambda: self._open_picker(start_after))

    def _open_picker(self, start_after: bool) -> None:
        self.picker = RegionPicker(None if start_after else self.region)
        self.picker.picked.connect(lambda region: self._picked(region, start_after))
        self.picker.open()

    def _picked(self, region: Region, start_after: bool) -> None:
        write_region(self.qsettings, region)
        box = self.page.source_box
        for i in range(box.count()):
            if box.itemData(i).label == WATCH_LABEL:
                box.setItemData(i, self.entry())
        worker = self.page.worker
        if worker is not None and self.page.choice().label == WATCH_LABEL:
            worker.set_screen_region(region)  # swapped between two grabs
            self.frame.watch(region)
        elif start_after:
            self.page.start()
