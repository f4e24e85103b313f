"""The moment stage: measurement rows in, moments with their prompts out.

The online spotter and the prompt policy, one row at a time, with settings swapped in between rows.
Live mode feeds it the face stage's rows as they come; relive (app/run/relive.py) feeds it a recorded
session's rows with the same calls at the same rows. `spot_and_prompt` is the same thing over a whole
recording's evidence at once (what analysis and Review use): the online spotter finds exactly what
the batch one finds (tests/test_online_batch.py), and the policy sees the same moments in order.
"""

from __future__ import annotations

from app.face.features import FrameFeatures
from app.prompts.policy import PromptPolicy, assign_prompts, bank_for
from app.settings.schema import Settings
from app.spotting.evidence import Evidence
from app.spotting.spotter import Moment, Spotter, spot


class MomentStage:
    """`update(row) -> moments` per row; `finish()` ends the face run; `set_settings` between rows."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.spotter = Spotter(settings)
        self.policy = PromptPolicy.for_settings(settings)

    def set_settings(self, settings: Settings) -> None:
        """From the next row on (the listener's own questions too); the person's baseline is kept."""
        if settings.questions != self.settings.questions:  # the built-in bank is not read again for nothing
            self.policy.set_bank(bank_for(settings))
        self.settings = settings
        self.spotter.set_settings(settings)
        self.policy.cooldown_s = settings.cooldown_s

    def lift_cooldown(self) -> None:
        """"I just asked": the next moment may be prompted within the quiet time (see PromptPolicy)."""
        self.policy.lift_cooldown()

    def update(self, row: FrameFeatures) -> tuple[Moment, ...]:
        """Moments that completed with this row, prompted or not."""
        return tuple(self.policy.update(m) for m in self.spotter.update(row))

    def finish(self, carry: bool = False) -> tuple[Moment, ...]:
        """The face run ends here (end of the stream, or it was interrupted): the moment under way, if any.
        `carry`: the person stays (a paused call; see `Spotter.flush`)."""
        return tuple(self.policy.update(m) for m in self.spotter.flush(carry))


def spot_and_prompt(evidence: list[Evidence], settings: Settings) -> list[Moment]:
    """A whole recording's moments with their prompts, from its evidence (as `MomentStage` gives them
    row by row under fixed settings)."""
    return assign_prompts(spot(evidence, settings), settings.cooldown_s, bank=bank_for(settings))
