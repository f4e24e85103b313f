"""The issue's own first measurement: each real clip between 3 s of its still onset frame and 3 s of its
still offset frame, with sensor noise, at 30 and 60 frames/s (the easiest context there is; no head motion,
no compression beyond the container's), analysed as `glimpse analyze` does at the default settings.

    python -m bench.realme.still

Found: a moment overlapping the clip (with the benchmark's tolerance); context: any other moment after the
warm-up. Videos are written under out/real_me/still (research-only frames: never committed).
"""

from __future__ import annotations

import sys

import cv2
import numpy as np

from app.run.pipeline import analyze
from app.settings.schema import Settings
from bench.common.paths import ROOT
from bench.realme.clips import available, load_clips, resample
from bench.realme.run import TOLERANCE_S

HOLD_S = 3.0  # the still onset frame before the clip, the still offset frame after it
NOISE_GREY = 2.0  # std of the fresh sensor noise on every frame, grey levels
FPS_LIST = (30, 60)
OUT = ROOT / "out" / "real_me" / "still"


def write_video(frames: list[np.ndarray], fps: int, path) -> None:
    rng = np.random.default_rng(1)
    h, w = frames[0].shape[:2]
    out = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))
    for f in frames:
        out.write(np.clip(f.astype(np.float32) + rng.normal(0, NOISE_GREY, f.shape), 0, 255).astype(np.uint8))
    out.release()


def main() -> int:
    if not available():
        print("real_me clips not found (GLIMPSE_SHARED_DATA)", file=sys.stderr)
        return 2
    OUT.mkdir(parents=True, exist_ok=True)
    settings = Settings()
    found = {fps: 0 for fps in FPS_LIST}
    context = dict.fromkeys(FPS_LIST, 0)
    clips = load_clips()
    print("| clip | fps | found | context moments |\n|---|---|---|---|")
    for clip in clips:
        frames = clip.frames()
        for fps in FPS_LIST:
            body = list(resample(frames, clip.fps, fps))
            hold = round(HOLD_S * fps)
            path = OUT / f"{clip.short}_{fps}.mp4"
            write_video([frames[0]] * hold + body + [frames[-1]] * hold, fps, path)
            onset, offset = hold / fps, (hold + len(body)) / fps
            moments = analyze(path, settings).moments
            hit = [m for m in moments if m.start_s < offset + TOLERANCE_S and m.end_s > onset - TOLERANCE_S]
            ctx = [m for m in moments if m not in hit and m.start_s >= settings.warmup_s]
            found[fps] += bool(hit)
            context[fps] += len(ctx)
            print(f"| {clip.short} | {fps} | {'found' if hit else 'missed'} | {len(ctx)} |")
    for fps in FPS_LIST:
        print(f"{fps} fps: found {found[fps]}/{len(clips)}, {context[fps]} context moments")
    return 0


if __name__ == "__main__":
    sys.exit(main())
