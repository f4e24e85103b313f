"""The review model: marks follow their moments across settings, survive on disk, and are exported."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import numpy as np
import pytest
from test_architecture import BLOCK_QT

from app.cli.main import moments_csv
from app.errors import SessionInvalid
from app.run.pipeline import analyze
from app.settings.schema import Settings
from app.spotting.spotter import Moment
from app.store.export import LIVE, to_csv, to_json
from app.store.marks import (
    CSV_COLUMNS,
    HELPFUL,
    NOT_A_MOMENT,
    KeptCounts,
    Mark,
    Review,
    match,
    review_path_for_video,
    rows,
)
from tests.support.synthetic import add_change, still_face

BROWS = ("brow_right", "brow_left")


def moment(start, end, regions=("brows",), prompted=False):
    return Moment(start, (start + end) / 2, end, regions, 7.5, prompted=prompted,
                  prompt="Is there more to that?" if prompted else None)


@pytest.fixture(scope="module")
def faint_and_clear():
    """A synthetic recording: clear brow changes every 6 s (from 4 s), faint ones in between (from 7 s).
    The default settings find the clear ones; only a high sensitivity finds (some of) the faint ones."""
    table = still_face(60, jitter=0.006, seed=3)
    for onset in np.arange(4.0, 58.0, 6.0):
        add_change(table, BROWS, onset, 0.15, 0.07)
        add_change(table, BROWS, onset + 3.0, 0.15, 0.03)
    return analyze("synthetic", Settings(), table=table)


def is_clear(m: Moment) -> bool:
    return (m.peak_s - 4.0) % 6.0 < 1.5


def test_review_imports_without_qt():
    code = BLOCK_QT + "import app.store.marks\nprint('ok')"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr


def test_a_mark_follows_the_overlapping_moment_with_the_nearest_peak():
    marks = [Mark(1.0, 1.1, 1.2, HELPFUL), Mark(5.0, 5.1, 5.2, NOT_A_MOMENT)]
    moments = [moment(0.5, 0.7), moment(1.05, 1.25), moment(1.15, 1.6), moment(4.95, 5.1), moment(9, 9.2)]
    assert match(marks, moments) == [None, 0, None, 1, None]
    assert match(marks, []) == []
    assert match([], moments) == [None] * 5


def test_one_mark_goes_to_one_moment_only():
    marks = [Mark(1.0, 1.2, 1.4, HELPFUL)]
    assert match(marks, [moment(1.0, 1.2), moment(1.2, 1.4)]).count(0) == 1


def test_marks_are_saved_updated_and_removed(tmp_path):
    path = tmp_path / "review.json"
    ms = [moment(1.0, 1.2), moment(3.0, 3.3)]
    review = Review(path, source="talk.mp4")
    review.set_verdict(ms, 0, HELPFUL)
    review.set_note(ms, 1, "she paused here")
    review.set_verdict(ms, 1, NOT_A_MOMENT)
    again = Review.load(path)
    assert [(k.verdict, k.note) for k in again.marks_for(ms)] == [(HELPFUL, ""), (NOT_A_MOMENT, "she paused here")]
    assert again.source == "talk.mp4"
    again.set_verdict(ms, 0, None)  # nothing left on it: the mark goes
    again.set_note(ms, 1, "")  # the verdict stays
    assert [k and (k.verdict, k.note) for k in Review.load(path).marks_for(ms)] == [None, (NOT_A_MOMENT, "")]
    assert (path.stat().st_mode & 0o777) == 0o600


def test_a_broken_marks_file_is_kept_aside(tmp_path):
    path = tmp_path / "review.json"
    path.write_text("{not json")
    review, message = Review.open(path)
    assert review.marks == [] and "cannot be read" in message and "kept as" in message
    assert not path.exists() and len(list(tmp_path.glob("review.json.broken-*"))) == 1
    with pytest.raises(SessionInvalid):
        Review.load(tmp_path / "missing.json")


def test_kept_counts_follow_the_settings(faint_and_clear, tmp_path):
    a = faint_and_clear.respot(Settings(sensitivity=90))
    strong = [i for i, m in enumerate(a.moments) if is_clear(m)]
    faint = [i for i, m in enumerate(a.moments) if not is_clear(m)]
    assert len(strong) >= 2 and faint
    review = Review(tmp_path / "r.json")
    review.set_verdict(a.moments, strong[0], HELPFUL)
    review.set_verdict(a.moments, strong[1], HELPFUL)
    review.set_verdict(a.moments, faint[0], NOT_A_MOMENT)
    assert review.kept_counts(a.moments) == KeptCounts(2, 2, 1, 1)
    strict = a.respot(Settings(sensitivity=50)).moments
    counts = review.kept_counts(strict)
    assert counts == KeptCounts(2, 2, 0, 1)
    assert "helpful: 2 of 2" in counts.summary() and "not a moment: 0 of 1" in counts.summary()
    # settings that watch only the mouth find none of these brow moments
    assert review.kept_counts(a.respot(Settings(regions=("mouth",))).moments) == KeptCounts(0, 2, 0, 1)
    assert "Mark moments" in KeptCounts(0, 0, 0, 0).summary()


def test_exports_hold_every_moment_with_its_mark(faint_and_clear, tmp_path):
    a = faint_and_clear
    review = Review(tmp_path / "r.json")
    review.set_verdict(a.moments, 0, HELPFUL)
    review.set_note(a.moments, 0, 'a "quoted", note')
    table = rows(a.moments, review.marks_for(a.moments))
    parsed = list(csv.DictReader(io.StringIO(to_csv(table, LIVE))))
    assert tuple(parsed[0]) == CSV_COLUMNS and len(parsed) == len(a.moments)
    assert parsed[0]["mark"] == HELPFUL and parsed[0]["note"] == 'a "quoted", note'
    assert all(r["mark"] == "" and r["note"] == "" for r in parsed[1:])
    # the columns `glimpse analyze --csv` writes hold the same values
    cli = list(csv.DictReader(io.StringIO(moments_csv(a.to_dict()["moments"]))))
    assert [{k: r[k] for k in c} for r, c in zip(parsed, cli)] == cli
    data = json.loads(to_json(a.to_dict(), table, review, LIVE))
    assert [{k: m[k] for k in ref} for m, ref in zip(data["moments"], a.to_dict()["moments"])] == \
        a.to_dict()["moments"]
    assert data["moments"][0]["mark"] == HELPFUL and data["marks"] == [review.marks[0].to_dict()]
    assert data["settings"] == a.settings.to_dict()


def test_video_reviews_are_keyed_by_the_video_alone(tmp_path, monkeypatch):
    """A new model changes the feature cache's key, never where the listener's marks are kept."""
    from app.store import cache
    from app.system.files import video_digest
    monkeypatch.setenv("GLIMPSE_CACHE_DIR", str(tmp_path / "cache"))
    video = tmp_path / "talk.mp4"
    video.write_bytes(b"not really a video, but it has content")
    digest = video_digest(video)
    path = review_path_for_video(digest)
    assert path == tmp_path / "cache" / "reviews" / f"{digest}.json"
    old_cache = cache.cache_path(video)
    monkeypatch.setattr(cache, "MODEL_SHA256", "0" * 64)
    new_cache = cache.cache_path(video)
    assert new_cache != old_cache and cache.cache_path(video, digest=digest) == new_cache
    assert review_path_for_video(video_digest(video)) == path


def test_marks_kept_where_an_older_version_filed_them_are_found(tmp_path):
    ms = [moment(1.0, 1.2), moment(3.0, 3.3)]
    old, new = tmp_path / "reviews" / "cachekey.json", tmp_path / "reviews" / "digest.json"
    Review(old, source="talk.mp4").set_verdict(ms, 1, HELPFUL)
    review, message = Review.open(new, "talk.mp4", fallback=old)
    assert message is None and review.path == new and [k and k.verdict for k in review.marks_for(ms)] == [None, HELPFUL]
    assert Review.load(new).marks == review.marks and old.exists()  # copied; the old file stays
    review.set_verdict(ms, 0, NOT_A_MOMENT)  # from now on the new file is the one
    assert len(Review.open(new, fallback=old)[0].marks) == 2 and len(Review.load(old).marks) == 1
    assert Review.open(tmp_path / "none.json", fallback=tmp_path / "neither.json")[0].marks == []
    (tmp_path / "broken.json").write_text("{not json")
    review, message = Review.open(tmp_path / "fresh.json", fallback=tmp_path / "broken.json")
    assert review.marks == [] and "cannot be read" in message and (tmp_path / "broken.json").exists()


@pytest.mark.parametrize("bad", [dict(verdict="great"), dict(start_s=2.0, end_s=1.0)])
def test_a_mark_checks_itself(bad):
    with pytest.raises(ValueError):
        Mark(**{"start_s": 1.0, "peak_s": 1.1, "end_s": 1.2, **bad})
