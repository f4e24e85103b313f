"""Pixel motion in the face: dense optical flow in an aligned face crop, summed up per region.

Landmarks move in steps of the tracker's resolution; the smallest real micro-expressions (1-2% of the
inter-ocular distance, IOD) are near it. Optical flow reads the skin itself. Per frame:

1. the face is warped into a canonical grey crop (`CROP_PX` square, IOD `IOD_PX`) by a 2-D similarity
   from the landmarks that expressions barely move to where they were on the run's first frame;
2. dense optical flow (OpenCV DIS, FAST preset refined one scale finer) from the previous crop to this one;
3. what is left of head motion (the similarity follows the landmarks, which jitter) is an affine field
   fitted to the flow on the nose bridge and the inner eye corners and taken off;
4. per region (brows, lids, nose wings, mouth corners, chin; each a set of discs around its landmarks
   on the first frame) the mean flow, its magnitude and the main-direction magnitude (the mean length
   of the vectors in the most common of eight directions, as MDMD does), in IOD units per frame.

`FlowTracker.update` is the per-frame step; `FlowLevels` integrates the per-frame mean flow into
position-like levels (a slow leak keeps them bounded) for a rise-and-return test; `Flow` is the two as a
measurement channel of the face stage (app/face/channels.py), so batch, live and replay all measure it
and the feature caches keep it. Pure numpy and OpenCV; no Qt.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from app.face.landmarks import (
    LEFT_BROW,
    LEFT_EYE_OPENING,
    MOUTH_CORNERS,
    NOSE_WINGS,
    RIGHT_BROW,
    RIGHT_EYE_OPENING,
    STABLE_POINTS,
)

if TYPE_CHECKING:  # channels.py imports this module for its CHANNELS
    from app.face.channels import FaceView

CROP_PX = 128  # side of the canonical crop
IOD_PX = 48.0  # the inter-ocular distance in it (a 300 px face is averaged down, a 120 px one kept)
CENTRE = (0.5, 0.42)  # where the stable points' centre sits in the crop (shares of the side)
REGION_RADIUS_IOD = 0.14  # discs of this radius around each landmark of a region
ANCHOR_RADIUS_IOD = 0.08  # ... and around each anchor of the global-motion fit
# Anchors of the affine global-motion fit: nose bridge and the inner eye corners (expressions move them least).
ANCHORS = np.array([168, 6, 197, 195, 5, 133, 362])
REGIONS: dict[str, np.ndarray] = {
    "brow_right": RIGHT_BROW, "brow_left": LEFT_BROW,
    "lid_right": np.array([RIGHT_EYE_OPENING[0], 160, 158]), "lid_left": np.array([LEFT_EYE_OPENING[0], 385, 387]),
    "nose": np.array([*NOSE_WINGS, 129, 358]),
    "corner_right": np.array([MOUTH_CORNERS[0], 57, 186]), "corner_left": np.array([MOUTH_CORNERS[1], 287, 410]),
    "chin": np.array([152, 175, 199, 200]),
}
REGION_NAMES = tuple(REGIONS)
N_REGIONS = len(REGIONS)
STATS = ("dx", "dy", "magnitude", "main_direction")  # IOD units per frame; image axes (y down)
N_STATS = len(STATS)
DIRECTION_BINS = 8
MIN_FLOW = 1e-3  # crop px: vectors shorter than this have no direction
FINEST_SCALE = 1  # DIS pyramid level the flow is refined down to (FAST's own is 2)
VARIATIONAL_ITERATIONS = 0  # DIS's variational refinement (FAST's own is 5): 2/3 of the cost at that scale
LEAK_S = 2.0  # FlowLevels: integrated flow forgets with this time constant (drift of the sum stays bounded)


@dataclass(frozen=True)
class FlowRow:
    """Pixel motion of one frame. `values` (N_REGIONS, N_STATS) float32, IOD units per frame, NaN without a
    face or on a run's first frame (no previous crop); `global_px` the size of the head motion taken off
    (crop px, mean over the anchors), for diagnostics."""

    t_s: float
    values: np.ndarray
    global_px: float = float("nan")

    def __post_init__(self) -> None:
        if self.values.shape != (N_REGIONS, N_STATS):
            raise ValueError(f"values must be ({N_REGIONS}, {N_STATS}), got {self.values.shape}")


def empty_row(t_s: float) -> FlowRow:
    return FlowRow(t_s, np.full((N_REGIONS, N_STATS), np.nan, np.float32))


def _similarity(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """2x3 matrix of the 2-D similarity that maps src points onto dst (least squares)."""
    mu_s, mu_d = src.mean(0), dst.mean(0)
    a, b = src - mu_s, dst - mu_d
    u, sig, vt = np.linalg.svd(b.T @ a)
    d = np.array([1.0, np.sign(np.linalg.det(u @ vt)) or 1.0])
    rot = u @ np.diag(d) @ vt
    scale = (sig * d).sum() / (a * a).sum()
    lin = scale * rot
    return np.hstack([lin, (mu_d - lin @ mu_s)[:, None]])


def _discs(centres: np.ndarray, radius: float) -> np.ndarray:
    """Flat indices of the crop pixels within `radius` of any centre."""
    yy, xx = np.mgrid[0:CROP_PX, 0:CROP_PX]
    inside = np.zeros((CROP_PX, CROP_PX), bool)
    for cx, cy in centres:
        inside |= (xx - cx) ** 2 + (yy - cy) ** 2 <= radius ** 2
    return np.flatnonzero(inside)


@dataclass(frozen=True)
class Layout:
    """Where things are in the canonical crop of one face run (from its first frame)."""

    canonical: np.ndarray  # (478, 2) the first frame's landmarks in crop pixels
    pixels: np.ndarray  # (M,) flat crop indices of every region's pixels, region after region
    region_of: np.ndarray  # (M,) the region of each
    design: np.ndarray  # (M, 3) float32 [x, y, 1] of each, for the global-motion field
    anchors: tuple[np.ndarray, ...]  # flat pixel indices per anchor
    anchor_design: np.ndarray  # (len(ANCHORS), 3) [x, y, 1] of the anchor centres
    counts: np.ndarray  # (N_REGIONS,) float64 pixels per region (at least 1)
    region_design: np.ndarray  # (N_REGIONS, 3) the mean [x, y, 1] of each region's pixels

    @classmethod
    def from_points(cls, pts: np.ndarray) -> Layout:
        """`pts` (478, 2) pixel landmarks of the run's first frame."""
        iod = float(np.linalg.norm(pts[33] + pts[133] - pts[263] - pts[362]) / 2) or 1.0
        centre = pts[STABLE_POINTS].mean(0)
        canonical = (pts - centre) * (IOD_PX / iod) + np.array(CENTRE) * CROP_PX
        regions = [_discs(canonical[idx], REGION_RADIUS_IOD * IOD_PX) for idx in REGIONS.values()]
        pixels = np.concatenate(regions)
        yy, xx = np.divmod(pixels, CROP_PX)
        # an anchor outside the crop (a face seen far from frontal) has no pixels: the fit does without it
        discs = [(i, _discs(canonical[[i]], ANCHOR_RADIUS_IOD * IOD_PX)) for i in ANCHORS]
        seen = [(i, d) for i, d in discs if len(d)]
        region_of = np.repeat(np.arange(N_REGIONS), [len(r) for r in regions])
        design = np.stack([xx, yy, np.ones_like(xx)], axis=1).astype(np.float32)
        counts = np.maximum(np.bincount(region_of, minlength=N_REGIONS), 1).astype(np.float64)
        region_design = np.stack([np.bincount(region_of, weights=design[:, k], minlength=N_REGIONS) / counts
                                  for k in range(3)], axis=1)
        return cls(canonical, pixels, region_of, design, tuple(d for _, d in seen),
                   np.hstack([canonical[[i for i, _ in seen]], np.ones((len(seen), 1))]), counts, region_design)


def region_stats(v: np.ndarray, layout: Layout) -> np.ndarray:
    """(N_REGIONS, N_STATS) from flow `v` (M, 2) at the layout's region pixels (crop px), in IOD units."""
    rid, n = layout.region_of, layout.counts  # a region off the crop: 0
    mag = np.hypot(v[:, 0], v[:, 1])
    moving = mag > MIN_FLOW
    bins = ((np.arctan2(v[:, 1], v[:, 0]) + np.pi) / (2 * np.pi) * DIRECTION_BINS).astype(int) % DIRECTION_BINS
    votes = np.bincount(rid * DIRECTION_BINS + bins, weights=moving, minlength=N_REGIONS * DIRECTION_BINS)
    top = votes.reshape(N_REGIONS, DIRECTION_BINS).argmax(axis=1)
    main = moving & (bins == top[rid])
    out = np.stack([np.bincount(rid, weights=v[:, 0], minlength=N_REGIONS) / n,
                    np.bincount(rid, weights=v[:, 1], minlength=N_REGIONS) / n,
                    np.bincount(rid, weights=mag, minlength=N_REGIONS) / n,
                    np.bincount(rid, weights=mag * main, minlength=N_REGIONS)
                    / np.maximum(np.bincount(rid, weights=main, minlength=N_REGIONS), 1)], axis=1)
    return (out / IOD_PX).astype(np.float32)


def global_motion(flow: np.ndarray, layout: Layout) -> tuple[np.ndarray, float]:
    """(3, 2) the affine field [x y 1] @ coef that fits the flow (CROP_PX*CROP_PX, 2) on the anchors, and
    the anchors' mean motion (crop px); zeros (and NaN) without anchors."""
    if not layout.anchors:
        return np.zeros((3, 2)), float("nan")
    at = np.array([flow[idx].mean(0) for idx in layout.anchors])  # (K, 2)
    coef, *_ = np.linalg.lstsq(layout.anchor_design, at, rcond=None)
    return coef, float(np.hypot(at[:, 0], at[:, 1]).mean())


def remove_global(flow: np.ndarray, layout: Layout) -> tuple[np.ndarray, float]:
    """The flow (CROP_PX*CROP_PX, 2) at the region pixels, minus the affine field that fits it on the
    anchors; and the anchors' mean motion (crop px)."""
    coef, moved = global_motion(flow, layout)
    return flow[layout.pixels] - layout.design @ coef.astype(np.float32), moved


def region_means(flow: np.ndarray, layout: Layout) -> np.ndarray:
    """(N_REGIONS, 2) float32 each region's mean flow (dx, dy) with the global motion taken off, IOD units:
    `region_stats`' first two columns, without the per-pixel work (the field is affine, so its mean over a
    region is its value at the region's mean position)."""
    coef, _ = global_motion(flow, layout)
    v, rid = flow[layout.pixels].astype(np.float64), layout.region_of
    mean = np.stack([np.bincount(rid, weights=v[:, k], minlength=N_REGIONS) for k in range(2)], axis=1)
    return ((mean / layout.counts[:, None] - layout.region_design @ coef) / IOD_PX).astype(np.float32)


class FlowTracker:
    """Per-frame pixel motion for one face at a time: `update(image, landmarks, t_s) -> FlowRow`."""

    def __init__(self, reference_frames: int = 1) -> None:
        """`reference_frames`: flow against the crop this many frames back (1: the previous frame)."""
        import cv2  # here, not at the top: the evidence kernel reads this module's region names only

        self.reference_frames = reference_frames
        self._dis = cv2.DISOpticalFlow.create(cv2.DISOPTICAL_FLOW_PRESET_FAST)
        # FAST stops at a quarter of the crop's resolution, which smooths a brow's 1-2 px away (a fifth of
        # it is seen); one scale finer sees half, and without the variational refinement (which adds
        # little there) costs about 0.6 ms on the 128 px crop instead of 1.1 (tests/test_flow.py)
        self._dis.setFinestScale(FINEST_SCALE)
        self._dis.setVariationalRefinementIterations(VARIATIONAL_ITERATIONS)
        self.reset()

    def reset(self) -> None:
        """A new face run: a new canonical layout from the next face."""
        self._layout: Layout | None = None
        self._crops: list[np.ndarray] = []  # the last `reference_frames` crops, oldest first

    def crop(self, image: np.ndarray, pts: np.ndarray) -> np.ndarray:
        """The canonical grey crop of `image` (BGR or grey) for pixel landmarks `pts` (478, 2)."""
        import cv2

        assert self._layout is not None
        m = _similarity(pts[STABLE_POINTS], self._layout.canonical[STABLE_POINTS])
        crop = cv2.warpAffine(image, m, (CROP_PX, CROP_PX), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        return crop if crop.ndim == 2 else cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY)  # grey after: a crop is small

    def update(self, image: np.ndarray, landmarks: np.ndarray | None, t_s: float) -> FlowRow:
        """`landmarks` (478, 2+) normalised to the image, or None without a face (ends the run)."""
        if landmarks is None:
            self.reset()
            return empty_row(t_s)
        h, w = image.shape[:2]
        return self.step(image, np.asarray(landmarks, np.float64)[:, :2] * np.array([w, h]), t_s)

    def dense(self, image: np.ndarray, pts: np.ndarray) -> tuple[np.ndarray, Layout] | None:
        """One frame with a face (`pts` (478, 2) float64 its landmarks in image pixels): the dense flow
        (CROP_PX*CROP_PX, 2) float32 from the reference crop to this one, with the run's layout; None on
        a run's first frames (no reference yet)."""
        if self._layout is None:
            self._layout = Layout.from_points(pts)
        crop = self.crop(image, pts)
        self._crops.append(crop)
        if len(self._crops) <= self.reference_frames:
            return None
        prev = self._crops.pop(0)
        flow = np.asarray(self._dis.calc(prev, crop, np.zeros((CROP_PX, CROP_PX, 2), np.float32))).reshape(-1, 2)
        return flow, self._layout

    def step(self, image: np.ndarray, pts: np.ndarray, t_s: float) -> FlowRow:
        """Every statistic of one frame with a face (see `dense`)."""
        got = self.dense(image, pts)
        if got is None:
            return empty_row(t_s)
        residual, moved = remove_global(*got)
        return FlowRow(t_s, region_stats(residual, got[1]), moved)


class FlowLevels:
    """Integrates per-frame mean flow (dx, dy per region) into levels, IOD units: where each region is
    against where it was, forgetting with time constant LEAK_S so the sum of small errors stays bounded.
    NaN rows (no face, first frame) restart the sum."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self._level: np.ndarray | None = None
        self._t: float | None = None

    def update(self, row: FlowRow) -> np.ndarray:
        """(N_REGIONS, 2) float32 levels after this frame."""
        return self.add(row.t_s, row.values[:, :2])

    def add(self, t_s: float, step: np.ndarray | None) -> np.ndarray:
        """The levels after a frame whose mean flow is `step` (N_REGIONS, 2) (None or NaN: restart)."""
        if step is None or np.isnan(step).any() or self._level is None or self._t is None:
            self._level = np.zeros((N_REGIONS, 2), np.float32)
        else:
            keep = np.float32(np.exp(-(t_s - self._t) / LEAK_S))
            self._level = keep * self._level + step
        self._t = t_s
        return self._level.copy()


class Flow:
    """Pixel motion as a measurement channel: each region's integrated flow (`FlowLevels`), x and y, IOD
    units, image axes (y down); 0 on a face run's first frame."""

    NAMES: ClassVar[tuple[str, ...]] = tuple(f"flow_{region}_{axis}" for region in REGION_NAMES for axis in "xy")
    PIXELS: ClassVar[bool] = True
    VERSION: ClassVar[int] = 2  # 2: DIS without variational refinement at the finer scale

    def __init__(self) -> None:
        self.tracker = FlowTracker()
        self.levels = FlowLevels()

    def reset(self) -> None:
        self.tracker.reset()
        self.levels.reset()

    def measure(self, view: FaceView) -> np.ndarray:
        got = self.tracker.dense(view.image, view.points[:, :2])
        return self.levels.add(view.t_s, None if got is None else region_means(*got)).reshape(-1)
