"""A live session without a window: source -> face stage (tracking, measurements) -> moment stage
(spotting, prompts), through `LivePipeline` (app/run/pipeline.py).

Two Python threads per session. The capture thread reads the source and puts each
frame in a one-slot box (a frame the tracker had no time for is replaced and
counted as dropped, so there is never a backlog). The tracking thread runs the
live pipeline on the newest frame, writes the recording if one is on, and, when
a preview is wanted, puts a small packet for it in another one-slot box; it
reports `FrameReady` only when that box goes from empty to full, so at most one
notification is in flight and the viewer takes the newest packet when it is ready.

Everything the listener asks for ("I just asked", recording on/off, new settings)
is queued as a command and applied by the tracking thread between frames (new settings
are swapped into the moment stage there, never mid-frame). What
happens is reported as small frozen events through one callback, called in the
session's threads: the Qt worker turns them into signals, `glimpse live
--no-window` prints them. Every error in either thread is reported; fatal ones
end the session with `Stopped(FAILED)`.

A camera lost mid-session (given `retry_s`) is not fatal: the tracking thread
reports `SourceLost`, ends the face run and finishes the recording's segment
under way (nothing recorded is at risk while the camera is away), and the
capture thread reopens the camera with backoff; when frames come again
`SourceBack` follows and the session, and its recording, go on.

Watching a video call (`call_video`, a screen source), each grab goes through the call-video
filter first (`app/sources/callvideo.py`): a repeated picture is not tracked, and a freeze is reported
(`CallPaused`, then `CallResumed`) and breaks the face run, so it never makes a moment. No Qt here.
"""

from __future__ import annotations

import collections
import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from app.errors import GlimpseError
from app.prompts.asked import AskedWindow
from app.run.events import (
    CallPaused,
    CallResumed,
    ErrorReported,
    FrameReady,
    FrameTracked,
    LiveEvent,
    LivePacket,
    LiveStats,
    Marked,
    MomentFound,
    RateNotice,
    RecordingChanged,
    SourceBack,
    SourceLost,
    SourceOpened,
    Stopped,
)
from app.run.pipeline import LivePipeline, LiveResult, watch_call
from app.settings.schema import Settings
from app.sources.callvideo import CallVideoFilter
from app.sources.capture import Frame, FrameSource, ReconnectingSource, SourceInfo
from app.sources.screen import Region
from app.spotting.spotter import Moment
from app.store.session import SessionWriter

log = logging.getLogger(__name__)

STOPPED, ENDED, FAILED = "stopped", "ended", "failed"
STALL_S = 2.0  # with reconnection on: no frame for this long is shown as a lost camera, even while a read hangs
POLL_S = 0.05  # the threads look at the stop flag (and the tracker for a new frame) this often
RATE_WINDOW_S = 1.0  # the tracking rate is counted over this much recent time
LATENCY_SMOOTHING = 0.2  # weight of the newest frame in the smoothed latency
LATE_WINDOW_S = 60.0  # late (dropped) frames are counted over this much recent time, not since the start
SLOW_FOR_S = 3.0  # tracking is judged over spans this long...
SLOW_SPANS = 2  # ...and must fall behind in this many in a row before the listener is told (once): not at start-up
SLOW_SHARE = 0.95  # keeping fewer than this share of the frames the source offered is falling behind

PipelineFactory = Callable[[Settings, str | Path | None], LivePipeline]  # (settings, model path)
WriterFactory = Callable[[Path, SourceInfo, Settings], SessionWriter]  # (root, source, listener's settings)


def open_writer(root: Path, info: SourceInfo, settings: Settings) -> SessionWriter:
    """A recording into a new folder under `root`; the caller has confirmed the person's consent."""
    return SessionWriter(root, info, settings, consent_confirmed=True)


class LatestSlot:
    """A one-item box where the newest item wins. `put` says whether the box was empty (so the
    producer knows to notify), `take` empties it; `replaced` counts items nobody took."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._item: Any = None
        self._full = False
        self.replaced = 0

    def put(self, item: Any) -> bool:
        with self._cond:
            was_empty = not self._full
            if self._full:
                self.replaced += 1
            self._item, self._full = item, True
            self._cond.notify()
            return was_empty

    def take(self, timeout: float | None = None) -> Any:
        """The newest item, or None when there is none (after waiting up to `timeout` seconds)."""
        with self._cond:
            if not self._full and timeout:
                self._cond.wait(timeout)
            if not self._full:
                return None
            item, self._item, self._full = self._item, None, False
            return item


def fit(image_bgr: np.ndarray, box: tuple[int, int] | None) -> np.ndarray:
    """RGB copy of the image, shrunk to fit `box` (w, h) when it is larger (never enlarged)."""
    h, w = image_bgr.shape[:2]
    if box and box[0] > 0 and box[1] > 0:
        scale = min(box[0] / w, box[1] / h)
        if scale < 1.0:
            size = (max(1, int(w * scale)), max(1, int(h * scale)))
            image_bgr = cv2.resize(image_bgr, size, interpolation=cv2.INTER_AREA)
    return cv2.cvtColor(image_bgr, cv2.COLOR_BGR2RGB)


class _Rate:
    """Frames per second over a sliding window, a smoothed latency, and the frames dropped lately."""

    def __init__(self) -> None:
        self._times: list[float] = []
        self._dropped: collections.deque[tuple[float, int]] = collections.deque()  # (time, dropped so far)
        self.latency_ms = 0.0

    def late(self, now: float, dropped: int) -> int:
        """Frames dropped within the last LATE_WINDOW_S, from the running total `dropped`."""
        self._dropped.append((now, dropped))
        while len(self._dropped) > 1 and now - self._dropped[1][0] >= LATE_WINDOW_S:
            self._dropped.popleft()  # keep one sample at or just past the window's start
        oldest_t, oldest = self._dropped[0]
        return dropped - oldest if now - oldest_t >= LATE_WINDOW_S else dropped

    def add(self, now: float, latency_s: float) -> float:
        self._times.append(now)
        while self._times and now - self._times[0] > RATE_WINDOW_S:
            self._times.pop(0)
        latency_ms = 1000.0 * latency_s
        self.latency_ms += LATENCY_SMOOTHING * (latency_ms - self.latency_ms) if self.latency_ms else latency_ms
        if len(self._times) < 2:
            return 0.0
        return (len(self._times) - 1) / max(self._times[-1] - self._times[0], 1e-6)


class _SlowWatch:
    """Tells once when tracking keeps fewer than SLOW_SHARE of the frames offered in SLOW_SPANS
    spans of SLOW_FOR_S in a row (the first frames, slow while the model warms up, are not enough);
    a source that only delivers slowly drops nothing and is not falling behind."""

    def __init__(self) -> None:
        self._start: tuple[float, int, int] | None = None  # (time, tracked, dropped) at the span's start
        self._slow: list[tuple[float, int, int]] = []  # (span, kept, lost) of the slow spans in a row
        self.told = False

    def update(self, now: float, tracked: int, dropped: int) -> RateNotice | None:
        if self.told:
            return None
        if self._start is None:
            self._start = (now, tracked, dropped)
            return None
        t0, tracked0, dropped0 = self._start
        span = now - t0
        if span < SLOW_FOR_S:
            return None
        self._start = (now, tracked, dropped)
        kept, lost = tracked - tracked0, dropped - dropped0
        if lost <= 0 or kept >= SLOW_SHARE * (kept + lost):
            self._slow = []
            return None
        self._slow.append((span, kept, lost))
        if len(self._slow) < SLOW_SPANS:
            return None
        self.told = True
        span, kept, lost = (sum(x) for x in zip(*self._slow, strict=True))
        return RateNotice(kept / span, (kept + lost) / span)


class LiveSession:
    """One live session: open the source, track every frame it can, report through `on_event`."""

    def __init__(self, open_source: Callable[[], FrameSource], settings: Settings,
                 model_path: str | Path | None = None, on_event: Callable[[LiveEvent], None] | None = None,
                 retry_s: Sequence[float] | None = None, preview: bool = True, call_video: bool = False,
                 pipeline_factory: PipelineFactory = LivePipeline, writer_factory: WriterFactory = open_writer):
        """`retry_s`: reopen a lost camera, waiting these times between attempts (see
        `ReconnectingSource`); None ends the session on the first `CameraLost`. `preview`: fit
        each frame for `take()` (a window wants it; a headless run does not). `call_video`: the
        source is a video call on the screen (repeats skipped, freezes reported). The factories make
        the pipeline (in the tracking thread) and each recording's writer."""
        self._open_source = open_source
        self._pipeline_factory, self._writer_factory = pipeline_factory, writer_factory
        self._on_event = on_event or (lambda event: None)
        self._retry_s = tuple(retry_s) if retry_s else None
        self._preview = preview
        self._call = CallVideoFilter() if call_video else None
        self._call_paused = False
        self._lost_epoch = 0  # counts losses reported by the capture thread
        self._lost_reason = ""
        self._model_path = model_path
        self._asked = AskedWindow(settings)
        self._in_force = self._asked.settings_at(0.0)  # what the spotter uses now (tracking thread)
        self._due_marks: list[float] = []  # scripted "I just asked" marks not reached yet
        self._stop = threading.Event()
        self._finish_on_stop = False
        self._capture_done = threading.Event()
        self._tracker_ready = threading.Event()
        self._frames = LatestSlot()
        self._packets = LatestSlot()
        self._commands: queue.SimpleQueue[tuple[Any, ...]] = queue.SimpleQueue()
        self._failed = False
        self._source: FrameSource | None = None
        self._writer: SessionWriter | None = None
        self._threads: list[threading.Thread] = []
        self.preview_size: tuple[int, int] | None = None  # set by the viewer; read by the tracking thread
        self.info: SourceInfo | None = None

    # -- the listener's side ----------------------------------------------------------------------

    def start(self) -> None:
        if self._threads:
            raise RuntimeError("a live session runs once; make a new one for a new session")
        self._threads = [threading.Thread(target=self._capture, name="glimpse-capture"),
                         threading.Thread(target=self._track, name="glimpse-tracking")]
        for t in self._threads:
            t.start()

    def request_stop(self, finish: bool = False) -> None:
        """Returns at once; `Stopped` follows when the threads are done. `finish`: also report the
        moments still under way, as at the end of a file (a window does not want them, a run that
        writes its moments down does)."""
        self._finish_on_stop = self._finish_on_stop or finish
        self._stop.set()

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the threads (only at exit, in tests or headless: a GUI never waits on the camera)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        for t in self._threads:
            t.join(None if deadline is None else max(0.0, deadline - time.monotonic()))
        return not self.is_alive()

    def is_alive(self) -> bool:
        return any(t.is_alive() for t in self._threads)

    def take(self) -> LivePacket | None:
        return self._packets.take()

    def mark(self, at_s: float | None = None) -> None:
        """"I just asked": attentive spotting from the next frame on, or from session time `at_s`
        (a scripted mark, applied at the first frame at or after it)."""
        self._commands.put(("mark", at_s))

    def start_recording(self, root: Path) -> None:
        """Record from the next frame on; the caller has confirmed the person's consent."""
        self._commands.put(("record", Path(root)))

    def stop_recording(self) -> None:
        self._commands.put(("stop_record",))

    def set_settings(self, settings: Settings) -> None:
        self._commands.put(("settings", settings))

    def set_screen_region(self, region: Region) -> None:
        """A screen source watches `region` from its next grab on (the listener moved the frame)."""
        set_region = getattr(self._source, "set_region", None)
        if set_region is not None:
            set_region(region)

    # -- threads ----------------------------------------------------------------------------------

    def _report(self, exc: BaseException, fatal: bool) -> None:
        if isinstance(exc, GlimpseError):
            message = str(exc)
        else:
            log.error("live session error", exc_info=exc)
            message = f"Something went wrong in live mode ({type(exc).__name__}: {exc})"
        if fatal:
            if self._failed:
                return  # the first fatal error is the one to show
            self._failed = True
            self._stop.set()
        self._on_event(ErrorReported(message, fatal))

    def _capture(self) -> None:
        try:
            source: FrameSource
            if self._retry_s:
                self._source = source = ReconnectingSource(self._open_source, self._stop, self._retry_s,
                                                           on_lost=self._capture_lost)
            else:
                self._source = source = self._open_source()
            self.info = source.info
            self._on_event(SourceOpened(source.info))
            # a paced file starts its clock on the first frame: wait until the tracker is loaded,
            # or the first second would be dropped while the model loads
            while not self._tracker_ready.wait(POLL_S):
                if self._stop.is_set():
                    return
            frames = iter(source)
            try:
                for frame in frames:
                    if self._stop.is_set():
                        break
                    self._frames.put((frame, time.monotonic(), self._lost_epoch))
            finally:
                close = getattr(frames, "close", None)
                if close is not None:
                    close()
        except Exception as exc:  # noqa: BLE001 - every error is reported
            self._report(exc, fatal=True)
        finally:
            if self._source is not None:
                self._source.close()
            self._capture_done.set()

    def _capture_lost(self, message: str) -> None:
        """Called in the capture thread by the reconnecting source; acted on by the tracking thread."""
        self._lost_reason = message
        self._lost_epoch += 1

    def _track(self) -> None:
        pipeline: LivePipeline | None = None
        reason = STOPPED
        try:
            pipeline = self._pipeline_factory(self._in_force, self._model_path)
            self._tracker_ready.set()
            rate, slow, tracked = _Rate(), _SlowWatch(), 0
            epoch, lost, last_t, last_at = 0, False, None, time.monotonic()
            while not self._stop.is_set():
                item = self._frames.take(timeout=POLL_S)
                if self._lost_epoch != epoch:  # the capture thread lost the camera
                    epoch = self._lost_epoch
                    if not lost:
                        lost = True
                        self._source_lost(pipeline, last_t, self._lost_reason)
                elif (item is None and self._retry_s and not lost and last_t is not None
                      and not self._capture_done.is_set() and time.monotonic() - last_at > STALL_S):  # a hung read
                    lost = True
                    name = self.info.name if self.info else "the camera"
                    self._source_lost(pipeline, last_t, f"no frame from {name} for {time.monotonic() - last_at:.1f} s")
                if item is None:
                    if self._capture_done.is_set():
                        item = self._frames.take()  # the last frame may have come with the end
                        if item is None:
                            reason = STOPPED if self._stop.is_set() else ENDED
                            break
                    else:
                        if lost and last_t is not None:  # the camera is away: "stop recording" still works
                            self._apply_commands(last_t, pipeline)
                        continue
                frame, captured_at, frame_epoch = item
                if frame_epoch != epoch:
                    continue  # taken before the loss was noticed: its run is already closed
                last_t, last_at = frame.t_s, time.monotonic()
                if lost:
                    lost = False
                    self._on_event(SourceBack())
                self._apply_commands(frame.t_s, pipeline)
                result = pipeline.process(frame) if self._call is None else self._watch_call(pipeline, frame,
                                                                                             captured_at)
                if result is None:
                    continue  # a repeated picture of the call: not a new observation
                self._record(result)
                now = time.monotonic()
                dropped = self._dropped()
                stats = LiveStats(rate.add(now, now - captured_at), dropped, rate.latency_ms, frame.index + 1,
                                  rate.late(now, dropped), LATE_WINDOW_S,
                                  self._call.repeats if self._call is not None else 0)
                self._handle(result, stats, captured_at)
                tracked += 1
                notice = slow.update(now, tracked, dropped)
                if notice is not None:
                    self._on_event(notice)
            if not self._failed and (reason == ENDED or self._finish_on_stop):
                for m in pipeline.finish():
                    self._moment(m, m.end_s, time.monotonic())
        except Exception as exc:  # noqa: BLE001 - every error is reported
            self._report(exc, fatal=True)
        finally:
            self._stop.set()
            for t in self._threads:
                if t is not threading.current_thread():
                    t.join()  # the capture thread: at most one frame interval away
            self._close_recording()
            if pipeline is not None:
                pipeline.close()
            self._on_event(Stopped(FAILED if self._failed else reason))

    def _source_lost(self, pipeline: LivePipeline, last_t: float | None, message: str) -> None:
        """End the face run (its moment under way is kept) and put the recording's segment under way
        safely on disk; then report the loss."""
        if last_t is not None:
            for m in pipeline.break_run():
                self._moment(m, last_t, time.monotonic())
            self._to_recording(lambda w: w.source_lost(last_t, message))
        self._on_event(SourceLost(message))

    def _watch_call(self, pipeline: LivePipeline, frame: Frame, captured_at: float) -> LiveResult | None:
        """One grab of call video: None for a repeat; a pause is reported and ends the face run."""
        assert self._call is not None  # only screen sources come here
        decision, result, moments = watch_call(pipeline, self._call, frame)
        if decision.paused and not decision.new and not self._call_paused:
            self._call_paused = True
            self._on_event(CallPaused(frame.t_s))
        if decision.break_run:
            self._call_paused = False
            self._to_recording(lambda w: w.add_pause(frame.t_s))  # a replay breaks the run there too
            self._on_event(CallResumed(frame.t_s, decision.held_s))
        ended = moments if result is None else moments[:len(moments) - len(result.moments)]
        for m in ended:  # under way before the pause: wholly measured before it
            self._moment(m, frame.t_s, captured_at)
        report_face = getattr(self._source, "report_face", None)  # a monitor's face is searched again when lost
        if result is not None and report_face is not None:
            report_face(result.features.face)
        return result

    def _dropped(self) -> int:
        return self._frames.replaced + int(getattr(self._source, "dropped", 0))

    def _apply_commands(self, t_s: float, pipeline: LivePipeline) -> None:
        while True:
            try:
                command, *args = self._commands.get_nowait()
            except queue.Empty:
                break
            if command == "mark":
                if args[0] is None:
                    self._mark(t_s, pipeline)
                else:
                    self._due_marks = sorted([*self._due_marks, float(args[0])])
            elif command == "record":
                self._open_recording(args[0], t_s)
            elif command == "stop_record":
                self._close_recording()
            elif command == "settings":
                self._asked.set_base(args[0])
        while self._due_marks and self._due_marks[0] <= t_s:
            self._mark(self._due_marks.pop(0), pipeline)
        wanted = self._asked.settings_at(t_s)
        if wanted is not pipeline.settings:
            pipeline.set_settings(wanted)
            self._in_force = wanted
            self._to_recording(lambda w: w.add_settings(t_s, wanted))  # a replay applies them at the same frame

    def _mark(self, t_s: float, pipeline: LivePipeline) -> None:
        self._asked.mark(t_s)
        # a prompt shown just before the question must not silence the attentive window it opens
        pipeline.lift_cooldown()
        self._to_recording(lambda w: w.add_mark(t_s))
        self._on_event(Marked(t_s))

    def _open_recording(self, root: Path, t_s: float) -> None:
        if self._writer is not None:
            return
        try:
            if self.info is None:  # cannot happen: commands are applied to frames, after the source opened
                raise RuntimeError("recording asked for before the source opened")
            self._writer = self._writer_factory(root, self.info, self._asked.base)
            self._writer.add_settings(t_s, self._in_force)
        except Exception as exc:  # noqa: BLE001 - no recording, but live mode goes on
            self._report(exc, fatal=False)
            self._on_event(RecordingChanged(None))
            return
        self._on_event(RecordingChanged(self._writer.folder))

    def _close_recording(self) -> None:
        writer, self._writer = self._writer, None
        if writer is None:
            return
        try:
            writer.close()
        except Exception as exc:  # noqa: BLE001
            self._report(exc, fatal=False)
        self._on_event(RecordingChanged(None))

    def _record(self, result: LiveResult) -> None:
        self._to_recording(lambda w: w.add_frame(result.frame, result.features))

    def _to_recording(self, write: Callable[[SessionWriter], None]) -> None:
        """Hand something to the recording, when one is on. A write that fails (a full disk) stops the
        recording, not live mode, with one sentence (the writer marks the session ended)."""
        if self._writer is None:
            return
        try:
            write(self._writer)
        except Exception as exc:  # noqa: BLE001 - whatever the disk says, live mode goes on
            self._report(exc, fatal=False)
            self._close_recording()

    def _handle(self, result: LiveResult, stats: LiveStats, captured_at: float) -> None:
        """Report the frame and its moments, and hand the preview its packet."""
        frame, features = result.frame, result.features
        attentive_s = self._asked.remaining_s(frame.t_s)
        self._on_event(FrameTracked(frame.index, frame.t_s, features, stats, attentive_s))
        for m in result.moments:
            self._moment(m, frame.t_s, captured_at)
        if self._preview:
            landmarks = features.landmarks
            packet = LivePacket(frame.index, frame.t_s, fit(frame.image, self.preview_size),
                                None if landmarks is None else landmarks[:, :2].copy(), features.face, stats,
                                attentive_s, captured_at, features.face_px)
            if self._packets.put(packet):
                self._on_event(FrameReady())

    def _moment(self, m: Moment, t_s: float, captured_at: float) -> None:
        self._to_recording(lambda w: w.add_moment(m, self._in_force))
        self._on_event(MomentFound(m, t_s, captured_at))
