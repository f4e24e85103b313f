"""Opening recordings for replay: a video file (features from the cache, or tracked then cached) or
a recorded session folder (features saved while recording, and its own record of what live
showed), analysed with the same functions `glimpse analyze` uses. These are the jobs the replay page
runs off the GUI thread; no Qt here.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from app.errors import Cancelled
from app.run.pipeline import Analysis, analyze
from app.run.tracked import features_for
from app.settings.schema import Settings
from app.sources.capture import VIDEO_EXTENSIONS
from app.sources.video import Segment
from app.spotting.spotter import Moment
from app.store.cache import cache_path
from app.store.marks import legacy_review_path_for_video, review_path_for_session, review_path_for_video
from app.store.session import open_session
from app.system.files import caching_on, private_dir


@dataclass(frozen=True)
class LiveRecord:
    """What a recorded session showed live, from its own record: every moment live reported (the
    prompted ones with the question shown), the settings each was spotted with (None in sessions
    recorded before they were kept), and the listener's settings when recording started."""

    moments: tuple[Moment, ...]
    in_force: tuple[Settings | None, ...]
    base: Settings

    @property
    def prompts(self) -> tuple[Moment, ...]:
        return tuple(m for m in self.moments if m.prompted)


@dataclass
class Recording:
    """An opened video or session, analysed: what the page shows. `tracked` is False when the
    features came from the cache (or the session folder)."""

    path: Path
    segments: list[Segment]
    analysis: Analysis
    review_path: Path | None  # None: marks are not kept (caching is off)
    asked_s: tuple[float, ...] = ()
    review_fallback: Path | None = None  # where an older version kept the marks
    tracked: bool = False
    notes: tuple[str, ...] = ()
    timings: dict = field(default_factory=dict)
    live: LiveRecord | None = None  # a session's own record; None for a video file (what-if only)
    missing: str | None = None  # a damaged session: what could not be opened, in one plain message

    @property
    def name(self) -> str:
        return self.path.name


def load_video(path: Path, settings: Settings, model_path: str | None,
               progress: Callable[[int, int], None], cancel: threading.Event) -> Recording:
    """The job behind opening a video file: features from the cache, or tracked (landmarks kept for the
    overlay) and then cached."""
    t0 = time.perf_counter()
    video = features_for(path, model_path, caching_on(), keep_landmarks=True, progress=progress, cancel=cancel)
    review = fallback = None  # marks are not kept with caching off
    if video.digest is not None:
        review = review_path_for_video(video.digest)
        fallback = legacy_review_path_for_video(cache_path(path, digest=video.digest))
        private_dir(review.parent)  # where the marks go: owner-only like the cache
    if cancel.is_set():
        raise Cancelled(f"opening {path.name} was cancelled")
    t1 = time.perf_counter()
    analysis = analyze(str(path), settings, model_path, table=video.table)
    timings = {"features_s": t1 - t0, "spot_s": time.perf_counter() - t1, "frames": len(video.table)}
    times = np.asarray(video.table.t_s, np.float64)
    return Recording(path, [Segment(path, 0, times)], analysis, review, review_fallback=fallback,
                     tracked=not video.from_cache, timings=timings)


def load_session(folder: Path, settings: Settings, model_path: str | None,
                 progress: Callable[[int, int], None], cancel: threading.Event) -> Recording:
    """The job behind opening a recorded session folder (its features were saved while recording)."""
    session = open_session(folder)
    if cancel.is_set():
        raise Cancelled(f"opening {folder.name} was cancelled")
    analysis = analyze(str(folder), settings, model_path, table=session.table, breaks=session.breaks)
    segments = [Segment(path, first, np.arange(n) / session.fps)  # the segment files' own (nominal) times
                for path, first, n in zip(session.segments, session.first_row, session.segment_frames,
                                            strict=False)]  # first_row is (0,) even with no segment
    in_force = session.moment_settings or (None,) * len(session.moments)
    missing = session.missing_message  # first among the notes: the page says what could not be opened
    return Recording(folder, segments, analysis, review_path_for_session(folder), session.marks,
                     notes=((missing,) if missing else ()) + session.notes, missing=missing,
                     live=LiveRecord(session.moments, in_force, session.settings))


def openable(path: Path) -> bool:
    return path.is_dir() or path.suffix.lower() in VIDEO_EXTENSIONS
