"""Spotting benchmark on injected ground truth (issue 3): `python -m app.bench [--split tune|report] [--quick]`.

Real face clips from tests/data get known facial actions warped in (`app.inject`), and the spotter is
scored against that truth (`app.evaluate`), pooled over every video of a split.

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

import argparse
import contextlib
import math
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, Sequence

import numpy as np

from .evaluate import AMPLITUDE_BUCKETS, DURATION_BUCKETS, evaluate, overlaps
from .features import FeatureTable
from .inject import ACTION_TYPES, MACRO_S, REGION_OF, Event, make_event
from .settings import PRESETS, Settings, preset

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
DEFAULT_ROOT = ROOT / "out" / "bench"
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
    writer = cv2.VideoWriter(str(tmp), cv2.VideoWriter_fourcc(*"FFV1"), fps, size)
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
    micro = [Spec(str(t), "micro", float(d), float(a)) for t, d, a in zip(types, durations, amplitudes)]
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
    from .inject import _ok_frames, pingpong_order, smooth_points, track_video

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
        for k in range(base.injected):
            out.append(VideoPlan(split, base, f"{base.name}_injected_seed{seed}", seed, False))
            seed += 1
        out.append(VideoPlan(split, base, f"{base.name}_natural", 0, True))
    return out


def _truth_current(plan: "VideoPlan", root: Path) -> bool:
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

    from .inject import inject
    from .pipeline import track_video
    from .storage import cache_path, load_cached, save_cached, write_atomic

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
                truth.update({"dataset_version": DATASET_VERSION, "split": split, "base": b.name, "base_source": b.source,
                              "base_frames": [b.start, b.stop], "natural": plan.natural})
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

    from .storage import cache_path, load_cached

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


class EvidenceCache:
    """Loaded videos and each spotter's settings-free evidence per video, kept between `score` calls:
    pass the same cache to many calls and only `spot` runs again. A new cache (or a new process) is
    needed after the evidence code changes."""

    def __init__(self) -> None:
        self.videos: dict[tuple[str, str], list[Video]] = {}
        self.evidence: dict[tuple[str, str], object] = {}

    def split(self, split: str, root: Path) -> list[Video]:
        key = (str(Path(root).resolve()), split)
        if key not in self.videos:
            self.videos[key] = load_split(split, root)
        return self.videos[key]

    def get(self, video: Video, spotter: "RefSpotter") -> object:
        key = (spotter.name, str(video.path.resolve()))
        if key not in self.evidence:
            self.evidence[key] = spotter.evidence(video.table)
        return self.evidence[key]


class RefSpotter:
    """What `score` needs of a spotter: settings-free evidence from a FeatureTable, then moments
    (dicts with start_s, end_s) from evidence and settings."""

    name = "glimpse"

    def evidence(self, table: FeatureTable):
        from .spotting import table_evidence

        return table_evidence(table)

    def moments(self, evidence, settings: Settings) -> list[dict]:
        from .spotting import spot

        return [m.to_dict() for m in spot(evidence, settings)]


GLIMPSE = RefSpotter()


# ----------------------------------------------------------------------------------------------
# The naive reference: a yardstick, not product code.

NAIVE_WINDOW_S = 2.0
NAIVE_STD_FLOOR = 0.01  # blendshape score units: below this a blendshape is treated as still


def naive_threshold(sensitivity: float) -> float:
    """z-score that counts at a sensitivity of 0..100 (same log-linear shape as the spotter's)."""
    hi, lo = 40.0, 2.0
    return hi * (lo / hi) ** (sensitivity / 100.0)


@dataclass
class NaiveEvidence:
    t_s: np.ndarray  # (n,) frame times of one face run
    z: np.ndarray  # (n,) largest |z| over the blendshapes; NaN until the window is full
    half_frame_s: float


class NaiveSpotter(RefSpotter):
    """Per-blendshape z-score against the previous NAIVE_WINDOW_S seconds (mean and std, std floored),
    a moment for every crossing of the threshold by the largest |z|, lasting while it stays over.
    No head-motion, blink or talking handling, no duration limits."""

    name = "naive"

    def evidence(self, table: FeatureTable) -> list[NaiveEvidence]:
        from .spotting import face_runs, nominal_fps

        out = []
        for a, b in face_runs(table.face):
            t = table.t_s[a:b]
            x = table.blendshapes[a:b, 1:].astype(np.float64)  # all but "_neutral"
            fps = nominal_fps(t)
            w = max(2, round(NAIVE_WINDOW_S * fps))
            z = np.full(len(t), np.nan)
            if len(t) > w:
                c1 = np.concatenate([np.zeros((1, x.shape[1])), np.cumsum(x, axis=0)])
                c2 = np.concatenate([np.zeros((1, x.shape[1])), np.cumsum(x * x, axis=0)])
                i = np.arange(w, len(t))  # window: rows i-w .. i-1
                mean = (c1[i] - c1[i - w]) / w
                var = np.maximum((c2[i] - c2[i - w]) / w - mean * mean, 0.0)
                z[w:] = (np.abs(x[w:] - mean) / np.maximum(np.sqrt(var), NAIVE_STD_FLOOR)).max(axis=1)
            out.append(NaiveEvidence(t, z, 0.5 / fps))
        return out

    def moments(self, evidence: list[NaiveEvidence], settings: Settings) -> list[dict]:
        theta = naive_threshold(settings.sensitivity)
        out = []
        for ev in evidence:
            over = np.nan_to_num(ev.z, nan=-1.0) >= theta
            edges = np.flatnonzero(np.diff(np.concatenate([[0], over.astype(np.int8), [0]])))
            for s, e in zip(edges[::2], edges[1::2]):
                out.append({"start_s": float(ev.t_s[s] - ev.half_frame_s), "end_s": float(ev.t_s[e - 1] + ev.half_frame_s)})
        return out


NAIVE = NaiveSpotter()
SPOTTERS = {"glimpse": GLIMPSE, "naive": NAIVE}


# ----------------------------------------------------------------------------------------------
# Scoring.

def frames_visible(event: dict, fps: float) -> int:
    """Frames of the output video on which the event's warp is non-zero (strictly between onset and offset)."""
    k0 = math.floor(event["onset_s"] * fps) + 1
    k1 = math.ceil(event["offset_s"] * fps) - 1
    return sum(1 for k in range(k0, k1 + 1) if event["onset_s"] < k / fps < event["offset_s"])


TURN_GUARD_S = 0.25
GLANCE_MAX_DEFAULT_S = 1.0  # for settings without glance_max_s


def turn_times(truth: dict) -> np.ndarray:
    """Times (s) where the ping-pong lengthening turns round (the clip's first or last frame)."""
    from .inject import pingpong_order

    n_src, n_out, fps = int(truth["source_frames"]), int(truth["frames"]), float(truth["fps"])
    if n_out <= n_src or n_src < 2:
        return np.zeros(0)
    order = pingpong_order(n_src, n_out)
    k = np.flatnonzero((order == 0) | (order == n_src - 1))
    return k[(k > 0) & (k < n_out - 1)] / fps


def at_turn(m: dict, turns: np.ndarray) -> bool:
    """The moment lies within TURN_GUARD_S of a ping-pong turn (where a movement under way reverses:
    a rise-and-return made by the benchmark, not by the face)."""
    return bool(len(turns)) and bool(np.any((m["start_s"] <= turns + TURN_GUARD_S) & (turns - TURN_GUARD_S <= m["end_s"])))


def source_frame(t_s: float, truth: dict) -> int:
    """The base clip's frame shown at `t_s` of a ping-ponged benchmark video."""
    from .inject import pingpong_order

    n_src, n_out, fps = int(truth["source_frames"]), int(truth["frames"]), float(truth["fps"])
    order = pingpong_order(n_src, n_out)
    return int(order[min(max(int(round(t_s * fps)), 0), n_out - 1)])


def distinct_places(frames: Sequence[tuple[str, int]], gap: int = 8) -> int:
    """How many separate places of the footage (base, source frame) the list holds: frames of one base
    closer than `gap` count once. Ping-pong shows each place many times."""
    count = 0
    for base in sorted({b for b, _ in frames}):
        f = sorted(k for b, k in frames if b == base)
        count += 1 + sum(1 for a, b in zip(f, f[1:]) if b - a >= gap) if f else 0
    return count


def is_core(e: dict) -> bool:
    d = e["offset_s"] - e["onset_s"]
    return (CORE_DURATION_S[0] - 1e-9 <= d <= CORE_DURATION_S[1] + 1e-9
            and (e.get("amplitude_iod") or 0.0) >= CORE_AMPLITUDE_IOD - 1e-9)


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float] | None:
    """95 % Wilson interval of a proportion k/n."""
    if not n:
        return None
    p = k / n
    den = 1 + z * z / n
    mid = (p + z * z / (2 * n)) / den
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    return max(0.0, mid - half), min(1.0, mid + half)


def _rate(events: list[dict]) -> dict:
    k, n = sum(e["hit"] for e in events), len(events)
    return {"hits": k, "events": n, "recall": k / n if n else None, "ci95": wilson(k, n)}


def _by(events: list[dict], key: Callable[[dict], str], order: Sequence[str] = ()) -> dict[str, dict]:
    groups: dict[str, list[dict]] = {}
    for e in events:
        groups.setdefault(key(e), []).append(e)
    names = [n for n in order if n in groups] + sorted(set(groups) - set(order))
    return {n: _rate(groups[n]) for n in names}


def _bucket(value: float, buckets) -> str:
    return next((name for name, lo, hi in buckets if lo <= value < hi), "other")


def pooled_metrics(per_video: list[tuple[Video, list[dict]]], settings: Settings) -> dict:
    """Metrics pooled over videos, from (video, moments) pairs; natural videos count only for false alarms."""
    events, macro_hits, macro_n, macro_own = [], 0, 0, 0
    natural_moments = {v.plan.base.name: ms for v, ms in per_video if v.natural}
    moments_inj = true_inj = fa_inj = 0
    tp = fp = fn = 0
    min_inj = min_nat = 0.0
    fa_nat = 0
    longest, over, over_glance, over_own = 0.0, 0, 0, 0
    turns_nat = turns_inj = 0
    places: list[tuple[str, int]] = []
    for video, moments in per_video:
        durations = [m["end_s"] - m["start_s"] for m in moments]
        longest = max([longest] + durations)
        over += sum(d > settings.max_duration_s + 1e-6 for d in durations)
        over_glance += sum(d > settings.max_duration_s + 1e-6 and m.get("kind") == "glance"
                           for d, m in zip(durations, moments))
        glance_max = getattr(settings, "glance_max_s", GLANCE_MAX_DEFAULT_S)
        over_own += sum(d > (glance_max if m.get("kind") == "glance" else settings.max_duration_s) + 1e-6
                        for d, m in zip(durations, moments))
        turns = turn_times(video.truth)
        if video.natural:
            fa_nat += len(moments)
            turns_nat += sum(at_turn(m, turns) for m in moments)
            places += [(video.plan.base.name, source_frame((m["start_s"] + m["end_s"]) / 2, video.truth)) for m in moments]
            min_nat += video.duration_s / 60
            continue
        r = evaluate(video.truth, moments, video.duration_s, TOLERANCE_S)
        min_inj += video.duration_s / 60
        fps = float(video.truth["fps"])
        for e in r["events"]:
            events.append({**e, "duration_s": e["offset_s"] - e["onset_s"], "region": REGION_OF[e["type"]],
                           "frames": frames_visible(e, fps), "video": video.plan.name})
        macro_hits += r["macro_overlapped_count"]
        macro_n += r["macro_events"]
        # moments the same footage gives at the same time without any injection are the footage's own
        own = natural_moments.get(video.plan.base.name, [])
        fresh = [m for m in moments if not any(abs(m["start_s"] - n["start_s"]) <= TURN_GUARD_S for n in own)]
        macro_own += sum(any(overlaps(m["start_s"], m["end_s"], e["onset_s"] - TOLERANCE_S, e["offset_s"] + TOLERANCE_S)
                             for m in fresh) for e in video.truth["events"] if e["kind"] == "macro")
        moments_inj += r["moments"]
        true_inj += r["true_moments"]
        fa_inj += sum(not m["on_macro"] for m in r["false_alarm_moments"])
        turns_inj += sum(not m["on_macro"] and at_turn(m, turns) for m in r["false_alarm_moments"])
        tp, fp, fn = tp + r["megc"]["tp"], fp + r["megc"]["fp"], fn + r["megc"]["fn"]
    core = [e for e in events if is_core(e)]
    return {
        "settings": settings.to_dict(),
        "videos_injected": sum(not v.natural for v, _ in per_video),
        "videos_natural": sum(v.natural for v, _ in per_video),
        "minutes_injected": min_inj,
        "minutes_natural": min_nat,
        "micro_events": len(events),
        "macro_events": macro_n,
        "core": _rate(core),
        "core_no_nose": _rate([e for e in core if e["type"] != "nose_wrinkle"]),
        "all_micro": _rate(events),
        "two_frame": _rate([e for e in events if e["frames"] <= TWO_FRAME_MAX]),
        "by_duration": _by(events, lambda e: _bucket(e["duration_s"], DURATION_BUCKETS), [b[0] for b in DURATION_BUCKETS]),
        "by_type": _by(events, lambda e: e["type"], ACTION_TYPES),
        "by_region": _by(events, lambda e: e["region"], ("brows", "lids", "nose", "mouth")),
        "by_amplitude": _by(events, lambda e: _bucket(e["amplitude_iod"], AMPLITUDE_BUCKETS),
                            [b[0] for b in AMPLITUDE_BUCKETS]),
        "core_by_region": _by(core, lambda e: e["region"], ("brows", "lids", "nose", "mouth")),
        "moments_injected": moments_inj,
        "precision": true_inj / moments_inj if moments_inj else None,
        "false_alarms_natural": fa_nat,
        "false_alarms_natural_at_turns": turns_nat,
        "false_alarms_natural_places": distinct_places(places),
        "false_alarms_injected_at_turns": turns_inj,
        "fa_per_min_natural": fa_nat / min_nat if min_nat else None,
        "false_alarms_injected": fa_inj,
        "fa_per_min_injected": fa_inj / min_inj if min_inj else None,
        "macro_reported": macro_hits / macro_n if macro_n else None,
        "macro_reported_count": macro_hits,
        "macro_reported_not_footage": macro_own / macro_n if macro_n else None,
        "macro_reported_not_footage_count": macro_own,
        "megc": {"tp": tp, "fp": fp, "fn": fn, "f1": 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else None},
        "longest_moment_s": longest,
        "moments_over_max": over,
        "glances_over_max": over_glance,
        "moments_over_own_limit": over_own,  # expressions over max_duration_s, glances over glance_max_s
        "max_duration_s": settings.max_duration_s,
        "events": events,
    }


def score(split: str, settings: Settings, evidence_cache: EvidenceCache | None = None, *,
          spotter: str | RefSpotter = "glimpse", root: Path = DEFAULT_ROOT) -> dict:
    """Pooled metrics of `spotter` under `settings` on every video of `split` (built and tracked first
    when missing). Pass one `EvidenceCache` to many calls: evidence is then computed once per video."""
    cache = evidence_cache if evidence_cache is not None else EvidenceCache()
    sp = SPOTTERS[spotter] if isinstance(spotter, str) else spotter
    per_video = [(v, sp.moments(cache.get(v, sp), settings)) for v in cache.split(split, root)]
    out = pooled_metrics(per_video, settings)
    out.update({"split": split, "spotter": sp.name})
    return out


def sweep(split: str, cache: EvidenceCache, spotter: str = "glimpse", base: Settings | None = None,
          sensitivities: Sequence[float] = tuple(range(0, 101, 5)), root: Path = DEFAULT_ROOT) -> list[dict]:
    """`score` at each sensitivity (other settings from `base`, default the balanced preset)."""
    base = base or preset("balanced")
    return [score(split, base.replace(sensitivity=float(s)), cache, spotter=spotter, root=root)
            for s in sensitivities]


def best_under(points: list[dict], max_fa: float, key: Callable[[dict], float | None] = lambda r: r["core"]["recall"]
               ) -> tuple[float | None, dict | None]:
    """The best `key` among sweep points whose natural false alarms per minute are at most `max_fa`."""
    ok = [(key(p), p) for p in points if p["fa_per_min_natural"] is not None and p["fa_per_min_natural"] <= max_fa
          and key(p) is not None]
    if not ok:
        return None, None
    return max(ok, key=lambda x: (x[0], -x[1]["fa_per_min_natural"]))


# ----------------------------------------------------------------------------------------------
# Text tables.

def _f(v: float | None, digits: int = 2) -> str:
    return "-" if v is None else f"{v:.{digits}f}"


def _r(rate: dict) -> str:
    return "-" if rate["recall"] is None else f"{rate['recall']:.2f} ({rate['hits']}/{rate['events']})"


def metric_rows(r: dict) -> list[tuple[str, str]]:
    """(label, value) rows of one result, in table order."""
    ci = r["core"]["ci95"]
    rows = [
        ("Core recall (micro 100-450 ms, >= 0.045 IOD)", _r(r["core"])),
        ("  95 % interval", "-" if ci is None else f"{ci[0]:.2f}-{ci[1]:.2f}"),
        ("Core recall without nose_wrinkle", _r(r["core_no_nose"])),
        ("Recall, all micro events", _r(r["all_micro"])),
        ("Recall, 2-frame events (warp on <= 2 frames)", _r(r["two_frame"])),
    ]
    rows += [(f"  duration {k}", _r(v)) for k, v in r["by_duration"].items()]
    rows += [(f"  amplitude {k}", _r(v)) for k, v in r["by_amplitude"].items()]
    rows += [(f"  region {k}", _r(v)) for k, v in r["by_region"].items()]
    rows += [(f"  type {k}", _r(v)) for k, v in r["by_type"].items()]
    rows += [
        ("Precision (injected videos)", f"{_f(r['precision'])} ({r['moments_injected']} moments)"),
        ("False alarms / min, natural videos", f"{_f(r['fa_per_min_natural'])} ({r['false_alarms_natural']})"),
        ("  distinct places in the footage", str(r["false_alarms_natural_places"])),
        ("  of them at ping-pong turns", str(r["false_alarms_natural_at_turns"])),
        ("False alarms / min, injected (off all events)", f"{_f(r['fa_per_min_injected'])} ({r['false_alarms_injected']})"),
        ("  of them at ping-pong turns", str(r["false_alarms_injected_at_turns"])),
        ("Macro events reported as moments", f"{_f(r['macro_reported'])} ({r['macro_reported_count']}/{r['macro_events']})"),
        ("  not counting the footage's own moments", f"{_f(r['macro_reported_not_footage'])} "
         f"({r['macro_reported_not_footage_count']}/{r['macro_events']})"),
        ("MEGC F1 (IoU >= 0.5)", f"{_f(r['megc']['f1'])} (TP {r['megc']['tp']} FP {r['megc']['fp']} FN {r['megc']['fn']})"),
        ("Longest moment / max_duration (s)", f"{r['longest_moment_s']:.2f} / {r['max_duration_s']:.2f}"
         + (f" ({r['moments_over_max']} over, {r['glances_over_max']} glances)" if r["moments_over_max"] else "")),
    ]
    return rows


def text_table(results: dict[str, dict], title: str = "") -> str:
    """A fixed-width table: one column per named result."""
    names = list(results)
    rows = [metric_rows(results[n]) for n in names]
    labels = [label for label, _ in rows[0]]
    widths = [max(len(n), *(len(rw[i][1]) for i in range(len(labels)))) for n, rw in zip(names, rows)]
    lw = max(len(x) for x in labels)
    lines = [title] if title else []
    lines.append(" " * lw + "  " + "  ".join(n.rjust(w) for n, w in zip(names, widths)))
    for i, label in enumerate(labels):
        lines.append(label.ljust(lw) + "  " + "  ".join(rw[i][1].rjust(w) for rw, w in zip(rows, widths)))
    return "\n".join(lines)


def md_table(results: dict[str, dict]) -> str:
    names = list(results)
    rows = [metric_rows(results[n]) for n in names]
    lines = ["| metric | " + " | ".join(names) + " |", "|---" * (len(names) + 1) + "|"]
    for i, (label, _) in enumerate(rows[0]):
        lab = label.strip()
        lab = f"&nbsp;&nbsp;{lab}" if label.startswith("  ") else lab
        lines.append(f"| {lab} | " + " | ".join(rw[i][1] for rw in rows) + " |")
    return "\n".join(lines)


def dataset_summary(videos: list[Video]) -> dict:
    inj = [v for v in videos if not v.natural]
    nat = [v for v in videos if v.natural]
    micro = [e for v in inj for e in v.truth["events"] if e["kind"] == "micro"]
    macro = [e for v in inj for e in v.truth["events"] if e["kind"] == "macro"]
    return {
        "bases": sorted({v.plan.base.name for v in videos}),
        "injected_videos": len(inj), "natural_videos": len(nat),
        "minutes_injected": sum(v.duration_s for v in inj) / 60, "minutes_natural": sum(v.duration_s for v in nat) / 60,
        "micro": len(micro), "macro": len(macro), "core": sum(is_core(e) for e in micro),
        "two_frame": sum(frames_visible(e, float(v.truth["fps"])) <= TWO_FRAME_MAX
                         for v in inj for e in v.truth["events"] if e["kind"] == "micro"),
        "seeds": [v.plan.seed for v in inj],
    }


def quick(split: str, root: Path, cache: EvidenceCache | None = None, naive: bool = False) -> str:
    """The one-screen table for the three presets (and a sweep summary) on one split."""
    cache = cache or EvidenceCache()
    t0 = time.perf_counter()
    results = {name: score(split, preset(name), cache, root=root) for name in PRESETS}
    if naive:
        results["naive@50"] = score(split, preset("balanced"), cache, spotter="naive", root=root)
    t1 = time.perf_counter()
    points = sweep(split, cache, root=root)
    t2 = time.perf_counter()
    d = dataset_summary(cache.split(split, root))
    head = (f"{split_label(split)}: {d['injected_videos']} injected videos ({d['minutes_injected']:.1f} min, "
            f"{d['micro']} micro of which {d['core']} core and {d['two_frame']} 2-frame, {d['macro']} macro), "
            f"{d['natural_videos']} natural ({d['minutes_natural']:.1f} min)")
    lines = [text_table(results, head), ""]
    for cap in (1.0, 3.0, 5.0):
        rec, p = best_under(points, cap)
        lines.append(f"sweep: best core recall at <= {cap:g} false alarms/min (natural): "
                     + ("none" if p is None else f"{rec:.2f} at sensitivity {p['settings']['sensitivity']:g} "
                        f"({p['fa_per_min_natural']:.2f}/min)"))
    lines.append(f"(scored in {t1 - t0:.1f} s incl. evidence; sweep of {len(points)} settings in {t2 - t1:.1f} s)")
    return "\n".join(lines)


# ----------------------------------------------------------------------------------------------
# Command line.

def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m app.bench", description=__doc__.split("\n\n")[0])
    ap.add_argument("--split", choices=SPLITS, default="report",
                    help="with --quick: which split (default: report); the full run reports both")
    ap.add_argument("--quick", action="store_true", help="only the one-screen preset table for --split")
    ap.add_argument("--naive", action="store_true", help="with --quick: also the naive reference spotter")
    ap.add_argument("--root", type=Path, default=DEFAULT_ROOT, help="dataset folder (default: out/bench)")
    ap.add_argument("--build-only", action="store_true", help="build videos and cached features, then stop")
    ap.add_argument("--retrack", action="store_true",
                    help="track every video again (after a change to tracking or features.py)")
    args = ap.parse_args(argv)
    if args.retrack or args.build_only:
        build_dataset(args.root, SPLITS, retrack=args.retrack)
        if args.build_only:
            return 0
    if args.quick:
        print(quick(args.split, args.root, naive=args.naive))
        return 0
    from .bench_report import full_report

    return full_report(args.root)


if __name__ == "__main__":
    sys.exit(main())
