"""Faces of every size in frames of every size, made from real footage: the face-size matrix.

A real clip is scaled and placed so that its face (forehead to chin) has a chosen height in a frame
of a chosen size: a gallery tile's 40 px face in 1080x1920, a third of the frame, or a face that
fills the frame and is cut at the chin (a tight screen region drawn around a face on a call).
Coverage is the share of frames with a face found, by Glimpse's tracker or by raw MediaPipe on the
very same frames; the matrix test and `python -m bench face_size` both compare the two.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from app.face.small_face import SmallFaceTracker
from app.face.tracking import FACE_BOTTOM, FACE_TOP, FaceTracker
from app.sources.capture import FileSource, Frame

FRAME_SIZES = ((128, 128), (200, 200), (256, 256), (300, 300), (480, 480), (640, 480), (1280, 720), (1080, 1920))
FACE_SIZES = ("40 px", "80 px", "a third", "fills")
FILL_CHIN_CUT = 0.06  # a filling face sits this share of the frame lower: the chin is cut off
CANVAS_GREY = 40  # the call app's dark background around a small picture


@dataclass(frozen=True)
class Cell:
    """One frame size (width, height) and one face size (a name in FACE_SIZES)."""

    width: int
    height: int
    face: str

    @property
    def name(self) -> str:
        return f"{self.width}x{self.height} / {self.face}"

    def face_px(self, face_w_over_h: float) -> float:
        """The face's height (forehead to chin, pixels) this cell asks for."""
        if self.face.endswith(" px"):
            return float(self.face.removesuffix(" px"))
        if self.face == "a third":
            return self.height / 3
        # fills: as tall as the frame, or as wide as it where the frame is narrower than the face
        return min(self.height, self.width / face_w_over_h)


def cells() -> list[Cell]:
    return [Cell(w, h, face) for w, h in FRAME_SIZES for face in FACE_SIZES]


@dataclass(frozen=True)
class FaceBox:
    """Where a clip's face is, median over the clip (pixels of the clip's frames)."""

    cx: float
    cy: float
    height: float  # forehead to chin
    width: float  # landmark hull width

    @classmethod
    def of_clip(cls, path: str | Path, limit: int) -> FaceBox:
        boxes = []
        with FileSource(path) as src, FaceTracker() as tracker:
            for frame in src:
                if frame.index >= limit:
                    break
                face = tracker.update(frame.image, frame.t_s)
                if face is None:
                    continue
                h, w = frame.image.shape[:2]
                pts = face.landmarks[:, :2] * (w, h)
                boxes.append((pts[:, 0].mean(), pts[:, 1].mean(), abs(pts[FACE_BOTTOM, 1] - pts[FACE_TOP, 1]),
                              np.ptp(pts[:, 0])))
        if not boxes:
            raise ValueError(f"no face in the first {limit} frames of {path}")
        return cls(*(float(v) for v in np.median(np.array(boxes), axis=0)))


def place_face(image: np.ndarray, box: FaceBox, cell: Cell) -> np.ndarray:
    """The clip's frame scaled so its face is the cell's size, the face centred in a cell-sized frame
    (lower by FILL_CHIN_CUT for a filling face), dark grey where the clip does not reach."""
    scale = cell.face_px(box.width / box.height) / box.height
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
    big = cv2.resize(image, None, fx=scale, fy=scale, interpolation=interpolation)
    cy = cell.height / 2 + (FILL_CHIN_CUT * cell.height if cell.face == "fills" else 0.0)
    x0 = int(round(cell.width / 2 - box.cx * scale))  # where the clip's left edge lands in the cell
    y0 = int(round(cy - box.cy * scale))
    out = np.full((cell.height, cell.width, 3), CANVAS_GREY, np.uint8)
    sx, sy = max(0, -x0), max(0, -y0)
    dx, dy = max(0, x0), max(0, y0)
    w = min(big.shape[1] - sx, cell.width - dx)
    h = min(big.shape[0] - sy, cell.height - dy)
    if w > 0 and h > 0:
        out[dy:dy + h, dx:dx + w] = big[sy:sy + h, sx:sx + w]
    return out


def cell_frames(path: str | Path, box: FaceBox, cell: Cell, limit: int) -> Iterator[Frame]:
    with FileSource(path) as src:
        for frame in src:
            if frame.index >= limit:
                return
            yield Frame(frame.index, frame.t_s, place_face(frame.image, box, cell))


def coverage(frames: list[Frame], glimpse: bool) -> float:
    """Share of the frames with a face: Glimpse's tracker (small faces in crops, the search) or raw
    MediaPipe (the same model and options, each frame as it is)."""
    with FaceTracker() as raw:
        tracker = SmallFaceTracker(raw).update if glimpse else raw.update
        found = [tracker(f.image, f.t_s) is not None for f in frames]
    return float(np.mean(found)) if found else 0.0
