"""`make bundle-check`: run the built bundle the way a counsellor's machine would, and say what happened.

    python packaging/bundle_check.py [--bundle build/bundle/dist/Glimpse] [--screenshots docs]

Each run gets a clean environment (`env -i PATH=/usr/bin HOME=<new empty folder>`: no venv, no
PYTHONPATH, no Qt variables, no earlier settings). It checks that:
1. every library the Qt platform plugins need resolves inside the bundle, except the system's own
   (C library, GPU stack, libxcb, libwayland: listed);
2. `Glimpse live --demo --no-window --duration 10 --out m.json` writes the moments JSON;
3. the window starts under Xvfb on the first-run page (screenshot), and Help > About shows the
   model's SHA-256 (screenshot; opened with xdotool);
4. `Glimpse --crash-test` (and the native variant) leaves crash.log, and the next start points at it,
   on stderr and in the window's message bar (screenshot).
Needs Xvfb, xdotool, xwd and netpbm (`apt-get install xvfb xdotool x11-apps netpbm`).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bundle_build import ROOT, bundle_dir, check_libraries, dependency_report  # noqa: E402

SCREEN = "1280x900x24"
HEADLESS_TIMEOUT_S = 180
WINDOW_SETTLE_S = 12.0  # the window is up and painted well within this on a loaded 2-core machine
ABOUT_SETTLE_S = 4.0
HELP_MENU_AT = ("140", "8")  # x, y of "Help" in the menu bar
TOOLS = ("Xvfb", "xdotool", "xwd", "xwdtopnm", "pnmtopng")


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


def clean_env(home: Path, **extra: str) -> dict[str, str]:
    """What `env -i PATH=/usr/bin HOME=...` leaves, plus `extra` (DISPLAY)."""
    return {"PATH": "/usr/bin", "HOME": str(home), **extra}


def run_clean(exe: Path, args: list[str], home: Path, cwd: Path, timeout: float = HEADLESS_TIMEOUT_S):
    return subprocess.run([str(exe), *args], capture_output=True, text=True, env=clean_env(home), cwd=cwd,
                          timeout=timeout)


def check_headless(exe: Path, work: Path) -> Check:
    home = Path(tempfile.mkdtemp(dir=work, prefix="home-"))
    proc = run_clean(exe, ["live", "--demo", "--no-window", "--duration", "10", "--out", "m.json"], home, work)
    out = work / "m.json"
    if proc.returncode != 0 or not out.is_file():
        return Check("headless live --demo writes the JSON", False, f"exit {proc.returncode}: {proc.stderr[-500:]}")
    data = json.loads(out.read_text())
    ok = data.get("frames", 0) > 0 and data.get("face_frames", 0) > 0
    return Check("headless live --demo writes the JSON", ok,
                 f"{data.get('frames')} frames, {data.get('face_frames')} with a face, {len(data.get('moments', []))} "
                 f"moments; {proc.stderr.strip().splitlines()[-1]}")


@contextmanager
def xvfb():
    """A private X display (`Xvfb -displayfd` picks a free number); its DISPLAY value."""
    read, write = os.pipe()
    server = subprocess.Popen(["Xvfb", "-displayfd", str(write), "-screen", "0", SCREEN, "-nolisten", "tcp"],
                              pass_fds=(write,), stderr=subprocess.DEVNULL)
    os.close(write)
    with os.fdopen(read) as pipe:
        display = ":" + pipe.readline().strip()
    try:
        yield display
    finally:
        server.terminate()
        server.wait(timeout=10)


def screenshot(display: str, path: Path, window_id: str | None = None) -> None:
    """The whole screen, or one window (a dialog shows black in a screen grab without a compositor)."""
    which = ["-id", window_id] if window_id else ["-root"]
    xwd = subprocess.run(["xwd", *which, "-silent", "-display", display], capture_output=True, check=True).stdout
    pnm = subprocess.run(["xwdtopnm"], input=xwd, capture_output=True, check=True).stdout
    path.write_bytes(subprocess.run(["pnmtopng"], input=pnm, capture_output=True, check=True).stdout)


def xdotool(display: str, *args: str) -> None:
    subprocess.run(["xdotool", *args], env={**os.environ, "DISPLAY": display}, check=False, timeout=20)


@contextmanager
def window(exe: Path, home: Path, display: str, cwd: Path):
    """The bundle's window, started with a clean environment on `display`; its stderr as a file."""
    err = cwd / f"window-{time.monotonic_ns()}.err"
    with open(err, "w") as fh:
        proc = subprocess.Popen([str(exe)], env=clean_env(home, DISPLAY=display), cwd=cwd, stdout=fh, stderr=fh)
        try:
            time.sleep(WINDOW_SETTLE_S)
            yield proc, err
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def open_about(display: str) -> str | None:
    """Help > About with the mouse (the menu bar's Help is at its place in the 1000-pixel-wide window),
    then the keyboard; the About window's X id, or None when it did not open."""
    xdotool(display, "mousemove", *HELP_MENU_AT, "click", "1")
    time.sleep(1.0)
    xdotool(display, "key", "Down", "Down", "Return")
    time.sleep(ABOUT_SETTLE_S)
    found = subprocess.run(["xdotool", "search", "--name", "About Glimpse"], capture_output=True, text=True,
                           env={**os.environ, "DISPLAY": display}, timeout=20).stdout.split()
    return found[0] if found else None


def check_window(exe: Path, work: Path, shots: Path) -> list[Check]:
    home = Path(tempfile.mkdtemp(dir=work, prefix="home-"))
    checks = []
    with xvfb() as display, window(exe, home, display, work) as (proc, err):
        alive = proc.poll() is None
        screenshot(display, shots / "bundle_first_run.png")
        checks.append(Check("window starts under Xvfb (first-run page)", alive,
                            f"running after {WINDOW_SETTLE_S:.0f} s; screenshot {shots / 'bundle_first_run.png'}"
                            if alive else f"exited {proc.returncode}: {err.read_text()[-500:]}"))
        if alive:
            about = open_about(display)
            if about:
                screenshot(display, shots / "bundle_about.png", about)
            checks.append(Check("Help > About opens (model digest shown)", about is not None,
                                f"screenshot {shots / 'bundle_about.png'}: look for the SHA-256" if about
                                else "no window named About Glimpse"))
    return checks


SYSTEM_LIB_DIRS = (Path("/usr/lib/x86_64-linux-gnu"), Path("/lib/x86_64-linux-gnu"), Path("/usr/lib64"))


def system_copies(bundle: Path) -> list[Path]:
    """The system's own files for the libraries the bundle carries for its Qt plugins (libxcb-cursor.so.0,
    ...), less those that `mount`, `timeout` and PyInstaller's launcher load before the bundle's library
    path is in force (the launcher links the system's libz, which every Linux has)."""
    inside, _, _ = dependency_report(bundle)
    keep = {so for tool in ("mount", "timeout") for so in ldd_names(Path(shutil.which(tool) or f"/usr/bin/{tool}"))}
    keep |= set(ldd_names(bundle / "Glimpse"))
    copies = set()
    for soname in inside:
        for folder in SYSTEM_LIB_DIRS:
            if soname not in keep and (folder / soname).exists():
                copies.add((folder / soname).resolve())
    return sorted(copies)


def ldd_names(path: Path) -> list[str]:
    out = subprocess.run(["ldd", str(path)], capture_output=True, text=True, timeout=30).stdout
    return [line.split()[0] for line in out.splitlines() if line.strip()]


def check_hidden(exe: Path, work: Path) -> Check:
    """The window starts while the system's copies of every library the bundle carries are hidden:
    in a private mount namespace (`unshare -m`, root only; nothing outside this process sees it),
    each is covered by /dev/null, so loading one would fail ("file too short")."""
    name = "window starts with the system's copies of the bundled libraries hidden"
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        return Check(name, True, "skipped: needs root and unshare (a private mount namespace)")
    hidden = system_copies(exe.parent)
    home = Path(tempfile.mkdtemp(dir=work, prefix="home-"))
    mounts = " && ".join(f"mount --bind /dev/null {p}" for p in hidden)
    script = f"{mounts} && exec timeout {WINDOW_SETTLE_S:.0f} {exe}"
    with xvfb() as display:
        proc = subprocess.run(["unshare", "-m", "sh", "-c", script], env=clean_env(home, DISPLAY=display),
                              cwd=work, capture_output=True, text=True, timeout=WINDOW_SETTLE_S + 60)
    # `timeout` ends a window still running after the settle time with 124: it started and stayed up
    ok = proc.returncode == 124 and "could not load the Qt platform plugin" not in proc.stderr.lower()
    return Check(name, ok, f"{len(hidden)} system files hidden (e.g. "
                 f"{', '.join(p.name for p in hidden if 'xcb' in p.name)[:200]}); exit {proc.returncode}"
                 + ("" if ok else f": {proc.stderr[-400:]}"))


def check_crash(exe: Path, work: Path, shots: Path | None) -> list[Check]:
    checks = []
    crashes = (("python", 1, "RuntimeError: glimpse --crash-test"), ("native", -11, "Segmentation fault"))
    for mode, expect_code, expect_text in crashes:
        home = Path(tempfile.mkdtemp(dir=work, prefix="home-"))
        crashed = run_clean(exe, ["--crash-test", mode], home, work)
        logs = list(home.rglob("crash.log"))
        text = logs[0].read_text() if logs else ""
        checks.append(Check(f"--crash-test {mode} leaves crash.log", crashed.returncode == expect_code
                            and expect_text in text, f"exit {crashed.returncode}; "
                            + (f"{logs[0].relative_to(home)} ({len(text)} bytes)" if logs else "no crash.log")))
        after = run_clean(exe, ["devices"], home, work)
        pointed = bool(logs) and str(logs[0]) in after.stderr
        checks.append(Check(f"the next start points at it ({mode})", pointed, after.stderr.strip()[:300]))
        if mode == "python" and shots is not None:
            run_clean(exe, ["--crash-test"], home, work)  # a fresh crash for the window to report
            with xvfb() as display, window(exe, home, display, work) as (proc, _):
                screenshot(display, shots / "bundle_crash_notice.png")
            checks.append(Check("the window's next start shows the notice", True,
                                f"screenshot {shots / 'bundle_crash_notice.png'}: look at the message bar"))
    return checks


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="packaging/bundle_check.py", description=__doc__.split("\n\n")[0])
    ap.add_argument("--bundle", type=Path, default=bundle_dir())
    ap.add_argument("--screenshots", type=Path, default=ROOT / "docs")
    ap.add_argument("--no-window", action="store_true", help="skip the Xvfb checks")
    a = ap.parse_args(argv)
    exe = a.bundle / "Glimpse"
    if not exe.is_file():
        print(f"bundle-check: no bundle at {a.bundle}; build it first: make bundle", file=sys.stderr)
        return 2
    missing = [t for t in TOOLS if shutil.which(t) is None]
    if missing and not a.no_window:
        print(f"bundle-check: missing {', '.join(missing)}: apt-get install xvfb xdotool x11-apps netpbm",
              file=sys.stderr)
        return 2
    a.screenshots.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="glimpse-bundle-check-"))
    try:
        libraries = check_libraries(a.bundle)
        checks = [Check("Qt plugins' libraries resolve inside the bundle", True, libraries.replace("\n", "; "))]
    except SystemExit as exc:
        checks = [Check("Qt plugins' libraries resolve inside the bundle", False, str(exc))]
    checks.append(check_headless(exe, work))
    if not a.no_window:
        checks += check_window(exe, work, a.screenshots)
        checks.append(check_hidden(exe, work))
    checks += check_crash(exe, work, None if a.no_window else a.screenshots)
    for c in checks:
        print(f"{'PASS' if c.ok else 'FAIL'}  {c.name}: {c.detail}")
    shutil.rmtree(work, ignore_errors=True)
    return 0 if all(c.ok for c in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
