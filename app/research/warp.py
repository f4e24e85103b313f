"""Warping a face: handles (landmark polylines) per action, a displacement that falls off smoothly, and
`warp_frame` (applied with `cv2.remap`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from app.face.landmarks import LEFT_EYE_CORNERS, LOWER_LIP, RIGHT_EYE_CORNERS, UPPER_LIP

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
DRIVERS = {t: sorted({i for h in hs.values()
                      for v, w in zip(h.vertices, h.weights, strict=True) if w >= 0.99 for i in v})
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
    def from_points(cls, points: np.ndarray) -> FaceFrame:
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
