"""Where the benchmarks read and write: the checkout they run from (they are not installed)."""

from __future__ import annotations

from tests.support.paths import CLIP, DATA, PACED_CLIP, ROOT, shared_data

DEFAULT_ROOT = ROOT / "out" / "bench"  # the accuracy benchmark's dataset (gitignored)

__all__ = ["CLIP", "DATA", "DEFAULT_ROOT", "PACED_CLIP", "ROOT", "shared_data"]
