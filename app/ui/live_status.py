"""The live page's status in words (figures only in a tooltip), the slow-tracking warning, and its
two views that keep the eyes off the screen: prompt only (no video of the person) and discreet.

`LiveViews` is a mixin of `LivePage` (it uses the page's widgets), kept apart so the page stays about
running a session.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtGui import QFont
from PySide6.QtWidgets import QSizePolicy

from app.run.events import LiveStats
from app.ui.discreet import DiscreetStrip
from app.ui.mixin import PageMixin

if TYPE_CHECKING:
    from PySide6.QtCore import QSettings, Signal
    from PySide6.QtGui import QAction
    from PySide6.QtWidgets import QPushButton

    from app.ui.preview import LivePreview
    from app.ui.prompt_card import PromptCard

# Below this tracking rate a brief change (~250 ms) spans too few frames for the spotter's event windows;
# a warning shows only once the rate has stayed below it for SLOW_FOR_S (a one-second dip is no news).
MIN_TRACKING_FPS = 12.0
SLOW_FOR_S = 5.0
WATCHING_TEXT, NO_FACE_TEXT, LOST_TEXT = "Watching · face found", "Looking for a face", "Camera lost, reconnecting"
SLOW_TEXT = ("Tracking is slow: brief changes may be missed. A smaller camera picture or closing other programs "
             "may help.")  # the rate is in its tooltip
PROMPT_ONLY_KEY = "live/prompt_only"  # QSettings: the live page shows the prompt alone
PROMPT_ONLY_SCALE = 1.7  # the question's font in the prompt-only view, against the card's own


def diagnostics_text(s: LiveStats) -> str:
    """The figures, for the status line's tooltip (the line itself is in words)."""
    return (f"Tracking {s.fps:.0f} frames/s (the spotter needs {MIN_TRACKING_FPS:.0f} or more)\n"
            f"Late frames in the last {s.late_window_s / 60:.0f} minute: {s.late_recent} "
            f"(the tracker had no time for them; the newest frame always wins)\n"
            f"Latency {s.latency_ms:.0f} ms from the camera to the result\n"
            f"Frames tracked this session: {s.frames}")


class SlowWatch:
    """Says when tracking has stayed below MIN_TRACKING_FPS for SLOW_FOR_S (times: time.monotonic())."""

    def __init__(self) -> None:
        self.slow_since: float | None = None

    def update(self, fps: float, now: float) -> bool:
        if fps >= MIN_TRACKING_FPS or fps <= 0.0:  # 0: the rate is not known yet
            self.slow_since = None
            return False
        if self.slow_since is None:
            self.slow_since = now
        return now - self.slow_since >= SLOW_FOR_S


class LiveViews(PageMixin):
    """Prompt-only and discreet views of the live page (mixed into `LivePage`)."""

    if TYPE_CHECKING:  # the page's own, used here
        preview: LivePreview
        card: PromptCard
        strip: DiscreetStrip | None
        prompt_only_button: QPushButton
        prompt_only_action: QAction
        discreet_button: QPushButton
        discreet_changed: Signal
        _card_font: QFont
        _qsettings: QSettings | None
        _face_shown: bool | None

        def mark_asked(self) -> None: ...
        def is_recording(self) -> bool: ...

    # -- prompt only ---------------------------------------------------------------------------

    def set_prompt_only(self, on: bool) -> None:
        """The question alone, large, without the video of the person (remembered)."""
        self.preview.setVisible(not on)
        font = self._card_font if not on else QFont(self._card_font)
        if on:
            font.setPointSizeF(self._card_font.pointSizeF() * PROMPT_ONLY_SCALE)
        self.card.label.setFont(font)
        self.card.setSizePolicy(QSizePolicy.Policy.Expanding,
                                QSizePolicy.Policy.Expanding if on else QSizePolicy.Policy.Fixed)
        for w in (self.prompt_only_button, self.prompt_only_action):
            w.blockSignals(True)
            w.setChecked(on)
            w.blockSignals(False)
        if self._qsettings is not None:
            self._qsettings.setValue(PROMPT_ONLY_KEY, on)

    def is_prompt_only(self) -> bool:
        return self.prompt_only_action.isChecked()

    # -- discreet mode -------------------------------------------------------------------------

    def set_discreet(self, on: bool) -> None:
        if on and self.strip is None:
            self.strip = DiscreetStrip()
            self.strip.asked.connect(self.mark_asked)
            self.strip.full_window_requested.connect(lambda: self.set_discreet(False))
            self.strip.place_top_centre()
        if self.strip is not None:
            self.strip.set_face(self._face_shown)
            self.strip.set_recording(self.is_recording())
            self.strip.setVisible(on)
        self.discreet_button.blockSignals(True)
        self.discreet_button.setChecked(on)
        self.discreet_button.blockSignals(False)
        self.discreet_changed.emit(on)

    def is_discreet(self) -> bool:
        return self.strip is not None and self.strip.isVisible()
