"""Spotting benchmark on injected ground truth (issue 3): `python -m bench accuracy [--split tune|report] [--quick]`.

Real face clips from tests/data get known facial actions warped in (`app.research.inject`), and the spotter is
scored against that truth (`app.research.evaluate`), pooled over every video of a split.

Two splits, kept strictly apart (no frame of footage is in both):

* **tune** -- the spotter may be tuned on it: the first half of WolfgangLanger_Pexels.mp4 (0-9.8 s);
  injection seeds 0, 1, 2.
* **report** -- never tuned on, the figures we publish: the second half of WolfgangLanger_Pexels.mp4
  (9.8-19.7 s) and the face part of face_noface.mov; seeds 100 to 105.

single_face.mp4, face_noface.mov and noface_face.mov hold the *same* 72 frames of one man (checked
pixel by pixel: frames 0-71 of single_face are frames 0-71 of face_noface and 96-167 of noface_face), so
that footage can be in one split only; it is in the report split, once.

Per base clip: `Base.injected` videos of `LENGTH_S` seconds (the clip played forward and back), each with
`N_MICRO` micro events (60-500 ms, `N_TWO_FRAME` of them 60-90 ms, visible on only 1-2 frames;
amplitudes spread over 0.02-0.08 IOD; all seven action types) and `N_MACRO` held macro events (1.5-4 s);
plus one *natural* video of the same length with nothing injected, for false alarms per minute.

Everything is built once under out/bench (`build_dataset`), tracked once, and the features cached in
out/bench/cache (GLIMPSE_CACHE_DIR, so the user's cache is untouched). Scoring then needs no tracking:
`score(split, settings, cache)` computes each video's settings-free evidence once per `EvidenceCache`
and re-runs only `spot` for each new settings.
"""

from __future__ import annotations

import contextlib
import math
import os
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from app.face.features import FeatureTable
from app.research.events import ACTION_TYPES, MACRO_S, Event, make_event
from bench.common.paths import DATA, DEFAULT_ROOT

SPLITS = ("tune", "report")

LENGTH_S = 60.0
N_MICRO = 20
N_TWO_FRAME = 4  # of the micro events, this many last 60-90 ms (1-2 frames at 24-30 fps)
N_MACRO = 2
MICRO_RANGE_S = (0.06, 0.5)
TWO_FRAME_RANGE_S = (0.06, 0.09)
AMPLITUDE_RANGE_IOD = (0.02, 0.08)
FIRST_EVENT_S = 2.5  # after the spotter's warm-up
MIN_GAP_S = 1.7  # between one event's offset and the next one's onset
MACRO_SLACK_S = 0.5  # a macro event's slot is this much longer than the event plus the gap
MARGIN_S = 0.5  # a usable face this long before and after each event
TOLERANCE_S = 0.1  # as `glimpse evaluate`
DATASET_VERSION = 2  # bump when the dataset's design changes: older videos are then rebuilt

# The headline figure: micro events that are clearly brief and clearly visible.
CORE_DURATION_S = (0.1, 0.45)
CORE_AMPLITUDE_IOD = 0.045
TWO_FRAME_MAX = 2  # frames on which the warp is non-zero


@dataclass(frozen=True)
class Base:
    """A base clip: frames [start, stop) of a file in tests/data (stop None: to the end), and how many
    injected videos are made from it (plus one natural one)."""

    name: str
    source: str
    split: str
    start: int = 0
    stop: int | None = None
    injected: int = 3


WOLFGANG = "WolfgangLanger_Pexels.mp4"  # 472 frames at 23.98 fps; frame 236 is at 9.84 s
BASES = (
    Base("wolfgang_first_half", WOLFGANG, "tune", 0, 236),
    Base("wolfgang_second_half", WOLFGANG, "report", 236, None),
    # The man's 72 frames (also single_face.mp4 and noface_face.mov 96-167). His mouth opens on the
    # last three (69-71): played forward and back, that turn would be a sharp rise-and-return of the
    # mouth every 4.9 s, made by the benchmark, not by him; the clip stops before it.
    Base("man_face_noface", "face_noface.mov", "report", 0, 66),
)
FIRST_SEED = {"tune": 0, "report": 100}


def split_label(split: str) -> str:
    return {"tune": "tune split (the spotter may be tuned on it)",
            "report": "report split (held out, never tuned on)"}[split]


# ----------------------------------------------------------------------------------------------
# Building the dataset.

@contextlib.contextmanager
def bench_cache(root: Path = DEFAULT_ROOT) -> Iterator[Path]:
    """Glimpse's feature cache pointed into the benchmark folder for the duration (the user's cache
    stays untouched)."""
    cache = Path(root).resolve() / "cache"
    old = os.environ.get("GLIMPSE_CACHE_DIR")
    os.environ["GLIMPSE_CACHE_DIR"] = str(cache)
    try:
        yield cache
    finally:
        if old is None:
            os.environ.pop("GLIMPSE_CACHE_DIR", None)
        else:
            os.environ["GLIMPSE_CACHE_DIR"] = old


def cut_clip(src: Path, dst: Path, start: int, stop: int | None) -> None:
    """Frames [start, stop) of `src` into `dst`, lossless (FFV1 in AVI) at the source's frame rate."""
    import cv2

    cap = cv2.VideoCapture(str(src), cv2.CAP_FFMPEG)
    if not cap.isOpened():
        raise RuntimeError(f"{src}: cannot be opened")
    fps = cap.get(cv2.CAP_PROP_FPS)
    size = (int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)))
    tmp = dst.with_name(f"{dst.stem}.part{dst.suffix}")
    dst.parent.mkdir(parents=True, exist_ok=True)
    writer = cv2.VideoWriter(str(tmp), cv2.VideoWriter.fourcc(*"FFV1"), fps, size)
    i = written = 0
    try:
        while True:
            ok, image = cap.read()
            if not ok:
                break
            if i >= start and (stop is None or i < stop):
                writer.write(image)
                written += 1
            i += 1
    finally:
        writer.release()
        cap.release()
    if not written:
        raise RuntimeError(f"{src}: no frames in [{start}, {stop})")
    tmp.replace(dst)


def _strata(rng: np.random.Generator, n: int, lo: float, hi: float, log: bool = False) -> np.ndarray:
    """n values, one drawn uniformly in each of n equal strata of [lo, hi] (in log space when `log`),
    shuffled: spread evenly over the range, in a random order."""
    a, b = (math.log(lo), math.log(hi)) if log else (lo, hi)
    v = a + (b - a) * (np.arange(n) + rng.random(n)) / n
    v = np.exp(v) if log else v
    return v[rng.permutation(n)]


@dataclass(frozen=True)
class Spec:
    type: str
    kind: str
    duration_s: float
    amplitude_iod: float


def draw_specs(rng: np.random.Generator) -> list[Spec]:
    """The events of one injected video, in timeline order: N_MICRO micro (every type at least
    N_MICRO // 7 times, durations and amplitudes stratified over their ranges, N_TWO_FRAME of them
    60-90 ms) and N_MACRO macro."""
    n_long = N_MICRO - N_TWO_FRAME
    durations = np.concatenate([rng.uniform(*TWO_FRAME_RANGE_S, N_TWO_FRAME),
                                _strata(rng, n_long, TWO_FRAME_RANGE_S[1], MICRO_RANGE_S[1], log=True)])
    durations = durations[rng.permutation(N_MICRO)]
    amplitudes = _strata(rng, N_MICRO, *AMPLITUDE_RANGE_IOD)
    full, rest = divmod(N_MICRO, len(ACTION_TYPES))
    types = list(ACTION_TYPES) * full + list(rng.choice(ACTION_TYPES, rest, replace=False))
    types = [types[i] for i in rng.permutation(N_MICRO)]
    micro = [Spec(str(t), "micro", float(d), float(a)) for t, d, a in zip(types, durations, amplitudes, strict=True)]
    macro = [Spec(str(rng.choice(ACTION_TYPES)), "macro", float(rng.uniform(*MACRO_S)),
                  float(rng.uniform(*AMPLITUDE_RANGE_IOD))) for _ in range(N_MACRO)]
    order = rng.permutation(N_MICRO + N_MACRO)
    specs = micro + macro
    return [specs[i] for i in order]


def _slot_apexes(spec: Spec, type: str, lo: float, hi: float, bad: np.ndarray, fps: float, n: int) -> np.ndarray:
    """Apex frames that put the event inside [lo, hi] s, with `bad` (cumulative count of unusable
    frames) zero from MARGIN_S before it to MARGIN_S after it."""
    proto = make_event(type, 0.0, spec.duration_s, spec.amplitude_iod, spec.kind)
    apex = np.arange(math.ceil((lo - proto.onset_s) * fps), math.floor((hi - proto.offset_s) * fps) + 1)
    a = np.clip(np.floor((apex / fps + proto.onset_s - MARGIN_S) * fps).astype(int), 0, n - 1)
    b = np.clip(np.ceil((apex / fps + proto.offset_s + MARGIN_S) * fps).astype(int), 0, n - 1)
    return apex[bad[b + 1] - bad[a] == 0]


def plan_timeline(specs: Sequence[Spec], ok: dict[str, np.ndarray], fps: float, n_frames: int,
                  rng: np.random.Generator) -> list[Event]:
    """Place `specs` in order, one per slot: the timeline from FIRST_EVENT_S to MARGIN_S before the end
    is cut into slots, a macro one its event's length plus MIN_GAP_S and MACRO_SLACK_S, the micro ones sharing the rest
    equally, and each event goes at a random frame of its slot that keeps MIN_GAP_S / 2 from the slot's
    edges and has `ok[type]` from MARGIN_S before to MARGIN_S after the event. When no frame of the slot
    will do, a later micro event that fits takes the slot (the plan keeps its types); only when none does,
    the event takes another type."""
    specs = list(specs)
    end_s = n_frames / fps - MARGIN_S
    macro_need = sum(s.duration_s + MIN_GAP_S + MACRO_SLACK_S for s in specs if s.kind == "macro")
    n_micro = sum(s.kind == "micro" for s in specs)
    micro_slot = ((end_s - FIRST_EVENT_S) - macro_need) / max(n_micro, 1)
    longest = max((s.duration_s for s in specs if s.kind == "micro"), default=0.0)
    if micro_slot < longest + MIN_GAP_S:
        raise RuntimeError(f"{len(specs)} events do not fit in {n_frames / fps:.1f} s with {MIN_GAP_S:g} s gaps")
    bad = {t: np.concatenate([[0], np.cumsum(~m)]) for t, m in ok.items()}
    events, t0 = [], FIRST_EVENT_S
    for k in range(len(specs)):
        size = specs[k].duration_s + MIN_GAP_S + MACRO_SLACK_S if specs[k].kind == "macro" else micro_slot
        lo, hi = t0 + MIN_GAP_S / 2, t0 + size - MIN_GAP_S / 2
        t0 += size
        spec, good = specs[k], _slot_apexes(specs[k], specs[k].type, lo, hi, bad[specs[k].type], fps, n_frames)
        if not len(good) and spec.kind == "micro":
            for j in range(k + 1, len(specs)):
                if specs[j].kind == "micro" and specs[j].type != spec.type:
                    good = _slot_apexes(specs[j], specs[j].type, lo, hi, bad[specs[j].type], fps, n_frames)
                    if len(good):
                        specs[k], specs[j] = specs[j], specs[k]
                        spec = specs[k]
                        break
        type = spec.type
        if not len(good):
            for type in ACTION_TYPES:
                good = _slot_apexes(spec, type, lo, hi, bad[type], fps, n_frames)
                if len(good):
                    break
            else:
                raise RuntimeError(f"no place for a {spec.kind} event in {lo:.1f}-{hi:.1f} s")
        events.append(make_event(type, int(rng.choice(good)) / fps, spec.duration_s, spec.amplitude_iod, spec.kind))
    return events


def _usable_frames(clip: Path, length_s: float) -> tuple[float, int, dict[str, np.ndarray]]:
    """Frame rate, output frame count and, per action type, the output frames (the clip ping-ponged to
    `length_s`, as `inject` does) where it may be injected: the injector's own rule (a face; for lid
    raises, open eyes) on its own smoothed track."""
    from app.research.inject import (
        _ok_frames,
        pingpong_order,
        smooth_points,
        track_video,
    )

    track = track_video(clip)
    n_out = max(int(round(length_s * track.fps)), 1)
    order = pingpong_order(len(track), n_out)
    return track.fps, n_out, _ok_frames(smooth_points(track.points[order], track.face[order]), track.face[order])


@dataclass(frozen=True)
class VideoPlan:
    split: str
    base: Base
    name: str
    seed: int
    natural: bool

    def video(self, root: Path) -> Path:
        return Path(root) / self.split / f"{self.name}.mp4"

    def truth(self, root: Path) -> Path:
        return Path(root) / self.split / f"{self.name}.truth.json"


def plans(split: str) -> list[VideoPlan]:
    """Every video of a split, in a fixed order (seeds are numbered in that order)."""
    out, seed = [], FIRST_SEED[split]
    for base in (b for b in BASES if b.split == split):
        for _ in range(base.injected):
            out.append(VideoPlan(split, base, f"{base.name}_injected_seed{seed}", seed, False))
            seed += 1
        out.append(VideoPlan(split, base, f"{base.name}_natural", 0, True))
    return out


def _truth_current(plan: VideoPlan, root: Path) -> bool:
    """The video's truth exists and was built by this dataset design from this base clip."""
    import json

    try:
        t = json.loads(plan.truth(root).read_text())
    except (OSError, ValueError):
        return False
    return (t.get("dataset_version") == DATASET_VERSION and t.get("base_source") == plan.base.source
            and t.get("base_frames") == [plan.base.start, plan.base.stop])


def build_dataset(root: Path = DEFAULT_ROOT, splits: Sequence[str] = SPLITS, retrack: bool = False,
                  log: Callable[[str], None] = print) -> None:
    """Build what is missing under `root`: base clips, injected and natural videos with truth JSONs,
    and their cached features. Files that exist are kept (delete `root` to rebuild from scratch)."""
    import json

    from app.research.inject import inject
    from app.run.pipeline import track_video
    from app.store.cache import cache_path, load_cached, save_cached
    from app.system.files import write_atomic

    root = Path(root)
    for split in splits:
        for plan in plans(split):
            b = plan.base
            clip = root / "bases" / f"{b.name}_{b.start}-{'end' if b.stop is None else b.stop}.avi"
            if not clip.exists():
                log(f"cutting {b.source} [{b.start}:{b.stop}] -> {clip}")
                cut_clip(DATA / b.source, clip, b.start, b.stop)
            video, truth_path = plan.video(root), plan.truth(root)
            if not (video.exists() and _truth_current(plan, root)):
                t0 = time.perf_counter()
                if plan.natural:
                    events: list[Event] = []
                else:
                    rng = np.random.default_rng(plan.seed)
                    fps, n_out, ok = _usable_frames(clip, LENGTH_S)
                    events = plan_timeline(draw_specs(rng), ok, fps, n_out, rng)
                truth = inject(clip, video, events, plan.seed, LENGTH_S)
                truth.update({"dataset_version": DATASET_VERSION, "split": split, "base": b.name,
                              "base_source": b.source, "base_frames": [b.start, b.stop], "natural": plan.natural})
                write_atomic(truth_path, (json.dumps(truth, indent=1) + "\n").encode())
                log(f"[{split}] wrote {video.name}: {truth['duration_s']:.1f} s, {len(truth['events'])} events "
                    f"({time.perf_counter() - t0:.0f} s)")
            with bench_cache(root):
                cached = cache_path(video)
                if retrack and cached.exists():
                    cached.unlink()
                if load_cached(cached) is None:
                    t0 = time.perf_counter()
                    info, table = track_video(video)
                    save_cached(cached, table)
                    log(f"[{split}] tracked {video.name}: {len(table)} frames, "
                        f"{len(table) / (time.perf_counter() - t0):.0f} frames/s")




# ----------------------------------------------------------------------------------------------
# Loading, evidence, spotting.

@dataclass
class Video:
    """One benchmark video: its truth and its tracked features."""

    plan: VideoPlan
    path: Path
    truth: dict
    table: FeatureTable

    @property
    def natural(self) -> bool:
        return self.plan.natural

    @property
    def duration_s(self) -> float:
        return float(self.truth["duration_s"])


def load_split(split: str, root: Path = DEFAULT_ROOT) -> list[Video]:
    """The videos of a split with their cached features; builds whatever is missing first."""
    import json

    from app.store.cache import cache_path, load_cached

    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; expected one of {SPLITS}")
    root = Path(root)
    videos = []
    for plan in plans(split):
        path = plan.video(root)
        with bench_cache(root):
            table = load_cached(cache_path(path)) if path.exists() and _truth_current(plan, root) else None
        if table is None:
            build_dataset(root, [split])
            with bench_cache(root):
                table = load_cached(cache_path(path))
        videos.append(Video(plan, path, json.loads(plan.truth(root).read_text()), table))
    return videos
