"""Scoring a split against injected truth: pooled recall, false alarms per minute, by duration,
amplitude and type; sweeps and the best operating point.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from itertools import pairwise
from pathlib import Path

import numpy as np

from app.research.evaluate import (
    AMPLITUDE_BUCKETS,
    DURATION_BUCKETS,
    evaluate,
    overlaps,
)
from app.research.events import ACTION_TYPES, REGION_OF
from app.settings.schema import Settings, preset
from bench.accuracy.dataset import (
    CORE_AMPLITUDE_IOD,
    CORE_DURATION_S,
    TOLERANCE_S,
    TWO_FRAME_MAX,
    Video,
)
from bench.accuracy.spotters import SPOTTERS, EvidenceCache, RefSpotter
from bench.common.paths import DEFAULT_ROOT

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
    from app.research.inject import pingpong_order

    n_src, n_out, fps = int(truth["source_frames"]), int(truth["frames"]), float(truth["fps"])
    if n_out <= n_src or n_src < 2:
        return np.zeros(0)
    order = pingpong_order(n_src, n_out)
    k = np.flatnonzero((order == 0) | (order == n_src - 1))
    return k[(k > 0) & (k < n_out - 1)] / fps


def at_turn(m: dict, turns: np.ndarray) -> bool:
    """The moment lies within TURN_GUARD_S of a ping-pong turn (where a movement under way reverses:
    a rise-and-return made by the benchmark, not by the face)."""
    near = (m["start_s"] <= turns + TURN_GUARD_S) & (turns - TURN_GUARD_S <= m["end_s"])
    return bool(len(turns)) and bool(np.any(near))


def source_frame(t_s: float, truth: dict) -> int:
    """The base clip's frame shown at `t_s` of a ping-ponged benchmark video."""
    from app.research.inject import pingpong_order

    n_src, n_out, fps = int(truth["source_frames"]), int(truth["frames"]), float(truth["fps"])
    order = pingpong_order(n_src, n_out)
    return int(order[min(max(int(round(t_s * fps)), 0), n_out - 1)])


def distinct_places(frames: Sequence[tuple[str, int]], gap: int = 8) -> int:
    """How many separate places of the footage (base, source frame) the list holds: frames of one base
    closer than `gap` count once. Ping-pong shows each place many times."""
    count = 0
    for base in sorted({b for b, _ in frames}):
        f = sorted(k for b, k in frames if b == base)
        count += 1 + sum(1 for a, b in pairwise(f) if b - a >= gap) if f else 0
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
                           for d, m in zip(durations, moments, strict=True))
        glance_max = getattr(settings, "glance_max_s", GLANCE_MAX_DEFAULT_S)
        over_own += sum(d > (glance_max if m.get("kind") == "glance" else settings.max_duration_s) + 1e-6
                        for d, m in zip(durations, moments, strict=True))
        turns = turn_times(video.truth)
        if video.natural:
            fa_nat += len(moments)
            turns_nat += sum(at_turn(m, turns) for m in moments)
            places += [(video.plan.base.name, source_frame((m["start_s"] + m["end_s"]) / 2, video.truth))
                       for m in moments]
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
        "by_duration": _by(events, lambda e: _bucket(e["duration_s"], DURATION_BUCKETS),
                           [b[0] for b in DURATION_BUCKETS]),
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
