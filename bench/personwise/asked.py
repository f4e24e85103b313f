"""What "I just asked" is worth (`python -m bench asked`): the asked window, person-wise.

After a mark, live spotting lifts the quiet time and runs `ASKED_BOOST` sensitivity points above the
listener's own for `attentive_window_s` (app/prompts/asked.py). A prompt there is worth something only
if it comes more often at a change of the face than anywhere else. Measured with the live code path
(`relive`: the marks, the settings log, the prompt policy) on the person-wise benchmark's footage, at
the balanced preset, for each boost in BOOSTS:

* hit: on the injected clips, a mark LEAD_S before each brief event while the person does not talk; the
  share of events a prompted moment overlaps (a moment the policy did not prompt does not count);
* chance: on footage without events (the natural clips, their genuine moments left out, and the
  injected clips' controls), a mark every PERIOD_S seconds at PHASES_S offsets and a phantom event of
  PHANTOM_S LEAD_S after each; the share of phantoms a prompted moment overlaps the same way;
* cost: false prompts per asked window on that footage (what the listener sees without a change).

J = hit - chance (Youden's J: what a prompt at the change says, prior-free; 0 says nothing). Person-wise:
each person's boost is the one with the best pooled J on the other sixteen; the held-out figures pool
every person at the boost chosen without them.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from app.face.features import FeatureTable
from app.prompts.asked import ASKED_BOOST, MAX_SENSITIVITY
from app.run.relive import relive
from app.settings.schema import Settings, preset
from app.spotting.spotter import Moment
from bench.common.paths import ROOT
from bench.personwise.evaluate import PersonData, controls, load_moment_labels, load_people, quiet_events
from bench.personwise.inject import INJECT_DIR
from bench.personwise.score import TOLERANCE_S, is_brief, is_core, is_real_size, is_seen_real, label_of, wilson
from bench.personwise.track import features_of

BOOSTS = (0.0, 5.0, 10.0, 15.0, 20.0, 25.0, 35.0, 50.0)
PERIOD_S = 12.0  # a mark this often on footage without events: its 10 s window and a gap
PHASES_S = (0.0, 4.0, 8.0)  # the marks' grid, shifted: three looks at the same footage
FIRST_MARK_S = 3.0  # after the spotter's warm-up
LEAD_S = 1.0  # a question's mark this long before the change it draws out
PHANTOM_S = 0.3  # the length of the phantom change after a mark on footage without events
DOC = ROOT / "docs" / "BENCH_ASKED.md"
KINDS: dict[str, Callable[[dict], bool]] = {"brief": is_brief, "core": is_core, "real-size": is_real_size,
                                            "seen 1-3%": is_seen_real}


@dataclass
class Tally:
    """One person's additive counts at one boost."""

    windows: int = 0  # asked windows on footage without events
    false_prompts: int = 0  # ... prompts in them not labelled genuine
    phantom_hits: int = 0  # ... phantom events (one a window) a prompt overlaps
    events: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    hits: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))

    def __add__(self, other: Tally) -> Tally:
        return Tally(self.windows + other.windows, self.false_prompts + other.false_prompts,
                     self.phantom_hits + other.phantom_hits,
                     {k: self.events[k] + other.events[k] for k in KINDS},
                     {k: self.hits[k] + other.hits[k] for k in KINDS})

    def hit_share(self, kind: str = "brief") -> float:
        return self.hits[kind] / self.events[kind] if self.events[kind] else float("nan")

    @property
    def chance(self) -> float:
        return self.phantom_hits / self.windows if self.windows else float("nan")

    @property
    def false_per_window(self) -> float:
        return self.false_prompts / self.windows if self.windows else float("nan")

    def j(self, kind: str = "brief") -> float:
        return self.hit_share(kind) - self.chance


def settings_log(base: Settings, marks: Sequence[float], boost: float) -> list[tuple[float, Settings]]:
    """The settings live puts in force around `marks` (sorted): raised from each mark for the window."""
    raised = dataclasses.replace(base, sensitivity=min(MAX_SENSITIVITY, base.sensitivity + boost))  # as asked_settings
    log: list[tuple[float, Settings]] = [(0.0, base)]
    for k, t in enumerate(marks):
        log.append((t, raised))
        end = t + base.attentive_window_s
        if k + 1 == len(marks) or marks[k + 1] > end:
            log.append((end, base))
    return log


def grid_marks(table: FeatureTable, phase_s: float, window_s: float, period_s: float = PERIOD_S) -> list[float]:
    """Marks every `period_s` from the warm-up on, shifted by `phase_s`, whose whole window fits."""
    t0, t1 = float(table.t_s[0]), float(table.t_s[-1])
    return [float(t) for t in np.arange(t0 + FIRST_MARK_S + phase_s, t1 - window_s, period_s)]


def _overlaps(m: Moment, onset_s: float, offset_s: float) -> bool:
    return m.start_s < offset_s + TOLERANCE_S and m.end_s > onset_s - TOLERANCE_S


def quiet_tally(moments: Sequence[Moment], marks: Sequence[float], labels: Sequence[dict], window_s: float) -> Tally:
    """Footage without events (`labels`: its moments labelled by eye; genuine ones are not false)."""
    false = [m for m in moments if m.prompted
             and ((lab := label_of(m.to_dict(), labels)) is None or lab["label"] != "genuine")]
    out = Tally(windows=len(marks))
    for t in marks:
        out.false_prompts += sum(t <= m.peak_s < t + window_s for m in false)
        out.phantom_hits += any(_overlaps(m, t + LEAD_S, t + LEAD_S + PHANTOM_S) for m in false)
    return out


def event_tally(moments: Sequence[Moment], events: Sequence[dict]) -> Tally:
    out = Tally()
    for e in events:
        hit = any(m.prompted and _overlaps(m, e["onset_s"], e["offset_s"]) for m in moments)
        for kind, keep in KINDS.items():
            if keep(e):
                out.events[kind] += 1
                out.hits[kind] += hit
    return out


def quiet_footage(pd: PersonData) -> list[tuple[FeatureTable, str]]:
    """A person's footage without events: natural clips and the injected clips' controls (one a source)."""
    return ([(features_of(track, clip), Path(clip).name) for clip, track in pd.natural]
            + [(features_of(c, INJECT_DIR / c.source), "") for c in controls(pd)])


def measure(people: list[PersonData], boosts: Sequence[float] = BOOSTS) -> dict[str, list[Tally]]:
    """Person -> one Tally per boost."""
    base = preset("balanced")
    window = base.attentive_window_s
    labels = load_moment_labels()
    out = {pd.person.name: [Tally() for _ in boosts] for pd in people}
    for pd in people:
        for table, name in quiet_footage(pd):
            for phase in PHASES_S:
                marks = grid_marks(table, phase, window)
                for i, b in enumerate(boosts):
                    moments = relive(table, settings_log(base, marks, b), marks)
                    out[pd.person.name][i] += quiet_tally(moments, marks, labels.get(name, []), window)
    for pd, inj, _, events in quiet_events(people, is_brief, seen=True):
        table = features_of(inj.track, INJECT_DIR / inj.track.source)
        marks = sorted(e["onset_s"] - LEAD_S for e in events)
        for i, b in enumerate(boosts):
            out[pd.person.name][i] += event_tally(relive(table, settings_log(base, marks, b), marks), events)
    return out


def choose(tallies: Sequence[Tally]) -> int:
    """The boost index with the best J (ties: the smaller boost)."""
    scores = np.array([t.j() for t in tallies])
    return int(np.nanargmax(scores)) if np.isfinite(scores).any() else 0


def held_out(per_person: dict[str, list[Tally]]) -> tuple[Tally, dict[str, int]]:
    """Every person at the boost chosen on the others, pooled; and each person's chosen index."""
    pooled, chosen = Tally(), {}
    n = len(next(iter(per_person.values())))
    for name in per_person:
        others = [sum((t[i] for o, t in per_person.items() if o != name), Tally()) for i in range(n)]
        chosen[name] = choose(others)
        pooled = pooled + per_person[name][chosen[name]]
    return pooled, chosen


def _share(k: int, n: int) -> str:
    lo, hi = wilson(k, n)
    return f"{k / max(n, 1):.2f} ({k}/{n}) [{lo:.2f}-{hi:.2f}]"


def _row(label: str, t: Tally) -> str:
    return (f"| {label} | " + " | ".join(_share(t.hits[k], t.events[k]) for k in KINDS) +
            f" | {_share(t.phantom_hits, t.windows)} | {t.j():.2f} | {t.j('real-size'):.2f} | "
            f"{t.false_per_window:.2f} |")


def report(per_person: dict[str, list[Tally]], boosts: Sequence[float] = BOOSTS) -> str:
    pooled = [sum((t[i] for t in per_person.values()), Tally()) for i in range(len(boosts))]
    window = preset("balanced").attentive_window_s
    lines = [f"Balanced preset, window {window:g} s, today's boost +{ASKED_BOOST:g}. Hit: a mark {LEAD_S:g} s before "
             "each brief event while the person does not talk, the event prompted. Chance: footage without events, "
             f"a mark every {PERIOD_S:g} s (offsets {', '.join(f'{p:g}' for p in PHASES_S)} s), a {PHANTOM_S:g} s "
             f"phantom event {LEAD_S:g} s after it, prompted.", "",
             "| boost | hit: " + " | ".join(KINDS) + " | chance | J (brief) | J (real-size) | false prompts per window |",
             "|---" * (len(KINDS) + 5) + "|"]
    lines += [_row(f"+{b:g}", t) for b, t in zip(boosts, pooled)]
    ho, chosen = held_out(per_person)
    picks = ", ".join(f"{name} +{boosts[i]:g}" for name, i in chosen.items())
    lines += ["", f"Held out (each person at the boost with the best J on the other {len(per_person) - 1}):", "",
              "| boost | hit: " + " | ".join(KINDS) + " | chance | J (brief) | J (real-size) | false prompts per window |",
              "|---" * (len(KINDS) + 5) + "|", _row("chosen on the others", ho), "", f"Chosen: {picks}."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench asked", description=__doc__.splitlines()[0])
    ap.add_argument("--boosts", type=float, nargs="+", default=BOOSTS, help="sensitivity points tried")
    ap.add_argument("--out", type=Path, default=DOC, help="where the figures are written (default: %(default)s)")
    a = ap.parse_args(argv)
    text = report(measure(load_people(log=lambda *_: None), a.boosts), a.boosts)
    print(text)
    if a.out:
        command = "python -m bench asked" + ("" if a.boosts == BOOSTS else
                                                         " --boosts " + " ".join(f"{b:g}" for b in a.boosts))
        a.out.write_text(f"# The \"I just asked\" window, person-wise\n\nCommand: `{command}`  \nDate: "
                         f"{time.strftime('%Y-%m-%d %H:%M')}\n\n{__doc__.split(chr(10), 2)[2].strip()}\n\n{text}\n",
                         encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
