import shutil
from pathlib import Path

import numpy as np
import pytest

from app.errors import ModelAltered, ModelMissing
from app.face.tracking import DEFAULT_MODEL, MODEL_SHA256, MODEL_URL, FaceTracker, choose_face, load_model
from app.sources.capture import FileSource

DATA = Path(__file__).parent / "data"


def test_bundled_model_is_the_pinned_one():
    assert len(load_model()) == 3_758_596


def test_missing_model_says_where_to_get_it(tmp_path):
    with pytest.raises(ModelMissing) as err:
        FaceTracker(tmp_path / "nope.task")
    assert MODEL_URL in str(err.value) and "--model" in str(err.value)


def test_altered_model_is_refused(tmp_path):
    altered = tmp_path / "face_landmarker.task"
    shutil.copy(DEFAULT_MODEL, altered)
    with open(altered, "r+b") as fh:
        fh.seek(1000)
        fh.write(b"\x00\x01\x02")
    with pytest.raises(ModelAltered) as err:
        FaceTracker(altered)
    assert MODEL_SHA256 in str(err.value) and MODEL_URL in str(err.value)


def test_single_face_is_tracked_in_nearly_every_frame():
    with FileSource(DATA / "single_face.mp4") as src, FaceTracker() as tracker:
        faces = [tracker.update(f.image, f.t_s) for f in src]
    found = [f for f in faces if f is not None]
    assert len(found) >= 0.95 * len(faces) == 0.95 * 72
    f = found[0]
    assert f.landmarks.shape == (478, 3) and f.landmarks.dtype == np.float32
    assert f.blendshapes.shape == (52,) and f.pose.shape == (4, 4)
    assert 0 < f.landmarks[:, 0].min() and f.landmarks[:, 0].max() < 1


def test_no_face_video_has_no_face():
    with FileSource(DATA / "no_face.mp4") as src, FaceTracker() as tracker:
        assert all(tracker.update(f.image, f.t_s) is None for f in src)


def test_the_largest_face_is_followed():
    small = np.zeros((478, 3), np.float32)
    small[:, :2] = np.random.default_rng(0).uniform(0.1, 0.2, (478, 2))
    large = np.zeros((478, 3), np.float32)
    large[:, :2] = np.random.default_rng(1).uniform(0.5, 0.9, (478, 2))
    assert choose_face([small, large]) == 1
    # once followed, a face keeps being followed while it stays large
    similar = large.copy()
    similar[:, :2] = similar[:, :2] * 0.9 + 0.02
    assert choose_face([similar, large], previous_center=similar[:, :2].mean(0)) == 0
