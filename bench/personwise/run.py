"""Person-wise benchmark: every person is a fold; the headline is pooled over held-out people.

    python -m bench.personwise.run           # tracks/injects what the caches lack, writes docs/BENCH_PERSONWISE.md,
                                         # docs/personwise_curve.png and strips under out/personwise/strips/
    python -m bench.personwise.run --quick   # re-scores from the caches, prints the pooled held-out summary

Caches live under out/personwise/ (git-ignored): raw tracker output per clip (keyed by content and
model), injected clips and their controls. Features and spotting are recomputed every run.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from app.settings.schema import Settings
from bench.personwise.evaluate import Evaluated, evaluate_people, load_people
from bench.personwise.lopo import Fold, choose, lopo, pooled_curve, pooled_held_out
from bench.personwise.score import Counts, total, wilson
from bench.personwise.spot import EXTRA_GRID, candidates, describe, parse_grid, preset_settings

FA_CAP = 2.0  # natural false alarms per minute: the target at the balanced preset and the tuning cap
FA_TIGHT = 1.0  # "somewhere on the curve recall >= 0.30 at <= 1 false alarm a minute"


@dataclass
class Results:
    cands: list[Settings]
    grid: dict[str, tuple]
    presets: dict[str, Settings]
    ev: Evaluated
    folds: list[Fold]  # tuned for FA <= FA_CAP
    folds_tight: list[Fold]  # tuned for FA <= FA_TIGHT
    seconds: float

    def preset_counts(self, name: str) -> dict[str, Counts]:
        k = len(self.cands) + list(self.presets).index(name)
        return {p: rows[k] for p, rows in self.ev.counts.items()}

    def candidate_counts(self) -> dict[str, list[Counts]]:
        return {p: rows[:len(self.cands)] for p, rows in self.ev.counts.items()}

    def label(self, s: Settings) -> str:
        """A candidate's sensitivity and grid values."""
        return describe(s, self.grid)

    def curve(self) -> list[Counts]:
        return pooled_curve(self.candidate_counts())


def run(log=print, grid: dict[str, tuple] | None = None) -> Results:
    grid = EXTRA_GRID if grid is None else grid
    people = load_people(log)
    started = time.perf_counter()
    cands, presets = candidates(grid=grid), preset_settings()
    ev = evaluate_people(people, cands + list(presets.values()))
    per = {p: rows[:len(cands)] for p, rows in ev.counts.items()}
    folds, tight = lopo(per, FA_CAP), lopo(per, FA_TIGHT)
    return Results(cands, grid, presets, ev, folds, tight, time.perf_counter() - started)


def fmt(c: Counts) -> str:
    """One pooled figure set on one line."""
    lo, hi = wilson(c.core_hits, c.core_n)
    recall = (f"core recall {c.core_recall:.2f} [{lo:.2f}-{hi:.2f}] ({c.core_hits}/{c.core_n}; talking {c.core_talk_recall:.2f} of "
              f"{c.core_talk_n}, quiet {c.core_quiet_recall:.2f}; not in control {c.core_recall_clean:.2f})")
    fa = (f"natural FA {c.fa_per_min:.2f}/min (talking {c.fa_talk_per_min:.2f}, quiet {c.fa_quiet_per_min:.2f}; "
          f"with genuine {c.fa_with_genuine_per_min:.2f}; on controls {c.ctl_fa_per_min:.2f})")
    lo, hi = wilson(c.real_quiet_hits, c.real_quiet_n)
    real = (f"real-size recall {c.real_recall:.2f} ({c.real_hits}/{c.real_n}; not talking {c.real_quiet_recall:.2f} "
            f"[{lo:.2f}-{hi:.2f}] ({c.real_quiet_hits}/{c.real_quiet_n}); as seen, not talking {c.seen_quiet_recall:.2f} "
            f"({c.seen_quiet_hits}/{c.seen_quiet_n}))")
    return (f"{recall}, {real}, {fa}, held reported {c.held_share:.0%} ({c.held_reported}/{c.held_n}), "
            f"longest {c.longest_s:.2f} s ({c.at_cap} at cap); posed {c.posed_per_min:.2f}/min")


def summary(r: Results) -> list[str]:
    held = pooled_held_out(r.folds)
    tight = pooled_held_out(r.folds_tight)
    curve = r.curve()
    best_tight, met = choose(curve, FA_TIGHT)
    lines = [f"person-wise benchmark: {len(r.folds)} people, {held.min_total:.2f} eligible natural minutes, "
             f"{held.core_n} core events, {held.held_n} held (scored in {r.seconds:.1f} s)",
             f"LOPO-tuned (FA <= {FA_CAP:g}/min on the others), pooled held-out: {fmt(held)}",
             f"LOPO-tuned (FA <= {FA_TIGHT:g}/min on the others), pooled held-out: {fmt(tight)}"]
    for name in r.presets:
        lines.append(f"{name:9s} pooled: {fmt(total(list(r.preset_counts(name).values())))}")
    c = curve[best_tight]
    if r.grid:  # the same run without the grid: does tuning the extra settings help held-out people?
        base = r.presets["balanced"]
        keep = [i for i, c in enumerate(r.cands) if all(getattr(c, n) == getattr(base, n) for n in r.grid)]
        if keep:
            per = {p: [rows[i] for i in keep] for p, rows in r.candidate_counts().items()}
            lines.append(f"same run, sensitivity only (FA <= {FA_CAP:g}): {fmt(pooled_held_out(lopo(per, FA_CAP)))}")
    lines.append(f"pooled curve, best core recall at <= {FA_TIGHT:g} FA/min: "
                 + (f"{c.core_recall:.2f} at {c.fa_per_min:.2f}/min ({r.label(r.cands[best_tight])})" if met
                    else f"none; fewest FA {c.fa_per_min:.2f}/min at {r.label(r.cands[best_tight])}"))
    from bench.personwise.report import target_checks

    lines += [f"target {'PASS' if ok else 'MISS'}: {name}: {how}" for name, ok, how in target_checks(r)]
    lines.append("chosen per held-out person: " + ", ".join(
        f"{f.held_out}: {r.label(r.cands[f.choice])}{'' if f.met_cap else ' (cap not met)'}" for f in r.folds))
    return lines


HISTORY = Path("bench/personwise/history.md")
HISTORY_HEAD = ("| when | spotter | change | LOPO held-out: core recall, FA/min, held | balanced: core recall, FA/min, "
                "held, at cap |\n|---|---|---|---|---|\n")


def append_history(r: Results, note: str) -> None:
    """One row per noted run: what each spotter change did to the pooled figures."""
    from bench.personwise.report import spotter_version

    held = pooled_held_out(r.folds)
    bal = total(list(r.preset_counts("balanced").values()))
    row = (f"| {time.strftime('%Y-%m-%d %H:%M')} | {spotter_version()} | {note.replace('|', '/')} | "
           f"{held.core_recall:.2f}, {held.fa_per_min:.2f}, {held.held_share:.0%} | "
           f"{bal.core_recall:.2f}, {bal.fa_per_min:.2f}, {bal.held_share:.0%}, {bal.at_cap}/{bal.moments} |\n")
    text = HISTORY.read_text() if HISTORY.exists() else "# Person-wise benchmark history\n\n" + HISTORY_HEAD
    HISTORY.write_text(text + row)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.personwise.run", description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="re-score from the caches and print the summary only")
    ap.add_argument("--grid", action="append", default=[], metavar="NAME=V1,V2",
                    help="also tune this setting person-wise (repeatable; replaces EXTRA_GRID for this run)")
    ap.add_argument("--log", metavar="NOTE", help=f"append this run's pooled figures and NOTE to {HISTORY}")
    args = ap.parse_args(argv)
    started = time.perf_counter()
    try:
        grid = parse_grid(args.grid) if args.grid else None
    except ValueError as exc:
        ap.error(str(exc))
    r = run(log=lambda m: print(m, file=sys.stderr, flush=True), grid=grid)
    for line in summary(r):
        print(line)
    if args.log:
        append_history(r, args.log)
        print(f"appended to {HISTORY}")
    if not args.quick:
        from bench.personwise.report import write_report
        from bench.personwise.strips import natural_moments, strips_section, write_doc_sheets, write_strips

        moments = natural_moments(r)
        sheets = write_strips(moments)
        print(f"wrote {len(moments)} strips and {len(sheets)} contact sheets under out/personwise/strips/")
        for path in write_doc_sheets(moments):
            print(f"wrote {path}")
        for path in write_report(r, strips_section(moments)):
            print(f"wrote {path}")
    print(f"total {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
