"""What pixel motion (app.face.flow) adds to a live frame's cost, against raw MediaPipe on the same frames.

    python -m bench.realme.flow_cost [VIDEO] [--rounds 5]

Each frame: decode, MediaPipe Face Landmarker (VIDEO mode, two faces, as Glimpse tracks), then the flow
channel of the face stage (`Flow.measure`: crop, DIS, global fit, region means, levels) on that frame's
landmarks. CPU time per stage (process time, so
the other engineers' load on the shared machine counts less), medians over rounds of the whole clip;
the ratio (MediaPipe + flow) / MediaPipe is what the live budget (<= 1.5x raw MediaPipe) would carry.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from bench.common.paths import shared_data

DEFAULT = Path("tests/data/WolfgangLanger_Pexels.mp4")


def one_round(video: Path) -> tuple[float, float, int]:
    """(MediaPipe ms a frame, flow ms a frame, frames) for one pass over the clip."""
    from app.face.channels import FaceView
    from app.face.flow import Flow
    from app.face.tracking import FaceTracker
    from app.sources.capture import FileSource

    mp = fl = 0.0
    n = 0
    with FileSource(video) as src, FaceTracker(None, 2) as tracker:
        flow = Flow()
        h, w = src.info.height, src.info.width
        for frame in src:
            t0 = time.process_time()
            obs = tracker.update(frame.image, frame.t_s)
            t1 = time.process_time()
            if obs is None:
                flow.reset()
            else:
                pts = obs.landmarks.astype(np.float64) * np.array([w, h, w])
                flow.measure(FaceView(frame.t_s, frame.image, obs, pts, pts, 1.0))
            t2 = time.process_time()
            mp, fl, n = mp + t1 - t0, fl + t2 - t1, n + 1
    return 1000 * mp / n, 1000 * fl / n, n


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.realme.flow_cost", description=__doc__.splitlines()[0])
    ap.add_argument("video", nargs="?", default=str(DEFAULT))
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args(argv)
    video = Path(args.video)
    if not video.exists() and (shared_data() / video.name).exists():
        video = shared_data() / video.name
    rounds = [one_round(video) for _ in range(args.rounds)]
    mp = float(np.median([r[0] for r in rounds]))
    fl = float(np.median([r[1] for r in rounds]))
    print(f"{video.name}: {rounds[0][2]} frames, {args.rounds} rounds; CPU a frame: MediaPipe {mp:.2f} ms, "
          f"flow {fl:.2f} ms; (MediaPipe + flow) / MediaPipe = {(mp + fl) / mp:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
