"""Per-frame facial measurements with rigid head motion removed: the measuring half of the face stage.

Each frame's landmarks are aligned (3-D similarity, least squares) to the
first frame of the current face run on points that expressions and blinks
barely move (nose bridge and tip, temples): not on the eye corners, which
move with the lids and would let a blink shift every measurement at once.
The measurement channels (app/face/channels.py) then measure the aligned face
and the frame's pixels: distances and heights of facial regions in units of
the reference inter-ocular distance (IOD), gaze, and whatever a channel adds.
The head rotation against the reference and MediaPipe's blendshapes complete the row.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from app.face.channels import CHANNELS, Channel, FaceView
from app.face.landmarks import LEFT_EYE_CORNERS, RIGHT_EYE_CORNERS, STABLE_POINTS
from app.face.tracking import N_BLENDSHAPES, N_LANDMARKS, FaceObservation, face_height_px

LEVELS = tuple(name for channel in CHANNELS for name in channel.NAMES)  # the channels' values, in order
N_LEVELS = len(LEVELS)
LEVEL = {name: i for i, name in enumerate(LEVELS)}


@dataclass(frozen=True)
class FrameFeatures:
    """Measurements of one frame: the face stage's row. `levels` is (N_LEVELS,) float32, the channels'
    values (named by LEVELS; IOD units for the landmark shape), NaN without a face; `head` is (yaw, pitch,
    roll) in degrees against the run's reference pose; `face_px` the face's height, pixels (0 without one)."""

    t_s: float
    face: bool
    levels: np.ndarray
    head: np.ndarray
    blendshapes: np.ndarray
    faces_seen: int = 0
    landmarks: np.ndarray | None = None  # (478, 3) float32 normalised, kept for overlays and caches
    face_px: float = 0.0

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


class FeatureExtractor:
    """Turns tracked faces into FrameFeatures, measured by every channel; re-takes its reference when a
    face run starts."""

    def __init__(self, keep_landmarks: bool = False):
        self.keep_landmarks = keep_landmarks
        self.channels: tuple[Channel, ...] = tuple(make() for make in CHANNELS)
        self.reset()

    def reset(self) -> None:
        self._ref: np.ndarray | None = None
        self._iod = 1.0
        for channel in self.channels:
            channel.reset()

    def update(self, t_s: float, face: FaceObservation | None, image: np.ndarray) -> FrameFeatures:
        """`image` is the frame's (h, w, 3) BGR pixels the face was tracked in (its landmarks are
        normalised to it)."""
        if face is None:
            self.reset()
            return empty_features(t_s)
        h, w = image.shape[:2]
        pts = face.landmarks.astype(np.float64) * np.array([w, h, w])
        if self._ref is None:
            self._ref = pts
            eyes = pts[list(RIGHT_EYE_CORNERS), :2].mean(0) - pts[list(LEFT_EYE_CORNERS), :2].mean(0)
            self._iod = float(np.linalg.norm(eyes)) or 1.0
        scale, rot, trans = similarity_align(pts[STABLE_POINTS], self._ref[STABLE_POINTS])
        view = FaceView(t_s, image, face, pts, scale * pts @ rot.T + trans, self._iod)
        levels = np.concatenate([channel.measure(view) for channel in self.channels], dtype=np.float32)
        return FrameFeatures(
            t_s=t_s, face=True, levels=levels, head=rotation_angles(rot.T),
            blendshapes=face.blendshapes, faces_seen=face.faces_seen,
            landmarks=face.landmarks if self.keep_landmarks else None, face_px=face_height_px(face.landmarks, h),
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
            levels = levels_as_now(z["levels"], tuple(str(name) for name in z["levels_names"]), path)
            table = cls(z["t_s"], z["face"], levels, z["head"], z["blendshapes"], z["faces_seen"],
                        z["landmarks"] if "landmarks" in z.files else None, ast.literal_eval(str(z["meta"])))
        n = len(table.t_s)
        if any(len(a) != n for a in (table.face, table.levels, table.head, table.blendshapes, table.faces_seen)):
            raise ValueError(f"{path}: columns of different lengths")
        return table


def levels_as_now(levels: np.ndarray, names: tuple[str, ...], path: str | Path) -> np.ndarray:
    """(n, N_LEVELS) levels of a file that holds the columns `names`: one written before a channel was
    added (a recorded session) gets NaN in that channel's columns, as the spotter reads a column it
    cannot use; one holding a column this Glimpse does not measure is refused (ValueError)."""
    if names == LEVELS:
        return levels
    unknown = sorted(set(names) - set(LEVELS))
    if unknown or len(set(names)) != len(names) or levels.shape[1:] != (len(names),):
        raise ValueError(f"{path}: features were measured by another Glimpse version ({', '.join(unknown)})")
    now = np.full((len(levels), N_LEVELS), np.nan, np.float32)
    now[:, [LEVEL[name] for name in names]] = levels
    return now


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
