"""Person-wise benchmark scoring and leave-one-person-out, on synthetic inputs (no MediaPipe)."""

import math

import numpy as np
import pytest

from bench.personwise.lopo import choose, lopo, pooled_curve, pooled_held_out
from bench.personwise.score import (
    Counts,
    control_counts,
    eligible_mask,
    injected_counts,
    is_core,
    is_real_size,
    label_of,
    natural_counts,
    posed_counts,
    total,
    wilson,
)
from bench.personwise.seen import seen_iod
from bench.personwise.track import RawTrack
from bench.realme.amplitude import REGIONS

FPS = 25.0


def _moment(a, b, kind="expression"):
    return {"start_s": a, "end_s": b, "peak_s": (a + b) / 2, "kind": kind}


def _event(on, off, kind="micro", amp=0.06):
    return {"onset_s": on, "apex_s": (on + off) / 2, "offset_s": off, "type": "brow_raise", "kind": kind,
            "amplitude_iod": amp, "side": "both", "hold_s": 0.0}


def test_counts_add_and_rates():
    a = Counts(fa=2, min_total=1.0, core_n=4, core_hits=1, longest_s=0.3)
    b = Counts(fa=1, min_total=0.5, core_n=4, core_hits=3, longest_s=0.5)
    c = total([a, b])
    assert (c.fa, c.core_n, c.core_hits, c.longest_s) == (3, 8, 4, 0.5)
    assert c.fa_per_min == pytest.approx(2.0)
    assert c.core_recall == pytest.approx(0.5)
    assert math.isnan(Counts().fa_per_min)


def test_core_definition():
    assert is_core(_event(1.0, 1.1, amp=0.045))
    assert is_core(_event(1.0, 1.45, amp=0.08))
    assert not is_core(_event(1.0, 1.08, amp=0.06))  # too brief
    assert not is_core(_event(1.0, 1.5, amp=0.06))  # too long
    assert not is_core(_event(1.0, 1.2, amp=0.04))  # too faint


def test_eligible_time_skips_warmup_of_every_face_run():
    t = np.arange(100) / FPS
    face = np.ones(100, bool)
    face[50] = False
    ok = eligible_mask(t, face, warmup_s=1.0)
    # first run: 0..49 (1 s warm-up = 25 frames), second run 51..99 (again 25)
    assert ok.sum() == (50 - 25) + (49 - 25)
    assert not ok[51:76].any() and ok[76]


def test_natural_counts_split_talking_and_genuine_labels():
    t = np.arange(int(62 * FPS)) / FPS  # 62 s: 60 s eligible after a 2 s warm-up
    face = np.ones(len(t), bool)
    talking = [(10.0, 40.0)]  # 30 s of talking
    moments = [_moment(12.0, 12.3), _moment(50.0, 50.2), _moment(55.0, 55.5)]
    labels = [{"start_s": 49.95, "end_s": 50.25, "label": "genuine"}, {"start_s": 12.1, "end_s": 12.2, "label": "blink"}]
    c = natural_counts(moments, t, face, FPS, 2.0, talking, labels, max_duration_s=0.5)
    assert c.min_total == pytest.approx(1.0, abs=1e-3)
    assert c.min_talk == pytest.approx(0.5, abs=1e-3)
    assert (c.fa, c.fa_talk, c.genuine, c.unlabelled) == (2, 1, 1, 1)
    assert c.fa_talk_per_min == pytest.approx(2.0, rel=1e-2)
    assert c.fa_quiet_per_min == pytest.approx(2.0, rel=1e-2)
    assert (c.moments, c.at_cap, c.longest_s) == (3, 1, pytest.approx(0.5))


def test_label_matching_by_overlap_prefers_the_largest_overlap():
    labels = [{"start_s": 1.0, "end_s": 1.2, "label": "blink"}, {"start_s": 1.15, "end_s": 1.6, "label": "genuine"}]
    assert label_of(_moment(1.1, 1.5), labels)["label"] == "genuine"
    assert label_of(_moment(3.0, 3.2), labels) is None


def test_injected_counts_core_recall_and_held_against_control():
    truth = {"duration_s": 60.0, "events": [
        _event(5.0, 5.2), _event(10.0, 10.3, amp=0.03), _event(20.0, 20.25),  # 2 core (5.0, 20.0)
        _event(30.0, 32.0, kind="macro"), _event(40.0, 42.0, kind="macro")]}
    moments = [_moment(5.05, 5.25), _moment(31.0, 31.5), _moment(41.0, 41.4)]
    control = [_moment(41.1, 41.3)]  # the footage itself moves there: not the held expression's doing
    c = injected_counts(truth, moments, control, talking_at=lambda t: t > 15, max_duration_s=0.5)
    assert (c.core_n, c.core_hits) == (2, 1)
    assert (c.core_talk_n, c.core_talk_hits) == (1, 0)
    assert (c.micro_n, c.micro_hits) == (3, 1)
    assert (c.held_n, c.held_reported) == (2, 1)
    assert c.core_hits_clean == 1
    # the same hit is a coincidence when the footage has that moment without the event
    c2 = injected_counts(truth, moments, control + [_moment(5.1, 5.2)], lambda t: False, max_duration_s=0.5)
    assert (c2.core_hits, c2.core_hits_clean) == (1, 0)


def test_real_size_events_are_counted_apart_and_while_quiet():
    assert is_real_size(_event(1.0, 1.2, amp=0.01)) and is_real_size(_event(1.0, 1.45, amp=0.03))
    assert not is_real_size(_event(1.0, 1.2, amp=0.035)) and not is_real_size(_event(1.0, 1.05, amp=0.02))
    truth = {"duration_s": 60.0, "events": [_event(5.0, 5.3, amp=0.015), _event(20.0, 20.3, amp=0.025),
                                            _event(30.0, 30.2, amp=0.06)]}
    c = injected_counts(truth, [_moment(5.1, 5.3), _moment(30.0, 30.2)], [], talking_at=lambda t: t > 15,
                        max_duration_s=0.5)
    assert (c.real_n, c.real_hits, c.real_quiet_n, c.real_quiet_hits) == (2, 1, 1, 1)
    assert c.real_recall == pytest.approx(0.5) and c.real_quiet_recall == 1.0
    assert (c.core_n, c.core_hits) == (1, 1)  # the large one is core, not real-size


def test_events_as_large_as_real_ones_as_seen_are_counted_by_their_seen_size():
    # injected at 6% but seen at 2% (the tracker returns part of a warp): real-size as seen, not as injected
    truth = {"duration_s": 60.0, "events": [{**_event(5.0, 5.3), "seen_iod": 0.02},
                                            {**_event(10.0, 10.3, amp=0.02), "seen_iod": 0.005},
                                            {**_event(20.0, 20.3), "seen_iod": 0.02},
                                            {**_event(30.0, 31.0), "seen_iod": 0.02},  # not brief
                                            _event(40.0, 40.3)]}  # never measured
    c = injected_counts(truth, [_moment(5.1, 5.3), _moment(10.1, 10.2)], [], talking_at=lambda t: t > 15,
                        max_duration_s=0.5)
    assert (c.seen_quiet_n, c.seen_quiet_hits) == (1, 1)  # 20.0 is while talking
    assert (c.real_quiet_n, c.real_quiet_hits) == (1, 1)  # the 2% injected one, seen at 0.5%


def _face_track(points: np.ndarray, fps: float = FPS) -> RawTrack:
    """A RawTrack of pixel landmarks `points` (n, 478, 2) in a 400x400 frame."""
    n = len(points)
    lms = np.concatenate([points / 400.0, np.zeros((n, 478, 1))], axis=2).astype(np.float32)
    return RawTrack(np.arange(n) / fps, np.ones(n, bool), lms, np.zeros((n, 52), np.float32),
                    np.tile(np.eye(4, dtype=np.float32), (n, 1, 1)), np.ones(n, np.int8), fps, (400, 400), "x.mp4")


def test_seen_size_is_the_regions_shift_against_the_control():
    rng = np.random.default_rng(3)
    base = rng.uniform(100, 300, (478, 2))
    base[[33, 133]], base[[263, 362]] = [[130, 200], [170, 200]], [[270, 200], [230, 200]]  # IOD 100 px
    n = 30
    # the person nods (a rigid shift the alignment takes off) and lowers the brows 2 px (their own movement)
    # in both clips; only the injected one's brows also rise
    nod = np.linspace(0, 8, n)[:, None, None] * np.array([0.0, 1.0])
    control = base[None] + nod
    control[:, REGIONS["brows"], 1] += np.linspace(0, 2, n)[:, None]
    injected = control.copy()
    envelope = np.sin(np.linspace(0, np.pi, 9))  # frames 10-18, peak 3 px = 3% IOD
    injected[10:19][:, REGIONS["brows"], 1] -= 3.0 * envelope[:, None]
    e = _event(10 / FPS, 18 / FPS, amp=0.06)
    assert seen_iod(_face_track(injected), _face_track(control), e) == pytest.approx(0.03, rel=0.1)
    assert seen_iod(_face_track(control), _face_track(control), e) == pytest.approx(0.0, abs=1e-6)
    lost = _face_track(injected)
    lost.face[12] = False
    assert math.isnan(seen_iod(lost, _face_track(control), e))


def test_posed_moments_are_a_rate_apart_from_false_alarms():
    t = np.arange(int(32 * FPS)) / FPS
    c = posed_counts([_moment(5.0, 5.2)] * 3, t, np.ones(len(t), bool), FPS, 2.0)
    assert c.posed == 3 and c.posed_per_min == pytest.approx(6.0, rel=1e-2) and c.fa == 0


def test_control_counts_every_moment_per_eligible_minute():
    t = np.arange(int(32 * FPS)) / FPS
    c = control_counts([_moment(5.0, 5.2), _moment(9.0, 9.3)], t, np.ones(len(t), bool), FPS, 2.0)
    assert c.ctl_fa == 2 and c.ctl_fa_per_min == pytest.approx(4.0, rel=1e-2)


def _pt(fa, minutes, hits, n=10):
    return Counts(fa=fa, min_total=minutes, core_n=n, core_hits=hits)


def test_choose_best_recall_under_cap_else_fewest_false_alarms():
    pts = [_pt(1, 1.0, 2), _pt(2, 1.0, 5), _pt(5, 1.0, 9)]
    assert choose(pts, 2.0) == (1, True)
    assert choose(pts, 0.5) == (0, False)
    # equal recall: fewer false alarms wins
    assert choose([_pt(2, 1.0, 5), _pt(1, 1.0, 5)], 2.0) == (1, True)


def test_lopo_never_tunes_on_the_held_out_person():
    # person "c" would like candidate 1 (its own FA is low there) but the others cap it at candidate 0
    per = {"a": [_pt(1, 1.0, 3), _pt(6, 1.0, 8)],
           "b": [_pt(1, 1.0, 3), _pt(6, 1.0, 8)],
           "c": [_pt(0, 1.0, 1), _pt(0, 1.0, 9)]}
    folds = lopo(per, 2.0)
    fc = next(f for f in folds if f.held_out == "c")
    assert fc.choice == 0 and fc.held.core_hits == 1
    fa_ = next(f for f in folds if f.held_out == "a")
    # tuning on b + c: candidate 1 has 6 FA in 2 min = 3/min > 2; candidate 0 chosen
    assert fa_.choice == 0 and fa_.tune.fa == 1
    pooled = pooled_held_out(folds)
    assert (pooled.core_hits, pooled.core_n) == (3 + 3 + 1, 30)
    assert pooled_curve(per)[1].core_hits == 25


def test_lopo_rejects_ragged_candidates():
    with pytest.raises(ValueError):
        lopo({"a": [_pt(1, 1.0, 1)], "b": []}, 2.0)


def test_wilson_interval():
    lo, hi = wilson(48, 105)
    assert lo < 48 / 105 < hi
    assert (round(lo, 3), round(hi, 3)) == (0.365, 0.552)
    assert wilson(0, 10)[0] == 0.0 and wilson(10, 10)[1] == 1.0
    assert all(math.isnan(x) for x in wilson(0, 0))


def test_grid_parsing_and_candidate_blocks():
    from bench.personwise.spot import SENSITIVITIES, candidates, parse_grid

    grid = parse_grid(["max_duration_s=0.4,0.5", "talking_filter=true,false"])
    assert grid == {"max_duration_s": (0.4, 0.5), "talking_filter": (True, False)}
    cands = candidates(grid=grid)
    assert len(cands) == 4 * len(SENSITIVITIES)
    block = cands[:len(SENSITIVITIES)]
    assert {(c.max_duration_s, c.talking_filter) for c in block} == {(0.4, True)}
    assert [c.sensitivity for c in block] == list(SENSITIVITIES)
    for bad in (["sensitivity=1,2"], ["nope=1"], ["max_duration_s="]):
        with pytest.raises(ValueError):
            parse_grid(bad)


def test_feature_cache_follows_the_track(tmp_path, monkeypatch):
    from bench.personwise.track import features_of

    for module in ("app.face.channels", "bench.personwise.track"):  # blank frames: no video to read again
        monkeypatch.setattr(f"{module}.READS_PIXELS", False)

    rng = np.random.default_rng(0)
    n = 6
    lms = (0.4 + 0.2 * rng.random((n, 478, 3))).astype(np.float32)
    track = RawTrack(np.arange(n) / FPS, np.ones(n, bool), lms, np.zeros((n, 52), np.float32),
                     np.tile(np.eye(4, dtype=np.float32), (n, 1, 1)), np.ones(n, np.int8), FPS, (640, 480), "x.mp4")
    first = features_of(track, "x.mp4", tmp_path)
    again = features_of(track, "x.mp4", tmp_path)
    assert len(list(tmp_path.iterdir())) == 1
    np.testing.assert_array_equal(first.levels, again.levels)
    np.testing.assert_array_equal(first.levels, features_of(track, "x.mp4", None).levels)
    moved = RawTrack(track.t_s, track.face, lms * 1.01, track.blendshapes, track.pose, track.faces_seen, FPS,
                     (640, 480), "x.mp4")
    features_of(moved, "x.mp4", tmp_path)
    assert len(list(tmp_path.iterdir())) == 2
