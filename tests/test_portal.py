"""The Wayland portal clients without a desktop: `screen:portal` specs, the ScreenCast and GlobalShortcuts
conversations against a stand-in bus (answers as the portal documents them), the restore token file, the
grabber over a stand-in PipeWire capture, and the relay that lets the test desktop cast without a GPU.
The real desktop is tests/test_portal_live.py's."""

from __future__ import annotations

import os
import stat
import struct
import threading
import time
from collections import deque

import numpy as np
import pytest

from app.errors import ScreenUnreadable, ShareEnded, SourceInvalid
from app.run.choices import parse_source
from app.sources import portal
from app.sources.hotkey import GlobalHotkey, parse_hotkey
from app.sources.portal_shortcuts import FOCUS_ONLY, SHORTCUT_ID, SHORTCUTS, PortalHotkey, preferred_trigger
from app.sources.screen import Region, ScreenSpec, parse_source_spec
from tests.support import wayland_shim as shim

SESSION_PATH = "/org/freedesktop/portal/desktop/session/1_7/glimpse_s"


class FakeFd:
    def __init__(self, fd: int):
        self.fd = fd

    def to_raw_fd(self) -> int:
        return self.fd


class FakeBus:
    """The portal as its documentation says it answers: `answers` per method, `props` per (interface, name);
    `emit` queues a signal."""

    def __init__(self, answers: dict | None = None, props: dict | None = None):
        self.answers = {"CreateSession": (0, {"session_handle": SESSION_PATH}), "SelectSources": (0, {}),
                        "Start": (0, {"streams": [(42, {"size": (1280, 800), "source_type": 2})],
                                      "restore_token": "token-2"}),
                        "BindShortcuts": (0, {"shortcuts": [(SHORTCUT_ID, {"trigger_description": "Ctrl+Alt+Space"})]}),
                        **(answers or {})}
        self.props = {(portal.SCREENCAST, "AvailableSourceTypes"): 3, **(props or {})}
        self.requests: list[tuple[str, tuple, dict]] = []
        self.queues: dict[tuple[str, str, str], deque] = {}
        self.closed_sessions: list[str] = []
        self.closed = False

    def call(self, interface, method, signature, body):
        assert method == "OpenPipeWireRemote" and body[0] == SESSION_PATH
        return (FakeFd(os.open(os.devnull, os.O_RDONLY)),)  # a real descriptor: the grabber closes it

    def request(self, interface, method, signature, args, options, timeout):
        self.requests.append((method, args, options))
        return self.answers[method]

    def property(self, interface, name):
        return self.props.get((interface, name))

    def signals(self, interface, member, path=portal.OBJECT_PATH):
        queue = self.queues.setdefault((interface, member, path), deque())

        def wait(timeout):
            if not queue:
                time.sleep(min(timeout, 0.01))
                return None
            return queue.popleft()
        return wait

    def emit(self, interface, member, path, body):
        self.queues.setdefault((interface, member, path), deque()).append(body)

    def close_session(self, session):
        self.closed_sessions.append(session)

    def close(self):
        self.closed = True


class FakeCapture:
    """pipewire-capture's stream: the newest frame (BGRA), until the stream ends."""

    def __init__(self, frame: np.ndarray | None):
        self.frame, self.window_invalid, self.error, self.stopped = frame, False, None, False

    def start(self):
        pass

    def get_frame(self):
        return None if self.window_invalid else self.frame

    def stop(self):
        self.stopped = True


def bgra(h: int = 800, w: int = 1280) -> np.ndarray:
    image = np.zeros((h, w, 4), np.uint8)
    image[..., 0] = np.arange(w, dtype=np.uint8)[None, :]  # blue: x
    image[..., 1] = np.arange(h, dtype=np.uint8)[:, None]  # green: y
    image[..., 2], image[..., 3] = 7, 255
    return image


# -- specs -------------------------------------------------------------------------------------------


def test_screen_portal_specs():
    assert parse_source_spec("screen:portal") == ScreenSpec(portal=True)
    spec = parse_source_spec("screen:Portal:10,20,300,200")
    assert spec == ScreenSpec(region=Region(10, 20, 300, 200), portal=True)
    assert spec.text == "screen:portal:10,20,300,200" and ScreenSpec(portal=True).text == "screen:portal"
    choice = parse_source("screen:portal")
    assert choice.is_screen and choice.screen.portal and "shared window" in choice.label
    for bad in ("screen:portal:3", "screen:portal:a,b,c,d", "screen:portalx", "screen:portal:1,2,3"):
        with pytest.raises(SourceInvalid, match="screen:portal"):
            parse_source_spec(bad)


def test_wayland_sessions_are_told_apart():
    assert portal.is_wayland_session({"XDG_SESSION_TYPE": "wayland", "DISPLAY": ":0", "WAYLAND_DISPLAY": "wayland-0"})
    assert portal.is_wayland_session({"WAYLAND_DISPLAY": "wayland-0"})
    assert not portal.is_wayland_session({"XDG_SESSION_TYPE": "x11", "DISPLAY": ":0"})
    assert not portal.is_wayland_session({})


@pytest.mark.parametrize("signature, value, expected", [
    ("a{sv}", {"size": ("(ii)", (640, 480)), "id": ("s", "w1")}, {"size": (640, 480), "id": "w1"}),
    ("a(ua{sv})", [(42, {"position": ("(ii)", (0, 0))})], [(42, {"position": (0, 0)})]),
    ("a(sa{sv})", [("i-just-asked", {"trigger_description": ("s", "Ctrl+F9")})],
     [("i-just-asked", {"trigger_description": "Ctrl+F9"})]),  # a struct whose first member is a string
    ("v", ("v", ("u", 3)), 3),
])
def test_dbus_values_become_plain_python(signature, value, expected):
    assert portal.plain(signature, value) == expected


def test_signatures_split_into_complete_types():
    assert portal.split_signature("oa(sa{sv})sa{sv}") == ["o", "a(sa{sv})", "s", "a{sv}"]
    assert portal.split_signature("(ii)aau") == ["(ii)", "aau"]


# -- the screen cast conversation ----------------------------------------------------------------------


def test_a_share_asks_for_a_window_or_monitor_kept_until_revoked_with_last_times_token():
    bus = FakeBus()
    stream = portal.share(bus, restore_token="token-1")
    os.close(stream.fd)
    assert (stream.node_id, stream.width, stream.height) == (42, 1280, 800)
    assert (stream.restore_token, stream.session) == ("token-2", SESSION_PATH)
    methods = [m for m, _, _ in bus.requests]
    assert methods == ["CreateSession", "SelectSources", "Start"]
    select = bus.requests[1][2]
    assert select["types"] == ("u", portal.MONITOR | portal.WINDOW)
    assert select["persist_mode"] == ("u", portal.PERSIST_UNTIL_REVOKED)
    assert select["restore_token"] == ("s", "token-1")
    assert bus.requests[1][1] == (SESSION_PATH,)


def test_a_desktop_that_shares_monitors_only_is_asked_for_a_monitor():
    bus = FakeBus(props={(portal.SCREENCAST, "AvailableSourceTypes"): 1})
    os.close(portal.share(bus).fd)
    assert bus.requests[1][2]["types"] == ("u", portal.MONITOR)
    assert "restore_token" not in bus.requests[1][2]


def test_a_refused_share_ends_with_one_sentence_and_closes_the_session():
    bus = FakeBus({"Start": (portal.RESPONSE_CANCELLED, {})})
    with pytest.raises(ShareEnded) as info:
        portal.share(bus)
    assert str(info.value) == portal.REFUSED
    assert bus.closed_sessions == [SESSION_PATH]


def test_a_desktop_without_the_portal_says_what_to_install():
    with pytest.raises(ScreenUnreadable, match="xdg-desktop-portal"):
        portal.share(FakeBus(props={(portal.SCREENCAST, "AvailableSourceTypes"): None}))


def test_no_session_bus_is_a_plain_sentence(monkeypatch):
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    with pytest.raises(ScreenUnreadable, match="no session bus"):
        portal.PortalBus()


# -- the restore token -------------------------------------------------------------------------------------


def test_the_restore_token_is_kept_beside_the_settings_readable_by_the_owner_only(tmp_path):
    path = tmp_path / "glimpse" / portal.STATE_FILE
    assert portal.load_token(path) is None
    portal.save_token(path, "token-2")
    assert portal.load_token(path) == "token-2"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    path.write_text("{not json")
    assert portal.load_token(path) is None  # the desktop simply asks again


def test_the_state_file_lives_in_the_settings_folder(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert portal.state_path() == tmp_path / "glimpse" / portal.STATE_FILE


# -- the grabber and the source --------------------------------------------------------------------------


def grabber(capture: FakeCapture, bus: FakeBus | None = None) -> portal.PortalGrabber:
    stream = portal.SharedStream(os.open(os.devnull, os.O_RDONLY), 42, 1280, 800, None, SESSION_PATH)
    return portal.PortalGrabber(bus or FakeBus(), stream, lambda s: capture, first_frame_timeout=1.0)


def test_grabs_are_bgr_crops_of_the_newest_picture_and_follow_a_resized_window():
    capture = FakeCapture(bgra())
    g = grabber(capture)
    assert g.monitors() == [Region(0, 0, 1280, 800)]
    crop = g.grab(Region(100, 50, 64, 32))
    assert crop.shape == (32, 64, 3) and crop.flags.c_contiguous
    assert (crop[0, 0] == (100, 50, 7)).all()
    capture.frame = bgra(300, 400)  # the shared window shrank: the region is moved inside it
    crop = g.grab(Region(390, 290, 64, 32))
    assert crop.shape == (32, 64, 3) and (crop[0, 0] == (336 % 256, 268 % 256, 7)).all()  # blue and green count x and y mod 256
    assert g.monitors() == [Region(0, 0, 400, 300)]


def test_a_share_closed_by_the_desktop_or_a_lost_stream_ends_with_one_sentence():
    bus, closed = FakeBus(), FakeCapture(bgra())
    g = grabber(closed, bus)
    bus.emit(portal.SESSION, "Closed", SESSION_PATH, ({},))
    with pytest.raises(ShareEnded) as info:
        g.grab(Region(0, 0, 64, 64))
    assert str(info.value) == portal.STOPPED
    g.close()
    assert closed.stopped and bus.closed and bus.closed_sessions == [SESSION_PATH]
    lost = FakeCapture(bgra())
    g = grabber(lost)
    lost.window_invalid, lost.error = True, "connection error"
    with pytest.raises(ShareEnded, match=r"stopped sending pictures \(connection error\)"):
        g.grab(Region(0, 0, 64, 64))


def test_a_stream_that_never_delivers_is_reported():
    with pytest.raises(ScreenUnreadable, match="no picture within"):
        grabber(FakeCapture(None))


def test_the_portal_source_finds_the_face_saves_the_token_and_yields_newest_frames(tmp_path):
    bus, capture = FakeBus(), FakeCapture(bgra())
    state = tmp_path / portal.STATE_FILE
    portal.save_token(state, "token-1")
    with portal.open_portal_source(None, hz=60, state=state, bus=bus, open_capture=lambda s: capture,
                                   locate=lambda image: (600, 300, 100, 120)) as source:
        assert bus.requests[1][2]["restore_token"] == ("s", "token-1")
        assert portal.load_token(state) == "token-2"  # a token is good once: the new one replaces it
        assert source.info.name == portal.SHARED_NAME
        assert source.region == Region(500, 180, 300, 360)  # the face with room to move (screen.watch_region)
        frames = []
        for frame in source:
            frames.append(frame)
            if len(frames) == 5:
                break
    assert all(f.image.shape == (360, 300, 3) for f in frames)
    assert all(b.t_s > a.t_s for a, b in zip(frames, frames[1:]))
    assert bus.closed


# -- "I just asked" through the GlobalShortcuts portal --------------------------------------------------------


def test_the_preferred_trigger_is_spelled_as_the_xdg_shortcuts_spec_does():
    assert preferred_trigger(parse_hotkey("Ctrl+Alt+Space")) == "CTRL+ALT+space"
    assert preferred_trigger(parse_hotkey("super+shift+f9")) == "SHIFT+LOGO+F9"


def wait_until(predicate, timeout=5.0):
    deadline = time.monotonic() + timeout
    while not predicate() and time.monotonic() < deadline:
        time.sleep(0.01)
    return predicate()


def test_where_the_desktop_offers_shortcuts_the_key_is_bound_and_its_presses_arrive():
    bus = FakeBus(props={(SHORTCUTS, "version"): 1})
    presses, problems = [], []
    key = PortalHotkey(parse_hotkey("Ctrl+Alt+Space"), lambda: presses.append(1), problems.append, lambda: bus)
    key.start()
    try:
        assert wait_until(lambda: len(bus.requests) == 2)
        (create, _, _), (bind, args, _) = bus.requests
        assert (create, bind) == ("CreateSession", "BindShortcuts")
        session, shortcuts, _parent = args
        assert session == SESSION_PATH and shortcuts[0][0] == SHORTCUT_ID
        assert shortcuts[0][1]["preferred_trigger"] == ("s", "CTRL+ALT+space")
        bus.emit(SHORTCUTS, "Activated", portal.OBJECT_PATH, ("/other/session", SHORTCUT_ID, 1, {}))
        bus.emit(SHORTCUTS, "Activated", portal.OBJECT_PATH, (SESSION_PATH, "another-app-key", 2, {}))
        bus.emit(SHORTCUTS, "Activated", portal.OBJECT_PATH, (SESSION_PATH, SHORTCUT_ID, 3, {}))
        assert wait_until(lambda: presses == [1])
        time.sleep(0.05)
        assert presses == [1] and problems == [] and key.trigger == "Ctrl+Alt+Space"
    finally:
        key.stop()
    assert bus.closed


@pytest.mark.parametrize("bus", [FakeBus(), FakeBus({"BindShortcuts": (1, {})}, {(SHORTCUTS, "version"): 1})],
                         ids=["not offered (wlroots, older GNOME)", "not confirmed"])
def test_where_there_is_no_global_key_the_listener_is_told_the_key_needs_focus(bus):
    problems: list[str] = []
    key = PortalHotkey(parse_hotkey("Ctrl+Alt+Space"), lambda: None, problems.append, lambda: bus)
    key.start()
    assert wait_until(lambda: problems)
    key.stop()
    assert "works only while Glimpse has focus" in problems[0]


def test_the_global_key_on_a_wayland_session_goes_through_the_portal(monkeypatch):
    monkeypatch.setattr("platform.system", lambda: "Linux")
    for name in ("DISPLAY", "DBUS_SESSION_BUS_ADDRESS", "XDG_RUNTIME_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-0")
    problems: list[str] = []
    key = GlobalHotkey(parse_hotkey("Ctrl+Alt+Space"), lambda: None, on_problem=problems.append)
    key.start()  # no exception: the answer comes from the listener's thread
    assert wait_until(lambda: problems)
    key.stop()
    assert problems == [f"the global key is not available: {FOCUS_ONLY}"]
    assert not [t for t in threading.enumerate() if t.name == "glimpse-hotkey" and t.is_alive()]


# -- the relay for the GPU-less test desktop ---------------------------------------------------------------


def message(obj: int, opcode: int, *words: int, text: bytes | None = None, after: tuple[int, ...] = ()) -> bytes:
    body = struct.pack(f"<{len(words)}I", *words)
    if text is not None:
        padded = text + b"\0" * (4 - len(text) % 4)
        body += struct.pack("<I", len(text) + 1) + padded + struct.pack(f"<{len(after)}I", *after)
    return shim.HEADER.pack(obj, opcode, shim.HEADER.size + len(body)) + body


def test_the_relay_adds_the_dmabuf_offer_a_pixman_compositor_leaves_out():
    objects = shim.Objects()
    for obj, opcode, raw in [(1, shim.GET_REGISTRY, message(1, 1, 2)),
                             (2, shim.BIND, message(2, 0, 9, text=shim.SCREENCOPY, after=(3, 7))),
                             (7, 0, message(7, 0, 11, 0, 5))]:  # capture_output(frame 11, cursor 0, output 5)
        objects.request(obj, opcode, raw[shim.HEADER.size:])
    assert objects.managers == {7} and set(objects.frames) == {11}
    buffer = message(11, shim.FRAME_BUFFER, 1, 1280, 800, 5120)  # XRGB8888 in shared memory
    assert objects.event(11, shim.FRAME_BUFFER, buffer[shim.HEADER.size:]) == b""
    added = objects.event(11, shim.FRAME_BUFFER_DONE, b"")
    assert added == message(11, shim.FRAME_LINUX_DMABUF, shim.SHM_TO_FOURCC[1], 1280, 800)
    assert objects.event(12, shim.FRAME_BUFFER_DONE, b"") == b""  # not a frame
    objects.event(1, shim.DELETE_ID, struct.pack("<I", 11))
    assert objects.frames == {}


def test_the_relay_adds_nothing_where_the_compositor_offers_dmabuf_itself():
    objects = shim.Objects()
    objects.managers.add(7)
    objects.request(7, 0, struct.pack("<3I", 11, 0, 5))
    objects.event(11, shim.FRAME_BUFFER, struct.pack("<4I", 1, 64, 64, 256))
    objects.event(11, shim.FRAME_LINUX_DMABUF, struct.pack("<3I", 0x34325258, 64, 64))
    assert objects.event(11, shim.FRAME_BUFFER_DONE, b"") == b""
