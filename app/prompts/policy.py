"""Open follow-up questions, and when to show one.

The built-in bank lives in assets/prompts.txt; the listener's own questions (the settings'
`questions`, when set) take its place. `PromptPolicy` decides, moment by
moment, whether to prompt (not within the cooldown after the last prompt, so
nobody fixates) and which question to show (not one of the last few shown).
"""

from __future__ import annotations

import dataclasses
import random
from pathlib import Path

from app.errors import GlimpseError
from app.settings.schema import Settings
from app.spotting.spotter import Moment
from app.system import resources

DEFAULT_BANK = resources.PROMPT_BANK


def load_bank(path: str | Path = DEFAULT_BANK) -> tuple[str, ...]:
    """Questions from a text file: one a line; blank lines and # comments skipped."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise GlimpseError(f"prompt bank {path} cannot be read: {exc}") from None
    bank = tuple(line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#"))
    if len(bank) < 2:
        raise GlimpseError(f"prompt bank {path} holds {len(bank)} question(s); at least 2 are needed")
    return bank


def bank_for(settings: Settings) -> tuple[str, ...]:
    """The questions to offer under `settings`: the listener's own when set, else the built-in bank."""
    return settings.questions if settings.questions else load_bank()


class PromptPolicy:
    """Assigns prompts to moments: at most one per cooldown, never one of the `recent` last shown."""

    def __init__(self, cooldown_s: float = 20.0, bank: tuple[str, ...] | None = None, seed: int = 0,
                 recent: int = 5):
        self.cooldown_s = cooldown_s
        self.bank = bank if bank is not None else load_bank()
        self.seed = seed
        self._recent_wanted = recent
        self.recent = min(recent, len(self.bank) - 1)
        self.reset()

    @classmethod
    def for_settings(cls, settings: Settings, seed: int = 0) -> PromptPolicy:
        return cls(settings.cooldown_s, bank_for(settings), seed)

    def set_bank(self, bank: tuple[str, ...]) -> None:
        """Offer these questions from the next moment on; the cooldown and the questions shown are kept
        (a smaller bank avoids fewer recent ones, so there is always one to choose)."""
        self.bank = bank
        self.recent = min(self._recent_wanted, len(bank) - 1)

    def reset(self) -> None:
        self._rng = random.Random(self.seed)
        self._shown: list[str] = []
        self._last_prompt_s = float("-inf")

    def lift_cooldown(self) -> None:
        """Let the next moment be prompted even within the cooldown (the listener has just asked a
        question and wants to hear of a reaction). The recent questions are still avoided, and the
        cooldown starts again from the next prompt."""
        self._last_prompt_s = float("-inf")

    def update(self, moment: Moment) -> Moment:
        """The moment, marked prompted with a question, or not prompted when within the cooldown."""
        if moment.end_s - self._last_prompt_s < self.cooldown_s:
            return dataclasses.replace(moment, prompted=False, prompt=None)
        recent = set(self._shown[-self.recent:]) if self.recent else set()
        question = self._rng.choice([q for q in self.bank if q not in recent])
        self._shown.append(question)
        self._last_prompt_s = moment.end_s
        return dataclasses.replace(moment, prompted=True, prompt=question)


def assign_prompts(moments: list[Moment], cooldown_s: float, seed: int = 0,
                   bank: tuple[str, ...] | None = None) -> list[Moment]:
    policy = PromptPolicy(cooldown_s, bank, seed)
    return [policy.update(m) for m in moments]
