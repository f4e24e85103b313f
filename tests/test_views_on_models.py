"""The views over the two models (pytest-qt, offscreen): change the model, the widgets follow. Review's list and
timeline render the review model's result; a settings change in the store reaches Review through the model
(spotting entered once, the questions not read again) and reaches a running live session between two frames."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from app.run import review_model
from app.run.recordings import load_session
from app.run.review_model import LIVE, WHAT_IF, ReviewModel
from app.settings.schema import Settings
from app.settings.store import SettingsStore
from app.spotting.spotter import threshold_for
from app.store.marks import HELPFUL
from app.ui.live import LivePage
from app.ui.moments_list import QUESTION_COLUMN, QUESTION_HEADERS, MomentsList
from app.ui.replay import ReplayPage
from app.ui.timeline import Timeline
from tests.support.synthetic import BlankClip, SettingsLog
from tests.support.walk import walk

SESSION = Path(__file__).parent / "data" / "recorded_session"
HIGHER = Settings().replace(sensitivity=80.0)  # finds the mouth moment too (shown live after "I just asked")


@pytest.fixture
def session(tmp_path) -> Path:
    folder = tmp_path / "session"
    shutil.copytree(SESSION, folder)
    return folder


def test_the_list_and_the_timeline_render_the_models_result(qtbot, session):
    model = ReviewModel()
    model.open(load_session(session, Settings(), None, lambda d, t: None, threading.Event()), Settings())
    ml, tl = MomentsList(), Timeline()
    for w in (ml, tl):
        qtbot.addWidget(w)
    for settings in (None, HIGHER):
        result = model.result if settings is None else model.apply(settings)
        ml.show_result(result)
        tl.show_result(result)
        assert ml.model.rows == list(result.rows) and ml.current() == result.selected
        assert ml.model.row_thresholds == result.row_thresholds and ml.model.threshold == result.threshold
        assert ml.model.headerData(QUESTION_COLUMN, Qt.Orientation.Horizontal) == QUESTION_HEADERS[result.view][0]
        assert tl.marker_positions() == [(m.peak_s, m.strength) for m in result.moments]
        assert tl.threshold.value() == pytest.approx(result.threshold)
    assert model.result.view == WHAT_IF and tl.threshold.value() == pytest.approx(threshold_for(80.0))
    model.select(1)
    ml.show_result(model.result)
    assert ml.current() == 1


@pytest.fixture
def page(qtbot, tmp_path, session):
    store = SettingsStore.open(tmp_path / "settings.json", defer=lambda save: None)  # as the window's: saved later
    page = ReplayPage(store, synchronous=True, throttle_ms=100)
    qtbot.addWidget(page)
    page.resize(1200, 800)
    page.show()
    with qtbot.waitSignal(page.recording_opened, timeout=60_000):
        page.open_path(session)
    yield page
    page.shutdown()


def test_a_settings_change_reaches_reviews_list_through_the_model_once(qtbot, page, monkeypatch):
    spotted, banks = [], []
    real_spot, real_bank = review_model.spot_with_curve, review_model.load_bank
    monkeypatch.setattr(review_model, "spot_with_curve", lambda *a: spotted.append(a[1]) or real_spot(*a))
    monkeypatch.setattr(review_model, "load_bank", lambda: banks.append(1) or real_bank())
    assert page.mode.mode == LIVE
    w = walk(lambda: page.tuning.editors["sensitivity"].spin.setValue(80))
    result = page.model.result
    assert spotted == [HIGHER] and banks == []  # spotting entered once; the questions not read again
    assert page.mode.mode == WHAT_IF and result.view == WHAT_IF  # tuning is a what-if
    assert page.moments_list.model.rows == list(result.rows) and len(result.rows) == 2
    assert page.timeline.marker_positions() == [(m.peak_s, m.strength) for m in result.moments]
    assert page.tuning.counts_label.text() == result.counts.summary()
    assert page.settings_store.settings == HIGHER
    # the walk: the panel, the store, the page, the model (spotting, prompts, marks), then the views
    assert len(w.crossing) <= 30, "\n".join(name for name, _ in w.crossing)
    # the box shows its value, and the store's change once more (the panel once drew all 19 editors again)
    assert sum(name.endswith(":NumberField.set_value") for name in w.calls) == 2


def test_a_slider_drag_re_spots_the_first_and_the_newest(qtbot, page, monkeypatch):
    applied = []
    real = page.model.apply
    monkeypatch.setattr(page.model, "apply", lambda s: applied.append(s.sensitivity) or real(s))
    for value in range(51, 71):
        page.tuning.editors["sensitivity"].slider.setValue(value)
    assert applied == [51.0] and page.settings_store.settings.sensitivity == 70.0  # the store has every step
    qtbot.waitUntil(lambda: applied[-1] == 70.0, timeout=2000)
    qtbot.wait(250)
    assert applied == [51.0, 70.0]


def test_marks_and_views_go_through_the_model(qtbot, page):
    page.set_verdict(0, HELPFUL)
    assert page.model.result.rows[0]["mark"] == HELPFUL == page.moments_list.model.rows[0]["mark"]
    page.mode.what_if_button.click()
    assert page.model.result.view == WHAT_IF and page.moments_list.model.rows == list(page.model.result.rows)
    page.mode.live_button.click()
    assert page.model.result.view == LIVE and page.moments == list(page.model.result.moments)


def test_questions_changed_elsewhere_reach_review_and_the_panel(qtbot, page):
    mine = ("What happened then?", "Who else was there?")
    page.mode.what_if_button.click()
    page.settings_store.update(questions=mine)
    assert page.tuning.editors["questions"].value() == mine
    assert {r["prompt"] for r in page.moments_list.model.rows if r["prompted"]} <= set(mine)


def test_a_running_live_session_takes_new_settings_between_two_frames(qtbot, monkeypatch):
    store = SettingsStore()
    live = LivePage(store, lambda: Path("/nonexistent"), lambda: [])
    qtbot.addWidget(live)
    live.pipeline_factory = SettingsLog
    clip = type("Clip", (), {"is_camera": False, "is_screen": False, "screen": None, "label": "clip",
                             "opener": lambda self, w, h, f: (lambda: BlankClip(60.0))})()
    monkeypatch.setattr(live, "choice", lambda: clip)
    SettingsLog.seen = []  # not an earlier test's frames
    with qtbot.waitSignal(live.running_changed, timeout=5000):
        live.start()
    qtbot.waitUntil(lambda: len(SettingsLog.seen) > 30, timeout=10_000)
    store.update(sensitivity=77.0)  # Review's tuning drawer, while live runs
    qtbot.waitUntil(lambda: SettingsLog.seen[-1][1].sensitivity == 77.0, timeout=5000)
    qtbot.waitUntil(lambda: "sensitivity 77" in live.settings_label.text(), timeout=5000)
    with qtbot.waitSignal(live.running_changed, timeout=10_000):
        live.stop()
    seen = [s for _, s in SettingsLog.seen]
    switch = next(i for i, s in enumerate(seen) if s.sensitivity == 77.0)
    assert switch > 30 and all(s == Settings() for s in seen[:switch])  # whole settings, swapped between frames
    assert all(s == store.settings for s in seen[switch:])
    live.shutdown()
