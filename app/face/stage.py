"""The face stage: each frame's pixels and time in, its measurement row out.

Tracking (MediaPipe, small faces in upscaled crops) and measurement (alignment, then every channel of
app/face/channels.py) for one stream of frames in time order. Batch tracking, live mode and replay all
run frames through it; the moment stage (app/prompts/stage.py) takes its rows from there.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from app.face.features import FeatureExtractor, FrameFeatures
from app.face.small_face import SmallFaceTracker
from app.face.tracking import FaceTracker


class FaceStage:
    """`update(image, t_s) -> FrameFeatures` per frame; `break_run()` when the stream is interrupted."""

    def __init__(self, model_path: str | Path | None = None, max_faces: int = 2, keep_landmarks: bool = False):
        self.tracker = SmallFaceTracker(FaceTracker(model_path, max_faces))
        self.extractor = FeatureExtractor(keep_landmarks)

    def update(self, image: np.ndarray, t_s: float) -> FrameFeatures:
        """One frame: (h, w, 3) uint8 BGR at `t_s` seconds (strictly later than the last)."""
        return self.extractor.update(t_s, self.tracker.update(image, t_s), image)

    def break_run(self) -> None:
        """The stream was interrupted (a lost camera, a paused call): measuring starts afresh at the next
        face (a new reference); the tracker keeps following where it was."""
        self.extractor.reset()

    def close(self) -> None:
        self.tracker.close()

    def __enter__(self) -> FaceStage:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
