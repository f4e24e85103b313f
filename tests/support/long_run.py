"""Long sessions: an hour of 30 fps frames through the live per-frame path from a tracked clip replayed in
a loop, and a shorter run with the real tracker; memory sampled as it goes.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tests.support.paths import PACED_CLIP


def rss_mb() -> float:
    """Resident memory of this process, MB."""
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6




def track_clip(clip: Path = PACED_CLIP) -> tuple[list, tuple[int, int]]:
    """The tracked faces of every frame of `clip` (tracked once, replayed by `long_session`)."""
    from app.face.tracking import FaceTracker
    from app.sources.capture import FileSource

    faces = []
    with FileSource(clip) as source, FaceTracker() as tracker:
        for frame in source:
            faces.append(tracker.update(frame.image, frame.t_s))
        size = (source.info.width, source.info.height)
    return faces, size


def pingpong_period(faces: list, multiple: int = 15) -> list:
    """Forward then back (no jump where the loop closes), trimmed so the period is a multiple of
    `multiple` frames (the spotter's noise update stride at 30 fps), so every period is computed alike."""
    n = len(faces)
    while (2 * n - 2) % multiple:
        n -= 1
    return faces[:n] + faces[n - 2:0:-1]


@dataclass
class LongRun:
    frames: int
    seconds: float
    chunk_fps: list[float]  # frames/s in each tenth
    rss_mb: list[float]  # after each tenth
    moments: list  # every Moment, in order
    period_frames: int
    segments: int
    folder: Path | None


def long_session(faces: list, size: tuple[int, int], minutes: float, root: Path | None, fps: float = 30.0,
                 record: bool = True) -> LongRun:
    """`minutes` of frames at `fps`, unpaced, through the live per-frame path (features, spotter,
    prompt policy, and the recorder's video and features), the tracked faces replayed in a loop."""
    from app.face.features import FeatureExtractor
    from app.prompts.policy import PromptPolicy
    from app.settings.schema import Settings
    from app.sources.capture import Frame, SourceInfo
    from app.spotting.spotter import Spotter
    from app.store.session import SessionWriter

    period = pingpong_period(faces)
    settings = Settings()
    extractor = FeatureExtractor(keep_landmarks=True)
    spotter, policy = Spotter(settings), PromptPolicy(settings.cooldown_s)
    image = np.zeros((90, 160, 3), np.uint8)
    pixels = np.zeros((size[1], size[0], 3), np.uint8)  # the frames the faces were tracked in (not kept)
    writer = SessionWriter(root, SourceInfo("replayed faces", fps, 160, 90), settings, True) if record else None
    n = int(round(minutes * 60 * fps))
    tenth = max(1, n // 10)
    chunk_fps, mem, moments = [], [], []
    t0 = chunk_start = time.perf_counter()
    for i in range(n):
        t = i / fps
        f = extractor.update(t, period[i % len(period)], pixels)
        for m in spotter.update(f):
            m = policy.update(m)
            moments.append(m)
            if writer is not None:
                writer.add_moment(m)
        if writer is not None:
            image[0, 0, 0] = i % 256
            writer.add_frame(Frame(i, t, image), f)
        if (i + 1) % tenth == 0:
            now = time.perf_counter()
            chunk_fps.append(tenth / (now - chunk_start))
            mem.append(rss_mb())
            chunk_start = now
    moments += [policy.update(m) for m in spotter.flush()]
    seconds = time.perf_counter() - t0
    segments, folder = 0, None
    if writer is not None:
        writer.close()
        folder = writer.folder
        segments = len(list((folder / "segments").glob("*.npz")))
    return LongRun(n, seconds, chunk_fps, mem, moments, len(period), segments, folder)


def long_figures(run: LongRun, fps: float = 30.0) -> dict:
    """Growth, speed, and whether moments late in the session sit exactly where the same frames put
    them early on: the input repeats every `period_frames`, so must the moments (as phases within
    the period). Compared: periods 2-3 (after the warm-up) and the last two whole periods."""
    p = run.period_frames / fps
    last = int((run.frames / fps - 2.0) // p)  # whole periods before the end (the end flushes)
    ref = [m for m in run.moments if 2 * p <= m.start_s < 4 * p]
    late = [m for m in run.moments if (last - 2) * p <= m.start_s < last * p]

    def phase_error(m, r) -> float:
        err = 0.0
        for a, b in ((m.start_s, r.start_s), (m.peak_s, r.peak_s), (m.end_s, r.end_s)):
            d = (a - b) % p
            err = max(err, min(d, p - d))
        return err

    errors = [min((phase_error(m, r) for r in ref if r.regions == m.regions and r.kind == m.kind),
                  default=float("inf")) for m in late]
    return {"frames": run.frames, "hours": round(run.frames / fps / 3600, 3), "seconds": round(run.seconds, 1),
            "fps_first_tenth": round(run.chunk_fps[0], 1), "fps_last_tenth": round(run.chunk_fps[-1], 1),
            "speed_ratio": round(run.chunk_fps[-1] / run.chunk_fps[0], 3),
            "rss_first_tenth_mb": round(run.rss_mb[0], 1), "rss_end_mb": round(run.rss_mb[-1], 1),
            "rss_max_mb": round(max(run.rss_mb), 1), "growth_mb": round(run.rss_mb[-1] - run.rss_mb[0], 1),
            "moments": len(run.moments), "period_s": round(p, 4), "moments_early": len(ref),
            "moments_late": len(late), "late_at_s": round((last - 2) * p, 1),
            "worst_time_error_s": float(max(errors, default=0.0)), "segments": run.segments}


def long_mediapipe(minutes: float, clip: Path = PACED_CLIP) -> dict:
    """The real live pipeline (MediaPipe tracking included), unpaced, on `clip` looped for `minutes`
    of 30 fps frames: memory and speed per tenth."""
    from app.run.pipeline import LivePipeline
    from app.sources.capture import FileSource, Frame

    images = []
    with FileSource(clip) as source:
        for frame in source:
            images.append(frame.image)
    period = images + images[-2:0:-1]
    pipeline = LivePipeline()
    n = int(round(minutes * 60 * 30))
    tenth = max(1, n // 10)
    fps, mem = [], []
    start = time.perf_counter()
    for i in range(n):
        pipeline.process(Frame(i, i / 30.0, period[i % len(period)]))
        if (i + 1) % tenth == 0:
            now = time.perf_counter()
            fps.append(tenth / (now - start))
            mem.append(rss_mb())
            start = now
    pipeline.close()
    return {"frames": n, "fps_first_tenth": round(fps[0], 1), "fps_last_tenth": round(fps[-1], 1),
            "speed_ratio": round(fps[-1] / fps[0], 3), "rss_first_tenth_mb": round(mem[0], 1),
            "rss_end_mb": round(mem[-1], 1), "growth_mb": round(mem[-1] - mem[0], 1)}
