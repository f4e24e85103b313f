"""Camera faults: a stand-in device that stalls, fails its reads, disappears and hangs on cue, behind the
real `CameraSource`, `LiveSession`, pipeline and recorder.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from tests.support.paths import CLIP


class CameraScript:
    """What the stand-in camera does now; a test or the bench changes it on cue with `set`.

    ok: frames of `clip` (looped) at `fps`; stall: reads return no frame; error: reads raise
    cv2.error; gone: the device cannot be opened and handles opened before read nothing
    (unplugged); hang: a read blocks until the state changes (a driver that stops answering)."""

    STATES = ("ok", "stall", "error", "gone", "hang")

    def __init__(self, clip: Path = CLIP, fps: float = 30.0):
        self.clip, self.fps = Path(clip), fps
        self._cond = threading.Condition()
        self._state = "ok"
        self.opened = 0  # successful opens
        self.refused = 0  # opens refused while gone

    @property
    def state(self) -> str:
        return self._state

    def set(self, state: str) -> None:
        if state not in self.STATES:
            raise ValueError(f"state {state!r}; expected one of {self.STATES}")
        with self._cond:
            self._state = state
            self._cond.notify_all()

    def wait_while(self, state: str, timeout: float) -> None:
        with self._cond:
            self._cond.wait_for(lambda: self._state != state, timeout)

    def capture(self, index: int = 0) -> ScriptedCapture:
        """Opens the stand-in device: what `CameraSource(open_capture=...)` calls."""
        return ScriptedCapture(self, index)


class ScriptedCapture:
    """A cv2.VideoCapture stand-in driven by a CameraScript."""

    def __init__(self, script: CameraScript, index: int = 0):
        import cv2

        self.script = script
        self._open = script.state != "gone"
        self._file = cv2.VideoCapture(str(script.clip)) if self._open else None
        if self._open:
            script.opened += 1
        else:
            script.refused += 1
        self._next_at: float | None = None

    def isOpened(self) -> bool:  # noqa: N802 - the cv2 API
        return self._open

    def set(self, prop: int, value: float) -> bool:
        return False

    def get(self, prop: int) -> float:
        import cv2

        if self._file is None:
            return 0.0
        if prop == cv2.CAP_PROP_FPS:
            return self.script.fps
        return self._file.get(prop)

    def read(self):
        import cv2

        s = self.script
        if s.state == "hang":
            s.wait_while("hang", timeout=60.0)
        state = s.state
        if not self._open or state in ("gone", "stall"):
            time.sleep(0.005)
            return False, None
        if state == "error":
            raise cv2.error("VIDEOIO(V4L2:/dev/video0): can't read frame (stand-in device error)")
        now = time.monotonic()
        if self._next_at is None or now - self._next_at > 1.0:
            self._next_at = now
        if self._next_at > now:
            time.sleep(self._next_at - now)
        self._next_at += 1.0 / s.fps
        ok, image = self._file.read()
        if not ok:  # loop the clip
            self._file.set(cv2.CAP_PROP_POS_FRAMES, 0)
            ok, image = self._file.read()
        return ok, image

    def release(self) -> None:
        if self._file is not None:
            self._file.release()


@dataclass
class FaultRun:
    """What one scripted run of faults did to a live session with recording on."""

    plan: list[tuple[str, float]]
    events: list[tuple[float, str, object]] = field(default_factory=list)  # (monotonic, signal, value)
    folder: Path | None = None
    stopped: str | None = None

    def times(self, name: str) -> list[float]:
        return [t for t, n, _ in self.events if n == name]

    def values(self, name: str) -> list:
        return [v for _, n, v in self.events if n == name]


def camera_faults(plan: Sequence[tuple[str, float]], root: Path, script: CameraScript | None = None,
                  retry_s: Sequence[float] | None = None, lost_after_s: float = 2.0,
                  warm_s: float = 1.5, settings=None) -> FaultRun:
    """Run a live session on the stand-in camera, recording into `root`, through `plan`: a list of
    (state, seconds). The defaults are the app's (`CameraSource`'s 2 s, `RETRY_S`). Headless: the
    session's events are collected as they are reported."""
    from app.run.events import ErrorReported, LiveEvent, RecordingChanged, SourceBack, SourceLost, Stopped
    from app.run.live import LiveSession
    from app.settings.schema import Settings
    from app.sources.capture import RETRY_S, CameraSource

    retry_s = RETRY_S if retry_s is None else retry_s

    script = script or CameraScript()
    run = FaultRun(list(plan))
    lock = threading.Lock()

    def log(name: str, value) -> None:
        with lock:
            run.events.append((time.monotonic(), name, value))

    def on_event(event: LiveEvent) -> None:  # in the session's threads
        match event:
            case SourceLost(reason=reason):
                log("source_lost", reason)
            case SourceBack():
                log("source_back", None)
            case ErrorReported(message=message):
                log("error", message)
            case RecordingChanged(folder=folder):
                log("recording", folder)
            case Stopped(reason=reason):
                log("stopped", reason)

    session = LiveSession(lambda: CameraSource(0, 640, 360, script.fps, lost_after_s=lost_after_s,
                                               open_capture=script.capture),
                          settings or Settings(), on_event=on_event, retry_s=retry_s, preview=False)
    session.start()
    session.start_recording(root)
    try:
        deadline = time.monotonic() + 20.0
        while not run.values("recording") and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(warm_s)
        for state, seconds in plan:
            with lock:
                run.events.append((time.monotonic(), "script", state))
            script.set(state)
            time.sleep(seconds)
        script.set("ok")
    finally:
        session.request_stop()
        script.set("ok")  # a hung read returns
        session.join(20.0)
    folders = [v for v in run.values("recording") if v is not None]
    run.folder = Path(folders[0]) if folders else None
    stops = run.values("stopped")
    run.stopped = stops[0] if stops else None
    return run


def fault_figures(run: FaultRun) -> dict:
    """Faults injected and survived, time to notice and to resume, and what the recording kept."""
    from app.store.session import open_session

    script = [(t, v) for t, n, v in run.events if n == "script"]
    faults = [(t, v) for t, v in script if v != "ok"]
    lost, back = run.times("source_lost"), run.times("source_back")
    notice = [min((x for x in lost if x >= t), default=np.nan) - t for t, _ in faults]
    ends = [t for t, v in script if v == "ok"] + [np.inf]
    resume = []
    for t, _ in faults:
        end = min(x for x in ends if x > t)
        resume.append(min((x for x in back if x >= end), default=np.nan) - end if np.isfinite(end) else np.nan)
    fig = {"faults": len(faults), "kinds": [v for _, v in faults], "lost_reported": len(lost),
           "resumed": len(back), "errors": run.values("error"), "stopped": run.stopped,
           "notice_s": [round(float(x), 2) for x in notice], "resume_s": [round(float(x), 2) for x in resume]}
    if run.folder is not None:
        s = open_session(run.folder)
        t = s.table.t_s
        fig.update(segments=len(s.segments), frames=len(s.table), gaps=s.info.get("gaps", []),
                   times_increasing=bool(np.all(np.diff(t) > 0)), notes=list(s.notes),
                   recorded_s=round(s.duration_s, 2))
    return fig
