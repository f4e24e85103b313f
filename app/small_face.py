"""Small faces (a tile in a video-call gallery, 50-150 px tall): track them in an upscaled crop.

MediaPipe's face detector is short-range: it sees the whole frame at 128x128, so a face 55 px tall
in a 640x480 region is 11 px there and is missed. `SmallFaceTracker` wraps `FaceTracker`: while
the last face was small it feeds a crop around it (the face with a margin), upscaled so the face
is about `TARGET_FACE_PX` tall, and maps the landmarks back to full-frame coordinates. Without a
face it searches: the whole frame (upscaled when it is small itself), then one tile a frame.
Large faces go to the tracker untouched, so camera video is tracked exactly as before.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from .tracking import FaceObservation, FaceTracker, face_height_px

SMALL_FACE_PX = 80.0  # faces shorter than this (pixels, forehead to chin) are tracked in a crop ...
LARGE_FACE_PX = 100.0  # ... until they are taller than this (no flicker between the two near the limit)
TARGET_FACE_PX = 192.0  # a cropped face is upscaled to about this tall (the landmark model's input side)
CROP_FACE_MULT = 3.0  # crop side in face heights: room for the detector to see a whole head
RECROP_SHIFT = 0.1  # the crop stays put until the face moved this much of the crop side (steadier landmarks)
RECROP_RESIZE = 0.2  # ... or changed size by this fraction
SEARCH_TILE_PX = 240  # side of the tiles searched one a frame when no face is known
SEARCH_OVERLAP = 0.5  # tiles overlap by this fraction of their side
SMALL_FRAME_PX = 320  # a frame whose long side is under this is upscaled whole while searching


@dataclass(frozen=True)
class Crop:
    """A rectangle of the frame (pixels) and the factor it is resized by before tracking."""

    x: int
    y: int
    w: int
    h: int
    scale: float

    def cut(self, image: np.ndarray) -> np.ndarray:
        import cv2

        part = image[self.y:self.y + self.h, self.x:self.x + self.w]
        if self.scale == 1.0:
            return part
        size = (max(1, round(self.w * self.scale)), max(1, round(self.h * self.scale)))
        return cv2.resize(part, size, interpolation=cv2.INTER_CUBIC)

    def to_frame(self, landmarks: np.ndarray, width: int, height: int) -> np.ndarray:
        """(478, 3) landmarks normalised to the crop -> normalised to the whole frame (z scales like x)."""
        out = landmarks.astype(np.float32).copy()
        out[:, 0] = (self.x + landmarks[:, 0] * self.w) / width
        out[:, 1] = (self.y + landmarks[:, 1] * self.h) / height
        out[:, 2] = landmarks[:, 2] * self.w / width
        return out


def crop_around(center: tuple[float, float], face_px: float, width: int, height: int) -> Crop:
    """A square crop of CROP_FACE_MULT face heights around `center` (pixels), kept inside the frame."""
    side = int(min(max(face_px * CROP_FACE_MULT, 16), width, height))
    x = int(round(min(max(center[0] - side / 2, 0), width - side)))
    y = int(round(min(max(center[1] - side / 2, 0), height - side)))
    return Crop(x, y, side, side, max(1.0, TARGET_FACE_PX / max(face_px, 1.0)))


def search_crops(width: int, height: int) -> list[Crop]:
    """What to try, one a frame, when no face is known: the whole frame, then overlapping tiles from
    the centre out."""
    long_side = max(width, height)
    whole = Crop(0, 0, width, height, max(1.0, SMALL_FRAME_PX / long_side))
    if long_side <= SEARCH_TILE_PX * (1 + SEARCH_OVERLAP):
        return [whole]
    side = min(SEARCH_TILE_PX, width, height)
    step = max(1, int(side * (1 - SEARCH_OVERLAP)))
    xs = sorted({*range(0, width - side + 1, step), width - side})
    ys = sorted({*range(0, height - side + 1, step), height - side})
    scale = max(1.0, TARGET_FACE_PX * CROP_FACE_MULT / side)
    tiles = [Crop(x, y, side, side, scale) for y in ys for x in xs]
    # centre first: a watched region is usually drawn around the face
    tiles.sort(key=lambda c: (c.x + side / 2 - width / 2) ** 2 + (c.y + side / 2 - height / 2) ** 2)
    return [whole] + tiles


class SmallFaceTracker:
    """`FaceTracker` with small faces tracked in upscaled crops; same `update`/`close` interface.

    Observations are in full-frame coordinates with `face_px` the face's height in the frame."""

    def __init__(self, tracker: FaceTracker):
        self.tracker = tracker
        self.reset()

    def reset(self) -> None:
        """Forget the face followed and the search under way (a new picture to search)."""
        self._crop: Crop | None = None  # following a small face in this crop
        self._search: list[Crop] = []
        self._search_at = 0
        self._search_size: tuple[int, int] | None = None

    def update(self, image_bgr: np.ndarray, t_s: float) -> FaceObservation | None:
        height, width = image_bgr.shape[:2]
        crop = self._crop or self._next_search(width, height)
        if crop is None:
            face = self.tracker.update(image_bgr, t_s)
        else:
            face = self.tracker.update(crop.cut(image_bgr), t_s)
            if face is not None:
                landmarks = crop.to_frame(face.landmarks, width, height)
                face = dataclasses.replace(face, landmarks=landmarks,
                                           face_px=face_height_px(landmarks, height))
                if self._crop is None and face.face_px >= SMALL_FACE_PX:
                    face = None  # a large face cut by a search tile: the whole frame will show it next
        self._follow(face, width, height)
        return face

    def _next_search(self, width: int, height: int) -> Crop | None:
        """The next place to look (None: the plain frame, the first try after a large face)."""
        if self._search_size != (width, height):
            self._search, self._search_at, self._search_size = search_crops(width, height), 0, (width, height)
        crop = self._search[self._search_at % len(self._search)]
        self._search_at += 1
        return None if crop.scale == 1.0 and crop.w == width and crop.h == height else crop

    def _follow(self, face: FaceObservation | None, width: int, height: int) -> None:
        if face is None:
            if self._crop is not None:
                self._crop, self._search_at = None, 0  # lost: search again from the whole frame
            return
        self._search_at = 0
        if face.face_px >= (LARGE_FACE_PX if self._crop is not None else SMALL_FACE_PX):
            self._crop = None
            return
        pts = face.landmarks[:, :2] * np.array([width, height], np.float32)
        center = (float(pts[:, 0].mean()), float(pts[:, 1].mean()))
        old = self._crop
        if old is not None:
            moved = max(abs(center[0] - (old.x + old.w / 2)), abs(center[1] - (old.y + old.h / 2))) / old.w
            resized = abs(old.w / min(face.face_px * CROP_FACE_MULT, width, height) - 1)
            if moved < RECROP_SHIFT and resized < RECROP_RESIZE:
                return
        self._crop = crop_around(center, face.face_px, width, height)

    def close(self) -> None:
        self.tracker.close()

    def __enter__(self) -> "SmallFaceTracker":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
