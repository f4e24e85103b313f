"""Measurement channels: what the face stage measures in each frame with a face, one class per channel.

A channel gets the frame's pixels and the tracked face, with its landmarks rigidly aligned to the face
run's first frame (`FaceView`), and returns its named values for that frame; the face stage puts every
channel's values side by side in the row's `levels` (`features.LEVELS` lists their names, in
`CHANNELS` order), and the spotter and the feature table read them by name from there. A channel may
keep state within a face run (a pixel channel, the previous frame); `reset()` is called when a run
starts. Adding a channel is adding its class here and to the end of `CHANNELS`; one that reads pixels
says so (`PIXELS = True`), and chunked tracking then reads the frames again for it (app/run/chunked.py).
Feature caches are keyed by `signature()` (every channel's names and `VERSION`, bumped when what a channel
measures changes), so a changed channel is measured again; a session recorded before
a channel was added opens with NaN in its columns (features.levels_as_now), which the spotter skips.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Protocol

import numpy as np

from app.face.flow import Flow  # it names FaceView (below) for its types only
from app.face.landmarks import (
    BROW_INNER,
    LEFT_BROW,
    LEFT_EYE_CORNERS,
    LEFT_EYE_OPENING,
    LEFT_IRIS,
    LOWER_LIP,
    MOUTH_CORNERS,
    NOSE_WINGS,
    RIGHT_BROW,
    RIGHT_EYE_CORNERS,
    RIGHT_EYE_OPENING,
    RIGHT_IRIS,
    UPPER_LIP,
)
from app.face.tracking import FaceObservation


@dataclass(frozen=True)
class FaceView:
    """What a channel sees of one frame with a face.

    image: (h, w, 3) uint8 BGR, the whole frame; face: the tracked face (normalised landmarks);
    points: (478, 3) float64 the landmarks in image pixels (z scaled like x); aligned: (478, 3) float64
    the same points rigidly aligned (rotation, scale, shift) onto the face run's first frame, pixels;
    iod: that first frame's inter-ocular distance, pixels (the unit of landmark measurements).
    """

    t_s: float
    image: np.ndarray
    face: FaceObservation
    points: np.ndarray
    aligned: np.ndarray
    iod: float


class Channel(Protocol):
    """One measurement channel: `NAMES` are its columns of `levels`, in order."""

    NAMES: ClassVar[tuple[str, ...]]
    PIXELS: ClassVar[bool]  # reads `FaceView.image` (else the landmarks only)
    VERSION: ClassVar[int]  # bumped when the values change for the same input: cached features go stale

    def reset(self) -> None:
        """A face run starts: forget anything kept from the previous one."""

    def measure(self, view: FaceView) -> np.ndarray:
        """(len(NAMES),) float32 values for this frame."""
        ...


def _eye_gaze(p: np.ndarray, corners: tuple[int, int], iris: int) -> tuple[float, float]:
    """Iris position against the eye corners, in eye widths (along and across the corner axis)."""
    outer, inner = p[corners[0], :2], p[corners[1], :2]
    axis = inner - outer
    width = float(np.linalg.norm(axis)) or 1.0
    ux = axis / width
    uy = np.array([-ux[1], ux[0]])
    rel = p[iris, :2] - (outer + inner) / 2
    return float(rel @ ux / width), float(rel @ uy / width)


class Shape:
    """Distances and heights of facial regions, and gaze, from the aligned landmarks: IOD units
    (heights: up is positive), gaze in eye widths."""

    NAMES: ClassVar[tuple[str, ...]] = (
        "brow_right", "brow_left", "brow_gap",
        "lid_right", "lid_left",
        "nose_wings",
        "corner_right", "corner_left", "mouth_width", "lip_thickness", "mouth_open",
        "gaze_x", "gaze_y",
    )
    PIXELS: ClassVar[bool] = False
    VERSION: ClassVar[int] = 1

    def reset(self) -> None:
        pass  # each frame is measured on its own

    def measure(self, view: FaceView) -> np.ndarray:
        p = view.aligned / view.iod

        def height(idx: np.ndarray | list[int]) -> float:
            return float(-p[idx, 1].mean())

        def dist(i: int, j: int) -> float:
            return float(np.linalg.norm(p[i] - p[j]))

        gx_r, gy_r = _eye_gaze(p, RIGHT_EYE_CORNERS, RIGHT_IRIS)
        gx_l, gy_l = _eye_gaze(p, LEFT_EYE_CORNERS, LEFT_IRIS)
        # gaze x: the right eye's corner axis points the other way round in the image
        right_corner, left_corner = MOUTH_CORNERS
        levels = [
            height(RIGHT_BROW), height(LEFT_BROW), dist(*BROW_INNER),
            dist(*RIGHT_EYE_OPENING), dist(*LEFT_EYE_OPENING),
            height(list(NOSE_WINGS)),
            height([right_corner]), height([left_corner]), dist(*MOUTH_CORNERS),
            dist(*UPPER_LIP) + dist(*LOWER_LIP), dist(UPPER_LIP[1], LOWER_LIP[0]),
            (-gx_r + gx_l) / 2, (gy_r + gy_l) / 2,
        ]
        return np.asarray(levels, dtype=np.float32)


# Measured in this order, new ones last; their NAMES, in this order, are features.LEVELS.
CHANNELS: tuple[type[Channel], ...] = (Shape, Flow)
READS_PIXELS = any(channel.PIXELS for channel in CHANNELS)


def signature() -> str:
    """What the channels measure, for cache keys: each channel's class, version and column names."""
    return ";".join(f"{c.__name__}@{c.VERSION}:{','.join(c.NAMES)}" for c in CHANNELS)


def no_pixels(width: int, height: int) -> np.ndarray:
    """Stands in for a frame's pixels where only the tracked face was kept (raw observations): a
    read-only (height, width, 3) view of one zero byte. Refused while a channel reads pixels."""
    if READS_PIXELS:
        raise RuntimeError("a measurement channel reads pixels: the frames must be read again to measure them")
    return np.broadcast_to(np.zeros(1, np.uint8), (height, width, 3))
