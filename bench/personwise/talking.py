"""Talking spans per natural clip: proposed from a mouth-opening trace, then checked by eye.

`python -m bench.personwise.talking` prints the proposed spans of every natural clip and draws the
trace with them (out/personwise/talking/*.png) for checking against frames; the reviewed spans live in
`bench/personwise/labels/talking.json` (seconds per clip) and are what the benchmark reads.

Proposal: the lip gap (`mouth_open`, IOD units) is smoothed over 3 frames; a frame is "moving" when the
gap's range within +-`WINDOW_S` exceeds `RANGE_IOD` (speech opens and closes the mouth several times
a second; a held smile or an open-mouthed pose does not). Moving frames closer than `BRIDGE_S` are
joined, spans shorter than `MIN_SPAN_S` dropped.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

from app.face.features import LEVEL

LABELS = Path("bench/personwise/labels/talking.json")
WINDOW_S = 0.4
RANGE_IOD = 0.06
BRIDGE_S = 0.8
MIN_SPAN_S = 0.6


def mouth_trace(levels: np.ndarray) -> np.ndarray:
    x = levels[:, LEVEL["mouth_open"]].astype(np.float64)
    x = np.where(np.isnan(x), np.nanmedian(x) if np.isfinite(x).any() else 0.0, x)
    return np.convolve(np.pad(x, 1, mode="edge"), np.ones(3) / 3, mode="valid")


def propose(t_s: np.ndarray, levels: np.ndarray, fps: float) -> list[tuple[float, float]]:
    """Proposed talking spans (start_s, end_s) from the lip gap."""
    x = mouth_trace(levels)
    half = max(1, int(round(WINDOW_S * fps)))
    n = len(x)
    moving = np.zeros(n, bool)
    for i in range(n):
        w = x[max(0, i - half):i + half + 1]
        moving[i] = w.max() - w.min() > RANGE_IOD
    spans: list[list[float]] = []
    for i in np.flatnonzero(moving):
        t = float(t_s[i])
        if spans and t - spans[-1][1] <= BRIDGE_S:
            spans[-1][1] = t
        else:
            spans.append([t, t])
    return [(round(a, 2), round(b + 1 / fps, 2)) for a, b in spans if b - a >= MIN_SPAN_S]


def load_labels(path: Path = LABELS) -> dict[str, list[tuple[float, float]]]:
    """clip file name -> talking spans in seconds (clips not listed: no talking)."""
    data = json.loads(path.read_text())
    return {clip: [tuple(s) for s in spans] for clip, spans in data["clips"].items()}


def talking_mask(t_s: np.ndarray, spans: list[tuple[float, float]]) -> np.ndarray:
    mask = np.zeros(len(t_s), bool)
    for a, b in spans:
        mask |= (t_s >= a) & (t_s < b)
    return mask


def main(argv: list[str] | None = None) -> int:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from bench.personwise.data import PEOPLE
    from bench.personwise.track import features_of, tracked

    out = Path("out/personwise/talking")
    out.mkdir(parents=True, exist_ok=True)
    for person in PEOPLE:
        for clip in person.natural:
            table = features_of(tracked(clip), clip)
            fps = float(table.meta["fps"])
            spans = propose(table.t_s, table.levels, fps)
            name = Path(clip).name
            print(json.dumps({name: spans}))
            fig, ax = plt.subplots(figsize=(14, 2.5))
            ax.plot(table.t_s, mouth_trace(table.levels), lw=0.8)
            for a, b in spans:
                ax.axvspan(a, b, color="orange", alpha=0.3)
            ax.set_title(f"{name}: lip gap (IOD), proposed talking spans")
            fig.tight_layout()
            fig.savefig(out / f"{Path(clip).stem}.png", dpi=70)
            plt.close(fig)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
