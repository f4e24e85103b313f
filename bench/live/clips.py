"""640x480 clips at a chosen frame rate for the live benchmarks, and raw MediaPipe's cost over them.

The Pexels test clip (640x360, 23.976 frames/s) played forward and back, letterboxed into 640x480
and resampled to `fps`: each output frame blends the two source frames around its time, so a 60
frames/s clip has distinct frames, as a 60 frames/s camera would. Written once under out/ (ignored
by git). The baseline is `bench.accuracy.speed.raw_mediapipe` (app/face/tracking.py's options: VIDEO mode, two
faces, blendshapes and matrices; model set-up included), timed here in CPU (process time, every
thread) as well as wall time.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bench.common.paths import DATA, ROOT

SOURCE = DATA / "WolfgangLanger_Pexels.mp4"
SIZE = (640, 480)
WORK = ROOT / "out" / "bench_live"


def clip(fps: float, length_s: float, work: Path = WORK) -> Path:
    """The clip at `fps` lasting `length_s`, made on first use."""
    import cv2

    from bench.accuracy.speed import decode_all

    path = work / f"pexels-{SIZE[0]}x{SIZE[1]}-{fps:g}fps-{length_s:g}s.mp4"
    if path.exists():
        return path
    frames, src_fps = decode_all(SOURCE)
    order = list(range(len(frames))) + list(range(len(frames) - 2, 0, -1))  # forward and back, no repeats
    w, h = SIZE
    sh, sw = frames[0].shape[:2]
    scale = min(w / sw, h / sh)
    inner = (int(round(sw * scale)), int(round(sh * scale)))
    x0, y0 = (w - inner[0]) // 2, (h - inner[1]) // 2
    work.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".partial.mp4")
    writer = cv2.VideoWriter(str(tmp), cv2.VideoWriter_fourcc(*"mp4v"), fps, SIZE)
    canvas = np.zeros((h, w, 3), np.uint8)
    for k in range(int(round(length_s * fps))):
        pos = k / fps * src_fps
        i, share = int(pos), pos - int(pos)
        a, b = frames[order[i % len(order)]], frames[order[(i + 1) % len(order)]]
        mixed = cv2.addWeighted(a, 1.0 - share, b, share, 0.0) if share > 1e-6 else a
        canvas[y0:y0 + inner[1], x0:x0 + inner[0]] = cv2.resize(mixed, inner, interpolation=cv2.INTER_AREA)
        writer.write(canvas)
    writer.release()
    tmp.replace(path)
    return path


@dataclass(frozen=True)
class Cost:
    """What a run over a clip took: frames handled, wall seconds, CPU seconds (all threads)."""

    frames: int
    wall_s: float
    cpu_s: float

    @property
    def fps(self) -> float:
        return self.frames / self.wall_s if self.wall_s > 0 else 0.0

    @property
    def cpu_ms_per_frame(self) -> float:
        return 1000.0 * self.cpu_s / self.frames if self.frames else float("nan")


def raw(path: Path) -> Cost:
    """Raw MediaPipe alone over every frame of `path`, unpaced."""
    from bench.accuracy.speed import raw_mediapipe

    cpu0 = time.process_time()
    frames, wall = raw_mediapipe(path, num_faces=2)
    return Cost(frames, wall, time.process_time() - cpu0)


def warm_up() -> None:
    """Import MediaPipe (and the app's tracking) before any round, so no round pays for the import."""
    from app.face.tracking import _without_matplotlib

    with _without_matplotlib():
        import mediapipe  # noqa: F401
        from mediapipe.tasks.python import vision  # noqa: F401


def load_line() -> str:
    """The load averages (1, 5, 15 min) now, for a report."""
    import os

    return ", ".join(f"{x:.2f}" for x in os.getloadavg())
