"""A moment's strength in words the listener can read: slight, clear or strong, against the threshold.

A moment's `strength` is in the threshold's units (`spotting.threshold_for`), so a moment is at least
the threshold; its ratio to the threshold says how far past the bar the change went. No Qt here.
"""

from __future__ import annotations

from dataclasses import dataclass

# ratio to the threshold at which each word starts (a moment is always >= 1)
LEVELS = (("slight", 1.0), ("clear", 1.5), ("strong", 2.5))
BAR_FULL_RATIO = 3.0  # a bar is full at three times the threshold


@dataclass(frozen=True)
class Strength:
    """How far a moment went past the threshold: `ratio` (>= 1 for a moment), a word, and a 0..1 bar."""

    ratio: float

    @property
    def word(self) -> str:
        return strength_word(self.ratio)

    @property
    def bar(self) -> float:
        return min(max(self.ratio / BAR_FULL_RATIO, 0.0), 1.0)

    def describe(self) -> str:
        """For a tooltip: the word and the plain figure behind it."""
        return f"{self.word}: {self.ratio:.1f} times the threshold"


def relative(strength: float, threshold: float) -> Strength:
    return Strength(strength / threshold if threshold > 0 else 0.0)


def strength_word(ratio: float) -> str:
    """'slight', 'clear' or 'strong' for a ratio to the threshold (below 1: 'below the threshold')."""
    if ratio < LEVELS[0][1]:
        return "below the threshold"
    return [word for word, start in LEVELS if ratio >= start][-1]
