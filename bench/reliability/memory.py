"""Memory of a long headless live run (`python -m bench memory`): does it grow with the session?

    python -m bench memory [--minutes 30] [--every 30] [--checkout DIR]

A child runs `glimpse live --no-window --source demo --duration MINUTES*60 --out FILE` (the bundled
demo, looped and paced in real time, tracked by the real Face Landmarker, as a camera would be) and
its resident memory (VmRSS) is read every `--every` seconds. Printed: the samples, the memory after
the first two minutes (the model loaded, the buffers warm) and at the end, and the growth in MB per
minute (a least-squares line through the samples from minute 2 on). `--checkout DIR` runs the
Glimpse in another checkout instead (e.g. an older commit, to measure against). RELIABILITY.md
(section 5) quotes the figure.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from bench.common.paths import ROOT

WARM_MIN = 2.0  # the model loads and the first buffers fill within this: growth is measured after it


def rss_mb(pid: int) -> float | None:
    """Resident memory of process `pid`, MB (None once it has gone)."""
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def growth_per_min(samples: list[tuple[float, float]]) -> float:
    """MB per minute: the slope of a least-squares line through (minute, MB) from WARM_MIN on."""
    pts = np.array([s for s in samples if s[0] >= WARM_MIN])
    if len(pts) < 2:
        return float("nan")
    return float(np.polyfit(pts[:, 0], pts[:, 1], 1)[0])


def run(minutes: float, every_s: float, checkout: Path) -> dict:
    with tempfile.TemporaryDirectory(prefix="glimpse-memory-") as tmp:
        env = dict(os.environ, GLIMPSE_CACHE="off", XDG_CONFIG_HOME=f"{tmp}/config", XDG_DATA_HOME=f"{tmp}/data",
                   XDG_CACHE_HOME=f"{tmp}/cache", XDG_STATE_HOME=f"{tmp}/state", PYTHONPATH=str(checkout))
        out = Path(tmp) / "moments.json"
        cmd = [sys.executable, "-m", "app", "live", "--no-window", "--source", "demo",
               "--duration", f"{minutes * 60:g}", "--out", str(out)]
        start = time.monotonic()
        child = subprocess.Popen(cmd, cwd=checkout, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                 text=True)
        samples: list[tuple[float, float]] = []
        while child.poll() is None:
            mb = rss_mb(child.pid)
            if mb is not None and child.poll() is None:
                samples.append(((time.monotonic() - start) / 60, mb))
                print(f"  {samples[-1][0]:5.1f} min  {mb:6.1f} MB", flush=True)
            try:
                child.wait(every_s)
            except subprocess.TimeoutExpired:
                pass
        stderr = child.stderr.read() if child.stderr else ""
        if child.returncode != 0 or not out.exists():
            raise SystemExit(f"the live run failed (exit {child.returncode}):\n{stderr}")
        data = json.loads(out.read_text())
    warm = next((mb for t, mb in samples if t >= WARM_MIN), samples[0][1])
    return {"minutes": minutes, "frames_tracked": data["frames"], "dropped": data["live"]["dropped_frames"],
            "moments": len(data["moments"]), "rss_after_2_min_mb": round(warm, 1),
            "rss_end_mb": round(samples[-1][1], 1), "rss_max_mb": round(max(mb for _, mb in samples), 1),
            "growth_mb_per_min": round(growth_per_min(samples), 3),
            "samples": [(round(t, 2), round(mb, 1)) for t, mb in samples]}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench memory", description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=30.0, help="session length (default 30)")
    ap.add_argument("--every", type=float, default=30.0, help="seconds between memory samples")
    ap.add_argument("--checkout", type=Path, default=ROOT, help="the Glimpse checkout to run (default: this one)")
    a = ap.parse_args(sys.argv[1:] if argv is None else argv)
    figures = run(a.minutes, a.every, a.checkout.resolve())
    figures["machine"] = f"{os.cpu_count()} cores, Python {sys.version.split()[0]}"
    summary = {k: v for k, v in figures.items() if k != "samples"}
    print(f"## memory\n{json.dumps(summary, indent=2)}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
