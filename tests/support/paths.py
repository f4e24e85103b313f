"""Where the test footage is: the checkout's tests/data (shared by the tests and the benchmarks)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
CLIP = DATA / "single_face.mp4"  # 72 frames, 640x360, H.264, moov at the end
PACED_CLIP = DATA / "injected_short.mp4"  # 10.2 s with two injected brief expressions
