"""Speed and memory figures for BENCHMARKS.md: analysis throughput against raw MediaPipe, re-spot
speed, and the peak memory of `glimpse analyze` on a long video.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from app.settings.schema import preset
from bench.accuracy.spotters import EvidenceCache
from bench.common.paths import DATA, ROOT

THROUGHPUT_VIDEO = DATA / "WolfgangLanger_Pexels.mp4"
THROUGHPUT_REPS = 7
LONG_S, LONG_SIZE = 600.0, (640, 480)


def decode_all(path: Path) -> tuple[list[np.ndarray], float]:
    """Every frame of a (small) clip, and its frame rate: for building benchmark videos."""
    from app.sources.capture import FileSource

    with FileSource(path) as src:
        return [f.image for f in src], src.info.fps





def raw_mediapipe(video: Path, num_faces: int) -> tuple[int, float]:
    """(frames, seconds) for decoding `video` and running FaceLandmarker.detect_for_video on every frame
    with app/face/tracking.py's options (VIDEO mode, blendshapes and matrices), model set-up included."""
    import cv2

    from app.face import tracking
    t0 = time.perf_counter()
    model = tracking.load_model()
    # as FaceTracker does: MediaPipe's usage-log upload is pointed at a closed local port
    getattr(tracking, "keep_mediapipe_offline", lambda: None)()
    import mediapipe as mp
    from mediapipe.tasks.python import BaseOptions, vision

    from app.face.tracking import quiet_native_stderr

    options = vision.FaceLandmarkerOptions(
        base_options=BaseOptions(model_asset_buffer=model), running_mode=vision.RunningMode.VIDEO,
        num_faces=num_faces, output_face_blendshapes=True, output_facial_transformation_matrixes=True)
    with quiet_native_stderr():
        landmarker = vision.FaceLandmarker.create_from_options(options)
    cap = cv2.VideoCapture(str(video), cv2.CAP_FFMPEG)
    fps = cap.get(cv2.CAP_PROP_FPS) or 30.0
    n = 0
    try:
        while True:
            ok, image = cap.read()
            if not ok:
                break
            rgb = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
            landmarker.detect_for_video(mp.Image(image_format=mp.ImageFormat.SRGB, data=rgb), int(n * 1000 / fps))
            n += 1
    finally:
        cap.release()
        landmarker.close()
    return n, time.perf_counter() - t0


def analyze_file(video: Path) -> tuple[int, float]:
    """(frames, seconds) of app.run.pipeline.analyze on a file: what `glimpse analyze` does, tracking included."""
    from app.run.pipeline import analyze

    t0 = time.perf_counter()
    result = analyze(video)
    return len(result.table), time.perf_counter() - t0


def throughput(video: Path = THROUGHPUT_VIDEO, reps: int = THROUGHPUT_REPS,
               log: Callable[[str], None] = print) -> dict:
    """Frames/s of analyze and of raw MediaPipe (2 faces and 1 face), interleaved, rotating the order
    each repetition; medians, and the median of the per-repetition analyze/raw ratios."""
    runs: dict[str, Callable[[], tuple[int, float]]] = {
        "analyze": lambda: analyze_file(video),
        "raw_2faces": lambda: raw_mediapipe(video, 2),
        "raw_1face": lambda: raw_mediapipe(video, 1),
    }
    names = list(runs)
    fps: dict[str, list[float]] = {k: [] for k in names}
    frames = 0
    for rep in range(reps):
        for name in names[rep % len(names):] + names[:rep % len(names)]:
            frames, seconds = runs[name]()
            fps[name].append(frames / seconds)
        log(f"throughput {rep + 1}/{reps}: " + ", ".join(f"{k} {v[-1]:.0f}" for k, v in fps.items()))
    ratios = [a / r for a, r in zip(fps["analyze"], fps["raw_2faces"], strict=True)]
    return {"video": video.name, "load": os.getloadavg()[0], "frames": frames, "reps": reps, "fps": fps,
            "median": {k: statistics.median(v) for k, v in fps.items()},
            "ratio_of_medians": statistics.median(fps["analyze"]) / statistics.median(fps["raw_2faces"]),
            "median_ratio": statistics.median(ratios)}


def respot_speed(cache: EvidenceCache, split: str, root: Path, reps: int = 5) -> dict:
    """Frames/s of re-spotting the split's videos from cached features: evidence + spot, and spot
    alone from evidence already computed (what a settings change in replay costs)."""
    from app.spotting.spotter import spot, table_evidence

    videos = cache.split(split, root)
    frames = sum(len(v.table) for v in videos)
    settings = preset("balanced")
    full, alone = [], []
    for _ in range(reps):
        t0 = time.perf_counter()
        evidence = [table_evidence(v.table) for v in videos]
        t1 = time.perf_counter()
        for ev in evidence:
            spot(ev, settings)
        t2 = time.perf_counter()
        full.append(frames / (t2 - t0))
        alone.append(frames / (t2 - t1))
    return {"frames": frames, "videos": len(videos), "evidence_and_spot": statistics.median(full),
            "spot_only": statistics.median(alone)}


def make_long_video(path: Path, seconds: float = LONG_S, size: tuple[int, int] = LONG_SIZE,
                    source: Path = THROUGHPUT_VIDEO) -> Path:
    """A `seconds`-long video at `size`: `source` resized and played forward and back (once; kept)."""
    import cv2

    from app.research.inject import pingpong_order

    if path.exists():
        return path
    cap = cv2.VideoCapture(str(source), cv2.CAP_FFMPEG)
    fps = cap.get(cv2.CAP_PROP_FPS)
    w, h = size
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=path.parent) as tmp:
        raw = Path(tmp) / "frames.raw"
        n = 0
        with open(raw, "wb") as fh:
            while True:
                ok, image = cap.read()
                if not ok:
                    break
                fh.write(cv2.resize(image, size, interpolation=cv2.INTER_AREA).tobytes())
                n += 1
        cap.release()
        frames = np.memmap(raw, np.uint8, "r", shape=(n, h, w, 3))
        part = path.with_name(f"{path.stem}.part{path.suffix}")
        writer = cv2.VideoWriter(str(part), cv2.VideoWriter.fourcc(*"mp4v"), fps, size)
        for i in pingpong_order(n, int(round(seconds * fps))):
            writer.write(np.ascontiguousarray(frames[i]))
        writer.release()
        del frames
        part.replace(path)
    return path


# Runs `python -m app ARGS...` and, at exit, writes its peak resident memory (kB) to a file: the larger of
# VmHWM and RSS sampled every 10 ms by a thread (the kernel updates VmHWM lazily, so memory handed back
# with madvise can peak unseen). Not ru_maxrss from wait4: on Linux that also keeps the high-water mark
# of the forked (vforked) copy of the parent from before exec, so a big parent -- this benchmark, with
# its caches -- would inflate it.
_HWM_WRAPPER = """
import atexit, os, runpy, sys, threading, time
path = sys.argv.pop(1)
page_kb = os.sysconf("SC_PAGE_SIZE") // 1024
peak = [0]
def _sample():
    while True:
        with open("/proc/self/statm") as fh:
            peak[0] = max(peak[0], int(fh.read().split()[1]) * page_kb)
        time.sleep(0.01)
threading.Thread(target=_sample, daemon=True).start()
def _write():
    with open("/proc/self/status") as fh:
        hwm = int(next(line.split()[1] for line in fh if line.startswith("VmHWM:")))
    with open(path, "w") as fh:
        fh.write(str(max(hwm, peak[0])))
atexit.register(_write)
runpy.run_module("app", run_name="__main__", alter_sys=True)
"""


def peak_memory(video: Path) -> dict:
    """Peak resident memory (VmHWM) of `python -m app analyze VIDEO` in a subprocess, and its frames/s."""
    import json

    with tempfile.TemporaryDirectory() as tmp:
        out, hwm = Path(tmp) / "moments.json", Path(tmp) / "hwm"
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        t0 = time.perf_counter()
        proc = subprocess.run([sys.executable, "-c", _HWM_WRAPPER, str(hwm), "analyze", str(video), "--out", str(out),
                               "--quiet"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        seconds = time.perf_counter() - t0
        if proc.returncode != 0:
            raise RuntimeError(f"glimpse analyze {video} failed ({proc.returncode}): "
                               f"{proc.stderr.decode(errors='replace').strip()[-500:]}")
        frames = json.loads(out.read_text())["frames"]
        peak_kb = int(hwm.read_text())
    return {"video": video.name, "frames": frames, "seconds": seconds, "fps": frames / seconds,
            "max_rss_mb": peak_kb / 1024.0}
