import numpy as np
import pytest

from app.face.features import (
    LEVELS,
    FeatureExtractor,
    FeatureTable,
    levels_as_now,
    rotation_angles,
    similarity_align,
)
from app.face.tracking import FaceObservation

FRAME = np.zeros((480, 640, 3), np.uint8)  # the pixels the faces below were "tracked" in


def random_rotation(rng, max_deg):
    yaw, pitch, roll = np.radians(rng.uniform(-max_deg, max_deg, 3))
    rz = np.array([[np.cos(roll), -np.sin(roll), 0], [np.sin(roll), np.cos(roll), 0], [0, 0, 1]])
    ry = np.array([[np.cos(yaw), 0, np.sin(yaw)], [0, 1, 0], [-np.sin(yaw), 0, np.cos(yaw)]])
    rx = np.array([[1, 0, 0], [0, np.cos(pitch), -np.sin(pitch)], [0, np.sin(pitch), np.cos(pitch)]])
    return rz @ ry @ rx


@pytest.fixture
def face():
    rng = np.random.default_rng(0)
    pts = rng.normal(0, 60, (478, 3))
    pts[:, :2] += 300
    return pts


def test_similarity_align_recovers_a_known_transform(face):
    rng = np.random.default_rng(1)
    rot = random_rotation(rng, 25)
    moved = 1.3 * face @ rot.T + np.array([12.0, -7.0, 3.0])
    s, r, t = similarity_align(moved, face)
    np.testing.assert_allclose(s * moved @ r.T + t, face, atol=1e-6)
    assert s == pytest.approx(1 / 1.3)


def observation(pts, w=640, h=480):
    lm = (pts / np.array([w, h, w])).astype(np.float32)
    return FaceObservation(lm, np.zeros(52, np.float32), np.eye(4, dtype=np.float32))


def test_levels_ignore_rigid_head_motion(face):
    rng = np.random.default_rng(2)
    fx = FeatureExtractor()
    first = fx.update(0.0, observation(face), FRAME)
    centre = face.mean(0)
    for k in range(5):
        rot = random_rotation(rng, 20)
        moved = 0.8 * (face - centre) @ rot.T + centre + rng.uniform(-20, 20, 3)
        f = fx.update(0.1 * (k + 1), observation(moved), FRAME)
        np.testing.assert_allclose(f.levels, first.levels, atol=2e-4)
        assert np.abs(f.head).max() > 1.0  # the head did turn, and features say so


def test_a_brow_raise_moves_only_brow_levels(face):
    fx = FeatureExtractor()
    base = fx.update(0.0, observation(face), FRAME).levels
    raised = face.copy()
    raised[[70, 63, 105, 66, 107, 300, 293, 334, 296, 336], 1] -= 5.0  # up 5 px
    after = fx.update(0.1, observation(raised), FRAME).levels
    changed = {LEVELS[i] for i in np.flatnonzero(np.abs(after - base) > 1e-4)}
    assert changed <= {"brow_right", "brow_left", "brow_gap"} and {"brow_right", "brow_left"} <= changed
    assert after[0] > base[0]


def test_losing_the_face_resets_the_reference(face):
    fx = FeatureExtractor()
    fx.update(0.0, observation(face), FRAME)
    lost = fx.update(0.1, None, FRAME)
    assert not lost.face and np.isnan(lost.levels).all()
    back = fx.update(0.2, observation(face * 1.1), FRAME)
    assert np.abs(back.head).max() < 1e-3


def test_table_round_trip(tmp_path, face):
    fx = FeatureExtractor(keep_landmarks=True)
    rows = [fx.update(i / 30, observation(face) if i % 5 else None, FRAME) for i in range(20)]
    table = FeatureTable.from_frames(rows, {"source": "x.mp4", "fps": 30.0})
    path = tmp_path / "t.npz"
    path.write_bytes(table.to_bytes())
    back = FeatureTable.load(path)
    assert len(back) == 20 and back.meta == {"source": "x.mp4", "fps": 30.0}
    np.testing.assert_array_equal(back.face, table.face)
    np.testing.assert_array_equal(back.levels, table.levels)
    assert back.landmarks.shape == (20, 478, 3)


def test_rotation_angles_of_identity_are_zero():
    np.testing.assert_allclose(rotation_angles(np.eye(3)), 0, atol=1e-6)


def test_features_kept_before_a_channel_was_added_open_with_its_columns_missing():
    """A recorded session keeps its levels' names: columns measured since are NaN (the spotter skips
    them), a column this version does not measure is refused."""
    stored = np.array([[1.0, 2.0], [3.0, 4.0]], np.float32)
    now = levels_as_now(stored, (LEVELS[3], LEVELS[0]), "old.npz")
    assert now.shape == (2, len(LEVELS))
    np.testing.assert_array_equal(now[:, [3, 0]], stored)
    assert np.isnan(np.delete(now, [0, 3], axis=1)).all()
    assert levels_as_now(now, LEVELS, "same.npz") is now
    with pytest.raises(ValueError, match="another Glimpse version"):
        levels_as_now(stored, (LEVELS[0], "pupil_size"), "newer.npz")
