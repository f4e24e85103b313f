"""Which moments Review shows: what the session showed live (its own record), or what the current
settings would find (the tuning view, a what-if). A video file has only the what-if view."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QButtonGroup, QHBoxLayout, QLabel, QPushButton, QSizePolicy, QVBoxLayout, QWidget

from app.run.review_model import LIVE, WHAT_IF

LIVE_TITLE = "Shown live"
WHAT_IF_TITLE = "What if: current settings"
WHAT_IF_TEXT = ("What-if view: the moments the current settings would find. Nothing here was shown live; "
                "change the settings in the tuning drawer to see what they would find.")
VIDEO_TEXT = ("What-if view: the moments the current settings find in this video. It is a video file, "
              "not a recorded session, so there is no record of what was shown live.")


class ReviewMode(QWidget):
    """Two buttons (shown live / what if: `buttons`, placed by the page) and a line saying what the view holds."""

    mode_changed = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.mode = WHAT_IF
        self.live_text = ""
        self._has_live = False
        self.live_button = QPushButton(LIVE_TITLE, checkable=True)  # type: ignore[call-overload]  # stubs omit inherited Qt properties
        self.live_button.setToolTip("The prompts the session showed, with their times and the settings in force "
                                    "(from the session's own record)")
        self.what_if_button = QPushButton(WHAT_IF_TITLE, checkable=True)  # type: ignore[call-overload]  # stubs omit inherited Qt properties
        self.what_if_button.setToolTip("What the settings in the tuning drawer would find: try settings on this "
                                       "recording without changing what happened")
        self.group = QButtonGroup(self)
        for button, mode in ((self.live_button, LIVE), (self.what_if_button, WHAT_IF)):
            self.group.addButton(button)
            button.clicked.connect(lambda _=False, m=mode: self.set_mode(m, announce=True))
        self.text = QLabel("", wordWrap=True, objectName="ReviewModeText")  # type: ignore[call-overload]  # stubs omit inherited Qt properties
        self.text.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)  # wraps, never widens
        self.buttons = QWidget()  # the page puts them beside its toolbar (one row less in a small window)
        buttons = QHBoxLayout(self.buttons)
        buttons.setContentsMargins(0, 0, 0, 0)
        buttons.addWidget(self.live_button)
        buttons.addWidget(self.what_if_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.text)
        self.set_session(None)

    def set_session(self, live_text: str | None) -> None:
        """A recorded session (its one-line live summary) opens in the live view; None: a video, what-if only."""
        self.live_text = live_text or ""
        self._has_live = live_text is not None
        for button in (self.live_button, self.what_if_button):
            button.setVisible(live_text is not None)
        self.set_mode(LIVE if live_text is not None else WHAT_IF)

    @property
    def has_live(self) -> bool:
        return self._has_live

    def set_mode(self, mode: str, announce: bool = False) -> None:
        if mode == LIVE and not self.has_live:
            mode = WHAT_IF
        changed = mode != self.mode
        self.mode = mode
        (self.live_button if mode == LIVE else self.what_if_button).setChecked(True)
        self.text.setText(self.live_text if mode == LIVE else (WHAT_IF_TEXT if self.has_live else VIDEO_TEXT))
        self.text.setToolTip(self.text.text())
        if announce and changed:
            self.mode_changed.emit(mode)
