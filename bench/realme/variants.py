"""Spotter rule variants side by side: person-wise held-out figures and the real clips, in one process.

    python -m bench.realme.variants [NAME ...]     # default: every variant in VARIANTS

Each variant patches constants of app.spotting.evidence / .spotter (the rules' knobs), and may change
settings other than the sensitivity in every preset and candidate, for the whole evaluation: the person-wise benchmark (17 people, leave one person out, tuned for natural FA <= 2/min on
the others) and `bench.realme.run` (six real clips in context, 30 and 60 fps, leave one database out). The
caches must exist (run `python -m bench personwise` and `python -m bench real_me` once).
"""

from __future__ import annotations

import math
import sys
import time

from app.settings.schema import preset
from app.spotting import evidence as evidence_module
from app.spotting import spotter as spotting_module
from bench.personwise.evaluate import evaluate_people, load_people
from bench.personwise.lopo import lopo, pooled_held_out
from bench.personwise.run import FA_CAP
from bench.personwise.score import total, wilson
from bench.personwise.spot import candidates, preset_settings
from bench.realme.diagnose import patched
from bench.realme.run import SENSITIVITIES, cases, lodo, spot_cases, summary
from bench.realme.summed import Sum, summing

# The spotter as the rows of phases 1-5 and change 17 were measured on (576372c): the partial return and the
# young unit off (change 18 turned them on), the head's rise-and-return alone explaining pixel motion (before
# change 17). Every variant below the "change 18" line is measured from it, so its logged row reproduces.
_BEFORE_EV = {"QUIET_RETURN_SHARE": 0.0, "PARTIAL_MAX_WINDOW_S": math.inf, "PARTIAL_MAX_RISE": math.inf,
              "PARTIAL_CORROBORATION": 0.0, "PARTIAL_CAPPED": False, "PARTIAL_HEAD_STILL": 0.0, "YOUNG_GAIN": 0.0}
_BEFORE_SPOT = {"FLOW_HEAD_MOVEMENT": False}
# the partial return for a small, fast onset (phase 3's 13b); phase 4's row 16d adds the young unit and both sensors
_FAST_SMALL = {"QUIET_RETURN_SHARE": 0.5, "PARTIAL_MAX_WINDOW_S": 0.3, "PARTIAL_MAX_RISE": 0.04}
_16D = {**_FAST_SMALL, "YOUNG_GAIN": 1.0, "PARTIAL_CORROBORATION": 3.0}
# name -> (app.spotting.evidence constants, app.spotting.spotter constants[, settings changed]), from _BEFORE_*
MEASURED_BEFORE: dict[str, tuple[dict, ...]] = {
    "before change 17": ({}, {}),
    # issue 19 phase 1 (bench/SPOTTER_LOG.md changes 10-12)
    "no flow": ({}, {"FLOW_REGIONS": ()}),
    "partial return 0.5, penalty 0.5": ({"RETURN_SHARE": 0.5, "K_RETURN": 0.5}, {}),
    "talking bar x2 but gaze": ({}, {"TALKING_REGIONS": ("mouth", "brows", "lids", "nose")}),
    "flow: all": ({}, {"FLOW_REGIONS": ("brows", "lids", "nose", "mouth")}),
    # issue 19 phase 2 (changes 13-16)
    "state activity": ({"STATE_ACTIVITY": True}, {}),
    "quiet partial return 0.5": ({"QUIET_RETURN_SHARE": 0.5}, {}),
    "quiet partial return 0.3": ({"QUIET_RETURN_SHARE": 0.3}, {}),
    "quiet partial return 0.5, none returned": ({"QUIET_RETURN_SHARE": 0.5, "MIN_RETURNED": 0.0}, {}),
    "young gain 1": ({"YOUNG_GAIN": 1.0}, {}),
    "young gain 2": ({"YOUNG_GAIN": 2.0}, {}),
    "state activity + quiet partial return 0.5": ({"STATE_ACTIVITY": True, "QUIET_RETURN_SHARE": 0.5}, {}),
    "state activity + young gain 1": ({"STATE_ACTIVITY": True, "YOUNG_GAIN": 1.0}, {}),
    "state activity + quiet partial 0.5 + young gain 1": (
        {"STATE_ACTIVITY": True, "QUIET_RETURN_SHARE": 0.5, "YOUNG_GAIN": 1.0}, {}),
    # issue 19 phase 3: the partial return for a small, fast onset while listening
    "quiet partial return 0.5, fast small onset": (_FAST_SMALL, {}),
    "quiet partial return 0.5, fast small onset, both sensors 2": ({**_FAST_SMALL, "PARTIAL_CORROBORATION": 2.0}, {}),
    "quiet partial return 0.5, fast small onset, both sensors 4": ({**_FAST_SMALL, "PARTIAL_CORROBORATION": 4.0}, {}),
    "quiet partial return 0.5, both sensors 2": ({"QUIET_RETURN_SHARE": 0.5, "PARTIAL_CORROBORATION": 2.0}, {}),
    # issue 19 phase 4: the young noise estimate's raised unit with the partial return for a small, fast onset
    "young gain 1 + fast small onset": ({**_FAST_SMALL, "YOUNG_GAIN": 1.0}, {}),
    "young gain 1 + fast small onset, both sensors 2": ({**_FAST_SMALL, "YOUNG_GAIN": 1.0, "PARTIAL_CORROBORATION": 2.0},
                                                        {}),
    "young gain 1 + fast small onset, both sensors 4": ({**_FAST_SMALL, "YOUNG_GAIN": 1.0, "PARTIAL_CORROBORATION": 4.0},
                                                        {}),
    "young gain 2 + fast small onset": ({**_FAST_SMALL, "YOUNG_GAIN": 2.0}, {}),
    "young gain 1 + fast small onset, rise <= 3%": ({**_FAST_SMALL, "YOUNG_GAIN": 1.0, "PARTIAL_MAX_RISE": 0.03}, {}),
    "young gain 1 + fast small onset, window <= 0.2 s": (
        {**_FAST_SMALL, "YOUNG_GAIN": 1.0, "PARTIAL_MAX_WINDOW_S": 0.2}, {}),
    "young gain 1 + fast small onset, both sensors 3": (_16D, {}),
    "young gain 1 + fast small onset, rise <= 3%, both sensors 2": (
        {**_FAST_SMALL, "YOUNG_GAIN": 1.0, "PARTIAL_MAX_RISE": 0.03, "PARTIAL_CORROBORATION": 2.0}, {}),
    "quiet partial return 0.5, fast small onset, both sensors 3": ({**_16D, "YOUNG_GAIN": 0.0}, {}),
    "young gain 0.5 + fast small onset, both sensors 3": ({**_16D, "YOUNG_GAIN": 0.5}, {}),
    # issue 19 phase 5c: what tells a real step from a quiet one (16d + the partial reading capped at a full
    # return's, and/or only while the head holds still)
    "16d, capped": ({**_16D, "PARTIAL_CAPPED": True}, {}),
    "16d, head still 0.5": ({**_16D, "PARTIAL_HEAD_STILL": 0.5}, {}),
    "16d, capped, head still 0.5": ({**_16D, "PARTIAL_CAPPED": True, "PARTIAL_HEAD_STILL": 0.5}, {}),
    "16, capped": ({**_16D, "PARTIAL_CORROBORATION": 0.0, "PARTIAL_CAPPED": True}, {}),
    "16, capped, head still 0.5": ({**_16D, "PARTIAL_CORROBORATION": 0.0, "PARTIAL_CAPPED": True,
                                    "PARTIAL_HEAD_STILL": 0.5}, {}),
    "13b, capped, both sensors 3, head still 0.5": ({**_16D, "YOUNG_GAIN": 0.0, "PARTIAL_CAPPED": True,
                                                     "PARTIAL_HEAD_STILL": 0.5}, {}),
    "state activity + talking bar x2 but gaze": ({"STATE_ACTIVITY": True},
                                                 {"TALKING_REGIONS": ("mouth", "brows", "lids", "nose")}),
    # issue 19 phase 5a: where real-size events are lost (bench/realme/realsize.py)
    "activity weight 1.5": ({"ACTIVITY_WEIGHT": 1.5}, {}),
    "penalty allowance 0.5": ({"PENALTY_ALLOWANCE": (0.5, 0.5)}, {}),
    "penalty allowance 1": ({"PENALTY_ALLOWANCE": (1.0, 1.0)}, {}),
    "penalty allowance 0.5 + talking bar x2 but gaze": (
        {"PENALTY_ALLOWANCE": (0.5, 0.5)}, {"TALKING_REGIONS": ("mouth", "brows", "lids", "nose")}),
    "penalty allowance 0.5 + young gain 1": ({"PENALTY_ALLOWANCE": (0.5, 0.5), "YOUNG_GAIN": 1.0}, {}),
    "quiet penalty allowance 0.5": ({"PENALTY_ALLOWANCE": (0.5, 0.0)}, {}),
    "quiet penalty allowance 0.25": ({"PENALTY_ALLOWANCE": (0.25, 0.0)}, {}),
    "quiet penalty allowance 0.5 + talking bar x2 but gaze": (
        {"PENALTY_ALLOWANCE": (0.5, 0.0)}, {"TALKING_REGIONS": ("mouth", "brows", "lids", "nose")}),
    "flow: brows and nose": ({}, {"FLOW_REGIONS": ("brows", "nose")}),
    "flow: brows, lids and nose": ({}, {"FLOW_REGIONS": ("brows", "lids", "nose")}),
    "longest moment 1 s": ({}, {}, {"max_duration_s": 1.0}),
    # (issue 19 phase 5b, evidence pooled across sensors: measured on branch `stages`, not merged)
    # issue 19, live latency: change 17 alone (the head's movement explains pixel motion)
    "change 17": ({}, {"FLOW_HEAD_MOVEMENT": True}),
}
# name -> the same, from the current defaults (change 18: the partial return on)
AROUND_18: dict[str, tuple[dict, ...]] = {
    "current": ({}, {}),
    "18, no head-still test": ({"PARTIAL_HEAD_STILL": 0.0}, {}),
    "18, landmarks alone": ({}, {"FLOW_REGIONS": ()}),
    "18, window <= 0.5 s": ({"PARTIAL_MAX_WINDOW_S": 0.5}, {}),
    "18, both sensors 2": ({"PARTIAL_CORROBORATION": 2.0}, {}),
    "18, rise <= 5% IOD": ({"PARTIAL_MAX_RISE": 0.05}, {}),
    "18, young gain 0.5": ({"YOUNG_GAIN": 0.5}, {}),
    "18, no young gain": ({"YOUNG_GAIN": 0.0}, {}),
    "18, young for 5 s": ({"YOUNG_S": 5.0}, {}),
    "18, young for 3 s": ({"YOUNG_S": 3.0}, {}),
    "18, young gain 2 for 5 s": ({"YOUNG_S": 5.0, "YOUNG_GAIN": 2.0}, {}),
    # issue 19, live latency: how long a moment waits before it is reported (bench.live.spotter_delay)
    "18, no longer wait": ({}, {"LONGER_WAIT_SHARE": 0.0}),
    "18, longer wait from 0.4 s": ({}, {"WAIT_FROM_S": 0.4}),
    "18, longer wait from 0.35 s": ({}, {"WAIT_FROM_S": 0.35}),
    "18, longer wait share 0.25": ({}, {"LONGER_WAIT_SHARE": 0.25}),
    "18, settle 0.03 s": ({}, {"SETTLE_S": 0.03}),
    "18, settle 0.03 s, longer wait from 0.4 s": ({}, {"SETTLE_S": 0.03, "WAIT_FROM_S": 0.4}),
    # issue 19 item 4: pixel motion's bar while the person talks (FLOW_TALKING_FACTOR, 2 today)
    **{f"18, flow talking factor {f:g}": ({}, {"FLOW_TALKING_FACTOR": f}) for f in (1.0, 1.5, 3.0, 4.0, 6.0)},
}
# name -> how the landmark levels are summed with pixel motion of the same movement (bench/realme/summed.py,
# SPOTTER_LOG phase 9), from the current defaults
SUMMED: dict[str, Sum] = {
    "19 + sum, small-disc flow": Sum(),
    "19 + sum, today's flow": Sum(small=False),
    "19 + sum, small-disc flow, lids too": Sum(lids=True),
    "19 + sum, small-disc flow, weight 0.5": Sum(weight=0.5),
}
# (issue 19 phase 10, a unit per window length from the person's own readings: measured at c6895de on branch
# `width` (its WIDTH rows, evidence.WIDTH_UNIT), rejected and not merged)
VARIANTS: dict[str, tuple[dict, ...]] = {
    **{name: ({**_BEFORE_EV, **ev}, {**_BEFORE_SPOT, **spot}, *rest) for name, (ev, spot, *rest) in MEASURED_BEFORE.items()},
    **AROUND_18,
    **dict.fromkeys(SUMMED, ({}, {})),
}


def line(name: str, people, real_cases, changed: dict) -> str:
    cands = candidates(preset("balanced").replace(**changed), grid={})
    presets = {k: s.replace(**changed) for k, s in preset_settings().items()}
    ev = evaluate_people(people, cands + list(presets.values()))
    per = {p: rows[:len(cands)] for p, rows in ev.counts.items()}
    held = pooled_held_out(lopo(per, FA_CAP))
    bal = total([rows[len(cands) + list(presets).index("balanced")] for rows in ev.counts.values()])
    lo, hi = wilson(held.real_quiet_hits, held.real_quiet_n)
    pw = (f"LOPO: core {held.core_recall:.2f} ({held.core_hits}/{held.core_n}), real-size quiet {held.real_quiet_recall:.2f} "
          f"[{lo:.2f}-{hi:.2f}] ({held.real_quiet_hits}/{held.real_quiet_n}), real-size all {held.real_recall:.2f}, "
          f"seen 1-3% quiet {held.seen_quiet_recall:.2f} ({held.seen_quiet_hits}/{held.seen_quiet_n}), "
          f"FA {held.fa_per_min:.2f}/min (talking {held.fa_talk_per_min:.2f}), held {held.held_share:.0%}; "
          f"balanced: core {bal.core_recall:.2f}, real quiet {bal.real_quiet_recall:.2f}, FA {bal.fa_per_min:.2f}, "
          f"held {bal.held_share:.0%}, posed {bal.posed_per_min:.1f}/min")
    rm_cands = [presets["balanced"].replace(sensitivity=x) for x in SENSITIVITIES]
    res = spot_cases(real_cases, [presets["balanced"]] + rm_cands)
    outs = [r[0] for r in res]
    rm = []
    for fps in (30, 60):
        most, every, some, n, ctx = summary(real_cases, outs, fps)
        rm.append(f"{fps} fps: found {most}/{n} (every size {every}, some {some}), {ctx} context")
    held_db = "; ".join(f"{db} held out: s{s.sensitivity:g} {f}/{t} found, {c} ctx"
                        for db, s, (f, t, c) in lodo(real_cases, [r[1:] for r in res], rm_cands))
    return f"{name}\n  person-wise {pw}\n  real_me balanced {'; '.join(rm)}\n  real_me LODO {held_db}"


def main(argv: list[str] | None = None) -> int:
    names = list(argv or []) or list(VARIANTS)
    people = load_people(log=lambda m: print(m, file=sys.stderr))
    real_cases = cases(log=lambda m: print(m, file=sys.stderr))
    for name in names:
        ev_patch, spot_patch, *changed = VARIANTS[name]
        started = time.perf_counter()
        with patched(evidence_module, ev_patch), patched(spotting_module, spot_patch), summing(SUMMED.get(name)):
            print(line(name, people, real_cases, changed[0] if changed else {}), flush=True)
        print(f"  ({time.perf_counter() - started:.0f} s)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
