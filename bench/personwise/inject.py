"""Brief and held expressions warped into every person's footage by the app's injector, with controls.

For each `InjectSource` we plan explicit events (deterministic: the seed comes from the clip's name),
spread at random over the whole clip, talking stretches included: brief ones 67-500 ms (log-uniform),
every injector type in turn, amplitudes uniform in `AMPLITUDE_IOD`, a fifth of them one-sided;
held ones 1-3 s. Real-size rounds add brief events only, as small as real micro-expressions (1-3.5% IOD)
and returning part way as real ones do. `app.research.inject.inject` writes the injected clip; the *control* is the same clip through
the same injector with no events (same ping-pong, same re-encode), so "what the footage does by
itself" is measured on identical pixels minus the warps. Both are tracked once and cached.
"""

from __future__ import annotations

import hashlib
import json
import math
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from app.research.events import REAL_AMPLITUDE_IOD, REAL_RESIDUALS, RESIDUAL_FADE_S
from app.research.inject import ACTION_TYPES, LIMITS, Event, inject, make_event, pingpong_order
from app.system.files import write_atomic
from bench.personwise.data import InjectSource
from bench.personwise.track import RawTrack, file_digest, tracked

INJECT_DIR = Path("out/personwise/injected")
MICRO_S = (0.067, 0.5)
REAL_MICRO_S = (0.1, 0.5)  # real-size rounds: as long as real micro-expressions
REAL_SLACK_S = 0.5  # room per real-size event beyond its length, fade and gap (random placement)
MACRO_S = (1.0, 3.0)
AMPLITUDE_IOD = (0.02, 0.08)
MACRO_AMPLITUDE_IOD = (0.04, 0.08)
UNILATERAL_SHARE = 0.2
START_S = 3.0  # after the spotter's warm-up (2 s) and a little settling
END_MARGIN_S = 0.6
GAP_S = 2.5  # between one event's offset and the next one's onset
MIN_AMPLITUDE_IOD = 0.015  # below this a cut-down lip press / lid raise is not worth placing
EYES_OPEN_IOD = 0.07  # as the injector's own check for lid raises
PLAN_VERSION = 1


@dataclass(frozen=True)
class Injected:
    """One injected clip, its control and the map from its frames to the source's frames."""

    source: InjectSource
    round_no: int
    truth: dict
    track: RawTrack
    control: RawTrack
    order: np.ndarray  # source frame index of every output frame


def _seed(source: InjectSource, round_no: int, real: bool = False) -> int:
    tail = f":{round_no}" if round_no else ""  # round 0 keeps the first version's seed (and caches)
    return zlib.crc32(f"personwise:{Path(source.clip).name}:{PLAN_VERSION}{tail}{':real' if real else ''}".encode())


def _pixels(track: RawTrack, order: np.ndarray) -> np.ndarray:
    """(n_out, 478, 2) pixel landmarks in output order (NaN without a face)."""
    p = track.landmarks[order, :, :2] * np.array(track.size, np.float32)
    p[~track.face[order]] = np.nan
    return p


def _limit_iod(p: np.ndarray, type: str) -> float:
    """The injector's LIMITS rule on these frames: the largest amplitude it will apply."""
    if type not in LIMITS:
        return math.inf
    pairs, share = LIMITS[type]
    iod = np.linalg.norm(p[:, [33, 133]].mean(1) - p[:, [263, 362]].mean(1), axis=1)
    gaps = [np.linalg.norm(p[:, a] - p[:, b], axis=1) / iod for a, b in pairs]
    return share * float(np.nanmin(np.fmin.reduce(gaps)))


def plan(source: InjectSource, track: RawTrack, round_no: int = 0, real: bool = False) -> tuple[list[Event], np.ndarray]:
    """Explicit events for `source` (times in the output video) and the output->source frame order.
    `real`: brief events of real size (log-uniform over REAL_AMPLITUDE_IOD, 100-500 ms), each returning
    only part way as often as real ones do (a residual drawn from REAL_RESIDUALS)."""
    fps = track.fps
    n_out = len(track) if source.length_s is None else int(round(source.length_s * fps))
    order = pingpong_order(len(track), n_out)
    p = _pixels(track, order)
    face = track.face[order]
    rng = np.random.default_rng(_seed(source, round_no, real))
    specs = []
    rounds = ((("micro", source.micro, REAL_MICRO_S, REAL_AMPLITUDE_IOD),) if real else
              (("micro", source.micro, MICRO_S, AMPLITUDE_IOD), ("macro", source.macro, MACRO_S, MACRO_AMPLITUDE_IOD)))
    for kind, count, (lo, hi), amps in rounds:
        if real:  # events that return part way take longer: as many as fit
            span = n_out / fps - START_S - END_MARGIN_S
            count = min(count, int(span / (hi + RESIDUAL_FADE_S + GAP_S + REAL_SLACK_S)))
        types = list(rng.permutation(ACTION_TYPES))
        for k in range(count):
            type = str(types[k % len(types)])
            dur = float(np.exp(rng.uniform(math.log(lo), math.log(hi))))
            side = (str(rng.choice(["right", "left"])) if kind == "micro" and type != "lip_press"
                    and rng.random() < UNILATERAL_SHARE else "both")
            amp = float(np.exp(rng.uniform(*np.log(amps)))) if real else float(rng.uniform(*amps))
            residual = float(rng.choice(REAL_RESIDUALS)) if real else 0.0
            specs.append((type, dur, amp, kind, side, residual))
    specs = [specs[i] for i in rng.permutation(len(specs))]
    span = n_out / fps - START_S - END_MARGIN_S
    free = span - sum(d + GAP_S + (RESIDUAL_FADE_S if residual else 0.0) for _, d, _, _, _, residual in specs)
    if free < 0:
        raise ValueError(f"{source.clip}: {len(specs)} events do not fit in {span:.1f} s")
    shares = rng.dirichlet(np.ones(len(specs) + 1)) * free
    events, t = [], START_S
    for (type, dur, amp, kind, side, residual), extra in zip(specs, shares):
        t += extra
        proto = make_event(type, 0.0, dur, amp, kind, side)
        apex = round((t - proto.onset_s) * fps) / fps  # apexes on frames
        e = make_event(type, apex, dur, amp, kind, side, residual)
        lo, hi = int(math.floor(e.onset_s * fps)), int(math.ceil(e.offset_s * fps))
        if not face[lo:hi + 1].all():
            raise ValueError(f"{source.clip}: no face at {e.onset_s:.2f}-{e.offset_s:.2f} s")
        if type == "upper_lid_raise" and _limit_iod(p[lo:hi + 1], type) < max(MIN_AMPLITUDE_IOD, 0.4 * EYES_OPEN_IOD):
            e = make_event("brow_raise", apex, dur, amp, kind, "both", residual)
        elif _limit_iod(p[lo:hi + 1], type) < MIN_AMPLITUDE_IOD:
            e = make_event("lip_corner_pull", apex, dur, amp, kind, side, residual)
        events.append(e)
        t = e.end_s + GAP_S
    return events, order


def _key(source: InjectSource, events: list[Event] | None) -> str:
    text = json.dumps({"clip": file_digest(source.clip), "length": source.length_s,
                       "events": [e.to_dict() for e in events] if events is not None else None})
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _written(source: InjectSource, events: list[Event], tag: str, log) -> tuple[Path, dict]:
    """The injected (or control) clip and its truth, written once per plan."""
    stem = f"{Path(source.clip).stem}-{tag}-{_key(source, events)}"
    video, truth_path = INJECT_DIR / f"{stem}.mp4", INJECT_DIR / f"{stem}.json"
    if video.exists() and truth_path.exists():
        return video, json.loads(truth_path.read_text())
    log(f"  injecting {len(events)} events into {Path(source.clip).name} ({tag})")
    truth = inject(source.clip, video, events, lengthen_to_s=source.length_s)
    write_atomic(truth_path, (json.dumps(truth, indent=1) + "\n").encode())
    return video, truth


def injected(source: InjectSource, log=print) -> list[Injected]:
    """Every round planned, injected and tracked, with the one control (each step cached)."""
    src_track = tracked(source.clip, log=log)
    control_video, _ = _written(source, [], "ctl", log)
    control = tracked(control_video, log=log)
    out = []
    for k in range(source.rounds):
        events, order = plan(source, src_track, k)
        video, truth = _written(source, events, f"inj{k}" if k else "inj", log)
        out.append(Injected(source, k, truth, tracked(video, log=log), control, order))
    for k in range(source.real_rounds):
        events, order = plan(source, src_track, k, real=True)
        video, truth = _written(source, events, f"real{k}", log)
        out.append(Injected(source, source.rounds + k, truth, tracked(video, log=log), control, order))
    return out
