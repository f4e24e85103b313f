"""Where real-size injected events are lost: instrumented over the person-wise benchmark's own events.

    python -m bench.realme.realsize [--events] [--variant NAME]

The events `bench.personwise` scores as "real q" (score.is_real_size: 1-3% IOD, 100-450 ms, while the
person does not talk). Per event: whether the tracker sees it (the landmark and pixel-motion levels of
the event's region against the control clip, the same frames without the warp, at the apex: over the
injected amplitude and over the channel's noise); the best score (rise over the bar) in the frames that
decide it after each rule of `Decider.scores` (as `bench.realme.diagnose` does for the real clips), at
balanced and at the sensitivity leave-one-person-out chose for that person; the rise's terms at the
event's best reading in its own region; and the ceiling: found at sensitivity 100, and with each rule
off alone (`diagnose.ABLATIONS`). `--events` prints the per-event table too; `--variant NAME` measures
under one of `bench.realme.variants.VARIANTS`.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from app.face.features import FeatureTable
from app.research.evaluate import overlaps
from app.research.events import REGION_OF
from app.settings.schema import Settings, preset
from app.spotting import evidence as evidence_module
from app.spotting import spotter as spotting_module
from app.spotting.evidence import (
    ACTIONS,
    IS_FLOW,
    JITTER_FROM_DIFF,
    SIGNAL,
    in_regions,
    rise_parts,
    run_columns,
    signals,
)
from app.spotting.spotter import FLOW_REGIONS, Decider, face_runs, spot, table_evidence, threshold_for
from bench.personwise.evaluate import evaluate_people, load_people, quiet_events
from bench.personwise.inject import INJECT_DIR
from bench.personwise.lopo import lopo, pooled_curve
from bench.personwise.run import FA_CAP
from bench.personwise.score import TOLERANCE_S, Counts, is_real_size
from bench.personwise.spot import candidates
from bench.personwise.track import features_of
from bench.realme.diagnose import ABLATIONS, DECIDE_AFTER_S, STAGES, patched

NOISE_BEFORE_S = 10.0  # a channel's noise: as the evidence's, over this much before the event
BASE_S = 0.3  # the level difference to the control just before the onset is taken off (re-encoding offsets)
TERMS = ("up", "down", "drift", "unreturned", "spread")
ACTIONS_REGION = {a.name: a.region for a in ACTIONS}


@dataclass
class EventResult:
    person: str
    type: str
    amplitude: float
    duration_s: float
    residual: float
    seen_iod: float  # largest landmark level change of the region against the control at the apex, IOD
    seen_noise: float  # ... in that channel's noise units
    flow_noise: float  # largest pixel-motion change of the region, in its noise units
    found: dict[str, bool] = field(default_factory=dict)  # settings name -> found
    in_region: dict[str, bool] = field(default_factory=dict)  # ... by a moment that names the event's region
    by_control: dict[str, bool] = field(default_factory=dict)  # the control (no event) has a moment there too
    stages: dict[str, dict[str, float]] = field(default_factory=dict)  # settings name -> stage -> best ratio
    action: str = ""  # the action carrying the best allowed ratio at the held-out sensitivity
    parts: dict[str, float] = field(default_factory=dict)  # rise terms at the region's best reading (rise units)
    rescued: dict[str, list[str]] = field(default_factory=dict)  # settings name -> ablations that find it


def _region_signals(region: str) -> tuple[list[int], list[int]]:
    """Landmark and pixel-motion signal columns the region's actions read."""
    acts = [a for a in ACTIONS if a.region == region]
    lm = sorted({SIGNAL[a.signal] for a in acts if a.signal in SIGNAL and not a.signal.startswith(("shape_", "flow_"))})
    fl = sorted({SIGNAL[a.signal] for a in acts if a.signal.startswith("flow_")})
    return lm, fl


def seen(table: FeatureTable, control: FeatureTable, e: dict) -> tuple[float, float, float]:
    """The region's largest landmark change at the apex against the control (IOD, noise units) and its
    largest pixel-motion change (noise units)."""
    t = table.t_s
    lv = signals(table.levels, table.blendshapes, table.head)
    diff = lv - signals(control.levels, control.blendshapes, control.head)
    k = int(np.argmin(np.abs(t - e["apex_s"])))
    base = np.nanmedian(diff[(t >= e["onset_s"] - BASE_S) & (t < e["onset_s"])], axis=0)
    prior = lv[(t >= e["onset_s"] - NOISE_BEFORE_S) & (t < e["onset_s"])]
    noise = JITTER_FROM_DIFF * np.nanmedian(np.abs(np.diff(prior, axis=0)), axis=0)
    noise = np.maximum(noise, evidence_module.noise_floor())
    change = np.abs(diff[k] - base)
    lm, fl = _region_signals(REGION_OF[e["type"]])
    j = lm[int(np.nanargmax(change[lm]))]
    return float(change[j]), float(change[j] / noise[j]), float(np.nanmax(change[fl] / noise[fl]))


def _window(t: np.ndarray, e: dict) -> np.ndarray:
    return (t >= e["onset_s"]) & (t <= e["offset_s"] + DECIDE_AFTER_S)


def _hit(moments: list, e: dict, region: str | None = None) -> bool:
    """Whether a moment (naming `region`, if given) hits the event as the benchmark scores it."""
    return any(overlaps(m.start_s, m.end_s, e["onset_s"] - TOLERANCE_S, e["offset_s"] + TOLERANCE_S)
               and (region is None or region in m.regions) for m in moments)


def stages(evidence: list, e: dict, s: Settings) -> tuple[dict[str, float], str]:
    """The best ratio in the event's decision frames after each rule, and the action carrying the first."""
    best = dict.fromkeys(STAGES, -np.inf)
    action = ""
    for ev in evidence:
        rows = _window(ev.t_s, e)
        if not rows.any():
            continue
        trace: dict[str, np.ndarray] = {}
        Decider(s).scores(ev, trace)
        for stage, r in trace.items():
            v = float(r[rows].max())
            if v > best[stage]:
                best[stage] = v
                if stage == "allowed":
                    action = ACTIONS[int(np.argmax(r[rows].max(axis=0)))].name
    return best, action


def parts(table: FeatureTable, e: dict, s: Settings) -> dict[str, float]:
    """The rise's terms (in units of the rise: the noise unit times the window's factor) where the event's
    region reads best among its moment actions and allowed lengths; `unit` is the unit over the noise."""
    region = in_regions(REGION_OF[e["type"]]) & ~(IS_FLOW & ~in_regions(*FLOW_REGIONS))
    best: dict[str, float] = {"rise": -np.inf}
    for a, b in face_runs(table.face):
        t = table.t_s[a:b]
        rows = np.flatnonzero(_window(t, e))
        if not len(rows):
            continue
        c, timing = run_columns(signals(table.levels[a:b], table.blendshapes[a:b], table.head[a:b]),
                                table.head[a:b], t)
        p, ok, _ = rise_parts(c, rows, timing)
        dur = np.array(timing.widths) / timing.fps
        allowed = ok & (dur >= s.min_duration_s - 1e-6) & (dur <= s.max_duration_s + 1e-6)
        rise = np.where(allowed[:, :, None] & region[None, None, :], p.rise(), -np.inf)
        i, w, k = np.unravel_index(np.argmax(rise), rise.shape)
        if rise[i, w, k] <= best["rise"]:
            continue
        sc = p.scale[i, w, k]
        best = {"rise": float(rise[i, w, k]), "length_s": float(dur[w]), "up": float(p.up[i, w, k] / sc),
                "down": float(p.down[i, w, k] / sc), "drift": float(p.drift[i, w, k] / sc),
                "unreturned": evidence_module.K_RETURN * float(p.unreturned[i, w, k] / sc),
                "spread": evidence_module.K_SPREAD * float(p.spread[i, w, k] / sc),
                "unit": float(max(p.noise[i, w, k], evidence_module.ACTIVITY_WEIGHT * p.activity[i, w, k])
                              / p.noise[i, w, k]), "bar": threshold_for(s.sensitivity)}
    return best


def _ablated_evidence(table: FeatureTable, ev_patch: dict, spot_patch: dict) -> list:
    with patched(evidence_module, ev_patch), patched(spotting_module, spot_patch):
        return table_evidence(table)


def _spotted(evidence: list, s: Settings, spot_patch: dict) -> list:
    with patched(spotting_module, spot_patch):
        return spot(evidence, s)


def diagnose(log: Callable[[str], object] = print,
             changed: dict | None = None) -> tuple[list[EventResult], list[tuple[float, Counts]]]:
    """Every real-size event while not talking, and the pooled curve (sensitivity, counts over everyone);
    `changed`: settings other than the sensitivity."""
    base = preset("balanced").replace(**(changed or {}))
    people = load_people(log=log)
    cands = candidates(base, grid={})
    ev = evaluate_people(people, cands)
    chosen = {f.held_out: cands[f.choice] for f in lopo(ev.counts, FA_CAP)}
    out = []
    for pd, inj, _, events in quiet_events(people, is_real_size):
        named = {"balanced": base, "held-out": chosen[pd.person.name], "s100": base.replace(sensitivity=100.0)}
        table = features_of(inj.track, INJECT_DIR / inj.track.source)
        control = features_of(inj.control, INJECT_DIR / inj.control.source)
        evidence = table_evidence(table)
        moments = {name: spot(evidence, s) for name, s in named.items()}
        control_evidence = table_evidence(control)
        chance = {name: spot(control_evidence, s) for name, s in named.items()}
        ablated = {name: (_ablated_evidence(table, ev_p, sp_p) if ev_p else evidence, s_p, sp_p)
                   for name, ev_p, s_p, sp_p in ABLATIONS}
        for e in events:
            r = EventResult(pd.person.name, e["type"], e["amplitude_iod"], e["offset_s"] - e["onset_s"],
                            float(e.get("residual", 0.0)), *seen(table, control, e))
            for name, s in named.items():
                r.found[name] = _hit(moments[name], e)
                r.in_region[name] = _hit(moments[name], e, REGION_OF[e["type"]])
                r.by_control[name] = _hit(chance[name], e)
                r.stages[name], action = stages(evidence, e, s)
                if name == "held-out":
                    r.action = action
                if name != "balanced":
                    r.rescued[name] = [a for a, (abl_ev, s_p, sp_p) in ablated.items() if not r.found[name]
                                       and _hit(_spotted(abl_ev, s.replace(**s_p), sp_p), e)]
            r.parts = parts(table, e, named["held-out"])
            out.append(r)
        log(f"  {pd.person.name} {inj.track.source}: {len(events)} events")
    return out, [(s.sensitivity, c) for s, c in zip(cands, pooled_curve(ev.counts), strict=True)]


def first_drop(r: EventResult, name: str) -> str:
    if r.found[name]:
        return "found"
    return next((s for s in STAGES if r.stages[name][s] < 1.0), "decision")


def summary(results: list[EventResult]) -> list[str]:
    n = len(results)
    lines = [f"{n} real-size events while not talking"]
    for name in ("balanced", "held-out", "s100"):
        found = sum(r.found[name] for r in results)
        drops = Counter(first_drop(r, name) for r in results)
        lines.append(f"{name}: found {found}/{n} ({sum(r.in_region[name] for r in results)} by a moment in the "
                     f"event's region; the control has a moment there for {sum(r.by_control[name] for r in results)}, "
                     f"{sum(r.by_control[name] and r.found[name] for r in results)} of them found); first rule below 1: "
                     + ", ".join(f"{k} {v}" for k, v in drops.most_common()))
        if name != "balanced":
            rescued = Counter(a for r in results for a in r.rescued[name])
            lines.append(f"  {name}, one rule off: " + ", ".join(
                f"{a} +{rescued.get(a, 0)}" for a, *_ in ABLATIONS))
    gain = np.array([r.seen_iod / r.amplitude for r in results])
    lines.append(f"tracker: landmark change at the apex / injected amplitude median {np.median(gain):.2f} "
                 f"[{np.percentile(gain, 25):.2f}-{np.percentile(gain, 75):.2f}]; in noise units median "
                 f"{np.median([r.seen_noise for r in results]):.1f}, >= 4 units {sum(r.seen_noise >= 4 for r in results)}"
                 f"/{n}; pixel motion >= 4 units {sum(r.flow_noise >= 4 for r in results)}/{n}")
    allowed = np.array([r.stages["held-out"]["allowed"] for r in results])
    lines.append(f"held-out best allowed ratio (before flags and vetoes): median {np.median(allowed):.2f}, "
                 f">= 1 for {int((allowed >= 1).sum())}/{n}; carried by the event's region for "
                 f"{sum(ACTIONS_REGION.get(r.action) == REGION_OF[r.type] for r in results)}/{n}")
    med = {k: np.median([r.parts[k] for r in results if k in r.parts]) for k in (*TERMS, "unit", "rise")}
    lines.append("rise terms at the region's best reading (rise units, medians): " +
                 ", ".join(f"{k} {v:.2f}" for k, v in med.items()) +
                 f"; the learned unit over the noise > 1.5 for {sum(r.parts.get('unit', 0) > 1.5 for r in results)}/{n}")
    ladder = {"as read": lambda p: p["rise"], "no penalties": lambda p: p["up"],
              "noise unit": lambda p: p["rise"] * p["unit"], "noise unit, no penalties": lambda p: p["up"] * p["unit"]}
    lines.append("the region's best reading over the held-out bar: " + ", ".join(
        f"{k} {sum(f(r.parts) >= r.parts['bar'] for r in results)}" for k, f in ladder.items()))
    for t in sorted({r.type for r in results}):
        rs = [r for r in results if r.type == t]
        lines.append(f"  {t}: {len(rs)} events, found held-out {sum(r.found['held-out'] for r in rs)}, "
                     f"s100 {sum(r.found['s100'] for r in rs)}; seen / amplitude {np.median([r.seen_iod / r.amplitude for r in rs]):.2f}, "
                     f"noise units {np.median([r.seen_noise for r in rs]):.1f}, rise {np.median([r.parts['rise'] for r in rs]):.2f}")
    return lines


def event_table(results: list[EventResult]) -> list[str]:
    lines = ["| person | type | IOD | s | residual | seen IOD (noise) | flow noise | found bal/held/s100 | "
             "held-out: allowed, flags, longer, explained, final | action | " + " | ".join(TERMS) + " | unit | rise |",
             "|---|---|---|---|---|---|---|---|---|---|" + "---|" * len(TERMS) + "---|---|"]
    for r in results:
        st = r.stages["held-out"]
        sc = ", ".join(f"{st[k]:.2f}" for k in ("allowed", "flag_head_fast", "longer_window", "explained_head_motion",
                                               "confirmed"))
        p = r.parts
        lines.append(f"| {r.person} | {r.type} | {r.amplitude:.3f} | {r.duration_s:.2f} | {r.residual:.2f} | "
                     f"{r.seen_iod:.3f} ({r.seen_noise:.1f}) | {r.flow_noise:.1f} | "
                     f"{'/'.join('y' if r.found[k] else '-' for k in ('balanced', 'held-out', 's100'))} | {sc} | "
                     f"{r.action} | " + " | ".join(f"{p.get(k, np.nan):.2f}" for k in TERMS)
                     + f" | {p.get('unit', np.nan):.1f} | {p.get('rise', np.nan):.2f} |")
    return lines


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.realme.realsize", description=__doc__.splitlines()[0])
    ap.add_argument("--events", action="store_true", help="print the per-event table too")
    ap.add_argument("--variant", default="current", help="a name of bench.realme.variants.VARIANTS")
    args = ap.parse_args(argv)
    from bench.realme.variants import VARIANTS

    ev_patch, spot_patch, *changed = VARIANTS[args.variant]
    with patched(evidence_module, ev_patch), patched(spotting_module, spot_patch):
        results, curve = diagnose(lambda m: print(m, file=sys.stderr), changed[0] if changed else None)
    print("\n".join(summary(results)))
    print("pooled over everyone, by sensitivity: FA/min (quiet), core recall, real-size quiet recall: " + "; ".join(
        f"s{x:g} {c.fa_per_min:.2f} ({c.fa_quiet_per_min:.2f}), {c.core_recall:.2f}, {c.real_quiet_recall:.2f}"
        for x, c in curve if x % 10 == 0))
    if args.events:
        print()
        print("\n".join(event_table(results)))
    print(f"(bars: balanced {threshold_for(50):.2f}, s100 {threshold_for(100):.2f} noise units)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
