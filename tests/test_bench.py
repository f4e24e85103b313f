"""The benchmark's plumbing on tiny synthetic cases (the benchmark itself is `python -m bench accuracy`)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from app.face.features import N_LEVELS, FeatureTable
from app.research.events import ACTION_TYPES, make_event
from app.settings.schema import preset
from bench.accuracy import dataset
from bench.accuracy.dataset import Base, Spec, Video, VideoPlan, plan_timeline
from bench.accuracy.scoring import (
    at_turn,
    best_under,
    distinct_places,
    frames_visible,
    is_core,
    pooled_metrics,
    score,
    turn_times,
)
from bench.accuracy.spotters import EvidenceCache, NaiveSpotter, RefSpotter

FPS = 25.0


def ev(type: str, onset: float, dur: float, amp: float, kind: str = "micro") -> dict:
    return {"onset_s": onset, "apex_s": onset + dur / 2, "offset_s": onset + dur, "type": type, "kind": kind,
            "amplitude_iod": amp, "side": "both", "hold_s": 0.0}


def truth(events: list[dict], source_frames: int = 1500) -> dict:
    return {"fps": FPS, "frames": 1500, "source_frames": source_frames, "duration_s": 60.0, "events": events}


def video(name: str, events: list[dict], natural: bool = False, source_frames: int = 1500) -> Video:
    plan = VideoPlan("tune", Base(name, "x.mp4", "tune"), name, 0, natural)
    return Video(plan, Path(f"/nowhere/{name}.mp4"), truth(events, source_frames), table=None)


def m(start: float, end: float, kind: str = "expression") -> dict:
    return {"start_s": start, "end_s": end, "kind": kind}


def test_pooled_metrics_count_what_they_say():
    a = video("a", [
        ev("brow_raise", 5.0, 0.2, 0.06),  # core, hit
        ev("nose_wrinkle", 10.0, 0.3, 0.05),  # core, missed
        ev("lip_press", 15.0, 0.08, 0.07),  # 2 frames at 25 fps, hit
        ev("brow_lower", 20.0, 0.3, 0.03),  # too faint for core, missed
        ev("lip_corner_pull", 30.0, 3.0, 0.05, "macro"),  # reported
    ])
    b = video("b", [ev("upper_lid_raise", 8.0, 0.4, 0.07)])  # core, hit
    nat = video("nat", [], natural=True)
    settings = preset("balanced")
    r = pooled_metrics([
        (a, [m(5.05, 5.25), m(14.98, 15.1), m(31.0, 31.4), m(40.0, 40.2)]),
        (b, [m(8.0, 8.4), m(50.0, 50.9, "glance")]),
        (nat, [m(1.0, 1.2), m(2.0, 2.1), m(3.0, 3.3)]),
    ], settings)
    assert r["micro_events"] == 5 and r["macro_events"] == 1
    assert (r["core"]["hits"], r["core"]["events"]) == (2, 3)
    assert (r["core_no_nose"]["hits"], r["core_no_nose"]["events"]) == (2, 2)
    assert (r["two_frame"]["hits"], r["two_frame"]["events"]) == (1, 1)
    assert (r["all_micro"]["hits"], r["all_micro"]["events"]) == (3, 5)
    assert r["by_region"]["nose"]["recall"] == 0.0 and r["by_region"]["lids"]["recall"] == 1.0
    assert r["by_type"]["brow_lower"]["hits"] == 0
    assert r["fa_per_min_natural"] == pytest.approx(3.0)  # 3 moments in 1 minute
    assert r["false_alarms_injected"] == 2  # 40.0 and the glance; the one on the macro event is not counted
    assert r["fa_per_min_injected"] == pytest.approx(1.0)
    assert r["precision"] == pytest.approx(3 / 6)
    assert r["macro_reported"] == 1.0
    assert r["macro_reported_not_footage"] == 1.0  # the natural video "nat" is another base
    assert r["longest_moment_s"] == pytest.approx(0.9)
    assert (r["moments_over_max"], r["glances_over_max"]) == (1, 1)
    assert r["moments_over_own_limit"] == 0  # the 0.9 s glance is within glance_max_s
    assert r["megc"]["tp"] + r["megc"]["fn"] == 5
    assert 0.0 <= r["core"]["ci95"][0] <= 2 / 3 <= r["core"]["ci95"][1] <= 1.0


def test_a_moment_the_natural_footage_has_too_does_not_report_a_macro_event():
    plan = VideoPlan("tune", Base("same", "x.mp4", "tune"), "inj", 0, False)
    inj = Video(plan, Path("/nowhere/inj.mp4"), truth([ev("brow_raise", 30.0, 3.0, 0.05, "macro")]), None)
    nat = Video(VideoPlan("tune", plan.base, "nat", 0, True), Path("/nowhere/nat.mp4"), truth([]), None)
    r = pooled_metrics([(inj, [m(31.0, 31.3)]), (nat, [m(31.1, 31.4)])], preset("balanced"))
    assert r["macro_reported"] == 1.0 and r["macro_reported_not_footage"] == 0.0


def test_core_and_two_frame_definitions():
    assert is_core(ev("brow_raise", 0, 0.1, 0.045)) and is_core(ev("brow_raise", 0, 0.45, 0.08))
    assert not is_core(ev("brow_raise", 0, 0.09, 0.06)) and not is_core(ev("brow_raise", 0, 0.2, 0.044))
    e = make_event("brow_raise", 40 / 24, 0.083, 0.05).to_dict()  # apex on frame 40 at 24 fps
    assert frames_visible(e, 24.0) == 2
    e = make_event("brow_raise", 40 / 24, 0.4, 0.05).to_dict()
    assert frames_visible(e, 24.0) in (9, 10)


def test_turns_of_a_pingpong_video():
    t = turn_times(truth([], source_frames=100))  # turns at output frames 99, 198, 297, ...
    assert t[0] == pytest.approx(99 / FPS) and np.allclose(np.diff(t), 99 / FPS)
    assert at_turn(m(99 / FPS - 0.2, 99 / FPS - 0.1), t) and not at_turn(m(2.0, 2.2), t)
    assert len(turn_times(truth([], source_frames=1500))) == 0  # not lengthened: no turns
    assert distinct_places([("a", 10), ("a", 12), ("a", 40), ("b", 10)]) == 3


def test_best_under_reads_the_sweep():
    pts = [{"fa_per_min_natural": fa, "core": {"recall": rec}, "settings": {"sensitivity": s}}
           for s, fa, rec in ((0, 0.0, 0.1), (50, 2.0, 0.4), (100, 8.0, 0.9))]
    assert best_under(pts, 5.0)[0] == 0.4
    assert best_under(pts, 1.0)[0] == 0.1
    assert best_under(pts[1:], 1.0) == (None, None)


def test_plan_timeline_keeps_gaps_and_usable_frames():
    rng = np.random.default_rng(3)
    n = int(60 * FPS)
    ok = {t: np.ones(n, bool) for t in ACTION_TYPES}
    ok["upper_lid_raise"][::40] = False  # "blinks"
    specs = dataset.draw_specs(rng)
    events = plan_timeline(specs, ok, FPS, n, rng)
    assert len(events) == len(specs)
    assert sum(e.kind == "micro" for e in events) == dataset.N_MICRO
    assert events[0].onset_s >= dataset.FIRST_EVENT_S
    assert all(b.onset_s - a.offset_s >= dataset.MIN_GAP_S - 2 / FPS for a, b in zip(events, events[1:]))
    for e in events:
        lo, hi = int(np.floor((e.onset_s - dataset.MARGIN_S) * FPS)), int(np.ceil((e.offset_s + dataset.MARGIN_S) * FPS))
        assert ok[e.type][lo:hi + 1].all()
    again = plan_timeline(dataset.draw_specs(np.random.default_rng(3)), ok, FPS, n, np.random.default_rng(3))
    assert len(again) == len(events)


def test_plan_timeline_refuses_too_many_events():
    n = int(10 * FPS)
    ok = {t: np.ones(n, bool) for t in ACTION_TYPES}
    with pytest.raises(RuntimeError, match="do not fit"):
        plan_timeline([Spec("brow_raise", "micro", 0.3, 0.05)] * 20, ok, FPS, n, np.random.default_rng(0))


def _table(n: int, spike_at: int | None = None) -> FeatureTable:
    rng = np.random.default_rng(0)
    blend = (0.2 + 0.01 * rng.standard_normal((n, 52))).astype(np.float16)
    if spike_at is not None:
        blend[spike_at:spike_at + 3, 10] += np.float16(0.6)
    return FeatureTable(np.arange(n) / FPS, np.ones(n, bool), np.zeros((n, N_LEVELS), np.float32),
                        np.zeros((n, 3), np.float32), blend, np.ones(n, np.int8))


def test_naive_spotter_finds_a_spike_and_nothing_else():
    sp = NaiveSpotter()
    moments = sp.moments(sp.evidence(_table(500, spike_at=300)), preset("balanced").replace(sensitivity=30))
    assert len(moments) == 1
    assert moments[0]["start_s"] <= 300 / FPS <= moments[0]["end_s"]
    assert sp.moments(sp.evidence(_table(500)), preset("balanced").replace(sensitivity=30)) == []


class _Counting(RefSpotter):
    name = "counting"

    def __init__(self):
        self.calls = 0

    def evidence(self, table):
        self.calls += 1
        return None

    def moments(self, evidence, settings):
        return [m(5.0, 5.2)] if settings.sensitivity > 50 else []


def test_score_computes_evidence_once_per_video(tmp_path):
    cache = EvidenceCache()
    videos = [video("a", [ev("brow_raise", 5.0, 0.2, 0.06)]), video("nat", [], natural=True)]
    cache.videos[(str(tmp_path.resolve()), "tune")] = videos
    sp = _Counting()
    low = score("tune", preset("balanced").replace(sensitivity=10), cache, spotter=sp, root=tmp_path)
    high = score("tune", preset("balanced").replace(sensitivity=90), cache, spotter=sp, root=tmp_path)
    assert sp.calls == 2
    assert low["core"]["recall"] == 0.0 and high["core"]["recall"] == 1.0
    assert high["fa_per_min_natural"] == pytest.approx(1.0) and high["split"] == "tune"


def test_bench_imports_without_qt():
    import subprocess
    import sys

    block = ("import importlib.abc, sys\n"
             "class Block(importlib.abc.MetaPathFinder):\n"
             "    def find_spec(self, name, path, target=None):\n"
             "        if name.split('.')[0] in ('PySide6', 'shiboken6', 'pyqtgraph'):\n"
             "            raise ImportError('Qt is blocked: ' + name)\n"
             "sys.meta_path.insert(0, Block())\n")
    proc = subprocess.run([sys.executable, "-c", block + "import bench.__main__, bench.accuracy.report, bench.accuracy.run, bench.reliability.run\nprint('ok')"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr


def test_memory_growth_is_the_slope_after_the_warm_up():
    from bench.reliability.memory import growth_per_min

    samples = [(0.0, 7.0), (1.0, 250.0), (2.0, 260.0), (3.0, 261.0), (4.0, 262.0)]  # the model loads first
    assert growth_per_min(samples) == pytest.approx(1.0)
    assert np.isnan(growth_per_min(samples[:3]))
