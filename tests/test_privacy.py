"""Privacy: no network connection, ever; nothing on disk unless recording or caching is on; owner-only
folders and files; one action deletes a recording with its cache; an altered model is refused."""

from __future__ import annotations

import os
import shutil
import socket
import stat
import subprocess
import threading
from pathlib import Path

import numpy as np
import pytest

from app.cli.main import main as cli_main
from app.errors import ModelAltered
from app.face.features import N_LEVELS, FrameFeatures
from app.face.tracking import DEFAULT_MODEL
from app.run.choices import file_choice
from app.run.live import FAILED
from app.run.recordings import load_video
from app.settings.schema import Settings
from app.settings.store import SettingsStore
from app.sources.capture import Frame, PacedSource, SourceInfo
from app.store.cache import cache_path
from app.store.marks import review_path_for_video
from app.store.session import SessionWriter
from app.system.files import video_digest
from app.ui.live import LivePage
from app.ui.replay import ReplayPage
from app.ui.worker import LiveWorker
from tests.support.privacy import privacy_probe

DATA = Path(__file__).parent / "data"
CLIP = DATA / "single_face.mp4"


@pytest.fixture
def no_network(monkeypatch):
    """Every Python-level way to reach the network fails the test (and is recorded)."""
    attempts = []

    def refuse(name):
        def call(*args, **kwargs):
            attempts.append((name, args[1:2]))
            raise OSError(f"the test forbids the network ({name})")
        return call

    for name in ("connect", "connect_ex", "sendto"):
        monkeypatch.setattr(socket.socket, name, refuse(f"socket.{name}"))
    monkeypatch.setattr(socket, "create_connection", refuse("socket.create_connection"))
    monkeypatch.setattr(socket, "getaddrinfo", refuse("socket.getaddrinfo"))
    return attempts


def test_analyze_live_and_replay_try_no_connection(qtbot, tmp_path, monkeypatch, no_network):
    monkeypatch.setenv("GLIMPSE_CACHE_DIR", str(tmp_path / "cache"))
    assert cli_main(["analyze", str(CLIP), "--out", str(tmp_path / "m.json"), "--quiet"]) == 0

    live = LivePage(SettingsStore(), lambda: tmp_path / "sessions", lambda: [], confirm_consent=lambda parent: True)
    qtbot.addWidget(live)
    live.show()
    saved = []
    live.recording_saved.connect(saved.append)
    live.record_button.click()
    live.play(file_choice(DATA / "injected_short.mp4", speed=2.0))
    qtbot.waitUntil(lambda: live.preview.frames_painted > 30, timeout=15_000)
    live.stop()
    qtbot.waitUntil(lambda: bool(saved), timeout=10_000)
    live.shutdown()

    page = ReplayPage(SettingsStore.open(tmp_path / "settings.json"), synchronous=True)
    qtbot.addWidget(page)
    for path in (CLIP, saved[0]):
        page.open_path(path)
        assert page.analysis is not None, page.last_message
    page.shutdown()
    assert no_network == []


def _only_under(files: dict, root: Path) -> bool:
    return all(Path(p) == root or Path(p).is_relative_to(root) or root.is_relative_to(Path(p)) for p in files)


@pytest.fixture(scope="module")
def probe(tmp_path_factory):
    """analyze, live without and with recording, replay with caching off and on, and replay of the
    recording, in one child process (under strace when it can run there), with HOME, XDG folders,
    TMPDIR and the working folder empty."""
    work = tmp_path_factory.mktemp("privacy")
    return work, privacy_probe(work, strace=_strace_works() is None)


def _strace_works() -> str | None:
    """Why strace cannot trace a child here (None when it can)."""
    if shutil.which("strace") is None:
        return "strace is not installed (make test installs it with apt-get; that failed or was not allowed)"
    done = subprocess.run(["strace", "-f", "-qq", "-e", "trace=connect", "-o", os.devnull, "true"],
                          capture_output=True, text=True)
    return None if done.returncode == 0 else f"strace cannot trace here (ptrace refused?): {done.stderr.strip()[:200]}"


def test_no_connection_attempt_at_all_under_strace(probe):
    """strace sees native code too (MediaPipe's usage uploader is C++ with its own libcurl): during
    analyze, a live session (also recording) and replay's tracking, no connect(), sendto() or sendmsg()
    on any AF_INET or AF_INET6 socket, not even to this computer's own addresses."""
    _, report = probe
    if not report["traced"]:
        why = _strace_works() or "strace did not run"
        pytest.skip(f"NOT CHECKED: the native no-network check needs strace: {why}")
    assert report["inet_calls"] == [], report["inet_calls"]


def test_nothing_leaves_the_computer_and_nothing_is_written_unless_asked(probe):
    """No Python-level network attempt, and each step writes only what it is asked to, owner-only."""
    tmp_path, report = probe
    home = tmp_path / "home"
    steps = report["steps"]
    assert report["python_network_attempts"] == []
    cache_root = home / ".cache" / "glimpse"
    # analyze writes its --out file and keeps the features in the cache replay uses (--no-cache: nothing)
    analyzed = dict(steps["analyze --out"])
    assert analyzed.pop(str(tmp_path / "out" / "moments.json")) == "0o600"
    assert analyzed and _only_under(analyzed, cache_root)
    assert steps["live, not recording"] == {}
    assert steps["replay a video, caching off"] == {}
    assert steps["replay a video, caching on"] and _only_under(steps["replay a video, caching on"], cache_root)
    sessions = home / ".local" / "share" / "glimpse" / "sessions"
    assert steps["live, recording"] and _only_under(steps["live, recording"], sessions)
    assert steps["replay the recorded session"] == {}
    # owner-only: every folder and file of the cache and the recording
    private = {p: m for step in ("analyze --out", "replay a video, caching on", "live, recording")
               for p, m in steps[step].items()
               if Path(p).is_relative_to(cache_root) or Path(p).is_relative_to(sessions)}
    assert len(private) >= 10
    for p, mode in private.items():
        assert mode == ("0o700" if Path(p).suffix == "" else "0o600"), (p, mode)
    assert steps["analyze --out"][str(tmp_path / "out" / "moments.json")] == "0o600"


def test_a_segment_is_owner_only_while_it_is_being_written(tmp_path):
    w = SessionWriter(tmp_path, SourceInfo("stand-in", 10.0, 64, 48), Settings(), consent_confirmed=True)
    w.add_frame(Frame(0, 0.0, np.zeros((48, 64, 3), np.uint8)),
                FrameFeatures(0.0, True, np.zeros(N_LEVELS, np.float32), np.zeros(3, np.float32),
                              np.zeros(52, np.float32), 1))
    partial = next((w.folder / "segments").glob("*.partial.mkv"))
    assert stat.S_IMODE(partial.stat().st_mode) == 0o600
    w.close()


def _recorded_session(root: Path) -> Path:
    w = SessionWriter(root, SourceInfo("stand-in", 10.0, 64, 48), Settings(), consent_confirmed=True, segment_s=1.0)
    rng = np.random.default_rng(0)
    for i in range(25):
        w.add_frame(Frame(i, i / 10, np.full((48, 64, 3), i * 9, np.uint8)),
                    FrameFeatures(i / 10, True, rng.normal(0, 0.01, N_LEVELS).astype(np.float32),
                                  np.zeros(3, np.float32), np.zeros(52, np.float32), 1,
                                  rng.random((478, 3)).astype(np.float32)))
    w.close()
    return w.folder


def test_one_action_deletes_a_session_or_a_videos_cache_and_marks(qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("GLIMPSE_CACHE_DIR", str(tmp_path / "cache"))
    folder = _recorded_session(tmp_path / "sessions")
    page = ReplayPage(SettingsStore.open(tmp_path / "settings.json"), synchronous=True)
    qtbot.addWidget(page)
    asked = []
    page.confirm_delete = lambda parent, question: asked.append(question) or len(asked) > 1
    page.open_path(folder)
    assert page.delete_action.isEnabled() and page.delete_action.text() == "Delete this session…"
    assert page.delete_action in page.menu_actions()
    page.review.save()  # the listener's marks live in the folder too
    page.delete_action.trigger()  # declined: nothing happens
    assert folder.exists() and page.recording is not None
    page.delete_action.trigger()
    assert not folder.exists() and page.recording is None and not page.delete_action.isEnabled()
    assert "Deleted" in page.last_message and str(folder) in asked[-1]

    video = tmp_path / "clip.mp4"
    shutil.copy(CLIP, video)
    page.open_path(video)
    assert page.delete_action.text() == "Delete this video's cache and marks…"
    page.review.save()
    digest = video_digest(video)
    kept = [cache_path(video, digest=digest), review_path_for_video(digest)]
    assert all(p.exists() for p in kept)
    page.delete_action.trigger()
    assert not any(p.exists() for p in kept) and video.exists(), "the video itself is the person's own file"
    assert "the video stays" in page.last_message
    page.shutdown()


def test_replay_with_caching_off_keeps_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("GLIMPSE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("GLIMPSE_CACHE", "off")
    rec = load_video(CLIP, Settings(), None, lambda d, t: None, threading.Event())
    assert rec.review_path is None and rec.tracked
    assert not (tmp_path / "cache").exists()


def test_an_altered_model_is_refused_by_analyze_live_and_replay(qtbot, tmp_path, capsys, monkeypatch):
    altered = tmp_path / "face_landmarker.task"
    data = bytearray(DEFAULT_MODEL.read_bytes())
    data[len(data) // 2] ^= 1
    altered.write_bytes(bytes(data))
    code = cli_main(["analyze", str(CLIP), "--model", str(altered), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "altered" in err and str(altered) in err

    worker = LiveWorker(lambda: PacedSource(CLIP), Settings(), model_path=altered)
    errors = []
    worker.error.connect(errors.append)
    with qtbot.waitSignal(worker.stopped, timeout=10_000) as stopped:
        worker.start()
    assert stopped.args == [FAILED] and "altered" in errors[0]
    assert worker.join(5.0)

    monkeypatch.setenv("GLIMPSE_CACHE_DIR", str(tmp_path / "cache"))
    with pytest.raises(ModelAltered):
        load_video(CLIP, Settings(), str(altered), lambda d, t: None, threading.Event())


def test_every_proxy_setting_names_a_proxy_libcurl_refuses(monkeypatch):
    """The uploader's libcurl reads these at each request: a host listed in NO_PROXY would bypass them."""
    from app.face import tracking
    monkeypatch.setenv("NO_PROXY", "play.googleapis.com")
    monkeypatch.setenv("https_proxy", "http://proxy.example:3128")
    for name in tracking.PROXY_VARIABLES + tracking.NO_PROXY_VARIABLES:
        monkeypatch.setenv(name, os.environ.get(name, ""))  # restored after the test
    tracking.keep_mediapipe_offline()
    assert all(os.environ[n] == tracking.OFFLINE_PROXY for n in tracking.PROXY_VARIABLES)
    assert not any(n in os.environ for n in tracking.NO_PROXY_VARIABLES)
    assert tracking.OFFLINE_PROXY.split("://")[0] not in ("http", "https", "socks4", "socks4a", "socks5", "socks5h")
