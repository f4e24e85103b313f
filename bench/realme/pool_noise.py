"""Noise and signal of evidence pooled across sensors (spotting.POOLED), against the best single action.

    python -m bench.realme.pool_noise [--how sum|second] [--sensors landmarks,blendshapes,pixels]

At the balanced bar, per gain of the pooled score: on the natural footage of the 17 people (moments not
injected), how often a movement's pooled score crosses the bar where no single action does (episodes a
minute, while quiet and while talking); on the injected real-size events while quiet (1-3% IOD), how many
the best single action reaches and how many more the pooled score adds; beside it, for reference, what
lowering the single actions' bar by the same factor adds. Pooling pays only where it adds more events per
added natural crossing than the lowered bar does; such a gain is worth a held-out run
(`python -m bench.realme.variants`).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from app.settings.schema import preset
from app.spotting import spotter as spotting_module
from app.spotting.evidence import ACTIONS, POST_S
from app.spotting.spotter import Decider, table_evidence
from bench.personwise.evaluate import load_people
from bench.personwise.inject import INJECT_DIR
from bench.personwise.score import in_spans, is_real_size
from bench.personwise.talking import load_labels
from bench.personwise.track import features_of
from bench.realme.diagnose import patched

GAINS = (0.8, 1.0, 1.2, 1.4, 1.6, 1.8, 2.0, 2.5, 3.0, 4.0)
LATE_S = POST_S + 0.3  # decision frames this long after an event's offset still decide it


def _scores(table, settings) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Per face run: decision times, best single-action score and best movement score (gain 1)."""
    out = []
    for ev in table_evidence(table):
        sc, _, _ = Decider(settings).scores(ev)
        out.append((ev.t_s, sc[:, :len(ACTIONS)].max(axis=1), sc[:, len(ACTIONS):].max(axis=1)))
    return out


def _episodes(hot: np.ndarray) -> int:
    return int(np.sum(hot[1:] & ~hot[:-1]) + (hot[0] if len(hot) else 0))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--how", default="sum", choices=("sum", "second"))
    ap.add_argument("--sensors", default=",".join(spotting_module.SENSORS))
    args = ap.parse_args(argv)
    settings = preset("balanced")
    people = load_people(log=lambda m: print(m, file=sys.stderr))
    talking = load_labels()
    added = {g: [0, 0] for g in GAINS}  # quiet, talking episodes where only the pooled score crosses
    lowered = {g: [0, 0] for g in GAINS}  # ... where the single actions cross only with the bar lowered g-fold
    single_n, minutes = [0, 0], [0.0, 0.0]
    events = []  # (best single, best pooled) per real-size quiet event
    sensors = tuple(args.sensors.split(","))
    with patched(spotting_module, {"POOLED": args.how, "POOL_GAIN": 1.0, "POOL_SENSORS": sensors}):
        for pd in people:
            for clip, track in pd.natural:
                spans = talking.get(Path(clip).name, [])
                for t, single, pool in _scores(features_of(track, clip), settings):
                    talk = np.array([in_spans(float(x), spans) for x in t])
                    dt = float(np.median(np.diff(t))) if len(t) > 1 else 0.0
                    for k, mask in enumerate((~talk, talk)):
                        minutes[k] += mask.sum() * dt / 60
                        single_n[k] += _episodes((single >= 1) & mask)
                        for g in GAINS:
                            added[g][k] += _episodes((pool * g >= 1) & (single < 1) & mask)
                            lowered[g][k] += _episodes((single * g >= 1) & (single < 1) & mask)
            for inj, src in pd.injected:
                spans = talking.get(Path(inj.source.clip).name, [])
                runs = _scores(features_of(inj.track, INJECT_DIR / inj.track.source), settings)
                for e in inj.truth["events"]:
                    mid = (e["onset_s"] + e["offset_s"]) / 2
                    k = min(max(int(round(mid * src.fps)), 0), len(inj.order) - 1)
                    if not is_real_size(e) or in_spans(float(src.t_s[inj.order[k]]), spans):
                        continue
                    best = [-np.inf, -np.inf]
                    for t, single, pool in runs:
                        w = (t >= e["onset_s"]) & (t <= e["offset_s"] + LATE_S)
                        if w.any():
                            best = [max(best[0], float(single[w].max())), max(best[1], float(pool[w].max()))]
                    events.append(best)
    ev = np.array(events)
    print(f"pooled {args.how} over {args.sensors}, balanced bar; natural minutes quiet "
          f"{minutes[0]:.2f}, talking {minutes[1]:.2f}; single-action crossings/min quiet "
          f"{single_n[0] / minutes[0]:.2f}, talking {single_n[1] / minutes[1]:.2f}")
    print(f"real-size quiet events {len(ev)}: single reaches {(ev[:, 0] >= 1).sum()}")
    for g in GAINS:
        more = ((ev[:, 0] < 1) & (ev[:, 1] * g >= 1)).sum()
        low = ((ev[:, 0] < 1) & (ev[:, 0] * g >= 1)).sum()
        print(f"  gain {g:.1f}: natural crossings added/min quiet {added[g][0] / minutes[0]:.2f}, talking "
              f"{added[g][1] / minutes[1]:.2f}; events added {more}  (reference, the single actions' bar lowered "
              f"{g:.1f}-fold: quiet {lowered[g][0] / minutes[0]:.2f}, talking {lowered[g][1] / minutes[1]:.2f}; "
              f"events {low})")
    q = np.quantile(ev, [0.5, 0.75, 0.9], axis=0)
    print("  event score quantiles 50/75/90% (single; pooled at gain 1): "
          + ", ".join(f"{a:.2f}; {b:.2f}" for a, b in q))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
