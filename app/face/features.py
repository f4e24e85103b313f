"""Per-frame facial measurements with rigid head motion removed.

Each frame's landmarks are aligned (3-D similarity, least squares) to the
first frame of the current face run on points that expressions and blinks
barely move (nose bridge and tip, temples): not on the eye corners, which
move with the lids and would let a blink shift every measurement at once.
Measurements are then distances and heights of facial regions in units of
the reference inter-ocular distance (IOD), plus gaze (iris between the eye
corners) and the head rotation against the reference.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

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
    STABLE_POINTS,
    UPPER_LIP,
)
from app.face.tracking import N_BLENDSHAPES, N_LANDMARKS, FaceObservation

# Levels measured per frame, in IOD units (heights: up is positive).
LEVELS = (
    "brow_right", "brow_left", "brow_gap",
    "lid_right", "lid_left",
    "nose_wings",
    "corner_right", "corner_left", "mouth_width", "lip_thickness", "mouth_open",
    "gaze_x", "gaze_y",
)
N_LEVELS = len(LEVELS)
LEVEL = {name: i for i, name in enumerate(LEVELS)}


@dataclass(frozen=True)
class FrameFeatures:
    """Measurements of one frame. `levels` is (N_LEVELS,) float32 in IOD units, NaN without a face;
    `head` is (yaw, pitch, roll) in degrees against the run's reference pose."""

    t_s: float
    face: bool
    levels: np.ndarray
    head: np.ndarray
    blendshapes: np.ndarray
    faces_seen: int = 0
    landmarks: np.ndarray | None = None  # (478, 3) float32 normalised, kept for overlays and caches

    def __post_init__(self) -> None:
        if self.levels.shape != (N_LEVELS,):
            raise ValueError(f"levels must be ({N_LEVELS},), got {self.levels.shape}")


def similarity_align(src: np.ndarray, dst: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """Scale s, rotation R (3x3), translation t minimising |s R src + t - dst| (Umeyama)."""
    mu_s, mu_d = src.mean(axis=0), dst.mean(axis=0)
    a, b = src - mu_s, dst - mu_d
    u, sig, vt = np.linalg.svd(b.T @ a)
    d = np.ones(3)
    d[2] = np.sign(np.linalg.det(u @ vt)) or 1.0
    rot = u @ np.diag(d) @ vt
    scale = float((sig * d).sum() / (a * a).sum())
    return scale, rot, mu_d - scale * rot @ mu_s


def rotation_angles(rot: np.ndarray) -> np.ndarray:
    """(yaw, pitch, roll) in degrees of a rotation matrix (image axes: x right, y down)."""
    yaw = np.degrees(np.arcsin(np.clip(-rot[2, 0], -1, 1)))
    pitch = np.degrees(np.arctan2(rot[2, 1], rot[2, 2]))
    roll = np.degrees(np.arctan2(rot[1, 0], rot[0, 0]))
    return np.array([yaw, pitch, roll], dtype=np.float32)


def _eye_gaze(p: np.ndarray, corners: tuple[int, int], iris: int) -> tuple[float, float]:
    """Iris position against the eye corners, in eye widths (along and across the corner axis)."""
    outer, inner = p[corners[0], :2], p[corners[1], :2]
    axis = inner - outer
    width = float(np.linalg.norm(axis)) or 1.0
    ux = axis / width
    uy = np.array([-ux[1], ux[0]])
    rel = p[iris, :2] - (outer + inner) / 2
    return float(rel @ ux / width), float(rel @ uy / width)


def measure(aligned: np.ndarray, iod: float) -> np.ndarray:
    """The LEVELS of one aligned face (pixel units, y down), in IOD units."""
    p = aligned / iod

    def height(idx) -> float:
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


class FeatureExtractor:
    """Turns tracked faces into FrameFeatures; re-takes its reference when a face run starts."""

    def __init__(self, keep_landmarks: bool = False):
        self.keep_landmarks = keep_landmarks
        self.reset()

    def reset(self) -> None:
        self._ref: np.ndarray | None = None
        self._iod = 1.0

    def update(self, t_s: float, face: FaceObservation | None, size: tuple[int, int]) -> FrameFeatures:
        """`size` is the image's (width, height): landmarks are normalised per axis."""
        if face is None:
            self.reset()
            return empty_features(t_s)
        w, h = size
        pts = face.landmarks.astype(np.float64) * np.array([w, h, w])
        if self._ref is None:
            self._ref = pts
            eyes = pts[list(RIGHT_EYE_CORNERS), :2].mean(0) - pts[list(LEFT_EYE_CORNERS), :2].mean(0)
            self._iod = float(np.linalg.norm(eyes)) or 1.0
        scale, rot, trans = similarity_align(pts[STABLE_POINTS], self._ref[STABLE_POINTS])
        aligned = scale * pts @ rot.T + trans
        return FrameFeatures(
            t_s=t_s, face=True, levels=measure(aligned, self._iod), head=rotation_angles(rot.T),
            blendshapes=face.blendshapes, faces_seen=face.faces_seen,
            landmarks=face.landmarks if self.keep_landmarks else None,
        )


def empty_features(t_s: float) -> FrameFeatures:
    return FrameFeatures(t_s, False, np.full(N_LEVELS, np.nan, np.float32), np.full(3, np.nan, np.float32),
                         np.zeros(N_BLENDSHAPES, np.float32))


@dataclass
class FeatureTable:
    """Per-frame features of a whole video, column-wise (what caches and replay hold).

    t_s (N,) float64 seconds; face (N,) bool; levels (N, N_LEVELS) float32 IOD units, NaN without a face;
    head (N, 3) float32 degrees; blendshapes (N, 52) float16; faces_seen (N,) int8;
    landmarks (N, 478, 3) float16 normalised, or None when not kept.
    """

    t_s: np.ndarray
    face: np.ndarray
    levels: np.ndarray
    head: np.ndarray
    blendshapes: np.ndarray
    faces_seen: np.ndarray
    landmarks: np.ndarray | None = None
    meta: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.t_s)

    def row(self, i: int) -> FrameFeatures:
        lm = None if self.landmarks is None or not self.face[i] else self.landmarks[i].astype(np.float32)
        return FrameFeatures(float(self.t_s[i]), bool(self.face[i]), self.levels[i], self.head[i],
                             self.blendshapes[i].astype(np.float32), int(self.faces_seen[i]), lm)

    @classmethod
    def from_frames(cls, frames: list[FrameFeatures], meta: dict | None = None) -> FeatureTable:
        builder = FeatureTableBuilder(keep_landmarks=any(f.landmarks is not None for f in frames))
        for f in frames:
            builder.append(f)
        return builder.build(meta)

    def to_bytes(self) -> bytes:
        buf = io.BytesIO()
        arrays = {k: getattr(self, k) for k in ("t_s", "face", "levels", "head", "blendshapes", "faces_seen")}
        if self.landmarks is not None:
            arrays["landmarks"] = self.landmarks
        np.savez_compressed(buf, meta=np.array(repr(self.meta)), levels_names=np.array(LEVELS), **arrays)
        return buf.getvalue()

    @classmethod
    def load(cls, path: str | Path) -> FeatureTable:
        """Raises ValueError (or OSError) when the file is not a complete feature table."""
        import ast

        with np.load(path, allow_pickle=False) as z:
            if tuple(z["levels_names"]) != LEVELS:
                raise ValueError(f"{path}: features were measured by another Glimpse version")
            table = cls(z["t_s"], z["face"], z["levels"], z["head"], z["blendshapes"], z["faces_seen"],
                        z["landmarks"] if "landmarks" in z.files else None, ast.literal_eval(str(z["meta"])))
        n = len(table.t_s)
        if any(len(a) != n for a in (table.face, table.levels, table.head, table.blendshapes, table.faces_seen)):
            raise ValueError(f"{path}: columns of different lengths")
        return table


class FeatureTableBuilder:
    """Appends FrameFeatures into growing column blocks (memory grows with the video, ~0.2 KB a frame
    without landmarks)."""

    def __init__(self, keep_landmarks: bool = False):
        self.keep_landmarks = keep_landmarks
        self._rows: list[tuple] = []
        self._landmarks: list[np.ndarray] = []

    def append(self, f: FrameFeatures) -> None:
        self._rows.append((f.t_s, f.face, f.levels, f.head, f.blendshapes.astype(np.float16), f.faces_seen))
        if self.keep_landmarks:
            lm = f.landmarks if f.landmarks is not None else np.zeros((N_LANDMARKS, 3), np.float32)
            self._landmarks.append(lm.astype(np.float16))

    def __len__(self) -> int:
        return len(self._rows)

    def build(self, meta: dict | None = None) -> FeatureTable:
        n = len(self._rows)
        cols: list = list(zip(*self._rows, strict=True)) if n else [[]] * 6
        return FeatureTable(
            t_s=np.asarray(cols[0], np.float64),
            face=np.asarray(cols[1], bool),
            levels=np.asarray(cols[2], np.float32).reshape(n, N_LEVELS),
            head=np.asarray(cols[3], np.float32).reshape(n, 3),
            blendshapes=np.asarray(cols[4], np.float16).reshape(n, N_BLENDSHAPES),
            faces_seen=np.asarray(cols[5], np.int8),
            landmarks=np.stack(self._landmarks) if self.keep_landmarks and n else None,
            meta=dict(meta or {}),
        )


@dataclass
class FeatureTally:
    """What a report says about a stream of frames (how many, with a face, the last one's time, the most
    faces in one), counted as they come in constant memory: a live run of hours keeps no per-frame table."""

    frames: int = 0
    face_frames: int = 0
    last_t_s: float = 0.0
    faces_seen_max: int = 0

    def append(self, f: FrameFeatures) -> None:
        self.frames += 1
        self.face_frames += bool(f.face)
        self.last_t_s = f.t_s
        self.faces_seen_max = max(self.faces_seen_max, int(f.faces_seen))

    def __len__(self) -> int:
        return self.frames

    def duration_s(self, fps: float) -> float:
        """From the first frame's start to the last one's end, frames lasting 1/fps."""
        return self.last_t_s + 1.0 / fps if self.frames else 0.0

    @classmethod
    def of(cls, table: FeatureTable) -> FeatureTally:
        n = len(table)
        return cls(n, int(table.face.sum()), float(table.t_s[-1]) if n else 0.0,
                   int(table.faces_seen.max()) if n else 0)
