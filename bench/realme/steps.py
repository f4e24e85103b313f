"""What tells a real micro-expression's step from a listener's natural quiet step (issue 19, phase 5c).

    python -m bench.realme.steps extra      # natural moments a variant adds held out (LOPO), with strips
    python -m bench.realme.steps measure    # candidate separating evidence: real clips, real-size events, those moments

`extra`: the leave-one-person-out folds under the rules phase 5c started from (BASE) and under VARIANT (phase 4's row 16d); per
held-out person, the natural moments at the fold's chosen sensitivity that the variant adds (no moment of the
base rules overlaps them), with their labels, and a strip of frames for each under out/real_me/steps/
(research-only frames: never committed). `measure`: at the cell (decision frame, action, window) that
carries a change under the variant, the terms of its rise and candidate evidence of a real onset, for the
real clips in context (30 fps), the injected real-size events while quiet that the variant finds, and the
natural moments it adds.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

from app.face.features import FeatureTable
from app.settings.schema import Settings, preset
from app.spotting import evidence
from app.spotting import spotter as spotting
from app.spotting.spotter import face_runs, threshold_for
from bench.personwise.evaluate import Evaluated, PersonData, evaluate_people, load_moment_labels, load_people
from bench.personwise.lopo import Fold, lopo
from bench.personwise.run import FA_CAP
from bench.personwise.score import label_of, overlaps
from bench.personwise.spot import candidates
from bench.personwise.track import features_of
from bench.realme.diagnose import patched
from bench.realme.variants import VARIANTS

BASE = "before change 17"  # phase 5c's start (0'): both are measured from that spotter
VARIANT = "young gain 1 + fast small onset, both sensors 3"
OUT = Path("out/real_me/steps")


def _folds(people: list[PersonData], variant: str) -> tuple[list[Fold], Evaluated]:
    cands = candidates(grid={})
    ev_patch, spot_patch, *_ = VARIANTS[variant]
    with patched(evidence, ev_patch), patched(spotting, spot_patch):
        ev = evaluate_people(people, cands)
    return lopo(ev.counts, FA_CAP), ev


def extra_moments(people: list[PersonData], variant: str = VARIANT) -> list[dict]:
    """Natural moments the variant adds on each held-out person, at the fold's choice."""
    base_folds, base = _folds(people, BASE)
    var_folds, var = _folds(people, variant)
    labels = load_moment_labels()
    clips = {Path(c).name: c for pd in people for c, _ in pd.natural}
    out = []
    for bf, vf in zip(base_folds, var_folds, strict=True):
        b_ms = base.natural_moments[bf.held_out][bf.choice]
        v_ms = var.natural_moments[vf.held_out][vf.choice]
        print(f"{bf.held_out}: base s{bf.choice * 5} fa {bf.held.fa}, variant s{vf.choice * 5} fa {vf.held.fa}",
              file=sys.stderr)
        for clip, ms in v_ms.items():
            for m in ms:
                if any(overlaps(m["start_s"], m["end_s"], o["start_s"], o["end_s"]) for o in b_ms.get(clip, [])):
                    continue
                lab = label_of(m, labels.get(clip, []))
                out.append({"person": bf.held_out, "clip": clip, "path": clips[clip], **m,
                            "sensitivity": vf.choice * 5, "label": lab["label"] if lab else None})
    return out


def main_extra(variant: str = VARIANT) -> int:
    people = load_people(log=lambda m: print(m, file=sys.stderr))
    moments = extra_moments(people, variant)
    OUT.mkdir(parents=True, exist_ok=True)
    tag = "" if variant == VARIANT else "-" + variant.replace(" ", "_").replace(",", "")
    (OUT / f"extra{tag}.json").write_text(json.dumps(moments, indent=1) + "\n")
    from bench.personwise.strips import write_strips
    write_strips(moments, OUT / f"strips{tag}")
    for i, m in enumerate(moments):
        print(f"#{i} {m['person']} {m['clip']} {m['start_s']:.2f}-{m['end_s']:.2f} {'+'.join(m['regions'])} "
              f"str {m['strength']:.1f} s{m['sensitivity']} label {m['label']}")
    return 0


# Bilateral partners: an action's mirror (for symmetry)
_MIRROR = {a.name: a.name.replace("right", "@").replace("left", "right").replace("@", "left") for a in evidence.ACTIONS}
_HEAD, _BLINK, _JAW = evidence.in_regions("head"), evidence.in_regions("blink"), evidence.in_regions("jaw")
_REGION_FLOW = {r: np.array([a.region == r and a.signal in evidence.FLOW_SIGNALS for a in evidence.ACTIONS])
                for r in evidence.SEEN_REGIONS}


def cells(table: FeatureTable, t_lo: float, t_hi: float, settings: Settings, variant: str = VARIANT) -> dict | None:
    """Under the variant: the cell (decision frame in [t_lo, t_hi], reportable action, allowed window) with
    the highest rise over the bar, and the candidate evidence there."""
    from app.spotting.spotter import Decider

    theta = threshold_for(settings.sensitivity)
    best: dict | None = None
    with patched(evidence, VARIANTS[variant][0]):
        for a, b in face_runs(table.face):
            t = table.t_s[a:b]
            rows = np.flatnonzero((t >= t_lo) & (t <= t_hi))
            if not len(rows):
                continue
            lv = evidence.signals(table.levels[a:b], table.blendshapes[a:b], table.head[a:b])
            c, timing = evidence.run_columns(lv, table.head[a:b], t)
            parts, ok, ends = evidence.rise_parts(c, rows, timing)
            dec = Decider(settings)
            bar = dec._allowed_bar(timing).T[None]  # (1, W, A)
            score = np.where(ok[:, :, None] & np.isfinite(bar), parts.rise() / theta, -np.inf)
            i, w, k = np.unravel_index(np.argmax(score), score.shape)
            if best is not None and score[i, w, k] <= best["score"]:
                continue
            best = _evidence(c, parts, timing, int(i), int(w), int(k), int(ends[i, 0]), float(score[i, w, k]))
    return best


def _evidence(c: evidence.Columns, parts: evidence.RiseParts, timing: evidence.Timing, i: int, w: int, k: int, e: int,
              score: float) -> dict:
    """The candidate evidence at decision row i, window w, action k (the window ends at column row e)."""
    width = timing.widths[w]
    b = e - width
    up, down, scale = (float(getattr(parts, n)[i, w, k]) for n in ("up", "down", "scale"))
    noise, act = float(parts.noise[i, w, k]), float(parts.activity[i, w, k])
    lo = max(b - timing.pre + 1, 1)
    steps = np.diff(c.x[lo - 1:e + 1], axis=0)  # (rows, A) per-frame change, signed as each action
    onset = float(steps[:, k].max())
    region = evidence.ACTIONS[k].region
    flow_speed = np.nan
    if region in _REGION_FLOW:
        fl = _REGION_FLOW[region]
        flow_speed = float((steps[:, fl] / c.noise[b, fl]).max())
    window = c.x[e - width + 1:e + 1, k]
    apex, before = float(window.max()), float(c.before[b, k])
    after = float(c.after[e + timing.post, k]) if e + timing.post < len(c.x) else np.nan
    mirror = evidence.ACTION_INDEX.get(_MIRROR[evidence.ACTIONS[k].name], k)
    both = parts.both_sensors(np.float32(evidence.PARTIAL_CORROBORATION))[i, w]
    seen = (parts.up[i, w] >= 3 * parts.scale[i, w]).astype(np.float32)
    regions_both = int((((seen @ evidence.TRACKER_REGION) > 0) & ((seen @ evidence.FLOW_REGION) > 0)).sum())
    regions_any = int((((seen @ evidence._REGION_HOT) > 0)).sum())
    units_all = parts.up[i, w] / parts.scale[i, w]  # (A,) every action's onset in its own units
    rises = parts.rise()[i, w]
    return {"score": score, "action": evidence.ACTIONS[k].name, "window_s": width / timing.fps, "up_iod": up,
            "returned": down / up if up > 0 else np.nan, "units": up / scale,
            "onset_noise": onset / noise, "onset_share": onset / up if up > 0 else np.nan, "flow_onset_noise": flow_speed,
            "overshoot": (apex - after) / (apex - before) if apex > before else np.nan,
            "mirror": float(parts.up[i, w, mirror]) / up if mirror != k and up > 0 else np.nan,
            "regions_both": regions_both, "regions_any": regions_any, "both_here": bool(both[k]),
            "up_activity": up / act if act > 0 else np.inf,
            "head_up": float(units_all[_HEAD].max()) / (up / scale), "head_rise": float(rises[_HEAD].max()) / (up / scale),
            "blink_up": float(units_all[_BLINK].max()) / (up / scale), "jaw_up": float(units_all[_JAW].max()) / (up / scale),
            # whether the variant's partial reading applies here (RiseParts.rise's conditions, restated)
            "partial": bool(not parts.talking[i, w, 0] and evidence.MIN_RETURNED * up <= down < up
                            and width / timing.fps <= evidence.PARTIAL_MAX_WINDOW_S and up <= evidence.PARTIAL_MAX_RISE and both[k])}


KEYS = ("window_s", "up_iod", "returned", "units", "onset_noise", "onset_share", "flow_onset_noise", "overshoot",
        "mirror", "regions_both", "regions_any", "up_activity", "head_up", "head_rise", "blink_up", "jaw_up")


def main_measure() -> int:
    from bench.personwise.inject import INJECT_DIR
    from bench.personwise.score import in_spans, is_real_size
    from bench.personwise.talking import load_labels
    from bench.realme.run import FEATURES, cases

    settings = preset("balanced")
    rows: list[tuple[str, str, dict]] = []
    for case in cases(log=lambda m: print(m, file=sys.stderr), fps_list=(30,)):
        table = features_of(case.track, case.video, FEATURES)
        got = cells(table, case.onset_s, case.offset_s + evidence.POST_S + 0.6, settings)
        if got:
            rows.append(("real_me", f"{case.clip.short} {case.variant.tag}", got))
    people = load_people(log=lambda m: print(m, file=sys.stderr))
    talking = load_labels()
    for pd in people:
        for inj, src in pd.injected:
            if inj.round_no < inj.source.rounds:
                continue  # real-size rounds only
            spans = talking.get(Path(inj.source.clip).name, [])
            table = features_of(inj.track, INJECT_DIR / inj.track.source)
            for event in inj.truth["events"]:
                mid = (event["onset_s"] + event["offset_s"]) / 2
                k = min(max(int(round(mid * src.fps)), 0), len(inj.order) - 1)
                if not is_real_size(event) or in_spans(float(src.t_s[inj.order[k]]), spans):
                    continue
                got = cells(table, event["onset_s"], event["offset_s"] + evidence.POST_S + 0.6, settings)
                if got:
                    what = f"{pd.person.name} {event['type']} {event['amplitude_iod']:.3f} r{event.get('residual', 0)}"
                    rows.append(("injected", what, got))
    extra = json.loads((OUT / "extra.json").read_text())
    tables = {}
    for m in extra:
        if m["path"] not in tables:
            from bench.personwise.track import tracked
            tables[m["path"]] = features_of(tracked(m["path"]), m["path"])
        s = settings.replace(sensitivity=float(m["sensitivity"]))
        got = cells(tables[m["path"]], m["start_s"], m["end_s"] + evidence.POST_S + 0.3, s)
        if got:
            rows.append(("natural", f"{m['person']} {m['clip']} {m['start_s']:.2f} {m['label']}", got))
    (OUT / "measure.json").write_text(json.dumps([{"group": g, "what": w, **d} for g, w, d in rows], indent=1,
                                                 default=float) + "\n")
    for g, w, d in rows:
        print(f"{g:9s} {w:50s} {d['action']:22s} sc {d['score']:.2f} " + " ".join(f"{k} {d[k]:.3g}" for k in KEYS))
    return 0


if __name__ == "__main__":
    mode = sys.argv[1:2]
    sys.exit(main_extra(*sys.argv[2:3]) if mode == ["extra"] else main_measure() if mode == ["measure"] else 1)
