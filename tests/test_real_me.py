"""The real micro-expression benchmark's pieces on synthetic input; the real clips only where the shared data is."""

import numpy as np
import pytest

from bench.realme.clips import Clip, available, load_clips, resample
from bench.realme.context import FRAME_H, FRAME_W, Geometry, Motion, QuietStretch, Variant, _feather_mask, compose


def test_resampling_averages_the_native_frames_each_output_frame_sees():
    frames = np.arange(20, dtype=np.uint8)[:, None, None, None] * np.ones((1, 2, 2, 3), np.uint8) * 10
    out = resample(frames, native_fps=200.0, fps=50.0, exposure=0.5)  # 4 native frames a frame, 2 seen
    assert out.shape == (5, 2, 2, 3)
    assert out[:, 0, 0, 0].tolist() == [5, 45, 85, 125, 165]  # mean of native frames 4k and 4k + 1
    assert resample(frames, 200.0, 30.0).shape[0] == 3  # 100 ms: three frames at 30 fps


def test_the_feathered_mask_is_opaque_inside_and_fades_to_the_edge():
    m = _feather_mask(100)
    assert m[50, 50] == 1.0 and m[0, 50] == 0.0 and 0 < m[5, 50] < 1


def _clip(n=10, fps=100.0):
    rng = np.random.default_rng(0)
    frames = rng.integers(0, 255, (n, 128, 128, 3), dtype=np.uint8)

    class Synthetic(Clip):
        def frames(self):
            return frames

    return Synthetic("synthetic_clip", "CASME II", fps, n, None, None, "test"), frames


def test_the_context_holds_the_onset_before_and_the_offset_after_with_head_motion_and_noise():
    clip, frames = _clip()
    still = Motion(np.array([0.0, 100.0]), np.ones(2), np.zeros(2), np.zeros((2, 2)), 1.0, "still")
    geom = Geometry(face_px=100.0, iod_px=50.0, centre=(64.0, 64.0))
    v = Variant(30, 200, QuietStretch("x", 0, 10), 0.0)
    out, onset = compose(clip, geom, v, still, seed=1)
    assert out[0].shape == (FRAME_H, FRAME_W, 3) and onset == pytest.approx(5.0)
    n_clip = int(np.ceil(clip.duration_s * 30))
    assert len(out) == round(5.0 * 30) + n_clip + round(3.0 * 30)
    a, b = out[10].astype(int), out[11].astype(int)  # the held onset frame: only fresh noise differs
    assert 0 < np.abs(a - b).mean() < 3
    moving = Motion(np.array([0.0, 100.0]), np.ones(2), np.zeros(2), np.array([[0.0, 0.0], [2.0, 0.0]]), 1.0, "drift")
    out2, _ = compose(clip, geom, v, moving, seed=1)
    assert np.abs(out2[100].astype(int) - out[100].astype(int)).mean() > 5  # the head has moved


@pytest.mark.skipif(not available(), reason="shared/data/real_me not present (research-only data, not in the repo)")
def test_the_six_real_clips_load_with_their_labels():
    clips = load_clips()
    assert len(clips) == 6 and {c.database for c in clips} == {"CASME II", "SMIC-HS"}
    for c in clips:
        assert c.frames().shape == (c.n_frames, 128, 128, 3)
