"""The "I just asked" window: gentle prompting normally, attentive for a while after a mark.

Listeners notice these moments most right after they ask a question or reach an
important juncture; marking that moment makes the spotter attentive for
`attentive_window_s`, so prompts come when they matter. A mark also lifts the
quiet time after an earlier prompt (the live session tells the prompt policy), so
that a prompt shown just before the question cannot silence the whole window.
No Qt here.
"""

from __future__ import annotations

from .settings import Settings, preset


class AskedWindow:
    """Which settings the live spotter uses at a given time, in the pipeline's seconds."""

    def __init__(self, base: Settings):
        self.set_base(base)
        self.marks: list[float] = []

    def set_base(self, base: Settings) -> None:
        """The listener's settings; the two presets change only the sensitivity of them."""
        self.base = base
        self.gentle = preset("gentle", base)
        self.attentive = preset("attentive", base)

    def mark(self, t_s: float) -> None:
        self.marks.append(t_s)

    def remaining_s(self, t_s: float) -> float:
        """Seconds of attentive spotting left at `t_s` (0 when gentle)."""
        if not self.marks:
            return 0.0
        return max(0.0, self.marks[-1] + self.base.attentive_window_s - t_s)

    def settings_at(self, t_s: float) -> Settings:
        return self.attentive if self.remaining_s(t_s) > 0 else self.gentle
