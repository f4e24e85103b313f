"""What a live session reports: small frozen events, delivered in the session's threads through
its one callback, and the stats and preview packet they carry.

`LiveEvent` is their union, and `dispatch(event, handler)` the one place that tells them apart: a
consumer implements `LiveEventHandler`, one method per event (the Qt worker turns each into a signal,
the headless run prints and gathers them). A new event is added to the union, to `dispatch` and to
the handler; mypy fails until all three and every consumer handle it. No Qt here.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, assert_never

import numpy as np

from app.face.features import FrameFeatures
from app.sources.capture import SourceInfo
from app.spotting.spotter import Moment


@dataclass(frozen=True)
class LiveStats:
    """Tracking rate (frames/s over the last second or so), frames dropped so far, the latency
    from the source delivering a frame to its result being ready (ms, smoothed), and the frames
    dropped ("late": the tracker had no time for them) within the last `late_window_s`."""

    fps: float = 0.0
    dropped: int = 0
    latency_ms: float = 0.0
    frames: int = 0
    late_recent: int = 0
    late_window_s: float = 60.0
    repeats: int = 0  # call video: grabs skipped because the picture had not changed


@dataclass(frozen=True)
class LivePacket:
    """What a preview and status line need from one tracked frame.

    image: (h, w, 3) uint8 RGB, already fitted to the preview's size;
    landmarks: (478, 2) float32 image-normalised, or None without a face.
    """

    index: int
    t_s: float
    image: np.ndarray
    landmarks: np.ndarray | None
    face: bool
    stats: LiveStats
    attentive_s: float
    captured_at: float  # time.monotonic() when the source delivered the frame
    face_px: float = 0.0  # the face's height in the frame, pixels (0 without a face)


@dataclass(frozen=True)
class SourceOpened:
    info: SourceInfo  # what the source actually delivers


@dataclass(frozen=True)
class FrameReady:
    """A packet waits in `LiveSession.take()` (sessions with a preview only)."""


@dataclass(frozen=True)
class FrameTracked:
    """One frame went through the pipeline (every frame, before its moments are reported)."""

    index: int
    t_s: float
    features: FrameFeatures
    stats: LiveStats
    attentive_s: float  # seconds of attentive spotting left ("I just asked")


@dataclass(frozen=True)
class MomentFound:
    """A completed moment (prompted or not), with the time and the capture clock (time.monotonic())
    of the frame that completed it: the spotter's own delay and the app's can be told apart."""

    moment: Moment
    t_s: float
    captured_at: float


@dataclass(frozen=True)
class Marked:
    t_s: float  # an "I just asked" mark, at this pipeline time


@dataclass(frozen=True)
class RecordingChanged:
    folder: Path | None  # the session folder when recording starts, None when it stops


@dataclass(frozen=True)
class ErrorReported:
    message: str  # for a person
    fatal: bool


@dataclass(frozen=True)
class SourceLost:
    reason: str  # the camera stopped delivering; the session keeps trying to reopen it


@dataclass(frozen=True)
class SourceBack:
    """Frames come again after `SourceLost`."""


@dataclass(frozen=True)
class CallPaused:
    """The watched call video froze (no new picture for longer than `callvideo.FREEZE_S`): nothing is
    measured until it moves again, and nothing measured before can join what comes after."""

    t_s: float


@dataclass(frozen=True)
class CallResumed:
    """A new picture after `CallPaused`; the face run starts afresh from it."""

    t_s: float
    paused_s: float  # how long the picture had been frozen


@dataclass(frozen=True)
class RateNotice:
    """Tracking keeps falling behind the source (said once a session): frames are dropped evenly,
    the newest wins. Rates in frames/s over the span that was measured."""

    tracked_fps: float
    source_fps: float

    @property
    def message(self) -> str:
        return f"Tracking keeps {self.tracked_fps:.0f} of {self.source_fps:.0f} frames a second"


@dataclass(frozen=True)
class Stopped:
    reason: str  # STOPPED, ENDED or FAILED; the session's threads are done (or about to be)


LiveEvent = (SourceOpened | FrameReady | FrameTracked | MomentFound | Marked | RecordingChanged | ErrorReported
             | SourceLost | SourceBack | CallPaused | CallResumed | RateNotice | Stopped)


class LiveEventHandler(Protocol):
    """A consumer of a live session's events: one method per event, called by `dispatch`."""

    def on_frame_tracked(self, event: FrameTracked) -> None: ...
    def on_frame_ready(self, event: FrameReady) -> None: ...
    def on_moment_found(self, event: MomentFound) -> None: ...
    def on_source_opened(self, event: SourceOpened) -> None: ...
    def on_marked(self, event: Marked) -> None: ...
    def on_recording_changed(self, event: RecordingChanged) -> None: ...
    def on_error_reported(self, event: ErrorReported) -> None: ...
    def on_source_lost(self, event: SourceLost) -> None: ...
    def on_source_back(self, event: SourceBack) -> None: ...
    def on_call_paused(self, event: CallPaused) -> None: ...
    def on_call_resumed(self, event: CallResumed) -> None: ...
    def on_rate_notice(self, event: RateNotice) -> None: ...
    def on_stopped(self, event: Stopped) -> None: ...


def dispatch(event: LiveEvent, handler: LiveEventHandler) -> None:
    """Hand `event` to the handler's method for its kind (the per-frame events first: they are most)."""
    match event:
        case FrameTracked():
            handler.on_frame_tracked(event)
        case FrameReady():
            handler.on_frame_ready(event)
        case MomentFound():
            handler.on_moment_found(event)
        case SourceOpened():
            handler.on_source_opened(event)
        case Marked():
            handler.on_marked(event)
        case RecordingChanged():
            handler.on_recording_changed(event)
        case ErrorReported():
            handler.on_error_reported(event)
        case SourceLost():
            handler.on_source_lost(event)
        case SourceBack():
            handler.on_source_back(event)
        case CallPaused():
            handler.on_call_paused(event)
        case CallResumed():
            handler.on_call_resumed(event)
        case RateNotice():
            handler.on_rate_notice(event)
        case Stopped():
            handler.on_stopped(event)
        case _:
            assert_never(event)
