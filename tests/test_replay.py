"""The replay page, end to end on real clips (pytest-qt, offscreen): what it shows is what
`glimpse analyze` reports, marks survive a reload, exports match the list, the cache is used,
and cancelling leaves nothing broken behind."""

from __future__ import annotations

import csv
import json
import shutil
import threading
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtTest import QTest

from app.cli import main as cli
from app.run.recordings import load_video
from app.settings.schema import Settings, preset
from app.settings.store import SettingsStore, save
from app.spotting.spotter import threshold_for
from app.store.marks import HELPFUL, NOT_A_MOMENT
from app.ui.moments_list import MomentsModel
from app.ui.replay import ReplayPage
from app.ui.review_mode import LIVE, WHAT_IF

DATA = Path(__file__).parent / "data"
CLIP = DATA / "injected_short.mp4"  # a real clip with two brief expressions added: brows ~4.9 s, mouth ~8.3 s
CLIP_FRAMES = 244  # 10.2 s at 23.98 fps
# The default settings find the two injected expressions, and only them. These settings also find some of
# the clip's own mouth movements, for tests that need more moments. (Sensitivity alone finds no more on
# this clip: its other changes come with head movement or last longer than half a second.)
MORE = Settings().replace(sensitivity=80.0, head_motion_filter=False, max_duration_s=1.0)
SHORT = DATA / "single_face.mp4"
OPEN_TIMEOUT_MS = 90_000  # tracking shares two cores with other test runs


@pytest.fixture(scope="session")
def clip_features(tmp_path_factory) -> Path:
    """The clip tracked once, exactly as the page's job does it; tests copy this cache folder."""
    root = tmp_path_factory.mktemp("cache")
    mp = pytest.MonkeyPatch()
    mp.setenv("GLIMPSE_CACHE_DIR", str(root))
    try:
        rec = load_video(CLIP, Settings(), None, lambda d, t: None, threading.Event())
    finally:
        mp.undo()
    assert rec.tracked and rec.analysis.table.landmarks is not None
    return root / "features"


@pytest.fixture(scope="session")
def analyze_cli(tmp_path_factory):
    """`glimpse analyze CLIP [--settings FILE]`, run once per settings, as a person would."""
    results: dict[Settings, dict] = {}
    folder = tmp_path_factory.mktemp("cli")

    def run(settings: Settings) -> dict:
        if settings not in results:
            n = len(results)
            args = ["analyze", str(CLIP), "--out", str(folder / f"{n}.json"), "--quiet"]
            if settings != Settings():
                save(settings, folder / f"{n}-settings.json")
                args += ["--settings", str(folder / f"{n}-settings.json")]
            assert cli.main(args) == 0
            results[settings] = json.loads((folder / f"{n}.json").read_text())
        return results[settings]

    return run


@pytest.fixture
def cache(tmp_path, monkeypatch, clip_features) -> Path:
    root = tmp_path / "cache"
    shutil.copytree(clip_features, root / "features")
    monkeypatch.setenv("GLIMPSE_CACHE_DIR", str(root))
    return root


@pytest.fixture
def make_page(qtbot, tmp_path):
    pages = []

    def make(**kwargs) -> ReplayPage:
        page = ReplayPage(SettingsStore.open(tmp_path / "settings.json"), **kwargs)
        qtbot.addWidget(page)
        page.resize(1200, 800)
        page.show()
        pages.append(page)
        return page

    yield make
    for page in pages:
        page.shutdown()
    alive = [t.name for t in threading.enumerate() if t.name.startswith(("glimpse-job", "glimpse-player"))]
    assert not alive, f"threads left running: {alive}"


def use_settings(tmp_path: Path, settings: Settings) -> None:
    """The settings file the pages `make_page` builds read when they start."""
    save(settings, tmp_path / "settings.json")


def open_and_wait(qtbot, page: ReplayPage, path: Path):
    with qtbot.waitSignal(page.recording_opened, timeout=OPEN_TIMEOUT_MS) as sig:
        page.open_path(path)
    return sig.args[0]


def shown(page: ReplayPage) -> list[dict]:
    return [m.to_dict() for m in page.moments]


def markers(page: ReplayPage) -> list[tuple[float, float]]:
    return [(round(x, 4), round(y, 3)) for x, y in page.timeline.marker_positions()]


def test_markers_equal_what_analyze_reports(qtbot, make_page, cache, analyze_cli):
    page = make_page()
    rec = open_and_wait(qtbot, page, CLIP)
    assert not rec.tracked  # from the cache the fixture filled
    expected = analyze_cli(Settings())["moments"]
    assert expected and shown(page) == expected
    assert markers(page) == [(round(m["peak_s"], 4), round(m["strength"], 3)) for m in expected]
    assert page.moments_list.model.rowCount() == len(expected)
    assert page.timeline.threshold.value() == pytest.approx(threshold_for(50.0))
    qtbot.waitUntil(lambda: page.player.index >= 0, timeout=10_000)  # the first frame is on screen


def test_a_threshold_change_re_spots_like_analyze(qtbot, make_page, cache, analyze_cli, tmp_path):
    use_settings(tmp_path, preset("balanced", MORE))  # sensitivity 50, so the change to 80 finds more
    page = make_page()
    open_and_wait(qtbot, page, CLIP)
    before = shown(page)
    assert before == analyze_cli(preset("balanced", MORE))["moments"]
    with qtbot.waitSignal(page.moments_changed, timeout=2000):
        page.tuning.editors["sensitivity"].spin.setValue(80)
    assert page.settings == MORE and page.settings.preset == "custom"
    expected = analyze_cli(MORE)["moments"]
    assert shown(page) == expected and expected != before
    assert markers(page) == [(round(m["peak_s"], 4), round(m["strength"], 3)) for m in expected]
    assert page.timeline.threshold.value() == pytest.approx(threshold_for(80.0))
    # the settings file live mode reads is written once the listener pauses
    qtbot.waitUntil(lambda: (page.settings_store.path.exists() and
                             json.loads(page.settings_store.path.read_text())["settings"]["sensitivity"] == 80.0),
                    timeout=3000)


def test_marks_and_notes_survive_a_reload(qtbot, make_page, cache, tmp_path):
    from app.store.marks import review_path_for_video
    from app.system.files import video_digest

    use_settings(tmp_path, MORE)  # more than the two moments marked
    page = make_page()
    open_and_wait(qtbot, page, CLIP)
    assert len(page.moments) > 2
    ml = page.moments_list
    page.select_moment(0)
    ml.helpful_button.click()
    page.select_moment(1)
    ml.note_edit.setText("looked away before answering")
    ml.false_button.click()  # also hands over the note being typed
    assert [r["mark"] for r in ml.model.rows[:2]] == [HELPFUL, NOT_A_MOMENT]
    assert "helpful: 1 of 1" in page.tuning.counts_label.text()
    assert page.review.path == review_path_for_video(video_digest(CLIP))  # not under the model's cache key
    moments = shown(page)
    page.shutdown()
    page.close()

    again = make_page()
    open_and_wait(qtbot, again, CLIP)
    assert shown(again) == moments
    rows = again.moments_list.model.rows
    assert [(r["mark"], r["note"]) for r in rows[:2]] == [(HELPFUL, ""), (NOT_A_MOMENT, "looked away before answering")]
    assert all(r["mark"] is None for r in rows[2:])
    again.select_moment(1)
    assert again.moments_list.note_edit.text() == "looked away before answering"
    assert again.moments_list.false_button.isChecked()


def test_exports_match_the_list(qtbot, make_page, cache, tmp_path):
    use_settings(tmp_path, MORE)  # a third moment for the note
    page = make_page()
    open_and_wait(qtbot, page, CLIP)
    page.set_verdict(0, HELPFUL)
    page.set_note(2, "she smiled, then went on")
    page.export_csv(tmp_path / "m.csv")
    page.export_json(tmp_path / "m.json")
    model = page.moments_list.model
    with open(tmp_path / "m.csv", newline="") as fh:
        table = list(csv.DictReader(fh))
    data = json.loads((tmp_path / "m.json").read_text())
    assert len(table) == len(data["moments"]) == model.rowCount() > 0
    for i, (row, item) in enumerate(zip(table, data["moments"])):
        r = model.rows[i]
        shown_text = [model.data(model.index(i, c)) for c in range(model.columnCount())]
        assert float(row["start_s"]) == item["start_s"] == r["start_s"]
        assert shown_text[0] == MomentsModel.text({"start_s": float(row["start_s"])}, 0)
        assert shown_text[2] == ", ".join(row["regions"].split()) == ", ".join(item["regions"])
        assert shown_text[3] == MomentsModel.text({"strength": float(row["strength"])}, 3, model.threshold)
        assert (row["mark"] or None) == item["mark"] == r["mark"]
        assert row["note"] == item["note"] == shown_text[6]
    assert table[0]["mark"] == HELPFUL and table[2]["note"] == "she smiled, then went on"
    assert data["settings"] == page.settings.to_dict() and len(data["marks"]) == 2


def test_the_cache_is_used_the_second_time(qtbot, make_page, tmp_path, monkeypatch):
    monkeypatch.setenv("GLIMPSE_CACHE_DIR", str(tmp_path / "fresh"))
    page = make_page()
    first = open_and_wait(qtbot, page, SHORT)
    assert first.tracked and len(list((tmp_path / "fresh" / "features").glob("*.npz"))) == 1

    def no_tracking(*args, **kwargs):
        raise AssertionError("tracking ran although the features were cached")

    monkeypatch.setattr("app.run.tracked.track_video_parallel", no_tracking)
    second = open_and_wait(qtbot, page, SHORT)
    assert not second.tracked and shown(page) == [m.to_dict() for m in first.analysis.moments]
    np.testing.assert_array_equal(second.analysis.table.levels, first.analysis.table.levels)


def test_cancel_mid_analysis_leaves_no_broken_cache(qtbot, make_page, tmp_path, monkeypatch):
    root = tmp_path / "fresh"
    monkeypatch.setenv("GLIMPSE_CACHE_DIR", str(root))
    page = make_page()
    seen = []
    page.runner.progress.connect(lambda job, done, total: seen.append(done) or (done >= 20 and page.cancel_analysis()))
    with qtbot.waitSignal(page.runner.cancelled, timeout=OPEN_TIMEOUT_MS):
        page.open_path(CLIP)
    assert seen and max(seen) < CLIP_FRAMES
    assert page.runner.wait(10)
    assert not page.progress.isVisibleTo(page) and "cancelled" in page.last_message
    leftovers = [p for p in root.rglob("*") if p.is_file()]
    assert leftovers == [], leftovers  # no cache, no temporary file
    assert page.analysis is None and not page.export_csv_action.isEnabled()


def test_player_keys_like_a_video_player(qtbot, make_page, cache):
    page = make_page()
    open_and_wait(qtbot, page, CLIP)
    p = page.player
    page.activateWindow()
    p.view.setFocus()
    qtbot.waitUntil(lambda: p.index == 0, timeout=10_000)

    def key(k, frame, modifier=Qt.KeyboardModifier.NoModifier):
        QTest.keyClick(p.view, k, modifier)
        qtbot.waitUntil(lambda: p.index == frame, timeout=10_000)

    key(Qt.Key.Key_Right, 1)
    key(Qt.Key.Key_Period, 2)
    key(Qt.Key.Key_Left, 1)
    key(Qt.Key.Key_End, CLIP_FRAMES - 1)
    key(Qt.Key.Key_J, p.frame_at(p.times[-1] - 5.0))
    key(Qt.Key.Key_Home, 0)
    key(Qt.Key.Key_L, p.frame_at(5.0))
    QTest.keyClick(p.view, Qt.Key.Key_BracketLeft)
    assert p.speed == 0.5
    QTest.keyClick(p.view, Qt.Key.Key_Space)
    assert p.playing
    qtbot.waitUntil(lambda: p.index > p.frame_at(5.0), timeout=10_000)
    QTest.keyClick(p.view, Qt.Key.Key_K)
    assert not p.playing
    key(Qt.Key.Key_Right, p.target_index + 1)
    key(Qt.Key.Key_Right, p.frame_at(p.times[p.index] + 1.0), Qt.KeyboardModifier.ShiftModifier)
    # N selects the next moment, H and X mark it (and take the mark back)
    QTest.keyClick(p.view, Qt.Key.Key_N)
    assert page.selected is not None and page.moments[page.selected].peak_s > 5.0
    row = page.selected
    QTest.keyClick(p.view, Qt.Key.Key_H)
    assert page.moments_list.model.rows[row]["mark"] == HELPFUL
    QTest.keyClick(p.view, Qt.Key.Key_X)
    assert page.moments_list.model.rows[row]["mark"] == NOT_A_MOMENT
    QTest.keyClick(p.view, Qt.Key.Key_X)
    assert page.moments_list.model.rows[row]["mark"] is None


def test_slow_motion_plays_at_its_speed(qtbot, make_page, cache):
    page = make_page()
    open_and_wait(qtbot, page, CLIP)
    p = page.player
    qtbot.waitUntil(lambda: p.index == 0, timeout=10_000)
    p.set_speed(0.25)
    p.play()
    qtbot.wait(1000)
    p.pause()
    # 1 s at 0.25x is about 0.25 s of video (6 frames at 24 fps); a loaded machine may lag, never run ahead
    assert 1 <= p.index <= 8


def test_moments_are_reached_from_the_timeline_and_the_list(qtbot, make_page, cache):
    page = make_page()
    open_and_wait(qtbot, page, CLIP)
    p, moments = page.player, page.moments
    assert len(moments) == 2  # the injected brows and mouth
    qtbot.waitUntil(lambda: p.index == 0, timeout=10_000)
    page.next_moment()
    assert page.selected == 0 and page.moments_list.current() == 0
    qtbot.waitUntil(lambda: p.index == p.frame_at(moments[0].peak_s), timeout=10_000)
    assert page.player.view.highlight_regions == moments[0].regions  # the moving region is outlined
    page.next_moment()
    assert page.selected == 1
    qtbot.waitUntil(lambda: p.index == p.frame_at(moments[1].peak_s), timeout=10_000)
    page.previous_moment()
    assert page.selected == 0
    page.moments_list.table.selectRow(1)
    assert page.selected == 1 and page.timeline.selected == 1
    qtbot.waitUntil(lambda: p.index == p.frame_at(moments[1].peak_s), timeout=10_000)
    # a click on the timeline's empty part seeks there
    vb = page.timeline.view_box
    page.timeline.plot.getPlotItem().setYRange(0, 40, padding=0)
    target = QPointF(7.0, 35.0)
    pos = page.timeline.plot.mapFromScene(vb.mapViewToScene(target))
    QTest.mouseClick(page.timeline.plot.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    qtbot.waitUntil(lambda: abs(p.time_s - 7.0) < 0.1, timeout=10_000)
    assert page.selected == 1
    # and a click on a marker selects its moment
    m = moments[0]
    pos = page.timeline.plot.mapFromScene(vb.mapViewToScene(QPointF(m.peak_s, m.strength)))
    QTest.mouseClick(page.timeline.plot.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    assert page.selected == 0 and page.moments_list.current() == 0


def test_landmark_overlay(qtbot, make_page, cache):
    page = make_page()
    open_and_wait(qtbot, page, CLIP)
    assert page.player.landmarks_box.isEnabled()
    page.player.landmarks_box.setChecked(True)
    page.player.seek_frame(100)
    qtbot.waitUntil(lambda: page.player.index == 100, timeout=10_000)
    assert page.player.view.show_landmarks and page.player.view.landmarks is not None
    assert page.player.view.landmarks.shape == (478, 3)


def test_a_session_folder_shows_its_asked_marks_and_keeps_marks_inside(qtbot, make_page, cache, analyze_cli,
                                                                       tmp_path):
    from app.sources.capture import FileSource
    from app.store.cache import cache_path, load_cached
    from app.store.session import SessionWriter

    table = load_cached(cache_path(CLIP))
    with FileSource(CLIP) as source:
        writer = SessionWriter(tmp_path / "sessions", source.info, Settings(), consent_confirmed=True,
                               segment_s=3.0)
        for frame in source:
            writer.add_frame(frame, table.row(frame.index))
            if frame.index == 200:
                writer.add_mark(frame.t_s)
        writer.close()
    page = make_page()
    rec = open_and_wait(qtbot, page, writer.folder)
    assert len(rec.segments) == 4
    assert page.mode.mode == LIVE and shown(page) == []  # this record holds no moment shown live
    page.mode.what_if_button.click()
    assert page.mode.mode == WHAT_IF
    assert shown(page) == analyze_cli(Settings())["moments"]  # same features, same moments
    assert [round(line.value(), 3) for line in page.timeline._asked_items] == [round(table.t_s[200], 3)]
    page.player.seek_time(7.0)  # in the third segment
    qtbot.waitUntil(lambda: page.player.index == page.player.frame_at(7.0), timeout=10_000)
    page.set_verdict(0, HELPFUL)
    assert (writer.folder / "review.json").exists()


def test_unreadable_and_faceless_files_say_so(qtbot, make_page, tmp_path, monkeypatch):
    monkeypatch.setenv("GLIMPSE_CACHE_DIR", str(tmp_path / "fresh"))
    page = make_page()
    bad = tmp_path / "notes.mp4"
    bad.write_text("not a video")
    page.open_path(bad)
    assert "not a readable video" in page.last_message and not page.runner.busy()
    open_and_wait(qtbot, page, DATA / "no_face.mp4")
    assert "No face was seen" in page.last_message and page.moments == []


def test_a_dropped_file_is_opened(qtbot, make_page, cache):
    page = make_page()
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(CLIP))])
    event = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    with qtbot.waitSignal(page.recording_opened, timeout=OPEN_TIMEOUT_MS):
        page.dropEvent(event)
    assert page.title.text() == CLIP.name


def test_settings_files(qtbot, make_page, cache, tmp_path):
    page = make_page()
    open_and_wait(qtbot, page, CLIP)
    good = tmp_path / "colleague.json"
    save(Settings().replace(sensitivity=65.0, cooldown_s=5.0), good)
    with qtbot.waitSignal(page.moments_changed, timeout=2000):
        page.tuning.import_settings(good)
    assert page.settings.sensitivity == 65.0 and page.tuning.editors["cooldown_s"].value() == 5.0
    broken = tmp_path / "broken.json"
    broken.write_text('{"settings": {"sensitivity": 500}}')
    page.tuning.import_settings(broken)
    assert page.settings.sensitivity == 65.0 and "outside" in page.tuning.message.text()
    page.tuning.export_settings(tmp_path / "out.json")
    assert json.loads((tmp_path / "out.json").read_text())["settings"]["sensitivity"] == 65.0
    page.shutdown()  # saves the pending settings at once
    assert json.loads(page.settings_store.path.read_text())["settings"]["cooldown_s"] == 5.0


def test_a_broken_settings_file_gives_the_defaults_and_is_kept(qtbot, make_page, tmp_path):
    (tmp_path / "settings.json").write_text('{"settings": {"sensitivity": "high"}')
    page = make_page()
    assert page.settings == Settings()
    assert "not valid JSON" in page.settings_store.problem and "kept as" in page.tuning.message.text()
    assert len(list(tmp_path.glob("settings.json.broken-*"))) == 1
