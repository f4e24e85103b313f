"""The live worker: capture and tracking off the GUI thread, newest frame wins.

Two Python threads per session. The capture thread reads the source and puts each
frame in a one-slot box (a frame the tracker had no time for is replaced and
counted as dropped, so there is never a backlog). The tracking thread runs the
live pipeline on the newest frame, writes the recording if one is on, and puts
a small packet for the preview in another one-slot box; it signals the GUI only
when that box goes from empty to full, so at most one notification is in flight
and the GUI takes the newest packet when it is ready to paint.

Everything the GUI asks for ("I just asked", recording on/off, new settings) is
queued as a command and applied by the tracking thread between frames. Every
error in either thread reaches `error`; fatal ones end the session with
`stopped("failed")`.

A camera lost mid-session (given `retry_s`) is not fatal: the tracking thread
reports `source_lost`, ends the face run and finishes the recording's segment
under way (nothing recorded is at risk while the camera is away), and the
capture thread reopens the camera with backoff; when frames come again
`source_back` follows and the session, and its recording, go on.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import cv2
import numpy as np
from PySide6.QtCore import QObject, Signal

from ..capture import FrameSource, ReconnectingSource, SourceInfo
from ..errors import GlimpseError
from ..pipeline import LivePipeline, LiveResult
from ..session import SessionWriter
from ..settings import Settings
from ..asked import AskedWindow

log = logging.getLogger(__name__)

STOPPED, ENDED, FAILED = "stopped", "ended", "failed"
STALL_S = 2.0  # with reconnection on: no frame for this long is shown as a lost camera, even while a read hangs


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


@dataclass(frozen=True)
class LiveStats:
    """Tracking rate (frames/s over the last second or so), frames dropped so far, and the
    latency from the source delivering a frame to its result being ready (ms, smoothed)."""

    fps: float = 0.0
    dropped: int = 0
    latency_ms: float = 0.0
    frames: int = 0


@dataclass(frozen=True)
class LivePacket:
    """What the preview and status line need from one tracked frame.

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
    """Frames per second over a sliding second, and a smoothed latency."""

    def __init__(self) -> None:
        self._times: list[float] = []
        self.latency_ms = 0.0

    def add(self, now: float, latency_s: float) -> float:
        self._times.append(now)
        while self._times and now - self._times[0] > 1.0:
            self._times.pop(0)
        self.latency_ms += 0.2 * (1000.0 * latency_s - self.latency_ms) if self.latency_ms else 1000.0 * latency_s
        if len(self._times) < 2:
            return 0.0
        return (len(self._times) - 1) / max(self._times[-1] - self._times[0], 1e-6)


class LiveWorker(QObject):
    """One live session: open the source, track every frame it can, report on the GUI thread."""

    frame_ready = Signal()  # a packet is waiting in `take()`; at most one notification in flight
    source_opened = Signal(object)  # SourceInfo: what the source actually delivers
    # every completed Moment (prompted or not), with the time and the capture clock (time.monotonic())
    # of the frame that completed it: the spotter's own delay and the app's can be told apart
    moment = Signal(object, float, float)
    marked = Signal(float)  # an "I just asked" mark, at this pipeline time
    recording = Signal(object)  # the session folder when recording starts, None when it stops
    error = Signal(str)  # a message for a person
    source_lost = Signal(str)  # the camera stopped delivering (why); the worker keeps trying to reopen it
    source_back = Signal()  # frames come again after `source_lost`
    stopped = Signal(str)  # STOPPED, ENDED or FAILED; the worker's threads are done (or about to be)

    def __init__(self, open_source: Callable[[], FrameSource], settings: Settings,
                 model_path: str | Path | None = None, parent: QObject | None = None,
                 retry_s: Sequence[float] | None = None):
        """`retry_s`: reopen a lost camera, waiting these times between attempts (see
        `ReconnectingSource`); None ends the session on the first `CameraLost`."""
        super().__init__(parent)
        self._open_source = open_source
        self._retry_s = tuple(retry_s) if retry_s else None
        self._lost_epoch = 0  # counts losses reported by the capture thread
        self._lost_reason = ""
        self._model_path = model_path
        self._asked = AskedWindow(settings)
        self._stop = threading.Event()
        self._capture_done = threading.Event()
        self._tracker_ready = threading.Event()
        self._frames = LatestSlot()
        self._packets = LatestSlot()
        self._commands: queue.SimpleQueue = queue.SimpleQueue()
        self._failed = False
        self._source: FrameSource | None = None
        self._writer: SessionWriter | None = None
        self._threads: list[threading.Thread] = []
        self.preview_size: tuple[int, int] | None = None  # set by the view; read by the tracking thread
        self.info: SourceInfo | None = None

    # -- GUI side ------------------------------------------------------------------------------

    def start(self) -> None:
        if self._threads:
            raise RuntimeError("a LiveWorker runs once; make a new one for a new session")
        self._threads = [threading.Thread(target=self._capture, name="glimpse-capture"),
                         threading.Thread(target=self._track, name="glimpse-tracking")]
        for t in self._threads:
            t.start()

    def request_stop(self) -> None:
        """Returns at once; `stopped` follows when the threads are done."""
        self._stop.set()

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the threads (only at exit or in tests: the GUI never waits on the camera)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        for t in self._threads:
            t.join(None if deadline is None else max(0.0, deadline - time.monotonic()))
        return not self.is_alive()

    def is_alive(self) -> bool:
        return any(t.is_alive() for t in self._threads)

    def take(self) -> LivePacket | None:
        return self._packets.take()

    def mark(self) -> None:
        """"I just asked": attentive spotting from the next frame on."""
        self._commands.put(("mark",))

    def start_recording(self, root: Path) -> None:
        """Record from the next frame on; the listener has confirmed the person's consent."""
        self._commands.put(("record", Path(root)))

    def stop_recording(self) -> None:
        self._commands.put(("stop_record",))

    def set_settings(self, settings: Settings) -> None:
        self._commands.put(("settings", settings))

    # -- threads -------------------------------------------------------------------------------

    def _report(self, exc: BaseException, fatal: bool) -> None:
        if isinstance(exc, GlimpseError):
            message = str(exc)
        else:
            log.error("live worker error", exc_info=exc)
            message = f"Something went wrong in live mode ({type(exc).__name__}: {exc})"
        if fatal:
            if self._failed:
                return  # the first fatal error is the one to show
            self._failed = True
            self._stop.set()
        self.error.emit(message)

    def _capture(self) -> None:
        try:
            if self._retry_s:
                self._source = source = ReconnectingSource(self._open_source, self._stop, self._retry_s,
                                                           on_lost=self._capture_lost)
            else:
                self._source = source = self._open_source()
            self.info = source.info
            self.source_opened.emit(source.info)
            # a paced file starts its clock on the first frame: wait until the tracker is loaded,
            # or the first second would be dropped while the model loads
            while not self._tracker_ready.wait(0.05):
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
        except Exception as exc:  # noqa: BLE001 - every error reaches the GUI
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
        pipeline, reason = None, STOPPED
        try:
            pipeline = LivePipeline(self._asked.settings_at(0.0), self._model_path)
            self._tracker_ready.set()
            rate = _Rate()
            epoch, lost, last_t, last_at = 0, False, None, time.monotonic()
            while not self._stop.is_set():
                item = self._frames.take(timeout=0.05)
                if self._lost_epoch != epoch:  # the capture thread lost the camera
                    epoch = self._lost_epoch
                    if not lost:
                        lost = True
                        self._source_lost(pipeline, last_t, self._lost_reason)
                elif (item is None and self._retry_s and not lost and last_t is not None
                      and not self._capture_done.is_set() and time.monotonic() - last_at > STALL_S):  # a hung read
                    lost = True
                    self._source_lost(pipeline, last_t, f"no frame from {self.info.name if self.info else 'the camera'} "
                                                        f"for {time.monotonic() - last_at:.1f} s")
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
                    self.source_back.emit()
                self._apply_commands(frame.t_s, pipeline)
                result = pipeline.process(frame)
                self._handle(result, captured_at)
                now = time.monotonic()
                stats = LiveStats(rate.add(now, now - captured_at), self._dropped(), rate.latency_ms,
                                  frame.index + 1)
                self._publish(result, stats, captured_at)
            if reason == ENDED:
                for m in pipeline.finish():
                    self._moment(m, m.end_s, time.monotonic())
        except Exception as exc:  # noqa: BLE001 - every error reaches the GUI
            self._report(exc, fatal=True)
        finally:
            self._stop.set()
            for t in self._threads:
                if t is not threading.current_thread():
                    t.join()  # the capture thread: at most one frame interval away
            self._close_recording()
            if pipeline is not None:
                pipeline.close()
            self.stopped.emit(FAILED if self._failed else reason)

    def _source_lost(self, pipeline: LivePipeline, last_t: float | None, message: str) -> None:
        """End the face run (its moment under way is kept) and put the recording's segment under way
        safely on disk; then tell the GUI."""
        if last_t is not None:
            for m in pipeline.break_run():
                self._moment(m, last_t, time.monotonic())
            if self._writer is not None:
                try:
                    self._writer.source_lost(last_t, message)
                except Exception as exc:  # noqa: BLE001 - a full disk stops the recording, not live mode
                    self._report(exc, fatal=False)
                    self._close_recording()
        self.source_lost.emit(message)

    def _dropped(self) -> int:
        return self._frames.replaced + int(getattr(self._source, "dropped", 0))

    def _apply_commands(self, t_s: float, pipeline: LivePipeline) -> None:
        while True:
            try:
                command, *args = self._commands.get_nowait()
            except queue.Empty:
                break
            if command == "mark":
                self._asked.mark(t_s)
                # a prompt shown just before the question must not silence the attentive window it opens
                pipeline.policy.lift_cooldown()
                if self._writer is not None:
                    self._writer.add_mark(t_s)
                self.marked.emit(t_s)
            elif command == "record":
                self._open_recording(args[0])
            elif command == "stop_record":
                self._close_recording()
            elif command == "settings":
                self._asked.set_base(args[0])
        wanted = self._asked.settings_at(t_s)
        if wanted is not pipeline.settings:
            pipeline.set_settings(wanted)

    def _open_recording(self, root: Path) -> None:
        if self._writer is not None:
            return
        try:
            self._writer = SessionWriter(root, self.info, self._asked.base, consent_confirmed=True)
        except Exception as exc:  # noqa: BLE001 - no recording, but live mode goes on
            self._report(exc, fatal=False)
            self.recording.emit(None)
            return
        self.recording.emit(self._writer.folder)

    def _close_recording(self) -> None:
        writer, self._writer = self._writer, None
        if writer is None:
            return
        try:
            writer.close()
        except Exception as exc:  # noqa: BLE001
            self._report(exc, fatal=False)
        self.recording.emit(None)

    def _handle(self, result: LiveResult, captured_at: float) -> None:
        if self._writer is not None:
            try:
                self._writer.add_frame(result.frame, result.features)
            except Exception as exc:  # noqa: BLE001 - a full disk stops the recording, not live mode
                self._report(exc, fatal=False)
                self._close_recording()
        for m in result.moments:
            self._moment(m, result.frame.t_s, captured_at)

    def _moment(self, m, t_s: float, captured_at: float) -> None:
        if self._writer is not None:
            try:
                self._writer.add_moment(m)
            except Exception as exc:  # noqa: BLE001
                self._report(exc, fatal=False)
        self.moment.emit(m, t_s, captured_at)

    def _publish(self, result: LiveResult, stats: LiveStats, captured_at: float) -> None:
        face = result.face
        packet = LivePacket(result.frame.index, result.frame.t_s, fit(result.frame.image, self.preview_size),
                            None if face is None else face.landmarks[:, :2].copy(), face is not None, stats,
                            self._asked.remaining_s(result.frame.t_s), captured_at)
        if self._packets.put(packet):
            self.frame_ready.emit()
