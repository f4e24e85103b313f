"""The local crash log: a forced crash (Python or native) leaves a report, and the next start points at it."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading

import pytest

from app.system import crashlog

START_TIMEOUT_S = 120


def glimpse(args: list[str], log_dir, **env) -> subprocess.CompletedProcess:
    """`python -m app ARGS` (the `glimpse` command) with its logs in `log_dir`."""
    environment = {**os.environ, "GLIMPSE_LOG_DIR": str(log_dir), **env}
    environment.pop(crashlog.CRASH_TEST_ENV, None) if crashlog.CRASH_TEST_ENV not in env else None
    return subprocess.run([sys.executable, "-m", "app", *args], capture_output=True, text=True, env=environment,
                          timeout=START_TIMEOUT_S)


def test_a_forced_crash_is_logged_and_the_next_start_points_at_it_once(tmp_path):
    crashed = glimpse(["--crash-test"], tmp_path)
    assert crashed.returncode == 1
    assert crashlog.FORCED_CRASH in crashed.stderr  # the usual traceback still reaches the terminal
    log = (tmp_path / crashlog.LOG_NAME).read_text()
    assert (tmp_path / crashlog.LOG_NAME).stat().st_mode & 0o777 == 0o600  # owner-only
    assert "Uncaught exception in Glimpse" in log and f"RuntimeError: {crashlog.FORCED_CRASH}" in log

    after = glimpse(["devices"], tmp_path)
    assert after.returncode == 0
    assert f"its report is in {tmp_path / crashlog.LOG_NAME}" in after.stderr
    again = glimpse(["devices"], tmp_path)
    assert "report is in" not in again.stderr  # said once, not at every start


def test_a_clean_run_leaves_no_notice(tmp_path):
    assert "report is in" not in glimpse(["devices"], tmp_path).stderr
    assert "report is in" not in glimpse(["devices"], tmp_path).stderr


def test_a_native_crash_is_written_by_faulthandler(tmp_path):
    crashed = glimpse([], tmp_path, GLIMPSE_CRASH_TEST="native")
    assert crashed.returncode == -signal.SIGSEGV
    log = (tmp_path / crashlog.LOG_NAME).read_text()
    assert "Fatal Python error: Segmentation fault" in log
    assert "crash_if_asked" in log  # the Python stack at the moment of the fault
    assert "report is in" in glimpse(["devices"], tmp_path).stderr


def test_crash_mode_reads_the_flag_then_the_environment():
    assert crashlog.crash_mode(None, {}) is None
    assert crashlog.crash_mode(None, {"GLIMPSE_CRASH_TEST": "0"}) is None
    assert crashlog.crash_mode(None, {"GLIMPSE_CRASH_TEST": "1"}) == "python"
    assert crashlog.crash_mode(None, {"GLIMPSE_CRASH_TEST": "native"}) == "native"
    assert crashlog.crash_mode("native", {}) == "native"


@pytest.fixture
def installed(tmp_path, monkeypatch):
    crashlog.uninstall()
    monkeypatch.setattr(threading, "excepthook", lambda args: None)  # what our hooks hand on to: quiet
    monkeypatch.setattr(sys, "excepthook", lambda *exc: None)
    notice = crashlog.install(tmp_path)
    # pytest and pytest-qt put their own hooks in place while each test runs: the test calls ours
    yield tmp_path, notice, threading.excepthook, sys.excepthook
    crashlog.uninstall()


@pytest.mark.qt_no_exception_capture  # our hook hands on to the previous one, which would be pytest-qt's
def test_hooks_log_uncaught_exceptions_in_threads_and_rotate(installed, monkeypatch):
    folder, notice, thread_hook, sys_hook = installed
    assert notice is None
    try:
        _ = 1 / 0
    except ZeroDivisionError:
        kind, value, tb = sys.exc_info()
    thread_hook(threading.ExceptHookArgs([kind, value, tb, threading.Thread(name="worker-x")]))
    text = (folder / crashlog.LOG_NAME).read_text()
    assert "Uncaught exception in thread worker-x" in text and "ZeroDivisionError" in text
    handler = next(h for h in logging.getLogger(crashlog.LOGGER).handlers if isinstance(h, crashlog._CrashFileHandler))
    monkeypatch.setattr(handler, "maxBytes", 2000)
    for n in range(10):
        try:
            raise ValueError(f"failure {n}" + "x" * 300)
        except ValueError:
            sys_hook(*sys.exc_info())
    logs = sorted(p.name for p in folder.glob(crashlog.LOG_NAME + "*"))
    assert logs == [crashlog.LOG_NAME, f"{crashlog.LOG_NAME}.1", f"{crashlog.LOG_NAME}.2"]  # BACKUPS kept
    assert all((folder / name).stat().st_size <= 2000 + 1500 for name in logs)
    assert {(folder / name).stat().st_mode & 0o777 for name in logs} == {0o600}


def test_an_unwritable_log_folder_does_not_stop_the_start(tmp_path, capsys):
    crashlog.uninstall()
    blocked = tmp_path / "file"
    blocked.write_text("")
    assert crashlog.install(blocked / "logs") is None
    assert "no crash log" in capsys.readouterr().err
    crashlog.uninstall()
