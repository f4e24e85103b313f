"""The one place the person-wise benchmark calls the spotter, and the settings it tries.

`spot-core` changes the spotter: if its API changes, only `moments_under` changes. Parameters worth
tuning person-wise go into `EXTRA_GRID` (every combination is tried at every sensitivity, so keep it
small); leave-one-person-out then picks among all candidates on the tuning people.
"""

from __future__ import annotations

import itertools

from app.features import FeatureTable
from app.settings import PRESETS, Settings, preset

SENSITIVITIES = tuple(float(s) for s in range(0, 101, 5))
# setting name -> values tried (besides sensitivity), e.g. {"max_duration_s": (0.4, 0.5)}
EXTRA_GRID: dict[str, tuple] = {}


def candidates(base: Settings | None = None) -> list[Settings]:
    """Every sensitivity of the sweep at every combination of EXTRA_GRID, from `base` (balanced)."""
    base = base or preset("balanced")
    names = sorted(EXTRA_GRID)
    out = []
    for combo in itertools.product(*(EXTRA_GRID[n] for n in names)):
        extra = dict(zip(names, combo))
        out.extend(base.replace(sensitivity=s, **extra) for s in SENSITIVITIES)
    return out


def preset_settings() -> dict[str, Settings]:
    return {name: preset(name) for name in PRESETS}


def describe(s: Settings) -> str:
    """Sensitivity and the EXTRA_GRID values of a candidate, for tables."""
    extra = "".join(f", {n}={getattr(s, n)}" for n in sorted(EXTRA_GRID))
    return f"sensitivity {s.sensitivity:g}{extra}"


def moments_under(table: FeatureTable, settings: list[Settings]) -> list[list[dict]]:
    """Moments (as dicts) of one clip under each settings: settings-free evidence computed once."""
    try:
        from app.spotting import spot, table_evidence
    except ImportError:  # the two-stage API went away: fall back to the one-call form
        from app.spotting import spot_table

        return [[m.to_dict() for m in spot_table(table, s)] for s in settings]
    evidence = table_evidence(table)
    return [[m.to_dict() for m in spot(evidence, s)] for s in settings]
