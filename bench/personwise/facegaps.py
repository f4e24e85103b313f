"""What a face lost for a moment costs, and what keeping the person across it risks
(`python -m bench.personwise.facegaps`), at the balanced preset; nothing tuned.

Gain: the person-wise benchmark's injected clips with the face lost for GAPS_S every PERIOD_S seconds (the
rows kept, with no face: what the tracker gives while a hand crosses the face or the person looks
down). Four arms on the same rows: every face found again starts afresh (before: the person's noise
estimates learned again, a larger change needed for ten seconds, two seconds of warm-up); the person kept
but warming up again; the person kept whatever face comes back; the person kept if the face found again
has the same shape, the warm-up counted from when Glimpse began watching them (now:
`spotter.FACE_GAP_CARRY_S`, `SAME_FACE_IOD`). Events within a gap are left out of every arm. Counted as
in `bench.personwise.freezes`: brief events found while the person does not talk, and moments a minute on
the natural footage.

Risk: the face found again after a short gap, or after a paused call (a call's speaker view), may be
someone else's. Every pair of different people's controls (the injected clips' footage without events)
at the same frame rate, the last LEAD_S seconds of one, SWITCH_GAP_S with no face (or a pause), then the
other's first SWITCH_WINDOW_S seconds: moments in that window under each arm.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from app.face.features import FeatureTable
from app.settings.schema import preset
from app.spotting import spotter as spotting_module
from app.spotting.evidence import FPS_PROBE_FRAMES
from app.spotting.spotter import NO_BREAKS, Breaks, face_shape, same_face, spot, table_evidence
from bench.personwise.evaluate import PersonData, controls, load_people
from bench.personwise.freezes import Tally, tally
from bench.personwise.freezes import report as tally_report
from bench.personwise.inject import INJECT_DIR
from bench.personwise.track import features_of
from bench.realme.diagnose import patched

PERIOD_S = 15.0
GAPS_S = (0.3, 0.8)
AFRESH = "afresh"
ARMS = {  # arm -> spotter constants
    AFRESH: {"FACE_GAP_CARRY_S": 0.0},  # a face found again before; a pause: as after a lost camera
    "the person kept, any face, a warm-up after each": {"WARMUP_AFTER_PAUSE": True, "SAME_FACE_IOD": np.inf},
    "the person kept, any face (before, for a pause)": {"SAME_FACE_IOD": np.inf},
    "the person kept if the face is the same (now)": {},
}
LEAD_S = 15.0
SWITCH_GAP_S = 0.5
SWITCH_WINDOW_S = 12.0  # the young estimate's ten seconds and the warm-up
LOOK_EVERY_S = 2.0
LOOK_AFTER_S = 0.5


def with_gaps(table: FeatureTable, period_s: float, gap_s: float) -> FeatureTable:
    """The table with the face lost for `gap_s` every `period_s` (rows kept, no face, no levels)."""
    t = table.t_s - table.t_s[0]
    lost = (t >= period_s) & ((t % period_s) < gap_s)
    levels = table.levels.copy()
    levels[lost] = np.nan
    return FeatureTable(table.t_s, table.face & ~lost, levels, table.head, table.blendshapes, table.faces_seen,
                        meta=table.meta)


def arm_moments(table: FeatureTable, arm: str, breaks: Breaks = NO_BREAKS) -> list:
    with patched(spotting_module, ARMS[arm]):
        return spot(table_evidence(table, breaks), preset("balanced"))


def gain(people: list[PersonData], period_s: float, gap_s: float) -> dict[str, Tally]:
    return tally(people, ARMS, lambda table, arm: arm_moments(with_gaps(table, period_s, gap_s), arm), period_s, gap_s)


def _rows(t: FeatureTable, a: int, b: int) -> FeatureTable:
    return FeatureTable(t.t_s[a:b], t.face[a:b], t.levels[a:b], t.head[a:b], t.blendshapes[a:b], t.faces_seen[a:b],
                        meta=t.meta)


def switched(a: FeatureTable, b: FeatureTable, fps: float, gap_s: float) -> tuple[FeatureTable, int]:
    """The end of `a`, `gap_s` with no face, then the start of `b`; and the row where `b` begins."""
    a = _rows(a, int(np.searchsorted(a.t_s, a.t_s[-1] - LEAD_S)), len(a))
    b = _rows(b, 0, int(np.searchsorted(b.t_s, b.t_s[0] + SWITCH_WINDOW_S)))
    n_gap = int(round(gap_s * fps))
    gap_t = a.t_s[-1] + np.arange(1, n_gap + 1) / fps
    b_t = a.t_s[-1] + (n_gap + 1) / fps + (b.t_s - b.t_s[0])

    def cat(x: np.ndarray, y: np.ndarray, fill: float) -> np.ndarray:
        return np.concatenate([x, np.full((n_gap, *x.shape[1:]), fill, x.dtype), y])

    return FeatureTable(np.concatenate([a.t_s - a.t_s[0], gap_t - a.t_s[0], b_t - a.t_s[0]]),
                        cat(a.face, b.face, False), cat(a.levels, b.levels, np.nan), cat(a.head, b.head, np.nan),
                        cat(a.blendshapes, b.blendshapes, 0.0), cat(a.faces_seen, b.faces_seen, 0),
                        meta=b.meta), len(a) + n_gap


@dataclass
class Switches:
    pairs: int
    moments: dict[str, dict[str, int]]  # how the face went -> arm -> moments after the switch


HOW = {f"a face lost for {SWITCH_GAP_S:g} s": SWITCH_GAP_S, "a paused call (speaker view)": 0.0}


def controls_of(people: list[PersonData]) -> list[tuple[str, float, FeatureTable]]:
    """(person, frame rate, features) of every control."""
    return [(pd.person.name, c.fps, features_of(c, INJECT_DIR / c.source)) for pd in people for c in controls(pd)]


def _pairs(controls: list[tuple[str, float, FeatureTable]]) -> Iterator[tuple[FeatureTable, FeatureTable, float]]:
    """(one, another, frame rate) for every two different people's controls at the same frame rate."""
    for name_a, fps_a, a in controls:
        for name_b, fps_b, b in controls:
            if name_a != name_b and abs(fps_a - fps_b) <= 0.5:
                yield a, b, fps_b


def shape_check(controls: list[tuple[str, float, FeatureTable]]) -> tuple[int, int, int, int]:
    """How the same-face check reads: (the same person LOOK_AFTER_S later taken for someone else, looks;
    different people taken for the same, pairs), a look every LOOK_EVERY_S of each control."""
    flagged = looks = passed = pairs = 0
    for _, fps, t in controls:
        for end in range(int(3 * fps), len(t) - int(2 * fps), int(LOOK_EVERY_S * fps)):
            start = end + int(round(LOOK_AFTER_S * fps))
            looks += 1
            flagged += not same_face(face_shape(t.t_s[:end], t.levels[:end]), t.levels[start:start + FPS_PROBE_FRAMES])
    for a, b, _ in _pairs(controls):
        pairs += 1
        passed += same_face(face_shape(a.t_s, a.levels), b.levels[:FPS_PROBE_FRAMES])
    return flagged, looks, passed, pairs


def risk(controls: list[tuple[str, float, FeatureTable]]) -> Switches:
    out = Switches(0, {how: dict.fromkeys(ARMS, 0) for how in HOW})
    for a, b, fps in _pairs(controls):
        out.pairs += 1
        for how, gap_s in HOW.items():
            table, row = switched(a, b, fps, gap_s)
            back_s = float(table.t_s[row])
            for arm in ARMS:
                breaks = NO_BREAKS if gap_s else Breaks(lost=(row,)) if arm == AFRESH else Breaks(paused=(row,))
                out.moments[how][arm] += sum(m.peak_s >= back_s for m in arm_moments(table, arm, breaks))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.personwise.facegaps", description=__doc__.splitlines()[0])
    ap.add_argument("--period", type=float, default=PERIOD_S, help="seconds between face losses")
    ap.add_argument("--gaps", type=float, nargs="+", default=GAPS_S, help="seconds each face loss lasts")
    a = ap.parse_args(argv)
    people = load_people(log=lambda *_: None)
    for gap_s in a.gaps:
        text = tally_report(gain(people, a.period, gap_s), a.period, gap_s)
        print(text.replace("freeze", "face loss", 1), "", sep="\n", flush=True)
    controls = controls_of(people)
    flagged, looks, passed, pairs = shape_check(controls)
    print(f"The same-face check: the same person {LOOK_AFTER_S:g} s later taken for someone else in {flagged} of {looks} "
          f"looks ({flagged / max(looks, 1):.1%}); different people taken for the same in {passed} of {pairs} pairs "
          f"({passed / max(pairs, 1):.1%}).", "", sep="\n")
    s = risk(controls)
    print(f"Someone else ({s.pairs} pairs of different people at the same frame rate): moments in the "
          f"{SWITCH_WINDOW_S:g} s after the new face appears, per pair and per minute")
    print("", "| arm | " + " | ".join(HOW) + " |", "|---" * (len(HOW) + 1) + "|", sep="\n")
    for arm in ARMS:
        cells = [f"{n} ({n / max(s.pairs, 1):.2f}; {n / max(s.pairs * SWITCH_WINDOW_S / 60, 1e-9):.2f}/min)"
                 for n in (s.moments[how][arm] for how in HOW)]
        print(f"| {arm} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
