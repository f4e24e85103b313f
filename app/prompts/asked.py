"""The "I just asked" window: the listener's own settings, a little more attentive for a while after a mark.

Live spotting starts from the listener's settings (the file the tuning panel writes).
Listeners notice these moments most right after they ask a question or reach an
important juncture; marking that moment raises the sensitivity by `ASKED_BOOST`
(capped at the schema's maximum) for `attentive_window_s`, so prompts come when they
matter. A mark also lifts the quiet time after an earlier prompt (the live session
tells the prompt policy), so that a prompt shown just before the question cannot
silence the whole window. No Qt here.
"""

from __future__ import annotations

import dataclasses

from app.settings.schema import Settings

ASKED_BOOST = 25.0  # sensitivity points added to the listener's own for the window after "I just asked"
MAX_SENSITIVITY = float(next(f for f in dataclasses.fields(Settings) if f.name == "sensitivity").metadata["max"])


def asked_settings(base: Settings) -> Settings:
    """`base` with its sensitivity raised for the asked window; everything else is the listener's."""
    return dataclasses.replace(base, sensitivity=min(MAX_SENSITIVITY, base.sensitivity + ASKED_BOOST))


class AskedWindow:
    """Which settings the live spotter uses at a given time, in the pipeline's seconds."""

    def __init__(self, base: Settings):
        self.set_base(base)
        self.marks: list[float] = []

    def set_base(self, base: Settings) -> None:
        """The listener's settings (used outside the asked window) and their asked variant."""
        self.base = base
        self.asked = asked_settings(base)

    def mark(self, t_s: float) -> None:
        self.marks.append(t_s)

    def remaining_s(self, t_s: float) -> float:
        """Seconds of the asked window left at `t_s` (0 outside it)."""
        if not self.marks:
            return 0.0
        return max(0.0, self.marks[-1] + self.base.attentive_window_s - t_s)

    def settings_at(self, t_s: float) -> Settings:
        return self.asked if self.remaining_s(t_s) > 0 else self.base
