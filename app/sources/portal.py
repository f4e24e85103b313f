"""Watching a window on Wayland: the desktop's ScreenCast portal and its PipeWire stream.

On Wayland no application may read the screen by itself; it asks the desktop, through the
xdg-desktop-portal ScreenCast interface on the session D-Bus (jeepney): CreateSession, SelectSources
(a window or a monitor, kept until the listener revokes it, with last time's restore token), Start
(the desktop shows its own share dialog, unless the token restores last time's choice), then
OpenPipeWireRemote. The pictures come from PipeWire through pipewire-capture (a wheel whose consumer
thread keeps the newest frame, BGRA). `PortalGrabber` is a `screen.Grabber` over that stream, so
`ScreenSource` does the rest as on X11: grabs at a fixed rate, newest wins, monotonic timestamps, the
face found in the shared picture (or a region of it watched), the call-video filter downstream.

The restore token is not a spotting setting: it lives in a small state file beside the settings
(`screen_share.json`, written atomically). A share the listener refuses, or stops from the desktop,
ends the source with `ShareEnded`: one plain sentence.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from app.errors import ScreenUnreadable, ShareEnded
from app.sources.screen import GRAB_HZ, FaceLocator, Region, ScreenSource

BUS_NAME = "org.freedesktop.portal.Desktop"
OBJECT_PATH = "/org/freedesktop/portal/desktop"
SCREENCAST = "org.freedesktop.portal.ScreenCast"
REQUEST = "org.freedesktop.portal.Request"
SESSION = "org.freedesktop.portal.Session"
MONITOR, WINDOW = 1, 2  # SelectSources types
CURSOR_HIDDEN = 1
PERSIST_UNTIL_REVOKED = 2
RESPONSE_OK, RESPONSE_CANCELLED = 0, 1
NO_ANSWER = -1  # `request`'s code when no Response came in time (the portal's own codes are 0, 1, 2)
PICK_TIMEOUT_S = 300.0  # the listener answers the desktop's share dialog within this
CALL_TIMEOUT_S = 10.0  # a portal call that is not a dialog answers within this
FIRST_FRAME_TIMEOUT_S = 5.0  # PipeWire delivers the first picture of a started share within this
STATE_FILE = "screen_share.json"
SHARED_NAME = "the shared window"

REFUSED = "No window or screen was shared, so Glimpse has nothing to watch; start again and pick the call's window."
STOPPED = "Screen sharing was stopped from the desktop, so Glimpse stopped watching; start again to share a window."
LOST = "The shared window stopped sending pictures ({}), so Glimpse stopped watching; start again to share it."
NO_PORTAL = ("the screen cannot be read: this desktop offers no screen sharing to applications (the "
             "xdg-desktop-portal ScreenCast interface); install xdg-desktop-portal and your desktop's backend "
             "(xdg-desktop-portal-gnome, -kde or -wlr), or watch with the camera (--source camera)")
NO_PIPEWIRE = ("the screen cannot be read: the PipeWire library is missing (libpipewire-0.3.so.0); install it "
               "with: python -m app.system.sysdeps --install --platform wayland")


def is_wayland_session(env: Mapping[str, str] | None = None) -> bool:
    """A Wayland desktop, where reading the screen goes through the portal (an X grab would see only
    XWayland windows, while browsers and call apps are Wayland-native)."""
    env = os.environ if env is None else env
    return env.get("XDG_SESSION_TYPE") == "wayland" or bool(env.get("WAYLAND_DISPLAY") and not env.get("DISPLAY"))


# -- the session bus -----------------------------------------------------------------------------


def split_signature(signature: str) -> list[str]:
    """A D-Bus signature's complete types: "osa{sv}" -> ["o", "s", "a{sv}"]."""
    types, i = [], 0
    while i < len(signature):
        j = i
        while signature[j] == "a":
            j += 1
        depth = 0
        while signature[j] in "({" or depth:  # a container: on to its closing bracket
            depth += {"(": 1, "{": 1, ")": -1, "}": -1}.get(signature[j], 0)
            if depth == 0:
                break
            j += 1
        types.append(signature[i:j + 1])
        i = j + 1
    return types


def plain(signature: str, value: Any) -> Any:
    """A D-Bus value as plain Python: jeepney gives each variant as (signature, value); these are opened."""
    if signature == "v":
        return plain(*value)
    if signature.startswith("a{"):
        _key, item = split_signature(signature[2:-1])
        return {k: plain(item, v) for k, v in value.items()}
    if signature.startswith("a"):
        return [plain(signature[1:], v) for v in value]
    if signature.startswith("("):
        return tuple(plain(t, v) for t, v in zip(split_signature(signature[1:-1]), value, strict=True))
    return value


def body_of(message: Any) -> tuple[Any, ...]:
    """A received message's arguments as plain Python."""
    from jeepney import HeaderFields

    signature = message.header.fields.get(HeaderFields.signature, "")
    return tuple(plain(t, v) for t, v in zip(split_signature(signature), message.body, strict=True))


class Bus(Protocol):
    """What the portal clients need from the session bus (PortalBus, or a stand-in in tests)."""

    def call(self, interface: str, method: str, signature: str, body: tuple) -> tuple: ...

    def request(self, interface: str, method: str, signature: str, args: tuple, options: dict,
                timeout: float) -> tuple[int, dict]: ...

    def property(self, interface: str, name: str) -> Any: ...

    def signals(self, interface: str, member: str, path: str = OBJECT_PATH) -> Callable[[float], tuple | None]: ...

    def close_session(self, session: str) -> None: ...

    def close(self) -> None: ...


class PortalBus:
    """The session bus through jeepney, for the portal's objects: method calls; requests, whose answer
    comes in a Request::Response signal; properties; and signals to wait for."""

    def __init__(self, address: str | None = None) -> None:
        """`address`: the bus (default: DBUS_SESSION_BUS_ADDRESS, else the user bus in XDG_RUNTIME_DIR)."""
        from jeepney.io.blocking import open_dbus_connection

        runtime = os.environ.get("XDG_RUNTIME_DIR")
        address = address or os.environ.get("DBUS_SESSION_BUS_ADDRESS") or (
            f"unix:path={runtime}/bus" if runtime else None)
        if not address:
            raise ScreenUnreadable(f"{NO_PORTAL} (no session bus: DBUS_SESSION_BUS_ADDRESS is not set)")
        try:
            self._conn = open_dbus_connection(bus=address, enable_fds=True)
        except (OSError, ValueError) as exc:
            raise ScreenUnreadable(f"{NO_PORTAL} (no session bus: {exc})") from None
        self._sender = self._conn.unique_name[1:].replace(".", "_")
        self._lock = threading.Lock()

    def _address(self, interface: str) -> Any:
        from jeepney import DBusAddress

        return DBusAddress(OBJECT_PATH, bus_name=BUS_NAME, interface=interface)

    def call(self, interface: str, method: str, signature: str, body: tuple) -> tuple:
        from jeepney import DBusErrorResponse, new_method_call
        from jeepney.wrappers import unwrap_msg

        try:
            with self._lock:
                return tuple(unwrap_msg(self._conn.send_and_get_reply(
                    new_method_call(self._address(interface), method, signature, body), timeout=CALL_TIMEOUT_S)))
        except DBusErrorResponse as exc:
            raise ScreenUnreadable(f"{NO_PORTAL} ({exc.name})") from None
        except TimeoutError:
            raise ScreenUnreadable(f"the desktop's portal did not answer {method} within "
                                   f"{CALL_TIMEOUT_S:.0f} s") from None

    def _subscribe(self, rule: Any) -> None:
        from jeepney import message_bus

        with self._lock:
            self._conn.send_and_get_reply(message_bus.AddMatch(rule), timeout=CALL_TIMEOUT_S)

    def request(self, interface: str, method: str, signature: str, args: tuple, options: dict,
                timeout: float) -> tuple[int, dict]:
        """Call a method that answers through a Request object: (response code, results), NO_ANSWER when
        none came within `timeout`."""
        from jeepney import MatchRule

        token = f"glimpse_{secrets.token_hex(6)}"
        path = f"{OBJECT_PATH}/request/{self._sender}/{token}"
        rule = MatchRule(type="signal", interface=REQUEST, member="Response", path=path)
        self._subscribe(rule)  # before the call: the answer may come at once
        with self._conn.filter(rule) as answers:
            self.call(interface, method, signature, (*args, {"handle_token": ("s", token), **options}))
            try:
                message = self._conn.recv_until_filtered(answers, timeout=timeout)
            except TimeoutError:
                return NO_ANSWER, {}
        code, results = body_of(message)
        return int(code), results

    def property(self, interface: str, name: str) -> Any:
        """A property of the portal's object, or None where the interface is not offered."""
        from jeepney import DBusErrorResponse, Properties
        from jeepney.wrappers import unwrap_msg

        try:
            with self._lock:
                (value,) = unwrap_msg(self._conn.send_and_get_reply(Properties(self._address(interface)).get(name),
                                                                    timeout=CALL_TIMEOUT_S))
        except (DBusErrorResponse, TimeoutError):
            return None
        return plain("v", value)

    def signals(self, interface: str, member: str, path: str = OBJECT_PATH) -> Callable[[float], tuple | None]:
        """A function that waits up to its argument (seconds, 0: only look) for the next such signal from
        the portal: its arguments, or None."""
        from jeepney import MatchRule

        # the bus delivers only the portal's own (another client cannot fake a Closed); locally, jeepney
        # sees the sender's unique name, so its filter leaves the sender out
        self._subscribe(MatchRule(type="signal", sender=BUS_NAME, interface=interface, member=member, path=path))
        answers = self._conn.filter(MatchRule(type="signal", interface=interface, member=member, path=path),
                                    bufsize=16)

        def wait(timeout: float) -> tuple | None:
            try:
                with self._lock:
                    return body_of(self._conn.recv_until_filtered(answers.queue, timeout=timeout))
            except TimeoutError:
                return None
        return wait

    def close_session(self, session: str) -> None:
        """Session.Close, without waiting for the answer (there is none to wait for)."""
        from jeepney import DBusAddress, new_method_call

        try:
            with self._lock:
                self._conn.send(new_method_call(DBusAddress(session, bus_name=BUS_NAME, interface=SESSION), "Close"))
        except OSError:
            pass  # the connection is gone: the portal has closed the session with it

    def close(self) -> None:
        self._conn.close()  # the portal closes this connection's sessions with it


# -- the screen cast ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SharedStream:
    """What Start and OpenPipeWireRemote hand over: the PipeWire connection (`fd`, owned by the caller),
    the stream's node, its size as the portal announced it (px), and the token to restore this choice."""

    fd: int
    node_id: int
    width: int
    height: int
    restore_token: str | None
    session: str


def share(bus: Bus, restore_token: str | None = None, pick_timeout: float = PICK_TIMEOUT_S) -> SharedStream:
    """Ask the desktop for a window or a monitor (its own dialog, unless `restore_token` restores last
    time's choice). Raises ShareEnded when the listener refuses, ScreenUnreadable when there is no portal."""
    offered = bus.property(SCREENCAST, "AvailableSourceTypes")
    if offered is None:
        raise ScreenUnreadable(NO_PORTAL)
    code, results = bus.request(SCREENCAST, "CreateSession", "a{sv}", (),
                                {"session_handle_token": ("s", f"glimpse_{secrets.token_hex(6)}")}, CALL_TIMEOUT_S)
    if code != RESPONSE_OK:
        raise ScreenUnreadable(f"{NO_PORTAL} (CreateSession answered {code})")
    session = str(results["session_handle"])
    try:
        options: dict = {"types": ("u", int(offered) & (MONITOR | WINDOW) or MONITOR),
                         "multiple": ("b", False), "cursor_mode": ("u", CURSOR_HIDDEN),
                         "persist_mode": ("u", PERSIST_UNTIL_REVOKED)}
        if restore_token:
            options["restore_token"] = ("s", restore_token)
        code, _ = bus.request(SCREENCAST, "SelectSources", "oa{sv}", (session,), options, CALL_TIMEOUT_S)
        if code == RESPONSE_OK:
            code, results = bus.request(SCREENCAST, "Start", "osa{sv}", (session, ""), {}, pick_timeout)
        if code in (RESPONSE_CANCELLED, NO_ANSWER):  # the dialog cancelled, or left unanswered
            raise ShareEnded(REFUSED)
        if code != RESPONSE_OK or not results.get("streams"):
            raise ShareEnded(f"{REFUSED[:-1]} (the desktop's sharing answered {code}).")
        node_id, props = results["streams"][0]
        width, height = props.get("size", (0, 0))
        (fd,) = bus.call(SCREENCAST, "OpenPipeWireRemote", "oa{sv}", (session, {}))
        fd = fd.to_raw_fd() if hasattr(fd, "to_raw_fd") else int(fd)
    except BaseException:
        bus.close_session(session)
        raise
    return SharedStream(fd, int(node_id), int(width), int(height), results.get("restore_token"), session)


# -- the restore token -----------------------------------------------------------------------------


def state_path() -> Path:
    """`screen_share.json` beside the settings file."""
    from app.settings.store import user_settings_path

    return user_settings_path().parent / STATE_FILE


def load_token(path: Path) -> str | None:
    """The restore token saved last time, or None (none yet, or a file that cannot be read: the desktop
    then simply asks again)."""
    try:
        token = json.loads(Path(path).read_text()).get("restore_token")
    except (OSError, ValueError, AttributeError):
        return None
    return token if isinstance(token, str) and token else None


def save_token(path: Path, token: str) -> None:
    """A token is good for one restore: each share's new one replaces the old."""
    from app.system.files import write_atomic

    write_atomic(Path(path), (json.dumps({"restore_token": token}) + "\n").encode())


# -- the grabber over the PipeWire stream -----------------------------------------------------------


class Capture(Protocol):
    """pipewire_capture.CaptureStream's part that is used (or a stand-in in tests)."""

    window_invalid: bool
    error: str | None

    def start(self) -> None: ...

    def get_frame(self) -> np.ndarray | None: ...

    def stop(self) -> None: ...


def capture_stream(stream: SharedStream) -> Capture:
    """pipewire-capture's consumer on the shared stream, unthrottled (the source sets the rate)."""
    try:
        from pipewire_capture import CaptureStream
    except ImportError as exc:
        raise ScreenUnreadable(f"{NO_PIPEWIRE} ({exc})") from None
    capture = CaptureStream(stream.fd, stream.node_id, stream.width, stream.height, capture_interval=0.0)
    capture.start()
    return capture


class PortalGrabber:
    """A `screen.Grabber` over a shared stream: `grab(region)` crops the newest picture (BGR), and the
    one "monitor" is the shared picture itself. Owns the portal connection (closing it ends the share)."""

    def __init__(self, bus: Bus, stream: SharedStream, open_capture: Callable[[SharedStream], Capture] = capture_stream,
                 first_frame_timeout: float = FIRST_FRAME_TIMEOUT_S):
        self._bus, self._stream = bus, stream
        try:
            self._closed = bus.signals(SESSION, "Closed", stream.session)  # the desktop ends the share
            self._capture = open_capture(stream)
        except BaseException:
            self._release()
            raise
        try:
            self._size = self._first_size(first_frame_timeout)
        except BaseException:
            self.close()
            raise

    def _first_size(self, timeout: float) -> tuple[int, int]:
        deadline = time.monotonic() + timeout
        while (frame := self._newest()) is None:
            if time.monotonic() > deadline:
                raise ScreenUnreadable(f"the shared window gave no picture within {timeout:.0f} s")
            time.sleep(0.02)
        return frame.shape[1], frame.shape[0]

    def _newest(self) -> np.ndarray | None:
        if self._closed(0) is not None:
            raise ShareEnded(STOPPED)
        if self._capture.window_invalid:
            raise ShareEnded(LOST.format(self._capture.error) if self._capture.error else STOPPED)
        return self._capture.get_frame()

    def grab(self, region: Region) -> np.ndarray:
        frame = self._newest()
        if frame is None:
            raise ShareEnded(STOPPED)
        self._size = frame.shape[1], frame.shape[0]
        r = region.clipped_to(self.monitors()[0])  # the shared window may have shrunk
        return np.ascontiguousarray(frame[r.top:r.top + r.height, r.left:r.left + r.width, :3])

    def monitors(self) -> list[Region]:
        return [Region(0, 0, *self._size)]

    def close(self) -> None:
        try:
            self._capture.stop()
        finally:
            self._release()

    def _release(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self._stream.fd)  # pipewire-capture works on its own copy
        self._bus.close_session(self._stream.session)
        self._bus.close()


def open_portal_source(region: Region | None = None, hz: float = GRAB_HZ, state: Path | None = None,
                       bus: Bus | None = None, open_capture: Callable[[SharedStream], Capture] = capture_stream,
                       locate: FaceLocator | None = None) -> ScreenSource:
    """Share a window through the desktop, then watch `region` of it, or the face `locate` finds in it."""
    state = state_path() if state is None else state
    bus = PortalBus() if bus is None else bus
    try:
        stream = share(bus, load_token(state))
    except BaseException:
        bus.close()
        raise
    if stream.restore_token:
        save_token(state, stream.restore_token)
    grabber = PortalGrabber(bus, stream, open_capture)
    return ScreenSource(region, hz, monitor=None if region else 1, locate=None if region else locate,
                        open_grabber=lambda: grabber, display_checks=False,
                        name=SHARED_NAME if region is None else f"part of {SHARED_NAME}")


__all__ = ["PortalBus", "PortalGrabber", "SharedStream", "share", "open_portal_source", "is_wayland_session",
           "load_token", "save_token", "state_path"]
