"""The online spotter computes exactly what the batch spotter computes, bit for bit."""

import dataclasses

import numpy as np
import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from app.face.features import LEVEL
from app.face.flow import Flow
from app.face.tracking import BLENDSHAPE_NAMES
from app.settings.schema import Settings
from app.spotting import evidence
from app.spotting import spotter as spotting
from app.spotting.evidence import (
    JITTER_FROM_DIFF,
    EvidenceStream,
    Prior,
    Timing,
    _noise,
    handed_on,
    nominal_fps,
    run_columns,
    run_evidence,
    signals,
)
from app.spotting.spotter import SAME_FACE_IOD, SAME_FACE_LEVELS, Breaks, Spotter, spot, spot_table, table_evidence
from tests.support.synthetic import add_change, still_face

BROWS = ("brow_right", "brow_left")


def lively(seconds: float, fps: float, seed: int):
    """A face with brief changes on every kind of channel (pixel motion too), blinks, speech, head turns and
    blendshapes."""
    table = still_face(seconds, fps, jitter=0.006, seed=seed)
    rng = np.random.default_rng(seed)
    t = table.t_s
    flow = [LEVEL[n] for n in Flow.NAMES]
    table.levels[:, flow] = rng.normal(0, 0.002, (len(t), len(flow))).astype(np.float32)
    names = [BROWS, ("corner_left",), ("nose_wings",), ("lip_thickness",), ("gaze_x",), ("brow_gap",),
             ("flow_nose_y",), ("flow_brow_left_y", "flow_corner_right_y")]
    for k, onset in enumerate(np.arange(2.0, seconds - 1, 0.9)):
        add_change(table, names[k % len(names)], onset, 0.07 + 0.05 * (k % 9), rng.choice([-1, 1]) * 0.05)
    for onset in np.arange(3.3, seconds - 1, 4.1):
        add_change(table, ("lid_right", "lid_left"), onset, 0.2, -0.09)
    speech = (t % 11) > 7
    table.levels[speech, 10] += (0.05 * np.abs(np.sin(2 * np.pi * 4 * t[speech]))).astype(np.float32)
    turns = (t % 13) > 12
    table.head[turns, 0] += (80 * (t[turns] % 1)).astype(np.float32)
    smile = BLENDSHAPE_NAMES.index("mouthSmileLeft")
    table.blendshapes[:, smile] = np.clip(rng.normal(0.1, 0.05, len(t)), 0, 1).astype(np.float16)
    return table


@pytest.mark.parametrize("fps", [15.0, 25.0, 29.97, 60.0])
def test_stream_evidence_equals_batch_bit_for_bit(fps):
    seconds = 2.5 * Timing.for_fps(fps).keep / fps + 3  # long enough for the stream to compact twice
    table = lively(seconds, fps, seed=int(fps))
    levels = signals(table.levels, table.blendshapes, table.head)
    batch = run_evidence(levels, table.head, table.t_s)
    stream = EvidenceStream(Timing.for_fps(nominal_fps(table.t_s[:8])))
    rows = [stream.push(levels[i], table.head[i], float(table.t_s[i])) for i in range(len(table))]
    assert stream._offset > 0  # it did drop old rows
    for name in ("t_s", "rise", "start_s", "end_s", "flags", "head_moved"):
        online = np.concatenate([getattr(r, name) for r in rows])
        np.testing.assert_array_equal(online, getattr(batch, name), err_msg=name)  # NaN == NaN here
    decided = np.isfinite(batch.rise).all(axis=(1, 2))
    assert decided.mean() > 0.9 and batch.flags.any(axis=(0, 1)).all()  # every flag occurs


@pytest.mark.parametrize("smoothing", [0.0, 1.0])
@pytest.mark.parametrize("fps", [25.0, 60.0])
def test_online_moments_equal_batch_on_a_lively_face(fps, smoothing):
    table = lively(40, fps, seed=7)
    lost = (table.t_s > 21) & (table.t_s < 21.5)  # the face is lost once: two runs
    table.face[lost] = False
    table.levels[lost] = np.nan
    s = Settings(sensitivity=100, smoothing=smoothing)
    batch = spot_table(table, s)
    assert len(batch) >= 4
    spotter, online = Spotter(s), []
    for i in range(len(table)):
        online += spotter.update(table.row(i))
    assert online + spotter.flush() == batch


def test_stream_evidence_equals_batch_with_the_partial_return_on(monkeypatch):
    """The partial return's conditions (small, fast onset, both sensors, capped, head still) are per row too."""

    for name, value in (("QUIET_RETURN_SHARE", 0.5), ("PARTIAL_MAX_WINDOW_S", 0.3), ("PARTIAL_MAX_RISE", 0.04),
                        ("PARTIAL_CORROBORATION", 3.0), ("PARTIAL_CAPPED", True), ("PARTIAL_HEAD_STILL", 0.5),
                        ("YOUNG_GAIN", 1.0)):
        monkeypatch.setattr(evidence, name, value)
    fps = 30.0
    table = lively(2.5 * Timing.for_fps(fps).keep / fps + 3, fps, seed=3)
    levels = signals(table.levels, table.blendshapes, table.head)
    batch = run_evidence(levels, table.head, table.t_s)
    stream = EvidenceStream(Timing.for_fps(nominal_fps(table.t_s[:8])))
    online = np.concatenate([stream.push(levels[i], table.head[i], float(table.t_s[i])).rise for i in range(len(table))])
    np.testing.assert_array_equal(online, batch.rise)


def test_a_prior_handed_across_a_pause_is_the_same_online_and_in_batch():
    """A run long enough to compact, one shorter than the noise window, one too short to be measured: each
    hands the next the same prior online (from the rows it holds) as in batch (from the whole run)."""
    fps = 30.0
    table = lively(2.5 * Timing.for_fps(fps).keep / fps + 12, fps, seed=11)
    levels = signals(table.levels, table.blendshapes, table.head)
    n = len(table)
    cuts = [0, n - 11 * 30, n - 11 * 30 + 4 * 30, n - 11 * 30 + 4 * 30 + 5, n]
    online_prior = batch_prior = None
    for a, b in zip(cuts, cuts[1:]):
        batch = run_evidence(levels[a:b], table.head[a:b], table.t_s[a:b], a, batch_prior)
        spotter = Spotter(Settings())
        spotter._new_run(online_prior)  # noqa: SLF001 - the stream as a pause leaves it
        for i in range(a, b):
            spotter.update(table.row(i))
        stream = spotter._stream  # noqa: SLF001
        if b - a >= 8:
            rows = EvidenceStream(stream.timing, online_prior)
            online = np.concatenate([rows.push(levels[i], table.head[i], float(table.t_s[i])).rise for i in range(a, b)])
            np.testing.assert_array_equal(online, batch.rise)
        spotter.flush(carry=True)
        batch_prior = handed_on(levels[a:b], *run_columns(levels[a:b], table.head[a:b], table.t_s[a:b], batch_prior),
                                batch_prior)
        online_prior = spotter._prior  # noqa: SLF001
        for name in ("diffs", "spread", "talking", "rows"):
            np.testing.assert_array_equal(getattr(online_prior, name), getattr(batch_prior, name), err_msg=name)
    assert batch_prior.rows == n - 5 and len(batch_prior.diffs)  # the 5 rows too few to measure pass it on == Timing.for_fps(fps).noise_window


@pytest.mark.parametrize("warmup_after_pause", [True, False])
@pytest.mark.parametrize("fps", [25.0, 60.0])
def test_online_moments_equal_batch_across_paused_calls_and_a_lost_face(fps, warmup_after_pause, monkeypatch):
    monkeypatch.setattr(spotting, "WARMUP_AFTER_PAUSE", warmup_after_pause)
    table = lively(40, fps, seed=5)
    lost = (table.t_s > 27) & (table.t_s < 27.5)
    table.face[lost] = False
    table.levels[lost] = np.nan
    rows = lambda *t_s: tuple(int(np.searchsorted(table.t_s, t)) for t in t_s)  # noqa: E731
    breaks = Breaks(lost=rows(33.0), paused=rows(6.0, 6.1, 15.0, 27.2, 27.5))  # a run of 0.1 s; one while lost
    s = Settings(sensitivity=100)
    batch = spot(table_evidence(table, breaks), s)
    assert online_with_breaks(table, breaks, s) == batch
    assert batch != spot(table_evidence(table, Breaks(lost=breaks.paused + breaks.lost)), s)  # the carry counts


@pytest.mark.parametrize("gap", ["pause", "face lost"])
def test_someone_else_after_a_pause_or_a_lost_face_starts_afresh(gap):
    """A call's speaker view may show someone else after a freeze; a face found again may be another: when its
    shape differs, the run is measured afresh (as after a lost camera), online and in batch."""
    table = lively(30, 25.0, seed=4)
    row = int(np.searchsorted(table.t_s, 15.0))
    table.levels[row:, SAME_FACE_LEVELS] += 2 * SAME_FACE_IOD
    if gap == "face lost":
        table.face[row - 10:row] = False  # 0.4 s
        table.levels[row - 10:row] = np.nan
    breaks = Breaks(paused=(row,)) if gap == "pause" else Breaks()
    s = Settings(sensitivity=100)
    batch = spot(table_evidence(table, breaks), s)
    assert online_with_breaks(table, breaks, s) == batch
    assert batch == spot(table_evidence(table, Breaks(lost=(row,))), s)  # afresh
    same = dataclasses.replace(table, levels=table.levels.copy())
    same.levels[row:, SAME_FACE_LEVELS] -= 2 * SAME_FACE_IOD  # the same face: carried, which finds other moments
    assert spot(table_evidence(same, breaks), s) != spot(table_evidence(same, Breaks(lost=(row,))), s)


def online_with_breaks(table, breaks: Breaks, s: Settings) -> list:
    """As live mode feeds the moment stage: a lost camera, a paused call and a lost face end the run."""
    spotter, online = Spotter(s), []
    for i in range(len(table)):
        if i in breaks.lost:
            online += spotter.flush()
        if i in breaks.paused:
            online += spotter.flush(carry=True)
        online += spotter.update(table.row(i))
    return online + spotter.flush()


LIVELY = lively(16, 25.0, seed=9)


@hsettings(max_examples=40, deadline=None)
@given(lost=st.lists(st.integers(0, len(LIVELY) - 1), max_size=3),
       paused=st.lists(st.integers(0, len(LIVELY) - 1), max_size=6),
       faceless=st.lists(st.tuples(st.integers(0, len(LIVELY) - 1), st.integers(1, 30)), max_size=2),
       someone_else=st.lists(st.integers(0, len(LIVELY) - 1), max_size=2))
def test_online_equals_batch_for_any_breaks(lost, paused, faceless, someone_else):
    """Pauses, lost cameras and lost faces (shorter and longer than FACE_GAP_CARRY_S) anywhere: in a face run,
    at its first row, while the face is lost, on the same row, a few rows apart (runs too short to measure),
    chained; and from some rows on, a face of another shape (someone else: not carried)."""
    table = dataclasses.replace(LIVELY, face=LIVELY.face.copy(), levels=LIVELY.levels.copy())
    for row in someone_else:
        table.levels[row:, SAME_FACE_LEVELS] += 2 * SAME_FACE_IOD
    for a, n in faceless:
        table.face[a:a + n] = False
        table.levels[a:a + n] = np.nan
    breaks = Breaks(tuple(sorted(set(lost))), tuple(sorted(set(paused))))
    s = Settings(sensitivity=100)
    assert online_with_breaks(table, breaks, s) == spot(table_evidence(table, breaks), s)


@pytest.mark.parametrize("prior_rows", [3, 200, 400])
def test_a_young_run_tops_its_noise_up_with_the_changes_just_before_it(prior_rows):
    """The noise at a run's row e reads the run's own e changes and as many of the prior's last ones as fill
    the noise window (all of them when the prior is shorter)."""
    timing = Timing.for_fps(30.0)
    rng = np.random.default_rng(prior_rows)
    n_signals = len(evidence.SIGNALS)
    levels = rng.normal(0, 0.01, (60, n_signals)).astype(np.float32)
    prior = Prior(np.abs(rng.normal(0, 0.05, (prior_rows, n_signals))).astype(np.float32),
                  np.zeros((0, 1), np.float32), np.zeros(0, bool), prior_rows)
    e = 50
    want = np.concatenate([prior.diffs[-(timing.noise_window - e):], np.abs(np.diff(levels[:e + 1], axis=0))])
    assert len(want) == e + min(prior_rows, timing.noise_window - e)
    np.testing.assert_allclose(_noise(levels, np.array([e]), timing, prior)[0],
                               np.maximum(JITTER_FROM_DIFF * np.median(want, axis=0), evidence.noise_floor()), rtol=1e-6)
