"""Ground truth from real faces: warp the pixels of a facial region for a known time.

Public micro-expression datasets are licence-gated, so `inject` takes an
ordinary face video and writes a copy in which chosen regions move (brows up,
lip corners out and up, ...) with an onset-apex-offset envelope, plus the
truth JSON that says when and what. Two passes over the video: the first
tracks the face (MediaPipe) and plans the events, the second warps and writes.

Warps follow the face: each action is a few *handles* (landmark polylines)
moved by a displacement that falls off smoothly (a Gaussian look-alike that
reaches zero, with separate widths above, below and along the handle) and is
applied with `cv2.remap`.
Handles sit on landmarks averaged over 5 frames, so tracker jitter does not
leak into the injected motion. Amplitudes are in inter-ocular distances (IOD,
between the eye centres) and are the displacement of the handle's landmarks at
apex.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import cv2
import numpy as np

from app.errors import NoFaceFound, VideoUnreadable
from app.research.events import (
    ACTION_TYPES,
    AMPLITUDE_IOD,
    MACRO_S,
    MICRO_S,
    Event,
    InjectError,
    make_event,
)
from app.research.warp import (
    LEFT_EYE_CORNERS,
    LIMITS,
    RIGHT_EYE_CORNERS,
    USED_LANDMARKS,
    FaceFrame,
    Pull,
    warp_frame,
)
from app.sources.capture import FileSource

SMOOTH_FRAMES = 5



# ----------------------------------------------------------------------------------------------
# Timeline: tracking, smoothing, ping-pong, planning.

@dataclass(frozen=True)
class Track:
    """Face tracked in every source frame: `points` (N, len(USED_LANDMARKS), 2) float32 pixels, NaN
    without a face; `face` (N,) bool."""

    points: np.ndarray
    face: np.ndarray
    fps: float
    size: tuple[int, int]  # (width, height)

    def __len__(self) -> int:
        return len(self.face)


def track_video(path: str | Path, model_path: str | Path | None = None, cache: BinaryIO | None = None,
                progress: Callable[[str, int, int], None] | None = None) -> Track:
    """Track the face in every frame (a fresh tracker); when `cache` (a binary file) is given, also
    write every decoded frame's raw bytes to it, for out-of-order reading."""
    from app.face.tracking import FaceTracker

    rows, face = [], []
    with FileSource(path) as src, FaceTracker(model_path) as tracker:
        info = src.info
        for frame in src:
            obs = tracker.update(frame.image, frame.t_s)
            if obs is None:
                rows.append(np.full((len(USED_LANDMARKS), 2), np.nan, np.float32))
            else:
                rows.append(obs.landmarks[USED_LANDMARKS, :2] * np.array([info.width, info.height], np.float32))
            face.append(obs is not None)
            if cache is not None:
                cache.write(np.ascontiguousarray(frame.image).tobytes())
            if progress and frame.index % 50 == 0:
                progress("tracking", frame.index, info.frame_count)
    return Track(np.stack(rows), np.array(face), info.fps, (info.width, info.height))


def pingpong_order(n_source: int, n_out: int) -> np.ndarray:
    """Source frame index of each output frame: forward, backward, forward... without repeating the
    turning frames (0 1 2 1 0 1 2 ...), or the first `n_out` frames when that is no longer."""
    if n_source < 1 or n_out < 1:
        raise ValueError("need at least one source and one output frame")
    if n_source == 1:
        return np.zeros(n_out, int)
    cycle = np.concatenate([np.arange(n_source), np.arange(n_source - 2, 0, -1)])
    return np.resize(cycle, n_out)


def smooth_points(points: np.ndarray, face: np.ndarray, window: int = SMOOTH_FRAMES) -> np.ndarray:
    """Centred moving average over `window` frames of the frames with a face (NaN stays NaN)."""
    if window <= 1:
        return points.copy()
    valid = face[:, None, None].astype(np.float64)
    filled = np.where(valid > 0, points, 0.0)
    half = window // 2
    pad = ((half, half), (0, 0), (0, 0))
    csum = np.cumsum(np.pad(filled, pad), axis=0)
    cnt = np.cumsum(np.pad(np.broadcast_to(valid, filled.shape), pad), axis=0)
    csum = np.concatenate([np.zeros_like(csum[:1]), csum])
    cnt = np.concatenate([np.zeros_like(cnt[:1]), cnt])
    s = csum[window:] - csum[:-window]
    n = cnt[window:] - cnt[:-window]
    out = (s / np.maximum(n, 1)).astype(np.float32)
    out[~face] = np.nan
    return out


def _full(points_used: np.ndarray) -> np.ndarray:
    full = np.full((478, 2), np.nan, np.float64)
    full[USED_LANDMARKS] = points_used
    return full


def _col(idx: int) -> int:
    return int(np.searchsorted(USED_LANDMARKS, idx))


def _iod(points: np.ndarray) -> np.ndarray:
    """IOD in pixels per frame of (N, len(USED_LANDMARKS), 2) points."""
    right = points[:, [_col(i) for i in RIGHT_EYE_CORNERS]].mean(1)
    left = points[:, [_col(i) for i in LEFT_EYE_CORNERS]].mean(1)
    return np.linalg.norm(left - right, axis=1)


def _ok_frames(points: np.ndarray, face: np.ndarray) -> dict[str, np.ndarray]:
    """Frames where each action type may be injected: a face, and for lid raises open eyes."""
    iod = np.where(face, _iod(points), 1.0)
    opening = [np.linalg.norm(points[:, _col(u)] - points[:, _col(d)], axis=1) for u, d in ((159, 145), (386, 374))]
    eyes_open = face & (np.fmin(*opening) >= 0.07 * iod)
    return {t: (eyes_open if t == "upper_lid_raise" else face) for t in ACTION_TYPES}


def plan_events(ok: dict[str, np.ndarray], fps: float, n_micro: int, n_macro: int, rng: np.random.Generator,
                types: Sequence[str] = ACTION_TYPES, amplitude: tuple[float, float] = AMPLITUDE_IOD,
                unilateral: float = 0.0, start_s: float = 2.5, gap_s: float = 3.0, margin_s: float = 0.5,
                attempts: int = 50) -> list[Event]:
    """Random, non-overlapping events (>= `gap_s` apart, none before `start_s`), each where `ok[type]`
    holds for the whole event +- `margin_s`. Apexes fall on frames. Deterministic for a given `rng` state."""
    n = len(next(iter(ok.values())))
    specs = []  # drawn first and in a fixed order, so placement retries do not change them
    for kind, count in (("macro", n_macro), ("micro", n_micro)):
        shortest, longest = MACRO_S if kind == "macro" else MICRO_S
        for _ in range(count):
            type = str(rng.choice(list(types)))
            dur = float(np.exp(rng.uniform(np.log(shortest), np.log(longest))))  # log-uniform: as many brief as long
            amp = float(rng.uniform(*amplitude))
            side = str(rng.choice(["right", "left"])) if type != "lip_press" and rng.random() < unilateral else "both"
            specs.append((type, dur, amp, kind, side))
    bad_cum = {t: np.concatenate([[0], np.cumsum(~m)]) for t, m in ok.items()}
    times = np.arange(n) / fps
    best: list[Event] = []
    for _ in range(attempts):
        placed: list[Event] = []
        for type, dur, amp, kind, side in specs:
            proto = make_event(type, 0.0, dur, amp, kind, side)
            on, off = times + proto.onset_s, times + proto.offset_s
            lo = np.floor((on - margin_s) * fps).astype(int)
            hi = np.ceil((off + margin_s) * fps).astype(int)
            valid = (on >= start_s) & (lo >= 0) & (hi <= n - 1)
            lo_c, hi_c = np.clip(lo, 0, n - 1), np.clip(hi, 0, n - 1)
            valid &= bad_cum[type][hi_c + 1] - bad_cum[type][lo_c] == 0
            for e in placed:
                valid &= (on >= e.offset_s + gap_s) | (off <= e.onset_s - gap_s)
            candidates = np.flatnonzero(valid)
            if not len(candidates):
                break
            k = int(rng.choice(candidates))
            placed.append(make_event(type, k / fps, dur, amp, kind, side))
        if len(placed) == len(specs):
            return sorted(placed, key=lambda e: e.onset_s)
        best = max(best, placed, key=len)
    raise InjectError(f"could place only {len(best)} of {len(specs)} events ({n_micro} micro, {n_macro} macro) in "
                      f"{n / fps:.1f} s of video with a face: events need {gap_s:g} s between them, none in the "
                      f"first {start_s:g} s and a face from {margin_s:g} s before to after; ask for fewer events "
                      f"or a longer --length")


# ----------------------------------------------------------------------------------------------
# Injection.

def _event_iod(iod: np.ndarray, e: Event, fps: float) -> float:
    lo, hi = int(math.floor(e.onset_s * fps)), int(math.ceil(e.offset_s * fps))
    return float(np.nanmedian(iod[max(lo, 0):hi + 1]))


def _limit(e: Event, points: np.ndarray, fps: float) -> Event:
    """`e` with its amplitude cut to what LIMITS allow in every frame of the event (thin lips cannot thin
    much, a narrow eye cannot open much, without the warp folding or smearing)."""
    if e.type not in LIMITS:
        return e
    pairs, share = LIMITS[e.type]
    lo, hi = max(int(math.floor(e.onset_s * fps)), 0), int(math.ceil(e.offset_s * fps)) + 1
    p, iod = points[lo:hi], _iod(points[lo:hi])
    gaps = [np.linalg.norm(p[:, _col(a)] - p[:, _col(b)], axis=1) / iod for a, b in pairs]
    limit = math.floor(1e4 * share * float(np.nanmin(np.fmin.reduce(gaps)))) / 1e4
    if e.amplitude_iod <= limit:
        return e
    if limit <= 0:
        raise InjectError(f"{e.type} at {e.onset_s:.3f} s: the {'lips' if e.type == 'lip_press' else 'eyes'} "
                          f"are closed during the event, nothing to move")
    return dataclasses.replace(e, amplitude_iod=limit)


def inject(video_in: str | Path, video_out: str | Path, events: int | Sequence[Event], seed: int = 0,
           lengthen_to_s: float | None = None, *, macro: int = 0, types: Sequence[str] = ACTION_TYPES,
           amplitude: tuple[float, float] = AMPLITUDE_IOD, unilateral: float = 0.0,
           model_path: str | Path | None = None,
           progress: Callable[[str, int, int], None] | None = None) -> dict:
    """Write `video_out`, a copy of `video_in` with facial actions warped in, and return its truth dict.

    events: how many random micro events to place (plus `macro` held ones), or explicit `Event`s
      (times in the output video). Lip press and lid raise amplitudes are cut to what the face allows
      (LIMITS); the truth holds the amplitudes applied.
    lengthen_to_s: output duration; longer than the clip plays it forward then backward (ping-pong,
      no visible cut; the clip is then cached raw in a temporary file), shorter cuts it.
    The output has the source's frame size and a uniform frame rate (the source's, mp4v);
    the same video, seed and arguments give the same events and truth.
    """
    video_in, video_out = Path(video_in), Path(video_out)
    if video_out.resolve() == video_in.resolve():
        raise InjectError(f"{video_out}: the output would overwrite the input video")
    with FileSource(video_in) as src:
        cache_now = lengthen_to_s is not None and lengthen_to_s > src.info.duration_s  # container's estimate
    with tempfile.TemporaryDirectory(prefix="glimpse-inject-") as tmp:
        cache_path = Path(tmp) / "frames.raw"
        with open(cache_path, "wb") if cache_now else contextlib.nullcontext() as cache:
            track = track_video(video_in, model_path, cache, progress)
        if not track.face.any():
            raise NoFaceFound(f"{video_in}: no face in any of its {len(track)} frames; injection needs a face")
        fps, (wid, hgt) = track.fps, track.size
        n_out = len(track) if lengthen_to_s is None else max(int(round(lengthen_to_s * fps)), 1)
        order = pingpong_order(len(track), n_out)
        points = smooth_points(track.points[order], track.face[order])
        face = track.face[order]
        if isinstance(events, int):
            rng = np.random.default_rng(seed)
            planned = plan_events(_ok_frames(points, face), fps, events, macro, rng, types, amplitude, unilateral)
        else:
            planned = sorted(events, key=lambda e: e.onset_s)
            _check_explicit(planned, face, fps)
        planned = [_limit(e, points, fps) for e in planned]
        iod = np.where(face, _iod(points), np.nan)
        event_iod = [_event_iod(iod, e, fps) for e in planned]

        frames = _frames_in_order(video_in, order, cache_path, (hgt, wid))
        video_out.parent.mkdir(parents=True, exist_ok=True)
        writer = cv2.VideoWriter(str(video_out), cv2.VideoWriter.fourcc(*"mp4v"), fps, (wid, hgt))
        if not writer.isOpened():
            raise InjectError(f"{video_out}: cannot write an mp4v video there (OpenCV/FFmpeg refused to open it)")
        try:
            for k, image in enumerate(frames):
                t = k / fps
                pulls = [Pull(e.type, e.side, e.amplitude_iod * s * e.envelope(t))
                         for e, s in zip(planned, event_iod, strict=True) if e.onset_s < t < e.end_s]
                if pulls and face[k]:
                    image = warp_frame(image, FaceFrame.from_points(_full(points[k])), pulls)
                writer.write(image)
                if progress and k % 50 == 0:
                    progress("writing", k, n_out)
        finally:
            writer.release()
    return {
        "source": video_in.name, "fps": fps, "frames": n_out, "duration_s": round(n_out / fps, 4), "seed": seed,
        "source_frames": len(track), "pingpong": n_out > len(track),
        "events": [e.to_dict() for e in planned],
    }


def _check_explicit(events: Sequence[Event], face: np.ndarray, fps: float) -> None:
    n = len(face)
    for e in events:
        lo, hi = int(math.floor(e.onset_s * fps)), int(math.ceil(e.offset_s * fps))
        if lo < 0 or hi > n - 1:
            raise InjectError(f"event {e.type} at {e.onset_s:.3f}-{e.offset_s:.3f} s is outside the video "
                              f"(0-{(n - 1) / fps:.3f} s)")
        if not face[lo:hi + 1].all():
            raise InjectError(f"event {e.type} at {e.onset_s:.3f}-{e.offset_s:.3f} s has frames without a face")


def _frames_in_order(video_in: Path, order: np.ndarray, cache_path: Path,
                     shape: tuple[int, int]) -> Iterator[np.ndarray]:
    """Decoded source frames in `order`: streamed when `order` is the plain start of the clip, else read
    from the raw frame cache at `cache_path` (written now when the first pass did not)."""
    if np.array_equal(order, np.arange(len(order))):
        count = 0
        with FileSource(video_in) as src:
            for frame, _ in zip(src, order, strict=False):  # the frames `order` names, no more
                yield frame.image
                count += 1
        if count != len(order):
            raise VideoUnreadable(f"{video_in}: decoded {count} frames on the second pass, {len(order)} on the first")
        return
    if not cache_path.exists():
        with FileSource(video_in) as src, open(cache_path, "wb") as cache:
            for frame in src:
                cache.write(np.ascontiguousarray(frame.image).tobytes())
    hgt, wid = shape
    frames = np.memmap(cache_path, np.uint8, "r").reshape(-1, hgt, wid, 3)
    if len(frames) <= order.max():
        raise VideoUnreadable(f"{video_in}: decoded {len(frames)} frames on the second pass, more on the first")
    for i in order:
        yield np.array(frames[i])


# ----------------------------------------------------------------------------------------------
# Examples for the eye, and the command line.

def write_examples(video_in: str | Path, out_dir: str | Path, amplitude_iod: float = 0.06,
                   frame_index: int | None = None, model_path: str | Path | None = None) -> list[Path]:
    """For each action type, a PNG of the face before | at apex | |difference| x 4, to check warps by eye
    (amplitudes above LIMITS are cut, as in `inject`).
    Regenerate the docs' set with:
    python -c "from app.research.inject import write_examples as w; \\
               w('tests/data/WolfgangLanger_Pexels.mp4', 'docs/inject_examples')"
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    track = track_video(video_in, model_path)
    points = smooth_points(track.points, track.face)
    with_face = np.flatnonzero(track.face)
    k = frame_index if frame_index is not None else int(with_face[len(with_face) // 2]) if len(with_face) else 0
    if not track.face[k]:
        raise NoFaceFound(f"{video_in}: no face in frame {k}")
    with FileSource(video_in) as src:
        image = next(f.image for f in src if f.index == k)
    face = FaceFrame.from_points(_full(points[k]))
    x0, y0 = np.nanmin(face.points, 0) - 0.3 * face.iod
    x1, y1 = np.nanmax(face.points, 0) + 0.3 * face.iod
    x0, y0, x1, y1 = max(int(x0), 0), max(int(y0), 0), min(int(x1), image.shape[1]), min(int(y1), image.shape[0])
    written = []
    for type in ACTION_TYPES:
        amount = min(amplitude_iod, face.limit_iod(type))
        warped = warp_frame(image, face, [Pull(type, "both", amount * face.iod)])
        after = warped[y0:y1, x0:x1]
        before = image[y0:y1, x0:x1]
        diff = np.clip(cv2.absdiff(after, before).astype(np.int32) * 4, 0, 255).astype(np.uint8)
        strip = np.vstack([np.zeros((22, 3 * before.shape[1], 3), np.uint8), np.hstack([before, after, diff])])
        label = f"{type} {amount:.3f} IOD ({amount * face.iod:.1f} px): before | apex | diff x4"
        cv2.putText(strip, label, (4, 16), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (0, 255, 255), 1, cv2.LINE_AA)
        path = out_dir / f"{type}.png"
        cv2.imwrite(str(path), strip, [cv2.IMWRITE_PNG_COMPRESSION, 9])
        written.append(path)
    return written
