"""Review's model without Qt: one frozen result per action, the same moments `glimpse analyze` finds,
spotting kept per settings, the built-in questions read once, marks that follow the moments."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import shutil
import threading
from pathlib import Path

import numpy as np
import pytest

from app.run import review_model
from app.run.recordings import Recording, load_session
from app.run.review_model import LIVE, WHAT_IF, ReviewModel
from app.settings.schema import Settings
from app.spotting.spotter import strength_curve, threshold_for
from app.store.marks import HELPFUL, NOT_A_MOMENT
from app.store.session import open_session

SESSION = Path(__file__).parent / "data" / "recorded_session"  # two prompts live: brows 2.4 s, mouth 5.7 s


@pytest.fixture
def session(tmp_path) -> Path:
    folder = tmp_path / "session"
    shutil.copytree(SESSION, folder)
    return folder


def opened(folder: Path) -> tuple[ReviewModel, Recording]:
    settings = Settings()
    rec = load_session(folder, settings, None, lambda done, total: None, threading.Event())
    model = ReviewModel()
    result, problem = model.open(rec, settings)
    assert problem is None and result is model.result
    return model, rec


def test_a_session_opens_on_what_was_shown_live(session):
    model, rec = opened(session)
    record = open_session(session)
    r = model.result
    assert r.view == LIVE and r.moments == record.moments and r.selected is None
    assert [row["prompt"] for row in r.rows] == [m.prompt for m in record.moments]
    assert r.row_thresholds == tuple(threshold_for(s.sensitivity) for s in record.moment_settings)
    assert r.threshold == threshold_for(record.settings.sensitivity) and "Shown live: 2 questions" in r.live_text
    assert r.curve.shape == r.curve_x.shape == (len(rec.analysis.table),)


def test_settings_give_the_what_if_that_analyze_gives(session):
    model, rec = opened(session)
    mine = Settings().replace(sensitivity=80.0)
    r = model.apply(mine)
    expected = rec.analysis.respot(mine)  # the moments `glimpse analyze --settings` reports
    assert r.view == WHAT_IF and [m.to_dict() for m in r.moments] == [m.to_dict() for m in expected.moments]
    np.testing.assert_array_equal(r.curve, strength_curve(rec.analysis.evidence, mine, len(rec.analysis.table)))
    assert r.threshold == threshold_for(80.0) and r.row_thresholds == ()
    assert model.analysis.settings == mine and model.analysis.moments == list(r.moments)
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.view = LIVE  # one frozen result: the page renders it, never changes it


def test_spotting_is_kept_per_settings_and_the_questions_are_read_once(session, monkeypatch):
    spots, banks = [], []
    real_spot, real_bank = review_model.spot_with_curve, review_model.load_bank
    monkeypatch.setattr(review_model, "spot_with_curve", lambda *a: spots.append(a[1]) or real_spot(*a))
    monkeypatch.setattr(review_model, "load_bank", lambda: banks.append(1) or real_bank())
    model, _ = opened(session)
    # the what-if's settings, and the live view's own for its curve (once each)
    assert spots == list(dict.fromkeys([Settings(), open_session(session).settings]))
    before = len(spots)
    a, b = Settings().replace(sensitivity=70.0), Settings().replace(sensitivity=30.0)
    for s in (a, b, a, b):
        model.apply(s)
    model.show(LIVE)
    model.show(WHAT_IF)
    assert spots[before:] == [a, b] and len(banks) == 1


def test_views_and_the_selection(session):
    model, _ = opened(session)
    assert model.select(1) == model.result.moments[1] and model.result.selected == 1
    assert model.select(7) is None and model.result.selected is None  # out of range: nothing
    model.select(0)
    r = model.apply(Settings())  # the brows prompt is found by the default settings too: still selected
    assert r.view == WHAT_IF and r.selected is not None
    assert abs(r.moments[r.selected].peak_s - open_session(session).moments[0].peak_s) < 0.2
    assert model.show(LIVE).selected is None and model.result.view == LIVE
    frames = {m.peak_s: i for i, m in enumerate(model.result.moments)}
    assert model.neighbour(+1, -1, lambda t: frames[t]) == 0 and model.neighbour(-1, 0, lambda t: frames[t]) is None


def test_a_video_has_only_the_what_if(session, tmp_path):
    model, rec = opened(session)
    video = Recording(tmp_path / "clip.mp4", rec.segments, rec.analysis, None)
    model.open(video, Settings())
    assert model.result.view == WHAT_IF and model.show(LIVE).view == WHAT_IF and model.result.live_text is None


def test_marks_follow_the_moments_and_are_saved(session):
    model, _ = opened(session)
    change = model.set_verdict(0, HELPFUL)
    assert change.problem is None and change.row["mark"] == HELPFUL and model.result.rows[0]["mark"] == HELPFUL
    model.set_note(1, "asked about the weekend")
    assert json.loads((session / "review.json").read_text())["marks"][1]["note"] == "asked about the weekend"
    r = model.apply(Settings())  # the what-if finds the brows moment: its mark follows
    assert [row["mark"] for row in r.rows].count(HELPFUL) == 1 and r.counts.helpful_kept == 1
    assert model.set_verdict(99, NOT_A_MOMENT) is None  # no such moment: nothing happens


def test_a_mark_that_cannot_be_saved_is_kept_and_said(session):
    model, _ = opened(session)
    (session / "review.json").mkdir()  # the marks file cannot be written
    change = model.set_verdict(0, HELPFUL)
    assert change.row["mark"] == HELPFUL and "could not be saved" in change.problem


def test_exports_are_of_the_view_on_screen_and_a_what_if_says_so(session):
    """Issue 20 item 3: a what-if export wrote `prompted=True` for questions never shown, with nothing in
    the file saying it was a what-if."""
    model, _ = opened(session)
    data = json.loads(model.export("json"))
    assert data["view"] == "live" and data["settings"]["sensitivity"] == 50.0 and "note" not in data
    assert [m["prompt"] for m in data["moments"]] == [m.prompt for m in open_session(session).moments]
    assert all(m["prompted"] for m in data["moments"])
    model.apply(Settings().replace(sensitivity=80.0))
    data = json.loads(model.export("json"))
    assert data["view"] == "what-if" and data["settings"]["sensitivity"] == 80.0
    assert "None of it was shown live" in data["note"]
    assert all("prompted" not in m and "would_prompt" in m for m in data["moments"])
    table = list(csv.DictReader(io.StringIO(model.export("csv"))))
    assert len(table) == len(model.result.moments) > 0 and all(r["view"] == "what-if" for r in table)
    assert "prompted" not in table[0] and any(r["would_prompt"] == "True" for r in table)


def test_closing_leaves_an_empty_result_at_the_settings_threshold(session):
    model, _ = opened(session)
    model.apply(Settings().replace(sensitivity=80.0))
    r = model.close()
    assert r.moments == () and r.rows == () and r.threshold == threshold_for(80.0) and model.analysis is None
