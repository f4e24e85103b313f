"""The recorded session folder: what the writer writes is what the reader reads, and broken
folders are refused with a message that names the broken part."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import numpy as np
import pytest

from app.errors import SessionInvalid
from app.face.features import N_LEVELS, FrameFeatures, empty_features
from app.settings.schema import Settings, preset
from app.sources.capture import Frame, SourceInfo
from app.spotting.spotter import Breaks, Moment
from app.store.session import SessionWriter, delete_session, is_session, list_sessions, open_session

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
        if i == 15:  # a watched call paused before this frame
            w.add_pause(f.t_s)
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
    assert s.pauses == (pytest.approx(1.5),) and s.breaks == Breaks((), (15,))
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


def test_a_cut_off_last_line_is_left_out_with_a_note(tmp_path):
    w = record(tmp_path, close=False)  # 25 frames: two segments finished, five frames in the third
    with open(w.folder / "moments.jsonl", "a") as fh:
        fh.write('{"start_s": 2.0, "pe')  # cut off mid-write
    s = open_session(w.folder)
    assert s.segment_frames[:2] == (10, 10)
    assert len(s.moments) == 1
    assert "The last of the moments was cut off and is left out (moments.jsonl)." in s.notes
    w.close()


KILL_CHILD = """
import json, sys, time
import numpy as np
from app.sources.capture import Frame, SourceInfo
from app.face.features import N_LEVELS, FrameFeatures
from app.store.session import SessionWriter
from app.settings.schema import Settings
fps = 30.0
w = SessionWriter(sys.argv[1], SourceInfo("stand-in", fps, 160, 120), Settings(), consent_confirmed=True,
                  segment_s=1.0)
rng = np.random.default_rng(0)
start = time.monotonic()
for i in range(100000):
    time.sleep(max(0.0, start + i / fps - time.monotonic()))
    image = rng.integers(0, 255, (120, 160, 3), dtype=np.uint8)
    w.add_frame(Frame(i, i / fps, image), FrameFeatures(i / fps, True, np.full(N_LEVELS, i, np.float32),
                np.zeros(3, np.float32), np.zeros(52, np.float32), 1, rng.random((478, 3)).astype(np.float32)))
    print(json.dumps({"folder": str(w.folder), "t": w.duration_s}), flush=True)
"""


def _record_and_kill(root: Path, after_s: float) -> tuple[Path, float]:
    """A child records 30 fps noise (1 s segments) and is SIGKILLed once it has recorded `after_s`;
    returns the folder and the duration it said it had recorded (last frame's time plus a frame)."""
    import signal
    import subprocess
    import sys

    child = subprocess.Popen([sys.executable, "-c", KILL_CHILD, str(root)], stdout=subprocess.PIPE, text=True,
                             cwd=Path(__file__).parent.parent)
    first = last = json.loads(child.stdout.readline())
    while last["t"] < after_s:  # by the child's own clock: the recorded time
        last = json.loads(child.stdout.readline())
    child.send_signal(signal.SIGKILL)
    child.wait(10)
    for line in child.stdout:  # frames it reported before the kill
        last = json.loads(line)
    return Path(first["folder"]), last["t"] + 1 / 30.0


@pytest.mark.parametrize("after_s", [2.8, 4.85])  # 0.8 s into a segment: one cluster written
def test_a_kill_loses_under_a_second_of_video_and_the_cut_segment_is_finished_on_opening(tmp_path, after_s):
    import cv2

    from app.store.segment_io import CLUSTER_MS, count_frames

    folder, declared = _record_and_kill(tmp_path, after_s)
    s = open_session(folder)
    lost = declared - s.duration_s
    assert 0 <= lost <= CLUSTER_MS / 1000 + 2 / 30.0 < 1.0, (declared, s.duration_s)
    assert len(s.segments) >= 3 and set(s.segment_frames[:-1]) == {30} and 0 < s.segment_frames[-1] < 30
    assert any("cut off" in n for n in s.notes)
    np.testing.assert_array_equal(s.table.levels[:, 0], np.arange(len(s.table)))  # each frame with its features
    # finished on disk as its writer would have: a whole file with its npz, the partial files gone
    names = sorted(p.name for p in (folder / "segments").iterdir())
    assert names == sorted(f"{i:06d}{ext}" for i in range(len(s.segments)) for ext in (".mkv", ".npz"))
    last = s.segments[-1]
    assert count_frames(last) == s.segment_frames[-1]
    cap = cv2.VideoCapture(str(last), cv2.CAP_FFMPEG)  # players seek in it
    cap.set(cv2.CAP_PROP_POS_MSEC, 1000.0 * (s.segment_frames[-1] - 1) / 30.0)
    assert cap.read()[0]
    cap.set(cv2.CAP_PROP_POS_MSEC, 0.0)
    assert cap.read()[0]
    again = open_session(folder)
    assert again.segment_frames == s.segment_frames and any("cut off" in n for n in again.notes)


def test_a_recording_still_being_written_is_read_as_it_is_and_left_alone(tmp_path):
    w = record(tmp_path, n=29, close=False)  # 0.9 s into the third segment: its first cluster is written
    before = sorted(p.name for p in (w.folder / "segments").iterdir())
    s = open_session(w.folder)
    assert s.segment_frames[:2] == (10, 10) and 0 < s.segment_frames[2] < 9
    assert sorted(p.name for p in (w.folder / "segments").iterdir()) == before  # the writer's files untouched
    assert not any("cut off" in n for n in s.notes)
    w.close()
    assert open_session(w.folder).segment_frames == (10, 10, 9)


def test_the_row_log_reads_back_whole_rows_only(tmp_path):
    from app.face.features import FeatureTable
    from app.store.segment_io import RowLog, read_rows

    rows = [features(i / FPS, face=i != 2) for i in range(5)]
    log = RowLog(tmp_path / "x.rows", keep_landmarks=True)
    for f in rows:
        log.append(f)
    log.close()
    expected = FeatureTable.from_frames(rows)
    for table in (log.table({}), read_rows(tmp_path / "x.rows", {})):
        for k in ("t_s", "face", "levels", "head", "blendshapes", "faces_seen"):
            np.testing.assert_array_equal(getattr(table, k), getattr(expected, k))
        np.testing.assert_array_equal(table.landmarks[[0, 1, 3, 4]], expected.landmarks[[0, 1, 3, 4]])
    data = (tmp_path / "x.rows").read_bytes()
    (tmp_path / "x.rows").write_bytes(data[:-100])  # the last row cut by a kill
    assert len(read_rows(tmp_path / "x.rows", {})) == 4
    (tmp_path / "x.rows").write_bytes(b"not a row log")
    with pytest.raises(ValueError, match="not a Glimpse row log"):
        read_rows(tmp_path / "x.rows", {})


def test_sessions_recorded_before_matroska_still_open(tmp_path):
    """Older sessions have .mp4 segments (OpenCV's mp4v)."""
    import cv2

    folder = record(tmp_path).folder
    for mkv in sorted((folder / "segments").glob("*.mkv")):
        cap, out = cv2.VideoCapture(str(mkv)), None
        while True:
            ok, image = cap.read()
            if not ok:
                break
            if out is None:
                out = cv2.VideoWriter(str(mkv.with_suffix(".mp4")), cv2.VideoWriter_fourcc(*"mp4v"), FPS, (64, 48))
            out.write(image)
        out.release()
        mkv.unlink()
    s = open_session(folder)
    assert [p.suffix for p in s.segments] == [".mp4"] * 3 and s.segment_frames == (10, 10, 5)


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
    elif how == "bad mark line":
        (folder / "marks.jsonl").write_text('{"t_s": "soon"}\n' + (folder / "marks.jsonl").read_text())
    elif how == "bad pause line":
        (folder / "pauses.jsonl").write_text('{"at": 3}\n' + (folder / "pauses.jsonl").read_text())
    elif how == "no segments":
        for p in seg.iterdir():
            p.unlink()


@pytest.mark.parametrize("how, message", [
    ("no session.json", "no session.json"),
    ("not JSON", "not valid JSON"),
    ("version 99", "version 99"),
    ("no segments", "no readable video segment"),
])
def test_folders_with_nothing_to_show_are_refused_by_name(tmp_path, how, message):
    folder = record(tmp_path).folder
    _break(folder, how)
    with pytest.raises(SessionInvalid, match=message):
        open_session(folder)


# (segments kept, frames per segment, what the missing list says); segments are 1 s of 10 frames here
DAMAGED = {
    "missing video": ((0, 2), (10, 5), "the video of 0:01-0:02 (its video file is missing)"),
    "missing segment": ((0, 2), (10, 5), "the video of 0:01-0:02 (its files are missing)"),
    "corrupt features": ((0, 2), (10, 5), "the video of 0:01-0:02 (its measurements are damaged)"),
    "short video": ((0, 1, 2), (10, 5, 5), "the video of 0:01-0:02 (part of its video is damaged)"),
    "bad moment line": ((0, 1, 2), (10, 10, 5), "1 of the moments (damaged lines in moments.jsonl)"),
    "bad mark line": ((0, 1, 2), (10, 10, 5), "1 of the marks (damaged lines in marks.jsonl)"),
    "bad pause line": ((0, 1, 2), (10, 10, 5), "1 of the call pauses (damaged lines in pauses.jsonl)"),
    "bad settings": ((0, 1, 2), (10, 10, 5), "the settings of the recording (settings.json is damaged"),
}


@pytest.mark.parametrize("how", DAMAGED)
def test_a_damaged_session_opens_with_what_is_intact_and_says_what_is_missing(tmp_path, how):
    """Issue 20 item 2: a deleted segment video, a damaged moments or marks line, damaged settings: the
    rest opens, and one plain message lists what is missing with its time span (m:ss)."""
    folder = record(tmp_path).folder
    _break(folder, how)
    s = open_session(folder)
    kept, frames, words = DAMAGED[how]
    assert [p.name[:6] for p in s.segments] == [f"{k:06d}" for k in kept]
    assert s.segment_frames == frames and len(s.table) == sum(frames)
    assert len(s.missing) == 1 and s.missing[0].startswith(words), s.missing
    assert s.missing_message.startswith("Part of this session is damaged and left out: ")
    assert len(s.moments) == 1 and s.moments[0].prompt == "What else comes to mind about that?"
    assert s.marks == (pytest.approx(1.2),) and s.pauses == (pytest.approx(1.5),)
    assert s.settings == (Settings() if how == "bad settings" else preset("gentle"))
    assert s.locate(len(s.table) - 1) == (len(kept) - 1, frames[-1] - 1)  # rows still map to their videos


def test_a_whole_session_has_nothing_missing(tmp_path):
    s = open_session(record(tmp_path).folder)
    assert s.missing == () and s.missing_message is None


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

    code = ("import sys; sys.modules['PySide6'] = None; import app.store.session; "
            "assert not any(m.startswith('PySide6') and sys.modules[m] for m in sys.modules)")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=str(Path(__file__).parent.parent))
