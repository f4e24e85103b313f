"""A whole headless live session over a clip, timed: CPU (all threads), tracked frames, drops, the
intervals between tracked frames, the rate notice, and the features' and spotter's own CPU per frame.

The session is the real `LiveSession` (capture thread, newest-frame slot, tracking thread, the
live pipeline with tracker, features, spotter and prompt policy), without a preview. The pipeline
is the real `LivePipeline` (given to the session as its `pipeline_factory`) with its extractor's,
spotter's and policy's `update` wrapped to add up their thread CPU time (the tracking thread's own;
a microsecond a call).
"""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from app.run.events import FrameTracked, LiveEvent, RateNotice, Stopped
from app.run.live import LiveSession
from app.run.pipeline import LivePipeline
from app.settings.schema import Settings
from app.sources.capture import FrameSource
from bench.live.clips import Cost, raw

SESSION_TIMEOUT_S = 600.0
LOCKSTEP_WAIT_S = 2.0  # a lockstep source gives up waiting for the tracker after this long (never, in practice)


class Lockstep:
    """A source that hands over its next frame only once the session has tracked the previous one:
    unpaced, yet nothing is dropped, so the session handles exactly the source's frames."""

    def __init__(self, source: FrameSource):
        self._source = source
        self.info = source.info
        self._tracked = -1
        self._cond = threading.Condition()

    def tracked(self, index: int) -> None:
        with self._cond:
            self._tracked = index
            self._cond.notify_all()

    def __iter__(self):
        for frame in self._source:
            with self._cond:
                self._cond.wait_for(lambda: self._tracked >= frame.index - 1, LOCKSTEP_WAIT_S)  # noqa: B023 - called here, this iteration
            yield frame

    def close(self) -> None:
        self._source.close()


class TimedPipeline(LivePipeline):
    """The live pipeline, adding up the CPU its features and spotting take (the last one made)."""

    last: TimedPipeline | None = None

    def __init__(self, settings: Settings | None = None, model_path=None):
        super().__init__(settings, model_path)
        self.cpu_s = {"features": 0.0, "spotting": 0.0}
        self.frames = 0
        extractor, spotter, policy = self.face.extractor, self.moments.spotter, self.moments.policy
        extractor.update = self._timed(extractor.update, "features")
        spotter.update = self._timed(spotter.update, "spotting")
        policy.update = self._timed(policy.update, "spotting")  # the prompt decision
        TimedPipeline.last = self

    def _timed(self, fn: Callable, name: str) -> Callable:
        def timed(*args, **kwargs):
            t0 = time.thread_time()
            try:
                return fn(*args, **kwargs)
            finally:
                self.cpu_s[name] += time.thread_time() - t0

        return timed

    def process(self, frame):
        self.frames += 1
        return super().process(frame)

    def ms_per_frame(self, name: str) -> float:
        return 1000.0 * self.cpu_s[name] / self.frames if self.frames else float("nan")


@dataclass
class LiveRun:
    cost: Cost  # frames tracked, wall and CPU from start() to Stopped
    dropped: int
    dropped_by_source: int  # of which the source skipped (a paced file late to deliver), the rest the slot replaced
    t_s: list[float] = field(default_factory=list)  # media time of each tracked frame
    notices: list[RateNotice] = field(default_factory=list)
    features_ms: float = float("nan")
    spotting_ms: float = float("nan")

    @property
    def tracked_fps(self) -> float:
        """Tracked frames per second of media time (a paced source: per second of real time)."""
        span = self.t_s[-1] - self.t_s[0] if len(self.t_s) > 1 else 0.0
        return (len(self.t_s) - 1) / span if span > 0 else 0.0

    def intervals_ms(self) -> np.ndarray:
        return 1000.0 * np.diff(self.t_s)


def run(open_source: Callable[[], FrameSource], settings: Settings) -> LiveRun:
    """Run one session to the source's end; measured from `start()` to `Stopped` (model set-up included).
    A `Lockstep` source is told of every tracked frame."""
    events: list[LiveEvent] = []
    done = threading.Event()
    opened: list[FrameSource] = []

    def open_and_keep() -> FrameSource:
        opened.append(open_source())
        return opened[-1]

    def on_event(event: LiveEvent) -> None:
        if isinstance(event, FrameTracked) and opened and isinstance(opened[0], Lockstep):
            opened[0].tracked(event.index)
        if isinstance(event, (FrameTracked, RateNotice, Stopped)):
            events.append(event)
        if isinstance(event, Stopped):
            done.set()

    session = LiveSession(open_and_keep, settings, on_event=on_event, preview=False, pipeline_factory=TimedPipeline)
    wall0, cpu0 = time.perf_counter(), time.process_time()
    session.start()
    if not done.wait(SESSION_TIMEOUT_S):
        session.request_stop()
        raise RuntimeError("the live session did not end")
    cost_wall, cost_cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    session.join(10.0)
    tracked = [e for e in events if isinstance(e, FrameTracked)]
    if not tracked:
        raise RuntimeError(f"the live session tracked nothing: {events[-1:]}")
    pipeline = TimedPipeline.last
    by_source = int(getattr(opened[0], "dropped", 0)) if opened else 0
    return LiveRun(Cost(len(tracked), cost_wall, cost_cpu), tracked[-1].stats.dropped, by_source,
                   [e.t_s for e in tracked],
                   [e for e in events if isinstance(e, RateNotice)],
                   pipeline.ms_per_frame("features") if pipeline else float("nan"),
                   pipeline.ms_per_frame("spotting") if pipeline else float("nan"))


def side_by_side(path, rounds: int, open_source: Callable[[], FrameSource],
                 said: Callable[[int, Cost, LiveRun], None]) -> tuple[list[Cost], list[LiveRun]]:
    """Raw MediaPipe over `path`, then a whole live session (default settings) over `open_source()`,
    round after round in this process, so each ratio compares runs the machine's load treated alike;
    `said(round, raw, live)` reports each round as it ends."""
    raws: list[Cost] = []
    lives: list[LiveRun] = []
    for r in range(rounds):
        gc.collect()
        raws.append(raw(path))
        gc.collect()
        lives.append(run(open_source, Settings()))
        said(r + 1, raws[-1], lives[-1])
    return raws, lives
