"""The live widgets and the worker on their own: small, fast checks."""

from __future__ import annotations

import dataclasses
import re
import threading

import numpy as np
import pytest
from PySide6.QtWidgets import QAbstractButton, QLabel

from app.errors import CameraLost
from app.face.features import empty_features
from app.prompts.asked import ASKED_BOOST, AskedWindow
from app.prompts.policy import PromptPolicy, load_bank
from app.run.choices import FRAME_RATE_HINT
from app.run.live import FAILED, LatestSlot, fit
from app.run.pipeline import LiveResult
from app.settings.schema import Settings
from app.sources.capture import Frame, SourceInfo
from app.spotting.spotter import Moment
from app.ui import prompt_card
from app.ui.app import MainWindow
from app.ui.first_run import CONSENT_TEXT, WELCOME_HTML
from app.ui.prompt_card import PromptCard
from app.ui.worker import LiveWorker

EMOTION_WORDS = ("anger", "angry", "sad", "sadness", "happy", "happiness", "joy", "fear", "afraid", "scared",
                 "disgust", "disgusted", "contempt", "surprise", "surprised", "emotion", "emotions",
                 "lying", "liar", "deception", "guilt", "guilty", "shame", "anxious", "anxiety", "nervous")


def test_latest_slot_keeps_only_the_newest():
    slot = LatestSlot()
    assert slot.take() is None
    assert slot.put(1) is True  # was empty: notify
    assert slot.put(2) is False and slot.put(3) is False  # still full: no second notification
    assert slot.take() == 3 and slot.take() is None
    assert slot.replaced == 2
    assert slot.put(4) is True


def test_latest_slot_wakes_a_waiting_taker():
    slot = LatestSlot()
    threading.Timer(0.05, slot.put, args=("frame",)).start()
    assert slot.take(timeout=2.0) == "frame"


def test_fit_shrinks_but_never_enlarges():
    image = np.zeros((720, 1280, 3), np.uint8)
    assert fit(image, (640, 640)).shape == (360, 640, 3)
    assert fit(image, (4000, 4000)).shape == (720, 1280, 3)
    assert fit(image, None).shape == (720, 1280, 3)


@pytest.mark.parametrize("sensitivity, raised", [(50.0, 50.0 + ASKED_BOOST), (20.0, 20.0 + ASKED_BOOST),
                                                 (90.0, 100.0)])
def test_asked_window_raises_the_listeners_own_sensitivity_for_a_while(sensitivity, raised):
    """Live spots with the listener's settings (not a preset), raised relative to them after "I just asked"."""
    base = Settings(attentive_window_s=10.0).replace(sensitivity=sensitivity, cooldown_s=7.0)
    asked = AskedWindow(base)
    assert asked.settings_at(5.0) is base
    asked.mark(12.0)
    assert asked.settings_at(12.0) == dataclasses.replace(base, sensitivity=raised)
    assert asked.remaining_s(17.0) == 5.0
    assert asked.settings_at(22.5) is base


class LostCamera:
    """A camera that delivers a few frames and then stops, as CameraSource reports it."""

    info = SourceInfo("flaky camera", 30.0, 64, 48)

    def __iter__(self):
        for i in range(5):
            yield Frame(i, i / 30, np.zeros((48, 64, 3), np.uint8))
        raise CameraLost("camera 0 delivered no frame for 2.0 s")

    def close(self):
        pass


def test_a_worker_error_reaches_the_gui_and_ends_the_session(qtbot):
    worker = LiveWorker(LostCamera, Settings())
    errors = []
    worker.error.connect(errors.append)
    with qtbot.waitSignal(worker.stopped, timeout=10_000) as stopped:
        worker.start()
    assert stopped.args == [FAILED]
    assert errors == ["camera 0 delivered no frame for 2.0 s"]
    assert worker.join(2.0)


class PausingClip:
    """A 4 s source at 30 fps that holds before its frame at 2 s until `resume` is set, and after it
    until `go_on` is set: whatever the test does in between is applied at that frame."""

    info = SourceInfo("clip", 30.0, 64, 48)

    def __init__(self):
        self.resume, self.go_on = threading.Event(), threading.Event()

    def __iter__(self):
        for i in range(120):
            if i in (60, 61):
                (self.resume if i == 60 else self.go_on).wait(10.0)
            yield Frame(i, i / 30, np.zeros((48, 64, 3), np.uint8))

    def close(self):
        pass


class ScriptedPipeline:
    """Stands in for the live pipeline (no tracker): a moment ends at 1 s and another at 3 s, and the
    real prompt policy decides which of them is prompted."""

    def __init__(self, settings, model_path=None):
        self.settings = settings
        self.policy = PromptPolicy(settings.cooldown_s)
        self.due = [1.0, 3.0]

    def set_settings(self, settings):
        self.settings = settings
        self.policy.cooldown_s = settings.cooldown_s

    def lift_cooldown(self):
        self.policy.lift_cooldown()

    def process(self, frame):
        done = []
        while self.due and frame.t_s >= self.due[0]:
            end = self.due.pop(0)
            done.append(self.policy.update(Moment(end - 0.2, end - 0.1, end, ("brows",), 9.0)))
        return LiveResult(frame, empty_features(frame.t_s), tuple(done))

    def finish(self):
        return ()

    def close(self):
        pass


@pytest.mark.parametrize("asked", [False, True])
def test_i_just_asked_lifts_the_quiet_time_after_a_prompt(qtbot, asked):
    """A prompt at 1 s, then the listener asks a question at 2 s: the moment at 3 s, in the attentive
    window, is prompted although the 20 s quiet time after the first prompt has not passed."""
    clip = PausingClip()
    worker = LiveWorker(lambda: clip, Settings(cooldown_s=20.0), pipeline_factory=ScriptedPipeline)
    moments, marks = [], []
    worker.moment.connect(lambda m, t_s, at: moments.append(m))
    worker.marked.connect(marks.append)
    with qtbot.waitSignal(worker.moment, timeout=10_000):
        worker.start()
    if asked:
        with qtbot.waitSignal(worker.marked, timeout=10_000):
            worker.mark()
            clip.resume.set()
    with qtbot.waitSignal(worker.stopped, timeout=10_000):
        clip.resume.set()
        clip.go_on.set()
    assert worker.join(2.0)
    assert len(marks) == asked and all(1.0 <= t <= 2.0 for t in marks)
    assert [m.end_s for m in moments] == [1.0, 3.0]
    assert [m.prompted for m in moments] == [True, asked]


def test_prompt_card_fades_in_holds_and_goes(qtbot, monkeypatch):
    monkeypatch.setattr(prompt_card, "FADE_IN_MS", 50)
    monkeypatch.setattr(prompt_card, "FADE_OUT_MS", 50)
    card = PromptCard()
    qtbot.addWidget(card)
    card.show()
    with qtbot.waitSignal(card.shown):
        card.show_prompt("What else comes to mind about that?", hold_s=1.0)
    assert card.is_showing() and card.text() == "What else comes to mind about that?"
    qtbot.waitUntil(lambda: card.opacity() == 1.0, timeout=2000)
    with qtbot.waitSignal(card.hidden, timeout=4000):
        pass
    assert not card.is_showing() and card.text() == "" and card.opacity() == 0.0


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z]+", re.sub(r"<[^>]+>", " ", text).lower()))


def test_no_emotion_words_anywhere_the_listener_looks(qtbot, tmp_path):
    from PySide6.QtCore import QSettings

    window = MainWindow(None, QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat),
                        tmp_path / "settings.json", lambda: tmp_path, lambda: [])
    qtbot.addWidget(window)
    window.live.set_discreet(True)
    texts = [WELCOME_HTML, CONSENT_TEXT, FRAME_RATE_HINT, *load_bank()]
    for w in window.findChildren(QLabel) + window.findChildren(QAbstractButton) + \
            window.live.strip.findChildren(QLabel) + window.live.strip.findChildren(QAbstractButton):
        texts += [w.text(), w.toolTip()]
    for menu_action in window.menuBar().actions():
        texts += [a.text() for a in menu_action.menu().actions()]
    found = {word for t in texts for word in _words(t) & set(EMOTION_WORDS)}
    assert not found, f"emotion words on screen: {sorted(found)}"
    window.live.set_discreet(False)


def test_qt_bindings_keep_their_references(qtbot):
    """PySide6 6.12.0 under Python 3.11 lost a reference to None on every call returning nothing and to
    True on every emit, and a live window died within minutes; pyproject excludes it."""
    import sys

    from PySide6.QtCore import QObject, Signal

    class Emitter(QObject):
        ping = Signal()

    label, emitter = QLabel(), Emitter()
    emitter.ping.connect(lambda: None)
    before = sys.getrefcount(None), sys.getrefcount(True)
    for _ in range(2000):
        label.setText("x")
        emitter.ping.emit()
    after = sys.getrefcount(None), sys.getrefcount(True)
    assert all(a > b - 200 for b, a in zip(before, after)), f"references lost: {before} -> {after}"
