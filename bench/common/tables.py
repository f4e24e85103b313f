"""Text and Markdown tables of the benchmark's figures, and the one-screen `--quick` summary."""

from __future__ import annotations

import time
from pathlib import Path

from app.settings.schema import PRESETS, preset
from bench.accuracy.dataset import TWO_FRAME_MAX, Video, split_label
from bench.accuracy.scoring import best_under, frames_visible, is_core, score, sweep
from bench.accuracy.spotters import EvidenceCache

# ----------------------------------------------------------------------------------------------
# Text tables.

def _f(v: float | None, digits: int = 2) -> str:
    return "-" if v is None else f"{v:.{digits}f}"


def _r(rate: dict) -> str:
    return "-" if rate["recall"] is None else f"{rate['recall']:.2f} ({rate['hits']}/{rate['events']})"


def metric_rows(r: dict) -> list[tuple[str, str]]:
    """(label, value) rows of one result, in table order."""
    ci = r["core"]["ci95"]
    rows = [
        ("Core recall (micro 100-450 ms, >= 0.045 IOD)", _r(r["core"])),
        ("  95 % interval", "-" if ci is None else f"{ci[0]:.2f}-{ci[1]:.2f}"),
        ("Core recall without nose_wrinkle", _r(r["core_no_nose"])),
        ("Recall, all micro events", _r(r["all_micro"])),
        ("Recall, 2-frame events (warp on <= 2 frames)", _r(r["two_frame"])),
    ]
    rows += [(f"  duration {k}", _r(v)) for k, v in r["by_duration"].items()]
    rows += [(f"  amplitude {k}", _r(v)) for k, v in r["by_amplitude"].items()]
    rows += [(f"  region {k}", _r(v)) for k, v in r["by_region"].items()]
    rows += [(f"  type {k}", _r(v)) for k, v in r["by_type"].items()]
    rows += [
        ("Precision (injected videos)", f"{_f(r['precision'])} ({r['moments_injected']} moments)"),
        ("False alarms / min, natural videos", f"{_f(r['fa_per_min_natural'])} ({r['false_alarms_natural']})"),
        ("  distinct places in the footage", str(r["false_alarms_natural_places"])),
        ("  of them at ping-pong turns", str(r["false_alarms_natural_at_turns"])),
        ("False alarms / min, injected (off all events)",
         f"{_f(r['fa_per_min_injected'])} ({r['false_alarms_injected']})"),
        ("  of them at ping-pong turns", str(r["false_alarms_injected_at_turns"])),
        ("Macro events reported as moments",
         f"{_f(r['macro_reported'])} ({r['macro_reported_count']}/{r['macro_events']})"),
        ("  not counting the footage's own moments", f"{_f(r['macro_reported_not_footage'])} "
         f"({r['macro_reported_not_footage_count']}/{r['macro_events']})"),
        ("MEGC F1 (IoU >= 0.5)",
         f"{_f(r['megc']['f1'])} (TP {r['megc']['tp']} FP {r['megc']['fp']} FN {r['megc']['fn']})"),
        ("Longest moment / max_duration (s)", f"{r['longest_moment_s']:.2f} / {r['max_duration_s']:.2f}"
         + (f" ({r['moments_over_max']} over, {r['glances_over_max']} glances)" if r["moments_over_max"] else "")),
    ]
    return rows


def text_table(results: dict[str, dict], title: str = "") -> str:
    """A fixed-width table: one column per named result."""
    names = list(results)
    rows = [metric_rows(results[n]) for n in names]
    labels = [label for label, _ in rows[0]]
    widths = [max(len(n), *(len(rw[i][1]) for i in range(len(labels)))) for n, rw in zip(names, rows, strict=True)]
    lw = max(len(x) for x in labels)
    lines = [title] if title else []
    lines.append(" " * lw + "  " + "  ".join(n.rjust(w) for n, w in zip(names, widths, strict=True)))
    for i, label in enumerate(labels):
        lines.append(label.ljust(lw) + "  " + "  ".join(rw[i][1].rjust(w) for rw, w in zip(rows, widths, strict=True)))
    return "\n".join(lines)


def md_table(results: dict[str, dict]) -> str:
    names = list(results)
    rows = [metric_rows(results[n]) for n in names]
    lines = ["| metric | " + " | ".join(names) + " |", "|---" * (len(names) + 1) + "|"]
    for i, (label, _) in enumerate(rows[0]):
        lab = label.strip()
        lab = f"&nbsp;&nbsp;{lab}" if label.startswith("  ") else lab
        lines.append(f"| {lab} | " + " | ".join(rw[i][1] for rw in rows) + " |")
    return "\n".join(lines)


def dataset_summary(videos: list[Video]) -> dict:
    inj = [v for v in videos if not v.natural]
    nat = [v for v in videos if v.natural]
    micro = [e for v in inj for e in v.truth["events"] if e["kind"] == "micro"]
    macro = [e for v in inj for e in v.truth["events"] if e["kind"] == "macro"]
    return {
        "bases": sorted({v.plan.base.name for v in videos}),
        "injected_videos": len(inj), "natural_videos": len(nat),
        "minutes_injected": sum(v.duration_s for v in inj) / 60, "minutes_natural": sum(v.duration_s for v in nat) / 60,
        "micro": len(micro), "macro": len(macro), "core": sum(is_core(e) for e in micro),
        "two_frame": sum(frames_visible(e, float(v.truth["fps"])) <= TWO_FRAME_MAX
                         for v in inj for e in v.truth["events"] if e["kind"] == "micro"),
        "seeds": [v.plan.seed for v in inj],
    }


def quick(split: str, root: Path, cache: EvidenceCache | None = None, naive: bool = False) -> str:
    """The one-screen table for the three presets (and a sweep summary) on one split."""
    cache = cache or EvidenceCache()
    t0 = time.perf_counter()
    results = {name: score(split, preset(name), cache, root=root) for name in PRESETS}
    if naive:
        results["naive@50"] = score(split, preset("balanced"), cache, spotter="naive", root=root)
    t1 = time.perf_counter()
    points = sweep(split, cache, root=root)
    t2 = time.perf_counter()
    d = dataset_summary(cache.split(split, root))
    head = (f"{split_label(split)}: {d['injected_videos']} injected videos ({d['minutes_injected']:.1f} min, "
            f"{d['micro']} micro of which {d['core']} core and {d['two_frame']} 2-frame, {d['macro']} macro), "
            f"{d['natural_videos']} natural ({d['minutes_natural']:.1f} min)")
    lines = [text_table(results, head), ""]
    for cap in (1.0, 3.0, 5.0):
        rec, p = best_under(points, cap)
        lines.append(f"sweep: best core recall at <= {cap:g} false alarms/min (natural): "
                     + ("none" if p is None else f"{rec:.2f} at sensitivity {p['settings']['sensitivity']:g} "
                        f"({p['fa_per_min_natural']:.2f}/min)"))
    lines.append(f"(scored in {t1 - t0:.1f} s incl. evidence; sweep of {len(points)} settings in {t2 - t1:.1f} s)")
    return "\n".join(lines)
