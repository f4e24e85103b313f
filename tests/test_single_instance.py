"""One Glimpse window per user (issue 20 item 6: two starts opened two windows that both watched the camera).

A second start finds the first's lock, brings its window forward (handing it the recording to open) and ends;
a lock left by a Glimpse that died is taken over; a first that holds the lock but does not answer is reported.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from PySide6.QtCore import QLockFile, QSettings

from app.ui import app as app_module
from app.ui.app import ALREADY_OPEN, MainWindow
from app.ui.single_instance import LOCK_NAME, SingleInstance, socket_name
from tests.support.child import child_env
from tests.support.paths import ROOT

DATA = Path(__file__).parent / "data"
# a second start, as `glimpse replay PATH` makes it, in a process of its own (the first answers in this one)
SECOND = """
import sys
from pathlib import Path
from PySide6.QtCore import QCoreApplication
from app.ui.single_instance import SingleInstance
app = QCoreApplication([])
second = SingleInstance(Path(sys.argv[1]))
print("acquired" if second.acquire() else "answered" if second.ask_first(sys.argv[2]) else "no answer", flush=True)
"""
HOLDER = """
import sys, time
from pathlib import Path
from PySide6.QtCore import QLockFile
lock = QLockFile(str(Path(sys.argv[1]) / "window.lock"))
lock.setStaleLockTime(0)
print("held" if lock.tryLock(0) else "not held", flush=True)
time.sleep(60)
"""


def run_second(qtbot, folder: Path, path: str) -> str:
    """The second start's word, while this process (the first) keeps answering."""
    proc = subprocess.Popen([sys.executable, "-c", SECOND, str(folder), path], env=child_env(), cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    qtbot.waitUntil(lambda: proc.poll() is not None, timeout=60_000)
    out, err = proc.communicate()
    assert proc.returncode == 0, err
    return out.strip()


def test_a_second_start_brings_the_first_window_forward_with_its_recording(qtbot, tmp_path):
    folder = tmp_path / "run"
    qs = QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat)
    qs.setValue("welcome_seen", True)
    window = MainWindow(None, qs, tmp_path / "settings.json", lambda: tmp_path / "sessions", lambda: [])
    qtbot.addWidget(window)
    window.show()
    window.showMinimized()
    first = SingleInstance(folder)
    assert first.acquire() and (folder / LOCK_NAME).is_file()
    first.woken.connect(window.bring_forward)
    opened = []
    window.open_in_review = opened.append  # the request reaches the window; Review's opening is tested elsewhere
    with qtbot.waitSignal(first.woken, timeout=60_000) as woken:
        assert run_second(qtbot, folder, str(DATA / "injected_short.mp4")) == "answered"
    assert woken.args == [str(DATA / "injected_short.mp4")]
    assert opened == [str(DATA / "injected_short.mp4")] and not window.isMinimized()
    first.release()
    window.close()


def test_the_lock_of_a_glimpse_that_died_is_taken_over(qtbot, tmp_path):
    folder = tmp_path / "run"
    folder.mkdir()  # before the holder starts: it locks in it at once
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(folder)], env=child_env(), cwd=ROOT,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        waiting = SingleInstance(folder)
        assert not waiting.acquire()
        assert waiting.holder() == holder.pid
        started = time.monotonic()
        assert not waiting.ask_first(None, wait_ms=500)  # it holds the lock but listens to nothing
        assert time.monotonic() - started < 5
    finally:
        holder.kill()
        holder.wait()
    assert (folder / LOCK_NAME).exists()  # the dead one's lock is still there ...
    after = SingleInstance(folder)
    assert after.acquire()  # ... and is stale: its process is gone
    after.release()


def test_a_first_that_does_not_answer_is_reported(qtbot, tmp_path, monkeypatch, capsys):
    shown = []
    monkeypatch.setattr(app_module.QMessageBox, "information", lambda parent, title, text: shown.append(text))
    instance = SingleInstance(tmp_path)
    monkeypatch.setattr(instance, "ask_first", lambda path: False)
    monkeypatch.setattr(instance, "holder", lambda: 4242)
    assert app_module.second_start(instance, None) == 1
    err = capsys.readouterr().err
    assert "already running" in shown[0] and "4242" not in shown[0]  # the window: words only
    assert "did not answer" in err and "process id: 4242" in err


def test_long_runtime_folders_still_get_a_socket(tmp_path):
    deep = tmp_path / ("x" * 120)
    assert len(socket_name(deep).encode()) < 100 and socket_name(deep) == socket_name(deep)
    assert socket_name(Path("/run/user/1000/glimpse")) == "/run/user/1000/glimpse/window.socket"


def test_two_starts_of_the_app_make_one_window(tmp_path):
    """End to end: `python -m app replay` twice; the second ends at once and says the first came forward."""
    env = child_env({"GLIMPSE_RUNTIME_DIR": str(tmp_path / "run"), "HOME": str(tmp_path),
                     "XDG_CONFIG_HOME": str(tmp_path / "config")})
    first = subprocess.Popen([sys.executable, "-m", "app", "replay"], env=env, cwd=ROOT, stderr=subprocess.PIPE,
                             text=True)
    try:
        deadline = time.monotonic() + 60
        while not Path(socket_name(tmp_path / "run")).exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        second = subprocess.run([sys.executable, "-m", "app", "replay", str(DATA / "injected_short.mp4")], env=env,
                                cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert second.returncode == 0 and ALREADY_OPEN in second.stderr, second.stderr
    finally:
        first.terminate()
        _, err = first.communicate(timeout=30)
    assert "another start of Glimpse brought this window forward" in err


def test_a_lock_that_cannot_be_made_does_not_keep_glimpse_from_starting(tmp_path):
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    assert SingleInstance(blocked / "run").acquire()  # its folder cannot be made

    class Refused:  # a lock file the folder does not let us write (root writes anywhere: a stand-in)
        def tryLock(self, _timeout: int) -> bool:  # noqa: N802 - Qt's name
            return False

        def error(self) -> QLockFile.LockError:
            return QLockFile.LockError.PermissionError

    instance = SingleInstance(tmp_path / "run")
    instance.lock = Refused()
    assert instance.acquire() and instance.server is None
