"""Landmarks and pixel motion of the same movement summed into one channel (SPOTTER_LOG phase 9).

    python -m bench.realme.summed                       # measure the small-disc features once (about 5 min)
    python -m bench.realme.variants "19 + sum, small-disc flow"   # the rows (bench/realme/variants.py SUMMED)

Phase 8 read, at the apex of the 103 real-size events, each landmark level and its region's flow along the same
movement summed in their own quiet units (`bench.realme.reference.AGREEING`: a landmark's rise is the flow's -y).
Here the same sum is a level of the evidence kernel: in every feature table the kernel reads, each paired
landmark level becomes (landmark - weight x flow y) / sqrt(1 + weight^2), so every rule that reads that level (its
actions, their noise, the partial return's two sensors) reads the sum. The weight is 1: at 0.2 s the quiet units
of the landmarks, today's flow and the small-disc flow are 0.0097, 0.0100 and 0.0104 IOD (phase 8), so IOD
units are their own units to within 7% (a fixed weight, not a per-person noise estimate). Pixel motion's own
channels (its actions, the partial return's second sensor) stay today's flow. The lids are left out unless a
row says so: the blink flag reads their opening as a share of the usual one.

The small-disc flow (`moving.SMALL_RADIUS_IOD`, 0.07 IOD discs, `FlowLevels` integrated as today's) is measured by
the app's own feature path with `app.face.flow.REGION_RADIUS_IOD` patched, into a cache of its own (`SMALL_DIRS`):
the feature cache's key reads the flow module's source, which a patch does not change, so it must never share
a directory with the default caches.
"""

from __future__ import annotations

import contextlib
import math
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from app.face import flow as flow_module
from app.face.features import LEVELS, FeatureTable
from bench.personwise import evaluate as evaluate_module
from bench.personwise.inject import INJECT_DIR
from bench.personwise.track import FEATURE_DIR, RawTrack, features_of
from bench.realme import run as realme_run
from bench.realme.diagnose import patched
from bench.realme.moving import SMALL_RADIUS_IOD
from bench.realme.reference import AGREEING

SMALL_DIRS = {FEATURE_DIR: Path("out/personwise/features-small007"),
              realme_run.FEATURES: realme_run.OUT / "features-small007"}
LIDS = ("lid_right", "lid_left")


@dataclass(frozen=True)
class Sum:
    """Which flow is summed with the landmarks (small discs or today's), its weight, and whether the lids are."""

    small: bool = True
    weight: float = 1.0
    lids: bool = False


def small_features(track: RawTrack, video: str | Path, cache_dir: Path | None = FEATURE_DIR) -> FeatureTable:
    """The features of a cached track with the flow over the small discs (cached apart from the defaults)."""
    where = SMALL_DIRS[cache_dir] if cache_dir is not None else None
    with patched(flow_module, {"REGION_RADIUS_IOD": SMALL_RADIUS_IOD}):
        return features_of(track, video, where)


def summed(table: FeatureTable, flow: FeatureTable, how: Sum) -> FeatureTable:
    """`table` with each paired landmark level replaced by its sum with `flow`'s level of the same movement."""
    levels = table.levels.copy()
    norm = math.sqrt(1.0 + how.weight ** 2)
    for lm, fl in AGREEING:
        if lm in LIDS and not how.lids:
            continue
        i, j = LEVELS.index(lm), LEVELS.index(fl)
        levels[:, i] = (table.levels[:, i] - how.weight * flow.levels[:, j]) / norm
    return replace(table, levels=levels)


@contextlib.contextmanager
def summing(how: Sum | None) -> Iterator[None]:
    """While inside, the person-wise benchmark and the real clips read summed levels (None: as they are)."""
    if how is None:
        yield
        return

    def features(track: RawTrack, video: str | Path, cache_dir: Path | None = FEATURE_DIR) -> FeatureTable:
        table = features_of(track, video, cache_dir)
        return summed(table, small_features(track, video, cache_dir) if how.small else table, how)

    with patched(evaluate_module, {"features_of": features}), patched(realme_run, {"features_of": features}):
        yield



def prefetch(log: Callable[[str], object] = print) -> None:
    """Measure (or read) the small-disc features of every video the variants read, with the time each took."""
    quiet = lambda m: print(m, file=sys.stderr)  # noqa: E731
    jobs: list[tuple[RawTrack, Path, Path]] = []
    for pd in evaluate_module.load_people(log=quiet):
        jobs += [(track, Path(clip), FEATURE_DIR) for clip, track in (*pd.natural, *pd.posed)]
        for inj, _src in pd.injected:
            jobs += [(inj.track, INJECT_DIR / inj.track.source, FEATURE_DIR),
                     (inj.control, INJECT_DIR / inj.control.source, FEATURE_DIR)]
    jobs += [(c.track, c.video, realme_run.FEATURES) for c in realme_run.cases(log=quiet)]
    done: set[tuple[str, str]] = set()
    frames, started = 0, time.perf_counter()
    for track, video, cache_dir in jobs:
        if (str(video), str(cache_dir)) in done:  # one control serves every round of a source
            continue
        done.add((str(video), str(cache_dir)))
        t0 = time.perf_counter()
        small_features(track, video, cache_dir)
        frames += len(track)
        log(f"{video.name}: {len(track)} frames in {time.perf_counter() - t0:.1f} s "
            f"(total {frames} frames, {time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    prefetch(lambda m: print(m, flush=True))
