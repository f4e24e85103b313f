"""A face is found wherever raw MediaPipe finds it, whatever the frame's size and the face's share of it
(issue 17): a matrix of frame sizes x face sizes made from real footage, Glimpse's face coverage against
raw MediaPipe's on the same frames, offline and through `screen:X,Y,W,H` under Xvfb for the tight crops
(a region drawn around a face on a call). The full matrix over more clips is `python -m bench face_size`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.face.small_face import Crop, SmallFaceTracker, search_crops
from app.sources.capture import FileSource
from tests.support.callfootage import write_video
from tests.support.facematrix import FACE_SIZES, FRAME_SIZES, Cell, FaceBox, cell_frames, cells, coverage
from tests.support.xserver import virtual_display, xvfb_missing

ROOT = Path(__file__).resolve().parent.parent
CLIPS = [ROOT / "tests" / "data" / "WolfgangLanger_Pexels.mp4",
         ROOT.parent / "shared" / "data" / "natural" / "latentsync_demo1_talking.mp4"]  # the second where present
FRAMES = 60  # one frame is 1.7 points: the 2-point tolerance allows one
TOLERANCE = 0.02


@pytest.fixture(scope="module", params=CLIPS, ids=lambda p: p.stem)
def clip(request) -> tuple[Path, FaceBox]:
    path = request.param
    if not path.exists():
        pytest.skip(f"{path} is not on this machine (footage outside the repository)")
    return path, FaceBox.of_clip(path, FRAMES)


@pytest.mark.slow
@pytest.mark.parametrize("size", FRAME_SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_glimpse_finds_the_face_wherever_raw_mediapipe_does(clip, size):
    path, box = clip
    short = []
    for face in FACE_SIZES:
        cell = Cell(*size, face)
        frames = list(cell_frames(path, box, cell, FRAMES))
        raw, glimpse = coverage(frames, glimpse=False), coverage(frames, glimpse=True)
        if glimpse < raw - TOLERANCE:
            short.append(f"{cell.name}: Glimpse {glimpse:.0%}, raw MediaPipe {raw:.0%}")
    assert not short, short


def test_the_matrix_spans_what_the_issue_asks():
    assert {(c.width, c.height) for c in cells()} >= {(128, 128), (640, 480), (1280, 720), (1080, 1920)}
    assert Cell(300, 300, "fills").face_px(0.8) == 300 and Cell(1080, 1920, "fills").face_px(0.8) == 1350
    assert Cell(640, 480, "a third").face_px(0.8) == 160 and Cell(640, 480, "40 px").face_px(0.8) == 40


def test_a_small_frame_is_searched_plain_first_then_upscaled():
    plain, upscaled = search_crops(256, 256)
    assert plain.is_plain(256, 256) and not upscaled.is_plain(256, 256) and upscaled.w == 256
    assert search_crops(640, 480)[0].is_plain(640, 480)


def test_a_tile_that_cuts_a_face_is_told_from_one_that_holds_it():
    import numpy as np

    tile = Crop(100, 100, 240, 240, 2.4)
    inside = np.array([[0.3, 0.3, 0.0], [0.7, 0.7, 0.0]], np.float32)
    cut = np.array([[0.3, 0.3, 0.0], [0.7, 1.2, 0.0]], np.float32)
    assert not tile.cuts(inside, 1280, 720) and tile.cuts(cut, 1280, 720)
    corner = Crop(0, 0, 240, 240, 2.4)  # a face at the frame's own edge is not cut by the tile
    assert not corner.cuts(np.array([[-0.1, 0.3, 0.0], [0.5, 0.7, 0.0]], np.float32), 1280, 720)


class CountingTracker:
    """A stand-in `FaceTracker` that records the image sizes it is given and finds nothing."""

    def __init__(self):
        self.shapes: list[tuple[int, int]] = []

    def update(self, image, t_s):
        self.shapes.append(image.shape[:2])

    def close(self):
        pass


def test_the_search_tries_every_tile_with_the_plain_frame_between():
    import numpy as np

    fake = CountingTracker()
    follow = SmallFaceTracker(fake)  # type: ignore[arg-type]
    n = len(search_crops(1280, 720))
    for k in range(n + 1):
        follow.update(np.zeros((720, 1280, 3), np.uint8), k / 30)
    plain = (720, 1280)
    assert all(s == plain for s in fake.shapes[0::2])  # a face that walks in is seen at once
    assert all(s != plain for s in fake.shapes[1:n:2])  # tiles between ...
    assert {c.w for c in search_crops(1280, 720)[1:]} == {240, 480, 1280}  # ... of two sizes


@pytest.mark.parametrize("name", ["noface_face.mov", "face_noface.mov"])
def test_a_face_that_walks_in_or_out_is_found_as_raw_mediapipe_finds_it(name):
    with FileSource(ROOT / "tests" / "data" / name) as src:
        frames = list(src)
    assert coverage(frames, glimpse=True) >= coverage(frames, glimpse=False) - TOLERANCE


# --- the same through a screen region under Xvfb --------------------------------------------------------

TIGHT = [Cell(w, h, face) for w, h in FRAME_SIZES[:4] for face in ("fills", "a third")]  # 128..300 px regions
WATCH_S = 6.0
PLAYER_UP_S = 40.0  # a loaded machine can take long to start the players' Python and Qt
needs_xvfb = pytest.mark.skipif(xvfb_missing() is not None, reason=xvfb_missing() or "")


def layout(cells_: list[Cell], gap: int = 10) -> list[tuple[int, int]]:
    """Top-left corners for the cells' windows, in rows across a 1280 px screen."""
    corners, x, y, row = [], gap, gap, 0
    for cell in cells_:
        if x + cell.width > 1280:
            x, y, row = gap, y + row + gap, 0
        corners.append((x, y))
        x, row = x + cell.width + gap, max(row, cell.height)
    return corners


@needs_xvfb
@pytest.mark.slow
def test_a_tight_screen_region_around_a_face_finds_it(tmp_path):
    path, box = CLIPS[0], FaceBox.of_clip(CLIPS[0], FRAMES)
    videos, raws = [], []
    for k, cell in enumerate(TIGHT):
        video = write_video(tmp_path / f"cell{k}.mp4", (f.image for f in cell_frames(path, box, cell, FRAMES)), 24.0)
        with FileSource(video) as src:  # raw MediaPipe on what the player shows
            raws.append(coverage(list(src), glimpse=False))
        videos.append(video)
    corners = layout(TIGHT)
    short = []
    with virtual_display() as server:
        env = dict(os.environ, DISPLAY=server.display, QT_QPA_PLATFORM="xcb")
        env.pop("WAYLAND_DISPLAY", None)
        players = [subprocess.Popen([sys.executable, "-m", "tests.support.player", str(v), str(x), str(y)], cwd=ROOT, env=env,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                   for v, (x, y) in zip(videos, corners)]
        try:
            wait_for_pictures(server.display, corners, TIGHT)
            for cell, (x, y), raw in zip(TIGHT, corners, raws):
                out = tmp_path / "m.json"
                spec = f"screen:{x},{y},{cell.width},{cell.height}"
                done = subprocess.run([sys.executable, "-m", "app", "live", "--source", spec, "--no-window",
                                       "--duration", f"{WATCH_S:g}", "--out", str(out)], cwd=ROOT, env=env,
                                      capture_output=True, text=True, timeout=180)
                assert done.returncode == 0, done.stderr[-800:]
                data = json.loads(out.read_text())
                found = data["face_frames"] / max(data["frames"], 1)
                if data["frames"] < 10 or found < raw - TOLERANCE:
                    short.append(f"{cell.name}: {data['face_frames']} of {data['frames']} on screen, raw {raw:.0%}")
        finally:
            for p in players:
                p.terminate()
                p.wait(timeout=10)
    assert not short, short


def wait_for_pictures(display: str, corners, cells_) -> None:
    """Until every player shows its picture (a grab of its corner is not the empty screen)."""
    from app.sources.screen import MssGrabber, Region

    grabber = MssGrabber(display)
    deadline = time.monotonic() + PLAYER_UP_S
    try:
        while time.monotonic() < deadline:
            if all(grabber.grab(Region(x, y, c.width, c.height)).max() > 0 for (x, y), c in zip(corners, cells_)):
                return
            time.sleep(0.5)
    finally:
        grabber.close()
    raise AssertionError(f"the players did not show within {PLAYER_UP_S:.0f} s")
