"""How large real micro-expressions are: landmark displacement with rigid motion removed, per region.

    python -m bench.realme.amplitude

Each clip is tracked at its own rate (frames padded and upscaled so the detector sees a whole head;
VIDEO mode, two faces, no smoothing, as Glimpse tracks). Every frame's landmarks are aligned (3-D
similarity on the points expressions barely move, `app.features`) to the onset frame's; a region's
displacement is the mean over its landmarks of the 2-D shift, in onset inter-ocular distances (IOD),
median-filtered over 5 native frames (25-50 ms) so tracker jitter is not read as movement. Per clip:
the region that moves most, its peak, the share of that peak still there at the coded offset (1 =
no return), and the noise: the same measure's median over the first 3 frames (the onset itself).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

import cv2
import numpy as np

from app.face.features import similarity_align
from app.face.landmarks import (
    LEFT_BROW,
    LEFT_EYE_CORNERS,
    LEFT_EYE_OPENING,
    MOUTH_CORNERS,
    NOSE_WINGS,
    RIGHT_BROW,
    RIGHT_EYE_CORNERS,
    RIGHT_EYE_OPENING,
    STABLE_POINTS,
)
from bench.realme.clips import Clip, available, load_clips

PAD, UP = 64, 3.0
MEDIAN_FRAMES = 5  # at the clips' own 100-200 frames/s
MEDIAN_S = 0.04  # ... about this long
# Landmarks per region (MediaPipe indices): brows, upper and lower lids, nose wings, mouth corners, chin.
REGIONS = {
    "brows": np.r_[RIGHT_BROW, LEFT_BROW],
    "lids": np.array([*RIGHT_EYE_OPENING, *LEFT_EYE_OPENING, 160, 158, 385, 387]),
    "nose": np.array([*NOSE_WINGS, 129, 358]),
    "mouth": np.array([*MOUTH_CORNERS, 0, 17, 13, 14, 78, 308]),
    "chin": np.array([152, 175, 199, 148, 377]),
}


@dataclass(frozen=True)
class Amplitude:
    clip: str
    database: str
    region: str  # that moves most
    peak_iod: float
    peak_s: float
    residual: float  # share of the peak left at the coded offset
    per_region: dict[str, float]  # peak per region (IOD)
    noise_iod: float  # the measure on the still start (jitter floor)


def track_native(clip: Clip) -> np.ndarray:
    """(n, 478, 3) landmarks in the clip's own pixels (NaN where no face)."""
    from app.face.tracking import FaceTracker

    out = []
    with FaceTracker(None, 2) as tracker:
        for k, image in enumerate(clip.frames()):
            big = cv2.copyMakeBorder(image, PAD, PAD, PAD, PAD, cv2.BORDER_REPLICATE)
            big = cv2.resize(big, None, fx=UP, fy=UP, interpolation=cv2.INTER_CUBIC)
            obs = tracker.update(big, k / clip.fps)
            if obs is None:
                out.append(np.full((478, 3), np.nan))
                continue
            p = obs.landmarks.astype(np.float64) * np.array([big.shape[1], big.shape[0], big.shape[1]]) / UP
            out.append(p - np.array([PAD, PAD, 0]))
    return np.stack(out)


def shifts(points: np.ndarray) -> tuple[np.ndarray, float]:
    """(n, 478, 2) each frame's landmark shift from the first frame's, rigid motion removed, in IOD units;
    and the first frame's IOD (pixels)."""
    ref = points[0]
    iod = float(np.linalg.norm(ref[list(RIGHT_EYE_CORNERS), :2].mean(0) - ref[list(LEFT_EYE_CORNERS), :2].mean(0)))
    out = []
    for p in points:
        s, rot, t = similarity_align(p[STABLE_POINTS], ref[STABLE_POINTS])
        out.append((s * p @ rot.T + t - ref)[:, :2])
    return np.stack(out) / iod, iod


def region_trace(d: np.ndarray, idx: np.ndarray, frames: int = MEDIAN_FRAMES) -> np.ndarray:
    """(n,) the mean shift length of landmarks `idx` in `d` (n, 478, 2), median over `frames` frames (odd;
    tracker jitter is not read as movement)."""
    trace = np.linalg.norm(d[:, idx], axis=2).mean(axis=1)
    padded = np.pad(trace, frames // 2, mode="edge")
    return np.array([np.median(padded[i:i + frames]) for i in range(len(trace))])


def median_frames(fps: float) -> int:
    """The median's length at `fps` that spans about what MEDIAN_FRAMES spans at the real clips' own rates
    (25-50 ms): at a call's 25-30 frames/s a single frame, or a 100 ms change would be filtered away."""
    return max(1, 2 * round((MEDIAN_S * fps - 1) / 2) + 1)


def displacement(points: np.ndarray, frames: int = MEDIAN_FRAMES) -> tuple[dict[str, np.ndarray], float]:
    """Per region, (n,) displacement from the onset frame in IOD units (rigid motion removed), median over
    `frames`; and the IOD."""
    d, iod = shifts(points)
    return {name: region_trace(d, idx, frames) for name, idx in REGIONS.items()}, iod


def measure(clip: Clip) -> Amplitude:
    traces, _ = displacement(track_native(clip))
    peaks = {r: float(t.max()) for r, t in traces.items()}
    region = max(peaks, key=lambda r: peaks[r])
    t = traces[region]
    k = int(np.argmax(t))
    return Amplitude(clip.short, clip.database, region, peaks[region], k / clip.fps,
                     float(t[-1] / t[k]) if t[k] > 0 else 0.0, peaks,
                     float(np.median([traces[r][:3].mean() for r in traces])))


def amplitude_table() -> list[str]:
    rows = [measure(c) for c in load_clips()]
    out = [__doc__.split("\n\n")[2].replace("\n", " "), "",
           "| clip | database | region moving most | peak (% IOD) | at (s) | left at offset | brows | lids | nose | mouth | chin |",
           "|---|---|---|---|---|---|---|---|---|---|---|"]
    for a in rows:
        regions = " | ".join(f"{100 * a.per_region[r]:.1f}" for r in REGIONS)
        out.append(f"| {a.clip} | {a.database} | {a.region} | {100 * a.peak_iod:.1f} | {a.peak_s:.3f} | {a.residual:.2f} | "
                   f"{regions} |")
    peaks = np.array([a.peak_iod for a in rows])
    out += ["", f"Peaks (% IOD): {np.round(100 * np.sort(peaks), 1).tolist()}; shares left at the offset: "
            f"{np.round(sorted(a.residual for a in rows), 2).tolist()}; jitter floor of the measure (still onset): "
            f"{100 * np.median([a.noise_iod for a in rows]):.2f}% IOD."]
    return out


def main(argv: list[str] | None = None) -> int:
    if not available():
        print("shared/data/real_me/ not found (set GLIMPSE_SHARED_DATA)", file=sys.stderr)
        return 2
    print("\n".join(amplitude_table()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
