"""The listener's review of a recording: their marks on its moments, kept on disk and exported.

A mark says "helpful" or "not a moment" about a moment, and may carry a note.
Moments change when the settings change, so a mark remembers the span it was
made on and follows whichever current moment overlaps that span. That is also
how tuning is checked against the listener's judgement: `kept_counts` says how
many of the moments they marked the current settings still find.

Marks of a plain video live in the cache folder, under the video's content digest
(so they outlive a new model or a new feature version, which change the feature
cache's key); marks of a recorded session live in the session folder. No Qt here.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from app.errors import SessionInvalid
from app.settings.schema import Settings
from app.spotting.spotter import Moment
from app.system.files import cache_root, write_atomic
from app.system.progress import format_time

REVIEW_VERSION = 1
HELPFUL, NOT_A_MOMENT = "helpful", "not_a_moment"
VERDICTS = (HELPFUL, NOT_A_MOMENT)
VERDICT_TITLES = {HELPFUL: "Helpful", NOT_A_MOMENT: "Not a moment", None: ""}
MATCH_SLACK_S = 0.1  # a mark still follows a moment whose span moved this much with the settings
SESSION_REVIEW_FILE = "review.json"
CSV_COLUMNS = ("start_s", "peak_s", "end_s", "duration_s", "kind", "regions", "strength", "prompted", "prompt",
               "mark", "note")


@dataclass(frozen=True)
class Mark:
    """The listener's word on one moment: its span in seconds, a verdict (or None: a note only), a note."""

    start_s: float
    peak_s: float
    end_s: float
    verdict: str | None = None
    note: str = ""
    regions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.verdict not in VERDICTS + (None,):
            raise ValueError(f"verdict must be one of {VERDICTS} or None, got {self.verdict!r}")
        if not self.start_s <= self.end_s:
            raise ValueError(f"mark span {self.start_s}..{self.end_s} runs backwards")

    @classmethod
    def on(cls, moment: Moment, verdict: str | None = None, note: str = "") -> Mark:
        return cls(moment.start_s, moment.peak_s, moment.end_s, verdict, note, moment.regions)

    @property
    def empty(self) -> bool:
        return self.verdict is None and not self.note.strip()

    def covers(self, moment: Moment) -> bool:
        """Whether `moment` is the one this mark was made on (spans overlap, with a little slack)."""
        return moment.start_s <= self.end_s + MATCH_SLACK_S and self.start_s <= moment.end_s + MATCH_SLACK_S

    def to_dict(self) -> dict:
        return {"start_s": round(self.start_s, 4), "peak_s": round(self.peak_s, 4), "end_s": round(self.end_s, 4),
                "verdict": self.verdict, "note": self.note, "regions": list(self.regions)}

    @classmethod
    def from_dict(cls, d: dict) -> Mark:
        return cls(float(d["start_s"]), float(d["peak_s"]), float(d["end_s"]), d.get("verdict"),
                   str(d.get("note", "")), tuple(d.get("regions", ())))


@dataclass(frozen=True)
class KeptCounts:
    """How many marked moments the current settings still find."""

    helpful_kept: int
    helpful_total: int
    false_kept: int
    false_total: int

    @property
    def any(self) -> bool:
        return bool(self.helpful_total or self.false_total)

    def summary(self) -> str:
        if not self.any:
            return "Mark moments as helpful or 'not a moment' to see how these settings treat them."
        return (f"Of your marked moments, these settings still find:\n"
                f"helpful: {self.helpful_kept} of {self.helpful_total} (the more, the better)\n"
                f"not a moment: {self.false_kept} of {self.false_total} (the fewer, the better)")


def match(marks: Sequence[Mark], moments: Sequence[Moment]) -> list[int | None]:
    """For each moment, the index of its mark in `marks` (or None). Each mark goes to at most one
    moment: the overlapping one whose peak is nearest to the mark's."""
    pairs = sorted((abs(m.peak_s - k.peak_s), i, j) for j, k in enumerate(marks)
                   for i, m in enumerate(moments) if k.covers(m))
    out: list[int | None] = [None] * len(moments)
    used: set[int] = set()
    for _, i, j in pairs:
        if out[i] is None and j not in used:
            out[i] = j
            used.add(j)
    return out


class Review:
    """The marks on one recording, saved atomically to `path` after every change."""

    def __init__(self, path: Path | None, marks: Iterable[Mark] = (), source: str = ""):
        self.path = Path(path) if path else None
        self.source = source
        self.marks: list[Mark] = list(marks)

    def marks_for(self, moments: Sequence[Moment]) -> list[Mark | None]:
        """The mark on each moment, or None."""
        return [None if j is None else self.marks[j] for j in match(self.marks, moments)]

    def set_verdict(self, moments: Sequence[Moment], index: int, verdict: str | None) -> Mark | None:
        return self._update(moments, index, verdict=verdict)

    def set_note(self, moments: Sequence[Moment], index: int, note: str) -> Mark | None:
        return self._update(moments, index, note=note)

    def _update(self, moments: Sequence[Moment], index: int, **change: Any) -> Mark | None:
        """Change the mark on moments[index] (creating it), drop it when nothing is left, and save."""
        j = match(self.marks, moments)[index]
        moment = moments[index]
        old = self.marks[j] if j is not None else Mark.on(moment)
        # the mark moves to the moment as it is now: that is what the listener is looking at
        new = replace(Mark.on(moment, old.verdict, old.note), **change)
        if j is not None:
            del self.marks[j]
        if not new.empty:
            self.marks.append(new)
            self.marks.sort(key=lambda k: k.start_s)
        self.save()
        return None if new.empty else new

    def kept_counts(self, moments: Sequence[Moment]) -> KeptCounts:
        matched = {j for j in match(self.marks, moments) if j is not None}
        helpful = [j for j, k in enumerate(self.marks) if k.verdict == HELPFUL]
        false = [j for j, k in enumerate(self.marks) if k.verdict == NOT_A_MOMENT]
        return KeptCounts(len(matched.intersection(helpful)), len(helpful),
                          len(matched.intersection(false)), len(false))

    def to_json(self) -> str:
        return json.dumps({"version": REVIEW_VERSION, "source": self.source,
                           "marks": [k.to_dict() for k in self.marks]}, indent=2) + "\n"

    def save(self) -> None:
        if self.path is not None:
            write_atomic(self.path, self.to_json().encode("utf-8"))

    @classmethod
    def load(cls, path: Path) -> Review:
        """Raises SessionInvalid naming the file when it cannot be read."""
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("version") != REVIEW_VERSION:
                raise ValueError(f"version {data.get('version')!r}, expected {REVIEW_VERSION}")
            marks = [Mark.from_dict(d) for d in data["marks"]]
        except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
            raise SessionInvalid(f"marks file {path} cannot be read: {exc}") from None
        return cls(path, marks, str(data.get("source", "")))

    @classmethod
    def open(cls, path: Path, source: str = "", fallback: Path | None = None) -> tuple[Review, str | None]:
        """The review at `path` (empty when there is none yet), and a message when the file was broken:
        it is then moved aside, never deleted, and the review starts empty. When there is no file at
        `path` but one at `fallback` (where an older version kept it), its marks are copied to `path`."""
        path = Path(path)
        if not path.exists():
            if fallback is not None and Path(fallback).exists():
                return cls._moved(Path(fallback), path, source)
            return cls(path, source=source), None
        try:
            return cls.load(path), None
        except SessionInvalid as exc:
            aside = path.with_name(f"{path.name}.broken-{time.strftime('%Y%m%d-%H%M%S')}")
            try:
                path.replace(aside)
                kept = f"the file was kept as {aside}"
            except OSError as move_error:
                kept = f"the file could not be moved aside ({move_error}) and will be replaced by your next mark"
            return cls(path, source=source), f"{exc}. Starting with no marks; {kept}."

    @classmethod
    def _moved(cls, old: Path, path: Path, source: str) -> tuple[Review, str | None]:
        """The marks kept at `old`, now filed at `path`. The old file stays (another version of
        Glimpse may still read it); a broken one is left alone and reported."""
        try:
            review = cls.load(old)
        except SessionInvalid as exc:
            return cls(path, source=source), f"{exc}. Starting with no marks; the file was left where it is."
        review.path = path
        try:
            review.save()
        except OSError as exc:
            return review, f"Your marks were read from {old} but could not be copied to {path}: {exc}"
        return review, None


def review_path_for_video(digest: str) -> Path:
    """Marks of a plain video sit beside the caches, under the video's content digest alone
    (`storage.video_digest`): the listener's word on a video holds whatever model measured it."""
    return cache_root() / "reviews" / f"{digest}.json"


def legacy_review_path_for_video(cache_file: Path) -> Path:
    """Where marks of a plain video were kept before: under its feature cache's key, which changes with
    the model. Read (and copied to `review_path_for_video`) when the new file is not there yet."""
    return cache_root() / "reviews" / f"{Path(cache_file).stem}.json"


def review_path_for_session(folder: Path) -> Path:
    return Path(folder) / SESSION_REVIEW_FILE


def rows(moments: Sequence[Moment], marks: Sequence[Mark | None]) -> list[dict]:
    """One flat dict per moment, with the listener's mark: what the moments list shows and exports hold."""
    out = []
    for m, k in zip(moments, marks, strict=True):
        d = m.to_dict()
        d["duration_s"] = round(m.end_s - m.start_s, 4)
        d["mark"] = k.verdict if k else None
        d["note"] = k.note if k else ""
        out.append(d)
    return out


def export(path: Path, text: str) -> None:
    write_atomic(Path(path), text.encode("utf-8"))


def in_force_text(settings: Settings | None, base: Settings) -> str:
    """A few words on the settings a live moment was spotted with, against the listener's own."""
    if settings is None:
        return "settings not recorded"
    if settings.sensitivity > base.sensitivity:
        return f"sensitivity {settings.sensitivity:g}, just after 'I just asked'"
    return f"your settings, sensitivity {settings.sensitivity:g}"


def live_summary(moments: Sequence[Moment], in_force: Sequence[Settings | None], base: Settings) -> str:
    """One line on what a session showed live: each question's time and the settings then in force."""
    shown = [(m, s) for m, s in zip(moments, in_force, strict=True) if m.prompted]
    if not shown:
        return (f"Shown live: no question (of {len(moments)} moment{'s' if len(moments) != 1 else ''} found, "
                f"none came outside the quiet time). Your settings: sensitivity {base.sensitivity:g}.")
    items = "; ".join(f"{format_time(m.start_s)} ({in_force_text(s, base)})" for m, s in shown)
    return f"Shown live: {len(shown)} question{'s' if len(shown) != 1 else ''}, at {items}."
