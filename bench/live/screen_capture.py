"""CPU cost of watching a screen region: grabbing 640x480 at 30 Hz with mss under Xvfb.

    .venv/bin/python -m bench.live.screen_capture [--seconds 20] [--out docs/BENCH_SCREEN.md]

Measures, side by side in one run, the CPU time of this process (capture thread and the consumer
taking every frame) and of the X server answering the grabs, as a share of one core, for the grab
alone and for the grab plus the call-video filter (repeat and freeze detection). Needs Xvfb.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from app.sources.callvideo import CallVideoFilter
from app.sources.screen import GRAB_HZ, Region, ScreenSource
from bench.common.machine import machine
from tests.support.xserver import server_cpu_s, virtual_display, xvfb_missing

REGION = Region(100, 80, 640, 480)
TARGET_SHARE = 0.15  # of one core, for the grab (issue 11)


@dataclass(frozen=True)
class Run:
    name: str
    seconds: float
    grabs: int
    frames: int
    process_share: float  # CPU seconds of this process per wall second
    server_share: float  # the same for the X server

    @property
    def grab_hz(self) -> float:
        return self.grabs / self.seconds


def measure(name: str, seconds: float, server_pid: int, with_filter: bool) -> Run:
    call_filter = CallVideoFilter() if with_filter else None
    with ScreenSource(REGION, GRAB_HZ) as source:
        cpu0, srv0, t0 = time.process_time(), server_cpu_s(server_pid), time.monotonic()
        grabs0, frames = source.grabs, 0
        for frame in source:
            if call_filter is not None:
                call_filter.update(frame)
            frames += 1
            if time.monotonic() - t0 >= seconds:
                break
        wall = time.monotonic() - t0
        cpu, srv, grabs = time.process_time() - cpu0, server_cpu_s(server_pid) - srv0, source.grabs - grabs0
    return Run(name, wall, grabs, frames, cpu / wall, srv / wall)


def mss_notes() -> str:
    """What mss says of its speed here (its default Linux backend is XShmGetImage, with a note when
    it had to fall back to XGetImage)."""
    import mss

    with mss.MSS() as sct:
        sct.grab(REGION.as_mss())
        notes = list(sct.performance_status)
    return "; ".join(notes) if notes else "none (shared-memory grabs)"


def report(runs: list[Run], seconds: float, notes: str, m: dict) -> str:
    import mss

    lines = [
        "# Screen capture benchmark",
        "",
        f"Grabbing a {REGION.width}x{REGION.height} region at {GRAB_HZ:.0f} Hz with mss {mss.__version__} "
        f"from Xvfb (mss performance notes: {notes}), {seconds:.0f} s per row, rows measured one after the "
        "other in one run. "
        "CPU share = CPU seconds per wall-clock second (1.0 = one core); process = Glimpse's capture thread "
        "plus a consumer taking every frame; server = the X server answering the grabs.",
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores shared with other work (load average {m['load']:.1f} at "
        f"the start), {m['os']}, Python {m['python']}. "
        "Command: `.venv/bin/python -m bench.live.screen_capture --out docs/BENCH_SCREEN.md`.",
        "",
        "| run | grabs/s | frames taken/s | process CPU | X server CPU | total |",
        "|---|---|---|---|---|---|",
    ]
    for r in runs:
        lines.append(f"| {r.name} | {r.grab_hz:.1f} | {r.frames / r.seconds:.1f} | {100 * r.process_share:.1f}% | "
                     f"{100 * r.server_share:.1f}% | {100 * (r.process_share + r.server_share):.1f}% |")
    grab = runs[0]
    verdict = "within" if grab.process_share <= TARGET_SHARE else "over"
    lines += ["", f"Target: the grab costs <= {100 * TARGET_SHARE:.0f}% of one core: the process measured "
                  f"{100 * grab.process_share:.1f}% ({verdict}); with the X server's share "
                  f"{100 * (grab.process_share + grab.server_share):.1f}%.", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seconds", type=float, default=20.0)
    p.add_argument("--out", type=Path, help="also write the report (Markdown) here")
    a = p.parse_args(argv)
    missing = xvfb_missing()
    if missing:
        print(f"cannot run: {missing}", file=sys.stderr)
        return 2
    with virtual_display() as server:
        os.environ["DISPLAY"] = server.display
        os.environ.pop("WAYLAND_DISPLAY", None)
        notes, m = mss_notes(), machine()
        runs = [measure("grab only", a.seconds, server.pid, with_filter=False),
                measure("grab + call-video filter", a.seconds, server.pid, with_filter=True)]
    text = report(runs, a.seconds, notes, m)
    print(text)
    if a.out:
        a.out.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
