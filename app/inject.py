"""Ground truth from real faces: warp the pixels of a facial region for a known time.

Public micro-expression datasets are licence-gated, so `inject` takes an
ordinary face video and writes a copy in which chosen regions move (brows up,
lip corners out and up, ...) with an onset-apex-offset envelope, plus the
truth JSON that says when and what. Two passes over the video: the first
tracks the face (MediaPipe) and plans the events, the second warps and writes.

Warps follow the face: each action is a few *handles* (landmark polylines)
moved by a displacement that falls off smoothly (a Gaussian look-alike that
reaches zero, with separate widths above, below and along the handle) and is
applied with `cv2.remap`.
Handles sit on landmarks averaged over 5 frames, so tracker jitter does not
leak into the injected motion. Amplitudes are in inter-ocular distances (IOD,
between the eye centres) and are the displacement of the handle's landmarks at
apex.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable, Sequence

import cv2
import numpy as np

from .capture import FileSource
from .errors import GlimpseError, NoFaceFound, VideoUnreadable
from .landmarks import LEFT_EYE_CORNERS, LOWER_LIP, RIGHT_EYE_CORNERS, UPPER_LIP
from .storage import write_atomic

ACTION_TYPES = ("brow_raise", "brow_lower", "lip_corner_pull", "lip_corner_depress",
                "nose_wrinkle", "lip_press", "upper_lid_raise")
REGION_OF = {"brow_raise": "brows", "brow_lower": "brows", "lip_corner_pull": "mouth",
             "lip_corner_depress": "mouth", "nose_wrinkle": "nose", "lip_press": "mouth",
             "upper_lid_raise": "lids"}
SIDES = ("both", "right", "left")  # the subject's right and left
KINDS = ("micro", "macro")
MICRO_S = (0.06, 0.5)
MACRO_S = (1.5, 4.0)
AMPLITUDE_IOD = (0.02, 0.08)
SMOOTH_FRAMES = 5


class InjectError(GlimpseError):
    """Events that cannot be placed in a video, or an output that cannot be written."""


@dataclass(frozen=True)
class Event:
    """One injected action. Times in seconds of the output video; the envelope rises (raised cosine)
    from onset, holds for `hold_s` centred on apex and falls to zero at offset. `amplitude_iod` is
    the displacement of the driving landmarks at apex, in inter-ocular distances."""

    onset_s: float
    apex_s: float
    offset_s: float
    type: str
    kind: str
    amplitude_iod: float
    side: str = "both"
    hold_s: float = 0.0

    def __post_init__(self) -> None:
        if self.type not in ACTION_TYPES:
            raise ValueError(f"unknown action type {self.type!r}; expected one of {ACTION_TYPES}")
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {self.kind!r}")
        if self.side not in SIDES or (self.type == "lip_press" and self.side != "both"):
            raise ValueError(f"side {self.side!r} is not possible for {self.type}")
        if not (self.onset_s <= self.apex_s - self.hold_s / 2 and self.apex_s + self.hold_s / 2 <= self.offset_s
                and self.onset_s < self.offset_s and self.hold_s >= 0):
            raise ValueError(f"times must satisfy onset <= apex -+ hold/2 <= offset, got {self}")
        if not 0 < self.amplitude_iod < 0.5:
            raise ValueError(f"amplitude_iod must be in (0, 0.5), got {self.amplitude_iod}")

    @property
    def regions(self) -> list[str]:
        return [REGION_OF[self.type]]

    @property
    def duration_s(self) -> float:
        return self.offset_s - self.onset_s

    def envelope(self, t_s: float) -> float:
        """0..1: raised-cosine rise to the apex plateau, hold, raised-cosine fall."""
        lo, hi = self.apex_s - self.hold_s / 2, self.apex_s + self.hold_s / 2
        if t_s <= self.onset_s or t_s >= self.offset_s:
            return 0.0
        if t_s < lo:
            return 0.5 - 0.5 * math.cos(math.pi * (t_s - self.onset_s) / (lo - self.onset_s))
        if t_s <= hi:
            return 1.0
        return 0.5 + 0.5 * math.cos(math.pi * (t_s - hi) / (self.offset_s - hi))

    def to_dict(self) -> dict:
        return {**asdict(self), "regions": self.regions}

    @classmethod
    def from_dict(cls, d: dict) -> "Event":
        return cls(float(d["onset_s"]), float(d["apex_s"]), float(d["offset_s"]), d["type"], d["kind"],
                   float(d["amplitude_iod"]), d.get("side", "both"), float(d.get("hold_s", 0.0)))


def make_event(type: str, apex_s: float, duration_s: float, amplitude_iod: float,
               kind: str = "micro", side: str = "both") -> Event:
    """An event of `duration_s` (onset to offset) whose apex plateau is centred on `apex_s`.
    Micro: rise 35 %, hold 20 %, fall 45 % of the duration. Macro: rise 0.3 s, fall 0.4 s, held between."""
    if kind == "micro":
        rise, hold = 0.35 * duration_s, 0.2 * duration_s
    else:
        rise, hold = 0.3, max(duration_s - 0.7, 0.0)
    onset = apex_s - rise - hold / 2
    r = lambda x: round(float(x), 4)  # noqa: E731 - truth files stay readable
    return Event(r(onset), r(apex_s), r(onset + duration_s), type, kind, r(amplitude_iod), side, r(hold))


# ----------------------------------------------------------------------------------------------
# Handles: where each action pulls, and how the pull fades.

@dataclass(frozen=True)
class Handle:
    """A polyline of landmark groups (each vertex is the mean of its landmarks) moved by
    `weights[i] * (out, up)[i]` times the action's amount. Falloff widths in IOD: `above`/`below`
    across the face's up axis, `along` beyond the ends; `core` is a band that moves fully. With `gap`,
    the width on `gap_side` follows the face instead (the red lip's height, the eye's opening), so the
    pull fades before the lip line or the lower lid."""

    vertices: tuple[tuple[int, ...], ...]
    weights: tuple[float, ...]
    directions: tuple[tuple[float, float], ...]  # (out, up) per vertex; out = away from the face midline
    side: str  # "right", "left" or "centre"
    above: float
    below: float
    along: float
    core: float = 0.0
    gap: tuple[int, int] | None = None  # landmarks whose distance x `gap_share` sets the width on `gap_side`
    gap_side: str = "below"
    gap_share: float = 0.5

    def __post_init__(self) -> None:
        n = len(self.vertices)
        if not (len(self.weights) == len(self.directions) == n >= 1):
            raise ValueError("a handle needs one weight and one direction per vertex")


def _unit(out: float, up: float) -> tuple[float, float]:
    n = math.hypot(out, up)
    return out / n, up / n


def _arch(n: int) -> tuple[float, ...]:
    """Weights 0 at both ends, 1 in the middle (for lids and lips, whose corners stay put)."""
    return tuple(round(math.sin(math.pi * i / (n - 1)), 4) for i in range(n))


_BROW = {"right": ((70, 46), (63, 53), (105, 52), (66, 65), (107, 55)),  # outer -> inner, centre of the brow
         "left": ((300, 276), (293, 283), (334, 282), (296, 295), (336, 285))}
_UPPER_LID = {"right": (33, 246, 161, 160, 159, 158, 157, 173, 133),
              "left": (263, 466, 388, 387, 386, 385, 384, 398, 362)}
_LIP_OUTER_UPPER = (61, 185, 40, 39, 37, 0, 267, 269, 270, 409, 291)
_LIP_OUTER_LOWER = (61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291)
_CORNER = {"right": 61, "left": 291}
_NOSE_WING = {"right": 98, "left": 327}
_EYE_OPENING = {"right": (159, 145), "left": (386, 374)}


def _sided(make: Callable[[str], Handle]) -> dict[str, Handle]:
    return {side: make(side) for side in ("right", "left")}


HANDLES: dict[str, dict[str, Handle]] = {
    "brow_raise": _sided(lambda s: Handle(
        _BROW[s], (1.0,) * 5, ((0.0, 1.0),) * 5, s, above=0.22, below=0.09, along=0.12, core=0.06)),
    "brow_lower": _sided(lambda s: Handle(  # inner brow lowers most and is drawn toward the midline
        _BROW[s], (0.6, 0.75, 0.9, 1.0, 1.0),
        (_unit(0, -1), _unit(-0.1, -1), _unit(-0.25, -1), _unit(-0.4, -1), _unit(-0.5, -1)),
        s, above=0.18, below=0.09, along=0.12, core=0.06)),
    "lip_corner_pull": _sided(lambda s: Handle(
        ((_CORNER[s],),), (1.0,), (_unit(0.75, 0.66),), s, above=0.16, below=0.12, along=0.14)),
    "lip_corner_depress": _sided(lambda s: Handle(
        ((_CORNER[s],),), (1.0,), (_unit(0.25, -1),), s, above=0.10, below=0.16, along=0.14)),
    "nose_wrinkle": _sided(lambda s: Handle(
        ((_NOSE_WING[s],),), (1.0,), ((0.0, 1.0),), s, above=0.12, below=0.08, along=0.09)),
    "upper_lid_raise": _sided(lambda s: Handle(  # the eye below the margin stretches, the lower lid stays
        tuple((i,) for i in _UPPER_LID[s]), _arch(9), ((0.0, 1.0),) * 9, s,
        above=0.09, below=0.0, along=0.05, gap=_EYE_OPENING[s], gap_share=0.4)),
    "lip_press": {"upper": Handle(tuple((i,) for i in _LIP_OUTER_UPPER), _arch(11), ((0.0, -1.0),) * 11,
                                  "centre", above=0.08, below=0.0, along=0.06, gap=UPPER_LIP, gap_share=0.5),
                  "lower": Handle(tuple((i,) for i in _LIP_OUTER_LOWER), _arch(11), ((0.0, 1.0),) * 11,
                                  "centre", above=0.0, below=0.08, along=0.06, gap=LOWER_LIP, gap_side="above",
                                  gap_share=0.5)},
}
# Amplitude limits where a larger pull would fold or smear: at most `share` of the smallest gap during the event.
LIMITS = {"lip_press": ((UPPER_LIP, LOWER_LIP), 0.45),
          "upper_lid_raise": ((_EYE_OPENING["right"], _EYE_OPENING["left"]), 0.4)}
DRIVERS = {t: sorted({i for h in hs.values() for v, w in zip(h.vertices, h.weights) if w >= 0.99 for i in v})
           for t, hs in HANDLES.items()}  # landmarks that move by the full amplitude
USED_LANDMARKS = np.array(sorted({i for hs in HANDLES.values() for h in hs.values() for v in h.vertices for i in v}
                                 | set(RIGHT_EYE_CORNERS + LEFT_EYE_CORNERS + UPPER_LIP + LOWER_LIP)
                                 | {145, 159, 374, 386}))


def handles_for(type: str, side: str) -> list[Handle]:
    hs = HANDLES[type]
    if type == "lip_press" or side == "both":
        return list(hs.values())
    return [hs[side]]


@dataclass(frozen=True)
class FaceFrame:
    """Geometry of one frame, in pixels: `points` (478, 2) (only `USED_LANDMARKS` need be finite),
    the eye-centre axis `right_to_left` and `up` (unit vectors), and the IOD."""

    points: np.ndarray
    right_to_left: np.ndarray
    up: np.ndarray
    iod: float

    @classmethod
    def from_points(cls, points: np.ndarray) -> "FaceFrame":
        if points.shape != (478, 2):
            raise ValueError(f"points must be (478, 2) pixels, got {points.shape}")
        axis = points[list(LEFT_EYE_CORNERS)].mean(0) - points[list(RIGHT_EYE_CORNERS)].mean(0)
        iod = float(np.linalg.norm(axis))
        x = axis / iod
        return cls(points, x, np.array([x[1], -x[0]]), iod)

    def limit_iod(self, type: str) -> float:
        """The largest amplitude (IOD) `type` may have in this frame (see LIMITS); inf when unlimited."""
        if type not in LIMITS:
            return math.inf
        pairs, share = LIMITS[type]
        return share * min(float(np.linalg.norm(self.points[a] - self.points[b])) for a, b in pairs) / self.iod


@dataclass(frozen=True)
class Pull:
    """One action in one frame: its handles move by `amount_px` (amplitude x IOD x envelope)."""

    type: str
    side: str
    amount_px: float


def _kernel(u: np.ndarray) -> np.ndarray:
    """A Gaussian look-alike (same curvature at 0 as exp(-u^2/2)) that is exactly 0 beyond |u| = sqrt(6),
    so a pull ends inside its box and leaves no seam."""
    return np.maximum(1.0 - u * u / 6.0, 0.0) ** 3


KERNEL_REACH = math.sqrt(6.0)


@dataclass(frozen=True)
class _Placed:
    """A handle placed on one frame: vertices and their displacements (V, 2) px, widths px, and the box
    (x0, y0, x1, y1) outside which it moves nothing."""

    verts: np.ndarray
    disp: np.ndarray
    above: float
    below: float
    along: float
    core: float
    box: tuple[float, float, float, float]


def _place(face: FaceFrame, h: Handle, amount_px: float) -> _Placed:
    verts = np.array([face.points[list(v)].mean(0) for v in h.vertices])
    out_sign = {"right": -1.0, "left": 1.0, "centre": 0.0}[h.side]
    dirs = np.array([out_sign * o * face.right_to_left + u * face.up for o, u in h.directions])
    disp = amount_px * np.asarray(h.weights)[:, None] * dirs
    above, below = h.above * face.iod, h.below * face.iod
    if h.gap:
        gap = float(np.linalg.norm(face.points[h.gap[0]] - face.points[h.gap[1]]))
        width = h.gap_share * max(gap, 0.04 * face.iod)
        above, below = (above, width) if h.gap_side == "below" else (width, below)
    along, core = h.along * face.iod, h.core * face.iod
    r = core + KERNEL_REACH * max(above, below, along) + abs(amount_px)
    return _Placed(verts, disp, above, below, along, core, (*(verts.min(0) - r), *(verts.max(0) + r)))


def _handle_field(xy: np.ndarray, face: FaceFrame, h: _Placed) -> np.ndarray:
    """Displacement (K, 2) pixels at points `xy` (K, 2) of one placed handle: the displacement of the
    nearest point of the polyline, weighted by the kernel of the distance across (face up axis, `above` or
    `below` width, minus the core) and along (face left-right axis)."""
    a, b = (h.verts[:-1], h.verts[1:]) if len(h.verts) > 1 else (h.verts, h.verts)
    ab = b - a
    rel = xy[:, None, :] - a[None]
    t = np.clip((rel * ab).sum(-1) / np.maximum((ab * ab).sum(-1), 1e-9), 0.0, 1.0)  # (K, S)
    off = rel - t[..., None] * ab[None]
    seg = np.argmin((off * off).sum(-1), axis=1)
    k = np.arange(len(xy))
    ts, v = t[k, seg], off[k, seg]
    c, along = v @ face.up, v @ face.right_to_left
    across = np.maximum(np.abs(c) - h.core, 0.0) / np.where(c > 0, h.above, h.below)
    w = _kernel(across) * _kernel(along / h.along)
    d0 = h.disp[seg]
    d1 = h.disp[np.minimum(seg + 1, len(h.disp) - 1)]
    return w[:, None] * (d0 + ts[:, None] * (d1 - d0))


def _placed(face: FaceFrame, pulls: Sequence[Pull]) -> list[_Placed]:
    return [_place(face, h, p.amount_px) for p in pulls if p.amount_px for h in handles_for(p.type, p.side)]


def _field(xy: np.ndarray, face: FaceFrame, placed: Sequence[_Placed]) -> np.ndarray:
    total = np.zeros_like(xy)
    for h in placed:
        x0, y0, x1, y1 = h.box
        inside = np.flatnonzero((xy[:, 0] >= x0) & (xy[:, 0] <= x1) & (xy[:, 1] >= y0) & (xy[:, 1] <= y1))
        if len(inside):
            total[inside] += _handle_field(xy[inside], face, h)
    return total


def displacement(xy: np.ndarray, face: FaceFrame, pulls: Sequence[Pull]) -> np.ndarray:
    """Forward displacement (K, 2) pixels at points `xy` (K, 2): where the content at xy moves to, minus xy."""
    return _field(np.asarray(xy, np.float64), face, _placed(face, pulls))


def warp_frame(image: np.ndarray, face: FaceFrame, pulls: Sequence[Pull], iterations: int = 3) -> np.ndarray:
    """`image` (H, W, 3) uint8 with the pulls applied; a new array, `image` is untouched.
    The backward map solves y + D(y) = x by fixed-point iteration (|grad D| < 1 for our widths)."""
    placed = _placed(face, pulls)
    out = image.copy()
    if not placed:
        return out
    hgt, wid = image.shape[:2]
    boxes = np.array([h.box for h in placed])
    x0, y0 = max(int(boxes[:, 0].min()), 0), max(int(boxes[:, 1].min()), 0)
    x1, y1 = min(int(math.ceil(boxes[:, 2].max())) + 1, wid), min(int(math.ceil(boxes[:, 3].max())) + 1, hgt)
    if x1 <= x0 or y1 <= y0:
        return out
    # The map is smooth on the scale of the narrowest width: solve it on a grid of up to 4 px and
    # interpolate, exactly aligned, to every pixel.
    step = int(np.clip(min(min(h.above, h.below, h.along) for h in placed) // 3, 1, 4))
    xs, ys = np.arange(x0, x1 + step, step, dtype=np.float64), np.arange(y0, y1 + step, step, dtype=np.float64)
    gx, gy = np.meshgrid(xs, ys)
    xy = np.stack([gx.ravel(), gy.ravel()], 1)
    src = xy.copy()
    for _ in range(iterations):
        src = xy - _field(src, face, placed)
    back = (xy - src).reshape(len(ys), len(xs), 2).astype(np.float32)
    fx, fy = np.meshgrid(np.arange(x1 - x0, dtype=np.float32) / step, np.arange(y1 - y0, dtype=np.float32) / step)
    back = cv2.remap(back, fx, fy, cv2.INTER_LINEAR) if step > 1 else back[:y1 - y0, :x1 - x0]
    out[y0:y1, x0:x1] = cv2.remap(image, fx * step + x0 - back[..., 0], fy * step + y0 - back[..., 1],
                                  cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE)
    return out


# ----------------------------------------------------------------------------------------------
# Timeline: tracking, smoothing, ping-pong, planning.

@dataclass(frozen=True)
class Track:
    """Face tracked in every source frame: `points` (N, len(USED_LANDMARKS), 2) float32 pixels, NaN
    without a face; `face` (N,) bool."""

    points: np.ndarray
    face: np.ndarray
    fps: float
    size: tuple[int, int]  # (width, height)

    def __len__(self) -> int:
        return len(self.face)


def track_video(path: str | Path, model_path: str | Path | None = None, cache=None,
                progress: Callable[[str, int, int], None] | None = None) -> Track:
    """Track the face in every frame (a fresh tracker); when `cache` (a binary file) is given, also
    write every decoded frame's raw bytes to it, for out-of-order reading."""
    from .tracking import FaceTracker

    rows, face = [], []
    with FileSource(path) as src, FaceTracker(model_path) as tracker:
        info = src.info
        for frame in src:
            obs = tracker.update(frame.image, frame.t_s)
            if obs is None:
                rows.append(np.full((len(USED_LANDMARKS), 2), np.nan, np.float32))
            else:
                rows.append(obs.landmarks[USED_LANDMARKS, :2] * np.array([info.width, info.height], np.float32))
            face.append(obs is not None)
            if cache is not None:
                cache.write(np.ascontiguousarray(frame.image).tobytes())
            if progress and frame.index % 50 == 0:
                progress("tracking", frame.index, info.frame_count)
    return Track(np.stack(rows), np.array(face), info.fps, (info.width, info.height))


def pingpong_order(n_source: int, n_out: int) -> np.ndarray:
    """Source frame index of each output frame: forward, backward, forward... without repeating the
    turning frames (0 1 2 1 0 1 2 ...), or the first `n_out` frames when that is no longer."""
    if n_source < 1 or n_out < 1:
        raise ValueError("need at least one source and one output frame")
    if n_source == 1:
        return np.zeros(n_out, int)
    cycle = np.concatenate([np.arange(n_source), np.arange(n_source - 2, 0, -1)])
    return np.resize(cycle, n_out)


def smooth_points(points: np.ndarray, face: np.ndarray, window: int = SMOOTH_FRAMES) -> np.ndarray:
    """Centred moving average over `window` frames of the frames with a face (NaN stays NaN)."""
    if window <= 1:
        return points.copy()
    valid = face[:, None, None].astype(np.float64)
    filled = np.where(valid > 0, points, 0.0)
    half = window // 2
    pad = ((half, half), (0, 0), (0, 0))
    csum = np.cumsum(np.pad(filled, pad), axis=0)
    cnt = np.cumsum(np.pad(np.broadcast_to(valid, filled.shape), pad), axis=0)
    csum = np.concatenate([np.zeros_like(csum[:1]), csum])
    cnt = np.concatenate([np.zeros_like(cnt[:1]), cnt])
    s = csum[window:] - csum[:-window]
    n = cnt[window:] - cnt[:-window]
    out = (s / np.maximum(n, 1)).astype(np.float32)
    out[~face] = np.nan
    return out


def _full(points_used: np.ndarray) -> np.ndarray:
    full = np.full((478, 2), np.nan, np.float64)
    full[USED_LANDMARKS] = points_used
    return full


def _col(idx: int) -> int:
    return int(np.searchsorted(USED_LANDMARKS, idx))


def _iod(points: np.ndarray) -> np.ndarray:
    """IOD in pixels per frame of (N, len(USED_LANDMARKS), 2) points."""
    r = points[:, [_col(i) for i in RIGHT_EYE_CORNERS]].mean(1)
    l = points[:, [_col(i) for i in LEFT_EYE_CORNERS]].mean(1)
    return np.linalg.norm(l - r, axis=1)


def _ok_frames(points: np.ndarray, face: np.ndarray) -> dict[str, np.ndarray]:
    """Frames where each action type may be injected: a face, and for lid raises open eyes."""
    iod = np.where(face, _iod(points), 1.0)
    opening = [np.linalg.norm(points[:, _col(u)] - points[:, _col(d)], axis=1) for u, d in ((159, 145), (386, 374))]
    eyes_open = face & (np.fmin(*opening) >= 0.07 * iod)
    return {t: (eyes_open if t == "upper_lid_raise" else face) for t in ACTION_TYPES}


def plan_events(ok: dict[str, np.ndarray], fps: float, n_micro: int, n_macro: int, rng: np.random.Generator,
                types: Sequence[str] = ACTION_TYPES, amplitude: tuple[float, float] = AMPLITUDE_IOD,
                unilateral: float = 0.0, start_s: float = 2.5, gap_s: float = 3.0, margin_s: float = 0.5,
                attempts: int = 50) -> list[Event]:
    """Random, non-overlapping events (>= `gap_s` apart, none before `start_s`), each where `ok[type]`
    holds for the whole event +- `margin_s`. Apexes fall on frames. Deterministic for a given `rng` state."""
    n = len(next(iter(ok.values())))
    specs = []  # drawn first and in a fixed order, so placement retries do not change them
    for kind, count in (("macro", n_macro), ("micro", n_micro)):
        lo, hi = MACRO_S if kind == "macro" else MICRO_S
        for _ in range(count):
            type = str(rng.choice(list(types)))
            dur = float(np.exp(rng.uniform(np.log(lo), np.log(hi))))  # log-uniform: as many brief as long
            amp = float(rng.uniform(*amplitude))
            side = str(rng.choice(["right", "left"])) if type != "lip_press" and rng.random() < unilateral else "both"
            specs.append((type, dur, amp, kind, side))
    bad_cum = {t: np.concatenate([[0], np.cumsum(~m)]) for t, m in ok.items()}
    times = np.arange(n) / fps
    best: list[Event] = []
    for _ in range(attempts):
        placed: list[Event] = []
        for type, dur, amp, kind, side in specs:
            proto = make_event(type, 0.0, dur, amp, kind, side)
            on, off = times + proto.onset_s, times + proto.offset_s
            lo = np.floor((on - margin_s) * fps).astype(int)
            hi = np.ceil((off + margin_s) * fps).astype(int)
            valid = (on >= start_s) & (lo >= 0) & (hi <= n - 1)
            lo_c, hi_c = np.clip(lo, 0, n - 1), np.clip(hi, 0, n - 1)
            valid &= bad_cum[type][hi_c + 1] - bad_cum[type][lo_c] == 0
            for e in placed:
                valid &= (on >= e.offset_s + gap_s) | (off <= e.onset_s - gap_s)
            candidates = np.flatnonzero(valid)
            if not len(candidates):
                break
            k = int(rng.choice(candidates))
            placed.append(make_event(type, k / fps, dur, amp, kind, side))
        if len(placed) == len(specs):
            return sorted(placed, key=lambda e: e.onset_s)
        best = max(best, placed, key=len)
    raise InjectError(f"could place only {len(best)} of {len(specs)} events ({n_micro} micro, {n_macro} macro) in "
                      f"{n / fps:.1f} s of video with a face: events need {gap_s:g} s between them, none in the "
                      f"first {start_s:g} s and a face from {margin_s:g} s before to after; ask for fewer events "
                      f"or a longer --length")


# ----------------------------------------------------------------------------------------------
# Injection.

def _event_iod(iod: np.ndarray, e: Event, fps: float) -> float:
    lo, hi = int(math.floor(e.onset_s * fps)), int(math.ceil(e.offset_s * fps))
    return float(np.nanmedian(iod[max(lo, 0):hi + 1]))


def _limit(e: Event, points: np.ndarray, fps: float) -> Event:
    """`e` with its amplitude cut to what LIMITS allow in every frame of the event (thin lips cannot thin
    much, a narrow eye cannot open much, without the warp folding or smearing)."""
    if e.type not in LIMITS:
        return e
    pairs, share = LIMITS[e.type]
    lo, hi = max(int(math.floor(e.onset_s * fps)), 0), int(math.ceil(e.offset_s * fps)) + 1
    p, iod = points[lo:hi], _iod(points[lo:hi])
    gaps = [np.linalg.norm(p[:, _col(a)] - p[:, _col(b)], axis=1) / iod for a, b in pairs]
    limit = math.floor(1e4 * share * float(np.nanmin(np.fmin.reduce(gaps)))) / 1e4
    if e.amplitude_iod <= limit:
        return e
    if limit <= 0:
        raise InjectError(f"{e.type} at {e.onset_s:.3f} s: the {'lips' if e.type == 'lip_press' else 'eyes'} "
                          f"are closed during the event, nothing to move")
    return Event(e.onset_s, e.apex_s, e.offset_s, e.type, e.kind, limit, e.side, e.hold_s)


def inject(video_in: str | Path, video_out: str | Path, events: int | Sequence[Event], seed: int = 0,
           lengthen_to_s: float | None = None, *, macro: int = 0, types: Sequence[str] = ACTION_TYPES,
           amplitude: tuple[float, float] = AMPLITUDE_IOD, unilateral: float = 0.0,
           model_path: str | Path | None = None,
           progress: Callable[[str, int, int], None] | None = None) -> dict:
    """Write `video_out`, a copy of `video_in` with facial actions warped in, and return its truth dict.

    events: how many random micro events to place (plus `macro` held ones), or explicit `Event`s
      (times in the output video). Lip press and lid raise amplitudes are cut to what the face allows
      (LIMITS); the truth holds the amplitudes applied.
    lengthen_to_s: output duration; longer than the clip plays it forward then backward (ping-pong,
      no visible cut; the clip is then cached raw in a temporary file), shorter cuts it.
    The output has the source's frame size and a uniform frame rate (the source's, mp4v);
    the same video, seed and arguments give the same events and truth.
    """
    video_in, video_out = Path(video_in), Path(video_out)
    if video_out.resolve() == video_in.resolve():
        raise InjectError(f"{video_out}: the output would overwrite the input video")
    with FileSource(video_in) as src:
        cache_now = lengthen_to_s is not None and lengthen_to_s > src.info.duration_s  # container's estimate
    with tempfile.TemporaryDirectory(prefix="glimpse-inject-") as tmp:
        cache_path = Path(tmp) / "frames.raw"
        with open(cache_path, "wb") if cache_now else contextlib.nullcontext() as cache:
            track = track_video(video_in, model_path, cache, progress)
        if not track.face.any():
            raise NoFaceFound(f"{video_in}: no face in any of its {len(track)} frames; injection needs a face")
        fps, (wid, hgt) = track.fps, track.size
        n_out = len(track) if lengthen_to_s is None else max(int(round(lengthen_to_s * fps)), 1)
        order = pingpong_order(len(track), n_out)
        points = smooth_points(track.points[order], track.face[order])
        face = track.face[order]
        if isinstance(events, int):
            rng = np.random.default_rng(seed)
            planned = plan_events(_ok_frames(points, face), fps, events, macro, rng, types, amplitude, unilateral)
        else:
            planned = sorted(events, key=lambda e: e.onset_s)
            _check_explicit(planned, face, fps)
        planned = [_limit(e, points, fps) for e in planned]
        iod = np.where(face, _iod(points), np.nan)
        event_iod = [_event_iod(iod, e, fps) for e in planned]

        frames = _frames_in_order(video_in, order, cache_path, (hgt, wid))
        video_out.parent.mkdir(parents=True, exist_ok=True)
        writer = cv2.VideoWriter(str(video_out), cv2.VideoWriter_fourcc(*"mp4v"), fps, (wid, hgt))
        if not writer.isOpened():
            raise InjectError(f"{video_out}: cannot write an mp4v video there (OpenCV/FFmpeg refused to open it)")
        try:
            for k, image in enumerate(frames):
                t = k / fps
                pulls = [Pull(e.type, e.side, e.amplitude_iod * s * e.envelope(t))
                         for e, s in zip(planned, event_iod) if e.onset_s < t < e.offset_s]
                if pulls and face[k]:
                    image = warp_frame(image, FaceFrame.from_points(_full(points[k])), pulls)
                writer.write(image)
                if progress and k % 50 == 0:
                    progress("writing", k, n_out)
        finally:
            writer.release()
    return {
        "source": video_in.name, "fps": fps, "frames": n_out, "duration_s": round(n_out / fps, 4), "seed": seed,
        "source_frames": len(track), "pingpong": n_out > len(track),
        "events": [e.to_dict() for e in planned],
    }


def _check_explicit(events: Sequence[Event], face: np.ndarray, fps: float) -> None:
    n = len(face)
    for e in events:
        lo, hi = int(math.floor(e.onset_s * fps)), int(math.ceil(e.offset_s * fps))
        if lo < 0 or hi > n - 1:
            raise InjectError(f"event {e.type} at {e.onset_s:.3f}-{e.offset_s:.3f} s is outside the video "
                              f"(0-{(n - 1) / fps:.3f} s)")
        if not face[lo:hi + 1].all():
            raise InjectError(f"event {e.type} at {e.onset_s:.3f}-{e.offset_s:.3f} s has frames without a face")


def _frames_in_order(video_in: Path, order: np.ndarray, cache_path: Path, shape: tuple[int, int]):
    """Decoded source frames in `order`: streamed when `order` is the plain start of the clip, else read
    from the raw frame cache at `cache_path` (written now when the first pass did not)."""
    if np.array_equal(order, np.arange(len(order))):
        count = 0
        with FileSource(video_in) as src:
            for frame, _ in zip(src, order):
                yield frame.image
                count += 1
        if count != len(order):
            raise VideoUnreadable(f"{video_in}: decoded {count} frames on the second pass, {len(order)} on the first")
        return
    if not cache_path.exists():
        with FileSource(video_in) as src, open(cache_path, "wb") as cache:
            for frame in src:
                cache.write(np.ascontiguousarray(frame.image).tobytes())
    hgt, wid = shape
    frames = np.memmap(cache_path, np.uint8, "r").reshape(-1, hgt, wid, 3)
    if len(frames) <= order.max():
        raise VideoUnreadable(f"{video_in}: decoded {len(frames)} frames on the second pass, more on the first")
    for i in order:
        yield np.array(frames[i])


# ----------------------------------------------------------------------------------------------
# Examples for the eye, and the command line.

def write_examples(video_in: str | Path, out_dir: str | Path, amplitude_iod: float = 0.06,
                   frame_index: int | None = None, model_path: str | Path | None = None) -> list[Path]:
    """For each action type, a PNG of the face before | at apex | |difference| x 4, to check warps by eye
    (amplitudes above LIMITS are cut, as in `inject`).
    Regenerate the docs' set with:
    python -c "from app.inject import write_examples as w; w('tests/data/WolfgangLanger_Pexels.mp4', 'docs/inject_examples')"
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    track = track_video(video_in, model_path)
    points = smooth_points(track.points, track.face)
    with_face = np.flatnonzero(track.face)
    k = frame_index if frame_index is not None else int(with_face[len(with_face) // 2]) if len(with_face) else 0
    if not track.face[k]:
        raise NoFaceFound(f"{video_in}: no face in frame {k}")
    with FileSource(video_in) as src:
        image = next(f.image for f in src if f.index == k)
    face = FaceFrame.from_points(_full(points[k]))
    x0, y0 = np.nanmin(face.points, 0) - 0.3 * face.iod
    x1, y1 = np.nanmax(face.points, 0) + 0.3 * face.iod
    x0, y0, x1, y1 = max(int(x0), 0), max(int(y0), 0), min(int(x1), image.shape[1]), min(int(y1), image.shape[0])
    written = []
    for type in ACTION_TYPES:
        amount = min(amplitude_iod, face.limit_iod(type))
        warped = warp_frame(image, face, [Pull(type, "both", amount * face.iod)])
        after = warped[y0:y1, x0:x1]
        before = image[y0:y1, x0:x1]
        diff = np.clip(cv2.absdiff(after, before).astype(np.int32) * 4, 0, 255).astype(np.uint8)
        strip = np.vstack([np.zeros((22, 3 * before.shape[1], 3), np.uint8), np.hstack([before, after, diff])])
        label = f"{type} {amount:.3f} IOD ({amount * face.iod:.1f} px): before | apex | diff x4"
        cv2.putText(strip, label, (4, 16), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (0, 255, 255), 1, cv2.LINE_AA)
        path = out_dir / f"{type}.png"
        cv2.imwrite(str(path), strip, [cv2.IMWRITE_PNG_COMPRESSION, 9])
        written.append(path)
    return written


def main_inject(argv: Sequence[str] | None = None) -> int:
    """`glimpse inject IN OUT --truth truth.json [--seed N] [--events N] [--macro N] [--length S]`.
    Raises GlimpseError for the caller to show."""
    ap = argparse.ArgumentParser(prog="glimpse inject", description="Warp known facial actions into a face "
                                 "video and write the ground truth.")
    ap.add_argument("video_in", metavar="IN")
    ap.add_argument("video_out", metavar="OUT", help="output video (mp4v)")
    ap.add_argument("--truth", required=True, help="where to write the truth JSON")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--events", type=int, default=None, help="micro events (default: one per 8 s of output)")
    ap.add_argument("--macro", type=int, default=None, help="held macro events (default: one per 40 s)")
    ap.add_argument("--length", type=float, default=None, metavar="S",
                    help="output duration in seconds: longer plays the clip forward and backward, shorter cuts it")
    ap.add_argument("--types", default=",".join(ACTION_TYPES), help="comma-separated action types to draw from")
    ap.add_argument("--unilateral", type=float, default=0.0, metavar="P", help="share of one-sided events")
    ap.add_argument("--model", default=None, help="Face Landmarker model file")
    args = ap.parse_args(argv)
    types = [t.strip() for t in args.types.split(",") if t.strip()]
    unknown = [t for t in types if t not in ACTION_TYPES]
    if unknown or not types:
        ap.error(f"--types: unknown {unknown}; expected some of {', '.join(ACTION_TYPES)}")
    if args.length is not None and args.length <= 0:
        ap.error("--length must be positive")
    duration = args.length
    if duration is None:
        with FileSource(args.video_in) as src:
            duration = src.info.duration_s
    n_micro = args.events if args.events is not None else max(1, int(duration / 8))
    n_macro = args.macro if args.macro is not None else int(duration / 40)

    def report(stage: str, i: int, n: int) -> None:
        print(f"\r{stage} {i}/{n or '?'} frames ", end="", file=sys.stderr, flush=True)

    tty = sys.stderr.isatty()
    truth = inject(args.video_in, args.video_out, n_micro, args.seed, args.length, macro=n_macro, types=types,
                   unilateral=args.unilateral, model_path=args.model, progress=report if tty else None)
    if tty:
        print(file=sys.stderr)
    write_atomic(Path(args.truth), (json.dumps(truth, indent=2) + "\n").encode())
    print(f"wrote {args.video_out} ({truth['frames']} frames, {truth['duration_s']:.1f} s) and {args.truth} "
          f"({len(truth['events'])} events)")
    return 0
