"""Finding a face on a whole monitor's grab, for the screen source's monitor mode (`screen:N`)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from app.face.small_face import SmallFaceTracker, search_crops
from app.face.tracking import FaceTracker

LOCATE_SCALES = (0.25, 0.5, 1.0)  # the monitor grab is searched at these scales, coarse (large faces) first


def locate_face(image: np.ndarray, model_path: str | Path | None = None) -> tuple[int, int, int, int] | None:
    """A face in a full-monitor grab, (x, y, w, h) in its pixels, or None.

    MediaPipe's detector finds a face that fills a fair share of what it is shown, so the grab is
    searched downscaled, coarse first (a speaker view's large face), then finer, each scale the way
    `SmallFaceTracker` searches a frame: whole, then tile by tile (about a second for a 1080p screen)."""
    import cv2

    with SmallFaceTracker(FaceTracker(model_path)) as tracker:
        t = 0.0
        for scale in LOCATE_SCALES:
            small = image if scale == 1.0 else cv2.resize(image, None, fx=scale, fy=scale,
                                                          interpolation=cv2.INTER_AREA)
            for _ in search_crops(small.shape[1], small.shape[0]):
                t += 1.0
                face = tracker.update(small, t)
                if face is not None:
                    pts = face.landmarks[:, :2] * np.array([small.shape[1], small.shape[0]]) / scale
                    x0, y0 = pts.min(axis=0)
                    x1, y1 = pts.max(axis=0)
                    return int(x0), int(y0), int(x1 - x0), int(y1 - y0)
            tracker.reset()
    return None
