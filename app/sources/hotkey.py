""""I just asked" while the call app has focus: a global hotkey (default Ctrl+Alt+Space).

Qt has no global hotkeys. On X11 the key is grabbed on the root window with XGrabKey (python-xlib,
in a small thread): the call app does not see it, and it works whatever window is in front. On
Windows and macOS pynput's global hotkeys are used (macOS asks for the Accessibility permission;
neither is tested here). A Wayland session gives no application a global key by itself: there the
desktop's GlobalShortcuts portal binds it where offered (KDE Plasma 6, GNOME 48+: app/sources/portal_shortcuts.py);
elsewhere the in-window Space and the discreet strip's button remain, and `on_problem` says so once.

`parse_hotkey("Ctrl+Alt+Space")` reads the configured text (no X needed); `GlobalHotkey(key,
callback).start()` calls `callback()` in the listener's thread on every press (the Qt side turns it
into a signal). No Qt here.
"""

from __future__ import annotations

import os
import platform
import select
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from app.errors import HotkeyUnavailable, OptionInvalid

DEFAULT_HOTKEY = "Ctrl+Alt+Space"
OFF = "off"
MODIFIERS = {"ctrl": "Ctrl", "control": "Ctrl", "alt": "Alt", "shift": "Shift", "super": "Super", "win": "Super",
             "meta": "Super", "cmd": "Super"}
MODIFIER_ORDER = ("Ctrl", "Alt", "Shift", "Super")
NAMED_KEYS = {"space": "Space", "return": "Return", "enter": "Return", "tab": "Tab", "insert": "Insert",
              "home": "Home", "end": "End", "pause": "Pause"}
FUNCTION_KEYS = tuple(f"F{i}" for i in range(1, 25))
REPEAT_GAP_S = 0.4  # presses closer than this are the key held down (auto-repeat): one mark
POLL_S = 0.1  # the X listener looks at its stop flag this often

MAC_NOTE = ("on macOS the global key needs the Accessibility permission: System Settings > Privacy & Security > "
            "Accessibility, switch it on for Glimpse (or the Terminal running it), then restart Glimpse")
WAYLAND_NOTE = ("a Wayland session gives no application a global key without the desktop's shortcuts portal: "
                "use Space in Glimpse's window or the discreet strip's button")


@dataclass(frozen=True)
class HotKey:
    """A key with modifiers, canonical: modifiers in MODIFIER_ORDER, key as in NAMED_KEYS, F1..F24, or
    one lowercase letter or digit."""

    modifiers: tuple[str, ...]
    key: str

    @property
    def text(self) -> str:
        return "+".join((*self.modifiers, self.key.upper() if len(self.key) == 1 else self.key))

    @property
    def x11_keysym(self) -> str:
        """The keysym name XStringToKeysym knows."""
        return "space" if self.key == "Space" else self.key  # the others are spelled as keysyms already

    @property
    def pynput(self) -> str:
        """pynput's GlobalHotKeys spelling, e.g. "<ctrl>+<alt>+<space>"."""
        mods = {"Ctrl": "<ctrl>", "Alt": "<alt>", "Shift": "<shift>", "Super": "<cmd>"}
        key = self.key if len(self.key) == 1 else f"<{self.key.lower()}>"
        return "+".join([*(mods[m] for m in self.modifiers), key])


def parse_hotkey(text: str) -> HotKey | None:
    """"Ctrl+Alt+Space" (any case, spaces allowed) as a HotKey; "off" as None. At least one of Ctrl,
    Alt or Super is needed, so that typing in the call app never triggers it. Raises OptionInvalid."""
    usage = f"expected modifiers and a key, e.g. {DEFAULT_HOTKEY} or Ctrl+Alt+F9, or {OFF!r}"
    raw = text.strip()
    if raw.lower() == OFF:
        return None
    parts = [p.strip() for p in raw.split("+")]
    if len(parts) < 2 or not all(parts):
        raise OptionInvalid(f"hotkey {text!r}: {usage}")
    mods: set[str] = set()
    for p in parts[:-1]:
        if p.lower() not in MODIFIERS:
            raise OptionInvalid(f"hotkey {text!r}: {p!r} is not a modifier (Ctrl, Alt, Shift or Super)")
        mods.add(MODIFIERS[p.lower()])
    key = key_name(parts[-1])
    if key is None:
        raise OptionInvalid(f"hotkey {text!r}: {parts[-1]!r} is not a key Glimpse can grab; {usage}")
    if not mods & {"Ctrl", "Alt", "Super"}:
        raise OptionInvalid(f"hotkey {text!r}: needs Ctrl, Alt or Super, or it would fire while typing")
    return HotKey(tuple(m for m in MODIFIER_ORDER if m in mods), key)


def key_name(text: str) -> str | None:
    low = text.lower()
    if low in NAMED_KEYS:
        return NAMED_KEYS[low]
    if low.upper() in FUNCTION_KEYS:
        return low.upper()
    if len(low) == 1 and (low.isascii() and low.isalnum()):
        return low
    return None


def hotkey_problem(env: Mapping[str, str] | None = None, system: str | None = None) -> str | None:
    """Why a global key cannot work here (None: it can; macOS still needs its permission: MAC_NOTE)."""
    env = os.environ if env is None else env
    system = system or platform.system()
    if system == "Linux":
        if env.get("WAYLAND_DISPLAY") and not env.get("DISPLAY"):
            return f"the global key is not available: {WAYLAND_NOTE}"
        if not env.get("DISPLAY"):
            return "the global key is not available: no X display (DISPLAY is not set)"
    elif system not in ("Windows", "Darwin"):
        return f"the global key is not available on {system}"
    return None


class GlobalHotkey:
    """Calls `callback()` (in its own thread) whenever `key` is pressed, whichever app is in front."""

    def __init__(self, key: HotKey, callback: Callable[[], None], display: str | None = None,
                 on_problem: Callable[[str], None] | None = None):
        """`on_problem`: on Wayland, told (from another thread) why the key cannot be had, if it cannot."""
        self.key, self._callback, self._display, self._on_problem = key, callback, display, on_problem
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._listener: Any = None  # pynput's, off X11; app/portal_shortcuts.PortalHotkey on Wayland
        self._last = -REPEAT_GAP_S

    def start(self) -> None:
        """Grab the key; raises HotkeyUnavailable (with why) when it cannot be had (on Wayland: `on_problem`)."""
        from .portal import is_wayland_session

        if platform.system() == "Linux" and is_wayland_session():
            from .portal_shortcuts import PortalHotkey

            self._listener = PortalHotkey(self.key, self._pressed, self._on_problem)
            self._listener.start()
            return
        problem = hotkey_problem()
        if problem:
            raise HotkeyUnavailable(problem)
        if platform.system() == "Linux":
            ready, errors = threading.Event(), list[BaseException]()
            self._thread = threading.Thread(target=self._x11, args=(ready, errors), name="glimpse-hotkey",
                                            daemon=True)
            self._thread.start()
            ready.wait()
            if errors:
                raise errors[0]
        else:
            self._start_pynput()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=2 * POLL_S + 1.0)
        if self._listener is not None:
            self._listener.stop()

    def _pressed(self) -> None:
        now = time.monotonic()
        if now - self._last >= REPEAT_GAP_S:
            self._callback()
        self._last = now

    def _start_pynput(self) -> None:
        try:
            from pynput import keyboard
        except ImportError as exc:
            raise HotkeyUnavailable(f"the global key is not available: pynput is not installed ({exc})") from None
        listener = keyboard.GlobalHotKeys({self.key.pynput: self._pressed})
        listener.start()
        self._listener = listener

    def _x11(self, ready: threading.Event, errors: list) -> None:
        """XGrabKey on the root window, for every combination of the locks (Caps, Num) that may be on."""
        display = None
        try:
            from Xlib import XK, X, error
            from Xlib.display import Display

            display = Display(self._display)
            root = display.screen().root
            keycode = display.keysym_to_keycode(XK.string_to_keysym(self.key.x11_keysym))
            if not keycode:
                raise HotkeyUnavailable(f"the global key is not available: this keyboard has no {self.key.key} key")
            masks = {"Ctrl": X.ControlMask, "Alt": X.Mod1Mask, "Shift": X.ShiftMask, "Super": X.Mod4Mask}
            mask = 0
            for m in self.key.modifiers:
                mask |= masks[m]
            catch = error.CatchError(error.BadAccess)
            for locks in (0, X.LockMask, X.Mod2Mask, X.LockMask | X.Mod2Mask):
                root.grab_key(keycode, mask | locks, True, X.GrabModeAsync, X.GrabModeAsync, onerror=catch)
            display.sync()
            if catch.get_error():
                raise HotkeyUnavailable(f"the global key is not available: another program already uses "
                                        f"{self.key.text}; choose another (e.g. Ctrl+Alt+F9)")
        except Exception as exc:  # noqa: BLE001 - reported to start()
            errors.append(exc if isinstance(exc, HotkeyUnavailable) else HotkeyUnavailable(
                f"the global key is not available: the X display could not be used ({type(exc).__name__}: {exc})"))
            ready.set()
            if display is not None:
                display.close()
            return
        ready.set()
        try:
            while not self._stop.is_set():
                if not display.pending_events():
                    select.select([display.fileno()], [], [], POLL_S)
                    continue
                event = display.next_event()
                if event.type == X.KeyPress and event.detail == keycode:
                    self._pressed()
        finally:
            for locks in (0, X.LockMask, X.Mod2Mask, X.LockMask | X.Mod2Mask):
                root.ungrab_key(keycode, mask | locks)
            display.close()
