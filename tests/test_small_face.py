"""Small faces (a call's gallery tile): tracked in an upscaled crop, landmarks mapped back to the
frame, moments comparable with the full-size video. Footage: the real injected clip, shrunk."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from app.face.small_face import SMALL_FACE_PX, Crop, SmallFaceTracker, crop_around, search_crops
from app.face.tracking import FaceTracker
from app.run.pipeline import analyze
from app.settings.schema import Settings
from tests.support.callfootage import small_face_frames, write_video

DATA = Path(__file__).parent / "data"
CLIP = DATA / "injected_short.mp4"
TRUTH = json.loads((DATA / "injected_short.json").read_text())["events"]
TILE_SCALE = 0.21  # the clip's 262 px face becomes 55 px tall
FRAMES = 120  # 5 s of the clip
APEX_TOLERANCE_S = 0.2
RIGHT_EYE, LEFT_EYE = (33, 133), (263, 362)


def test_a_crop_maps_its_landmarks_back_to_the_frame():
    crop = Crop(100, 50, 150, 150, 3.0)
    pts = np.array([[0.0, 0.0, 0.1], [1.0, 1.0, -0.2], [0.5, 0.25, 0.0]], np.float32)
    out = crop.to_frame(pts, 640, 480)
    np.testing.assert_allclose(out[:, 0] * 640, [100, 250, 175], atol=1e-4)
    np.testing.assert_allclose(out[:, 1] * 480, [50, 200, 87.5], atol=1e-4)
    np.testing.assert_allclose(out[:, 2], pts[:, 2] * 150 / 640, atol=1e-6)
    assert crop.cut(np.zeros((480, 640, 3), np.uint8)).shape == (450, 450, 3)


@pytest.mark.parametrize("center", [(5.0, 5.0), (320.0, 240.0), (635.0, 470.0)])
def test_crops_and_search_tiles_stay_inside_the_frame(center):
    c = crop_around(center, 55.0, 640, 480)
    assert 0 <= c.x and c.x + c.w <= 640 and 0 <= c.y and c.y + c.h <= 480 and c.scale > 1
    tiles = search_crops(640, 480)
    assert all(0 <= t.x and t.x + t.w <= 640 and 0 <= t.y and t.y + t.h <= 480 for t in tiles)
    covered = np.zeros((480, 640), bool)
    for t in tiles:
        covered[t.y:t.y + t.h, t.x:t.x + t.w] = True
    assert covered.all()


def track(frames, small: bool):
    """(landmarks or None, face_px) per frame."""
    out = []
    with FaceTracker() as tracker:
        t = SmallFaceTracker(tracker) if small else tracker
        for f in frames:
            face = t.update(f.image, f.t_s)
            out.append((None, 0.0) if face is None else (face.landmarks, face.face_px))
    return out


def iod_px(lm: np.ndarray, w: int, h: int) -> float:
    p = lm[:, :2] * np.array([w, h])
    return float(np.linalg.norm(p[list(RIGHT_EYE)].mean(0) - p[list(LEFT_EYE)].mean(0)))


@pytest.fixture(scope="module")
def full_size():
    return track(small_face_frames(CLIP, 1.0, limit=FRAMES), small=False)


@pytest.mark.parametrize("canvas", [(640, 480), (200, 150)])
def test_a_55_px_face_is_found_in_nine_frames_of_ten_and_lands_where_the_full_size_face_is(canvas, full_size):
    frames = list(small_face_frames(CLIP, TILE_SCALE, canvas, limit=FRAMES))
    plain = track(frames, small=False)
    cropped = track(frames, small=True)
    found = np.mean([lm is not None for lm, _ in cropped])
    assert found >= 0.9
    if canvas == (640, 480):  # 55 px in 640x480 is 11 px at the detector's 128x128 input: never found
        assert np.mean([lm is not None for lm, _ in plain]) < 0.5
    px = np.median([p for lm, p in cropped if lm is not None])
    assert 50 <= px <= 60 < SMALL_FACE_PX
    # landmarks, mapped back into the full-size clip's pixels, against the full-size tracking
    w, h = canvas
    ox, oy = (w - 640 * TILE_SCALE) / 2, (h - 360 * TILE_SCALE) / 2
    errors = []
    for (small_lm, _), (big_lm, _) in zip(cropped, full_size):
        if small_lm is None or big_lm is None:
            continue
        small_px = (small_lm[:, :2] * np.array([w, h]) - np.array([ox, oy])) / TILE_SCALE
        big_px = big_lm[:, :2] * np.array([640, 360])
        errors.append(np.linalg.norm(small_px - big_px, axis=1).mean() / iod_px(big_lm, 640, 360))
    assert np.median(errors) < 0.05  # measured 0.021 IOD with the crop (0.036 without, at 200x150)


def test_large_faces_are_tracked_as_before(full_size):
    again = track(small_face_frames(CLIP, 1.0, limit=FRAMES), small=True)
    assert all(np.array_equal(a[0], b[0]) for a, b in zip(again, full_size))
    assert np.median([p for _, p in again]) > 200


@pytest.mark.parametrize("canvas", [(200, 150), (640, 480)])
def test_moments_of_a_tile_face_agree_with_the_full_size_video(tmp_path, canvas):
    tile = write_video(tmp_path / "tile.mp4", (f.image for f in small_face_frames(CLIP, TILE_SCALE, canvas)), 23.976)
    full = analyze(CLIP, Settings())
    small = analyze(tile, Settings())
    assert 50 <= small.to_dict()["face_px_median"] <= 60 and full.to_dict()["face_px_median"] > 200
    assert small.face_frames >= 0.9 * len(small.table)
    for m in small.moments:  # nothing but the injected changes
        assert any(abs(m.peak_s - e["apex_s"]) < APEX_TOLERANCE_S for e in TRUTH), m
    # ... and all of them in a 200x150 tile, as in the full-size video; in a 640x480 region the weaker
    # lip pull (strength 11.8 at full size) came out at 7.6 or was missed, with the search order
    for event in TRUTH if canvas == (200, 150) else TRUTH[:1]:
        assert any(abs(m.peak_s - event["apex_s"]) < APEX_TOLERANCE_S and event["regions"][0] in m.regions
                   for m in small.moments), event
