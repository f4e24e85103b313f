"""Privacy probe: a child runs the app's paths under strace and a fresh HOME; every file it wrote and
every socket it opened is listed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

from tests.support.child import child_env
from tests.support.paths import CLIP


def _snapshot(roots: Sequence[Path]) -> dict[str, str]:
    """Every file and folder under `roots`, with its permission bits (octal)."""
    found = {}
    for root in roots:
        for p in [root, *root.rglob("*")] if root.exists() else []:
            found[str(p)] = oct(p.stat().st_mode & 0o777)
    return found


def _privacy_probe(out: str) -> int:
    """Child: analyze, live without and with recording, replay with caching off and on, each
    headless; prints, for each step, the files it created (HOME, XDG folders, TMPDIR and the
    working folder are the caller's empty folders) and any Python-level network attempt."""
    import socket

    from app.cli.main import main as cli_main
    from app.run.events import LiveEvent, RecordingChanged, Stopped
    from app.run.live import LiveSession
    from app.run.recordings import load_session, load_video
    from app.settings.schema import Settings
    from app.sources.capture import PacedSource
    from app.store.session import sessions_root

    attempts = []

    def refuse(name):
        def call(*args, **kwargs):
            attempts.append(name)
            raise OSError(f"no network for Glimpse ({name})")
        return call

    for name in ("connect", "connect_ex", "sendto"):
        setattr(socket.socket, name, refuse(f"socket.{name}"))
    socket.create_connection = refuse("create_connection")
    socket.getaddrinfo = refuse("getaddrinfo")
    out = Path(out)
    roots = [Path(os.environ["HOME"]), Path(os.environ["TMPDIR"]), Path.cwd(), out]
    report, before = {}, _snapshot(roots)

    def step(name: str) -> None:
        nonlocal before
        now = _snapshot(roots)
        report[name] = {p: m for p, m in now.items() if p not in before}
        before = now

    def live(record: bool) -> str | None:
        folders, done = [], threading.Event()

        def on_event(event: LiveEvent) -> None:  # in the session's threads
            if isinstance(event, RecordingChanged):
                folders.append(event.folder)
            elif isinstance(event, Stopped):
                done.set()

        session = LiveSession(lambda: PacedSource(CLIP, speed=3.0), Settings(), on_event=on_event)
        session.start()
        if record:
            session.start_recording(sessions_root())
        done.wait(60)
        session.join(10)
        return str(folders[0]) if folders and folders[0] else None

    cli_main(["analyze", str(CLIP), "--out", str(out / "moments.json"), "--quiet"])
    step("analyze --out")
    live(record=False)
    step("live, not recording")
    os.environ["GLIMPSE_CACHE"] = "off"
    load_video(CLIP, Settings(), None, lambda d, t: None, threading.Event())
    step("replay a video, caching off")
    os.environ["GLIMPSE_CACHE"] = "on"
    load_video(CLIP, Settings(), None, lambda d, t: None, threading.Event())
    step("replay a video, caching on")
    folder = live(record=True)
    step("live, recording")
    load_session(Path(folder), Settings(), None, lambda d, t: None, threading.Event())
    step("replay the recorded session")
    print(json.dumps({"steps": report, "python_network_attempts": attempts, "session": folder}))
    return 0


def privacy_probe(work: Path, strace: bool = True) -> dict:
    """Run `_privacy_probe` with HOME, XDG folders and TMPDIR in `work` (empty), under strace when it
    is there: returns the probe's report and, from strace, every connect/sendto to an inet address."""
    home, tmp, cwd, out = (work / n for n in ("home", "tmp", "cwd", "out"))
    for d in (home, tmp, cwd, out):
        d.mkdir(parents=True, exist_ok=True)
    env = child_env({"HOME": str(home), "TMPDIR": str(tmp), "XDG_CONFIG_HOME": str(home / ".config"),
                      "XDG_CACHE_HOME": str(home / ".cache"), "XDG_DATA_HOME": str(home / ".local" / "share"),
                      "XDG_STATE_HOME": str(home / ".local" / "state")})
    for key in ("GLIMPSE_CACHE_DIR", "GLIMPSE_SESSIONS_DIR", "GLIMPSE_CACHE"):
        env.pop(key, None)
    command = [sys.executable, "-m", "tests.support.privacy", "_privacy-probe", str(out)]
    log = work / "strace.log"
    traced = strace and shutil.which("strace") is not None
    if traced:
        command = ["strace", "-f", "-qq", "-e", "trace=connect,sendto,sendmsg", "-o", str(log)] + command
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        raise RuntimeError(f"privacy probe failed ({done.returncode}): {done.stderr[-2000:]}")
    report = json.loads(done.stdout.strip().splitlines()[-1])
    report["traced"] = traced
    if traced:
        calls = log.read_text().splitlines()
        report["inet_calls"] = [c for c in calls if "AF_INET" in c]
        report["unix_connects"] = sorted({c.split("sun_path=")[-1].split("}")[0] for c in calls
                                          if "connect(" in c and "AF_UNIX" in c})
    return report


if __name__ == "__main__":  # the child the harness starts
    sys.exit(_privacy_probe(sys.argv[2]))
