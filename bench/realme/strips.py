"""Strips of frames of every real clip in its context: found or missed, by eye.

    python -m bench.realme.strips     # out/real_me/strips/ (research-only frames: never committed)

Per context video (30 fps): `bench.personwise.strips.FRAMES` face crops from 0.1 s before the coded onset to
0.3 s after the coded offset, the difference to the first below (x3), titled with found / missed and the
moment that overlaps the clip.
"""

from __future__ import annotations

import sys

import cv2
import numpy as np

from app.settings.schema import preset
from app.sources.capture import FileSource
from bench.personwise.strips import FRAMES, _box, _strip
from bench.realme.run import OUT, cases, spot_cases

STRIPS = OUT / "strips"
BEFORE_S, AFTER_S = 0.1, 0.3


def main(argv: list[str] | None = None) -> int:
    STRIPS.mkdir(parents=True, exist_ok=True)
    all_cases = cases(log=lambda m: print(m, file=sys.stderr), fps_list=(30,))
    written = []
    for case, (o,) in zip(all_cases, spot_cases(all_cases, [preset("balanced")])):
        times = np.linspace(case.onset_s - BEFORE_S, case.offset_s + AFTER_S, FRAMES)
        want = {int(round(t * case.variant.fps)) for t in times}
        with FileSource(case.video) as src:
            images = [f.image for f in src if f.index in want]
        lms = case.track.landmarks[sorted(want)][case.track.face[sorted(want)]]
        box = _box(lms, case.track.size)
        hit = (f"found {o.hit['start_s']:.2f}-{o.hit['end_s']:.2f} s {','.join(o.hit['regions'])}" if o.hit
               else "missed")
        title = f"{case.clip.short} {case.variant.tag}: clip {case.onset_s:.2f}-{case.offset_s:.2f} s, {hit}"
        path = STRIPS / f"{case.clip.short}-{case.variant.tag}.png"
        cv2.imwrite(str(path), _strip(images, box, title))
        written.append(path)
    sheet = np.vstack([_pad(cv2.imread(str(p))) for p in written])
    cv2.imwrite(str(STRIPS / "all.png"), sheet)
    print(f"wrote {len(written)} strips and {STRIPS / 'all.png'}")
    return 0


def _pad(image: np.ndarray, width: int = 1400) -> np.ndarray:
    out = np.zeros((image.shape[0], width, 3), np.uint8)
    out[:, :min(width, image.shape[1])] = image[:, :width]
    return out


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
