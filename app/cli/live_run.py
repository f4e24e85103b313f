"""A headless live run: one `LiveSession` driven to its end from the main thread.

The session's events are gathered on the main thread (moments printed as JSON lines as they
come, notes on stderr); the result is what `glimpse analyze` would report over the frames the
session tracked (`HeadlessRun.to_dict`, built by the same `Analysis.to_dict`). Ctrl-C and
SIGTERM end it cleanly: the moments under way are finished first. No Qt here.
"""

from __future__ import annotations

import collections
import json
import queue
import signal
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import TextIO

from app.errors import GlimpseError
from app.face.features import FeatureTally
from app.run.choices import FRAME_RATES, RESOLUTIONS, SourceChoice
from app.run.events import (
    CallPaused,
    CallResumed,
    ErrorReported,
    FrameReady,
    FrameTracked,
    LiveEvent,
    Marked,
    MomentFound,
    RateNotice,
    RecordingChanged,
    SourceBack,
    SourceLost,
    SourceOpened,
    Stopped,
    dispatch,
)
from app.run.live import ENDED, FAILED, LiveSession
from app.run.pipeline import moments_report
from app.settings.schema import Settings
from app.sources.capture import RETRY_S, SourceInfo
from app.spotting.spotter import Moment
from app.system.output import os_words

CAMERA_SIZE, CAMERA_FPS = RESOLUTIONS[1], FRAME_RATES[1]  # what the window asks a camera for by default
EVENT_WAIT_S = 0.2  # the main thread wakes this often, so a signal is handled promptly
# --duration counts session time, which stands still while no frame is tracked (a frozen call, a lost
# camera): the run also ends this long after the duration has passed on the clock since the source opened.
DURATION_GRACE_S = 2.0
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Spread:
    """Median, least and greatest of values rounded to 0.1, in memory bounded by how many distinct
    values there are (not by how many came)."""

    def __init__(self) -> None:
        self._counts: collections.Counter[float] = collections.Counter()

    def append(self, value: float) -> None:
        self._counts[round(value, 1)] += 1

    @property
    def low(self) -> float | None:
        return min(self._counts, default=None)

    @property
    def high(self) -> float | None:
        return max(self._counts, default=None)

    def median(self) -> float | None:
        n = self._counts.total()
        low_rank, high_rank = (n - 1) // 2, n // 2  # the middle value's rank, or the middle two's
        seen, low = 0, None
        for value in sorted(self._counts):
            seen += self._counts[value]
            low = value if low is None and seen > low_rank else low
            if seen > high_rank:
                assert low is not None  # low_rank <= high_rank
                return round((low + value) / 2, 1)
        return None  # no value


@dataclass
class HeadlessRun:
    """What a headless session reported, gathered on the main thread."""

    moments: list[Moment] = field(default_factory=list)
    marks: list[float] = field(default_factory=list)
    info: SourceInfo | None = None
    frames: FeatureTally = field(default_factory=FeatureTally)  # counts only: memory stays flat for hours
    dropped: int = 0
    reason: str = ""
    interrupted: bool = False
    fatal: str | None = None
    recordings: list[Path] = field(default_factory=list)
    recording_failed: str | None = None  # why the recording stopped early (it ends the run: exit 2)
    face_px: Spread = field(default_factory=Spread)  # face heights of tracked frames with a face
    repeats: int = 0  # call video: grabs not tracked, the picture unchanged
    pauses: list[float] = field(default_factory=list)  # call video: how long each freeze lasted, s
    stdout_failed: bool = False  # standard output refused a line: the moments still go to --out

    @property
    def failed(self) -> bool:
        return self.reason == FAILED

    def to_dict(self, source: str | None, settings: Settings) -> dict:
        """The `glimpse analyze` JSON of what the session tracked (same code), plus a `live` entry.
        `source`: what to call it (default: the source's own name, e.g. "camera 0")."""
        info = self.info
        if info is None:
            raise GlimpseError(self.fatal or "the live session ended before its source opened")
        px = self.face_px
        data = moments_report(source or info.name, info, self.frames, px.median(), settings, self.moments)
        ended = "interrupted" if self.interrupted else ("end of source" if self.reason == ENDED else "duration")
        data["live"] = {"asked_s": [round(t, 4) for t in self.marks], "dropped_frames": self.dropped,
                        "ended": ended, "recordings": [str(f) for f in self.recordings],
                        "face_px": {"median": px.median(), "min": px.low, "max": px.high},
                        "call_video": {"repeats_skipped": self.repeats, "pauses": len(self.pauses),
                                       "paused_s": round(sum(self.pauses), 3)}}
        return data


def run(choice: SourceChoice, settings: Settings, model: str | None, duration_s: float | None,
        asked_at: Sequence[float] = (), record: Path | None = None, out: TextIO | None = None,
        err: TextIO | None = None) -> HeadlessRun:
    """Run one session to its end: the source's end, `duration_s` of session time (of the clock, plus a
    grace, when frames stop coming), or a stop signal. With "I just asked" marks at the session times
    `asked_at` and, given `record`, a recording into a new folder there. Moments go to `out` as JSON lines,
    notes to `err` (stdout and stderr)."""
    out, err = out or sys.stdout, err or sys.stderr
    events: queue.SimpleQueue[LiveEvent] = queue.SimpleQueue()
    result = HeadlessRun()
    gatherer = Gatherer(result, out, err)
    session: LiveSession

    opened_at: list[float] = []  # the clock when the source first opened

    def on_event(event: LiveEvent) -> None:  # in the session's threads
        if isinstance(event, FrameTracked) and duration_s is not None and event.t_s >= duration_s:
            session.request_stop(finish=True)  # no frame past the duration is tracked
        elif isinstance(event, SourceOpened) and not opened_at:
            opened_at.append(time.monotonic())
        events.put(event)

    session = LiveSession(choice.opener(*CAMERA_SIZE, CAMERA_FPS), settings, model, on_event=on_event,
                          retry_s=RETRY_S if choice.is_camera else None, preview=False, call_video=choice.is_screen)

    def stop(signum: int, frame_: FrameType | None) -> None:
        result.interrupted = True
        session.request_stop(finish=True)
        for s in STOP_SIGNALS:  # a second Ctrl-C is the hard way out
            signal.signal(s, signal.SIG_DFL)

    in_main = threading.current_thread() is threading.main_thread()
    previous = {s: signal.signal(s, stop) for s in STOP_SIGNALS} if in_main else {}
    try:
        for t in asked_at:
            session.mark(at_s=t)
        if record is not None:
            session.start_recording(record)
        session.start()
        while not result.reason:
            try:
                event = events.get(timeout=EVENT_WAIT_S)
            except queue.Empty:
                event = None
            if duration_s is not None and opened_at and time.monotonic() - opened_at[0] > duration_s + DURATION_GRACE_S:
                session.request_stop(finish=True)
            if event is not None:
                dispatch(event, gatherer)
            if result.recording_failed:  # a scripted run asked for the recording: it ends with it
                session.request_stop(finish=True)
        session.join()
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
    return result


class Gatherer:
    """Takes a headless session's events on the main thread: gathers them into `result`, prints
    moments to `out` as JSON lines and notes to `err`."""

    def __init__(self, result: HeadlessRun, out: TextIO, err: TextIO):
        self.result, self.out, self.err = result, out, err

    def _note(self, text: str) -> None:
        print(f"glimpse: {text}", file=self.err, flush=True)

    def on_frame_tracked(self, event: FrameTracked) -> None:
        result = self.result
        if not len(result.frames):
            self._note("tracking; Ctrl-C ends the session and writes what was found")
        result.frames.append(event.features)
        result.dropped, result.repeats = event.stats.dropped, event.stats.repeats
        if event.features.face:
            result.face_px.append(event.features.face_px)

    def on_frame_ready(self, event: FrameReady) -> None:
        pass  # a headless session has no preview

    def on_moment_found(self, event: MomentFound) -> None:
        self.result.moments.append(event.moment)
        self._print_line(json.dumps(event.moment.to_dict()))

    def on_source_opened(self, event: SourceOpened) -> None:
        self.result.info = event.info

    def on_marked(self, event: Marked) -> None:
        self.result.marks.append(event.t_s)

    def on_recording_changed(self, event: RecordingChanged) -> None:
        if event.folder is not None:
            self.result.recordings.append(event.folder)
            self._note(f"recording into {event.folder}")

    def on_error_reported(self, event: ErrorReported) -> None:
        if event.fatal:
            self.result.fatal = self.result.fatal or event.message
        else:  # the one kind of error live mode goes on after: the recording's
            self.result.recording_failed = self.result.recording_failed or event.message
            self._note(event.message)

    def on_source_lost(self, event: SourceLost) -> None:
        self._note(f"{event.reason}; trying to reconnect")

    def on_source_back(self, event: SourceBack) -> None:
        self._note("the camera is back")

    def on_call_paused(self, event: CallPaused) -> None:
        self._note(f"the call video paused at {event.t_s:.1f} s")

    def on_call_resumed(self, event: CallResumed) -> None:
        self.result.pauses.append(event.paused_s)
        self._note(f"the call video moves again ({event.paused_s:.1f} s frozen)")

    def on_rate_notice(self, event: RateNotice) -> None:  # the session says it once
        self._note(f"{event.message} (the others are skipped evenly)")

    def on_stopped(self, event: Stopped) -> None:
        self.result.reason = event.reason

    def _print_line(self, line: str) -> None:
        """A moment on standard output; when that refuses (a full disk), said once and the run goes on (the
        moments are still written to --out)."""
        if self.result.stdout_failed:
            return
        try:
            print(line, file=self.out, flush=True)
        except OSError as exc:
            self.result.stdout_failed = True
            self._note(f"standard output refused the moments ({os_words(exc)}); they are still written to "
                       "--out when given")
