"""The replay page's views on their own: each is built on a model, the model changes, the widget follows;
and the frame reader finds exact frames, also in variable-frame-rate files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtTest import QTest

from app.sources.capture import FileSource
from app.sources.video import FrameReader
from app.spotting.spotter import Moment
from app.store.marks import HELPFUL, NOT_A_MOMENT, Mark, rows
from app.ui.moments_list import QUIET_TEXT, MomentsList
from app.ui.player import Highlight, VideoPlayer
from app.ui.timeline import Timeline, lost_spans

DATA = Path(__file__).parent / "data"
MOMENTS = [Moment(1.0, 1.1, 1.2, ("brows",), 8.0, prompted=True, prompt="Is there more to that?"),
           Moment(3.0, 3.1, 3.25, ("mouth", "nose"), 6.5),
           Moment(7.0, 7.2, 7.4, ("gaze",), 12.0, kind="glance")]


def decoded(path: Path) -> tuple[np.ndarray, list[np.ndarray]]:
    with FileSource(path) as source:
        frames = list(source)
    return np.array([f.t_s for f in frames]), [f.image for f in frames]


@pytest.mark.parametrize("name", ["face_noface.mov", "noface_face.mov", "single_face.mp4"])
def test_the_reader_finds_exact_frames_in_any_order(name):
    times, images = decoded(DATA / name)
    reader = FrameReader(DATA / name, times)
    try:
        order = [0, 5, len(times) - 1, len(times) // 2, 3, 4, 60, 59, 1, len(times) - 2]
        for i in order:
            assert np.array_equal(reader.read(i), images[i]), f"frame {i}"
        assert reader.read(len(times)) is None
    finally:
        reader.close()


def test_lost_spans():
    t = np.arange(10) / 10.0
    face = np.array([0, 1, 1, 0, 0, 1, 1, 1, 0, 0], bool)
    assert np.allclose(lost_spans(t, face), [(0.0, 0.1), (0.3, 0.5), (0.8, 1.0)])
    assert lost_spans(t, np.ones(10, bool)) == []
    # a recorded call that paused for a second (no frames there): nothing seen, drawn as the face lost is
    paused = np.concatenate([t, 2.0 + t])
    assert np.allclose(lost_spans(paused, np.ones(20, bool)), [(1.0, 2.0)])
    assert lost_spans(np.array([0.0, 0.1, 0.2, 0.35, 0.45]), np.ones(5, bool)) == []  # a dropped frame is not one


def test_timeline_shows_the_model(qtbot):
    tl = Timeline()
    qtbot.addWidget(tl)
    tl.resize(900, 260)
    tl.show()
    tl.set_recording(10.0, [(4.0, 5.0), (8.0, 8.5)], asked_s=(2.5,))
    tl.set_moments(MOMENTS, selected=1)
    x = np.arange(300) / 30.0
    tl.set_curve(x, np.where((x > 4) & (x < 5), np.nan, 2.0).astype(np.float32), 6.2)
    assert len(tl._lost_items) == 2 and [line.value() for line in tl._asked_items] == [2.5]
    assert tl.marker_positions() == [(m.peak_s, m.strength) for m in MOMENTS]
    assert len(tl.prompted_markers.data) == 1 and len(tl.quiet_markers.data) == 2
    assert tl.threshold.value() == 6.2
    assert tl.ring.getData()[0].tolist() == [3.1]
    tl.set_moments(MOMENTS[:1])  # re-spotted: fewer moments, nothing selected
    assert tl.selected is None and len(tl.ring.getData()[0]) == 0
    with qtbot.waitSignal(tl.seek_requested) as sig:
        pos = tl.plot.mapFromScene(tl.view_box.mapViewToScene(QPointF(6.0, 1.0)))
        QTest.mouseClick(tl.plot.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    assert sig.args[0] == pytest.approx(6.0, abs=0.1)


def test_moments_list_writes_back_the_listeners_intent(qtbot):
    ml = MomentsList()
    qtbot.addWidget(ml)
    marks = [Mark.on(MOMENTS[0], HELPFUL, "a note"), None, None]
    ml.set_rows(rows(MOMENTS, marks))
    model = ml.model
    assert model.rowCount() == 3
    assert [model.data(model.index(r, 4)) for r in range(3)] == ["Is there more to that?", QUIET_TEXT, QUIET_TEXT]
    assert model.data(model.index(0, 5)) == "Helpful" and model.data(model.index(1, 2)) == "mouth, nose"
    assert not ml.helpful_button.isEnabled()
    with qtbot.waitSignal(ml.moment_selected) as sig:
        ml.table.selectRow(1)
    assert sig.args == [1] and ml.helpful_button.isEnabled() and not ml.helpful_button.isChecked()
    with qtbot.waitSignal(ml.verdict_changed) as sig:
        ml.false_button.click()
    assert sig.args == [1, NOT_A_MOMENT]
    ml.update_row(1, {**model.rows[1], "mark": NOT_A_MOMENT})
    assert ml.false_button.isChecked()
    with qtbot.waitSignal(ml.verdict_changed) as sig:
        ml.false_button.click()  # a second click takes it back
    assert sig.args == [1, None]
    # a note being typed belongs to the row it was typed on, even when the selection moves on
    ml.note_edit.setText("looked down")
    with qtbot.waitSignal(ml.note_changed) as sig:
        ml.table.selectRow(2)
    assert sig.args == [1, "looked down"]
    assert ml.note_edit.text() == ""
    ml.select(0)
    assert ml.note_edit.text() == "a note" and ml.helpful_button.isChecked()


def test_player_steps_seeks_plays_and_stops_at_the_end(qtbot):
    times, images = decoded(DATA / "single_face.mp4")
    player = VideoPlayer()
    qtbot.addWidget(player)
    player.show()
    try:
        with qtbot.waitSignal(player.frame_shown, timeout=10_000) as sig:
            player.open_video(DATA / "single_face.mp4", times)
        assert sig.args == [0] and player.view.image is not None
        player.step(1)
        qtbot.waitUntil(lambda: player.index == 1, timeout=10_000)
        player.seek_time(times[40] + 0.001)
        qtbot.waitUntil(lambda: player.index == 40, timeout=10_000)
        player.step(-2)
        qtbot.waitUntil(lambda: player.index == 38, timeout=10_000)
        player.set_highlight(Highlight(("brows",), times[37], times[39]))
        assert player.view.highlight_regions == ()  # no landmarks given: nothing to outline
        player.seek_frame(60)
        player.play()
        qtbot.waitUntil(lambda: not player.playing, timeout=10_000)
        assert player.index == len(times) - 1
        assert player.play_button.text() == "Play"
    finally:
        player.shutdown()


@pytest.mark.parametrize("synchronous", [True, False])
def test_jobs_answer_on_the_gui_thread_with_results_errors_and_cancels(qtbot, synchronous):
    import threading

    from app.errors import Cancelled, VideoUnreadable
    from app.ui.jobs import JobRunner

    runner = JobRunner(synchronous=synchronous)
    gui = threading.current_thread()
    seen = []
    runner.progress.connect(lambda job, done, total: seen.append((done, total, threading.current_thread() is gui)))

    def work(progress, cancel):
        for i in range(3):
            progress(i + 1, 3)
        return "done"

    with qtbot.waitSignal(runner.finished, timeout=5000) as sig:
        runner.submit("work", work)
    assert sig.args[1] == "done" and seen[-1] == (3, 3, True) and not runner.busy()

    def broken(progress, cancel):
        raise VideoUnreadable("x.mp4: not a readable video")

    with qtbot.waitSignal(runner.failed, timeout=5000) as sig:
        runner.submit("broken", broken)
    assert isinstance(sig.args[1], VideoUnreadable)

    def stopped(progress, cancel):
        raise Cancelled("stopped")

    with qtbot.waitSignal(runner.cancelled, timeout=5000):
        runner.submit("stopped", stopped)
    assert runner.wait(5)


def test_a_newer_job_replaces_an_older_one(qtbot):
    import threading

    from app.errors import Cancelled
    from app.ui.jobs import JobRunner

    runner = JobRunner()
    started = threading.Event()

    def slow(progress, cancel):
        started.set()
        while not cancel.wait(0.01):
            pass
        raise Cancelled("replaced")

    answers = []
    runner.finished.connect(lambda job, result: answers.append(result))
    runner.cancelled.connect(lambda job: answers.append("cancelled"))
    runner.submit("slow", slow)
    assert started.wait(5)
    with qtbot.waitSignal(runner.finished, timeout=5000):
        runner.submit("quick", lambda progress, cancel: "quick")
    assert runner.wait(5)
    qtbot.wait(50)
    assert answers == ["quick"]  # the replaced job's late answer is dropped
