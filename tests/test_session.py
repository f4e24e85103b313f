"""The recorded session folder: what the writer writes is what the reader reads, and broken
folders are refused with a message that names the broken part."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import numpy as np
import pytest

from app.capture import Frame, SourceInfo
from app.errors import SessionInvalid
from app.features import N_LEVELS, FrameFeatures, empty_features
from app.session import SessionWriter, delete_session, is_session, list_sessions, open_session
from app.settings import Settings, preset
from app.spotting import Moment

FPS = 10.0
INFO = SourceInfo("test camera", FPS, 64, 48)


def features(t: float, face: bool = True) -> FrameFeatures:
    if not face:
        return empty_features(t)
    rng = np.random.default_rng(int(t * 1000))
    return FrameFeatures(t, True, rng.normal(0, 0.01, N_LEVELS).astype(np.float32), np.zeros(3, np.float32),
                         np.zeros(52, np.float32), 1, rng.random((478, 3)).astype(np.float32))


def frame(i: int, t0: float = 0.0) -> Frame:
    image = np.full((48, 64, 3), (i * 7) % 256, np.uint8)
    return Frame(i, t0 + i / FPS, image)


def record(root, n=25, t0=0.0, settings=None, close=True, segment_s=1.0) -> SessionWriter:
    w = SessionWriter(root, INFO, settings or preset("gentle"), consent_confirmed=True, segment_s=segment_s)
    for i in range(n):
        f = frame(i, t0)
        w.add_frame(f, features(f.t_s, face=i % 7 != 3))
        if i == 12:
            w.add_mark(f.t_s)
        if i == 20:
            w.add_moment(Moment(t0 + 1.0, t0 + 1.1, t0 + 1.2, ("brows",), 9.0, prompted=True,
                                prompt="What else comes to mind about that?"))
    if close:
        w.close()
    return w


def test_round_trip(tmp_path):
    w = record(tmp_path, settings=preset("gentle"))
    s = open_session(w.folder)
    assert s.folder.name.startswith("session-")
    assert s.segment_frames == (10, 10, 5)
    assert [p.name for p in s.segments] == ["000000.mkv", "000001.mkv", "000002.mkv"]
    assert len(s.table) == 25 and s.table.landmarks.shape == (25, 478, 3)
    np.testing.assert_allclose(s.table.t_s, np.arange(25) / FPS)
    assert s.table.face.tolist() == [i % 7 != 3 for i in range(25)]
    assert s.settings == preset("gentle")
    assert s.info["consent_confirmed"] is True and s.info["frames"] == 25 and s.info["ended"]
    assert s.info["source"] == "test camera" and s.size == (64, 48) and s.fps == FPS
    assert s.marks == (pytest.approx(1.2),)
    assert len(s.moments) == 1 and s.moments[0].prompt == "What else comes to mind about that?"
    assert s.locate(0) == (0, 0) and s.locate(19) == (1, 9) and s.locate(20) == (2, 0)
    assert s.notes == ()


def test_times_start_at_the_first_recorded_frame(tmp_path):
    # recording switched on 35 s into a live session
    s = open_session(record(tmp_path, t0=35.0).folder)
    assert s.table.t_s[0] == 0.0
    assert s.marks == (pytest.approx(1.2),)
    assert (s.moments[0].start_s, s.moments[0].end_s) == (pytest.approx(1.0), pytest.approx(1.2))


def test_folder_and_files_are_owner_only(tmp_path):
    w = record(tmp_path)
    for path in [w.folder, *w.folder.rglob("*")]:
        mode = stat.S_IMODE(os.stat(path).st_mode)
        assert mode & 0o077 == 0, f"{path} is readable by others ({oct(mode)})"


def test_moments_are_on_disk_as_they_happen(tmp_path):
    w = record(tmp_path, close=False)
    lines = (w.folder / "moments.jsonl").read_text().splitlines()
    assert json.loads(lines[0])["regions"] == ["brows"]
    w.close()
    w.close()  # twice is fine


def test_a_crash_loses_only_the_unfinished_segment(tmp_path):
    w = record(tmp_path, close=False)  # 25 frames: two segments finished, five frames in the third
    with open(w.folder / "moments.jsonl", "a") as fh:
        fh.write('{"start_s": 2.0, "pe')  # cut off mid-write
    s = open_session(w.folder)
    assert s.segment_frames == (10, 10)
    assert len(s.moments) == 1
    assert any("not finished" in n for n in s.notes) and any("cut off" in n for n in s.notes)
    w.close()


def test_consent_is_required(tmp_path):
    with pytest.raises(SessionInvalid, match="consent"):
        SessionWriter(tmp_path, INFO, Settings(), consent_confirmed=False)
    assert list(tmp_path.iterdir()) == []


def test_two_recordings_in_one_second_get_their_own_folders(tmp_path):
    a = SessionWriter(tmp_path, INFO, Settings(), True, now=1_700_000_000)
    b = SessionWriter(tmp_path, INFO, Settings(), True, now=1_700_000_000)
    assert a.folder != b.folder
    a.close(), b.close()


def _break(folder, how):
    seg = folder / "segments"
    if how == "no session.json":
        (folder / "session.json").unlink()
    elif how == "not JSON":
        (folder / "session.json").write_text("{")
    elif how == "version 99":
        info = json.loads((folder / "session.json").read_text())
        (folder / "session.json").write_text(json.dumps({**info, "version": 99}))
    elif how == "bad settings":
        (folder / "settings.json").write_text('{"version": 1, "settings": {"sensitivity": 500}}')
    elif how == "corrupt features":
        (seg / "000001.npz").write_bytes(b"not an npz")
    elif how == "missing video":
        (seg / "000001.mkv").unlink()
    elif how == "missing segment":
        (seg / "000001.npz").unlink()
        (seg / "000001.mkv").unlink()
    elif how == "short video":
        (seg / "000001.mkv").write_bytes((seg / "000002.mkv").read_bytes())
    elif how == "bad moment line":
        (folder / "moments.jsonl").write_text("nonsense\n" + (folder / "moments.jsonl").read_text())
    elif how == "no segments":
        for p in seg.iterdir():
            p.unlink()


@pytest.mark.parametrize("how, message", [
    ("no session.json", "no session.json"),
    ("not JSON", "not valid JSON"),
    ("version 99", "version 99"),
    ("bad settings", "sensitivity"),
    ("corrupt features", "000001.npz: unreadable"),
    ("missing video", "000001.mkv is missing"),
    ("missing segment", "segment 000001 is missing"),
    ("short video", "expected 10 frames"),
    ("bad moment line", "line 1"),
    ("no segments", "no finished video segment"),
])
def test_broken_folders_are_refused_by_name(tmp_path, how, message):
    folder = record(tmp_path).folder
    _break(folder, how)
    with pytest.raises(SessionInvalid, match=message):
        open_session(folder)


def test_not_a_folder(tmp_path):
    with pytest.raises(SessionInvalid, match="no such folder"):
        open_session(tmp_path / "nothing")


def test_list_and_delete(tmp_path):
    a = SessionWriter(tmp_path, INFO, Settings(), True, now=1_700_000_000)
    b = SessionWriter(tmp_path, INFO, Settings(), True, now=1_700_000_100)
    a.close(), b.close()
    other = tmp_path / "holiday photos"
    other.mkdir()
    assert list_sessions(tmp_path) == [b.folder, a.folder]
    with pytest.raises(SessionInvalid, match="not a Glimpse session"):
        delete_session(other)
    assert other.exists()
    delete_session(a.folder)
    assert not a.folder.exists() and is_session(b.folder)


def test_the_session_format_needs_no_qt():
    """Core module: importable with PySide6 blocked."""
    import subprocess
    import sys

    code = ("import sys; sys.modules['PySide6'] = None; import app.session; "
            "assert not any(m.startswith('PySide6') and sys.modules[m] for m in sys.modules)")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=str(Path(__file__).parent.parent))
