import fractions
from pathlib import Path

import cv2
import numpy as np
import pytest

from app.capture import FileSource, PacedSource, list_cameras
from app.errors import VideoUnreadable

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
