"""Where the test footage is: the checkout's tests/data (shared by the tests and the benchmarks)."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
CLIP = DATA / "single_face.mp4"  # 72 frames, 640x360, H.264, moov at the end
PACED_CLIP = DATA / "injected_short.mp4"  # 10.2 s with two injected brief expressions


def shared_data() -> Path:
    """The shared data folder (research-only footage, never committed): $GLIMPSE_SHARED_DATA, else
    `../shared/data` beside the checkout."""
    env = os.environ.get("GLIMPSE_SHARED_DATA")
    return Path(env) if env else ROOT.parent / "shared" / "data"
