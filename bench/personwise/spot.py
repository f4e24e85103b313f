"""The one place the person-wise benchmark calls the spotter, and the settings it tries.

`spot-core` changes the spotter: if its API changes, only `moments_under` changes. Parameters worth
tuning person-wise go into `EXTRA_GRID` (every combination is tried at every sensitivity, so keep it
small); leave-one-person-out then picks among all candidates on the tuning people.
"""

from __future__ import annotations

import itertools
from dataclasses import fields

from app.face.features import FeatureTable
from app.settings.schema import PRESETS, Settings, preset

SENSITIVITIES = tuple(float(s) for s in range(0, 101, 5))
# setting name -> values tried (besides sensitivity), e.g. {"max_duration_s": (0.4, 0.5)}
EXTRA_GRID: dict[str, tuple] = {}


def parse_grid(items: list[str]) -> dict[str, tuple]:
    """`["max_duration_s=0.4,0.5", "talking_filter=true,false"]` -> {name: values}, typed like the setting."""
    defaults = {f.name: f.default for f in fields(Settings)}
    grid = {}
    for item in items:
        name, _, values = item.partition("=")
        if name not in defaults or not values or name == "sensitivity":
            raise ValueError(f"--grid {item!r}: expected NAME=V1,V2 with NAME a setting other than sensitivity")
        kind = type(defaults[name])
        parse = (lambda v: v.strip().lower() in ("1", "true", "yes")) if kind is bool else kind
        grid[name] = tuple(parse(v) for v in values.split(","))
    return grid


def candidates(base: Settings | None = None, grid: dict[str, tuple] | None = None) -> list[Settings]:
    """Every sensitivity of the sweep at every combination of `grid` (EXTRA_GRID), from `base` (balanced).
    Candidates come in blocks of len(SENSITIVITIES), one block per combination."""
    base = base or preset("balanced")
    grid = EXTRA_GRID if grid is None else grid
    names = sorted(grid)
    out = []
    for combo in itertools.product(*(grid[n] for n in names)):
        extra = dict(zip(names, combo))
        out.extend(base.replace(sensitivity=s, **extra) for s in SENSITIVITIES)
    return out


def preset_settings() -> dict[str, Settings]:
    return {name: preset(name) for name in PRESETS}


def describe(s: Settings, grid: dict[str, tuple] | None = None) -> str:
    """Sensitivity and the grid's values of a candidate, for tables."""
    extra = "".join(f", {n}={getattr(s, n)}" for n in sorted(EXTRA_GRID if grid is None else grid))
    return f"sensitivity {s.sensitivity:g}{extra}"


def moments_under(table: FeatureTable, settings: list[Settings]) -> list[list[dict]]:
    """Moments (as dicts) of one clip under each settings: settings-free evidence computed once."""
    try:
        from app.spotting.spotter import spot, table_evidence
    except ImportError:  # the two-stage API went away: fall back to the one-call form
        from app.spotting.spotter import spot_table

        return [[m.to_dict() for m in spot_table(table, s)] for s in settings]
    evidence = table_evidence(table)
    return [[m.to_dict() for m in spot(evidence, s)] for s in settings]
