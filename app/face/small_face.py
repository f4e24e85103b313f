"""Faces of any size in frames of any size: small ones (a call's gallery tile) tracked in an upscaled crop.

MediaPipe's face detector is short-range: it sees the whole frame at 128x128, so a face 55 px tall
in a 640x480 region is 11 px there and is missed. `SmallFaceTracker` wraps `FaceTracker`: while the
last face was small, in pixels or against the frame, it feeds a crop around it (the face with a
margin), upscaled so the face is about `TARGET_FACE_PX` tall, and maps the landmarks back to
full-frame coordinates. A face large enough for the detector is tracked in the plain frame, as raw
MediaPipe tracks it, whatever the frame's size: a face that fills a small picture (a tight screen
region around a face on a call) included. Without a face it searches, one try a frame: the plain
frame, the whole frame upscaled when the frame is small, then tiles of two sizes from the centre out,
the plain frame every other try (a face that walks in is found as soon as raw MediaPipe finds it).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from enum import Enum

import numpy as np

from app.face.tracking import FaceObservation, FaceTracker, face_height_px

SMALL_FACE_PX = 80.0  # faces shorter than this (pixels, forehead to chin) are tracked in a crop ...
LARGE_FACE_PX = 100.0  # ... until they are taller than this (no flicker between the two near the limit)
DETECTOR_INPUT_PX = 128  # the face detector sees the frame's long side at this size
DETECTOR_FACE_PX = 20.0  # a face this tall at the detector's input is found in the plain frame ...
DETECTOR_LARGE_PX = 25.0  # ... and one this tall is followed there again after being followed in a crop
TARGET_FACE_PX = 192.0  # a cropped face is upscaled to about this tall (the landmark model's input side)
CROP_FACE_MULT = 3.0  # crop side in face heights: room for the detector to see a whole head
RECROP_SHIFT = 0.1  # the crop stays put until the face moved this much of the crop side (steadier landmarks)
RECROP_RESIZE = 0.2  # ... or changed size by this fraction
SEARCH_TILES_PX = (480, 240)  # sides of the search tiles: mid-size faces first, then small ones
SEARCH_OVERLAP = 0.5  # tiles overlap by this fraction of their side
SMALL_FRAME_PX = 320  # a frame whose long side is under this is also searched whole, upscaled to it
TILE_EDGE_MARGIN = 0.01  # a face this close to a tile's inner edge (share of its side) is cut by the tile


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

    def is_plain(self, width: int, height: int) -> bool:
        """The whole frame as it is."""
        return self.scale == 1.0 and (self.x, self.y, self.w, self.h) == (0, 0, width, height)

    def cuts(self, landmarks: np.ndarray, width: int, height: int) -> bool:
        """Whether a face (landmarks normalised to this crop) reaches an edge of the crop that is not an
        edge of the frame: a part of a larger face that the crop cut, not a face of its own."""
        lo, hi = landmarks[:, :2].min(axis=0), landmarks[:, :2].max(axis=0)
        inner = ((self.x > 0, self.y > 0), (self.x + self.w < width, self.y + self.h < height))
        return bool(any(edge and low < TILE_EDGE_MARGIN for edge, low in zip(inner[0], lo, strict=True))
                    or any(edge and high > 1 - TILE_EDGE_MARGIN for edge, high in zip(inner[1], hi, strict=True)))


def crop_around(center: tuple[float, float], face_px: float, width: int, height: int) -> Crop:
    """A square crop of CROP_FACE_MULT face heights around `center` (pixels), kept inside the frame."""
    side = int(min(max(face_px * CROP_FACE_MULT, 16), width, height))
    x = int(round(min(max(center[0] - side / 2, 0), width - side)))
    y = int(round(min(max(center[1] - side / 2, 0), height - side)))
    return Crop(x, y, side, side, max(1.0, TARGET_FACE_PX / max(face_px, 1.0)))


def search_crops(width: int, height: int) -> list[Crop]:
    """What to try, one a frame, when no face is known: the plain frame, the whole frame upscaled when it
    is small, then overlapping tiles of the sizes in SEARCH_TILES_PX, taken in turn, each from the centre
    out (a watched region is usually drawn around the face), with the plain frame between tiles."""
    long_side = max(width, height)
    plain = Crop(0, 0, width, height, 1.0)
    crops = [plain]
    if long_side < SMALL_FRAME_PX:
        crops.append(Crop(0, 0, width, height, SMALL_FRAME_PX / long_side))
    sizes = [tile_grid(width, height, tile) for tile in SEARCH_TILES_PX if long_side > tile * (1 + SEARCH_OVERLAP)]
    for k in range(max(map(len, sizes), default=0)):
        for tiles in sizes:
            if k < len(tiles):
                crops += [tiles[k], plain]  # a face walking in is large: the plain frame every other try
    return crops


def tile_grid(width: int, height: int, tile: int) -> list[Crop]:
    """Overlapping square tiles of side `tile` covering the frame, upscaled for the detector, centre first."""
    side = min(tile, width, height)
    step = max(1, int(side * (1 - SEARCH_OVERLAP)))
    xs = sorted({*range(0, width - side + 1, step), width - side})
    ys = sorted({*range(0, height - side + 1, step), height - side})
    scale = max(1.0, TARGET_FACE_PX * CROP_FACE_MULT / side)
    tiles = [Crop(x, y, side, side, scale) for y in ys for x in xs]
    tiles.sort(key=lambda c: (c.x + side / 2 - width / 2) ** 2 + (c.y + side / 2 - height / 2) ** 2)
    return tiles


def detector_px(face_px: float, width: int, height: int) -> float:
    """How tall a face of `face_px` is at the face detector's input (the frame's long side squeezed)."""
    return face_px * DETECTOR_INPUT_PX / max(width, height, 1)


class Mode(Enum):
    SEARCH = "search"  # no face known: one try a frame from `search_crops`
    PLAIN = "plain"  # following a face large enough for the plain frame
    CROP = "crop"  # following a small face in a crop around it


class SmallFaceTracker:
    """`FaceTracker` with small faces tracked in upscaled crops; same `update`/`close` interface.

    Observations are in full-frame coordinates with `face_px` the face's height in the frame."""

    def __init__(self, tracker: FaceTracker):
        self.tracker = tracker
        self.reset()

    def reset(self) -> None:
        """Forget the face followed and the search under way (a new picture to search)."""
        self._mode = Mode.SEARCH
        self._crop: Crop | None = None  # the crop a small face is followed in
        self._search: list[Crop] = []
        self._search_at = 0
        self._search_size: tuple[int, int] | None = None
        self._plain_next = False  # a search tile cut a larger face: try the plain frame next

    def update(self, image_bgr: np.ndarray, t_s: float) -> FaceObservation | None:
        height, width = image_bgr.shape[:2]
        crop = self._where(width, height)
        plain = crop.is_plain(width, height)
        if plain:
            face = self.tracker.update(image_bgr, t_s)
        else:
            face = self.tracker.update(crop.cut(image_bgr), t_s)
            if face is not None and self._mode is Mode.SEARCH and crop.cuts(face.landmarks, width, height):
                face, self._plain_next = None, True
            elif face is not None:
                landmarks = crop.to_frame(face.landmarks, width, height)
                face = dataclasses.replace(face, landmarks=landmarks, face_px=face_height_px(landmarks, height))
        self._follow(face, plain, width, height)
        return face

    def _where(self, width: int, height: int) -> Crop:
        """Where to look in this frame."""
        if self._mode is Mode.CROP and self._crop is not None:
            return self._crop
        plain = Crop(0, 0, width, height, 1.0)
        if self._mode is Mode.PLAIN or self._plain_next:
            self._plain_next = False
            return plain
        if self._search_size != (width, height):
            self._search, self._search_at, self._search_size = search_crops(width, height), 0, (width, height)
        crop = self._search[self._search_at % len(self._search)]
        self._search_at += 1
        return crop

    def _follow(self, face: FaceObservation | None, plain: bool, width: int, height: int) -> None:
        """Where to look next: a face seen in the plain frame stays there unless it is small; a face seen
        in a crop goes back to the plain frame only once clearly large enough for it (no flicker)."""
        if face is None:
            if self._mode is not Mode.SEARCH:
                self._mode, self._crop, self._search_at = Mode.SEARCH, None, 0  # lost: the plain frame first
            return
        size = detector_px(face.face_px, width, height)
        if plain:
            large = face.face_px >= SMALL_FACE_PX and size >= DETECTOR_FACE_PX
        else:
            large = face.face_px >= LARGE_FACE_PX and size >= DETECTOR_LARGE_PX
        if large:
            self._mode, self._crop = Mode.PLAIN, None
            return
        self._mode = Mode.CROP
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

    def __enter__(self) -> SmallFaceTracker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
