"""What a flaky call costs (`python -m bench.personwise.freezes`): the person-wise benchmark's injected
clips with the call video pausing every PERIOD_S seconds for FREEZE_S, at the balanced preset.

A pause is simulated as live mode meets it (`app.run.pipeline.watch_call`): the frozen rows are never
fed, and the face run is broken at the first new picture after them. Four arms on the same rows: no
pauses; each pause starting a fresh run (the person's noise estimates learned again, a larger change
needed for ten seconds and two seconds of warm-up: before); each pause keeping them (`Breaks.paused`) but
warming up again (`spotter.WARMUP_AFTER_PAUSE`); keeping them and the warm-up counted from the person's
first run (now). Events that fall in a
freeze are left out of every arm. Counted: brief events found while the person does not talk (all, the
core ones, those as large as real micro-expressions as the tracker sees them), and moments a minute on
the natural footage. Nothing is tuned here: every arm runs the shipped preset.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

from app.face.features import FeatureTable
from app.settings.schema import preset
from app.spotting import spotter as spotting_module
from app.spotting.spotter import Breaks, spot, table_evidence
from bench.personwise.evaluate import PersonData, load_people, quiet_events
from bench.personwise.inject import INJECT_DIR
from bench.personwise.score import TOLERANCE_S, is_brief, is_core, is_seen_real, wilson
from bench.personwise.track import features_of
from bench.realme.diagnose import patched

PERIOD_S = 15.0
FREEZE_S = 0.5
ARMS = ("no pauses", "pauses, each measured afresh (before)", "pauses, the person kept, a warm-up after each",
        "pauses, the person kept (now)")


@dataclass
class Tally:
    found: dict[str, int]
    events: dict[str, int]
    moments: int = 0  # on natural footage
    minutes: float = 0.0


def paused(table: FeatureTable, period_s: float, freeze_s: float) -> tuple[FeatureTable, list[int]]:
    """The table without its frozen rows, and the rows of the first new picture after each freeze."""
    t = table.t_s - table.t_s[0]
    frozen = (t >= period_s) & ((t % period_s) < freeze_s)
    keep = np.flatnonzero(~frozen)
    kept = FeatureTable(table.t_s[keep], table.face[keep], table.levels[keep], table.head[keep],
                        table.blendshapes[keep], table.faces_seen[keep], meta=table.meta)
    after = np.flatnonzero(np.diff(keep) > 1) + 1
    return kept, after.tolist()


def arm_moments(table: FeatureTable, arm: str, period_s: float, freeze_s: float) -> list:
    settings = preset("balanced")
    if arm == ARMS[0]:
        return spot(table_evidence(table), settings)
    kept, rows = paused(table, period_s, freeze_s)
    breaks = Breaks(lost=tuple(rows)) if arm == ARMS[1] else Breaks(paused=tuple(rows))
    with patched(spotting_module, {"WARMUP_AFTER_PAUSE": arm == ARMS[2]}):
        return spot(table_evidence(kept, breaks), settings)


def in_freeze(e: dict, period_s: float, freeze_s: float) -> bool:
    a, b = e["onset_s"] - TOLERANCE_S, e["offset_s"] + TOLERANCE_S
    k = np.arange(1, int(b // period_s) + 2) * period_s
    return bool(((k < b) & (k + freeze_s > a)).any())


KINDS = {"brief": is_brief, "core": is_core, "seen 1-3%": is_seen_real}


def tally(people: list[PersonData], arms: Iterable[str], moments_of: Callable[[FeatureTable, str], list],
          period_s: float, lost_s: float) -> dict[str, Tally]:
    """Per arm, brief events found while the person does not talk and moments on the natural footage;
    `moments_of(table, arm)`: a clip's moments under an arm; events within `lost_s` of every `period_s`
    are left out of every arm."""
    out = {arm: Tally(dict.fromkeys(KINDS, 0), dict.fromkeys(KINDS, 0)) for arm in arms}
    for _, inj, _, events in quiet_events(people, is_brief, seen=True):
        events = [e for e in events if not in_freeze(e, period_s, lost_s)]
        table = features_of(inj.track, INJECT_DIR / inj.track.source)
        for arm, t in out.items():
            moments = moments_of(table, arm)
            for e in events:
                hit = any(m.start_s < e["offset_s"] + TOLERANCE_S and m.end_s > e["onset_s"] - TOLERANCE_S
                          for m in moments)
                for kind, keep in KINDS.items():
                    if keep(e):
                        t.events[kind] += 1
                        t.found[kind] += hit
    for pd in people:
        for clip, track in pd.natural:
            table = features_of(track, clip)
            for arm, t in out.items():
                t.moments += len(moments_of(table, arm))
                t.minutes += float(table.t_s[-1] - table.t_s[0]) / 60
    return out


def measure(period_s: float, freeze_s: float) -> dict[str, Tally]:
    return tally(load_people(log=lambda *_: None), ARMS,
                 lambda table, arm: arm_moments(table, arm, period_s, freeze_s), period_s, freeze_s)


def report(tallies: dict[str, Tally], period_s: float, freeze_s: float) -> str:
    lines = [f"A {freeze_s:g} s freeze every {period_s:g} s, balanced preset, injected brief events while the "
             "person does not talk (found / events [95% interval]); moments a minute on natural footage", "",
             "| arm | " + " | ".join(KINDS) + " | natural moments / min |", "|---" * (len(KINDS) + 2) + "|"]
    for arm, t in tallies.items():
        cells = []
        for kind in KINDS:
            k, n = t.found[kind], t.events[kind]
            lo, hi = wilson(k, n)
            cells.append(f"{k / max(n, 1):.2f} ({k}/{n}) [{lo:.2f}-{hi:.2f}]")
        lines.append(f"| {arm} | " + " | ".join(cells) + f" | {t.moments / max(t.minutes, 1e-9):.2f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.personwise.freezes", description=__doc__.splitlines()[0])
    ap.add_argument("--period", type=float, default=PERIOD_S, help="seconds between pauses")
    ap.add_argument("--freeze", type=float, default=FREEZE_S, help="seconds each pause lasts")
    a = ap.parse_args(argv)
    print(report(measure(a.period, a.freeze), a.period, a.freeze))
    return 0


if __name__ == "__main__":
    sys.exit(main())
