"""Reference spotters for the benchmark: Glimpse's own, and a naive z-score yardstick (not product code).

`EvidenceCache` keeps each video's settings-free evidence, so a sweep re-runs only `spot`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from app.face.features import FeatureTable
from app.settings.schema import Settings
from bench.accuracy.dataset import Video, load_split


class EvidenceCache:
    """Loaded videos and each spotter's settings-free evidence per video, kept between `score` calls:
    pass the same cache to many calls and only `spot` runs again. A new cache (or a new process) is
    needed after the evidence code changes."""

    def __init__(self) -> None:
        self.videos: dict[tuple[str, str], list[Video]] = {}
        self.evidence: dict[tuple[str, str], object] = {}

    def split(self, split: str, root: Path) -> list[Video]:
        key = (str(Path(root).resolve()), split)
        if key not in self.videos:
            self.videos[key] = load_split(split, root)
        return self.videos[key]

    def get(self, video: Video, spotter: RefSpotter) -> object:
        key = (spotter.name, str(video.path.resolve()))
        if key not in self.evidence:
            self.evidence[key] = spotter.evidence(video.table)
        return self.evidence[key]


class RefSpotter:
    """What `score` needs of a spotter: settings-free evidence from a FeatureTable, then moments
    (dicts with start_s, end_s) from evidence and settings."""

    name = "glimpse"

    def evidence(self, table: FeatureTable):
        from app.spotting.spotter import table_evidence

        return table_evidence(table)

    def moments(self, evidence, settings: Settings) -> list[dict]:
        from app.spotting.spotter import spot

        return [m.to_dict() for m in spot(evidence, settings)]


GLIMPSE = RefSpotter()


# ----------------------------------------------------------------------------------------------
# The naive reference: a yardstick, not product code.

NAIVE_WINDOW_S = 2.0
NAIVE_STD_FLOOR = 0.01  # blendshape score units: below this a blendshape is treated as still


def naive_threshold(sensitivity: float) -> float:
    """z-score that counts at a sensitivity of 0..100 (same log-linear shape as the spotter's)."""
    hi, lo = 40.0, 2.0
    return hi * (lo / hi) ** (sensitivity / 100.0)


@dataclass
class NaiveEvidence:
    t_s: np.ndarray  # (n,) frame times of one face run
    z: np.ndarray  # (n,) largest |z| over the blendshapes; NaN until the window is full
    half_frame_s: float


class NaiveSpotter(RefSpotter):
    """Per-blendshape z-score against the previous NAIVE_WINDOW_S seconds (mean and std, std floored),
    a moment for every crossing of the threshold by the largest |z|, lasting while it stays over.
    No head-motion, blink or talking handling, no duration limits."""

    name = "naive"

    def evidence(self, table: FeatureTable) -> list[NaiveEvidence]:
        from app.spotting.spotter import face_runs, nominal_fps

        out = []
        for a, b in face_runs(table.face):
            t = table.t_s[a:b]
            x = table.blendshapes[a:b, 1:].astype(np.float64)  # all but "_neutral"
            fps = nominal_fps(t)
            w = max(2, round(NAIVE_WINDOW_S * fps))
            z = np.full(len(t), np.nan)
            if len(t) > w:
                c1 = np.concatenate([np.zeros((1, x.shape[1])), np.cumsum(x, axis=0)])
                c2 = np.concatenate([np.zeros((1, x.shape[1])), np.cumsum(x * x, axis=0)])
                i = np.arange(w, len(t))  # window: rows i-w .. i-1
                mean = (c1[i] - c1[i - w]) / w
                var = np.maximum((c2[i] - c2[i - w]) / w - mean * mean, 0.0)
                z[w:] = (np.abs(x[w:] - mean) / np.maximum(np.sqrt(var), NAIVE_STD_FLOOR)).max(axis=1)
            out.append(NaiveEvidence(t, z, 0.5 / fps))
        return out

    def moments(self, evidence: list[NaiveEvidence], settings: Settings) -> list[dict]:
        theta = naive_threshold(settings.sensitivity)
        out = []
        for ev in evidence:
            over = np.nan_to_num(ev.z, nan=-1.0) >= theta
            edges = np.flatnonzero(np.diff(np.concatenate([[0], over.astype(np.int8), [0]])))
            for s, e in zip(edges[::2], edges[1::2], strict=True):
                out.append({"start_s": float(ev.t_s[s] - ev.half_frame_s),
                            "end_s": float(ev.t_s[e - 1] + ev.half_frame_s)})
        return out


NAIVE = NaiveSpotter()
SPOTTERS = {"glimpse": GLIMPSE, "naive": NAIVE}
