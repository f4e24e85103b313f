"""How long `glimpse analyze` takes on a 2-minute 640x480 clip, against raw MediaPipe, side by side.

    .venv/bin/python -m bench.live.analyze_speed [--rounds 2] [--workers N] [--report docs/BENCH_ANALYZE.md]

Makes the clip in out/ (the Pexels test clip played forward and back, letterboxed to 640x480, 30 fps),
then times, in one run and interleaved round by round, each as its own process:
  raw       MediaPipe Face Landmarker alone, one process, the app's options (VIDEO mode, 2 faces,
            blendshapes, transformation matrices), frames decoded with OpenCV
  1 worker  glimpse analyze --workers 1 --no-cache
  N workers glimpse analyze --workers N --no-cache
and prints wall times (median over rounds) and their ratios to raw. Target: N workers <= 0.65x raw.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np

from bench.common.paths import ROOT  # noqa: E402

SOURCE = ROOT / "tests" / "data" / "WolfgangLanger_Pexels.mp4"
CLIP = ROOT / "out" / "analyze_speed_640x480_2min.mp4"
SIZE = (640, 480)
FPS = 30.0
LENGTH_S = 120.0
TARGET = 0.65

RAW = """
import sys, cv2, mediapipe as mp
from mediapipe.tasks.python import BaseOptions, vision
from app.face.tracking import keep_mediapipe_offline, load_model
keep_mediapipe_offline()
options = vision.FaceLandmarkerOptions(base_options=BaseOptions(model_asset_buffer=load_model()),
    running_mode=vision.RunningMode.VIDEO, num_faces=2, output_face_blendshapes=True,
    output_facial_transformation_matrixes=True)
cap = cv2.VideoCapture(sys.argv[1], cv2.CAP_FFMPEG)
n, last = 0, -1
with vision.FaceLandmarker.create_from_options(options) as landmarker:
    while True:
        ok, img = cap.read()
        if not ok:
            break
        ms = max(int(round(cap.get(cv2.CAP_PROP_POS_MSEC))), last + 1)
        last = ms
        rgb = cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
        landmarker.detect_for_video(mp.Image(image_format=mp.ImageFormat.SRGB, data=rgb), ms)
        n += 1
print(n)
"""


def make_clip(path: Path = CLIP) -> Path:
    """The source clip played forward and back until LENGTH_S, letterboxed into SIZE."""
    if path.exists():
        return path
    cap = cv2.VideoCapture(str(SOURCE))
    frames = []
    while True:
        ok, img = cap.read()
        if not ok:
            break
        frames.append(img)
    cap.release()
    w, h = SIZE
    scale = min(w / frames[0].shape[1], h / frames[0].shape[0])
    inner = (int(round(frames[0].shape[1] * scale)), int(round(frames[0].shape[0] * scale)))
    top, left = (h - inner[1]) // 2, (w - inner[0]) // 2
    order = list(range(len(frames))) + list(range(len(frames) - 2, 0, -1))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".partial.mp4")
    writer = cv2.VideoWriter(str(tmp), cv2.VideoWriter.fourcc(*"mp4v"), FPS, SIZE)
    canvas = np.zeros((h, w, 3), np.uint8)
    for k in range(int(LENGTH_S * FPS)):
        canvas[top:top + inner[1], left:left + inner[0]] = cv2.resize(frames[order[k % len(order)]], inner)
        writer.write(canvas)
    writer.release()
    tmp.replace(path)
    return path


def timed(argv: list[str]) -> tuple[float, float]:
    """Wall time and CPU time (user + system, the process and its children) of one command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(argv, check=True, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--workers", type=int, default=len(os.sched_getaffinity(0)))
    ap.add_argument("--report", type=Path, help="also write the report (Markdown) here")
    a = ap.parse_args(argv)
    clip = make_clip()
    py = sys.executable
    one, many = ROOT / "out" / "analyze_speed_1.json", ROOT / "out" / f"analyze_speed_{a.workers}.json"
    runs = {
        "raw MediaPipe, 1 process": [py, "-c", RAW, str(clip)],
        "glimpse analyze --workers 1": [py, "-m", "app", "analyze", str(clip), "--workers", "1", "--no-cache",
                                        "--quiet", "--out", str(one)],
        f"glimpse analyze --workers {a.workers}": [py, "-m", "app", "analyze", str(clip), "--workers",
                                                   str(a.workers), "--no-cache", "--quiet", "--out", str(many)],
    }
    load_before = os.getloadavg()
    times: dict[str, list[float]] = {name: [] for name in runs}
    cpu: dict[str, list[float]] = {name: [] for name in runs}
    for r in range(a.rounds):
        for name, cmd in runs.items():
            wall, used = timed(cmd)
            times[name].append(wall)
            cpu[name].append(used)
            print(f"round {r + 1}: {name}: {wall:.1f} s wall, {used:.1f} s CPU", file=sys.stderr, flush=True)
    load_after = os.getloadavg()
    raw = statistics.median(times["raw MediaPipe, 1 process"])
    cap = cv2.VideoCapture(str(clip))
    frames = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
    cap.release()
    lines = [
        "# glimpse analyze: wall time against raw MediaPipe",
        "",
        f"Measured {dt.datetime.now().strftime('%Y-%m-%d %H:%M')} by `python -m bench.live.analyze_speed "
        f"--rounds {a.rounds} --workers {a.workers}` on {platform.machine()}, {os.cpu_count()} cores "
        f"(Python {platform.python_version()}).",
        f"Clip: {clip.name}, {frames} frames, {SIZE[0]}x{SIZE[1]}, {FPS:g} fps ({LENGTH_S:g} s).",
        f"Load average (1, 5, 15 min) before: {', '.join(f'{x:.2f}' for x in load_before)}; "
        f"after: {', '.join(f'{x:.2f}' for x in load_after)}. The machine is shared: "
        "parallel figures are noisy, the ratios (same run, interleaved rounds) are what counts.",
        "",
        "| run | wall time, median (s) | each round (s) | x raw | CPU time, median (s) | CPU / wall |",
        "| --- | ---: | --- | ---: | ---: | ---: |",
    ]
    for name, ts in times.items():
        med, used = statistics.median(ts), statistics.median(cpu[name])
        lines.append(f"| {name} | {med:.1f} | {', '.join(f'{t:.1f}' for t in ts)} | {med / raw:.2f} | "
                     f"{used:.1f} | {used / med:.2f} |")
    m1, mn = (json.loads(f.read_text())["moments"] for f in (one, many))
    differ = len({json.dumps(m, sort_keys=True) for m in m1} ^ {json.dumps(m, sort_keys=True) for m in mn})
    lines += ["", f"Moments: {len(m1)} with 1 worker, {len(mn)} with {a.workers}; {differ} differ "
                  "(in either list and not the other)."]
    best = statistics.median(times[f"glimpse analyze --workers {a.workers}"]) / raw
    lines += ["", f"Target: {a.workers} workers <= {TARGET:.2f}x raw: {'met' if best <= TARGET else 'missed'} "
                  f"({best:.2f}x)."]
    report = "\n".join(lines) + "\n"
    print(report)
    if a.report:
        a.report.write_text(report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
