"""The spotter's share of the live prompt latency, offline (`python -m bench.live.spotter_delay`).

The live bench's clips (bench/live/latency.py: injected brief expressions every 5 s, 30 frames/s, 640x480
and 1280x720), tracked at every frame (the app's feature cache keeps them), fed to the online `Spotter` at
the live page's settings (defaults, no quiet time), with no GUI and no load: deterministic. Per event, as
the live bench does: the first moment overlapping it, and the spotter's delay from the event's end to the
frame whose decision completed that moment. Also counted: events overlapped by more than one moment (a
change reported early as a brief one, then again). `NAME ...`: rows of bench.realme.variants (its patched
rules), one after the other on the same tables; none: the spotter as it is.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bench.common.paths import ROOT
from bench.live.latency import SIZES, make_clips


@dataclass(frozen=True)
class Delays:
    size: tuple[int, int]
    lengths_s: list[float]  # the prompted events' lengths
    delays_s: list[float]  # event end -> the frame that completed its moment
    events: int
    moments: int
    split: int  # events overlapped by more than one moment


def tables(work: Path, events: int) -> tuple[dict, dict]:
    """The injected events and, per size, the clip's feature table (tracked once, then cached)."""
    from app.run.tracked import features_for

    truth, clips = make_clips(work, events)
    return truth, {size: features_for(clips[size], None, caching=True).table for size in SIZES}


def delays(table, truth: dict, size: tuple[int, int], changed: dict | None = None) -> Delays:
    """Feed every frame to the online spotter at the live page's settings (with `changed`) and match
    moments to events."""
    from app.settings.schema import Settings
    from app.spotting.spotter import Spotter

    spotter = Spotter(Settings(cooldown_s=0.0).replace(**(changed or {})))
    decided = [(float(table.t_s[i]), m) for i in range(len(table)) for m in spotter.update(table.row(i))]
    decided += [(float(table.t_s[-1]), m) for m in spotter.flush()]
    lengths, late, split = [], [], 0
    for e in truth["events"]:
        hits = [(t, m) for t, m in decided if m.start_s < e["offset_s"] and m.end_s > e["onset_s"]]
        split += len(hits) > 1
        if hits:
            lengths.append(round(e["offset_s"] - e["onset_s"], 3))
            late.append(hits[0][0] - e["offset_s"])
    return Delays(size, lengths, late, len(truth["events"]), len(decided), split)


def _ms(values: list[float], q: float) -> str:
    return f"{1000 * float(np.percentile(values, q)):.0f}" if values else "n/a"


def report(runs: list[Delays]) -> str:
    every = [x for r in runs for x in r.delays_s]
    lines = [f"{r.size[0]}x{r.size[1]}: {len(r.delays_s)}/{r.events} events, delay p50 {_ms(r.delays_s, 50)} / "
             f"p95 {_ms(r.delays_s, 95)} ms, {r.moments} moments, {r.split} events split" for r in runs]
    lines.append(f"both sizes: {len(every)} events, spotter's delay p50 {_ms(every, 50)} / p95 {_ms(every, 95)} ms, "
                 f"max {_ms(every, 100)} ms; {sum(r.split for r in runs)} events split")
    for d in sorted({x for r in runs for x in r.lengths_s}):
        of = [x for r in runs for x, n in zip(r.delays_s, r.lengths_s, strict=True) if n == d]
        lines.append(f"  {1000 * d:3.0f} ms events: {len(of):2d}, p50 {_ms(of, 50)} / p95 {_ms(of, 95)} ms, "
                     f"longest {_ms(of, 100)} ms")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.live.spotter_delay", description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=24, help="injected expressions per clip (as the live bench)")
    ap.add_argument("--work", default=str(ROOT / "out" / "bench_live"), help="where the clips are cached")
    ap.add_argument("variants", nargs="*", help="rows of bench.realme.variants (default: the spotter as it is)")
    a = ap.parse_args(argv)
    truth, by_size = tables(Path(a.work), a.events)
    if not a.variants:
        print(report([delays(by_size[size], truth, size) for size in SIZES]))
        return 0
    from app.spotting import evidence as evidence_module
    from app.spotting import spotter as spotting_module
    from bench.realme.diagnose import patched
    from bench.realme.variants import VARIANTS

    for name in a.variants:
        ev_patch, spot_patch, *changed = VARIANTS[name]
        with patched(evidence_module, ev_patch), patched(spotting_module, spot_patch):
            runs = [delays(by_size[size], truth, size, changed[0] if changed else None) for size in SIZES]
        print(f"{name}\n{report(runs)}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
