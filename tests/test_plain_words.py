"""Plain words wherever the listener looks (issue 20, item 8): no pixel counts, coordinates, frame counts,
library names, checksums, ISO timestamps, millisecond times or emotion words in any visible text of any
page, dialog, menu or the session summary. Figures belong in tooltips and diagnostics.

The walk is generic: every visible widget of a window is read (labels, buttons, tabs, group titles,
combo boxes, table headers and cells, window titles, menus), so text added later is covered too.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QTextDocument
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QGroupBox,
    QLabel,
    QMenu,
    QTabBar,
    QWidget,
)

from app.run.events import LivePacket, LiveStats, RateNotice
from app.settings.questions import FORBIDDEN_WORDS, words
from app.sources.capture import CameraInfo, SourceInfo
from app.store.session import open_session
from app.store.summary import collect, to_html
from app.ui.about import AboutDialog
from app.ui.consent_notice import ConsentNotice
from app.ui.questions_dialog import QuestionsDialog
from app.ui.shortcuts import show_shortcuts
from tests.support.window import main_window, open_recorded_session
from tests.test_diagnostics import facts

DATA = Path(__file__).parent / "data"
# what a listener must not read, by kind; each pattern was seen on screen before issue 20
DEVELOPER_TEXT = {
    "pixel count": re.compile(r"\d\s*px\b|\bpixels?\b", re.I),
    "picture size or coordinates": re.compile(r"\d+\s*[×x]\s*\d+|\d+,\d+,\d+"),
    "frame count": re.compile(r"\d[\d,]*\s+(of\s+\d+\s+)?frames?\b(?!/s)|frames a second", re.I),
    "library name": re.compile(r"\b(OpenCV|FFmpeg|MediaPipe|Qt|PySide6?|PipeWire|NumPy|PyAV|GStreamer|libav\w*)\b"),
    "checksum": re.compile(r"\b[0-9a-f]{16,}\b|SHA-?256", re.I),
    "ISO timestamp": re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d"),
    "millisecond time": re.compile(r"\b\d+:\d\d\.\d{2,}|\b\d+\s*ms\b|millisecond", re.I),
    "file format name": re.compile(r"session\.json|\.jsonl\b"),
}
# feelings and concealment, as the question bank forbids them ("face", "expression" and "micro" name what
# Glimpse measures; "really" is a plain adverb outside a question)
EMOTION = FORBIDDEN_WORDS - {"face", "expression", "micro", "really"}


def plain(text: str) -> str:
    """Rich text as the listener reads it."""
    if "<" in text and ">" in text:
        doc = QTextDocument()
        doc.setHtml(text)
        return doc.toPlainText()
    return text


def visible_texts(root: QWidget) -> Iterator[tuple[str, str]]:
    """(where, text) for every text a person can see in `root`'s window: its title and every visible widget's."""
    yield "window title", root.windowTitle()
    for w in [root, *root.findChildren(QWidget)]:
        if not w.isVisibleTo(root) and w is not root:
            continue
        where = f"{type(w).__name__} {w.objectName()}".strip()
        if isinstance(w, QLabel):
            yield where, plain(w.text())
        elif isinstance(w, QAbstractButton):
            yield where, w.text()
        elif isinstance(w, QGroupBox):
            yield where, w.title()
        elif isinstance(w, QComboBox):
            yield where, w.currentText()
        elif isinstance(w, QTabBar):
            yield from ((where, w.tabText(i)) for i in range(w.count()))
        elif isinstance(w, QAbstractItemView) and w.model() is not None:
            model = w.model()
            try:
                columns = model.columnCount(QModelIndex())
            except TypeError:  # a list model keeps columnCount private: one column
                columns = 1
            for c in range(columns):
                yield where, str(model.headerData(c, Qt.Orientation.Horizontal) or "")
                yield from ((where, str(model.index(r, c).data() or "")) for r in range(model.rowCount(QModelIndex())))
    yield from menu_texts(root)


def menu_texts(root: QWidget) -> Iterator[tuple[str, str]]:
    for menu in root.findChildren(QMenu):
        yield from ((f"menu {menu.title()}", a.text()) for a in menu.actions())


def problems(texts: Iterator[tuple[str, str]]) -> list[str]:
    found = []
    for where, text in texts:
        for kind, pattern in DEVELOPER_TEXT.items():
            if m := pattern.search(text):
                found.append(f"{kind} {m.group(0)!r} in {where}: {text[:100]!r}")
        if hit := set(words(text)) & EMOTION:
            found.append(f"emotion words {sorted(hit)} in {where}: {text[:100]!r}")
    return found


@pytest.fixture
def window(qtbot, tmp_path, monkeypatch):
    with main_window(qtbot, tmp_path, monkeypatch, cameras=(CameraInfo(0, "Integrated Camera"),),
                     size=(1400, 900)) as w:
        yield w


def packet(face_px: float) -> LivePacket:
    stats = LiveStats(24.0, 6891, 40.0, 1234, 3, 60.0)
    return dataclasses.replace(LivePacket(1, 0.0, np.zeros((4, 4, 3), np.uint8), None, True, stats, 0.0, 0.0),
                               face_px=face_px)


class TestPlainWords:
    def test_the_first_run_page(self, window):
        window.show_welcome()
        assert problems(visible_texts(window)) == []

    @pytest.mark.parametrize("source", ["camera", "screen", "demo"])
    def test_the_live_page_with_each_source(self, qtbot, window, monkeypatch, source):
        window.stack.setCurrentWidget(window.tabs)
        live = window.live
        box = live.source_box
        index = next(i for i in range(box.count())
                     if {"camera": box.itemData(i).is_camera, "screen": box.itemData(i).is_screen,
                         "demo": box.itemText(i).startswith("Demo")}[source])
        box.setCurrentIndex(index)
        live._source_opened(SourceInfo("screen:958,566,627,349" if source == "screen" else "clip.mp4",
                                       24.0, 627, 349, 1075))
        live._rate_notice(RateNotice(19.0, 24.0).message)  # tracking keeps fewer frames than the source gives
        monkeypatch.setattr(live._slow, "update", lambda fps, now: True)  # tracking has been slow for a while
        live._show_status(packet(222.0))
        live._show_settings(5.0)  # after "I just asked"
        assert live.warning_label.isVisibleTo(window) and not re.search(r"\d", live.warning_label.text())
        texts = list(visible_texts(window))
        assert any(live.source_info.text() == t for _, t in texts)  # the walk reads the line under Source
        assert problems(iter(texts)) == []
        tip = live.source_info.toolTip() + live.status_label.toolTip()  # the figures are still there, in tooltips
        assert "627 × 349" in tip and "19 of 24" in tip and "222" in tip

    def test_the_review_page_with_a_recorded_session(self, qtbot, window, tmp_path):
        page = open_recorded_session(qtbot, window, tmp_path)
        page.select_moment(1)
        qtbot.waitUntil(lambda: page.player.index >= 0, timeout=10_000)
        texts = list(visible_texts(window))
        assert len(page.moments) == 2 and any("Question shown" in t for _, t in texts)
        assert problems(iter(texts)) == []

    def test_the_dialogs(self, qtbot, window, monkeypatch):
        about = AboutDialog(facts(), window)
        qtbot.addWidget(about)
        about.show()
        shown = [about, ConsentNotice(window), show_shortcuts(window), window.show_guide(),
                 QuestionsDialog((), ("What else comes to mind about that?",), window)]
        found = []
        for dialog in shown:
            dialog.show()
            found += problems(visible_texts(dialog))
            dialog.close()
        captions: list[str] = []
        monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda _parent, caption, *_a: captions.append(caption)
                            or ("", ""))
        window.choose_and_open()
        assert captions and problems(("Open dialog", c) for c in captions) == found == []

    def test_the_session_summary(self):
        page = to_html(collect(open_session(DATA / "recorded_session")))
        text = plain(re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", page))
        assert "Session summary" in text and problems(iter([("summary", text)])) == []
