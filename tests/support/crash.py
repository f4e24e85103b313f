"""Crash safety: SIGKILL a recording child at a random time, or a child that rewrites settings, an export
and a cache in a loop, then open what it left.
"""

from __future__ import annotations

import json
import queue
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tests.support.child import child_env, child_lines
from tests.support.paths import PACED_CLIP, ROOT


def _record_child(root: str, clip: str, segment_s: float, mark_every_s: float) -> int:
    """Child: a live session on a paced clip (looped), recording into `root` from the first frame;
    prints each moment and mark as the session reports it, until it is killed."""
    from app.run.events import ErrorReported, LiveEvent, Marked, MomentFound, RecordingChanged
    from app.run.live import LiveSession
    from app.settings.schema import Settings
    from app.sources.capture import PacedSource
    from app.store.session import SessionWriter

    say = threading.Lock()

    def emit(kind: str, value) -> None:
        with say:
            print(json.dumps({"kind": kind, "at": time.time(), "value": value}), flush=True)

    def on_event(event: LiveEvent) -> None:  # in the session's threads
        match event:
            case RecordingChanged(folder=folder):
                emit("recording", str(folder) if folder else None)
            case MomentFound(moment=m):
                emit("moment", m.to_dict())
            case Marked(t_s=t):
                emit("mark", t)
            case ErrorReported(message=text):
                emit("error", text)

    def writer(root_: Path, info, settings) -> SessionWriter:
        return SessionWriter(root_, info, settings, consent_confirmed=True, segment_s=segment_s)

    session = LiveSession(lambda: PacedSource(clip, loop=True), Settings(cooldown_s=0.0, sensitivity=75.0),
                          on_event=on_event, preview=False, writer_factory=writer)
    session.start()
    session.start_recording(Path(root))
    while True:
        time.sleep(mark_every_s)
        session.mark()


@dataclass
class KillRun:
    folder: Path | None
    killed_at: float  # time.time()
    recorded_s: float  # seconds between the recording starting and the kill
    moments: list[dict]  # as reported by the child before the kill, with "at"
    marks: list[dict]
    errors: list[str]


def kill_recording(root: Path, after_s: float, segment_s: float = 2.0, clip: Path = PACED_CLIP,
                   mark_every_s: float = 0.7, timeout_s: float = 60.0) -> KillRun:
    """Start a recording child, SIGKILL it `after_s` seconds after the recording started."""
    child = subprocess.Popen([sys.executable, "-m", "tests.support.crash", "_record", str(root), str(clip),
                              str(segment_s), str(mark_every_s)], stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, cwd=ROOT, env=child_env(), text=True)
    lines = child_lines(child.stdout)
    events, started, folder = [], None, None
    deadline = time.monotonic() + timeout_s
    try:
        while time.monotonic() < deadline:
            wait = started + after_s - time.time() if started is not None else 1.0
            if wait <= 0:
                break
            try:
                line = lines.get(timeout=min(wait, 1.0))
            except queue.Empty:
                continue
            if line is None:
                break
            event = json.loads(line)
            events.append(event)
            if event["kind"] == "recording" and event["value"]:
                folder, started = Path(event["value"]), event["at"]
        killed_at = time.time()
        child.send_signal(signal.SIGKILL)
        child.wait(10)
        while (line := lines.get(timeout=5.0)) is not None:  # lines written before the kill
            events.append(json.loads(line))
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    return KillRun(folder, killed_at, killed_at - started if started else 0.0,
                   [e for e in events if e["kind"] == "moment"], [e for e in events if e["kind"] == "mark"],
                   [e["value"] for e in events if e["kind"] == "error"])


def kill_figures(run: KillRun, segment_s: float = 2.0) -> dict:
    """What survived the kill: moments and marks reported more than a second before it that are on
    disk, finished segments, and how much video (from the start) the session still holds."""
    from app.store.session import open_session

    s = open_session(run.folder)
    early = [e for e in run.moments if e["at"] <= run.killed_at - 1.0]
    early_marks = [e for e in run.marks if e["at"] <= run.killed_at - 1.0]
    # the child reports pipeline times; the session's are shifted by its first frame's time
    shift = run.marks[0]["value"] - s.marks[0] if run.marks and s.marks else 0.0
    kept = sum(any(abs(m.start_s - (e["value"]["start_s"] - shift)) < 2e-3 and list(m.regions) == e["value"]["regions"]
                   for m in s.moments) for e in early)
    return {"recorded_s": round(run.recorded_s, 2), "moments_reported": len(run.moments),
            "moments_due": len(early), "moments_kept": kept, "moments_on_disk": len(s.moments),
            "marks_due": len(early_marks), "marks_on_disk": len(s.marks),
            "segments": len(s.segments), "segments_expected_min": max(0, int(run.recorded_s // segment_s) - 1),
            "video_s": round(s.duration_s, 2), "lost_s": round(run.recorded_s - s.duration_s, 2),
            "notes": list(s.notes), "errors": run.errors}


def _atomic_child(folder: str) -> int:
    """Child: rewrites a settings file, an export and a feature cache, alternating two versions of
    each, as fast as it can, until it is killed."""
    from app.face.features import N_LEVELS, FeatureTable
    from app.settings import schema, store
    from app.store import marks as review
    from app.store.cache import save_cached

    folder = Path(folder)
    versions = [schema.Settings(), schema.preset("attentive")]
    tables = [FeatureTable(np.arange(n, dtype=np.float64), np.ones(n, bool), np.zeros((n, N_LEVELS), np.float32),
                           np.zeros((n, 3), np.float32), np.zeros((n, 52), np.float16), np.ones(n, np.int8),
                           meta={"n": n}) for n in (1000, 20000)]
    exports = [json.dumps({"moments": [{"i": i} for i in range(n)]}) for n in (10, 50_000)]
    print("ready", flush=True)
    k = 0
    while True:
        store.save(versions[k % 2], folder / "settings.json")
        review.export(folder / "moments.json", exports[k % 2])
        save_cached(folder / "cache" / "features.npz", tables[k % 2])
        k += 1


def kill_atomic_writer(folder: Path, after_s: float) -> dict:
    """SIGKILL the rewriting child after `after_s`; every file must hold one whole version."""
    from app.face.features import FeatureTable
    from app.settings.store import load

    folder.mkdir(parents=True, exist_ok=True)
    child = subprocess.Popen([sys.executable, "-m", "tests.support.crash", "_atomic", str(folder)],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=ROOT, env=child_env(), text=True)
    try:
        child.stdout.readline()
        time.sleep(after_s)
        child.send_signal(signal.SIGKILL)
        child.wait(10)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    found = {}
    try:
        found["settings"] = load(folder / "settings.json").preset
    except Exception as exc:  # noqa: BLE001 - reported, the test says what it found
        found["settings"] = f"broken: {exc}"
    try:
        found["export"] = len(json.loads((folder / "moments.json").read_text())["moments"])
    except Exception as exc:  # noqa: BLE001
        found["export"] = f"broken: {exc}"
    try:
        found["cache"] = len(FeatureTable.load(folder / "cache" / "features.npz"))
    except Exception as exc:  # noqa: BLE001
        found["cache"] = f"broken: {exc}"
    found["temp_files_left"] = sorted(p.name for p in folder.rglob(".*.tmp"))
    return found


if __name__ == "__main__":  # the children the harness starts
    if sys.argv[1] == "_record":
        sys.exit(_record_child(sys.argv[2], sys.argv[3], float(sys.argv[4]), float(sys.argv[5])))
    sys.exit(_atomic_child(sys.argv[2]))
