"""The live worker: the core's `LiveSession` (its own threads, newest frame wins) as Qt signals.

The session reports its events in its threads; each becomes a signal here, delivered on
the GUI thread by Qt's queued connections. `frame_ready` fires only when the preview
packet box goes from empty to full, so at most one notification is in flight and the
GUI takes the newest packet (`take()`) when it is ready to paint.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from app.run.events import (
    CallPaused,
    CallResumed,
    ErrorReported,
    FrameReady,
    FrameTracked,
    LiveEvent,
    LivePacket,
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
from app.run.live import LiveSession, PipelineFactory
from app.run.pipeline import LivePipeline
from app.settings.schema import Settings
from app.sources.capture import FrameSource, SourceInfo
from app.sources.screen import Region


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
    call_paused = Signal(float)  # the watched call video froze at this time
    call_resumed = Signal(float, float)  # it moves again (time, seconds frozen)
    rate_notice = Signal(str)  # tracking keeps fewer frames than the source gives (said once a session)

    def __init__(self, open_source: Callable[[], FrameSource], settings: Settings,
                 model_path: str | Path | None = None, parent: QObject | None = None,
                 retry_s: Sequence[float] | None = None, call_video: bool = False,
                 pipeline_factory: PipelineFactory = LivePipeline):
        """`retry_s`: reopen a lost camera, waiting these times between attempts (see
        `ReconnectingSource`); None ends the session on the first `CameraLost`. `call_video`: a
        screen source (repeats skipped, freezes reported). `pipeline_factory`: see `LiveSession`."""
        super().__init__(parent)
        self.session = LiveSession(open_source, settings, model_path, on_event=self._relay, retry_s=retry_s,
                                   call_video=call_video, pipeline_factory=pipeline_factory)

    def _relay(self, event: LiveEvent) -> None:
        """In the session's threads: one signal per event (per-frame reports are not needed here)."""
        dispatch(event, self)

    def on_frame_tracked(self, event: FrameTracked) -> None:
        pass  # the preview's packet carries what the window shows of each frame

    def on_frame_ready(self, event: FrameReady) -> None:
        self.frame_ready.emit()

    def on_moment_found(self, event: MomentFound) -> None:
        self.moment.emit(event.moment, event.t_s, event.captured_at)

    def on_source_opened(self, event: SourceOpened) -> None:
        self.source_opened.emit(event.info)

    def on_marked(self, event: Marked) -> None:
        self.marked.emit(event.t_s)

    def on_recording_changed(self, event: RecordingChanged) -> None:
        self.recording.emit(event.folder)

    def on_error_reported(self, event: ErrorReported) -> None:
        self.error.emit(event.message)

    def on_source_lost(self, event: SourceLost) -> None:
        self.source_lost.emit(event.reason)

    def on_source_back(self, event: SourceBack) -> None:
        self.source_back.emit()

    def on_call_paused(self, event: CallPaused) -> None:
        self.call_paused.emit(event.t_s)

    def on_call_resumed(self, event: CallResumed) -> None:
        self.call_resumed.emit(event.t_s, event.paused_s)

    def on_rate_notice(self, event: RateNotice) -> None:
        self.rate_notice.emit(event.message)

    def on_stopped(self, event: Stopped) -> None:
        self.stopped.emit(event.reason)

    @property
    def preview_size(self) -> tuple[int, int] | None:
        return self.session.preview_size

    @preview_size.setter
    def preview_size(self, size: tuple[int, int] | None) -> None:
        self.session.preview_size = size  # read by the tracking thread for the next frame

    @property
    def info(self) -> SourceInfo | None:
        return self.session.info

    def start(self) -> None:
        self.session.start()

    def request_stop(self) -> None:
        """Returns at once; `stopped` follows when the threads are done."""
        self.session.request_stop()

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the threads (only at exit or in tests: the GUI never waits on the camera)."""
        return self.session.join(timeout)

    def is_alive(self) -> bool:
        return self.session.is_alive()

    def take(self) -> LivePacket | None:
        return self.session.take()

    def mark(self) -> None:
        """"I just asked": attentive spotting from the next frame on."""
        self.session.mark()

    def start_recording(self, root: Path) -> None:
        """Record from the next frame on; the listener has confirmed the person's consent."""
        self.session.start_recording(root)

    def stop_recording(self) -> None:
        self.session.stop_recording()

    def set_settings(self, settings: Settings) -> None:
        self.session.set_settings(settings)

    def set_screen_region(self, region: Region) -> None:
        self.session.set_screen_region(region)
