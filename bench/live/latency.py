"""Live-mode figures: prompt latency, preview frame rate and CPU share (`python -m bench live`).

A real face clip with known brief expressions (our injector, every 5 s) is
resampled to 30 frames/s at 640x480 and at 1280x720 and played through the
paced source into the real Live page, in real time. For each injected event we
take the first prompt card whose moment overlaps it and measure from the
event's end (its frame time, on the paced source's clock) to the card starting
to appear. The page runs at the default settings (what a listener starts with), with the quiet
time after a prompt set to 0 so every moment prompts. Figures, not a timed test: they are written
to their section of docs/BENCH_LIVE.md (bench/live/doc.py).
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bench.common.paths import ROOT
from bench.live.doc import DOC, write_section

TARGET_P95_MS = 250.0

SOURCE = ROOT / "tests" / "data" / "WolfgangLanger_Pexels.mp4"
SIZES = ((640, 480), (1280, 720))
FPS = 30.0
TYPES = ("brow_raise", "upper_lid_raise", "brow_lower", "brow_raise")
DURATIONS_S = (0.1, 0.2, 0.3, 0.4, 0.5, 0.25)  # the brief changes the spotter is for, 40-500 ms
WARMUP_S = 3.0  # frame rate and CPU are measured after this much playing
EVENTS = 24  # injected expressions per clip by default (one per 5 s)


def make_clips(work: Path, events: int) -> tuple[dict, dict[tuple[int, int], Path]]:
    """The injected clip (cached in `work`) and its 30 frames/s versions at each size."""
    import json

    import cv2

    from app.research.inject import inject, make_event

    work.mkdir(parents=True, exist_ok=True)
    name = f"injected-{events}-" + "-".join(f"{1000 * d:.0f}" for d in DURATIONS_S)  # a new plan, a new clip
    injected, truth_path = work / f"{name}.mp4", work / f"{name}.json"
    if not truth_path.exists():
        src_fps = cv2.VideoCapture(str(SOURCE)).get(cv2.CAP_PROP_FPS)
        planned = [make_event(TYPES[k % 4], round(round((4.0 + 5.0 * k) * src_fps) / src_fps, 4),
                              DURATIONS_S[k % len(DURATIONS_S)], 0.07) for k in range(events)]
        truth = inject(SOURCE, injected, planned, lengthen_to_s=4.0 + 5.0 * events + 3.0)
        truth_path.write_text(json.dumps(truth, indent=2))
    truth = json.loads(truth_path.read_text())
    clips = {}
    for w, h in SIZES:
        out = work / f"{name}-{w}x{h}-30.mp4"
        if not out.exists():
            resample(injected, out, (w, h), FPS)
        clips[(w, h)] = out
    return truth, clips


def resample(src: Path, dst: Path, size: tuple[int, int], fps: float) -> None:
    """Letterboxed to `size`, at `fps` (each output frame shows the source frame of its time)."""
    import cv2

    from bench.accuracy.speed import decode_all

    frames, src_fps = decode_all(src)
    w, h = size
    sh, sw = frames[0].shape[:2]
    scale = min(w / sw, h / sh)
    fw, fh = int(round(sw * scale)), int(round(sh * scale))
    x0, y0 = (w - fw) // 2, (h - fh) // 2
    writer = cv2.VideoWriter(str(dst), cv2.VideoWriter.fourcc(*"mp4v"), fps, (w, h))
    canvas = np.zeros((h, w, 3), np.uint8)
    for k in range(int(len(frames) / src_fps * fps)):
        canvas[y0:y0 + fh, x0:x0 + fw] = cv2.resize(frames[min(int(k / fps * src_fps), len(frames) - 1)],
                                                    (fw, fh), interpolation=cv2.INTER_CUBIC)
        writer.write(canvas)
    writer.release()


@dataclass
class Run:
    size: tuple[int, int]
    latencies_s: list[float]  # event end -> card, per prompted event
    lengths_s: list[float]  # the prompted events' lengths (onset to offset)
    spotter_s: list[float]  # event end -> the frame that completed its moment (media time: the spotter's delay)
    waited_s: list[float]  # of which: the moment's own end (as the spotter saw it) -> that frame
    app_s: list[float]  # that frame's capture -> card (the worker's and the GUI's share)
    detected: int
    events: int
    gui_fps: float
    tracking_fps: float
    dropped: int
    frames: int
    cpu_share: float  # of the whole machine (all cores)
    cpu_cores: float  # in cores (1.0 = one core busy)


def play(clip: Path, truth: dict, size: tuple[int, int]) -> Run:
    """Play `clip` live in the real Live page (window 1000x760) and measure."""
    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    from app.run.choices import file_choice
    from app.settings.schema import Settings
    from app.settings.store import SettingsStore
    from app.ui.live import LivePage

    app = QApplication.instance() or QApplication(sys.argv[:1])
    page = LivePage(SettingsStore(Settings(cooldown_s=0.0)), lambda: Path(os.devnull), lambda: [])
    page.resize(1000, 760)
    page.show()
    shown: list[tuple[float, object]] = []
    page.card.shown.connect(lambda text: shown.append((time.monotonic(), page.moments[-1], page.decided[-1])))
    origin = [float("inf")]
    packets = []
    show = page.preview.show_packet

    def spy(packet):
        origin[0] = min(origin[0], packet.captured_at - packet.t_s)
        packets.append(packet.stats)
        show(packet)

    page.preview.show_packet = spy
    marks: dict[str, tuple] = {}

    def sample() -> None:
        if "start" not in marks and packets and packets[-1].frames and time.monotonic() - origin[0] > WARMUP_S:
            marks["start"] = (time.monotonic(), _cpu(), page.preview.frames_painted)

    loop = QEventLoop()
    page.running_changed.connect(lambda running: None if running else loop.quit())
    timer = QTimer(interval=100)
    timer.timeout.connect(sample)
    timer.start()
    page.play(file_choice(clip))
    loop.exec()
    end = (time.monotonic(), _cpu(), page.preview.frames_painted)
    timer.stop()
    page.shutdown()
    page.close()
    app.processEvents()

    t0, cpu0, painted0 = marks["start"]
    wall = end[0] - t0
    latencies, lengths, spotter, waited, app_share = [], [], [], [], []
    for e in truth["events"]:
        hits = [(at, m, d) for at, m, d in shown if m.start_s < e["offset_s"] and m.end_s > e["onset_s"]]
        if hits:
            at, m, (decided_t_s, captured_at) = hits[0]
            latencies.append(at - (origin[0] + e["offset_s"]))
            lengths.append(round(e["offset_s"] - e["onset_s"], 3))
            spotter.append(decided_t_s - e["offset_s"])
            waited.append(decided_t_s - m.end_s)
            app_share.append(at - captured_at)
    steady = [s.fps for s in packets[len(packets) // 10:]]
    return Run(size, latencies, lengths, spotter, waited, app_share, len(latencies), len(truth["events"]), (end[2] - painted0) / wall,
               float(np.median(steady)), packets[-1].dropped, packets[-1].frames,
               (end[1] - cpu0) / wall / (os.cpu_count() or 1), (end[1] - cpu0) / wall)


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _ms(values: list[float], q: float) -> str:
    return f"{1000 * float(np.percentile(values, q)):.0f}" if values else "n/a"


def machine() -> str:
    cpu = "unknown CPU"
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    from PySide6 import __version__ as qt

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (f"{cpu}, {os.cpu_count()} cores; Python {platform.python_version()}, PySide6 {qt}, Qt platform "
            f"'{os.environ.get('QT_QPA_PLATFORM', 'default')}'; load average at start {load:.2f}")


def delay_parts() -> tuple[float, float]:
    """The spotter's fixed decision delay, read from its code: (look-after, settle) in seconds."""
    from app.spotting.evidence import POST_S
    from app.spotting.spotter import SETTLE_S

    return POST_S, SETTLE_S


def report(runs: list[Run], command: str, host: str) -> str:
    from app.settings.schema import Settings

    post_s, settle_s = delay_parts()
    base = Settings()
    lengths = sorted({x for r in runs for x in r.lengths_s})
    lines = [
        "## Prompt latency, preview frame rate, CPU",
        "",
        f"Command: `{command}`  ",
        f"Machine: {host}. The machine is shared with other engineers' jobs (see the load average).  ",
        f"Date: {time.strftime('%Y-%m-%d %H:%M')}",
        "",
        "A real face clip (tests/data/WolfgangLanger_Pexels.mp4, played forward and back) with one brief "
        "expression injected every 5 s (brow raise, upper lid raise, brow lowering; 0.07 IOD; "
        f"{', '.join(f'{1000 * d:.0f}' for d in sorted(set(DURATIONS_S)))} ms long), resampled to 30 "
        "frames/s, played in real time through the paced source into the Live page (window 1000x760, the "
        f"default settings: {base.preset} preset, sensitivity {base.sensitivity:g}; quiet time after a "
        "prompt set to 0 so every moment prompts).",
        "Latency: from the expression's end (the frame time of its offset, on the source's clock) to the "
        "prompt card starting to appear. It splits into the spotter's delay (media time from the "
        "expression's end to the frame whose decision completed its moment) and the app's share "
        "(from that frame's capture to the card: tracking it, the signal, the GUI). "
        "CPU: the whole process (capture, tracking, GUI), as a share of all cores.",
        "",
        "| source | events prompted | latency p50 / p95 (ms) | of which the spotter's delay p50 / p95 (ms) "
        "| of which the app's p50 / p95 (ms) | preview frames/s | tracking frames/s | dropped "
        "| CPU (share of machine) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in runs:
        lines.append(f"| {r.size[0]}x{r.size[1]} @ 30 | {r.detected} / {r.events} | {_ms(r.latencies_s, 50)} / "
                     f"{_ms(r.latencies_s, 95)} | {_ms(r.spotter_s, 50)} / {_ms(r.spotter_s, 95)} | "
                     f"{_ms(r.app_s, 50)} / {_ms(r.app_s, 95)} | "
                     f"{r.gui_fps:.1f} | {r.tracking_fps:.1f} | {r.dropped} of {r.dropped + r.frames} | "
                     f"{100 * r.cpu_share:.0f} % ({r.cpu_cores:.2f} cores) |")
    every = [x for r in runs for x in r.latencies_s]
    spotter = [x for r in runs for x in r.spotter_s]
    app_share = [x for r in runs for x in r.app_s]
    p95 = float(np.percentile(every, 95)) * 1000 if every else float("nan")
    lines += ["", f"All sizes and event lengths together: {len(every)} prompted events, **latency p50 "
              f"{_ms(every, 50)} ms, p95 {_ms(every, 95)} ms** (target: p95 <= {TARGET_P95_MS:.0f} ms: "
              f"{'met' if p95 <= TARGET_P95_MS else 'missed'}). Target for the preview: the source's "
              "30 frames/s at 1280x720.", "",
              "By event length (both sizes):", "",
              "| event length (ms) | prompted | latency p50 / p95 (ms) | spotter's delay p50 / p95 (ms) |",
              "|---:|---|---|---|"]
    for d in lengths:
        lat = [x for r in runs for x, n in zip(r.latencies_s, r.lengths_s) if n == d]
        spo = [x for r in runs for x, n in zip(r.spotter_s, r.lengths_s) if n == d]
        lines.append(f"| {1000 * d:.0f} | {len(lat)} | {_ms(lat, 50)} / {_ms(lat, 95)} | "
                     f"{_ms(spo, 50)} / {_ms(spo, 95)} |")
    waited = [x for r in runs for x in r.waited_s]
    ended = [s_ - w for r in runs for s_, w in zip(r.spotter_s, r.waited_s)]
    lines += ["", f"What the latency consists of (measured, all events): the spotter's delay p50 {_ms(spotter, 50)} "
              f"/ p95 {_ms(spotter, 95)} ms, of which {1000 * post_s:.0f} ms is the look-after every decision "
              f"waits for (app/spotting/evidence.py POST_S) and {1000 * settle_s:.0f} ms the settle before a moment is "
              f"reported (app/spotting/spotter.py SETTLE_S; longer for changes read best by a window over 0.25 s). "
              f"Measured: from the moment's end as the spotter places it to the frame that completed it, p50 "
              f"{_ms(waited, 50)} / p95 {_ms(waited, 95)} ms (the spotter's own wait after the end it gives the moment); from the "
              f"injected change's end to the moment's end, p50 {_ms(ended, 50)} / p95 {_ms(ended, 95)} ms "
              "(negative: the spotter ends the moment where the change fades out, before the envelope's "
              "last frame; a long positive tail: the prompted moment is a longer reading, or a later one, "
              "overlapping the change). The app's share (tracking the "
              f"completing frame, the signal, the GUI) is p50 {_ms(app_share, 50)} / p95 {_ms(app_share, 95)} ms. "
              f"The spotter's decision delay is owned by the spotter's engineer and unchanged here.", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench live", description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=EVENTS, help="injected expressions per clip (one per 5 s)")
    ap.add_argument("--work", default=str(ROOT / "out" / "bench_live"), help="where the clips are cached")
    ap.add_argument("--out", default=str(DOC))
    a = ap.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen" if not os.environ.get("DISPLAY") else "xcb")
    host = machine()
    truth, clips = make_clips(Path(a.work), a.events)
    runs = []
    for size in SIZES:
        print(f"playing {clips[size].name} ({truth['duration_s']:.0f} s)...", file=sys.stderr)
        runs.append(play(clips[size], truth, size))
    host += f", at the end {os.getloadavg()[0]:.2f}"
    given = sys.argv[1:] if argv is None else argv
    text = report(runs, "python -m bench live" + (" " + " ".join(given)).rstrip(), host)
    write_section(Path(a.out), "live", text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
