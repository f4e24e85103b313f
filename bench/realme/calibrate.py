"""Are the benchmark's "real-size" injected events as large as real micro-expressions, as the tracker sees both?

    python -m bench.realme.calibrate

The real clips' sizes (`bench.realme.amplitude`: 1.3-3.2% IOD in four of six) are landmark displacements
the tracker measured; the person-wise benchmark injects its real-size events (`score.REAL_SIZE_IOD`) as a
pixel warp of that amplitude at the driving landmarks, and the tracker returns only part of a warp. So both
are measured here by one function, `bench.realme.amplitude.displacement` (each region's mean 2-D landmark
shift from a reference frame, rigid motion removed, median over about 40 ms: a single frame at 30 frames/s, in IOD):

- a real clip in its call-like context (`bench.realme.run`, 30 fps, 120/200/300 px): from the onset frame,
  the peak over the clip (+0.1 s) in the region that moves most, and the same measure's peak over as long a
  stretch of the still lead-in (what head micro-motion and compression alone give);
- an injected event: the shift of the injected clip's landmarks minus the control's (the same frames without
  the warp, so the person's own movement cancels), from the frame before onset, peak over the event in its
  own region (`bench.personwise.seen`); as a share of the injected amplitude.

Then the held-out recall (leave one person out, as `bench personwise`) of brief events while the person does
not talk, by the size injected and by the size seen.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

import numpy as np

from app.settings.schema import preset
from app.spotting.spotter import spot, table_evidence
from bench.personwise.evaluate import evaluate_people, load_people, quiet_events
from bench.personwise.inject import INJECT_DIR
from bench.personwise.lopo import lopo
from bench.personwise.run import FA_CAP
from bench.personwise.score import CORE_AMPLITUDE_IOD, REAL_SIZE_IOD, is_brief, wilson
from bench.personwise.seen import pixels, seen_iod
from bench.personwise.spot import candidates
from bench.personwise.track import features_of
from bench.realme.amplitude import displacement, median_frames
from bench.realme.realsize import _hit
from bench.realme.run import cases

TAIL_S = 0.1  # a real clip's peak is looked for until this long after its coded offset
LEAD_S = 1.0  # the lead-in stretch ends this long before the onset (the context's own movement only)


def real_clips(log: Callable[[str], object]) -> list[tuple[str, int, str, float, float]]:
    """(clip, face px, region moving most, its peak IOD, the lead-in's peak IOD) per 30 fps case."""
    out = []
    for case in cases(log=log, fps_list=(30,)):
        fps, tr = case.variant.fps, case.track
        a, b = round(case.onset_s * fps), round((case.offset_s + TAIL_S) * fps)
        traces, _ = displacement(pixels(tr, a, b), median_frames(fps))
        region = max(traces, key=lambda r: float(traces[r].max()))
        lead_b = round((case.onset_s - LEAD_S) * fps)
        lead, _ = displacement(pixels(tr, lead_b - (b - a), lead_b), median_frames(fps))
        out.append((case.clip.short, case.variant.face_px, region, float(traces[region].max()),
                    float(max(t.max() for t in lead.values()))))
    return out


def injected(log: Callable[[str], object]) -> list[tuple[str, str, float, float]]:
    """(person, type, amplitude IOD, seen share) per brief injected event (100-450 ms) of every clip."""
    out = []
    for pd in load_people(log=log):
        for inj, _ in pd.injected:
            for e in inj.truth["events"]:
                if e["kind"] == "micro" and is_brief(e):
                    out.append((pd.person.name, e["type"], float(e["amplitude_iod"]),
                                seen_iod(inj.track, inj.control, e) / float(e["amplitude_iod"])))
    return out


def held_out(log: Callable[[str], object]) -> list[tuple[float, float, bool, bool]]:
    """(injected amplitude, seen IOD, found, found by the control too) per brief event while the person does
    not talk, at the sensitivity leave-one-person-out chose for that person (balanced preset otherwise)."""
    base = preset("balanced")
    people = load_people(log=log)
    cands = candidates(base, grid={})
    chosen = {f.held_out: cands[f.choice] for f in lopo(evaluate_people(people, cands).counts, FA_CAP)}
    out = []
    for pd, inj, _, events in quiet_events(people, is_brief, seen=True):
        s = chosen[pd.person.name]
        moments = spot(table_evidence(features_of(inj.track, INJECT_DIR / inj.track.source)), s)
        chance = spot(table_evidence(features_of(inj.control, INJECT_DIR / inj.control.source)), s)
        out += [(float(e["amplitude_iod"]), e["seen_iod"], _hit(moments, e), _hit(chance, e))
                for e in events if np.isfinite(e["seen_iod"])]
    return out


def main() -> int:
    quiet = lambda m: print(m, file=sys.stderr)  # noqa: E731
    real = real_clips(quiet)
    print("Real clips in the call-like context (30 fps), the tracker's landmarks, from the onset frame:\n")
    print("| clip | face px | moves most | peak, % IOD | lead-in alone, % IOD |")
    print("|---|---|---|---|---|")
    for clip, px, region, peak, lead in real:
        print(f"| {clip} | {px} | {region} | {100 * peak:.1f} | {100 * lead:.1f} |")
    raw = np.array([r[3] for r in real])
    leads = np.array([r[4] for r in real])
    # what the context alone gives is taken off (in quadrature, as independent noise) so that the real clips'
    # sizes are not inflated beside the injected events', which are read against their control
    peaks = np.sqrt(np.maximum(raw ** 2 - leads ** 2, 0.0))
    print(f"\nmedian peak {100 * np.median(raw):.1f}% IOD (range {100 * raw.min():.1f}-{100 * raw.max():.1f}); "
          f"the lead-in alone {100 * np.median(leads):.1f}% (range {100 * leads.min():.1f}-{100 * leads.max():.1f}); "
          f"the peak with the lead-in's taken off {100 * np.median(peaks):.1f}% (10th-90th percentile "
          f"{100 * np.percentile(peaks, 10):.1f}-{100 * np.percentile(peaks, 90):.1f})")

    ev = [r for r in injected(quiet) if np.isfinite(r[3])]
    share = np.array([r[3] for r in ev])
    amp = np.array([r[2] for r in ev])
    print("\nInjected brief events (100-450 ms), landmark shift of the event's region against the control, "
          "as a share of the injected amplitude:\n")
    print("| events | n | seen share: median [IQR] | seen, % IOD: median |")
    print("|---|---|---|---|")
    lo, hi = REAL_SIZE_IOD
    real_name = f"real-size ({100 * lo:g}-{100 * hi:g}% injected)"
    groups = {"all": np.ones(len(ev), bool), real_name: (amp >= lo - 1e-9) & (amp <= hi + 1e-9),
              f"core (>= {100 * CORE_AMPLITUDE_IOD:g}% injected)": amp >= CORE_AMPLITUDE_IOD - 1e-9}
    groups.update({f"type {t}": np.array([r[1] == t for r in ev]) for t in sorted({r[1] for r in ev})})
    for name, m in groups.items():
        if m.any():
            q1, q2, q3 = np.percentile(share[m], [25, 50, 75])
            print(f"| {name} | {int(m.sum())} | {q2:.2f} [{q1:.2f}-{q3:.2f}] | {100 * np.median(share[m] * amp[m]):.1f} |")
    k = float(np.median(share))
    print(f"\nAn injected amplitude A is seen as about {k:.2f} A (all brief events; the real-size ones "
          f"{np.median(share[groups[real_name]]):.2f} A): the real clips' median peak, the lead-in taken off "
          f"({100 * np.median(peaks):.1f}% IOD seen), is what an injected {100 * np.median(peaks) / k:.1f}% gives.")

    rows = held_out(quiet)
    print("\nHeld out (leave one person out, tuned for natural FA <= 2/min on the others), brief events while the "
          "person does not talk, by the size the tracker sees (against the control) and by the injected size:\n")
    print("| events | n | found | recall [95% CI] | the control has a moment there too |")
    print("|---|---|---|---|---|")
    bins = {f"injected {100 * lo:g}-{100 * hi:g}% (the benchmark's real-size)": lambda a, v: lo - 1e-9 <= a <= hi + 1e-9,
            "seen 1.0-3.0% (real micro-expressions' range, landmark space)": lambda a, v: 0.01 <= v <= 0.03,
            "seen under 1.0%": lambda a, v: v < 0.01, "seen 1.0-2.0%": lambda a, v: 0.01 <= v < 0.02,
            "seen 2.0-3.0%": lambda a, v: 0.02 <= v < 0.03, "seen 3.0% and more": lambda a, v: v >= 0.03}
    for name, keep in bins.items():
        sel = [r for r in rows if keep(r[0], r[1])]
        hits = sum(r[2] for r in sel)
        lo_ci, hi_ci = wilson(hits, len(sel))
        print(f"| {name} | {len(sel)} | {hits} | {hits / max(len(sel), 1):.2f} [{lo_ci:.2f}-{hi_ci:.2f}] | "
              f"{sum(r[2] and r[3] for r in sel)} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
