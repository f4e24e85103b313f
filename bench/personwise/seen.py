"""How large an injected event is as the tracker sees it: its region's landmark shift against the control.

The injector warps pixels by an amplitude at the driving landmarks; the tracker returns only part of it (a
median 0.44 of a brief event's amplitude, `python -m bench.realme.calibrate`). Real micro-expressions are
measured in that same landmark space (`bench.realme.amplitude`), so an event counts as *real-size as seen*
when the shift the tracker shows for it is in their range (`score.SEEN_REAL_IOD`): the like-for-like figure
beside the injected one. The measure is `bench.realme.amplitude`'s: each region's mean 2-D landmark shift
(rigid motion removed) from the frame before the onset, median over about 40 ms (`amplitude.median_frames`:
one frame at 25-30 frames/s), here of the injected clip minus the control (the same frames without the warp,
so the person's own movement cancels), peak over the event.
"""

from __future__ import annotations

import numpy as np

from app.research.events import REGION_OF
from bench.personwise.track import RawTrack
from bench.realme.amplitude import REGIONS, median_frames, region_trace, shifts


def pixels(track: RawTrack, a: int, b: int) -> np.ndarray:
    """(b - a, 478, 3) landmarks of frames a..b-1 in image pixels (z scaled as x)."""
    w, h = track.size
    return track.landmarks[a:b].astype(np.float64) * np.array([w, h, w])


def seen_iod(inj: RawTrack, ctl: RawTrack, e: dict) -> float:
    """Peak of event `e`'s region's mean landmark shift, injected minus control, IOD (NaN without a face)."""
    a, b = max(0, round(e["onset_s"] * inj.fps) - 1), round(e["offset_s"] * inj.fps) + 1
    if b - a < 2 or not (inj.face[a:b].all() and ctl.face[a:b].all()):
        return float("nan")
    d = shifts(pixels(inj, a, b))[0] - shifts(pixels(ctl, a, b))[0]
    return float(region_trace(d, REGIONS[REGION_OF[e["type"]]], median_frames(inj.fps)).max())


def with_seen(truth: dict, inj: RawTrack, ctl: RawTrack) -> dict:
    """`truth` with each micro event's `seen_iod`."""
    return {**truth, "events": [{**e, "seen_iod": seen_iod(inj, ctl, e)} if e["kind"] == "micro" else e
                                for e in truth["events"]]}
