"""What a live session reports: small frozen events, delivered in the session's threads through
its one callback, and the stats and preview packet they carry. No Qt here; the Qt worker turns
each event into a signal.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

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
    face_px: float = 0.0  # the face's height in the frame, pixels (0 without a face)


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
