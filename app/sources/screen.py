"""Screen sources: a region of the screen, or a monitor with the face found on it (a video call).

`parse_source_spec("screen:X,Y,W,H" | "screen:N" | "screen:portal[:X,Y,W,H]")` reads a `--source` text;
`open_screen_source` turns it into a `FrameSource` (the same interface as `capture.CameraSource`); a
`screen:portal` source asks the desktop for a window or a screen (Wayland: `app/sources/portal.py`). Grabs run in a
capture thread at a fixed rate with mss; the consumer always gets the newest grab (older ones
are counted in `dropped`), stamped with the monotonic clock at the moment it was grabbed.

A screen that cannot be read raises `ScreenUnreadable` with what to do, never black frames:
no X display, a Wayland session (only X windows can be read, through XWayland), or macOS
without the Screen Recording permission (its grabs come back black).
"""

from __future__ import annotations

import os
import platform
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from app.errors import ScreenUnreadable, SourceInvalid
from app.sources.capture import Frame, SourceInfo

SCREEN_PREFIX = "screen:"
PORTAL = "portal"  # screen:portal: the desktop's ScreenCast portal (app/sources/portal.py)
GRAB_HZ = 30.0  # grabs a second: a call stream is 15-30 fps
OPEN_TIMEOUT_S = 5.0  # how long opening may take before the screen counts as unreadable ...
LOCATE_TIMEOUT_S = 30.0  # ... or, for a monitor, finding the face on it first (about 1 s unloaded)
FRAME_TIMEOUT_S = 2.0  # a capture thread that delivers nothing for this long has failed
BLACK_LEVEL = 8  # a grab whose every pixel is at or below this grey level is black
BLACK_PROBE_S = 0.5  # grabs stay black this long before black means "not allowed to read"
MIN_SIDE_PX = 16  # smallest region side that can hold a face at all

MAC_PERMISSION = ("macOS returns black grabs until Glimpse (or the Terminal or Python running it) may "
                  "record the screen: System Settings > Privacy & Security > Screen Recording, switch it "
                  "on, then restart Glimpse")
WAYLAND_ADVICE = ("on a Wayland session let the desktop share the call's window instead: --source screen:portal "
                  "(in the app: Watch a window…); an X grab sees only XWayland windows; or watch with the camera "
                  "(--source camera)")


@dataclass(frozen=True)
class Region:
    """A screen rectangle in pixels (virtual-screen coordinates: monitor 1 may not start at 0, 0)."""

    left: int
    top: int
    width: int
    height: int

    def __post_init__(self) -> None:
        if self.width < MIN_SIDE_PX or self.height < MIN_SIDE_PX:
            raise SourceInvalid(f"screen region {self.width}x{self.height} is too small; "
                                    f"expected at least {MIN_SIDE_PX}x{MIN_SIDE_PX} pixels")

    def as_mss(self) -> dict:
        return {"left": self.left, "top": self.top, "width": self.width, "height": self.height}

    def clipped_to(self, outer: Region) -> Region:
        """This region moved and shrunk as little as possible to lie inside `outer`."""
        w, h = min(self.width, outer.width), min(self.height, outer.height)
        left = min(max(self.left, outer.left), outer.left + outer.width - w)
        top = min(max(self.top, outer.top), outer.top + outer.height - h)
        return Region(left, top, w, h)


@dataclass(frozen=True)
class ScreenSpec:
    """What `screen:...` names: a `region`, or a `monitor` (1-based, as mss numbers them) whose face
    is found automatically. With `portal`, the window or screen the desktop shares (Wayland), and
    `region` lies in that shared picture (its top-left is 0, 0)."""

    region: Region | None = None
    monitor: int | None = None
    portal: bool = False

    @property
    def text(self) -> str:
        if self.portal:
            r = self.region
            return f"{SCREEN_PREFIX}{PORTAL}" + (f":{r.left},{r.top},{r.width},{r.height}" if r else "")
        if self.region is not None:
            r = self.region
            return f"{SCREEN_PREFIX}{r.left},{r.top},{r.width},{r.height}"
        return f"{SCREEN_PREFIX}{self.monitor}"


def is_screen_spec(text: str) -> bool:
    return text.strip().lower().startswith(SCREEN_PREFIX)


def parse_source_spec(text: str) -> ScreenSpec:
    """`screen:X,Y,W,H` (a region), `screen:N` (monitor N, from 1), or `screen:portal` (what the desktop
    shares), optionally `screen:portal:X,Y,W,H` (a region of it). Raises `SourceInvalid`."""
    body = text.strip()[len(SCREEN_PREFIX):] if is_screen_spec(text) else None
    usage = ("expected screen:X,Y,W,H (a region in pixels), screen:N (monitor N, from 1) or screen:portal "
             "(a window the desktop shares; screen:portal:X,Y,W,H for part of it)")
    if body is None:
        raise SourceInvalid(f"source {text!r} is not a screen source; {usage}")
    kind, _, rest = body.partition(":")
    if kind.strip().lower() == PORTAL:
        if not rest.strip():
            return ScreenSpec(portal=True)
        inner = parse_source_spec(SCREEN_PREFIX + rest)
        if inner.region is None:
            raise SourceInvalid(f"source {text!r}: {usage}")
        return ScreenSpec(region=inner.region, portal=True)
    parts = [p.strip() for p in body.split(",")]
    try:
        numbers = [int(p) for p in parts]
    except ValueError:
        raise SourceInvalid(f"source {text!r}: {usage}") from None
    if len(numbers) == 1:
        if numbers[0] < 1:
            raise SourceInvalid(f"source {text!r}: monitors are numbered from 1")
        return ScreenSpec(monitor=numbers[0])
    if len(numbers) != 4:
        raise SourceInvalid(f"source {text!r}: {usage}")
    return ScreenSpec(region=Region(*numbers))


def access_problem(env: Mapping[str, str] | None = None, system: str | None = None) -> str | None:
    """Why the screen cannot be read at all here, before trying (None: try)."""
    env = os.environ if env is None else env
    system = system or platform.system()
    if system != "Linux":
        return None
    if not env.get("DISPLAY"):
        if env.get("WAYLAND_DISPLAY"):
            return ("the screen cannot be read: this is a Wayland session without X access (DISPLAY is not set); "
                    f"{WAYLAND_ADVICE}")
        return ("the screen cannot be read: no X display (DISPLAY is not set); start Glimpse from the "
                "desktop session that shows the call, or use the camera (--source camera)")
    return None


def black_means(env: Mapping[str, str] | None = None, system: str | None = None) -> str | None:
    """What a grab that stays black means here: a refusal to be read (macOS without permission, a
    Wayland window seen through XWayland), or None where black is a real picture (plain X11, Windows)."""
    env = os.environ if env is None else env
    system = system or platform.system()
    if system == "Darwin":
        return f"the screen cannot be read: the grabs are black; {MAC_PERMISSION}"
    if system == "Linux" and env.get("WAYLAND_DISPLAY"):
        return ("the screen cannot be read: the grabs are black (a Wayland window cannot be seen from X); "
                + WAYLAND_ADVICE)
    return None


def is_black(image: np.ndarray) -> bool:
    return int(image.max(initial=0)) <= BLACK_LEVEL


class Grabber(Protocol):
    """What the capture thread grabs with (mss, or a stand-in in tests)."""

    def grab(self, region: Region) -> np.ndarray:
        """(H, W, 3) uint8 BGR pixels of `region`."""

    def monitors(self) -> list[Region]:
        """Monitors 1..N (index 0 is monitor 1)."""

    def close(self) -> None: ...


class MssGrabber:
    """mss, opened in the thread that uses it (its X connection is per thread on some systems)."""

    def __init__(self, display: str | None = None):
        import mss

        self._error = mss.ScreenShotError
        try:
            self._sct = mss.MSS(display=display) if display else mss.MSS()
        except mss.ScreenShotError as exc:
            advice = f"; {WAYLAND_ADVICE}" if os.environ.get("WAYLAND_DISPLAY") else ""
            raise ScreenUnreadable(f"the screen cannot be read: could not open the display ({exc}){advice}") from None

    def grab(self, region: Region) -> np.ndarray:
        try:
            shot = self._sct.grab(region.as_mss())
        except self._error as exc:
            raise ScreenUnreadable(f"the screen cannot be read at {region} ({exc})") from None
        bgra = np.frombuffer(shot.raw, np.uint8).reshape(shot.height, shot.width, 4)
        return np.ascontiguousarray(bgra[:, :, :3])

    def monitors(self) -> list[Region]:
        return [Region(m["left"], m["top"], m["width"], m["height"]) for m in self._sct.monitors[1:]]

    def close(self) -> None:
        self._sct.close()


def list_monitors() -> list[Region]:
    """The monitors mss sees (monitor 1 first). Raises `ScreenUnreadable`."""
    problem = access_problem()
    if problem:
        raise ScreenUnreadable(problem)
    grabber = MssGrabber()
    try:
        return grabber.monitors()
    finally:
        grabber.close()


FaceLocator = Callable[[np.ndarray], "tuple[int, int, int, int] | None"]  # image -> face (x, y, w, h) px


class ScreenSource:
    """Grabs a screen region at `hz` in a capture thread; iterating yields the newest grab.

    `t_s` is the monotonic clock when the grab finished, from the source's start. The region can
    be changed while watching (`set_region`: the listener moved the frame); frames then change size.
    With `monitor` and `locate`, the region is found on that monitor (see `WATCH_FACE_MULT`) and
    found again after `report_face(False)` has been said for `REFIND_AFTER_S` (the search runs in
    the capture thread: no grabs for its second or so, while there is no face to watch anyway).
    `display_checks`: refuse up front where the display cannot be read (no X, macOS without permission);
    off for a picture the desktop hands over itself (the portal's grabber)."""

    def __init__(self, region: Region | None = None, hz: float = GRAB_HZ, monitor: int | None = None,
                 locate: FaceLocator | None = None, open_grabber: Callable[[], Grabber] = MssGrabber,
                 env: Mapping[str, str] | None = None, system: str | None = None,
                 clock: Callable[[], float] = time.monotonic, display_checks: bool = True, name: str | None = None):
        if region is None and monitor is None:
            raise SourceInvalid("a screen source needs a region or a monitor")
        problem = access_problem(env, system) if display_checks else None
        if problem:
            raise ScreenUnreadable(problem)
        self.hz, self._clock, self._open_grabber = hz, clock, open_grabber
        self._black_message = black_means(env, system) if display_checks else None
        self._monitor_index, self._locate = monitor, locate
        self._region: Region | None = region  # found on the monitor by _open when not given
        self._monitor_region: Region | None = None
        self._cond = threading.Condition()
        self._latest: tuple[int, float, np.ndarray] | None = None  # (sequence, t, image)
        self._error: BaseException | None = None
        self._stop, self._ready, self._refind = threading.Event(), threading.Event(), threading.Event()
        self._lost_since: float | None = None
        self.dropped = 0  # grabs the consumer was too slow for
        self.grabs = 0
        self._thread = threading.Thread(target=self._run, name="glimpse-screen", daemon=True)
        self._thread.start()
        timeout = OPEN_TIMEOUT_S if region is not None else LOCATE_TIMEOUT_S
        if not self._ready.wait(timeout):
            self.close()
            raise ScreenUnreadable(f"the screen cannot be read: no grab within {timeout:.0f} s")
        if self._error is not None:
            error = self._error
            self.close()
            raise error
        r = self.region
        name = name or (f"screen {self._monitor_index}" if region is None else ScreenSpec(region=r).text)
        self.info = SourceInfo(name, float(hz), r.width, r.height)

    @property
    def region(self) -> Region:
        with self._cond:
            region = self._region
        assert region is not None  # given, or found before __init__ returns
        return region

    def set_region(self, region: Region) -> None:
        """Watch another rectangle from the next grab on."""
        with self._cond:
            self._region = region

    def report_face(self, found: bool) -> None:
        """Whether the last frame had a face: with a monitor, a face lost long enough is searched again."""
        if self._locate is None:
            return
        now = self._clock()
        if found:
            self._lost_since = None
        elif self._lost_since is None:
            self._lost_since = now
        elif now - self._lost_since >= REFIND_AFTER_S:
            self._lost_since = now
            self._refind.set()

    def _find_region(self, grabber: Grabber) -> None:
        """The region around the face on the monitor, or the whole monitor when there is none."""
        whole = self._monitor_region
        assert whole is not None  # only with a monitor
        face = self._locate(grabber.grab(whole)) if self._locate is not None else None
        region = whole if face is None else watch_region(face, whole)
        with self._cond:
            self._region = region

    def _open(self, grabber: Grabber) -> None:
        if self._monitor_index is not None:
            monitors = grabber.monitors()
            if not 1 <= self._monitor_index <= len(monitors):
                raise ScreenUnreadable(f"there is no monitor {self._monitor_index}; monitors found: "
                                       f"{len(monitors)} (numbered from 1)")
            self._monitor_region = monitors[self._monitor_index - 1]
            if self._region is None:
                self._find_region(grabber)
        deadline = self._clock() + BLACK_PROBE_S
        while True:
            image = grabber.grab(self.region)
            if self._black_message is None or not is_black(image) or self._clock() >= deadline:
                break
            time.sleep(1.0 / self.hz)
        if self._black_message is not None and is_black(image):
            raise ScreenUnreadable(self._black_message)

    def _run(self) -> None:
        grabber = None
        try:
            grabber = self._open_grabber()
            self._open(grabber)
            self._start = self._clock()
            self._ready.set()
            period = 1.0 / self.hz
            due = self._clock()
            while not self._stop.is_set():
                if self._refind.is_set():
                    self._refind.clear()
                    self._find_region(grabber)
                image = grabber.grab(self.region)
                t = self._clock()
                with self._cond:
                    seq = self._latest[0] + 1 if self._latest else 0
                    self._latest = (seq, t - self._start, image)
                    self.grabs += 1
                    self._cond.notify_all()
                due += period
                wait = due - self._clock()
                if wait > 0:
                    self._stop.wait(wait)
                elif wait < -period:
                    due = self._clock()  # fell behind (a slow grab): keep the rate, not the backlog
        except BaseException as exc:  # noqa: BLE001 - raised in the consumer (or by the constructor)
            with self._cond:
                self._error = exc if isinstance(exc, ScreenUnreadable) else ScreenUnreadable(
                    f"the screen cannot be read ({type(exc).__name__}: {exc})")
                self._cond.notify_all()
            self._ready.set()
        finally:
            if grabber is not None:
                grabber.close()

    def __iter__(self) -> Iterator[Frame]:
        index, last_seq = 0, -1
        while not self._stop.is_set():
            with self._cond:
                got = self._cond.wait_for(
                    lambda: self._error is not None or self._stop.is_set()  # called in this iteration:
                    or (self._latest is not None and self._latest[0] > last_seq), FRAME_TIMEOUT_S)  # noqa: B023
                if self._error is not None:
                    raise self._error
                if self._stop.is_set():
                    return
                if not got:
                    raise ScreenUnreadable(f"the screen gave no picture for {FRAME_TIMEOUT_S:.0f} s")
                assert self._latest is not None  # wait_for's predicate
                seq, t, image = self._latest
            self.dropped += max(seq - last_seq - 1, 0) if last_seq >= 0 else 0
            last_seq = seq
            yield Frame(index, t, image)
            index += 1

    def close(self) -> None:
        self._stop.set()
        with self._cond:
            self._cond.notify_all()
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(timeout=2.0)

    def __enter__(self) -> ScreenSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


REFIND_AFTER_S = 1.0  # a face missing this long on a watched monitor is searched for again
WATCH_FACE_MULT = (3.0, 3.0)  # the watched region around a found face, in face widths and heights


def watch_region(face: tuple[int, int, int, int], monitor: Region) -> Region:
    """The rectangle to watch around a face (x, y, w, h in the monitor's grab): the face with room to
    move, inside the monitor."""
    x, y, w, h = face
    ww, wh = max(int(w * WATCH_FACE_MULT[0]), MIN_SIDE_PX), max(int(h * WATCH_FACE_MULT[1]), MIN_SIDE_PX)
    cx, cy = monitor.left + x + w // 2, monitor.top + y + h // 2
    return Region(cx - ww // 2, cy - wh // 2, ww, wh).clipped_to(monitor)


__all__ = ["Region", "ScreenSpec", "ScreenSource", "parse_source_spec", "is_screen_spec",
           "access_problem", "black_means", "is_black", "list_monitors", "watch_region"]
