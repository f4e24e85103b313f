import dataclasses

import numpy as np
import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from app.face.features import LEVEL
from app.settings.schema import Settings
from app.spotting.evidence import Flag, frame_flags, run_evidence, signals
from app.spotting.spotter import (
    SAME_FACE_IOD,
    SAME_FACE_LEVELS,
    Breaks,
    Spotter,
    spot,
    spot_table,
    strength_curve,
    table_evidence,
    threshold_for,
)
from tests.support.synthetic import add_change, add_hold, still_face

BROWS = ("brow_right", "brow_left")


def online(table, settings):
    spotter = Spotter(settings)
    out = []
    for i in range(len(table)):
        out += spotter.update(table.row(i))
    return out + spotter.flush()


@pytest.mark.parametrize("fps", [24.0, 30.0, 60.0])
@pytest.mark.parametrize("duration", [0.1, 0.25, 0.45])
def test_brief_change_is_found_at_the_right_time(fps, duration):
    table = still_face(12, fps)
    add_change(table, BROWS, 6.0, duration, 0.05)
    moments = spot_table(table, Settings())
    assert len(moments) == 1
    m = moments[0]
    assert m.regions == ("brows",) and m.kind == "expression"
    assert 6.0 - 0.1 <= m.start_s and m.end_s <= 6.0 + duration + 0.1
    assert m.start_s <= m.peak_s <= m.end_s
    assert m.end_s - m.start_s <= Settings().max_duration_s + 1e-6


def test_held_and_slow_changes_are_not_moments():
    table = still_face(20)
    add_hold(table, BROWS, 5.0, 2.0, 0.05)
    add_change(table, ("corner_right", "corner_left"), 12.0, 3.0, 0.06)  # slow rise and fall
    assert spot_table(table, Settings(sensitivity=75)) == []


def test_a_change_that_does_not_come_back_is_not_a_moment():
    table = still_face(12)
    add_change(table, BROWS, 6.0, 0.3, 0.06)
    settled = table.t_s >= 6.15  # from the peak on, the brows stay half-way up: a new expression
    for name in BROWS:
        table.levels[settled, LEVEL[name]] += np.float32(0.03)
    assert spot_table(table, Settings()) == []


def test_a_restless_brow_is_not_a_series_of_moments():
    table = still_face(20)
    wobble = (table.t_s > 5) & (table.t_s < 15)  # brows bob at 2 Hz for 10 s, as in lively speech
    for name in BROWS:
        table.levels[wobble, LEVEL[name]] += (0.03 * np.sin(2 * np.pi * 2 * table.t_s[wobble])).astype(np.float32)
    # its first bob rises out of a calm face (a brief change, fairly); after that it is this person's usual
    assert [m for m in spot_table(table, Settings()) if m.start_s > 5.5] == []


def test_blinks_are_not_moments():
    table = still_face(20)
    for onset in (4.0, 7.5, 11.0, 15.0):
        add_change(table, ("lid_right", "lid_left"), onset, 0.2, -0.09)  # the lids close and reopen
        add_change(table, BROWS, onset, 0.2, -0.04)  # and the brows dip with them
    assert spot_table(table, Settings(sensitivity=75)) == []
    assert spot_table(table, Settings(sensitivity=75, blink_filter=False)) != []


def test_talking_needs_a_larger_mouth_change():
    table = still_face(20)
    t = table.t_s
    table.levels[:, LEVEL["mouth_open"]] += (0.08 * np.maximum(0, np.sin(2 * np.pi * 4 * t))).astype(np.float32)
    add_change(table, ("corner_right", "corner_left"), 10.0, 0.2, 0.035)
    calm = still_face(20)
    add_change(calm, ("corner_right", "corner_left"), 10.0, 0.2, 0.035)
    s = Settings(sensitivity=60)
    assert len(spot_table(calm, s)) == 1
    assert spot_table(table, s) == []
    assert len(spot_table(table, dataclasses.replace(s, talking_filter=False))) == 1


def test_fast_head_motion_is_not_a_moment():
    table = still_face(12)
    add_change(table, BROWS, 6.0, 0.2, 0.04)
    assert len(spot_table(table, Settings())) == 1
    turning = (table.t_s > 5.8) & (table.t_s < 6.4)
    table.head[turning, 0] += np.linspace(0, 60, turning.sum())  # a 100 deg/s turn during the change
    assert spot_table(table, Settings()) == []
    assert len(spot_table(table, Settings(head_motion_filter=False))) == 1


def test_a_head_turn_just_before_a_window_still_counts_for_it():
    table = still_face(12, fps=30.0)
    jump = 200
    table.head[jump:, 0] += 20.0  # a jolt: fast for the head-speed span after it
    ev = run_evidence(signals(table.levels, table.blendshapes, table.head), table.head, table.t_s)
    tm = ev.timing
    fast = np.flatnonzero(frame_flags(signals(table.levels, table.blendshapes, table.head), table.head, table.t_s,
                                      np.arange(len(table)), tm)[:, Flag.HEAD_FAST])
    assert fast.min() == jump and len(fast) == tm.head_span
    j, w = 3, tm.widths[3]
    for gap, counts in ((1, True), (tm.margin, True), (tm.margin + 1, False)):
        window_start = fast.max() + gap  # the window starts `gap` frames after the last fast frame
        d = window_start + w - 1 + tm.post
        assert ev.flags[d, j, Flag.HEAD_FAST] == counts, gap


def nod(table, onset_s: float, duration_s: float, degrees: float) -> None:
    """The head pitches down and back (raised cosine), too slowly for the head-speed filter."""
    phase = np.clip((table.t_s - onset_s) / duration_s, 0, 1)
    table.head[:, 1] += (degrees * (0.5 - 0.5 * np.cos(2 * np.pi * phase))).astype(np.float32)


def test_a_change_that_comes_with_a_nod_is_explained_by_it():
    table = still_face(12)
    add_change(table, BROWS, 6.0, 0.3, 0.04)
    nod(table, 6.0, 0.3, 6.0)  # 40 deg/s at most: below the speed limit
    assert spot_table(table, Settings()) == []
    assert len(spot_table(table, Settings(head_motion_filter=False))) == 1


def test_brows_that_rise_as_the_jaw_opens_are_not_a_moment():
    table = still_face(12)
    add_change(table, BROWS, 6.0, 0.3, 0.04)
    add_change(table, ("mouth_open",), 6.0, 0.3, 0.08)  # a word, or a posed open mouth
    assert spot_table(table, Settings()) == []
    assert len(spot_table(table, Settings(talking_filter=False))) == 1


@pytest.mark.parametrize("duration", [0.8, 1.0, 1.5])
def test_a_change_longer_than_the_longest_moment_is_not_one(duration):
    table = still_face(12)
    add_change(table, BROWS, 6.0, duration, 0.05)
    assert spot_table(table, Settings(sensitivity=75)) == []  # not reported clipped to 0.5 s
    longest = Settings(sensitivity=75, max_duration_s=1.0)
    assert duration > 1.0 or len(spot_table(table, longest)) == 1


def test_a_change_below_the_tracker_resolution_is_not_a_moment():
    table = still_face(12, jitter=0.0)  # a perfectly still face: no noise to measure
    add_change(table, BROWS, 6.0, 0.2, 0.0015)
    assert spot_table(table, Settings(sensitivity=100)) == []


def test_a_moment_under_way_when_the_face_is_lost_is_reported():
    table = still_face(12)
    add_change(table, BROWS, 6.0, 0.3, 0.05)
    s = Settings()
    curve = strength_curve(table_evidence(table), s, len(table))
    first = int(np.argmax(curve >= threshold_for(s.sensitivity)))  # the first frame that decides it
    table.face[first + 1:] = False  # lost right after, before the moment has settled
    table.levels[first + 1:] = np.nan
    assert len(spot_table(table, s)) == 1 and len(online(table, s)) == 1


@pytest.mark.parametrize("lost_s, other_face, found", [(0.5, False, [8, 15]), (1.5, False, [15]), (0.5, True, [15])])
def test_warm_up_and_face_loss(lost_s, other_face, found):
    """A face lost for a moment and found again is the same person (their estimates and warm-up are kept,
    FACE_GAP_CARRY_S) unless it has another shape (someone else, SAME_FACE_IOD); lost for longer, the run
    after starts afresh, with a warm-up."""
    table = still_face(20)
    if other_face:  # another person's brows and nose wings sit elsewhere
        table.levels[int(np.searchsorted(table.t_s, 7.0)):, SAME_FACE_LEVELS] += 2 * SAME_FACE_IOD
    add_change(table, BROWS, 1.0, 0.2, 0.04)  # inside the warm-up
    add_change(table, BROWS, 8.0, 0.2, 0.04)  # a second after the face came back
    add_change(table, BROWS, 15.0, 0.2, 0.04)
    lost = (table.t_s > 7.0 - lost_s) & (table.t_s < 7.0)
    table.face[lost] = False
    table.levels[lost] = np.nan
    starts = [round(m.start_s) for m in spot_table(table, Settings())]
    assert starts == found
    online, spotter = [], Spotter(Settings())
    for i in range(len(table)):
        online += spotter.update(table.row(i))
    assert online + spotter.flush() == spot_table(table, Settings())


def test_regions_can_be_switched_off():
    table = still_face(12)
    add_change(table, BROWS, 6.0, 0.2, 0.04)
    assert spot_table(table, Settings(regions=("mouth", "lids"))) == []


def test_glance_is_its_own_cue():
    table = still_face(12)
    add_change(table, ("gaze_x",), 6.0, 0.7, 0.25)  # eyes leave and come back within a second
    moments = spot_table(table, Settings())
    assert [m.kind for m in moments] == ["glance"] and moments[0].regions == ("gaze",)


@pytest.mark.parametrize("smoothing", [0.0, 0.5, 1.0])
def test_online_equals_batch_on_a_busy_table(smoothing):
    table = still_face(30, jitter=0.006, seed=3)
    for k, onset in enumerate(np.arange(3.0, 28.0, 1.7)):
        add_change(table, [("brow_right",), ("corner_left",), ("nose_wings",)][k % 3], onset, 0.1 + 0.03 * k, 0.06)
    table.face[400:420] = False
    table.levels[400:420] = np.nan
    s = Settings(sensitivity=70, smoothing=smoothing)
    batch = spot_table(table, s)
    assert len(batch) >= 4
    assert online(table, s) == batch


def test_same_input_same_moments():
    table = still_face(15, seed=5)
    add_change(table, BROWS, 7.0, 0.2, 0.04)
    assert spot_table(table, Settings()) == spot_table(table, Settings())


def test_sensitivity_is_monotonic():
    table = still_face(60, jitter=0.006, seed=9)
    for onset in np.arange(4.0, 58.0, 3.0):
        add_change(table, BROWS, onset, 0.15, 0.03)
    counts = [len(spot_table(table, Settings(sensitivity=s))) for s in (10, 40, 70, 100)]
    assert counts == sorted(counts) and counts[-1] > counts[0]
    assert threshold_for(10) > threshold_for(90)


def test_strength_curve_crosses_threshold_at_the_moment():
    table = still_face(12)
    add_change(table, BROWS, 6.0, 0.2, 0.04)
    s = Settings()
    curve = strength_curve(table_evidence(table), s, len(table))
    over = table.t_s[curve >= threshold_for(s.sensitivity)]
    assert len(over) and 6.0 < over.min() < 6.8


@hsettings(max_examples=25, deadline=None)
@given(level=st.floats(-3, 3), seconds=st.floats(3, 15), fps=st.sampled_from([15.0, 24.0, 30.0, 60.0]))
def test_a_constant_face_never_gives_a_moment(level, seconds, fps):
    table = still_face(seconds, fps, jitter=0.0)
    table.levels[:] = np.float32(level)
    assert spot_table(table, Settings(sensitivity=100)) == []


@hsettings(max_examples=15, deadline=None)
@given(shift=st.integers(0, 5000 * 32), onset=st.integers(3 * 64, 9 * 64), duration=st.floats(0.08, 0.45))
def test_shifting_time_shifts_moments(shift, onset, duration):
    # 32 frames/s and times in 1/64 s are exact in binary, so the shifted copy is the same signal
    shift_s, onset_s = shift / 32, onset / 64
    a = still_face(12, fps=32.0, seed=1)
    add_change(a, BROWS, onset_s, duration, 0.08)  # large enough for the young noise estimate's raised bar
    b = still_face(12, fps=32.0, seed=1, t0=shift_s)
    add_change(b, BROWS, onset_s + shift_s, duration, 0.08)
    ma, mb = spot_table(a, Settings()), spot_table(b, Settings())
    assert len(ma) == len(mb) == 1
    for x, y in zip(ma, mb):
        assert y.start_s - x.start_s == pytest.approx(shift_s, abs=1e-6)
        assert y.end_s - x.end_s == pytest.approx(shift_s, abs=1e-6)
        assert y.regions == x.regions


def test_changing_settings_mid_moment_keeps_it():
    table = still_face(12)
    add_change(table, BROWS, 6.0, 0.3, 0.05)
    s = Settings()
    expected = spot_table(table, s)
    assert len(expected) == 1
    for switch_at in range(int(6.0 * 30), int(6.8 * 30)):
        spotter, out = Spotter(s), []
        for i in range(len(table)):
            if i == switch_at:
                spotter.set_settings(s.replace(cooldown_s=5.0))
            out += spotter.update(table.row(i))
        assert out + spotter.flush() == expected, switch_at


def test_a_moment_is_reported_soon_after_the_change_and_settled():
    table = still_face(12)
    add_change(table, BROWS, 6.0, 0.3, 0.05)
    s = Settings()
    curve = strength_curve(table_evidence(table), s, len(table))
    first = int(np.argmax(curve >= threshold_for(s.sensitivity)))
    spotter = Spotter(s)
    for i in range(len(table)):
        if spotter.update(table.row(i)):
            break
    assert table.t_s[i] - 6.3 <= 0.3  # reported within 0.3 s of the change's end...
    assert i > first  # ...but not on the first frame over the bar: its strongest reading may still come


def test_no_moment_is_longer_than_the_maximum():
    table = still_face(40, seed=2)
    for k, onset in enumerate(np.arange(3.0, 38.0, 2.5)):
        add_change(table, BROWS, onset, 0.1 + 0.06 * (k % 8), 0.06)
    add_change(table, ("gaze_x",), 20.2, 0.9, 0.3)
    for longest in (0.2, 0.35, 0.5):
        moments = spot_table(table, Settings(max_duration_s=longest, sensitivity=80))
        assert moments and all(m.end_s - m.start_s <= longest + 1e-9 for m in moments if m.kind == "expression")
        glances = [m for m in spot_table(table, Settings(glance_max_s=0.6, sensitivity=80)) if m.kind == "glance"]
        assert all(m.end_s - m.start_s <= 0.6 + 1e-9 for m in glances)


@pytest.mark.parametrize("onset_s", [13.0, 15.0])
@pytest.mark.parametrize("carry", [True, False])
def test_after_a_paused_call_the_person_keeps_their_noise_estimate(carry, onset_s):
    """A change 1 or 3 s after a pause, at the size a run 15 s old finds: found when the run keeps the person's
    estimates and their warm-up (a paused call), missed under a fresh run's warm-up and raised bar (a camera
    back, another face)."""
    table = still_face(20, 30, seed=3)
    add_change(table, BROWS, onset_s, 0.2, 0.035)
    pause = 12 * 30
    spotter, found = Spotter(Settings()), []
    for i in range(len(table)):
        if i == pause:
            found += spotter.flush(carry=carry)
        found += spotter.update(table.row(i))
    found += spotter.flush()
    peak = [round(onset_s + 0.1, 1)]
    assert [round(m.peak_s, 1) for m in found] == (peak if carry else [])
    assert found == spot(table_evidence(table, Breaks(paused=(pause,)) if carry else Breaks(lost=(pause,))),
                         Settings())
    assert [round(m.peak_s, 1) for m in spot_table(table, Settings())] == peak  # as without any pause
