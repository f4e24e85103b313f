"""The app on a Wayland desktop: "Watch a window…" shares through the portal (the other person's notice
first, no region to draw, the portal's own words when there is none), and where the desktop gives no
global key, that is said once while the discreet strip keeps its "I just asked" button."""

from __future__ import annotations

import pytest

from app.sources.portal import NO_PORTAL
from app.sources.portal_shortcuts import FOCUS_ONLY
from app.ui.discreet import DiscreetStrip
from app.ui.screen_watch import WINDOW_LABEL
from tests.test_screen_watch import page  # noqa: F401 - the live page fixture


@pytest.fixture
def wayland(monkeypatch):
    for name in ("DISPLAY", "DBUS_SESSION_BUS_ADDRESS", "XDG_RUNTIME_DIR"):
        monkeypatch.delenv(name, raising=False)  # no session bus: no portal to ask
    monkeypatch.setenv("XDG_SESSION_TYPE", "wayland")
    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-0")


def test_watch_a_window_asks_the_desktop_after_the_notice(qtbot, page, wayland):  # noqa: F811
    errors, asked = [], []
    page.error.connect(errors.append)
    page.watch.confirm = lambda parent, kind: asked.append(kind) or True
    choice = page.watch.entry()
    assert choice.label == WINDOW_LABEL and choice.screen.portal
    page.watch.selected(choice)
    assert page.watch.adjust_button.isHidden()  # the desktop picks the window; the face is found in it
    page.play(choice)
    assert asked == ["screen"] and page.watch.picker is None
    qtbot.waitUntil(lambda: page.worker is None, timeout=20000)
    assert errors and NO_PORTAL.split(":")[0] in errors[-1] and "xdg-desktop-portal" in errors[-1]


def test_no_global_key_is_said_once_and_the_strip_keeps_its_button(qtbot, page, wayland):  # noqa: F811
    said = []
    page.watch.note.connect(said.append)
    for _ in range(2):
        page.watch.hotkey.unavailable.emit(f"the global key is not available: {FOCUS_ONLY}")
    assert len(said) == 1 and "works only while Glimpse has focus" in said[0]
    assert "works only while Glimpse has focus" in page.ask_button.toolTip()
    strip = DiscreetStrip()
    qtbot.addWidget(strip)
    presses = []
    strip.asked.connect(lambda: presses.append(1))
    strip.ask_button.click()
    assert presses == [1] and not strip.ask_button.isHidden()
