"""Faces of every size in frames of every size (issue 17): face coverage of Glimpse's tracker against raw
MediaPipe on the same frames, and against the tracker of an earlier commit, side by side in one run.

    .venv/bin/python -m bench face_size [--frames 60] [--before COMMIT] [--out docs/BENCH_FACE_SIZE.md]

Each clip (tests/data, the demo, and ../shared/data/natural when present) is scaled and placed so its face
is 40 px, 80 px, 120 px, 160 px, a third of the frame, or fills the frame (cut at the chin), in frames from
128x128 to 1080x1920 (`tests/support/facematrix.py`). A cell fails when Glimpse's coverage is more than 2
percentage points under raw MediaPipe's.
"""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from app.face.tracking import FaceTracker
from bench.common.machine import machine
from bench.common.paths import ROOT  # noqa: E402
from tests.support.facematrix import FACE_SIZES, FRAME_SIZES, Cell, FaceBox, cell_frames, coverage

NATURAL = ROOT.parent / "shared" / "data" / "natural"
CLIPS = [ROOT / "tests" / "data" / "WolfgangLanger_Pexels.mp4", ROOT / "tests" / "data" / "single_face.mp4",
         ROOT / "assets" / "demo.mp4", NATURAL / "idiap_webcam_talking.mp4", NATURAL / "latentsync_demo1_talking.mp4",
         NATURAL / "clm_cap12.mp4", NATURAL / "msu_neutral.mp4"]
EXTRA_FACES = ("120 px", "160 px")  # mid-size faces in large frames: found only by the larger search tiles
TOLERANCE = 0.02
BEFORE = "d398668"  # main before the fix


def tracker_of(commit: str, folder: Path):
    """`SmallFaceTracker` as it was at `commit` (app/face/small_face.py from git), or None without git."""
    try:
        # app/small_face.py: where it was before the move to app/face/
        source = subprocess.run(["git", "show", f"{commit}:app/small_face.py"], cwd=ROOT, capture_output=True,
                                text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    path = folder / "small_face_before.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("app.face.small_face_before", path)  # `.tracking` is app.face's
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module.SmallFaceTracker


def coverage_with(frames, tracker_class) -> float:
    with FaceTracker() as raw:
        follow = tracker_class(raw)
        return float(np.mean([follow.update(f.image, f.t_s) is not None for f in frames]))


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench face_size")
    p.add_argument("--frames", type=int, default=60)
    p.add_argument("--before", default=BEFORE)
    p.add_argument("--out", type=Path, default=ROOT / "docs" / "BENCH_FACE_SIZE.md")
    a = p.parse_args(argv)
    cells = [Cell(w, h, f) for w, h in FRAME_SIZES for f in (*FACE_SIZES, *EXTRA_FACES)
             if not (f in EXTRA_FACES and max(w, h) < 640)]
    clips = [c for c in CLIPS if c.exists()]
    rows: dict[str, list[tuple[float, float, float]]] = {c.name: [] for c in cells}
    failures = []
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        before = tracker_of(a.before, Path(tmp))
        for clip in clips:
            box = FaceBox.of_clip(clip, a.frames)
            for cell in cells:
                frames = list(cell_frames(clip, box, cell, a.frames))
                raw, now = coverage(frames, glimpse=False), coverage(frames, glimpse=True)
                old = coverage_with(frames, before) if before else float("nan")
                rows[cell.name].append((raw, old, now))
                if now < raw - TOLERANCE:
                    failures.append(f"{clip.name} {cell.name}: Glimpse {now:.1%}, raw {raw:.1%}")
                print(f"{clip.name:36s} {cell.name:24s} raw {raw:6.1%} before {old:6.1%} now {now:6.1%}", flush=True)
    lines = ["# Faces of every size in frames of every size", "",
             f"`python -m bench face_size --frames {a.frames}`: {len(clips)} real clips ({', '.join(c.name for c in clips)}),",
             f"{a.frames} frames each, every clip placed in every cell; coverage is the share of frames with a face. "
             f"'before' is the tracker at {a.before}, measured in the same run. Machine: "
             f"{', '.join(f'{k} {v}' for k, v in machine().items())}; "
             f"{time.monotonic() - started:.0f} s.", "",
             "| frame | face | raw MediaPipe | Glimpse before | Glimpse now | worst clip, now - raw (pp) |",
             "|---|---|---|---|---|---|"]
    for cell in cells:
        r = np.array(rows[cell.name])
        worst = 100 * float((r[:, 2] - r[:, 0]).min())
        lines.append(f"| {cell.width}x{cell.height} | {cell.face} | {r[:, 0].mean():.1%} | {r[:, 1].mean():.1%} | "
                     f"{r[:, 2].mean():.1%} | {worst:+.1f} |")
    lines += ["", f"Cells where Glimpse is more than {TOLERANCE:.0%} under raw MediaPipe: "
              + ("; ".join(failures) if failures else "none") + "."]
    a.out.write_text("\n".join(lines) + "\n")
    print(f"wrote {a.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
