"""Watching a shared window on Wayland end to end: `glimpse live --source screen:portal --no-window` on a
headless sway desktop (tests/support/wayland.py), where a Wayland-native Qt window plays a face video, against
`glimpse analyze` of the same video.

    .venv/bin/python -m bench.live.portal_live [--seconds 20] [--out docs/BENCH_SCREEN.md]

The portal shares the desktop's one output without a dialog (xdg-desktop-portal-wlr, chooser_type=none);
Glimpse finds the face in the shared picture and watches around it. Printed as bench/live/screen_live.py
prints the X11 rows (observations a second, face found, moments within 0.2 s of analyze's after one
fitted clock offset), with the token file the share left. Needs the packages tests/support/wayland.py names.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common.machine import machine
from bench.live.screen_live import CLIP, PLAYER_UP_S, ROOT, Case, case_from, glimpse
from tests.support.wayland import Desktop, wayland_desktop, wayland_missing

SPEC = "screen:portal"


def file_moments(tmp: Path) -> tuple[list[float], float]:
    """`glimpse analyze` of the clip: its moments' peaks (s) and its length (the player's loop)."""
    glimpse("analyze", str(CLIP), "--out", str(tmp / "file.json"))
    analysis = json.loads((tmp / "file.json").read_text())
    return [m["peak_s"] for m in analysis["moments"]], analysis["duration_s"]


def start_player(desktop: Desktop) -> subprocess.Popen:
    """tests/support/player.py as a Wayland client: the compositor places (tiles) its window, the picture unscaled."""
    return subprocess.Popen([sys.executable, "-m", "tests.support.player", str(CLIP), "0", "0"], cwd=ROOT, env=desktop.env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def watch_shared_window(desktop: Desktop, seconds: float, file_peaks: list[float], loop_s: float,
                        tmp: Path) -> tuple[Case, subprocess.CompletedProcess]:
    """The player on the desktop, `glimpse live --source screen:portal` watching it (its settings folder
    in `tmp`, so the restore token is written there)."""
    player = start_player(desktop)
    try:
        time.sleep(PLAYER_UP_S)
        if player.poll() is not None:
            raise RuntimeError(f"the player did not start: {player.stderr.read().decode()[-500:]}")  # type: ignore[union-attr]
        out = tmp / "portal.json"
        env = {**desktop.env, "XDG_CONFIG_HOME": str(tmp / "config")}
        done = subprocess.run([sys.executable, "-m", "app", "live", "--source", SPEC, "--no-window", "--duration",
                               f"{seconds:g}", "--out", str(out)], cwd=ROOT, env=env, capture_output=True, text=True,
                              timeout=seconds + 120)
    finally:
        player.terminate()
        player.wait(timeout=10)
    if done.returncode != 0:
        raise RuntimeError(f"glimpse live failed: {done.stderr[-800:]}; portal backend: {desktop.log('xdpw', 600)}")
    return case_from("shared window (sway, portal)", json.loads(out.read_text()), file_peaks, loop_s, seconds), done


def report(case: Case, file_peaks: list[float], seconds: float, m: dict) -> str:
    return "\n".join([
        "", "## Watching a shared window on Wayland (`glimpse live --source screen:portal`)", "",
        "A headless sway desktop (tests/support/wayland.py: its own D-Bus session, PipeWire with WirePlumber, "
        "xdg-desktop-portal with the wlroots backend sharing the output without a dialog) shows a Wayland-native "
        "Qt window (tests/support/player.py, QT_QPA_PLATFORM=wayland) looping `tests/data/injected_short.mp4` "
        f"({len(file_peaks)} moments in `glimpse analyze` of the file, peaks "
        f"{', '.join(f'{p:.2f}' for p in file_peaks)} s); `glimpse live --source screen:portal --no-window "
        f"--duration {seconds:g} --out m.json` asks the portal for the screen, finds the face in the shared "
        "picture and watches it. Columns as in the X11 table above.", "",
        f"Machine: {m['cpu']}, {m['cores']} cores shared with other work (load average {m['load']:.1f} at "
        f"the start), Python {m['python']}. Command: `.venv/bin/python -m bench.live.portal_live --out "
        "docs/BENCH_SCREEN.md`.", "",
        "| watched | observations/s | face found | face px (median) | repeats skipped | pauses | dropped "
        "| screen moments (peaks, s) | within 0.2 s of analyze | analyze's moments in the watched time | offset |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
        f"| {case.name} | {case.obs_per_s:.1f} | {100 * case.face_share:.1f}% | {case.face_px} | {case.repeats} | "
        f"{case.pauses} | {case.dropped} | {len(case.moments)} ({', '.join(f'{p:.2f}' for p in case.moments)}) | "
        f"{case.agree} of {len(case.moments)} | {case.expected} | {case.offset_s:.2f} s |",
        "", "Targets (issue 21): >= 20 observations a second, the face in >= 90% of them, the moments agreeing "
        "with analyze's as on X11.", ""])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seconds", type=float, default=20.0)
    p.add_argument("--out", type=Path, help="append the section (Markdown) to this file")
    a = p.parse_args(argv)
    missing = wayland_missing()
    if missing:
        print(f"cannot run: {missing}", file=sys.stderr)
        return 2
    m = machine()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        file_peaks, loop_s = file_moments(tmp)
        with wayland_desktop() as desktop:
            case, _ = watch_shared_window(desktop, a.seconds, file_peaks, loop_s, tmp)
    text = report(case, file_peaks, a.seconds, m)
    print(text)
    if a.out:
        with a.out.open("a") as f:
            f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
