"""Shared test set-up: Qt runs offscreen, and no test may leave a thread running."""

from __future__ import annotations

import os
import tempfile
import threading
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before anything imports Qt
# recordings made by tests never land in the user's data folder
os.environ.setdefault("GLIMPSE_SESSIONS_DIR", tempfile.mkdtemp(prefix="glimpse-test-sessions-"))
# nor the features that `glimpse analyze` caches by default in the user's cache folder
os.environ.setdefault("GLIMPSE_CACHE_DIR", tempfile.mkdtemp(prefix="glimpse-test-cache-"))
# nor crash logs (app/system/crashlog.py) in the user's log folder, where the next real start would point at them
os.environ.setdefault("GLIMPSE_LOG_DIR", tempfile.mkdtemp(prefix="glimpse-test-logs-"))
# nor the one-window-per-user lock (app/ui/single_instance.py): a window a test starts never meets the user's
os.environ.setdefault("GLIMPSE_RUNTIME_DIR", tempfile.mkdtemp(prefix="glimpse-test-run-"))

import pytest  # noqa: E402

THREAD_GRACE_S = 3.0  # a worker that was told to stop gets this long to finish its last frame


@pytest.fixture(autouse=True)
def no_thread_left_running():
    """Fail the test that leaves a non-daemon thread running (a worker without a clean stop)."""
    before = set(threading.enumerate())
    yield
    deadline = time.monotonic() + THREAD_GRACE_S
    while True:
        left = [t for t in threading.enumerate() if t not in before and t.is_alive() and not t.daemon]
        if not left or time.monotonic() > deadline:
            break
        time.sleep(0.02)
    if left:
        pytest.fail(f"the test left {len(left)} thread(s) running: {', '.join(t.name for t in left)}")
