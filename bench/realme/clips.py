"""The six real coded micro-expressions (`shared/data/real_me/`): labels, frames, and their face geometry.

Each clip is a tight 128x128 aligned face crop from onset to offset at the database's own rate (CASME II
200 fps, SMIC-HS 100 fps). Research-only data: read from the shared folder at run time, never copied
into the repository.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import cv2
import numpy as np

from bench.common.paths import shared_data


def real_me_dir() -> Path:
    return shared_data() / "real_me"


@dataclass(frozen=True)
class Clip:
    """One coded clip: `name` (its folder), database ("CASME II" or "SMIC-HS"), native fps, the coded
    onset/apex/offset as frame indices into the clip (apex None when not coded), AUs and class."""

    name: str
    database: str
    fps: float
    n_frames: int
    apex: int | None
    aus: str | None
    emotion: str

    @property
    def duration_s(self) -> float:
        return self.n_frames / self.fps

    @property
    def short(self) -> str:
        """casme2_sub01_EP19_06f -> casme2_sub01; smichs_negative_img... -> smichs_negative."""
        return "_".join(self.name.split("_")[:2])

    def frames(self) -> np.ndarray:
        """(n, 128, 128, 3) uint8 BGR, onset to offset."""
        return _frames(self.name)


@cache
def _frames(name: str) -> np.ndarray:
    files = sorted(p for p in (real_me_dir() / name).iterdir() if p.suffix.lower() in (".jpg", ".bmp", ".png"))
    images = [cv2.imread(str(p), cv2.IMREAD_COLOR) for p in files]
    if not images or any(im is None for im in images):
        raise FileNotFoundError(f"{real_me_dir() / name}: unreadable or missing frames")
    return np.stack(images)


def available() -> bool:
    return (real_me_dir() / "labels.json").is_file()


def load_clips() -> list[Clip]:
    data = json.loads((real_me_dir() / "labels.json").read_text())
    return [Clip(Path(c["frames"]).name, c["dataset"], float(c["fps"]), int(c["n_frames"]), c["apex_frame"],
                 c["action_units"], c["emotion"]) for c in data["clips"]]


def resample(frames: np.ndarray, native_fps: float, fps: float, exposure: float = 0.5) -> np.ndarray:
    """The clip as a camera at `fps` sees it: output frame k averages the native frames that fall in
    its exposure ([k/fps, (k + exposure)/fps)), at least the nearest one. The last output frame is the
    one whose exposure starts before the clip ends."""
    n_out = max(1, int(np.ceil(len(frames) / native_fps * fps)))
    out = []
    for k in range(n_out):
        lo = int(np.ceil(k / fps * native_fps - 1e-9))
        hi = int(np.ceil((k + exposure) / fps * native_fps - 1e-9))
        lo = min(lo, len(frames) - 1)
        out.append(frames[lo:max(hi, lo + 1)].astype(np.float32).mean(axis=0))
    return np.clip(np.rint(np.stack(out)), 0, 255).astype(np.uint8)
