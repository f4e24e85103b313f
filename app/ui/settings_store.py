"""The listener's settings store on the GUI thread: changes reach every page at once, and the file is
written once the listener pauses (a slider drag writes it once, not ten times a second)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QTimer

from app.settings.store import SettingsStore, user_settings_path

SAVE_DELAY_MS = 500


class SaveLater(QObject):
    """Runs the save it was handed last, once none came for `delay_ms` (the store's `defer`)."""

    def __init__(self, delay_ms: int = SAVE_DELAY_MS, parent: QObject | None = None):
        super().__init__(parent)
        self._save: Callable[[], None] | None = None
        self._timer = QTimer(self, singleShot=True, interval=delay_ms)
        self._timer.timeout.connect(self._fire)

    def __call__(self, save: Callable[[], None]) -> None:
        self._save = save
        self._timer.start()

    def _fire(self) -> None:
        save, self._save = self._save, None
        if save is not None:
            save()


def gui_store(path: str | Path | None, parent: QObject) -> SettingsStore:
    """The store of the settings file at `path` (None: the listener's own), saved once the listener pauses."""
    return SettingsStore.open(path or user_settings_path(), defer=SaveLater(parent=parent))
