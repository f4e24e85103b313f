"""Where the benchmarks read and write: the checkout they run from (they are not installed)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.support.paths import CLIP, DATA, PACED_CLIP, ROOT, shared_data

DEFAULT_ROOT = ROOT / "out" / "bench"  # the accuracy benchmark's dataset (gitignored)

__all__ = ["CLIP", "DATA", "DEFAULT_ROOT", "PACED_CLIP", "ROOT", "shared_data", "unpack_revision"]


def unpack_revision(rev: str, paths: tuple[str, ...], dest: Path) -> None:
    """`paths` of git revision `rev` of this checkout, unpacked under `dest` (a benchmark against older code)."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev, *paths], capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
