import fractions
from pathlib import Path

import cv2
import numpy as np
import pytest

from app.errors import VideoUnreadable
from app.sources.capture import FileSource, PacedSource, list_cameras

DATA = Path(__file__).parent / "data"


def write_cfr(path: Path, fps: float, n: int) -> Path:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (64, 48))
    for i in range(n):
        writer.write(np.full((48, 64, 3), i % 255, np.uint8))
    writer.release()
    return path


def write_vfr(path: Path, times_ms: list[int]) -> Path:
    av = pytest.importorskip("av")
    tb = fractions.Fraction(1, 1000)
    with av.open(str(path), "w") as c:
        s = c.add_stream("libx264", rate=30)
        s.width, s.height, s.pix_fmt = 64, 48, "yuv420p"
        s.codec_context.time_base = s.time_base = tb
        for i, t in enumerate(times_ms):
            f = av.VideoFrame.from_ndarray(np.full((48, 64, 3), i * 9, np.uint8), format="rgb24")
            f.pts, f.time_base = t, tb
            for p in s.encode(f):
                c.mux(p)
        for p in s.encode():
            c.mux(p)
    return path


@pytest.mark.parametrize("fps", [24.0, 30.0, 60.0])
def test_constant_rates(tmp_path, fps):
    frames = list(FileSource(write_cfr(tmp_path / "v.mp4", fps, 30)))
    assert len(frames) == 30
    t = np.array([f.t_s for f in frames])
    np.testing.assert_allclose(t, np.arange(30) / fps, atol=1e-3)


def test_variable_frame_rate_keeps_container_timestamps(tmp_path):
    times = [0, 33, 66, 150, 183, 300, 316, 333, 500, 533]
    frames = list(FileSource(write_vfr(tmp_path / "vfr.mp4", times)))
    assert [round(f.t_s * 1000) for f in frames] == times


def test_real_clip_info_and_timestamps():
    src = FileSource(DATA / "WolfgangLanger_Pexels.mp4")
    assert (src.info.width, src.info.height) == (640, 360)
    assert src.info.fps == pytest.approx(23.976, abs=0.01)
    t = np.array([f.t_s for f in src])
    assert len(t) == 472 and np.all(np.diff(t) > 0)
    assert t[-1] == pytest.approx(471 / 23.976, abs=0.01)


def _file(folder: Path, name: str, data: bytes | None) -> Path:
    if data is not None:
        (folder / name).write_bytes(data)
    return folder / name


@pytest.mark.parametrize("name, data, words", [
    ("missing.mp4", None, "no such file"),
    ("", None, "is a folder"),
    ("empty.mp4", b"", "empty"),
    ("text.mp4", b"hello, not a video", "not a readable video"),
    ("noise.mov", bytes(range(256)) * 40, "not a readable video"),
])
def test_bad_files_are_named(tmp_path, name, data, words):
    path = _file(tmp_path, name, data)
    with pytest.raises(VideoUnreadable) as err:
        list(FileSource(path))
    assert words in str(err.value)


def test_paced_source_follows_the_clock_and_drops_when_late(tmp_path):
    path = write_cfr(tmp_path / "v.mp4", 30.0, 30)
    now = [0.0]
    slept = []

    def sleep(dt):
        slept.append(dt)
        now[0] += dt

    src = PacedSource(path, clock=lambda: now[0], sleep=sleep)
    frames = []
    for f in src:
        frames.append(f)
        if f.index == 10:
            now[0] += 0.2  # a slow consumer: the frames it missed are dropped, as a camera would
    assert src.dropped >= 4
    assert len(frames) + src.dropped == 30
    assert sum(slept) + 0.2 == pytest.approx(frames[-1].t_s, abs=0.05)


def test_no_camera_here_is_an_empty_list():
    assert isinstance(list_cameras(), list)


# -- the camera: one frame of buffer, newest frame wins ----------------------------------------------------

class FakeCamera:
    """A cv2.VideoCapture stand-in: delivers numbered frames at `fps` (the number is in the first
    pixels), remembers when each read returned and what was set; `hang` blocks reads, `failing`
    makes them raise."""

    def __init__(self, fps: float = 100.0):
        import threading

        self.fps, self.props, self.reads = fps, {}, []  # reads: (frame number, time.monotonic())
        self.hang, self.failing, self.released = threading.Event(), False, threading.Event()
        self._next = None

    def isOpened(self) -> bool:  # noqa: N802 - the cv2 API
        return True

    def set(self, prop: int, value: float) -> bool:
        self.props[prop] = value
        return True

    def get(self, prop: int) -> float:
        return {cv2.CAP_PROP_FPS: self.fps, cv2.CAP_PROP_FRAME_WIDTH: 8, cv2.CAP_PROP_FRAME_HEIGHT: 6}.get(prop, 0.0)

    def read(self):
        import time

        while self.hang.is_set():
            time.sleep(0.005)
        if self.failing:
            time.sleep(0.002)
            raise cv2.error("can't read frame (stand-in device error)")
        now = time.monotonic()
        self._next = now if self._next is None or self._next < now - 0.1 else self._next
        time.sleep(max(0.0, self._next - now))
        self._next += 1.0 / self.fps
        n = len(self.reads)
        image = np.zeros((6, 8, 3), np.uint8)
        image[0, 0, :2] = n % 256, n // 256
        self.reads.append((n, time.monotonic()))
        return True, image

    def release(self) -> None:
        self.released.set()


def _number(frame) -> int:
    return int(frame.image[0, 0, 0]) + 256 * int(frame.image[0, 0, 1])


def test_the_camera_buffers_one_frame_and_a_slow_consumer_gets_the_newest_with_its_real_time():
    import time

    from app.sources.capture import CameraSource

    fake = FakeCamera(fps=100.0)
    cam = CameraSource(0, open_capture=lambda index: fake)
    assert fake.props[cv2.CAP_PROP_BUFFERSIZE] == 1
    taken = []
    for frame in cam:
        newest = fake.reads[-1][0]  # what the camera had delivered when this frame was taken
        taken.append((frame, newest))
        if len(taken) == 8:
            break
        time.sleep(0.05)  # a consumer at 20 frames/s behind a 100 frames/s camera
    cam.close()
    numbers = [_number(f) for f, _ in taken]
    assert all(n >= newest - 1 for n, (_, newest) in zip(numbers, taken)), "at most one frame old"
    assert np.median(np.diff(numbers)) >= 3, numbers  # the frames in between were dropped, not queued
    assert cam.dropped >= sum(np.diff(numbers) - 1) - 1
    read_at = dict(fake.reads)
    start = read_at[numbers[0]] - taken[0][0].t_s
    for (frame, _), n in zip(taken, numbers):  # each frame carries the time its read returned
        assert frame.t_s == pytest.approx(read_at[n] - start, abs=2e-3)
    assert fake.released.wait(1.0) and not cam._thread.is_alive()


def test_a_failing_or_hung_camera_is_lost_and_closing_does_not_wait_for_a_hung_read():
    import time

    from app.errors import CameraLost
    from app.sources.capture import CameraSource

    fake = FakeCamera()
    cam = CameraSource(0, lost_after_s=0.3, open_capture=lambda index: fake)
    frames = iter(cam)
    next(frames)
    fake.failing = True
    with pytest.raises(CameraLost, match="failed to read"):
        for _ in frames:
            pass
    cam.close()
    assert fake.released.wait(1.0)

    fake = FakeCamera()
    cam = CameraSource(0, lost_after_s=0.3, open_capture=lambda index: fake)
    frames = iter(cam)
    next(frames)
    fake.hang.set()
    began = time.monotonic()
    with pytest.raises(CameraLost, match="delivered no frame"):
        for _ in frames:
            pass
    assert time.monotonic() - began < 1.0
    began = time.monotonic()
    cam.close()
    assert time.monotonic() - began < 0.8 and not fake.released.is_set(), "never released under a hung read"
    fake.hang.clear()
    assert fake.released.wait(1.0), "released by the grab thread once the read returned"


# -- issue 20 item 13: headers that lie, and files that are not videos --------------------------------

def write_avi_claiming(path: Path, fps_claimed: float, n: int = 40) -> Path:
    """An MJPG AVI of 25 frames a second whose stream header claims `fps_claimed` (dwRate / dwScale)."""
    import struct

    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 25, (64, 48))
    for i in range(n):
        writer.write(np.full((48, 64, 3), i * 5, np.uint8))
    writer.release()
    data = bytearray(path.read_bytes())
    rate = fractions.Fraction(fps_claimed).limit_denominator(1_000_000_000)
    struct.pack_into("<II", data, data.find(b"strh") + 28, rate.denominator, rate.numerator)  # scale, rate
    path.write_bytes(bytes(data))
    return path


def test_an_avi_claiming_1e_9_frames_a_second_gets_a_sane_rate_and_a_note(tmp_path):
    src = FileSource(write_avi_claiming(tmp_path / "slow.avi", 1e-9))
    t = np.array([f.t_s for f in src])
    assert src.info.fps == 30.0 and "1e-09 frames a second" in src.info.note and "assumes 30" in src.info.note
    assert len(t) == 40 and t[-1] == pytest.approx(39 / 30) and src.info.duration_s < 2  # not 3,000 years


def test_the_analyze_json_and_stderr_of_such_an_avi(tmp_path, capsys):
    import json

    from app.cli.main import main

    out = tmp_path / "m.json"
    main(["analyze", str(write_avi_claiming(tmp_path / "slow.avi", 1e-9)), "--out", str(out), "--quiet"])
    data, err = json.loads(out.read_text()), capsys.readouterr().err
    assert data["fps"] == 30.0 and data["duration_s"] == pytest.approx(40 / 30, abs=0.01)
    assert "warning: slow.avi: the file says 1e-09 frames a second" in err


def write_vfr_mkv(path: Path) -> Path:
    """A whole variable-frame-rate Matroska file: 30 frames a second, then 10, then 30 (time base 1 ms, so
    OpenCV reads its rate as 1000 and estimates 8 s x 1000 frames)."""
    av = pytest.importorskip("av")
    with av.open(str(path), "w", format="matroska") as c:
        s = c.add_stream("mpeg4", rate=1000)
        s.width, s.height, s.pix_fmt = 64, 48, "yuv420p"
        t = 0
        for i in range(90):
            f = av.VideoFrame.from_ndarray(np.full((48, 64, 3), i * 2, np.uint8), format="bgr24")
            f.pts = t
            t += 100 if 30 <= i < 60 else 33
            for p in s.encode(f):
                c.mux(p)
        for p in s.encode():
            c.mux(p)
    return path


def test_a_whole_variable_frame_rate_mkv_is_not_called_truncated(tmp_path):
    from app.run.batch import short_read

    src = FileSource(write_vfr_mkv(tmp_path / "vfr.mkv"))
    t = np.array([f.t_s for f in src])
    assert len(t) == 90 and t[-1] == pytest.approx(4.95, abs=0.01) and src.info.note == ""
    data = {"source": "vfr.mkv", "frames_declared": src.info.frame_count, "frames_read": 90,
            "fps": src.info.fps, "duration_s": t[-1] + 1 / src.info.fps}
    assert src.info.frame_count > 100 and short_read(data) is None  # a count from the rate, not a cut
    cut = {**data, "frames_read": 45, "duration_s": 2.0}  # the same file, cut in the middle: still said
    assert "truncated or damaged" in short_read(cut)


def test_a_fifo_is_not_called_empty(tmp_path):
    import os

    fifo = tmp_path / "pipe.mp4"
    os.mkfifo(fifo)
    with pytest.raises(VideoUnreadable, match="is a named pipe"):
        FileSource(fifo)  # and it does not block waiting for a writer


def test_permission_denied_is_said_as_such(tmp_path, monkeypatch):
    import os

    video = tmp_path / "theirs.mp4"
    video.write_bytes((DATA / "single_face.mp4").read_bytes())
    if os.geteuid() == 0:  # root reads anything: the kernel's answer for another user, patched in
        real_open = os.open
        monkeypatch.setattr(os, "open", lambda p, *a, **kw: (_ for _ in ()).throw(PermissionError(13, "denied"))
                            if Path(p) == video else real_open(p, *a, **kw))
    else:
        video.chmod(0)
    with pytest.raises(VideoUnreadable, match="theirs.mp4: cannot be read: permission denied"):
        FileSource(video)
