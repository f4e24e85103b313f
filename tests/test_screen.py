"""Screen sources: spec parsing, clear refusals (Wayland, macOS permission, black grabs), the capture
thread (newest grab wins, real timestamps), and, under a real X server (Xvfb), a window playing a
face video watched through a region: face found in >= 90% of grabs at >= 20 grabs a second."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from app.errors import GlimpseError, ScreenUnreadable, SourceInvalid
from app.face.locate import locate_face
from app.run.choices import open_screen_source
from app.sources.screen import (
    REFIND_AFTER_S,
    Region,
    ScreenSource,
    ScreenSpec,
    access_problem,
    black_means,
    parse_source_spec,
    watch_region,
)
from tests.support.callfootage import place
from tests.support.xserver import virtual_display, xvfb_missing

DATA = Path(__file__).parent / "data"
CLIP = DATA / "injected_short.mp4"
X11 = {"DISPLAY": ":0"}
WAYLAND_ONLY = {"WAYLAND_DISPLAY": "wayland-0"}
XWAYLAND = {"DISPLAY": ":0", "WAYLAND_DISPLAY": "wayland-0"}


# --- spec parsing ---------------------------------------------------------------------------------

@pytest.mark.parametrize("text, spec", [
    ("screen:10,20,640,480", ScreenSpec(region=Region(10, 20, 640, 480))),
    (" SCREEN: -1920, 0, 200, 150 ", ScreenSpec(region=Region(-1920, 0, 200, 150))),
    ("screen:2", ScreenSpec(monitor=2)),
])
def test_screen_specs_are_read(text, spec):
    assert parse_source_spec(text) == spec
    assert parse_source_spec(spec.text) == spec


@pytest.mark.parametrize("text", ["screen:", "screen:1,2,3", "screen:a,b,c,d", "screen:0", "screen:-1",
                                  "screen:0,0,8,8", "screen:0,0,640,480,1", "camera:0", "video.mp4"])
def test_bad_specs_give_one_line(text):
    with pytest.raises(SourceInvalid) as err:
        parse_source_spec(text)
    assert isinstance(err.value, GlimpseError) and "\n" not in str(err.value) and str(err.value)


# --- where the screen cannot be read --------------------------------------------------------------

def test_a_wayland_session_without_x_is_refused_with_what_to_do():
    message = access_problem(WAYLAND_ONLY, "Linux")
    assert "cannot be read" in message and "Wayland" in message
    assert "XWayland" in message and "camera" in message
    with pytest.raises(ScreenUnreadable, match="Wayland"):
        ScreenSource(Region(0, 0, 640, 480), env=WAYLAND_ONLY, system="Linux", open_grabber=FakeGrabber)


def test_no_display_at_all_is_refused():
    assert "DISPLAY is not set" in access_problem({}, "Linux")
    assert access_problem(X11, "Linux") is None and access_problem({}, "Darwin") is None
    assert access_problem({}, "Windows") is None


def test_black_means_a_refusal_only_where_it_is_one():
    mac = black_means({}, "Darwin")
    assert "Screen Recording" in mac and "Privacy & Security" in mac and "System Settings" in mac
    assert "XWayland" in black_means(XWAYLAND, "Linux")
    assert black_means(X11, "Linux") is None and black_means({}, "Windows") is None


class FakeGrabber:
    """Stands in for mss: `pictures(k)` is the k-th grab; one 1280x800 monitor."""

    pictures = staticmethod(lambda k: np.full((480, 640, 3), 100, np.uint8))
    delay_s = 0.0

    def __init__(self):
        self.k = 0

    def grab(self, region: Region) -> np.ndarray:
        time.sleep(self.delay_s)
        image = type(self).pictures(self.k)
        self.k += 1
        return np.ascontiguousarray(np.resize(image, (region.height, region.width, 3)))

    def monitors(self) -> list[Region]:
        return [Region(0, 0, 1280, 800)]

    def close(self) -> None:
        pass


def grabber(pictures, delay_s: float = 0.0):
    return type("Grabber", (FakeGrabber,), {"pictures": staticmethod(pictures), "delay_s": delay_s})


BLACK = staticmethod(lambda k: np.zeros((480, 640, 3), np.uint8))


def test_black_grabs_on_macos_raise_the_permission_message_never_black_frames():
    with pytest.raises(ScreenUnreadable, match="Screen Recording"):
        ScreenSource(Region(0, 0, 640, 480), env={}, system="Darwin", open_grabber=grabber(BLACK))


def test_black_grabs_through_xwayland_say_what_to_do():
    with pytest.raises(ScreenUnreadable, match="XWayland"):
        ScreenSource(Region(0, 0, 640, 480), env=XWAYLAND, system="Linux", open_grabber=grabber(BLACK))


def test_on_plain_x11_a_black_picture_is_a_picture():
    with ScreenSource(Region(0, 0, 64, 48), env=X11, system="Linux", open_grabber=grabber(BLACK)) as s:
        frame = next(iter(s))
    assert frame.image.shape == (48, 64, 3) and not frame.image.any()


# --- the capture thread ---------------------------------------------------------------------------

def numbered(k: int) -> np.ndarray:
    return np.full((48, 64, 3), k % 256, np.uint8)


def test_the_newest_grab_wins_and_times_are_the_grab_times():
    with ScreenSource(Region(0, 0, 64, 48), hz=100, env=X11, system="Linux", open_grabber=grabber(numbered)) as s:
        frames = []
        for frame in s:
            frames.append(frame)
            time.sleep(0.05)  # a slow consumer: about four grabs a frame
            if len(frames) == 10:
                break
        grabs, dropped = s.grabs, s.dropped
    values = [int(f.image[0, 0, 0]) for f in frames]
    assert all(b > a for a, b in zip(values, values[1:]))  # newest each time, never an old grab
    assert dropped >= 15 and grabs >= len(frames) + dropped
    dt = np.diff([f.t_s for f in frames])
    assert np.all(dt > 0.03) and np.all(dt < 0.2)  # stamped when grabbed, not when taken
    assert [f.index for f in frames] == list(range(10))


def test_a_failing_grab_reaches_the_consumer_as_one_clear_error():
    def failing(k):
        if k >= 3:
            raise ScreenUnreadable("the screen cannot be read (display closed)")
        return numbered(k)

    with ScreenSource(Region(0, 0, 64, 48), env=X11, system="Linux", open_grabber=grabber(failing)) as s:
        with pytest.raises(ScreenUnreadable, match="display closed"):
            for _ in s:
                pass


def test_the_region_can_move_and_resize_while_watching():
    with ScreenSource(Region(0, 0, 64, 48), env=X11, system="Linux", open_grabber=grabber(numbered)) as s:
        frames = iter(s)
        assert next(frames).image.shape == (48, 64, 3)
        s.set_region(Region(10, 10, 200, 150))
        deadline = time.monotonic() + 2
        while next(frames).image.shape != (150, 200, 3):
            assert time.monotonic() < deadline


def test_a_missing_monitor_is_named():
    with pytest.raises(ScreenUnreadable, match="no monitor 3; monitors found: 1"):
        ScreenSource(None, monitor=3, locate=lambda image: None, env=X11, system="Linux", open_grabber=FakeGrabber)


def screen_with_tile(tile_at=(900, 500)) -> np.ndarray:
    """A 1280x800 'desktop' with the clip's first frame as a 200x150 tile (face about 55 px tall)."""
    import cv2

    cap = cv2.VideoCapture(str(CLIP))
    ok, image = cap.read()
    cap.release()
    screen = np.full((800, 1280, 3), 230, np.uint8)
    x, y = tile_at
    screen[y:y + 150, x:x + 200] = place(image, 0.21, (200, 150))
    return screen


def test_a_face_on_a_monitor_is_found_and_watched_and_found_again_when_lost():
    screen = screen_with_tile((900, 500))
    face = locate_face(screen)
    assert face is not None
    x, y, w, h = face
    assert 900 <= x and x + w <= 1100 and 500 <= y and y + h <= 650 and 35 <= h <= 90
    region = watch_region(face, Region(0, 0, 1280, 800))
    assert region.left <= x and region.left + region.width >= x + w and region.width >= 2 * w

    now = [0.0]
    moved = screen_with_tile((100, 100))
    with ScreenSource(None, monitor=1, locate=locate_face, env=X11, system="Linux",
                      open_grabber=grabber(lambda k: screen if k < 3 else moved),
                      clock=lambda: now[0]) as s:
        assert s.region == region
        s.report_face(False)
        now[0] += REFIND_AFTER_S + 0.1
        s.report_face(False)  # lost long enough: searched again on the next grab
        deadline = time.monotonic() + 3
        while s.region == region:
            assert time.monotonic() < deadline
            time.sleep(0.01)
        assert s.region.left < 300 and s.region.top < 300  # the tile moved to the top left


# --- under a real X server ------------------------------------------------------------------------

needs_xvfb = pytest.mark.skipif(xvfb_missing() is not None, reason=xvfb_missing() or "")
WATCH_S = 4.0
PLAYER_AT = (100, 80)
PLAYER_START_S = 40.0  # a loaded machine can take long to start the player's Python and Qt
PICTURE_MEAN = 5  # grey levels: the player window is up (the bare root window is black)


@pytest.fixture
def x_display(monkeypatch):
    with virtual_display() as server:
        monkeypatch.setenv("DISPLAY", server.display)
        monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
        yield server


def start_player(display: str, *args: str) -> subprocess.Popen:
    env = dict(os.environ, DISPLAY=display, QT_QPA_PLATFORM="xcb")
    root = Path(__file__).resolve().parent.parent
    return subprocess.Popen([sys.executable, "-m", "tests.support.player", str(CLIP), *map(str, PLAYER_AT), *args],
                            cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def wait_for_picture(source: ScreenSource, player: subprocess.Popen, timeout_s: float = PLAYER_START_S) -> None:
    deadline = time.monotonic() + timeout_s
    for frame in source:
        if frame.image.mean() > PICTURE_MEAN:
            return
        if player.poll() is not None or time.monotonic() > deadline:
            with ScreenSource(Region(0, 0, 1280, 800)) as whole:
                lit = np.argwhere(next(iter(whole)).image.max(axis=2) > 0)
            where = f"lit pixels {lit.min(0)}..{lit.max(0)}" if len(lit) else "the screen is all black"
            if player.poll() is None:
                player.send_signal(signal.SIGUSR1)  # the player's stack, to its stderr
                time.sleep(0.5)
            player.terminate()
            pytest.fail(f"the player window did not show within {timeout_s:.0f} s ({where}; exit {player.wait()}): "
                        + player.stderr.read().decode()[-800:])


def watch_region_live(region: Region, player: subprocess.Popen) -> tuple[float, float, float, float]:
    """(grabs a second, frames tracked a second, share of tracked frames with a face, median face px)."""
    from app.face.small_face import SmallFaceTracker
    from app.face.tracking import FaceTracker

    with ScreenSource(region) as source, SmallFaceTracker(FaceTracker()) as tracker:
        wait_for_picture(source, player)
        grabs0, start, tracked, found, px = source.grabs, time.monotonic(), 0, 0, []
        for frame in source:
            face = tracker.update(frame.image, frame.t_s)
            tracked += 1
            if face is not None:
                found += 1
                px.append(face.face_px)
            if time.monotonic() - start >= WATCH_S:
                break
        wall = time.monotonic() - start
        grabs = source.grabs - grabs0
    return grabs / wall, tracked / wall, found / tracked, float(np.median(px)) if px else 0.0


@needs_xvfb
@pytest.mark.parametrize("size, player_args, face_px", [
    ((640, 480), (), (200, 300)),
    ((200, 150), ("--scale", "0.21", "--canvas", "200x150"), (45, 65)),
    ((640, 480), ("--scale", "0.21", "--canvas", "640x480"), (45, 65)),  # a small tile in a large region
])
def test_a_face_playing_in_a_window_is_watched_through_a_screen_region(x_display, size, player_args, face_px):
    player = start_player(x_display.display, *player_args)
    try:
        region = Region(*PLAYER_AT, *size)
        grab_hz, tracked_hz, share, px = watch_region_live(region, player)
        print(f"\n{size[0]}x{size[1]}: {grab_hz:.1f} grabs/s, {tracked_hz:.1f} tracked/s, "
              f"face in {100 * share:.1f}%, face {px:.0f} px")
        assert player.poll() is None, player.stderr.read().decode()[-500:]
    finally:
        player.terminate()
        player.wait(timeout=5)
    assert grab_hz >= 15  # under a full test run's load; bench/live/screen_capture.py measures the rate itself
    assert share >= 0.9
    assert face_px[0] <= px <= face_px[1]


@needs_xvfb
def test_the_screen_source_reads_what_is_on_the_x_screen(x_display):
    player = start_player(x_display.display)
    try:
        with open_screen_source(f"screen:{PLAYER_AT[0] - 20},{PLAYER_AT[1] - 20},100,100") as source:
            wait_for_picture(source, player)
            image = next(iter(source)).image
    finally:
        player.terminate()
        player.wait(timeout=5)
    assert image.shape == (100, 100, 3)
    assert image[:20, :].max() == 0 and image[:, :20].max() == 0  # the bare root window, left and above
    assert image[30:, 30:].mean() > 10  # the video's picture from (100, 80) on


@needs_xvfb
def test_a_monitor_source_finds_the_tile_face_on_the_screen(x_display):
    player = start_player(x_display.display, "--scale", "0.21", "--canvas", "200x150")
    try:
        with ScreenSource(Region(*PLAYER_AT, 200, 150)) as probe:
            wait_for_picture(probe, player)
        with open_screen_source("screen:1") as source:
            region = source.region
            image = next(iter(source)).image
    finally:
        player.terminate()
        player.wait(timeout=5)
    tile_center = (PLAYER_AT[0] + 100, PLAYER_AT[1] + 75)
    assert region.left <= tile_center[0] <= region.left + region.width
    assert region.top <= tile_center[1] <= region.top + region.height
    assert region.width < 400 and image.shape == (region.height, region.width, 3)  # the face, not the screen
