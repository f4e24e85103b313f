"""docs/BENCH_BUNDLE.md: the bundle (packaging/, `make bundle`) against the source install (.venv), side by side.

    python -m bench bundle [--runs 3] [--no-write]

Size: the bundle folder and its .tar.gz. Start: wall time from exec to the first tracked frame of
`live --demo --no-window` (the "glimpse: tracking" line the headless run prints at its first
`FrameTracked`). Memory at rest: the resident set of the window's process tree after it has shown
the first-run page and stayed idle for 5 s under Xvfb. Both builds run with the same clean
environment (`env -i PATH=/usr/bin HOME=<empty>`), alternating, in one run. The page cache is warm
(the machine is shared: it is not dropped), so "cold start" is a fresh process, not a fresh disk.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common.machine import machine
from bench.common.paths import ROOT

sys.path.insert(0, str(ROOT / "packaging"))
from bundle_build import BUILD, bundle_dir, folder_bytes  # noqa: E402
from bundle_check import clean_env, xvfb  # noqa: E402

REPORT = ROOT / "docs" / "BENCH_BUNDLE.md"
FIRST_FRAME_MARK = "glimpse: tracking"
START_TIMEOUT_S = 180
IDLE_S = 5.0
WINDOW_TIMEOUT_S = 120
MIB = 2 ** 20


def commands() -> dict[str, list[str]]:
    return {"bundle": [str(bundle_dir() / "Glimpse")], "source (.venv)": [str(ROOT / ".venv" / "bin" / "glimpse")]}


def first_frame_s(cmd: list[str], work: Path) -> float:
    """Seconds from exec to the first tracked frame of the demo, headless; the process is then stopped."""
    home = Path(tempfile.mkdtemp(dir=work, prefix="home-"))
    start = time.perf_counter()
    proc = subprocess.Popen([*cmd, "live", "--demo", "--no-window", "--duration", "30"], env=clean_env(home),
                            cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        for line in proc.stderr:
            if line.startswith(FIRST_FRAME_MARK):
                return time.perf_counter() - start
            if time.perf_counter() - start > START_TIMEOUT_S:
                break
        raise RuntimeError(f"{cmd[0]}: no first frame (exit {proc.poll()})")
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def tree_rss_bytes(pid: int) -> int:
    """Resident memory of a process and its descendants (/proc)."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            status = Path(f"/proc/{p}/status").read_text()
            total += next(int(line.split()[1]) * 1024 for line in status.splitlines() if line.startswith("VmRSS:"))
            todo += [int(c) for c in Path(f"/proc/{p}/task/{p}/children").read_text().split()]
        except (OSError, StopIteration):
            continue
    return total


def window_shown(display: str) -> bool:
    found = subprocess.run(["xdotool", "search", "--name", "^Glimpse$"], capture_output=True, text=True,
                           env={"DISPLAY": display, "PATH": "/usr/bin"}, timeout=20)
    return bool(found.stdout.split())


def rest_rss_bytes(cmd: list[str], work: Path) -> tuple[int, float]:
    """(RSS after the window has been up and idle for IDLE_S, seconds until the window appeared)."""
    home = Path(tempfile.mkdtemp(dir=work, prefix="home-"))
    with xvfb() as display:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, env=clean_env(home, DISPLAY=display), cwd=work, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        try:
            while not window_shown(display):
                if proc.poll() is not None or time.perf_counter() - start > WINDOW_TIMEOUT_S:
                    raise RuntimeError(f"{cmd[0]}: no window (exit {proc.poll()})")
                time.sleep(0.1)
            shown = time.perf_counter() - start
            time.sleep(IDLE_S)
            return tree_rss_bytes(proc.pid), shown
        finally:
            proc.terminate()
            proc.wait(timeout=30)


def measure(runs: int) -> dict:
    work = Path(tempfile.mkdtemp(prefix="glimpse-bench-bundle-"))
    tarballs = sorted(BUILD.glob("Glimpse-*.tar.gz"))
    results: dict = {"folder": folder_bytes(bundle_dir()), "tarball": tarballs[-1].stat().st_size if tarballs else 0,
                     "tarball_name": tarballs[-1].name if tarballs else "none"}
    per: dict[str, dict[str, list[float]]] = {name: {"start": [], "rss": [], "window": []} for name in commands()}
    for run in range(runs):  # alternate the two builds so both see the same load
        for name, cmd in commands().items():
            print(f"run {run + 1}/{runs}: {name} ...", flush=True)
            per[name]["start"].append(first_frame_s(cmd, work))
            rss, shown = rest_rss_bytes(cmd, work)
            per[name]["rss"].append(rss)
            per[name]["window"].append(shown)
    results["per"] = per
    return results


def report(r: dict, runs: int) -> str:
    m = machine()
    rows = []
    for name, v in r["per"].items():
        rows.append(f"| {name} | {statistics.median(v['start']):.2f} s "
                    f"({', '.join(f'{x:.2f}' for x in v['start'])}) | "
                    f"{statistics.median(v['window']):.2f} s | {statistics.median(v['rss']) / MIB:.0f} MiB |")
    bundle, source = (statistics.median(v["start"]) for v in r["per"].values())
    rss_b, rss_s = (statistics.median(v["rss"]) for v in r["per"].values())
    return "\n".join([
        "# The bundle against the source install",
        "",
        "Printed by `python -m bench bundle` (needs `make bundle` first, Xvfb and xdotool); "
        f"{runs} alternating runs each, medians.",
        f"Machine: {m['cpu']}, {m['cores']} cores shared with other work (load {m['load']:.1f}), {m['os']}, "
        f"Python {m['python']}, MediaPipe {m['mediapipe']}.",
        "",
        "## Size",
        "",
        f"- folder `build/bundle/dist/Glimpse/`: {r['folder'] / MIB:.0f} MiB",
        f"- download `{r['tarball_name']}`: {r['tarball'] / MIB:.0f} MiB",
        "",
        "## Start and memory",
        "",
        "| build | exec to first tracked demo frame, headless (each run) | exec to window shown (Xvfb) "
        "| RSS at rest (window idle 5 s) |",
        "|---|---|---|---|",
        *rows,
        "",
        f"Bundle / source: start {bundle / source:.2f}x, memory at rest {rss_b / rss_s:.2f}x.",
        "",
        "Both run with `env -i PATH=/usr/bin HOME=<empty folder>`; the first tracked frame is the "
        f"`{FIRST_FRAME_MARK}` line the headless run prints at its first `FrameTracked`. The page cache is "
        "warm (not dropped on a shared machine): a fresh process, not a fresh disk.",
        ""])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench bundle", description=__doc__.split("\n\n")[0])
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--no-write", action="store_true", help="print only; leave docs/BENCH_BUNDLE.md as it is")
    a = p.parse_args(argv)
    if not (bundle_dir() / "Glimpse").is_file():
        print("python -m bench bundle: skipped, no bundle (build it first: make bundle)", file=sys.stderr)
        return 0  # a full `make bench` on a machine that has not built the bundle still runs the rest
    text = report(measure(a.runs), a.runs)
    print(text)
    if not a.no_write:
        REPORT.write_text(text)
        print(f"wrote {REPORT}")
    return 0
