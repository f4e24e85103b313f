"""The asked-window benchmark's scoring (bench/personwise/asked.py), on synthetic inputs (no MediaPipe)."""

import numpy as np

from app.face.features import FeatureTable
from app.settings.schema import preset
from app.spotting.spotter import Moment
from bench.personwise.asked import (
    LEAD_S,
    PERIOD_S,
    Tally,
    event_tally,
    grid_marks,
    held_out,
    quiet_tally,
    settings_log,
)

BASE = preset("balanced")
WINDOW = BASE.attentive_window_s


def _m(a, b, prompted=True):
    return Moment(a, (a + b) / 2, b, ("brows",), 2.0, prompted=prompted, prompt="?" if prompted else None)


def _event(on, off, amp=0.02, seen=0.015):
    return {"onset_s": on, "offset_s": off, "amplitude_iod": amp, "seen_iod": seen, "kind": "micro"}


def test_settings_log_raises_from_each_mark_and_ends_after_the_window():
    log = settings_log(BASE, [5.0, 8.0, 40.0], 10.0)
    assert [(t, s.sensitivity) for t, s in log] == [(0.0, 50.0), (5.0, 60.0), (8.0, 60.0), (8.0 + WINDOW, 50.0),
                                                    (40.0, 60.0), (40.0 + WINDOW, 50.0)]
    assert log[1][1].preset == BASE.preset  # as live's asked settings: the listener's preset, raised


def test_grid_marks_keep_whole_windows_after_the_warmup():
    t = np.arange(0, 60, 1 / 30)
    table = FeatureTable(t, np.ones(len(t), bool), np.zeros((len(t), 1)), np.zeros((len(t), 3)),
                         np.zeros((len(t), 1)), np.ones(len(t), int))
    for phase in (0.0, 4.0):
        marks = grid_marks(table, phase, WINDOW)
        assert marks and marks[0] >= 2.0 + phase and marks[-1] + WINDOW <= t[-1]
        assert np.allclose(np.diff(marks), PERIOD_S)


def test_quiet_tally_counts_false_prompts_and_phantom_hits_but_not_genuine_or_silent_moments():
    marks = [10.0, 30.0]
    moments = [_m(10.0 + LEAD_S, 10.0 + LEAD_S + 0.2),  # at the first phantom: a chance hit
               _m(15.0, 15.3),  # later in the first window: a false prompt, not at the phantom
               _m(31.0, 31.3, prompted=False),  # not prompted: the listener saw nothing
               _m(35.0, 35.2)]  # labelled genuine
    labels = [{"start_s": 34.9, "end_s": 35.3, "label": "genuine"}]
    t = quiet_tally(moments, marks, labels, WINDOW)
    assert (t.windows, t.false_prompts, t.phantom_hits) == (2, 2, 1)
    assert t.chance == 0.5 and t.false_per_window == 1.0


def test_event_tally_needs_a_prompted_moment_at_the_event():
    events = [_event(5.0, 5.3), _event(9.0, 9.2, amp=0.06, seen=0.04), _event(20.0, 20.4)]
    moments = [_m(5.1, 5.4), _m(9.1, 9.3, prompted=False), _m(30.0, 30.3)]
    t = event_tally(moments, events)
    assert t.events == {"brief": 3, "core": 1, "real-size": 2, "seen 1-3%": 2}
    assert t.hits == {"brief": 1, "core": 0, "real-size": 1, "seen 1-3%": 1}


def _tally(hits, n, phantom, windows):
    t = Tally(windows=windows, phantom_hits=phantom)
    t.events["brief"], t.hits["brief"] = n, hits
    return t


def test_held_out_never_chooses_the_boost_on_the_held_out_person():
    # "c" alone would favour the larger boost (its chance stays 0); the others' chance rises faster than their hits
    per = {"a": [_tally(4, 10, 1, 10), _tally(6, 10, 6, 10)],
           "b": [_tally(4, 10, 1, 10), _tally(6, 10, 6, 10)],
           "c": [_tally(1, 10, 0, 10), _tally(9, 10, 0, 10)]}
    pooled, chosen = held_out(per)
    assert chosen == {"a": 1, "b": 1, "c": 0}  # for c, a + b: J 0.30 against 0.00; for a, b + c: 0.20 against 0.45
    assert (pooled.hits["brief"], pooled.events["brief"], pooled.phantom_hits) == (6 + 6 + 1, 30, 12)


def test_a_tie_keeps_the_smaller_boost():
    per = {"a": [_tally(2, 10, 1, 10), _tally(3, 10, 2, 10)], "b": [_tally(2, 10, 1, 10), _tally(3, 10, 2, 10)]}
    assert held_out(per)[1] == {"a": 0, "b": 0}
