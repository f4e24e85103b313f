"""Reliability: a camera lost mid-session, corrupt settings and caches, SIGKILL while recording or
writing, and a long session. (Bad input files: test_fuzz.py; privacy: test_privacy.py.)

The figures in RELIABILITY.md come from the same functions (bench/, `python -m bench reliability`), run longer."""

from __future__ import annotations

import json
import os
import random
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QTimer

from app.cli.main import main as cli_main
from app.errors import CameraLost, CameraUnavailable
from app.face.features import N_LEVELS, FeatureTable
from app.run.choices import SourceChoice
from app.run.recordings import load_session, load_video
from app.settings.schema import Settings, preset
from app.settings.store import SettingsStore, save, to_json
from app.sources.capture import CameraSource, Frame, ReconnectingSource, SourceInfo
from app.store.cache import load_cached, save_cached
from app.store.session import open_session
from app.ui.live import LivePage
from tests.support import crash, long_run
from tests.support.faults import CameraScript

DATA = Path(__file__).parent / "data"


# -- a camera lost mid-session -----------------------------------------------------------------------------

class ScriptedSource:
    """Delivers `n` frames at once, then raises `then` (or ends)."""

    info = SourceInfo("stand-in camera", 30.0, 8, 8)

    def __init__(self, n: int, then: BaseException | None = None):
        self.n, self.then, self.closed = n, then, False

    def __iter__(self):
        for i in range(self.n):
            yield Frame(i, i / 30, np.zeros((8, 8, 3), np.uint8))
        if self.then is not None:
            raise self.then

    def close(self):
        self.closed = True


def test_a_lost_source_is_reopened_and_its_clock_goes_on():
    steps = [lambda: ScriptedSource(5, CameraLost("camera 0 delivered no frame for 2.0 s")),
             CameraUnavailable("camera 0 could not be opened"), CameraUnavailable("camera 0 could not be opened"),
             lambda: ScriptedSource(4)]
    opened = []

    def open_source():
        step = steps.pop(0)
        if isinstance(step, Exception):
            raise step
        opened.append(step())
        return opened[-1]

    lost, back = [], []
    source = ReconnectingSource(open_source, retry_s=(0.02, 0.04), on_lost=lost.append,
                                on_back=lambda: back.append(1))
    frames = list(source)
    assert [f.index for f in frames] == list(range(9))
    t = np.array([f.t_s for f in frames])
    assert np.all(np.diff(t) > 0)
    assert t[5] - t[4] >= 0.02 + 0.04 + 0.04 - 1e-3, "the time spent reconnecting is in the clock"
    assert lost == ["camera 0 delivered no frame for 2.0 s"] and back == [1]
    assert source.losses == 1 and source.attempts == 2 and opened[0].closed


def test_stop_ends_a_reconnection_that_never_succeeds():
    stop, calls = threading.Event(), []

    def open_source():
        calls.append(1)
        if len(calls) == 1:
            return ScriptedSource(3, CameraLost("camera 0 delivered no frame for 2.0 s"))
        raise CameraUnavailable("camera 0 could not be opened")

    source = ReconnectingSource(open_source, stop, retry_s=(0.01,))
    timer = threading.Timer(0.3, stop.set)
    timer.start()
    t0 = time.monotonic()
    assert len(list(source)) == 3
    assert time.monotonic() - t0 < 2.0 and source.attempts >= 5
    timer.join()
    with pytest.raises(CameraLost):  # without retries the loss is the caller's
        list(ReconnectingSource(lambda: ScriptedSource(2, CameraLost("gone")), retry_s=()))


@dataclass(frozen=True)
class StandInCamera(SourceChoice):
    """A camera choice whose device is the fault-injecting stand-in."""

    script: CameraScript | None = None

    def opener(self, width, height, fps):
        return lambda: CameraSource(self.camera, width, height, fps, lost_after_s=0.5,
                                    open_capture=self.script.capture)


def test_a_lost_camera_is_shown_retried_and_resumed_with_the_recording_kept(qtbot, tmp_path, monkeypatch):
    monkeypatch.setattr("app.sources.capture.RETRY_S", (0.2, 0.4))
    monkeypatch.setattr("app.run.live.STALL_S", 1.0)
    script = CameraScript(DATA / "single_face.mp4")
    page = LivePage(SettingsStore(), lambda: tmp_path / "sessions", lambda: [], confirm_consent=lambda parent: True)
    page.watch.confirm = lambda parent, kind: True  # the notice to the other person: tests/test_screen_watch.py
    qtbot.addWidget(page)
    page.resize(800, 600)
    page.show()
    errors, saved = [], []
    page.error.connect(errors.append)
    page.recording_saved.connect(saved.append)
    ticks = []
    timer = QTimer(page, interval=20)
    timer.timeout.connect(lambda: ticks.append(time.monotonic()))
    timer.start()
    page.record_button.click()
    page.play(StandInCamera("stand-in camera", camera=0, script=script))

    def frames_flow(more=15):
        painted = page.preview.frames_painted
        qtbot.waitUntil(lambda: page.preview.frames_painted >= painted + more, timeout=10_000)

    qtbot.waitUntil(page.is_recording, timeout=10_000)
    frames_flow()
    for fault, outage_s in (("error", 0.0), ("gone", 1.0), ("hang", 0.0)):
        script.set(fault)
        qtbot.waitUntil(lambda: page.camera_lost, timeout=5_000)
        assert page.status_label.text().startswith("Camera lost") and "recorded is kept" in page.status_label.text()
        assert "Camera lost" in page.preview.placeholder and page.dot.state is None
        assert page.is_running() and page.is_recording()
        if fault == "hang":  # the listener stops recording while the camera is away: it stops at once
            page.record_button.click()
            qtbot.waitUntil(lambda: bool(saved), timeout=5_000)
        qtbot.wait(int(outage_s * 1000))
        script.set("ok")
        qtbot.waitUntil(lambda: not page.camera_lost, timeout=10_000)
        frames_flow()
        assert not page.status_label.text().startswith("Camera lost")
    page.stop()
    qtbot.waitUntil(lambda: not page.is_running(), timeout=10_000)
    timer.stop()
    assert errors == [], "a lost camera is not an error that ends the session"
    assert max(np.diff(ticks)) < 0.5, "the window kept answering while the camera was away"
    assert len(saved) == 1
    session = open_session(saved[0])
    gaps = session.info["gaps"]
    assert len(gaps) == 3 and all(g["back_s"] > g["lost_s"] for g in gaps[:2]) and gaps[2]["back_s"] is None
    assert len(session.segments) >= 3, "each loss finishes the segment under way; the recording goes on in a new one"
    assert np.all(np.diff(session.table.t_s) > 0) and session.table.face.mean() > 0.8
    assert any("camera was lost 3 time(s)" in n for n in session.notes)
    assert script.refused >= 1 and script.opened >= 3
    rec = load_session(saved[0], Settings(), None, lambda d, t: None, threading.Event())
    assert len(rec.segments) == len(session.segments)
    page.shutdown()


# -- corrupt settings and caches ----------------------------------------------------------------------------

def _mutations(data: bytes, rng: random.Random, n: int) -> list[bytes]:
    """Truncated, bit-flipped, random and otherwise broken versions of `data`."""
    out = [b"", b"\xff\xfe\x00garbage", b"[" * 100_000, b"null", b"[]", b'"text"', b"{" + data]
    for _ in range(n):
        k = rng.randrange(4)
        if k == 0:
            out.append(data[:rng.randrange(len(data))])
        elif k == 1:
            b = bytearray(data)
            for _ in range(rng.choice((1, 3, 10))):
                b[rng.randrange(len(b))] ^= 1 << rng.randrange(8)
            out.append(bytes(b))
        elif k == 2:
            out.append(rng.randbytes(rng.randrange(1, 400)))
        else:
            out.append(data.replace(b"50.0", rng.choice([b"1e999", b"NaN", b'"high"', b"-3", b"[]", b"true"])))
    return out


def test_corrupt_settings_give_defaults_a_clear_message_and_are_kept_aside(tmp_path, capsys):
    good = to_json(preset("attentive")).encode()
    cases = _mutations(good.replace(b"75.0", b"50.0"), random.Random(5), 80)
    broken = 0
    for k, data in enumerate(cases):
        path = tmp_path / f"{k}" / "settings.json"
        path.parent.mkdir()
        path.write_bytes(data)
        store = SettingsStore.open(path)
        settings, message = store.settings, store.problem
        if message is None:  # a harmless change: the file still holds valid settings
            assert path.read_bytes() == data
            continue
        broken += 1
        assert settings == Settings() and "\n" not in message and str(path) in message
        aside = list(path.parent.glob("settings.json.broken-*"))
        assert not path.exists() and len(aside) == 1 and aside[0].read_bytes() == data
        assert str(aside[0]) in message
        code = cli_main(["analyze", str(DATA / "single_face.mp4"), "--settings", str(aside[0]), "--quiet"])
        err = capsys.readouterr().err
        assert code == 2 and err.startswith("glimpse: ") and err.count("\n") == 1 and str(aside[0]) in err
    assert broken >= 60


def _table(n: int) -> FeatureTable:
    rng = np.random.default_rng(n)
    return FeatureTable(np.arange(n) / 30.0, np.ones(n, bool), rng.normal(size=(n, N_LEVELS)).astype(np.float32),
                        np.zeros((n, 3), np.float32), np.zeros((n, 52), np.float16), np.ones(n, np.int8),
                        meta={"source": "x.mp4", "fps": 30.0})


def test_corrupt_caches_are_moved_aside_and_rebuilt(tmp_path, monkeypatch):
    good = tmp_path / "good.npz"
    save_cached(good, _table(50))
    data = good.read_bytes()
    for k, bad in enumerate(_mutations(data, random.Random(9), 60)):
        path = tmp_path / "cache" / f"{k}.npz"
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(bad)
        table = load_cached(path)
        if table is None:
            assert not path.exists() and path.with_suffix(".corrupt").read_bytes() == bad
        else:  # a change the zip format does not notice must still give a whole table
            assert len(table.t_s) == len(table.levels) == len(table.face)
    # end to end: the replay loader tracks again, saves a good cache and keeps the bad one aside
    monkeypatch.setenv("GLIMPSE_CACHE_DIR", str(tmp_path / "replay-cache"))
    from app.store.cache import cache_path
    from app.system.files import video_digest

    video = DATA / "single_face.mp4"
    cache = cache_path(video, digest=video_digest(video))
    cache.parent.mkdir(parents=True)
    cache.write_bytes(data[: len(data) // 2])
    rec = load_video(video, Settings(), None, lambda d, t: None, threading.Event())
    assert rec.tracked and len(FeatureTable.load(cache)) == 72
    assert cache.with_suffix(".corrupt").read_bytes() == data[: len(data) // 2]


# -- crash safety ----------------------------------------------------------------------------------------------

def test_sigkill_while_recording_keeps_moments_marks_and_all_but_the_last_half_second(tmp_path):
    run = crash.kill_recording(tmp_path / "sessions", after_s=7.5, segment_s=2.0)
    assert run.folder is not None and run.errors == []
    fig = crash.kill_figures(run, segment_s=2.0)
    assert fig["moments_due"] >= 1, fig
    assert fig["moments_kept"] == fig["moments_due"], "every moment reported a second before the kill is on disk"
    assert fig["marks_on_disk"] >= fig["marks_due"] >= 5
    assert fig["segments"] >= fig["segments_expected_min"] >= 2
    assert fig["lost_s"] <= 1.0, "at most a second of video is lost (a Matroska cluster is 0.5 s)"
    assert any("cut off" in n for n in fig["notes"])
    rec = load_session(run.folder, Settings(), None, lambda d, t: None, threading.Event())  # replay opens it
    assert len(rec.analysis.table) == sum(open_session(run.folder).segment_frames)


def test_sigkill_during_writes_leaves_whole_settings_exports_and_caches(tmp_path, monkeypatch):
    rng = random.Random(11)
    for k in range(3):
        found = crash.kill_atomic_writer(tmp_path / f"run{k}", rng.uniform(0.4, 1.2))
        assert found["settings"] in ("balanced", "attentive"), found
        assert found["export"] in (10, 50_000), found
        assert found["cache"] in (1000, 20_000), found
    # a temporary file a kill left behind is removed by a later write of the same file, once it is old
    monkeypatch.setattr("app.system.files.STALE_TEMP_S", -1.0)
    left = tmp_path / "run0" / ".settings.json.k1ll3d00.tmp"
    left.write_text("half a file")
    save(Settings(), tmp_path / "run0" / "settings.json")
    assert not left.exists()


def _aged(path: Path, seconds: float, text: str = "half a file") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    os.utime(path, (time.time() - seconds, time.time() - seconds))
    return path


def test_temporary_files_of_cut_writes_are_removed_at_the_next_start(tmp_path, monkeypatch):
    """Only Glimpse's own temporary-file pattern, only older than a minute, only in its own folders
    (settings, cache, sessions) and their folders two levels down."""
    import app.__main__ as entry

    config, cache, sessions = tmp_path / "config", tmp_path / "cache", tmp_path / "sessions"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(config))
    monkeypatch.setenv("GLIMPSE_CACHE_DIR", str(cache))
    monkeypatch.setenv("GLIMPSE_SESSIONS_DIR", str(sessions))
    stale = [_aged(config / "glimpse" / ".settings.json.a1b2c3d4.tmp", 120),
             _aged(cache / "features" / ".0f3e.npz.zz_9ab01.tmp", 120),
             _aged(sessions / "session-x" / ".session.json.qwertyui.tmp", 3600),
             _aged(sessions / "session-x" / "segments" / ".000003.npz.abcdefgh.tmp", 61)]
    kept = [_aged(config / "glimpse" / ".settings.json.a1b2c3d5.tmp", 10),  # may still be being written
            _aged(cache / "features" / "notes.tmp", 120),  # not our pattern
            _aged(cache / "features" / ".x.ABCDEFGH.tmp", 120),
            _aged(sessions / "session-x" / "segments" / "000003.partial.rows", 120),  # a cut recording's: kept
            _aged(sessions / "a" / "b" / "c" / ".deep.abcdefgh.tmp", 120),  # deeper than Glimpse writes
            _aged(tmp_path / "elsewhere" / ".settings.json.a1b2c3d4.tmp", 120)]  # not Glimpse's folder
    (sessions / "session-x" / ".dir.abcdefgh.tmp").mkdir()  # a folder, not a file
    calls = []
    monkeypatch.setattr(entry, "cli_main", lambda argv: calls.append(argv) or 0)
    assert entry.main(["--version"]) == 0 and calls == [["--version"]]
    assert not any(p.exists() for p in stale)
    assert all(p.exists() for p in kept) and (sessions / "session-x" / ".dir.abcdefgh.tmp").is_dir()


# -- a long session ----------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def tracked_clip():
    return long_run.track_clip(DATA / "injected_short.mp4")


def test_five_minutes_of_frames_grow_no_memory_and_keep_exact_times(tracked_clip, tmp_path):
    faces, size = tracked_clip
    run = long_run.long_session(faces, size, 5.0, tmp_path)
    fig = long_run.long_figures(run)
    assert fig["frames"] == 9000 and fig["segments"] == 30
    assert fig["growth_mb"] < 50, fig
    assert fig["moments_early"] >= 3 and fig["moments_late"] == fig["moments_early"], fig
    assert fig["worst_time_error_s"] < 1e-6, "the same frames late in a session give the same moment times"
    session = open_session(run.folder)
    assert len(session.table) == 9000 and len(session.moments) == len(run.moments)
    assert json.loads((run.folder / "session.json").read_text())["frames"] == 9000
