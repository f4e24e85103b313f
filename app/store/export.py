"""Moments exported as CSV or JSON: what Review's Export menu and `glimpse export` write.

Two views of a recording: what was shown live (a session's own record) and a what-if (what some
settings find on it). A what-if export says so in the file (a `view` column, or key, and a note)
and in its default name, and never claims a question was shown: its moments carry `would_prompt`
and `would_offer` where the live view has `prompted` and `prompt`. No Qt here.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from pathlib import Path

from app.errors import SessionInvalid
from app.spotting.spotter import Moment
from app.store.marks import CSV_COLUMNS, Review, review_path_for_session, rows

LIVE, WHAT_IF = "live", "what-if"
VIEWS = (LIVE, WHAT_IF)
FORMATS = ("csv", "json")
WHAT_IF_NOTE = ("What if: the moments these settings would find on this recording, and the questions they "
                "would offer. None of it was shown live.")
WHAT_IF_NAMES = {"prompted": "would_prompt", "prompt": "would_offer"}


def export_name(stem: str, view: str, fmt: str) -> str:
    """The default file name: a what-if says so ("NAME-what-if-moments.csv")."""
    return f"{stem}-{'what-if-' if view == WHAT_IF else ''}moments.{fmt}"


def view_rows(moments: Sequence[Moment], review: Review, view: str) -> list[dict]:
    """One flat dict per moment with the listener's mark, in the words of `view`."""
    table = rows(moments, review.marks_for(moments))
    if view == LIVE:
        return table
    return [{"view": WHAT_IF, **{WHAT_IF_NAMES.get(k, k): v for k, v in r.items()}} for r in table]


def to_csv(table: Sequence[dict], view: str) -> str:
    columns = list(CSV_COLUMNS) if view == LIVE else ["view", *(WHAT_IF_NAMES.get(c, c) for c in CSV_COLUMNS)]
    offer = "prompt" if view == LIVE else WHAT_IF_NAMES["prompt"]
    out = io.StringIO()
    writer = csv.DictWriter(out, columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for r in table:
        writer.writerow({**r, "regions": " ".join(r["regions"]), offer: r[offer] or "", "mark": r["mark"] or ""})
    return out.getvalue()


def to_json(analysis: dict, table: Sequence[dict], review: Review, view: str) -> str:
    """`glimpse analyze`'s JSON with the view's moments (each with its mark and note) and every mark
    (also those on moments this view does not hold)."""
    data = {**analysis, "view": view, **({"note": WHAT_IF_NOTE} if view == WHAT_IF else {})}
    data["moments"] = [dict(r) for r in table]
    data["marks"] = [k.to_dict() for k in review.marks]
    return json.dumps(data, indent=2) + "\n"


def export_text(analysis: dict, moments: Sequence[Moment], review: Review, view: str, fmt: str) -> str:
    """The export file of `moments` in `view` as `fmt` ("csv" or "json")."""
    table = view_rows(moments, review, view)
    return to_csv(table, view) if fmt == "csv" else to_json(analysis, table, review, view)


def read_review(folder: Path) -> tuple[Review, str | None]:
    """A session's review marks, read only (a broken file is reported, never moved): the review, and a
    message when it could not be read."""
    path = review_path_for_session(folder)
    if not path.exists():
        return Review(None), None
    try:
        return Review.load(path), None
    except SessionInvalid as exc:
        return Review(None), str(exc)
