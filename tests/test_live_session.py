"""The live session in the core, without Qt: driven headless, on a real clip and on scripted stand-ins."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import numpy as np

from app.prompts.asked import ASKED_BOOST, asked_settings
from app.prompts.policy import load_bank
from app.run.choices import file_choice
from app.run.events import FrameTracked, Marked, MomentFound, SourceOpened, Stopped
from app.run.live import ENDED, LiveSession
from app.run.relive import relive
from app.settings.schema import Settings
from tests.support.synthetic import BlankClip, SettingsLog, add_change, still_face

DATA = Path(__file__).parent / "data"
SESSION_TIMEOUT_S = 40.0  # a 10 s clip in real time, on a busy machine


def run_session(make, hook=None) -> list:
    """Drive a headless session to its end; its events, in order. `hook(session, event)` runs in the
    session's threads for every event."""
    events, done = [], threading.Event()

    def on_event(event):
        events.append(event)
        if hook is not None:
            hook(session, event)
        if isinstance(event, Stopped):
            done.set()

    session = make(on_event)
    session.start()
    assert done.wait(SESSION_TIMEOUT_S), "the session did not end"
    assert session.join(5.0)
    return events


def test_a_paced_clip_gives_its_moments_through_the_callback():
    truth = json.loads((DATA / "injected_short.json").read_text())["events"]
    choice = file_choice(DATA / "injected_short.mp4")
    events = run_session(lambda on_event: LiveSession(choice.opener(0, 0, 0), Settings(cooldown_s=0.0),
                                                      on_event=on_event, preview=False))
    assert isinstance(events[0], SourceOpened) and events[0].info.name == "injected_short.mp4"
    assert events[-1] == Stopped(ENDED)
    tracked = [e for e in events if isinstance(e, FrameTracked)]
    assert len(tracked) > 150 and [e.index for e in tracked] == sorted(e.index for e in tracked)
    moments = [e.moment for e in events if isinstance(e, MomentFound)]
    found = [ev for ev in truth if any(m.start_s < ev["offset_s"] and m.end_s > ev["onset_s"] for m in moments)]
    assert found, f"none of the injected expressions was reported: {[m.to_dict() for m in moments]}"
    # each moment is reported once its last frame has been tracked, never before
    for e in events:
        if isinstance(e, MomentFound):
            assert e.t_s >= e.moment.end_s - 1e-6


def test_scripted_marks_raise_sensitivity_for_the_asked_window():
    base = Settings(attentive_window_s=2.0)

    def make(on_event):
        session = LiveSession(lambda: BlankClip(8.0), base, on_event=on_event, preview=False,
                              pipeline_factory=SettingsLog)
        session.mark(at_s=3.0)
        session.mark(at_s=1.0)  # given out of order: applied in time order
        return session

    events = run_session(make)
    assert [e.t_s for e in events if isinstance(e, Marked)] == [1.0, 3.0]
    gentle, attentive = base, asked_settings(base)  # the listener's own, and raised after "I just asked"
    assert attentive.sensitivity == base.sensitivity + ASKED_BOOST
    inside = [t for t, _ in SettingsLog.seen if 1.0 <= t < 3.0 + 2.0 - 1e-9]
    assert inside and len(inside) < len(SettingsLog.seen)
    for t, settings in SettingsLog.seen:
        wanted = attentive if 1.0 <= t < 3.0 + 2.0 - 1e-9 else gentle
        assert settings == wanted, f"frame at {t:.3f} s spotted at sensitivity {settings.sensitivity:g}"
    for e in events:
        if isinstance(e, FrameTracked) and e.t_s >= 1.0:  # the status line's seconds left, from the last mark
            last_mark = 3.0 if e.t_s >= 3.0 else 1.0
            assert abs(e.attentive_s - max(0.0, last_mark + 2.0 - e.t_s)) < 1e-6


def test_stopping_with_finish_reports_the_moment_under_way():
    """A headless run that stops (duration, Ctrl-C) still reports what was under way; the window's
    Stop does not (unchanged)."""
    for finish in (False, True):
        def stop_at_one_second(session, event, finish=finish):
            if isinstance(event, FrameTracked) and event.t_s >= 1.0:
                session.request_stop(finish=finish)

        events = run_session(lambda on_event: LiveSession(lambda: BlankClip(60.0), Settings(), on_event=on_event,
                                                          preview=False, pipeline_factory=SettingsLog),
                             stop_at_one_second)
        assert len([e for e in events if isinstance(e, MomentFound)]) == int(finish)
        assert len([e for e in events if isinstance(e, FrameTracked) and e.t_s >= 1.0]) == 1, "tracked past the stop"


def test_relive_offers_the_questions_the_listener_set_mid_session():
    """Relive drives the moment stage as live does: new questions take effect from the frame they were
    set at (it once kept offering the old ones)."""
    table = still_face(40.0, seed=3)
    for onset in np.arange(3.0, 38.0, 2.5):
        add_change(table, ("brow_right", "brow_left"), onset, 0.2, 0.06)
    before = Settings(sensitivity=80.0, cooldown_s=0.0)
    mine = ("What else comes to mind?", "How was that for you?")
    after = before.replace(questions=mine)
    moments = relive(table, [(0.0, before), (20.0, after)])
    prompted = [m for m in moments if m.prompted]
    early, late = [m for m in prompted if m.end_s < 20.0], [m for m in prompted if m.start_s > 20.5]
    assert len(early) >= 3 and len(late) >= 3
    assert all(m.prompt in load_bank() for m in early) and all(m.prompt in mine for m in late)
