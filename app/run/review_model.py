"""What Review shows of one opened recording, and the listener's actions on it. No Qt here.

A recorded session has two views: what was shown live (its own record) and the what-if (what the
current settings find); a video file has only the what-if. The model owns the opened recording, the
view, the listener's marks and the selection; each action returns one frozen `ReviewResult` (the
moments of the view, the strength curve, the threshold, the rows of the moments list with their
marks, the counts of marked moments the settings keep), computed once, which the page renders as is.

Spotting under a set of settings is kept in an explicit memo (the what-if's latest and the live
view's own), so switching views or coming back to earlier settings computes nothing again; the
built-in questions are read once. `glimpse analyze` finds the same moments: the same `spot` and the
same prompt policy over the same evidence.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from app.prompts.policy import assign_prompts, load_bank
from app.run.pipeline import Analysis
from app.run.recordings import LiveRecord, Recording
from app.settings.schema import Settings
from app.spotting.spotter import Moment, Spotted, spot_with_curve, threshold_for
from app.spotting.strength import spotted_thresholds
from app.store.export import LIVE, WHAT_IF, export_text
from app.store.marks import KeptCounts, Mark, Review, live_summary, match, rows

MEMO_SIZE = 4  # settings whose spotting is kept: the live view's and the what-if's latest few
NO_COUNTS = KeptCounts(0, 0, 0, 0)

Row = dict[str, Any]  # a moment's fields plus the listener's "mark" and "note" (app.store.marks.rows)


@dataclass(frozen=True)
class ReviewResult:
    """Everything Review renders for one state of the model."""

    view: str  # LIVE or WHAT_IF
    moments: tuple[Moment, ...]  # the view's moments, in time order
    rows: tuple[Row, ...]  # one per moment, with the listener's mark and note
    curve_x: np.ndarray  # (n,) float64 seconds: each strength value where its change was
    curve: np.ndarray  # (n,) float32 strength under the view's settings (see `Spotted`), NaN without a face
    threshold: float  # the view's threshold, in the curve's units
    row_thresholds: tuple[float, ...]  # live: the threshold each moment was spotted at; what-if: ()
    counts: KeptCounts  # the listener's marked moments the what-if settings still find
    selected: int | None  # index into `moments`
    live_text: str | None = None  # a session's one line on what was shown live; None for a video

    @property
    def selected_moment(self) -> Moment | None:
        return self.moments[self.selected] if self.selected is not None else None


@dataclass(frozen=True)
class MarkChange:
    """After a mark or a note: the row to redraw, the counts, and why it was not saved (None: it was)."""

    index: int
    row: Row
    counts: KeptCounts
    problem: str | None = None


def empty_result(settings: Settings) -> ReviewResult:
    return ReviewResult(WHAT_IF, (), (), np.zeros(0), np.zeros(0, np.float32), threshold_for(settings.sensitivity),
                        (), NO_COUNTS, None)


class ReviewModel:
    """One recording under review at a time. `bank`: the built-in questions (None: read on first need)."""

    def __init__(self, settings: Settings | None = None, bank: tuple[str, ...] | None = None):
        self.settings = settings or Settings()  # the what-if's, as last applied
        self._bank = bank
        self.recording: Recording | None = None
        self.review: Review | None = None
        self.view = WHAT_IF
        self._memo: dict[Settings, Spotted] = {}
        self._curve_x = np.zeros(0)
        self._live_text: str | None = None
        self.result = empty_result(self.settings)

    # -- opening and closing -----------------------------------------------------------------------------
    def open(self, rec: Recording, settings: Settings) -> tuple[ReviewResult, str | None]:
        """Review `rec` under `settings`: a session opens on what was shown live. Also says why the
        listener's earlier marks could not be read (None: they were, or there were none)."""
        if rec.review_path is not None:
            review, problem = Review.open(rec.review_path, source=rec.name, fallback=rec.review_fallback)
        else:
            review, problem = Review(None, source=rec.name), None
        self.recording, self.review, self.settings = rec, review, settings
        self._memo.clear()
        ev = rec.analysis.evidence
        # each strength value is decided `post` frames after the change ended: drawn where the change was
        post_s = ev[0].timing.post / ev[0].timing.fps if ev else 0.0
        self._curve_x = np.asarray(rec.analysis.table.t_s, np.float64) - post_s
        live = rec.live
        self._live_text = None if live is None else live_summary(live.moments, live.in_force, live.base)
        self.view = LIVE if live is not None else WHAT_IF
        return self._render(None), problem

    def close(self) -> ReviewResult:
        self.recording = self.review = self._live_text = None
        self._memo.clear()
        self.view = WHAT_IF
        self.result = empty_result(self.settings)
        return self.result

    @property
    def live(self) -> LiveRecord | None:
        """The session's own record of what was shown live (None for a video)."""
        return self.recording.live if self.recording is not None else None

    # -- the listener's actions ------------------------------------------------------------------------
    def apply(self, settings: Settings) -> ReviewResult:
        """The what-if under new settings (tuning is a what-if: a live view switches to it). The selected
        moment stays selected while the settings still find it."""
        previous = self.result.selected_moment
        self.settings = settings
        if self.recording is None:
            self.result = empty_result(settings)
            return self.result
        self.view = WHAT_IF
        found = self._spotted(settings).moments
        hits = [] if previous is None else [i for i, k in enumerate(match([Mark.on(previous)], found)) if k == 0]
        return self._render(hits[0] if hits else None)

    def show(self, view: str) -> ReviewResult:
        """Switch to `view` (LIVE only where there is a live record); nothing is selected then."""
        self.view = LIVE if view == LIVE and self.live is not None else WHAT_IF
        return self._render(None) if self.recording is not None else self.result

    def select(self, index: int | None) -> Moment | None:
        """Select the view's moment `index` (None, or one out of range, selects nothing)."""
        ok = index is not None and 0 <= index < len(self.result.moments)
        self.result = dataclasses.replace(self.result, selected=index if ok else None)
        return self.result.selected_moment

    def neighbour(self, step: int, here: int, frame_of: Callable[[float], int]) -> int | None:
        """The moment after (`step` +1) or before (-1) the player's frame `here`, by frame (`frame_of` a
        time), so a moment whose peak falls between two frames is not found again; None at either end."""
        frames = [frame_of(m.peak_s) for m in self.result.moments]
        selected = self.result.selected
        if selected is not None and frames[selected] == here:
            target = selected + step
        elif step > 0:
            target = next((i for i, f in enumerate(frames) if f > here), len(frames))
        else:
            target = next((i for i in range(len(frames) - 1, -1, -1) if frames[i] < here), -1)
        return target if 0 <= target < len(frames) else None

    def set_verdict(self, index: int, verdict: str | None) -> MarkChange | None:
        return self._mark(index, lambda review, moments: review.set_verdict(moments, index, verdict))

    def set_note(self, index: int, note: str) -> MarkChange | None:
        return self._mark(index, lambda review, moments: review.set_note(moments, index, note))

    def _mark(self, index: int, change: Callable[[Review, Sequence[Moment]], Mark | None]) -> MarkChange | None:
        review, moments = self.review, self.result.moments
        if review is None or not 0 <= index < len(moments):
            return None
        problem = None
        try:
            change(review, moments)
        except OSError as exc:  # kept for this session; said once, where the listener looks
            problem = f"Your mark could not be saved to {review.path}: {exc}"
        row = rows([moments[index]], [review.marks_for(moments)[index]])[0]
        counts = review.kept_counts(self._spotted(self.settings).moments)
        table = list(self.result.rows)
        table[index] = row
        self.result = dataclasses.replace(self.result, rows=tuple(table), counts=counts)
        return MarkChange(index, row, counts, problem)

    # -- what the page exports -------------------------------------------------------------------------
    @property
    def analysis(self) -> Analysis | None:
        """The recording analysed under the what-if settings (None when nothing is open)."""
        if self.recording is None:
            return None
        found = self._spotted(self.settings).moments
        return dataclasses.replace(self.recording.analysis, settings=self.settings, moments=list(found))

    def export(self, fmt: str) -> str:
        """The view on screen as `fmt` ("csv" or "json"), as `glimpse export` writes it: a what-if says so in
        the file and claims no question was shown; the live view carries the session's settings."""
        analysis, review = self.analysis, self.review
        if analysis is None or review is None:
            raise ValueError("nothing is open to export")
        data = analysis.to_dict()
        live = self.live if self.view == LIVE else None
        if live is not None:
            data["settings"] = live.base.to_dict()
        return export_text(data, self.result.moments, review, self.view, fmt)

    # -- computed once ---------------------------------------------------------------------------------
    def _render(self, selected: int | None) -> ReviewResult:
        review = self.review
        assert review is not None  # only with a recording open
        found = self._spotted(self.settings)
        live = self.live if self.view == LIVE else None
        per_row: tuple[float, ...] = ()
        if live is None:
            moments, curve, shown_with = found.moments, found.curve, self.settings
        else:  # each moment's strength word is against the threshold it was spotted at
            moments, curve, shown_with = live.moments, self._spotted(live.base).curve, live.base
            per_row = spotted_thresholds(live.in_force, live.base, len(moments))
        table = tuple(rows(moments, review.marks_for(moments)))
        self.result = ReviewResult(self.view, tuple(moments), table, self._curve_x, curve,
                                   threshold_for(shown_with.sensitivity), per_row, review.kept_counts(found.moments),
                                   selected, self._live_text)
        return self.result

    def _spotted(self, settings: Settings) -> Spotted:
        """Moments (with their questions) and curve under `settings`, from the memo when it has them."""
        spotted = self._memo.get(settings)
        if spotted is None:
            assert self.recording is not None
            raw = spot_with_curve(self.recording.analysis.evidence, settings, len(self._curve_x))  # one per frame
            bank = settings.questions or self._built_in()
            spotted = Spotted(tuple(assign_prompts(list(raw.moments), settings.cooldown_s, bank=bank)), raw.curve)
            if len(self._memo) >= MEMO_SIZE:
                del self._memo[next(iter(self._memo))]  # the oldest
            self._memo[settings] = spotted
        return spotted

    def _built_in(self) -> tuple[str, ...]:
        if self._bank is None:
            self._bank = load_bank()
        return self._bank
