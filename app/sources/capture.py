"""Frame sources: video files, cameras, and files paced in real time (a camera stand-in).

Every source yields `Frame`s whose `t_s` is the frame's presentation time in
seconds: from the container for files (so variable frame rate is honoured),
from a monotonic clock for cameras.
"""

from __future__ import annotations

import glob
import os
import queue
import stat
import threading
import time
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np

from app.errors import CameraLost, CameraUnavailable, GlimpseError, VideoUnreadable
from app.system.output import os_words, shown

VIDEO_EXTENSIONS = (".mp4", ".mov", ".avi", ".mkv", ".webm", ".m4v")
# A declared frame rate outside this is not one (a time base, a broken header): measured from timestamps.
MIN_FPS, MAX_FPS, DEFAULT_FPS = 1.0, 1000.0, 30.0
PROBE_FRAMES = 8  # frames whose timestamps measure a frame rate the file does not give


@dataclass(frozen=True)
class Frame:
    """One picture. `image` is (H, W, 3) uint8 BGR; `t_s` seconds from the start."""

    index: int
    t_s: float
    image: np.ndarray


@dataclass(frozen=True)
class SourceInfo:
    """What a source delivers. `frame_count` is the container's estimate (0 for cameras)."""

    name: str
    fps: float
    width: int
    height: int
    frame_count: int = 0
    note: str = ""  # something about the file a person should know (a frame rate that could not be right)

    @property
    def duration_s(self) -> float:
        return self.frame_count / self.fps if self.fps > 0 else 0.0


class FrameSource(Protocol):
    info: SourceInfo

    def __iter__(self) -> Iterator[Frame]: ...

    def close(self) -> None: ...


def _open_capture(path: Path) -> cv2.VideoCapture:
    """The file opened for decoding; VideoUnreadable says in words why it cannot be (never blocks on a FIFO)."""
    try:
        st = path.stat()
        if stat.S_ISREG(st.st_mode):
            os.close(os.open(path, os.O_RDONLY))  # a file we may not read says so here, not "not a video"
    except FileNotFoundError:
        raise VideoUnreadable(f"{shown(path)}: no such file") from None
    except OSError as exc:
        raise VideoUnreadable(f"{shown(path)}: cannot be read: {os_words(exc)}") from None
    if stat.S_ISDIR(st.st_mode):
        raise VideoUnreadable(f"{shown(path)}: is a folder, expected a video file")
    if stat.S_ISFIFO(st.st_mode):
        raise VideoUnreadable(f"{shown(path)}: is a named pipe (FIFO), not a video file; save the video to a file")
    if not stat.S_ISREG(st.st_mode):
        raise VideoUnreadable(f"{shown(path)}: is a device or socket, not a video file")
    if st.st_size == 0:
        raise VideoUnreadable(f"{shown(path)}: the file is empty (0 bytes), expected a video")
    cap = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG)
    if not cap.isOpened():
        cap.release()
        raise VideoUnreadable(f"{shown(path)}: not a readable video (an unknown format, or a damaged file)")
    return cap


def _frame_step(path: Path, frames: int = PROBE_FRAMES) -> float | None:
    """The median time between the first `frames` frames' timestamps, seconds (None when they give none)."""
    cap = _open_capture(path)
    try:
        times = []
        for _ in range(frames):
            ok, _image = cap.read()
            if not ok:
                break
            times.append(cap.get(cv2.CAP_PROP_POS_MSEC) / 1000.0)
    finally:
        cap.release()
    steps = np.diff(np.asarray(times, np.float64))
    steps = steps[np.isfinite(steps) & (steps > 0)]
    return float(np.median(steps)) if len(steps) else None


def frame_rate(path: Path, declared: float) -> tuple[float, float, str]:
    """(frames a second, the factor that puts the container's timestamps in seconds, a note) for a file
    that declares `declared` frames a second. A declared rate outside MIN_FPS..MAX_FPS is a time base
    (a variable-rate Matroska file says 1000) or a broken header (an AVI that says 1e-9): the rate is
    then measured from the first frames' timestamps; when those are broken alike, DEFAULT_FPS is assumed
    and said."""
    if MIN_FPS <= declared < MAX_FPS:
        return declared, 1.0, ""
    step = _frame_step(path)
    said = f"the file says {declared:.3g} frames a second, which cannot be right" if declared > 0 else ""
    if step is not None and MIN_FPS <= 1.0 / step < MAX_FPS:
        measured = 1.0 / step
        told = said and declared < MIN_FPS  # a time base (above MAX_FPS) goes unsaid
        return measured, 1.0, f"{said}; its timestamps give {measured:.3g}, which is used" if told else ""
    scale = 1.0 / DEFAULT_FPS / step if step is not None else 1.0  # no timestamps: frames DEFAULT_FPS apart
    agree = ", and its timestamps agree" if step is not None else ""
    return DEFAULT_FPS, scale, (f"{said}{agree}; Glimpse assumes {DEFAULT_FPS:g} frames a second, so times in "
                                "the results are estimates") if said else ""


class FileSource:
    """Decodes a video file frame by frame; never holds more than one frame."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self._cap = _open_capture(self.path)
        declared = self._cap.get(cv2.CAP_PROP_FPS)
        width = int(self._cap.get(cv2.CAP_PROP_FRAME_WIDTH))
        height = int(self._cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
        count = max(int(self._cap.get(cv2.CAP_PROP_FRAME_COUNT)), 0)
        if count > self.path.stat().st_size:
            count = 0  # more frames than bytes: the container lies (a damaged or crafted file); unknown
        if width <= 0 or height <= 0:
            self.close()
            raise VideoUnreadable(f"{shown(self.path)}: no video stream (frame size {width}x{height})")
        fps, self._pts_scale, note = frame_rate(self.path, declared)
        if fps != declared and count and declared > 0:
            # OpenCV counts duration x declared rate: the same duration at the rate used
            count = int(round(count / declared * self._pts_scale * fps))
        self.info = SourceInfo(self.path.name, float(fps), width, height, count, note)

    def __iter__(self) -> Iterator[Frame]:
        index, last_t = 0, -1.0
        step = 1.0 / self.info.fps
        while True:
            ok, image = self._cap.read()
            if not ok or image is None:
                break
            t = self._cap.get(cv2.CAP_PROP_POS_MSEC) / 1000.0 * self._pts_scale
            if not np.isfinite(t) or t <= last_t:
                t = last_t + step if index else 0.0  # broken or missing pts: keep time moving forward
            yield Frame(index, t, image)
            index, last_t = index + 1, t
        if index == 0:
            raise VideoUnreadable(f"{self.path}: no frame could be decoded (corrupt or unsupported video)")

    def seek(self, index: int) -> None:
        """Start the next iteration at frame `index` (its time is still the container's own)."""
        if index > 0:
            self._cap.set(cv2.CAP_PROP_POS_FRAMES, index)

    def close(self) -> None:
        self._cap.release()

    def __enter__(self) -> FileSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class PacedSource:
    """Plays a file in real time, like a camera: frames come no faster than their timestamps,
    and frames the consumer was too slow for are skipped, as a camera would drop them."""

    def __init__(self, path: str | os.PathLike, speed: float = 1.0, loop: bool = False,
                 clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep):
        self.path, self.speed, self.loop = Path(path), speed, loop
        self._clock, self._sleep = clock, sleep
        self._file = FileSource(self.path)
        self.info = self._file.info
        self.dropped = 0

    def __iter__(self) -> Iterator[Frame]:
        index, offset = 0, 0.0
        start = self._clock()
        while True:
            last_t = 0.0
            for frame in self._file:
                media_t = offset + frame.t_s
                due = start + media_t / self.speed
                now = self._clock()
                if now - due > 1.5 / self.info.fps / self.speed:
                    self.dropped += 1
                    continue
                if due > now:
                    self._sleep(due - now)
                yield Frame(index, media_t, frame.image)
                index, last_t = index + 1, frame.t_s
            if not self.loop:
                return
            self._file.close()
            self._file = FileSource(self.path)
            offset += last_t + 1.0 / self.info.fps

    def close(self) -> None:
        self._file.close()


@dataclass(frozen=True)
class CameraInfo:
    index: int
    name: str


def list_cameras() -> list[CameraInfo]:
    """Cameras the system exposes (Linux: /dev/video*), with their names."""
    cameras = []
    for dev in sorted(glob.glob("/dev/video*"), key=lambda p: int(p[10:]) if p[10:].isdigit() else 1 << 30):
        suffix = dev[len("/dev/video"):]
        if not suffix.isdigit():
            continue
        name_file = Path(f"/sys/class/video4linux/video{suffix}/name")
        name = name_file.read_text().strip() if name_file.exists() else dev
        cameras.append(CameraInfo(int(suffix), name))
    return cameras


CLOSE_WAIT_S = 0.5  # close() waits this long for the grab thread; a hung read is left to finish alone
IDLE_S = 0.01  # pause after a failed read, so a failing device is not read in a busy loop


class CameraSource:
    """A webcam. Reports the resolution and frame rate it actually delivers.

    Frames are at most one frame old: the driver is asked to buffer one frame
    (CAP_PROP_BUFFERSIZE, which many V4L2 drivers ignore), and a grab thread reads the camera
    all the time and keeps only the newest frame, stamped with the time its read returned. A
    consumer slower than the camera gets the newest frame each time (`dropped` counts the others).

    A camera that stops delivering frames, fails its reads, disappears or hangs in a read raises
    `CameraLost` once it has delivered nothing for `lost_after_s`. `open_capture` opens the device
    (cv2.VideoCapture; tests pass a stand-in that fails on cue)."""

    def __init__(self, index: int = 0, width: int = 1280, height: int = 720, fps: float = 30.0,
                 lost_after_s: float = 2.0, open_capture: Callable[[int], cv2.VideoCapture] | None = None):
        self.index, self.lost_after_s = index, lost_after_s
        try:
            self._cap = (open_capture or cv2.VideoCapture)(index)
            opened = self._cap.isOpened()
        except cv2.error as exc:
            raise CameraUnavailable(f"camera {index} could not be opened ({exc})") from None
        if not opened:
            self._cap.release()
            found = ", ".join(f"{c.index} ({c.name})" for c in list_cameras()) or "none"
            raise CameraUnavailable(f"camera {index} could not be opened; cameras found: {found}")
        self._cap.set(cv2.CAP_PROP_BUFFERSIZE, 1)
        self._cap.set(cv2.CAP_PROP_FRAME_WIDTH, width)
        self._cap.set(cv2.CAP_PROP_FRAME_HEIGHT, height)
        self._cap.set(cv2.CAP_PROP_FPS, fps)
        got_fps = self._cap.get(cv2.CAP_PROP_FPS) or fps
        self.info = SourceInfo(f"camera {index}", float(got_fps),
                               int(self._cap.get(cv2.CAP_PROP_FRAME_WIDTH)),
                               int(self._cap.get(cv2.CAP_PROP_FRAME_HEIGHT)))
        self.dropped = 0  # frames the camera delivered that a newer one replaced before they were taken
        self._newest = threading.Condition()
        self._frame: tuple[int, float, np.ndarray] | None = None  # (grab count, monotonic time, image)
        self._grabbed = 0
        self._last_ok = time.monotonic()
        self._problem = "delivered no frame"
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _grab(self) -> None:
        """The grab thread: reads as fast as the camera delivers; the newest frame wins. It owns the
        device once started, and releases it when it ends (after a hung read returns, too)."""
        try:
            while not self._stop.is_set():
                try:
                    ok, image = self._cap.read()
                    problem = "delivered no frame"
                except cv2.error as exc:  # a failing device: counted as a missed frame
                    ok, image, problem = False, None, f"failed to read ({str(exc).strip()})"
                now = time.monotonic()
                with self._newest:
                    if ok and image is not None:
                        if self._frame is not None and self._frame[0] == self._grabbed:
                            self.dropped += 1  # the previous one was never taken
                        self._grabbed += 1
                        self._frame, self._last_ok, self._problem = (self._grabbed, now, image), now, problem
                        self._newest.notify_all()
                    else:
                        self._problem = problem
                if not ok:
                    self._stop.wait(IDLE_S)
        finally:
            self._cap.release()

    def __iter__(self) -> Iterator[Frame]:
        start = time.monotonic()
        if self._thread is None:
            self._last_ok = start
            self._thread = threading.Thread(target=self._grab, name=f"camera {self.index} grab", daemon=True)
            self._thread.start()
        index, taken = 0, 0
        while not self._stop.is_set():
            with self._newest:
                fresh = self._newest.wait_for(lambda: self._frame is not None and self._frame[0] > taken,  # noqa: B023
                                              timeout=self.lost_after_s / 4)  # (called in this iteration)
                if fresh:
                    assert self._frame is not None  # wait_for's predicate
                    taken, at, image = self._frame
                else:
                    silent_s, problem = time.monotonic() - self._last_ok, self._problem
            if fresh:
                yield Frame(index, max(at - start, 0.0), image)
                index += 1
            elif silent_s > self.lost_after_s:
                raise CameraLost(f"camera {self.index} {problem} for {silent_s:.1f} s")

    def close(self) -> None:
        self._stop.set()
        if self._thread is None:
            self._cap.release()
        else:
            self._thread.join(CLOSE_WAIT_S)  # a hung read: the thread releases the device when it returns


RETRY_S = (0.5, 1.0, 2.0)  # waits before each attempt to reopen a lost camera; the last one repeats


class ReconnectingSource:
    """A source that may be lost mid-session (a camera unplugged, stalled or failing): when it
    raises `CameraLost` it is closed and opened again, waiting `retry_s[k]` before attempt k (the
    last wait repeats), until it delivers frames again or `stop` is set (then the frames end).

    Frames keep one clock and one count across reconnections: after a gap, times go on from the
    last frame's by the wall-clock time that passed, so moments and recordings stay in session
    time. `on_lost(message)` is called when the source is lost, `on_back()` before the first frame
    after it. Opening the source the first time is the caller's problem (its error is raised)."""

    def __init__(self, open_source: Callable[[], FrameSource], stop: threading.Event | None = None,
                 retry_s: Sequence[float] = RETRY_S, on_lost: Callable[[str], None] | None = None,
                 on_back: Callable[[], None] | None = None, clock: Callable[[], float] = time.monotonic):
        self._open, self._stop = open_source, stop or threading.Event()
        self.retry_s = tuple(retry_s)
        self._on_lost, self._on_back, self._clock = on_lost, on_back, clock
        self._source: FrameSource | None = open_source()
        self.info = self._source.info
        self.losses = 0  # times the source was lost
        self.attempts = 0  # failed attempts to reopen it

    @property
    def dropped(self) -> int:
        return int(getattr(self._source, "dropped", 0))

    def __iter__(self) -> Iterator[Frame]:
        index, offset = 0, 0.0
        last_t: float | None = None
        last_at = 0.0
        while self._source is not None:
            resumed = last_t is not None
            try:
                for frame in self._source:
                    now = self._clock()
                    if resumed:
                        assert last_t is not None  # what `resumed` means
                        offset = last_t + max(now - last_at, 1.0 / max(self.info.fps, 1.0)) - frame.t_s
                        resumed = False
                        if self._on_back is not None:
                            self._on_back()
                    t = frame.t_s + offset
                    yield Frame(index, t, frame.image)
                    index, last_t, last_at = index + 1, t, now
                return
            except CameraLost as exc:
                if not self.retry_s:
                    raise
                self.losses += 1
                if self._on_lost is not None:
                    self._on_lost(str(exc))
                self.close()
                self._source = self._reopen()

    def _reopen(self) -> FrameSource | None:
        """The source opened again, or None once `stop` is set."""
        k = 0
        while not self._stop.wait(self.retry_s[min(k, len(self.retry_s) - 1)]):
            try:
                return self._open()
            except (GlimpseError, OSError, cv2.error):
                self.attempts += 1
                k += 1
        return None

    def close(self) -> None:
        source, self._source = self._source, None
        if source is not None:
            source.close()


PREFETCH_POLL_S = 0.1  # the decode-ahead thread looks at its stop flag this often while the queue is full
PREFETCH_JOIN_S = 5.0  # a decoder stuck inside one read (a hung device) is left behind after this long


def prefetched(frames: Iterator[Frame], depth: int = 4) -> Generator[Frame, None, None]:
    """The same frames, decoded ahead in a thread (decoding releases the GIL, so it overlaps tracking).

    At most `depth` frames wait; an error in the decoder is raised here, in the consumer. Closing
    early (break, `close()`, an error downstream) ends the thread within one frame's decoding:
    every hand-over, the end and an error included, gives up once the consumer has gone.
    """
    q: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()
    done = object()

    def hand_over(item: object) -> bool:
        """Queue `item` for the consumer; False once it has stopped listening."""
        while not stop.is_set():
            try:
                q.put(item, timeout=PREFETCH_POLL_S)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for frame in frames:
                if not hand_over(frame):
                    return
            hand_over(done)
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer, which re-raises it
            hand_over(exc)

    thread = threading.Thread(target=produce, name="glimpse-decode", daemon=True)
    thread.start()
    try:
        while True:
            item = q.get()
            if item is done:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        thread.join(PREFETCH_JOIN_S)
