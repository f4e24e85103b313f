"""Review keeps what was shown live apart from the what-if, tuning reaches live, and the replay of a
recorded session at its recorded settings gives the moments live gave.

tests/data/recorded_session was recorded by `glimpse live --no-window` (see tests/data/PROVENANCE.md):
two prompts, the brows at 2.4 s with the listener's settings (sensitivity 50) and the mouth at 5.7 s just
after an "I just asked" mark at 5.0 s (sensitivity 75, the quiet time lifted). The default settings, as
a what-if, find only the first.
"""

from __future__ import annotations

import itertools
import json
import shutil
import threading
import time
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from app.cli import main as cli
from app.prompts.asked import ASKED_BOOST
from app.run.live import LATE_WINDOW_S, _Rate
from app.run.relive import relive_session
from app.settings.schema import Settings
from app.settings.store import SettingsStore, save
from app.spotting.spotter import threshold_for
from app.spotting.strength import relative
from app.store.marks import HELPFUL
from app.store.session import open_session
from app.ui import replay as replay_mod
from app.ui.moments_list import ANALYSING_TEXT, QUESTION_COLUMN, QUESTION_HEADERS
from app.ui.replay import ReplayPage
from app.ui.review_mode import LIVE, WHAT_IF

DATA = Path(__file__).parent / "data"
SESSION = DATA / "recorded_session"
OPEN_TIMEOUT_MS = 60_000


TIME_TOLERANCE_S = 1e-3  # recorded times are rounded to 0.1 ms


def same(a, b) -> bool:
    """Same moments: times (to the recorded rounding), regions, kind and prompted; strength is compared
    apart (the recorded blendshapes are float16)."""
    def key(m):
        return tuple(m.regions), m.kind, m.prompted
    return len(a) == len(b) and all(
        key(x) == key(y) and max(abs(x.start_s - y.start_s), abs(x.peak_s - y.peak_s), abs(x.end_s - y.end_s))
        <= TIME_TOLERANCE_S for x, y in zip(a, b))


@pytest.fixture
def session_copy(tmp_path) -> Path:
    """The recorded session, copied (Review writes its marks into the session folder)."""
    folder = tmp_path / "session"
    shutil.copytree(SESSION, folder)
    return folder


@pytest.fixture
def page(qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("GLIMPSE_CACHE_DIR", str(tmp_path / "cache"))
    page = ReplayPage(SettingsStore.open(tmp_path / "settings.json"))
    qtbot.addWidget(page)
    page.resize(1200, 800)
    page.show()
    yield page
    page.shutdown()


def open_and_wait(qtbot, page: ReplayPage, path: Path):
    with qtbot.waitSignal(page.recording_opened, timeout=OPEN_TIMEOUT_MS) as sig:
        page.open_path(path)
    return sig.args[0]


def test_the_committed_session_is_small_and_holds_two_prompts():
    size = sum(p.stat().st_size for p in SESSION.rglob("*") if p.is_file())
    assert size < 2_000_000
    session = open_session(SESSION)
    assert [m.prompted for m in session.moments] == [True, True] and session.marks == (5.0,)
    assert [s.sensitivity for s in session.moment_settings] == [50.0, 50.0 + ASKED_BOOST]


def test_a_recorded_session_opens_on_exactly_the_prompts_its_record_holds(qtbot, page, session_copy):
    record = open_session(session_copy)
    rec = open_and_wait(qtbot, page, session_copy)
    assert rec.live is not None and page.mode.mode == LIVE and page.mode.live_button.isVisibleTo(page)
    assert [m.to_dict() for m in page.moments] == [m.to_dict() for m in record.moments]
    rows = page.moments_list.model.rows
    assert [r["prompt"] for r in rows] == [m.prompt for m in record.moments]  # the questions shown, as shown
    assert [(x, round(y, 3)) for x, y in page.timeline.marker_positions()] == \
        [(m.peak_s, round(m.strength, 3)) for m in record.moments]
    model = page.moments_list.model  # the list's strength words and the markers' tooltips agree
    words = [model.data(model.index(i, 3)) for i in range(len(rows))]
    assert [page.timeline.marker_tip(i).split("\n")[1].split(":")[0] for i in range(len(rows))] == words
    text = page.mode.text.text()
    assert "Shown live: 2 questions" in text and "0:02.4" in text and "0:05.7" in text
    assert "sensitivity 50" in text and f"sensitivity {50 + ASKED_BOOST:g}" in text
    # the what-if with the default settings finds other moments; the live record does not change
    page.mode.what_if_button.click()
    assert page.mode.mode == WHAT_IF and "What-if" in page.mode.text.text()
    assert same(page.moments, rec.analysis.moments)
    assert len(page.moments) != len(record.moments)
    page.mode.live_button.click()
    assert [m.to_dict() for m in page.moments] == [m.to_dict() for m in record.moments]


def test_marks_attach_to_either_view_and_tuning_is_a_what_if(qtbot, page, session_copy):
    open_and_wait(qtbot, page, session_copy)
    page.set_verdict(0, HELPFUL)  # on the brows prompt shown live
    page.set_note(1, "asked about the weekend")  # on the mouth prompt, found live only
    page.mode.what_if_button.click()
    rows = page.moments_list.model.rows
    live_brows = open_session(session_copy).moments[0]
    assert rows[0]["mark"] == HELPFUL and rows[0]["start_s"] == pytest.approx(live_brows.start_s, abs=1e-3)
    assert all(r["note"] == "" for r in rows)  # the default settings do not find the mouth moment
    # tuning, from the live view, shows the what-if: here a higher sensitivity finds the mouth too
    page.mode.live_button.click()
    page.settings_store.update(sensitivity=80.0)
    assert page.mode.mode == WHAT_IF and page.tuning_scroll.isVisibleTo(page)
    notes = [r["note"] for r in page.moments_list.model.rows]
    assert "asked about the weekend" in notes
    page.mode.live_button.click()  # what was shown live is unchanged by tuning
    assert [r["prompt"] for r in page.moments_list.model.rows] == [m.prompt for m in open_session(session_copy).moments]
    data = json.loads((session_copy / "review.json").read_text())
    assert len(data["marks"]) == 2
    page.export_json(session_copy / "export.json")  # the export is of the view on screen
    data = json.loads((session_copy / "export.json").read_text())
    assert data["view"] == "live" and data["settings"]["sensitivity"] == 50.0
    assert [m["prompt"] for m in data["moments"]] == [m.prompt for m in open_session(session_copy).moments]


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_the_what_if_export_says_so_in_its_file_name_and_its_file(qtbot, page, session_copy, tmp_path, monkeypatch, fmt):
    """Issue 20 item 3: Export in "What if" offered the live export's file name and wrote prompted=True."""
    asked: list[tuple[str, str]] = []

    def save_as(_parent, title, default, _filter):
        asked.append((title, default))
        return str(tmp_path / default), ""

    monkeypatch.setattr("app.ui.replay_files.QFileDialog.getSaveFileName", save_as)
    open_and_wait(qtbot, page, session_copy)
    action = page.export_csv_action if fmt == "csv" else page.export_json_action
    action.trigger()  # the live view
    page.mode.what_if_button.click()
    action.trigger()
    (live_title, live_name), (what_if_title, what_if_name) = asked
    assert live_name == f"session-moments.{fmt}" and "what-if" not in live_title
    assert what_if_name == f"session-what-if-moments.{fmt}" and "what-if" in what_if_title
    text = (tmp_path / what_if_name).read_text()
    assert "what-if" in text and "prompted" not in text.replace("would_prompt", "")
    assert "what if" in page.last_message


def test_a_video_has_only_the_what_if_view(qtbot, page):
    rec = open_and_wait(qtbot, page, DATA / "single_face.mp4")
    assert rec.live is None and page.mode.mode == WHAT_IF
    assert not page.mode.live_button.isVisibleTo(page) and "video file" in page.mode.text.text()
    page.mode.set_mode(LIVE)  # there is no live record to show
    assert page.mode.mode == WHAT_IF


def test_replay_at_the_recorded_settings_gives_the_committed_sessions_moments():
    session = open_session(SESSION)
    again = relive_session(session)
    assert same(again, session.moments)
    assert [m.strength for m in again] == pytest.approx([m.strength for m in session.moments], rel=0.01)


def test_tuning_reaches_live_and_a_replay_gives_what_live_gave(tmp_path):
    """The listener's settings file drives a headless live session; after "I just asked" the sensitivity is
    raised relative to them; the recorded session replays to the same moments and questions."""
    mine = Settings().replace(sensitivity=40.0, cooldown_s=30.0)
    save(mine, tmp_path / "settings.json")
    out = tmp_path / "moments.json"
    assert cli.main(["live", "--no-window", "--source", f"file:{DATA / 'injected_short.mp4'}", "--settings",
                     str(tmp_path / "settings.json"), "--record", str(tmp_path / "sessions"), "--asked-at", "7.5",
                     "--out", str(out)]) == 0
    data = json.loads(out.read_text())
    session = open_session(data["live"]["recordings"][0])
    assert session.settings == mine
    log = [(t, s.sensitivity) for t, s in session.settings_log]
    assert log[0] == (0.0, 40.0) and log[1][1] == 40.0 + ASKED_BOOST and 7.5 <= log[1][0] < 7.6
    assert all(s.cooldown_s == 30.0 for _, s in session.settings_log)  # only the sensitivity is raised
    assert [m.to_dict() for m in session.moments] == data["moments"]
    assert any(m.prompted for m in session.moments)
    again = relive_session(session)
    assert same(again, session.moments)
    assert [m.prompt for m in again] == [m.prompt for m in session.moments]


def test_late_frames_are_counted_over_the_last_minute_not_since_the_start():
    rate = _Rate()
    assert rate.late(0.0, 0) == 0
    assert rate.late(10.0, 50) == 50  # younger than the window: all of them
    assert rate.late(LATE_WINDOW_S + 5.0, 60) == 60 - 0  # the sample at 0 s is the window's start
    assert rate.late(LATE_WINDOW_S + 20.0, 60) == 10  # the 50 before 10 s have left the window
    assert rate.late(3 * LATE_WINDOW_S, 60) == 0



def strength_words(page: ReplayPage) -> list[str]:
    model = page.moments_list.model
    return [model.data(model.index(r, 3)) for r in range(model.rowCount())]


def question_title(page: ReplayPage) -> str:
    return page.moments_list.model.headerData(QUESTION_COLUMN, Qt.Orientation.Horizontal)


def test_strength_words_in_review_are_against_the_threshold_of_the_view(qtbot, tmp_path, session_copy):
    """The page tells the list its thresholds: the ones live spotted each moment at, the what-if's (here 80)."""
    save(Settings().replace(sensitivity=80.0), tmp_path / "settings.json")
    page = ReplayPage(SettingsStore.open(tmp_path / "settings.json"))
    qtbot.addWidget(page)
    try:
        open_and_wait(qtbot, page, session_copy)
        rows = page.moments_list.model.rows
        # live, each against the threshold it was spotted at: 50, then 75 just after "I just asked"
        spotted_at = [threshold_for(st.sensitivity) for st in open_session(session_copy).moment_settings]
        assert spotted_at[0] != spotted_at[1] and len(rows) == 2
        assert strength_words(page) == [relative(r["strength"], t).word for r, t in zip(rows, spotted_at)]
        assert "below" not in strength_words(page)[1]  # it was found: it passed the threshold in force then
        page.mode.what_if_button.click()
        rows = page.moments_list.model.rows
        assert rows and page.moments_list.model.threshold == pytest.approx(threshold_for(80.0))
        assert strength_words(page) == [relative(r["strength"], threshold_for(80.0)).word for r in rows]
        assert set(strength_words(page)) <= {"slight", "clear", "strong"}
    finally:
        page.shutdown()


def test_while_analysing_the_list_says_so_and_the_progress_shows_time_left(qtbot, page, monkeypatch):
    release = threading.Event()
    real = replay_mod.load_video

    def slow(path, settings, model_path, progress, cancel):
        for i in range(1, 6):
            progress(100 * i, 1000)
            time.sleep(0.06)  # past the runner's progress throttle
        release.wait(10)
        return real(path, settings, model_path, progress, cancel)

    monkeypatch.setattr(replay_mod, "load_video", slow)
    seconds = itertools.count()
    page.progress._now = lambda: float(next(seconds))  # each update a second later: 10% a second
    page.open_path(DATA / "single_face.mp4")
    assert page.progress.isVisibleTo(page) and page.progress.what.text() == "Analysing single_face.mp4"
    assert page.moments_list.count_label.full_text() == ANALYSING_TEXT
    qtbot.waitUntil(lambda: page.progress.left_label.text() == "50% · about 5 s left", timeout=5000)
    assert page.moments_list.count_label.full_text() == ANALYSING_TEXT  # not "No moments with these settings."
    with qtbot.waitSignal(page.recording_opened, timeout=OPEN_TIMEOUT_MS):
        release.set()
    assert not page.progress.isVisibleTo(page)
    assert page.moments_list.count_label.full_text() != ANALYSING_TEXT
    page.progress.cancel_button.click()  # wired to the page's cancel: harmless with nothing running
    page.open_path(DATA / "single_face.mp4")  # from the cache now, but cancelled before it answers
    page.progress.cancel_button.click()
    qtbot.waitUntil(lambda: not page.runner.busy(), timeout=OPEN_TIMEOUT_MS)
    assert not page.progress.isVisibleTo(page)


def test_the_question_column_says_shown_live_or_what_if(qtbot, page, session_copy):
    open_and_wait(qtbot, page, session_copy)
    assert page.mode.mode == LIVE and question_title(page) == QUESTION_HEADERS[LIVE][0] == "Question shown"
    page.mode.what_if_button.click()
    assert question_title(page) == QUESTION_HEADERS[WHAT_IF][0] == "Question"
    page.mode.live_button.click()
    assert question_title(page) == "Question shown"
    open_and_wait(qtbot, page, DATA / "single_face.mp4")  # a video: what-if only
    assert question_title(page) == "Question"


def test_a_damaged_session_opens_with_what_is_intact_and_one_message_says_what_is_missing(qtbot, page, tmp_path):
    """Issue 20 item 2: with one segment's video deleted and a moments line cut, the session refused to open."""
    from test_session import record

    folder = record(tmp_path / "sessions").folder  # three segments: 0:00-0:01, 0:01-0:02, 0:02-0:02.5
    (folder / "segments" / "000001.mkv").unlink()
    moments = folder / "moments.jsonl"
    moments.write_text(moments.read_text() + '{"start_s": 3.0, "peak')  # cut in the middle of a line
    messages: list[str] = []
    page.message_shown.connect(lambda text, _error: messages.append(text))
    rec = open_and_wait(qtbot, page, folder)
    assert [s.path.name for s in rec.segments] == ["000000.mkv", "000002.mkv"]
    assert len(page.moments) == 1 and rec.asked_s == (pytest.approx(1.2),)  # the moment and the mark
    (text,) = [m for m in messages if m]
    assert text.startswith("Part of this session is damaged and left out: the video of 0:01-0:02")
    assert text.endswith("The rest is shown. The last of the moments was cut off and is left out (moments.jsonl).")
    p = page.player
    p.seek_frame(len(p.times) - 1)  # the intact segments play, the last one too
    qtbot.waitUntil(lambda: p.index == len(p.times) - 1, timeout=10_000)
