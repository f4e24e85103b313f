""""I just asked" from any app on Wayland: the desktop's GlobalShortcuts portal, where it is offered.

A Wayland desktop gives no application a global key by itself. Where the xdg-desktop-portal
GlobalShortcuts interface is offered (KDE Plasma 6; GNOME 48 and later), Glimpse creates a session,
binds one shortcut ("I just asked", with the configured key as the preferred trigger; the desktop
asks the listener to confirm it, and may let them pick another key) and calls back on each
Activated signal. All of it runs in the listener's own thread (the confirmation can take the
listener a while): where the portal is not offered (wlroots desktops such as sway, older GNOME) or
the shortcut is not confirmed, `on_problem` is called once with a sentence saying that the key works
only while Glimpse has focus. No Qt here.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable

from app.errors import GlimpseError, HotkeyUnavailable
from app.sources.hotkey import HotKey
from app.sources.portal import CALL_TIMEOUT_S, PICK_TIMEOUT_S, RESPONSE_OK, Bus, PortalBus

SHORTCUTS = "org.freedesktop.portal.GlobalShortcuts"
SHORTCUT_ID = "i-just-asked"
DESCRIPTION = "I just asked (Glimpse pays closer attention for a few seconds)"
POLL_S = 0.2  # the listener looks at its stop flag this often
FOCUS_ONLY = ("this desktop gives applications no global key: the key works only while Glimpse has focus; "
              "the discreet strip keeps an \"I just asked\" button")
XDG_MODIFIERS = {"Ctrl": "CTRL", "Alt": "ALT", "Shift": "SHIFT", "Super": "LOGO"}


def preferred_trigger(key: HotKey) -> str:
    """The key in the XDG shortcuts spelling the portal takes, e.g. "CTRL+ALT+space"."""
    return "+".join([*(XDG_MODIFIERS[m] for m in key.modifiers), key.x11_keysym])


def offered(bus: Bus) -> bool:
    """Whether the desktop offers the GlobalShortcuts portal."""
    return bus.property(SHORTCUTS, "version") is not None


class PortalHotkey:
    """Calls `callback()` (in its own thread) when the desktop reports the bound shortcut pressed."""

    def __init__(self, key: HotKey, callback: Callable[[], None], on_problem: Callable[[str], None] | None = None,
                 open_bus: Callable[[], Bus] = PortalBus):
        """`callback`: each press (GlobalHotkey folds auto-repeat); `on_problem`: why there is no global key."""
        self.key, self._callback, self._open_bus = key, callback, open_bus
        self._on_problem = on_problem or (lambda message: None)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.trigger: str | None = None  # how the desktop says the shortcut is pressed, once bound

    def start(self) -> None:
        """Returns at once; binding (which the desktop may ask the listener to confirm) and listening
        happen in the listener's thread."""
        self._thread = threading.Thread(target=self._run, name="glimpse-hotkey", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        """The thread owns the connection: closing it ends the portal's session."""
        bus = None
        try:
            bus = self._open_bus()
            if not offered(bus):
                raise HotkeyUnavailable(f"the global key is not available: {FOCUS_ONLY}")
            activated = bus.signals(SHORTCUTS, "Activated")  # before binding: no press is missed
            self._listen(self._bind(bus), activated)
        except GlimpseError as exc:
            if not self._stop.is_set():  # nobody listens any more once stopped
                self._on_problem(str(exc) if isinstance(exc, HotkeyUnavailable) else
                                 f"the global key is not available: {FOCUS_ONLY}")
        finally:
            if bus is not None:
                bus.close()

    def _bind(self, bus: Bus) -> str:
        code, results = bus.request(SHORTCUTS, "CreateSession", "a{sv}", (),
                                    {"session_handle_token": ("s", f"glimpse_{secrets.token_hex(6)}")},
                                    CALL_TIMEOUT_S)
        if code != RESPONSE_OK:
            raise HotkeyUnavailable(f"the global key is not available: the desktop refused a shortcut session "
                                    f"({code}); {FOCUS_ONLY}")
        session = str(results["session_handle"])
        shortcut = (SHORTCUT_ID, {"description": ("s", DESCRIPTION),
                                  "preferred_trigger": ("s", preferred_trigger(self.key))})
        code, results = bus.request(SHORTCUTS, "BindShortcuts", "oa(sa{sv})sa{sv}", (session, [shortcut], ""), {},
                                    PICK_TIMEOUT_S)
        if code != RESPONSE_OK:
            bus.close_session(session)
            raise HotkeyUnavailable("the global key is not available: the shortcut was not confirmed on the "
                                    "desktop, so the key works only while Glimpse has focus")
        for shortcut_id, info in results.get("shortcuts", []):
            if shortcut_id == SHORTCUT_ID:
                self.trigger = info.get("trigger_description") or None
        return session

    def _listen(self, session: str, activated: Callable[[float], tuple | None]) -> None:
        while not self._stop.is_set():
            body = activated(POLL_S)
            if body is not None and body[0] == session and body[1] == SHORTCUT_ID:
                self._callback()

    def stop(self) -> None:
        """Stop listening. (A confirmation still open on the desktop keeps the daemon thread waiting for
        its answer; nothing waits for it.)"""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=2 * POLL_S + 1.0)
