"""Leave-one-person-out: tune on six people, score on the seventh, pool the held-out scores.

Pure: the input is, per person, one `Counts` per candidate settings (same candidate order for every
person). Tuning picks the candidate with the best pooled core recall on the tuning people among those
whose pooled natural false alarms per minute stay within the cap; ties go to fewer false alarms. When no
candidate meets the cap, the one with the fewest false alarms is taken (and the figures show it).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bench.personwise.score import Counts, total


@dataclass(frozen=True)
class Fold:
    held_out: str
    choice: int  # index of the chosen candidate
    met_cap: bool  # whether the chosen candidate met the cap on the tuning people
    tune: Counts  # pooled over the tuning people, at the choice
    held: Counts  # the held-out person, at the choice


def _key(c: Counts) -> tuple[float, float]:
    recall = c.core_recall
    return (recall if not math.isnan(recall) else -1.0, -c.fa_per_min)


def choose(points: Sequence[Counts], max_fa_per_min: float) -> tuple[int, bool]:
    """Index of the best candidate under the cap, and whether the cap was met."""
    if not points:
        raise ValueError("no candidates to choose from")
    ok = [i for i, c in enumerate(points) if c.fa_per_min <= max_fa_per_min]
    if ok:
        return max(ok, key=lambda i: (_key(points[i]), -i)), True
    return min(range(len(points)), key=lambda i: (points[i].fa_per_min, -_key(points[i])[0], i)), False


def lopo(per_person: Mapping[str, Sequence[Counts]], max_fa_per_min: float) -> list[Fold]:
    """One fold per person, in the mapping's order."""
    people = list(per_person)
    sizes = {len(v) for v in per_person.values()}
    if len(sizes) != 1 or len(people) < 2:
        raise ValueError("need at least two people, each with the same candidates")
    k = sizes.pop()
    folds = []
    for held in people:
        others = [p for p in people if p != held]
        pooled = [total([per_person[p][i] for p in others]) for i in range(k)]
        i, met = choose(pooled, max_fa_per_min)
        folds.append(Fold(held, i, met, pooled[i], per_person[held][i]))
    return folds


def pooled_held_out(folds: Sequence[Fold]) -> Counts:
    return total([f.held for f in folds])


def pooled_curve(per_person: Mapping[str, Sequence[Counts]]) -> list[Counts]:
    """Every candidate pooled over everyone (the operating curve; no tuning involved)."""
    k = len(next(iter(per_person.values())))
    return [total([v[i] for v in per_person.values()]) for i in range(k)]
