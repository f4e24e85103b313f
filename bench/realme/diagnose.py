"""Which rule drops a real micro-expression: instrumented, not guessed.

    python -m bench.realme.diagnose [--fps 30] [--preset balanced]

For every clip in its context videos (see `bench.realme.run`): the best score (rise over the bar, >= 1 is
a moment) over the decision frames that decide the clip, after each rule of `Decider.scores` in turn
(the length limits, the blink / talking / head flags, the longer-window veto, the jaw / blink / head
couplings, the smile confirmation); then, one at a time, each evidence rule switched off (the return
and spread penalties, the learned unit of a rise, the drift penalty) and each settings rule relaxed
(longest moment 1 s, filters off), and whether the clip is then found. The first stage at which the
score falls below 1, or the single relaxation that finds it, names the rule.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Iterator

import numpy as np

from app.settings.schema import Settings, preset
from app.spotting import evidence as evidence_module
from app.spotting import spotter as spotting_module
from app.spotting.evidence import ACTIONS, POST_S
from bench.personwise.track import features_of
from bench.realme.run import FEATURES, Case, cases, outcome

DECIDE_AFTER_S = POST_S + 0.6  # decision frames up to this long after the coded offset decide the clip
STAGES = ("allowed", "flag_blink", "flag_talking", "flag_head_fast", "longer_window", "explained_talking",
          "explained_blink", "explained_head_motion", "explained_head_movement", "confirmed")

# One rule off at a time: (name, evidence constants patched, settings changes, spotting constants patched)
ABLATIONS: tuple[tuple[str, dict, dict, dict], ...] = (
    ("no return penalty", {"K_RETURN": 0.0}, {}, {}),
    ("no spread penalty", {"K_SPREAD": 0.0}, {}, {}),
    ("no learned unit", {"ACTIVITY_WEIGHT": 0.0}, {}, {}),
    ("no drift penalty", {"K_DRIFT": 0.0}, {}, {}),
    ("longest moment 1 s", {}, {"max_duration_s": 1.0}, {}),
    ("no blink filter", {}, {"blink_filter": False}, {}),
    ("no talking filter", {}, {"talking_filter": False}, {}),
    ("no head filter", {}, {"head_motion_filter": False}, {}),
    ("no couplings", {}, {}, {"coupled": lambda s: ()}),
    ("warm-up 0.5 s", {}, {"warmup_s": 0.5}, {}),
)


@contextlib.contextmanager
def patched(module, values: dict) -> Iterator[None]:
    saved = {k: getattr(module, k) for k in values if hasattr(module, k)}
    try:
        for k, v in values.items():
            if hasattr(module, k):
                setattr(module, k, v)
        yield
    finally:
        for k, v in saved.items():
            setattr(module, k, v)


def _window(case: Case, t: np.ndarray) -> np.ndarray:
    return (t >= case.onset_s) & (t <= case.offset_s + DECIDE_AFTER_S)


def stage_scores(case: Case, settings: Settings) -> tuple[dict[str, float], str]:
    """Best score in the clip's decision frames after each rule, and the action that carries it at the
    first stage."""
    from app.spotting.spotter import Decider, table_evidence

    best = dict.fromkeys(STAGES, -np.inf)
    action = ""
    for ev in table_evidence(features_of(case.track, case.video, FEATURES)):
        trace: dict[str, np.ndarray] = {}
        Decider(settings).scores(ev, trace)
        rows = _window(case, ev.t_s)
        if not rows.any():
            continue
        for stage, r in trace.items():
            v = float(r[rows].max())
            if v > best[stage]:
                best[stage] = v
                if stage == "allowed":
                    action = ACTIONS[int(np.unravel_index(np.argmax(r[rows]), r[rows].shape)[1])].name
    return best, action


def parts_at_best(case: Case, settings: Settings) -> dict[str, float | str]:
    """The rise's terms, in units of the bar, at the decision frame, action and allowed length where the
    clip's change *before* any penalty (up over the noise unit) is largest: what the penalties and the
    learned unit take off it."""
    from app.spotting.evidence import in_regions, rise_parts, run_columns, signals
    from app.spotting.spotter import face_runs, threshold_for

    table = features_of(case.track, case.video, FEATURES)
    theta = threshold_for(settings.sensitivity)
    reportable = in_regions(*settings.regions)
    best: dict[str, float | str] = {"up": -np.inf}
    for a, b in face_runs(table.face):
        lv = signals(table.levels[a:b], table.blendshapes[a:b], table.head[a:b])
        c, timing = run_columns(lv, table.head[a:b], table.t_s[a:b])
        rows = np.flatnonzero(_window(case, table.t_s[a:b]))
        if not len(rows):
            continue
        parts, ok, _ = rise_parts(c, rows, timing)
        dur = np.array(timing.widths) / timing.fps
        allowed = ok & (dur <= settings.max_duration_s + 1e-6)[None, :]
        noise_scale = parts.scale / np.maximum(parts.noise, np.float32(evidence_module.ACTIVITY_WEIGHT) * parts.activity) * parts.noise
        up = np.where(allowed[:, :, None] & reportable[None, None, :], parts.up / noise_scale, -np.inf)
        i, w, k = np.unravel_index(np.argmax(up), up.shape)
        if up[i, w, k] <= best["up"]:  # type: ignore[operator]
            continue
        unit = float(parts.scale[i, w, k] * theta)
        best = {"action": ACTIONS[k].name, "length_s": float(dur[w]), "up": float(up[i, w, k]) / theta,
                "up_in_unit": float(parts.up[i, w, k]) / unit, "down": float(parts.down[i, w, k]) / unit,
                "drift": float(parts.drift[i, w, k]) / unit,
                "unreturned": evidence_module.K_RETURN * float(parts.unreturned[i, w, k]) / unit,
                "spread": evidence_module.K_SPREAD * float(parts.spread[i, w, k]) / unit,
                "unit_x_noise": float(parts.scale[i, w, k] / noise_scale[i, w, k]),
                "rise": float(parts.rise()[i, w, k]) / theta}
    return best


def found_under(case: Case, settings: Settings, ev_patch: dict, spot_patch: dict) -> bool:
    from app.spotting.spotter import spot, table_evidence

    with patched(evidence_module, ev_patch), patched(spotting_module, spot_patch):
        ev = table_evidence(features_of(case.track, case.video, FEATURES))
        moments = [m.to_dict() for m in spot(ev, settings)]
    return outcome(case, moments, settings.warmup_s).found


def decision_rule(case: Case, settings: Settings) -> str:
    """Why a change over its bar was not reported: the longer-window veto while it waited, the warm-up,
    or a moment reported outside the clip's time."""
    from app.spotting.spotter import Decider, spot, table_evidence

    for ev in table_evidence(features_of(case.track, case.video, FEATURES)):
        sc, _, longer = Decider(settings).scores(ev)
        rows = np.flatnonzero(_window(case, ev.t_s))
        over = [r for r in rows if sc[r].max() >= 1.0]
        if not over:
            continue
        a = int(np.argmax(sc[over[0]]))
        if longer[over[0]:rows[-1] + 1, a].any():
            return "longer-window veto (while waiting)"
        if case.onset_s - float(ev.t_s[0]) < settings.warmup_s:
            return "warm-up"
        if spot([ev], settings):
            return "reported outside the clip"
    return "decision"


def diagnose(case: Case, settings: Settings) -> dict:
    scores, action = stage_scores(case, settings)
    base = found_under(case, settings, {}, {})
    first_drop = next((s for s in STAGES if scores[s] < 1.0), None)
    if first_drop is None and not base:
        first_drop = decision_rule(case, settings)
    rescued = [name for name, ev_p, s_p, sp_p in ABLATIONS
               if not base and found_under(case, settings.replace(**s_p), ev_p, sp_p)]
    return {"found": base, "scores": scores, "action": action, "first_drop": first_drop, "rescued_by": rescued}


def report(all_cases: list[Case], settings: Settings, fps: int) -> list[str]:
    lines = ["| clip | size | found | best action | " + " | ".join(STAGES) + " | first rule below 1 | found when off |",
             "|---|---|---|---|" + "---|" * len(STAGES) + "---|---|"]
    for case in all_cases:
        if case.variant.fps != fps:
            continue
        d = diagnose(case, settings)
        cells = " | ".join(f"{d['scores'][s]:.2f}" if np.isfinite(d["scores"][s]) else "-" for s in STAGES)
        lines.append(f"| {case.clip.short} | {case.variant.face_px} | {'yes' if d['found'] else 'no'} | {d['action']} | "
                     f"{cells} | {d['first_drop'] or '-'} | "
                     f"{', '.join(d['rescued_by']) or '-'} |")
    return lines


def parts_report(all_cases: list[Case], settings: Settings, fps: int) -> list[str]:
    lines = ["| clip | size | action, length | change / bar (noise unit) | learned unit x noise | change / bar "
             "(unit used) | return (down) | drift | unreturned | spread | rise / bar |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for case in all_cases:
        if case.variant.fps != fps:
            continue
        p = parts_at_best(case, settings)
        lines.append(f"| {case.clip.short} | {case.variant.face_px} | {p['action']}, {p['length_s']:.2f} s | {p['up']:.2f} | "
                     f"{p['unit_x_noise']:.1f} | {p['up_in_unit']:.2f} | {p['down']:.2f} | {p['drift']:.2f} | "
                     f"{p['unreturned']:.2f} | {p['spread']:.2f} | {p['rise']:.2f} |")
    return lines


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.realme.diagnose", description=__doc__.splitlines()[0])
    ap.add_argument("--fps", type=int, default=30)
    ap.add_argument("--preset", default="balanced")
    args = ap.parse_args(argv)
    all_cases = cases(log=lambda m: print(m, file=sys.stderr))
    print("\n".join(report(all_cases, preset(args.preset), args.fps)))
    print()
    print("\n".join(parts_report(all_cases, preset(args.preset), args.fps)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
