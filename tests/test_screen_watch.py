"""Watching a call from the app: the notice to the other person (blocks starting until ticked, no
emotion words), the region picker (returns the dragged rectangle, Esc cancels, adjusts a preset),
the remembered region, the click-through frame, the discreet strip's countdown, the global key's
parsing and, under Xvfb, the key pressed while another window has focus."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time

import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, QRect, QSettings, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication

from app.errors import HotkeyUnavailable, OptionInvalid
from app.prompts.consent import NOTICE_INTRO, NOTICE_STORAGE, NOTICE_TEXT, NoticeLog, source_kind
from app.run.choices import SourceChoice, demo_choice
from app.settings.store import SettingsStore
from app.sources.hotkey import DEFAULT_HOTKEY, GlobalHotkey, HotKey, hotkey_problem, parse_hotkey
from app.sources.screen import Region, ScreenSpec
from app.ui.consent_notice import ConsentNotice
from app.ui.discreet import DiscreetStrip
from app.ui.live import LivePage
from app.ui.region_picker import RegionPicker
from app.ui.screen_watch import WATCH_LABEL, read_region
from app.ui.watch_frame import BORDER_PX, WatchFrame
from tests.support.xserver import virtual_display, xvfb_missing
from tests.test_live_widgets import EMOTION_WORDS

# --- the notice ----------------------------------------------------------------------------------

def test_the_notice_has_no_emotion_words_and_says_nothing_is_stored():
    for text in (NOTICE_TEXT, NOTICE_INTRO, NOTICE_STORAGE):
        words = set(re.findall(r"[a-z']+", text.lower()))
        assert not words & set(EMOTION_WORDS), text
    assert "Nothing is recorded or sent anywhere unless we agree" in NOTICE_TEXT


def test_the_notice_blocks_starting_until_ticked_and_copies_its_text(qtbot):
    notice = ConsentNotice()
    qtbot.addWidget(notice)
    assert not notice.start_button.isEnabled()
    notice.accept()  # Enter, unticked
    assert notice.result() != notice.DialogCode.Accepted
    notice.copy_button.click()
    assert QApplication.clipboard().text() == NOTICE_TEXT and notice.copy_button.text() == "Copied"
    notice.told.setChecked(True)
    assert notice.start_button.isEnabled()
    notice.start_button.click()
    assert notice.result() == notice.DialogCode.Accepted


def test_the_notice_is_asked_once_per_kind_of_source():
    log = NoticeLog()
    assert log.needed("screen") and log.needed("camera") and not log.needed("file")
    log.confirm("screen")
    assert not log.needed("screen") and log.needed("camera")
    assert source_kind(True, False) == "screen" and source_kind(False, True) == "camera"
    assert source_kind(False, False) == "file"


@pytest.fixture
def page(qtbot, tmp_path):
    page = LivePage(SettingsStore(), lambda: tmp_path / "sessions", lambda: [], confirm_consent=lambda parent: True)
    page.watch.qsettings = QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat)
    qtbot.addWidget(page)
    yield page
    page.shutdown()


def test_a_camera_does_not_start_until_the_listener_has_told_them(qtbot, page):
    asked = []
    page.watch.confirm = lambda parent, kind: asked.append(kind) or False
    page.play(SourceChoice("camera 57", camera=57))
    assert asked == ["camera"] and page.worker is None  # not ticked: nothing opened
    page.watch.confirm = lambda parent, kind: asked.append(kind) or True
    page.start()
    assert asked == ["camera", "camera"] and page.worker is not None
    qtbot.waitUntil(lambda: page.worker is None, timeout=20000)  # camera 57 does not exist
    page.start()
    assert asked == ["camera", "camera"]  # told once this session
    qtbot.waitUntil(lambda: page.worker is None, timeout=20000)


def test_the_demo_needs_no_notice(qtbot, page):
    page.watch.confirm = lambda parent, kind: pytest.fail("a file watches nobody")
    page.play(demo_choice())
    assert page.worker is not None
    page.stop()
    qtbot.waitUntil(lambda: page.worker is None, timeout=20000)


def test_a_screen_that_cannot_be_read_is_said_in_plain_words(qtbot, page, monkeypatch):
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-0")
    monkeypatch.setattr("platform.system", lambda: "Linux")
    errors = []
    page.error.connect(errors.append)
    page.watch.confirm = lambda parent, kind: pytest.fail("refused before the notice")
    page.play(SourceChoice(WATCH_LABEL, screen=ScreenSpec(region=Region(0, 0, 640, 480))))  # an X grab
    assert page.worker is None and errors and "Wayland" in errors[0] and "camera" in errors[0]


# --- the picker and the remembered region --------------------------------------------------------

def mouse(widget, kind: QEvent.Type, x: int, y: int) -> None:
    button = Qt.MouseButton.LeftButton
    buttons = Qt.MouseButton.NoButton if kind == QEvent.Type.MouseButtonRelease else button
    pos = QPointF(x, y)
    QApplication.sendEvent(widget, QMouseEvent(kind, pos, widget.mapToGlobal(pos), button, buttons,
                                               Qt.KeyboardModifier.NoModifier))


def drag(widget, start: tuple[int, int], end: tuple[int, int]) -> None:
    mouse(widget, QEvent.Type.MouseButtonPress, *start)
    mouse(widget, QEvent.Type.MouseMove, (start[0] + end[0]) // 2, (start[1] + end[1]) // 2)
    mouse(widget, QEvent.Type.MouseMove, *end)
    mouse(widget, QEvent.Type.MouseButtonRelease, *end)


def test_the_picker_returns_the_dragged_rectangle(qtbot):
    picker = RegionPicker()
    qtbot.addWidget(picker)
    picked = []
    picker.picked.connect(picked.append)
    drag(picker, (300, 200), (100, 50))  # dragged up and left: still the same rectangle
    origin = picker.area.topLeft()
    assert picked == [Region(origin.x() + 100, origin.y() + 50, 200, 150)]


def test_esc_cancels_and_a_click_is_not_a_rectangle(qtbot):
    picker = RegionPicker()
    qtbot.addWidget(picker)
    picked, cancelled = [], []
    picker.picked.connect(picked.append)
    picker.cancelled.connect(lambda: cancelled.append(1))
    drag(picker, (50, 50), (52, 51))
    assert not picked
    qtbot.keyClick(picker, Qt.Key.Key_Escape)
    assert cancelled == [1] and not picked


def test_adjusting_starts_from_the_current_rectangle_and_moves_it(qtbot):
    picker = RegionPicker(Region(100, 100, 200, 150))
    qtbot.addWidget(picker)
    picked = []
    picker.picked.connect(picked.append)
    qtbot.keyClick(picker, Qt.Key.Key_Return)  # kept as it was
    assert picked == [Region(100, 100, 200, 150)]
    picker = RegionPicker(Region(100, 100, 200, 150))
    qtbot.addWidget(picker)
    picker.picked.connect(picked.append)
    drag(picker, (150, 150), (170, 130))  # inside: moved by (20, -20), then kept
    qtbot.keyClick(picker, Qt.Key.Key_Return)
    assert picked[-1] == Region(120, 80, 200, 150)


def test_the_region_is_remembered_and_swapped_while_watching(qtbot, tmp_path, page):
    assert page.watch.region is None and page.watch.entry().screen.region == Region(0, 0, 640, 480)
    labels = [page.source_box.itemText(i) for i in range(page.source_box.count())]
    assert WATCH_LABEL in labels
    page.watch._picked(Region(40, 30, 200, 150), start_after=False)  # what the picker's `picked` calls
    again = QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat)
    assert read_region(again) == Region(40, 30, 200, 150)
    i = labels.index(WATCH_LABEL)
    assert page.source_box.itemData(i).screen.region == Region(40, 30, 200, 150)

    class Running:  # a session under way: the region goes to its source
        regions: list = []

        def set_screen_region(self, region):
            self.regions.append(region)

    page.source_box.setCurrentIndex(i)
    page.worker = Running()
    try:
        page.watch._picked(Region(60, 30, 320, 240), start_after=False)
    finally:
        page.worker = None
    assert Running.regions == [Region(60, 30, 320, 240)] and page.watch.frame.region == Region(60, 30, 320, 240)
    assert read_region(again) == Region(60, 30, 320, 240)


def test_the_frame_is_a_click_through_ring_around_the_region(qtbot):
    frame = WatchFrame()
    qtbot.addWidget(frame)
    frame.watch(Region(100, 80, 200, 150))
    assert frame.windowFlags() & Qt.WindowType.WindowTransparentForInput
    assert frame.windowFlags() & Qt.WindowType.WindowStaysOnTopHint
    g = frame.geometry()
    assert (g.x(), g.y(), g.width(), g.height()) == (100 - BORDER_PX, 80 - BORDER_PX, 200 + 2 * BORDER_PX,
                                                     150 + 2 * BORDER_PX)
    mask = frame.mask()
    assert mask.contains(QPoint(1, 1)) and not mask.contains(QPoint(100, 75))  # the inside is not the window


def test_the_discreet_strip_counts_the_attentive_window_down(qtbot):
    strip = DiscreetStrip()
    qtbot.addWidget(strip)
    strip.show()
    strip.set_attentive(6.2)
    assert strip.attentive_label.isVisible() and "6 s" in strip.attentive_label.text()
    strip.set_attentive(0.0)
    assert not strip.attentive_label.isVisible()


# --- the global key ------------------------------------------------------------------------------

@pytest.mark.parametrize("text, key", [
    (DEFAULT_HOTKEY, HotKey(("Ctrl", "Alt"), "Space")),
    (" alt + CTRL + space ", HotKey(("Ctrl", "Alt"), "Space")),
    ("Ctrl+Shift+f9", HotKey(("Ctrl", "Shift"), "F9")),
    ("Super+A", HotKey(("Super",), "a")),
    ("Control+Alt+Return", HotKey(("Ctrl", "Alt"), "Return")),
])
def test_hotkeys_are_parsed(text, key):
    assert parse_hotkey(text) == key
    assert parse_hotkey(key.text) == key


def test_hotkey_spellings():
    key = parse_hotkey(DEFAULT_HOTKEY)
    assert key.text == "Ctrl+Alt+Space" and key.pynput == "<ctrl>+<alt>+<space>" and key.x11_keysym == "space"
    assert parse_hotkey("off") is None


@pytest.mark.parametrize("text", ["Space", "Shift+Space", "Ctrl+Alt+", "Ctrl+Hyper+Space", "Ctrl+Alt+Spaceship",
                                  "Ctrl++", ""])
def test_bad_hotkeys_are_one_line(text):
    with pytest.raises(OptionInvalid) as err:
        parse_hotkey(text)
    assert "\n" not in str(err.value) and "hotkey" in str(err.value)


def test_where_the_global_key_is_not_supported_is_said():
    assert "Wayland" in hotkey_problem({"WAYLAND_DISPLAY": "wayland-0"}, "Linux")
    assert "DISPLAY" in hotkey_problem({}, "Linux")
    assert hotkey_problem({"DISPLAY": ":0"}, "Linux") is None
    assert hotkey_problem({}, "Windows") is None and hotkey_problem({}, "Darwin") is None
    assert "not available" in hotkey_problem({}, "FreeBSD")


needs_x = pytest.mark.skipif(xvfb_missing() is not None or shutil.which("xdotool") is None,
                             reason=xvfb_missing() or "xdotool is not installed (apt-get install xdotool)")
OTHER_APP = ("from PySide6.QtWidgets import QApplication, QLineEdit; a = QApplication([]); w = QLineEdit(); "
             "w.setWindowTitle('call app'); w.show(); w.activateWindow(); a.exec()")


@needs_x
def test_the_global_key_works_while_another_app_has_focus(monkeypatch):
    with virtual_display() as x:
        monkeypatch.setenv("DISPLAY", x.display)
        monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
        env = dict(os.environ, QT_QPA_PLATFORM="xcb")
        wm = subprocess.Popen(["openbox"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) \
            if shutil.which("openbox") else None
        other = subprocess.Popen([sys.executable, "-c", OTHER_APP], env=env, stderr=subprocess.DEVNULL)
        hits = []
        key = GlobalHotkey(parse_hotkey(DEFAULT_HOTKEY), lambda: hits.append(time.monotonic()))
        try:
            deadline = time.monotonic() + 40
            while "call app" not in subprocess.run(["xdotool", "getwindowfocus", "getwindowname"], env=env,
                                                   capture_output=True, text=True).stdout:
                assert time.monotonic() < deadline, "the other app's window never got the focus"
                time.sleep(0.2)
            key.start()
            subprocess.run(["xdotool", "key", "ctrl+alt+space"], env=env, check=True)
            time.sleep(0.6)
            subprocess.run(["xdotool", "key", "ctrl+alt+space"], env=env, check=True)
            subprocess.run(["xdotool", "key", "ctrl+space"], env=env, check=True)  # not the key
            deadline = time.monotonic() + 5
            while len(hits) < 2 and time.monotonic() < deadline:
                time.sleep(0.05)
            time.sleep(0.3)
            assert len(hits) == 2
            taken = GlobalHotkey(parse_hotkey(DEFAULT_HOTKEY), lambda: None)
            with pytest.raises(HotkeyUnavailable, match="another program already uses"):
                taken.start()  # grabbed already (by `key`): said, not silently lost
        finally:
            key.stop()
            other.terminate()
            other.wait(timeout=5)
            if wm is not None:
                wm.terminate()
                wm.wait(timeout=5)


def test_the_window_opens_on_a_screen_source_named_on_the_command_line(qtbot, tmp_path, monkeypatch):
    import argparse

    from app.ui.app import MainWindow

    monkeypatch.delenv("DISPLAY", raising=False)  # offscreen: the screen cannot be read, and says so
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    qs = QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat)
    qs.setValue("welcome_seen", True)
    args = argparse.Namespace(command="live", camera=None, demo=False, model=None, source="screen:10,20,200,150")
    window = MainWindow(args, qs, tmp_path / "settings.json", lambda: tmp_path / "sessions", lambda: [])
    qtbot.addWidget(window)
    window.show()
    window.begin()
    live = window.live
    assert live.choice().screen.region == Region(10, 20, 200, 150) and not live.is_running()
    assert "DISPLAY is not set" in window.messages.text.text()
    window.close()


def test_the_notice_box_is_not_covered_at_large_text(qtbot):
    """At 175% text "I have told them" and Copy sit below the notice's text, and everything fits the dialog."""
    notice = ConsentNotice()
    qtbot.addWidget(notice)
    font = notice.font()
    font.setPointSizeF(font.pointSizeF() * 1.75)
    notice.setFont(font)
    notice.show()
    qtbot.waitExposed(notice)
    text = QRect(notice.text.mapTo(notice, QPoint(0, 0)), notice.text.size())
    for widget in (notice.told, notice.copy_button, notice.buttons):
        assert widget.geometry().top() > text.bottom(), widget
        assert notice.rect().contains(widget.geometry()), widget
