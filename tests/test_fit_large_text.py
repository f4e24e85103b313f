"""Every page fits at 175% text on a 1400x900 and a 1280x800 screen (issue 20, item 7): the window's minimum
size fits the screen less its title bar and panel, and in a window of that size nothing the listener needs
is cut or folded away: Review's toolbar buttons (no "››"), a seek slider with room to aim, the moments
list's column titles whole, every button inside the window; the first-run page's Begin button in sight at
the default 1000x760; the live video keeps its height when the line under Source is long."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import QRect
from PySide6.QtWidgets import QAbstractButton, QAbstractScrollArea, QApplication, QToolButton, QWidget

from app.ui.about import show_about
from app.ui.first_run import WelcomePage
from app.ui.moments_list import COLUMNS
from app.ui.timeline import Y_LABEL
from tests.support.window import main_window, open_recorded_session

TEXT_SCALE = 1.75
SCREENS = ((1400, 900), (1280, 800))
DECORATION_PX = 64  # a title bar and a desktop panel take this much of the screen's height
DEFAULT_WINDOW = (1000, 760)
SLIDER_SHARE = 0.6  # the seek slider spans at least this share of the video's width


@pytest.fixture
def large_text(qapp: QApplication) -> Iterator[None]:
    font = qapp.font()
    larger = qapp.font()
    larger.setPointSizeF(font.pointSizeF() * TEXT_SCALE)
    qapp.setFont(larger)
    yield
    qapp.setFont(font)


@pytest.fixture
def window(qtbot, tmp_path, monkeypatch, large_text):
    with main_window(qtbot, tmp_path, monkeypatch) as w:
        yield w


def rect_in(window: QWidget, w: QWidget) -> QRect:
    return QRect(w.mapTo(window, w.rect().topLeft()), w.size())


def scrolls(w: QWidget) -> bool:
    """Inside a scroll area's viewport (it may lie outside the window: the listener scrolls to it)."""
    parent = w.parentWidget()
    while parent is not None:
        if isinstance(parent, QAbstractScrollArea):
            return True
        parent = parent.parentWidget()
    return False


def cut_buttons(window: QWidget) -> list[str]:
    """Visible buttons (outside scroll areas) that the window's edges cut."""
    return [f"{b.text() or b.toolTip()[:30]} at {rect_in(window, b)}" for b in window.findChildren(QAbstractButton)
            if b.isVisibleTo(window) and not scrolls(b) and not window.rect().contains(rect_in(window, b))]


def fit(qtbot, window, screen: tuple[int, int]) -> tuple[int, int]:
    size = (screen[0], screen[1] - DECORATION_PX)
    hint = window.minimumSizeHint()
    assert hint.width() <= size[0] and hint.height() <= size[1], f"{hint} does not fit {size}"
    window.resize(*size)
    qtbot.waitUntil(lambda: (window.width(), window.height()) == size, timeout=2000)
    QApplication.processEvents()
    return size


def test_begin_is_in_sight_at_the_default_window_size(qtbot, window):
    window.resize(*DEFAULT_WINDOW)
    window.show_welcome()
    qtbot.waitUntil(lambda: window.width() == DEFAULT_WINDOW[0], timeout=2000)
    QApplication.processEvents()
    begin = window.welcome.begin_button
    assert begin.isVisible() and not begin.visibleRegion().isEmpty()
    assert window.rect().contains(rect_in(window, begin)), rect_in(window, begin)


@pytest.mark.parametrize("screen", SCREENS)
def test_the_first_run_text_is_whole(qtbot, large_text, screen):
    """Its last section (Privacy) is not cut off: each text is as tall as it needs at its width (the scroll
    area scrolls to it)."""
    page = WelcomePage()
    qtbot.addWidget(page)
    page.resize(screen[0], screen[1] - DECORATION_PX)
    page.show()
    qtbot.waitExposed(page)
    for label in page.texts:
        assert label.height() >= label.heightForWidth(label.width()), label.objectName()


@pytest.mark.parametrize("screen", SCREENS)
def test_the_first_run_and_live_pages_fit(qtbot, window, screen):
    window.show_welcome()
    fit(qtbot, window, screen)
    assert window.rect().contains(rect_in(window, window.welcome.begin_button))
    window.stack.setCurrentWidget(window.tabs)
    fit(qtbot, window, screen)
    assert cut_buttons(window) == []
    live = window.live
    height = live.preview.height()
    live.source_info.setText("A video file played as if live: " + "a long description of the source, " * 8)
    QApplication.processEvents()
    assert live.preview.height() == height  # the line under Source never wraps into the video's room


@pytest.mark.parametrize("screen", SCREENS)
@pytest.mark.parametrize("view", ["live", "what-if"])
def test_review_fits_with_every_button_and_column_title_whole(qtbot, window, tmp_path, screen, view):
    page = open_recorded_session(qtbot, window, tmp_path)
    if view == "what-if":
        page.mode.what_if_button.click()
    page.set_tuning_visible(True)
    fit(qtbot, window, screen)
    assert page.tuning_scroll.isVisibleTo(page)  # the drawer stays open at these sizes
    extension = page.toolbar.findChild(QToolButton, "qt_toolbar_ext_button")
    assert extension is None or not extension.isVisible(), "toolbar buttons fold behind ››"
    for action in page.menu_actions():
        button = page.toolbar.widgetForAction(action)
        assert button is not None and button.isVisible(), action.text()
    player = page.player
    assert player.slider.width() >= SLIDER_SHARE * player.view.width(), (player.slider.width(), player.view.width())
    header = page.moments_list.table.horizontalHeader()
    fm = header.fontMetrics()
    for column in range(len(COLUMNS)):
        title = str(page.moments_list.model.headerData(column, header.orientation()))
        assert header.sectionSize(column) >= fm.horizontalAdvance(title), f"the {title!r} column is cut"
    assert cut_buttons(window) == []
    plot = page.timeline.plot
    left = plot.getPlotItem().getAxis("left")
    assert not left.label.isVisible() or plot.height() >= plot.fontMetrics().horizontalAdvance(Y_LABEL), \
        "the timeline's axis title is cut"
    note = page.moments_list.note_edit
    assert window.rect().contains(rect_in(window, note)) and note.height() > 0


def test_the_about_box_widens_for_its_technical_details(qtbot, large_text):
    """The checksum and file names do not wrap: the box takes their width, as far as the screen allows, rather
    than a sideways scroll bar under text that runs on."""
    about = show_about(None, cameras=[])
    qtbot.addWidget(about)
    about.details_button.click()
    qtbot.waitUntil(about.details.isVisible, timeout=2000)
    qtbot.wait(100)  # laid out
    screen_width = about.screen().availableGeometry().width()
    assert not about.scroll_area.horizontalScrollBar().isVisible() or about.width() >= screen_width
