"""A moment's strength in words the listener can read: slight, clear or strong, against the threshold.

A moment's `strength` is in the threshold's units (`spotting.threshold_for`), so a moment is at least
the threshold; its ratio to the threshold says how far past the bar the change went. No Qt here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from app.settings.schema import Settings
from app.spotting.spotter import threshold_for

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


def spotted_settings(in_force: Sequence[Settings | None], base: Settings, n: int) -> tuple[Settings, ...]:
    """The settings each of `n` live moments was spotted with: its own from `in_force` (raised after
    "I just asked"), else `base` (sessions recorded before they were kept). Review and the summary both
    read a live moment's strength and sensitivity from here, so they always agree."""
    return tuple((in_force[i] if i < len(in_force) else None) or base for i in range(n))


def spotted_thresholds(in_force: Sequence[Settings | None], base: Settings, n: int) -> tuple[float, ...]:
    """Each live moment's threshold: the one it was spotted at (see `spotted_settings`)."""
    return tuple(threshold_for(s.sensitivity) for s in spotted_settings(in_force, base, n))


def strength_word(ratio: float) -> str:
    """'slight', 'clear' or 'strong' for a ratio to the threshold (below 1: 'below the threshold')."""
    if ratio < LEVELS[0][1]:
        return "below the threshold"
    return [word for word, start in LEVELS if ratio >= start][-1]
