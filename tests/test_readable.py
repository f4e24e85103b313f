"""A window a counsellor reads at a glance: one message area, help beside the window, text that fits,
a timeline that explains itself, questions worth asking, light and dark."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QAction, QFont, QPalette
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QLabel

from app.prompts.policy import load_bank
from app.settings.schema import Settings
from app.sources import capture
from app.spotting.spotter import Moment
from app.store.marks import rows
from app.ui import theme
from app.ui.app import MainWindow
from app.ui.elide import ElidedLabel
from app.ui.first_run import WelcomePage
from app.ui.live import LivePage
from app.ui.messages import ERROR, INFO, MessageArea
from app.ui.moments_list import ANALYSING_TEXT, NO_MOMENTS_TEXT, MomentsList
from app.ui.progress_view import AnalysisProgress
from app.ui.questions_dialog import QuestionsDialog
from app.ui.timeline import CURVE_NAME, EMPTY_TEXT, Timeline

DATA = Path(__file__).parent / "data"
THETA = 6.0
MOMENTS = [Moment(1.0, 1.1, 1.2, ("brows",), 1.2 * THETA, prompted=True, prompt="What happened next?"),
           Moment(3.0, 3.1, 3.2, ("mouth", "nose"), 2.0 * THETA),
           Moment(5.0, 5.1, 5.2, ("lids",), 4.0 * THETA)]


def window(qtbot, tmp_path) -> MainWindow:
    qs = QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat)
    qs.setValue("welcome_seen", True)
    w = MainWindow(argparse.Namespace(command="replay", path=None, model=None), qs, tmp_path / "settings.json",
                   lambda: tmp_path / "sessions", lambda: [])
    qtbot.addWidget(w)
    return w


def test_one_message_area_replaces_shows_once_and_clears(qtbot):
    area = MessageArea()
    qtbot.addWidget(area)
    area.show()
    empty_height = area.height()
    area.show_message("camera 3 was not found", ERROR)
    area.show_message("camera 3 was not found", ERROR)  # reported twice: shown once
    assert area.shown_count == 1 and area.text.text() == "camera 3 was not found"
    area.show_message("settings file is broken", ERROR)  # replaces, never stacks
    assert area.text.text() == "settings file is broken" and area.shown_count == 2
    assert area.height() == empty_height  # a one-line message takes the room kept for it: nothing moves
    area.succeeded()  # the next action worked: the old error goes
    assert not area.is_showing() and area.text.text() == ""
    area.show_message("Recording saved", INFO, ("Open in Review", lambda: None))
    area.succeeded()  # good news stays until replaced or dismissed
    assert area.is_showing() and area.action_button.isVisibleTo(area)
    area.close_button.click()
    assert not area.is_showing()


def test_an_error_clears_when_the_next_action_succeeds(qtbot, tmp_path):
    w = window(qtbot, tmp_path)
    w.show_error("video x.mp4 cannot be read")
    w._attempt(lambda: None)()  # an action that reports nothing new
    assert not w.messages.is_showing()
    w._attempt(lambda: w.show_error("camera lost"))()  # one that fails keeps its own error
    assert w.messages.text.text() == "camera lost"


def test_help_opens_beside_the_window_not_in_it(qtbot, tmp_path):
    w = window(qtbot, tmp_path)
    w.show()
    w.stack.setCurrentWidget(w.tabs)  # the Live and Review tabs, as after the first-run page
    central, page = w.centralWidget(), w.stack.currentWidget()
    w.guide_action.trigger()
    guide = w.guide
    assert guide is not None and guide.isWindow() and guide.isVisible()
    assert w.centralWidget() is central and w.stack.currentWidget() is page is w.tabs
    assert "Notice, don't call out" in guide.browser.toPlainText() and "How to use Glimpse" in guide.browser.toPlainText()
    assert w.show_guide() is guide  # a second time: the same window, raised
    w.close()
    assert not guide.isVisible()


def test_elided_labels_keep_the_whole_text_in_the_tooltip(qtbot):
    text = "What would someone close to you say about it, if they were here with us now?"
    label = ElidedLabel(text)
    qtbot.addWidget(label)
    label.resize(120, 30)
    label.show()
    assert label.is_elided() and label.text().endswith("…") and label.toolTip() == text
    label.resize(2000, 30)
    assert not label.is_elided() and label.text() == text and label.toolTip() == ""


def test_the_empty_timeline_is_clean(qtbot):
    tl = Timeline()
    qtbot.addWidget(tl)
    tl.resize(800, 260)
    tl.show()
    tl.set_recording(1.0)
    tl.set_moments([])
    tl.set_curve(np.zeros(0), np.zeros(0), THETA)
    qtbot.wait(50)
    pi = tl.plot.getPlotItem()
    for name in ("left", "bottom"):
        axis = pi.getAxis(name)
        axis.setRange(0.0, 0.002)  # a range that pyqtgraph would label "(x0.001)"
        assert "(x" not in axis.labelString() and axis.autoSIPrefixScale == 1.0
    assert tl.empty_label.isVisibleTo(tl) and tl.empty_label.text() == EMPTY_TEXT
    assert not tl.threshold.isVisible() and not tl.playhead.isVisible()  # no lines over nothing
    (x0, x1), (y0, y1) = tl.view_box.viewRange()
    assert (x0, x1) == (0.0, 60.0) and y0 == 0 and y1 > THETA  # fixed ranges, whole seconds, the threshold in view
    ticks = pi.getAxis("bottom").tickStrings([0.0, 10.0, 20.0], 1.0, 10.0)
    assert ticks == ["0:00", "0:10", "0:20"]


def test_the_timeline_explains_its_marks(qtbot):
    tl = Timeline()
    qtbot.addWidget(tl)
    tl.resize(800, 260)
    tl.show()
    tl.set_recording(10.0)
    tl.set_moments(MOMENTS)
    x = np.linspace(0, 10, 101)
    tl.set_curve(x, np.full_like(x, 2.0), THETA)
    assert not tl.empty_label.isVisibleTo(tl)
    legend = tl.legend.text().replace("&nbsp;", " ")
    assert "movement, against its usual level" in legend and "question shown" in legend and "no face" in legend
    assert CURVE_NAME in tl.legend.toolTip()
    assert tl.threshold.isVisible() and tl.playhead.isVisible()
    tip = tl.marker_tip(0)
    assert "0:01.0 " in tip and "brows" in tip and "What happened next?" in tip and "slight" in tip
    assert "quiet time" in tl.marker_tip(1) and "clear" in tl.marker_tip(1) and "strong" in tl.marker_tip(2)
    assert tl._tip(x=5.1, y=24.0, data=2) == tl.marker_tip(2)
    assert tl.legend.isVisible() and not tl.key_button.isVisible()
    tl.resize(800, 120)  # squeezed: the legend moves behind the Key button instead of covering the time labels
    assert not tl.legend.isVisible() and tl.key_button.isVisible() and CURVE_NAME in tl.key_button.toolTip()
    tl.resize(800, 260)
    assert tl.legend.isVisible()
    tl.view_box.setXRange(4, 5, padding=0)
    tl.reset_button.click()
    (x0, x1), _ = tl.view_box.viewRange()
    assert x0 <= 0.0 and x1 >= 10.0


def test_moments_list_says_strength_in_words_and_fits_the_font(qtbot):
    ml = MomentsList()
    qtbot.addWidget(ml)
    ml.set_threshold(THETA)
    ml.set_rows(rows(MOMENTS, [None] * 3))
    model = ml.model
    assert [model.data(model.index(r, 3)) for r in range(3)] == ["slight", "clear", "strong"]
    assert "times the threshold" in model.data(model.index(2, 3), 3)  # ToolTipRole
    horizontal = Qt.Orientation.Horizontal
    assert model.headerData(4, horizontal) == "Question"
    assert "question" in model.headerData(4, horizontal, Qt.ItemDataRole.ToolTipRole)
    ml.set_threshold(THETA * 2)  # the same moments under a higher bar read weaker
    assert model.data(model.index(2, 3)) == "clear"
    header = ml.table.horizontalHeader()
    narrow = header.sectionSize(0)
    font = QFont(ml.font())
    font.setPointSizeF(font.pointSizeF() * 1.75)
    ml.setFont(font)
    assert header.sectionSize(0) > 1.5 * narrow  # the time column grows with the font instead of clipping
    assert ml.table.verticalHeader().defaultSectionSize() >= ml.table.fontMetrics().height()


def test_the_note_wraps_and_commits_like_a_line_edit(qtbot):
    ml = MomentsList()
    qtbot.addWidget(ml)
    ml.set_rows(rows(MOMENTS, [None] * 3), selected=0)
    assert ml.note_edit.lineWrapMode() == ml.note_edit.LineWrapMode.WidgetWidth
    ml.note_edit.setText("a long note " * 10)
    with qtbot.waitSignal(ml.note_changed) as sig:
        ml.select(1)
    assert sig.args == [0, "a long note " * 10]


def test_an_empty_list_says_analysing_while_the_analysis_runs(qtbot):
    ml = MomentsList()
    qtbot.addWidget(ml)
    ml.set_analysing(True)
    ml.set_rows([])
    assert ml.count_label.full_text() == ANALYSING_TEXT
    ml.set_analysing(False)
    assert ml.count_label.full_text() == NO_MOMENTS_TEXT


def test_analysis_progress_shows_time_left(qtbot):
    now = [0.0]
    bar = AnalysisProgress(clock=lambda: now[0])
    qtbot.addWidget(bar)
    bar.start("Analysing clip.mp4")
    assert bar.isVisibleTo(bar.parentWidget() or bar) and bar.left_label.text() == "starting…"
    for i in range(1, 6):
        now[0] = float(i)
        bar.update_progress(100 * i, 1000)  # 10% a second
    assert bar.left_label.text() == "50% · about 5 s left" and bar.bar.value() == 500


def test_questions_dialog_refuses_closed_and_feeling_questions(qtbot):
    bank = load_bank()
    d = QuestionsDialog((), bank)
    qtbot.addWidget(d)
    assert d.listed() == bank and d.questions() == ()  # the built-in bank unchanged: nothing of its own to save
    save = d.buttons.button(QDialogButtonBox.StandardButton.Save)
    d.new_edit.setText("Is there another side to it?")
    assert not d.add_button.isEnabled() and "yes or no" in d.problem_label.text()
    assert not d.add_question() and len(d.listed()) == len(bank)
    d.new_edit.setText("What made you sad?")
    assert "never names a feeling" in d.problem_label.text()
    d.new_edit.setText("Who else was there?")
    assert d.add_button.isEnabled() and d.add_question()
    assert d.listed()[-1] == "Who else was there?" and d.questions()[-1] == "Who else was there?"
    d.list.item(0).setText("Are you sure?")  # edited in place into a closed question
    assert not save.isEnabled() and "yes or no" in d.problem_label.text()
    d.list.setCurrentRow(0)
    d.remove_selected()
    assert save.isEnabled() and "Are you sure?" not in d.listed()


def test_first_run_page_shows_two_example_questions(qtbot):
    page = WelcomePage()
    qtbot.addWidget(page)
    shown = [q for q in load_bank() if q in page.examples.text().replace("&#x27;", "'")]
    assert len(shown) == 2


def test_dark_theme_is_chosen_from_the_environment_and_reaches_the_timeline(qtbot, monkeypatch):
    app = QApplication.instance()
    before = app.palette()
    try:
        monkeypatch.setenv(theme.THEME_ENV, "dark")
        assert theme.chosen_scheme(app) == theme.DARK and theme.apply(app) == theme.DARK
        assert app.palette().color(QPalette.ColorRole.Window).lightness() < 100
        tl = Timeline()
        qtbot.addWidget(tl)
        assert tl.tones is theme.DARK_TONES and "#MessageArea" in app.styleSheet()
        monkeypatch.setenv(theme.THEME_ENV, "light")
        theme.apply(app)
        assert theme.tones_for(Timeline()) is theme.LIGHT_TONES
    finally:
        app.setPalette(before)
        app.setStyleSheet("")


def test_a_session_summary_is_saved_as_a_page_or_a_pdf(qtbot, tmp_path):
    from test_summary import QUESTION, record

    folder = record(tmp_path / "sessions")
    w = window(qtbot, tmp_path)
    page = w.save_summary(folder, tmp_path / "summary.html")
    assert QUESTION in page.read_text(encoding="utf-8") and "Summary saved" in w.messages.text.text()
    pdf = w.save_summary(folder, tmp_path / "summary.pdf")
    assert pdf.read_bytes()[:5] == b"%PDF-" and pdf.stat().st_size > 10_000  # the picture is in it
    assert w.save_summary(tmp_path / "not-a-session", tmp_path / "x.html") is None
    assert "could not be saved" in w.messages.text.text()


def test_menu_items_run_without_the_menus_checked_flag(qtbot, tmp_path, monkeypatch):
    """A menu item's slot is called with nothing: File > Save a session summary once took the action's
    `checked` (False) for the session folder and failed with a TypeError."""
    from test_summary import QUESTION, record

    folder, out = record(tmp_path / "sessions"), tmp_path / "summary.html"
    monkeypatch.setattr("app.ui.app.QFileDialog.getExistingDirectory", lambda *a, **k: str(folder))
    monkeypatch.setattr("app.ui.app.QFileDialog.getSaveFileName", lambda *a, **k: (str(out), ""))
    w = window(qtbot, tmp_path)
    items = {a.text(): a for a in w.findChildren(QAction)}  # the menus' items, sub-menus' too
    items["Save a session summary…"].trigger()
    assert QUESTION in out.read_text(encoding="utf-8")
    items["Landmarks"].trigger()  # View: the checkable items still follow their check boxes
    assert w.live.landmarks_check.isChecked() and items["Landmarks"].isChecked()
    items["Landmarks"].trigger()
    assert not w.live.landmarks_check.isChecked() and not items["Landmarks"].isChecked()
    items["A gentle visual cue"].trigger()
    assert w.live.cue == "visual" and items["A gentle visual cue"].isChecked()


def test_the_summary_menu_item_saves_the_session_open_in_review_without_asking_which(qtbot, tmp_path, monkeypatch):
    from test_summary import QUESTION, record

    folder, out = record(tmp_path / "sessions"), tmp_path / "summary.html"
    monkeypatch.setattr("app.ui.app.QFileDialog.getExistingDirectory", lambda *a, **k: pytest.fail("asked which"))
    offered = []
    monkeypatch.setattr("app.ui.app.QFileDialog.getSaveFileName",
                        lambda _parent, _title, default, _filter: offered.append(default) or (str(out), ""))
    w = window(qtbot, tmp_path)
    page = w.review_page()
    with qtbot.waitSignal(page.recording_opened, timeout=60_000):
        page.open_path(folder)
    items = {a.text(): a for a in w.findChildren(QAction)}
    items["Save a session summary…"].trigger()
    assert offered == [f"{folder.name}.html"] and QUESTION in out.read_text(encoding="utf-8")
    page.shutdown()


def test_your_questions_are_saved_with_the_settings(qtbot, tmp_path, monkeypatch):
    from app.settings.store import load
    from app.ui import app as app_mod

    mine = ("What happened then?", "Who else was there?")

    class Accepting:
        def __init__(self, current, built_in, parent):
            assert current == () and built_in == load_bank()

        def exec(self):
            return app_mod.QDialog.DialogCode.Accepted

        def questions(self):
            return mine

    monkeypatch.setattr(app_mod, "QuestionsDialog", Accepting)
    w = window(qtbot, tmp_path)
    w.edit_questions()
    saved = load(tmp_path / "settings.json")
    assert saved.questions == mine and saved.preset == "balanced"
    assert "Your questions are saved" in w.messages.text.text()


def visible_labels_saying(w, text: str) -> list:
    return [label for label in w.findChildren(QLabel) if text in label.text() and label.isVisibleTo(w)]


def test_an_error_from_review_shows_once_in_the_window_and_the_next_success_clears_it(qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("GLIMPSE_CACHE_DIR", str(tmp_path / "cache"))
    w = window(qtbot, tmp_path)
    w.show()
    page = w.review_page()
    w.tabs.setCurrentWidget(page)
    missing = tmp_path / "missing.mp4"
    page.open_path(missing)
    assert w.messages.kind == ERROR and "missing.mp4" in w.messages.text.text() and w.messages.shown_count == 1
    assert visible_labels_saying(w, "missing.mp4") == [w.messages.text]  # once: the page paints none of its own
    with qtbot.waitSignal(page.recording_opened, timeout=60_000):
        page.open_path(DATA / "single_face.mp4")
    assert not w.messages.is_showing()  # the recording opened: the old error no longer applies
    w.show_error("camera 3 was not found")
    w.live._source_opened(capture.SourceInfo("demo", 24.0, 640, 360, 100))  # live started
    assert not w.messages.is_showing()
    page.shutdown()


def test_new_questions_reach_a_running_live_pipeline():
    from app.run.pipeline import LivePipeline

    built_in = load_bank()
    pipeline = LivePipeline(Settings().replace(cooldown_s=0.0))
    try:
        policy = pipeline.moments.policy
        assert policy.bank == built_in
        shown = [policy.update(Moment(t, t + 0.1, t + 0.2, ("brows",), 9.0)).prompt for t in range(6)]
        mine = tuple(shown[-2:])  # two questions just shown: a bank of two still offers one of them
        pipeline.set_settings(pipeline.settings.replace(questions=mine))
        assert policy.bank == mine
        assert policy.update(Moment(9.0, 9.1, 9.2, ("brows",), 9.0)).prompt in mine
        pipeline.set_settings(pipeline.settings.replace(questions=()))
        assert policy.bank == built_in
    finally:
        pipeline.close()


def test_moments_list_titles_fit_at_a_large_font_cut_with_their_whole_title_in_the_tooltip(qtbot):
    ml = MomentsList()
    qtbot.addWidget(ml)
    font = QFont(ml.font())
    font.setPointSizeF(font.pointSizeF() * 1.75)
    ml.setFont(font)
    ml.set_rows(rows(MOMENTS, [None] * 3))
    ml.resize(770, 300)  # the list in an 800 px window
    ml.show()
    qtbot.wait(20)
    header, model = ml.table.horizontalHeader(), ml.model
    sections = [header.sectionSize(c) for c in range(model.columnCount())]
    assert sum(sections) <= ml.table.viewport().width()  # every column in sight: none pushed off the edge
    fm = header.fontMetrics()
    for col, width in enumerate(sections):
        title = model.headerData(col, Qt.Orientation.Horizontal)
        tip = model.headerData(col, Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole)
        assert tip.startswith(f"{title}: ")  # a title cut short is whole in its tooltip
        if col == 0:
            assert width >= fm.horizontalAdvance(title)  # the time is never cut


def test_the_style_sheet_follows_a_palette_turned_dark(qtbot):
    from app.ui.screen_matrix import dark_palette

    app = QApplication.instance()
    before = app.palette()
    try:
        theme.apply(app, theme.LIGHT)
        theme.follow_system(app)
        assert theme.LIGHT_TONES.notice in app.styleSheet()
        app.setPalette(dark_palette())  # a desktop in dark mode, as the screen matrix sets it
        assert theme.DARK_TONES.notice in app.styleSheet() and "#Notice QLabel" in app.styleSheet()
        assert f"#Status {{ color: {theme.DARK_TONES.muted}; }}" in app.styleSheet()
        page = LivePage(list_cameras=lambda: [])
        qtbot.addWidget(page)
        page.resize(800, 600)
        page.show()
        qtbot.wait(20)
        notice = page.notice.grab().toImage()
        assert notice.pixelColor(notice.width() // 2, 3).lightness() < theme.DARK_BELOW_LIGHTNESS  # no light box
        assert page.notice_text.palette().color(QPalette.ColorRole.WindowText).lightness() > 150  # light text
        page.shutdown()
    finally:
        app.paletteChanged.disconnect()
        app.setProperty("glimpse_follows_palette", None)
        app.setPalette(before)
        app.setStyleSheet("")
        app.setProperty("glimpse_scheme", None)


def test_the_prompt_card_grows_with_the_font(qtbot):
    from app.ui.prompt_card import PromptCard

    card = PromptCard()
    qtbot.addWidget(card)
    size, height = card.label.font().pointSizeF(), card.minimumHeight()
    font = QFont(card.font())
    font.setPointSizeF(font.pointSizeF() * 1.75)
    card.setFont(font)
    assert card.label.font().pointSizeF() == pytest.approx(1.75 * size)
    assert card.minimumHeight() > 1.5 * height - 40  # two lines of the larger question (margins fixed)
