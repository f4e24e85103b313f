"""The main window as the widget tests open it: settings, cache and recordings in the test's folder, no
cameras unless given, and Review on a copy of tests/data/recorded_session."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings

from app.sources.capture import CameraInfo
from app.ui.app import MainWindow
from app.ui.replay import ReplayPage

DATA = Path(__file__).resolve().parents[1] / "data"


@contextmanager
def main_window(qtbot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *,
                cameras: tuple[CameraInfo, ...] = (), size: tuple[int, int] | None = None,
                welcome_seen: bool = False, **options: Any) -> Iterator[MainWindow]:
    """A shown MainWindow (`options` go to its constructor), shut down afterwards."""
    monkeypatch.setenv("GLIMPSE_CACHE_DIR", str(tmp_path / "cache"))
    qs = QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat)
    if welcome_seen:
        qs.setValue("welcome_seen", True)
    w = MainWindow(None, qs, tmp_path / "settings.json", lambda: tmp_path / "sessions", lambda: list(cameras),
                   **options)
    qtbot.addWidget(w)
    if size is not None:
        w.resize(*size)
    w.show()
    try:
        yield w
    finally:
        w.live.shutdown()
        if w.review is not None:
            w.review.shutdown()


def open_recorded_session(qtbot: Any, window: MainWindow, tmp_path: Path) -> ReplayPage:
    """Review, shown, with a copy of tests/data/recorded_session open."""
    folder = tmp_path / "session"
    shutil.copytree(DATA / "recorded_session", folder)
    window.stack.setCurrentWidget(window.tabs)
    page = window.review_page()
    window.tabs.setCurrentWidget(page)
    with qtbot.waitSignal(page.recording_opened, timeout=60_000):
        page.open_path(folder)
    return page
