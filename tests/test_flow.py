"""Pixel motion per face region (app.face.flow), on a synthetic textured face with known landmarks."""

import cv2
import numpy as np
import pytest

from app.face.flow import IOD_PX, N_REGIONS, N_STATS, REGION_NAMES, REGIONS, STATS, FlowLevels, FlowRow, FlowTracker
from app.face.landmarks import LEFT_BROW, RIGHT_BROW

SIZE, IOD, CENTRE = 320, 60.0, np.array([160.0, 130.0])


def landmarks() -> np.ndarray:
    """(478, 2) pixel landmarks of a frontal face laid out in IOD units (x right, y down)."""
    p = np.tile([0.0, 0.5], (478, 1))
    placed = {33: (-0.75, 0), 133: (-0.25, 0), 263: (0.75, 0), 362: (0.25, 0),
              168: (0, 0), 6: (0, 0.15), 197: (0, 0.3), 195: (0, 0.45), 5: (0, 0.55), 4: (0, 0.62), 1: (0, 0.65),
              127: (-1.0, 0.2), 356: (1.0, 0.2), 234: (-1.05, 0.5), 454: (1.05, 0.5),
              159: (-0.5, -0.1), 160: (-0.6, -0.08), 158: (-0.4, -0.08), 386: (0.5, -0.1), 385: (0.4, -0.08),
              387: (0.6, -0.08), 98: (-0.2, 0.62), 327: (0.2, 0.62), 129: (-0.22, 0.55), 358: (0.22, 0.55),
              61: (-0.45, 1.0), 57: (-0.42, 1.05), 186: (-0.42, 0.95), 291: (0.45, 1.0), 287: (0.42, 1.05),
              410: (0.42, 0.95), 152: (0, 1.55), 175: (0, 1.5), 199: (0, 1.45), 200: (0, 1.4)}
    for k, i in enumerate(RIGHT_BROW):
        placed[int(i)] = (-0.85 + 0.15 * k, -0.4)
    for k, i in enumerate(LEFT_BROW):
        placed[int(i)] = (0.85 - 0.15 * k, -0.4)
    for i, xy in placed.items():
        p[i] = xy
    return p * IOD + CENTRE


def texture(seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    img = cv2.GaussianBlur(rng.uniform(0, 255, (SIZE, SIZE)).astype(np.float32), (0, 0), 2.0)
    img = (img - img.mean()) / img.std() * 40 + 128
    return np.clip(img, 0, 255).astype(np.uint8)


def moved(image: np.ndarray, pts: np.ndarray, angle_deg: float, shift: tuple[float, float]):
    """The image and its landmarks under a rigid motion (as a head turning slightly in the picture)."""
    m = cv2.getRotationMatrix2D(tuple(CENTRE), angle_deg, 1.0)
    m[:, 2] += shift
    out = cv2.warpAffine(image, m, (SIZE, SIZE), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    return out, pts @ m[:, :2].T + m[:, 2]


def brow_bump(image: np.ndarray, pts: np.ndarray, up_px: float) -> np.ndarray:
    """Skin around both brows moved up by `up_px` (a smooth local warp), the rest still."""
    yy, xx = np.mgrid[0:SIZE, 0:SIZE].astype(np.float32)
    weight = np.zeros_like(xx)
    for i in np.r_[RIGHT_BROW, LEFT_BROW]:
        weight = np.maximum(weight, np.exp(-((xx - pts[i, 0]) ** 2 + (yy - pts[i, 1]) ** 2) / (2 * (0.15 * IOD) ** 2)))
    return cv2.remap(image, xx, (yy + up_px * weight).astype(np.float32), cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)


def norm(pts: np.ndarray) -> np.ndarray:
    return pts / SIZE


def test_rows_are_typed_and_the_first_frame_and_a_lost_face_give_nan():
    ft, img, pts = FlowTracker(), texture(), landmarks()
    first = ft.update(img, norm(pts), 0.0)
    assert first.values.shape == (N_REGIONS, N_STATS) and np.isnan(first.values).all()
    assert np.isfinite(ft.update(img, norm(pts), 0.033).values).all()
    assert np.isnan(ft.update(img, None, 0.066).values).all()
    assert np.isnan(ft.update(img, norm(pts), 0.1).values).all()  # a new run: no previous crop
    with pytest.raises(ValueError, match="values"):
        FlowRow(0.0, np.zeros((2, 2), np.float32))
    assert len(REGION_NAMES) == N_REGIONS and len(STATS) == N_STATS


@pytest.mark.parametrize("angle, shift", [(0.0, (3.0, -2.0)), (2.0, (0.0, 0.0)), (-1.5, (1.2, 0.7))])
def test_rigid_head_motion_is_taken_off(angle, shift):
    ft, img, pts = FlowTracker(), texture(), landmarks()
    ft.update(img, norm(pts), 0.0)
    img2, pts2 = moved(img, pts, angle, shift)
    row = ft.update(img2, norm(pts2), 0.033)
    assert np.abs(row.values[:, :2]).max() < 0.004  # IOD units: under 0.2 crop px everywhere


def test_rigid_motion_with_landmark_jitter_is_taken_off_by_the_anchor_fit():
    """The crop follows jittery landmarks; the affine fit on the nose bridge and inner eye corners removes
    what the jitter leaves."""
    rng = np.random.default_rng(3)
    ft, img, pts = FlowTracker(), texture(), landmarks()
    ft.update(img, norm(pts), 0.0)
    img2, pts2 = moved(img, pts, 1.0, (2.0, 1.0))
    row = ft.update(img2, norm(pts2 + rng.normal(0, 0.6, pts2.shape)), 0.033)
    assert np.abs(row.values[:, :2]).max() < 0.006


def test_a_brow_raise_moves_the_brows_and_nothing_else():
    ft, img, pts = FlowTracker(), texture(), landmarks()
    ft.update(img, norm(pts), 0.0)
    up = 1.2  # image px: 2% IOD
    row = ft.update(brow_bump(img, pts, up), norm(pts), 0.033)
    v = dict(zip(REGION_NAMES, row.values, strict=True))
    expected = -up / IOD  # y down: up is negative
    for name in ("brow_right", "brow_left"):
        assert 0.4 * expected > v[name][1] > 1.2 * expected  # DIS smooths a local movement: part is seen
        assert v[name][2] > 0.4 * abs(expected) and v[name][3] > 0.4 * abs(expected)
    for name in set(REGIONS) - {"brow_right", "brow_left", "lid_right", "lid_left"}:
        assert np.abs(v[name][:2]).max() < 0.25 * abs(expected)
    assert IOD_PX > 0


def test_levels_integrate_the_flow_and_restart_after_a_gap():
    lv = FlowLevels()
    step = np.zeros((N_REGIONS, N_STATS), np.float32)
    step[0, 1] = -0.01
    assert np.all(lv.update(FlowRow(0.0, np.full_like(step, np.nan))) == 0)
    a = lv.update(FlowRow(0.033, step))
    b = lv.update(FlowRow(0.066, step))
    assert a[0, 1] == pytest.approx(-0.01) and -0.02 < b[0, 1] < a[0, 1]  # summed, with a slow leak
    assert np.all(lv.update(FlowRow(0.1, np.full_like(step, np.nan))) == 0)


def test_the_flow_channel_is_measured_in_the_face_stage_row():
    """A brow raise in the pixels moves the brows' flow levels up (y down: negative) in `levels`."""
    from app.face.channels import CHANNELS, READS_PIXELS
    from app.face.features import LEVEL, FeatureExtractor
    from app.face.flow import Flow
    from app.face.tracking import FaceObservation

    assert Flow in CHANNELS and READS_PIXELS and set(Flow.NAMES) <= set(LEVEL)
    img, pts = cv2.cvtColor(texture(), cv2.COLOR_GRAY2BGR), landmarks()
    lms = np.c_[norm(pts), np.zeros(len(pts))].astype(np.float32)
    face = FaceObservation(lms, np.zeros(52, np.float32), np.eye(4, dtype=np.float32), 1)
    fx = FeatureExtractor()
    first = fx.update(0.0, face, img).levels
    raised = fx.update(0.033, face, brow_bump(img, pts, 1.2)).levels
    assert all(first[LEVEL[n]] == 0 for n in Flow.NAMES)
    for side in ("right", "left"):
        assert raised[LEVEL[f"flow_brow_{side}_y"]] < -0.005
    assert abs(raised[LEVEL["flow_chin_y"]]) < 0.003


def test_live_frame_by_frame_measures_what_analyze_measures_bit_for_bit():
    """The face stage run live (one frame at a time) and in batch give the same rows, pixel motion too."""
    from app.face.features import LEVEL
    from app.face.flow import Flow
    from app.run.pipeline import LivePipeline, track_video
    from app.sources.capture import FileSource
    from tests.support.paths import CLIP

    _, batch = track_video(CLIP)
    pipeline = LivePipeline()
    try:
        with FileSource(CLIP) as source:
            live = [pipeline.process(frame).features for frame in source]
    finally:
        pipeline.close()
    flow = [LEVEL[n] for n in Flow.NAMES]
    np.testing.assert_array_equal(np.stack([f.levels for f in live]), batch.levels)
    assert batch.face.all() and np.abs(batch.levels[:, flow]).max() > 1e-4  # the pixels were read


def test_region_means_are_the_mean_of_the_residual_flow():
    from app.face.flow import region_means, region_stats, remove_global

    ft, img, pts = FlowTracker(), texture(), landmarks()
    ft.dense(img, pts)
    img2, pts2 = moved(brow_bump(img, pts, 1.0), pts, 1.0, (1.5, -0.5))
    flow, layout = ft.dense(img2, pts2)
    full = region_stats(remove_global(flow, layout)[0], layout)
    np.testing.assert_allclose(region_means(flow, layout), full[:, :2], atol=1e-6)


def test_the_feature_cache_key_changes_when_a_channel_changes(tmp_path, monkeypatch):
    """A cached table measured by other channels (one more, one fewer, or one changed) is never reused."""
    from app.face import channels
    from app.face.flow import Flow
    from app.store.cache import cache_key

    video = tmp_path / "v.mp4"
    video.write_bytes(b"same content")
    now = cache_key(video)
    monkeypatch.setattr(Flow, "VERSION", Flow.VERSION + 1)
    changed = cache_key(video)
    monkeypatch.setattr(channels, "CHANNELS", channels.CHANNELS[:1])
    dropped = cache_key(video)
    assert len({now, changed, dropped}) == 3
