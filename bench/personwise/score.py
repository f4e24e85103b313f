"""Scoring one person's clips under one settings: additive counts, so people pool by summing.

Pure functions on plain data (moments as dicts with start_s, end_s; truth as the injector writes it).
Event matching is `app.evaluate`'s (a moment hits an event when it overlaps the event widened by the
tolerance); nothing here re-implements it.

* natural false alarms: every moment on a natural clip, unless it matches a moment labelled genuine;
  per minute of *eligible* time (face frames after the spotter's warm-up of each face run: the spotter
  cannot report during warm-up); talking / not talking by the moment's peak and by frame.
* core recall: injected brief events of 100-450 ms and >= 0.045 IOD (the definitions of the existing
  benchmark, `app/bench.py` CORE_*) that some moment hits.
* held reported: injected held expressions hit by a moment that the control (the same footage through
  the injector without events) does not also have.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, fields

import numpy as np

from app.research.evaluate import evaluate, overlaps

CORE_DURATION_S = (0.1, 0.45)  # as app/bench.py CORE_DURATION_S (not imported: app/bench* is moving)
CORE_AMPLITUDE_IOD = 0.045  # as app/bench.py CORE_AMPLITUDE_IOD
REAL_SIZE_IOD = (0.01, 0.03)  # "real-size" events: as large as real micro-expressions (issue 19)
# ... and as the tracker sees them (bench/personwise/seen.py): real ones measure mostly 1-2.5% IOD, up to 3.8%, in
# landmark space, where an injected brief event shows a median 0.44 of its amplitude
SEEN_REAL_IOD = (0.01, 0.03)
TOLERANCE_S = 0.1  # app.evaluate.evaluate's default
CAP_SLACK_S = 1e-3  # a moment this close to max_duration_s is "at the cap"


@dataclass(frozen=True)
class Counts:
    """Additive tallies of one person (or several, summed) under one settings."""

    fa: int = 0  # natural moments not labelled genuine
    fa_talk: int = 0  # ... whose peak lies in a talking span
    genuine: int = 0  # natural moments matching a label "genuine"
    unlabelled: int = 0  # natural moments with no label at all (counted in fa)
    min_total: float = 0.0  # eligible natural minutes
    min_talk: float = 0.0
    core_n: int = 0
    core_hits: int = 0
    core_hits_clean: int = 0  # ... by a moment the control does not also have (not a coincidence)
    core_talk_n: int = 0
    core_talk_hits: int = 0
    micro_n: int = 0
    micro_hits: int = 0
    real_n: int = 0  # real-size brief events (1-3% IOD, 100-450 ms), any round
    real_hits: int = 0
    real_quiet_n: int = 0  # ... while the person is not talking
    real_quiet_hits: int = 0
    seen_quiet_n: int = 0  # brief events real-size as the tracker sees them (seen.SEEN_REAL_IOD), not talking
    seen_quiet_hits: int = 0
    posed: int = 0  # moments on posed footage (mostly genuine quick faces: counted apart, not false alarms)
    posed_min: float = 0.0
    held_n: int = 0
    held_reported: int = 0
    ctl_fa: int = 0  # moments on the controls (lengthened, re-encoded footage without events)
    ctl_min: float = 0.0
    moments: int = 0  # every moment (natural + injected), for the longest-moment check
    at_cap: int = 0
    longest_s: float = 0.0

    def __add__(self, other: Counts) -> Counts:
        vals = {}
        for f in fields(self):
            a, b = getattr(self, f.name), getattr(other, f.name)
            vals[f.name] = max(a, b) if f.name == "longest_s" else a + b
        return Counts(**vals)

    @property
    def fa_per_min(self) -> float:
        return self.fa / self.min_total if self.min_total > 0 else float("nan")

    @property
    def fa_with_genuine_per_min(self) -> float:
        return (self.fa + self.genuine) / self.min_total if self.min_total > 0 else float("nan")

    @property
    def fa_talk_per_min(self) -> float:
        return self.fa_talk / self.min_talk if self.min_talk > 0 else float("nan")

    @property
    def fa_quiet_per_min(self) -> float:
        quiet = self.min_total - self.min_talk
        return (self.fa - self.fa_talk) / quiet if quiet > 0 else float("nan")

    @property
    def core_recall(self) -> float:
        return self.core_hits / self.core_n if self.core_n else float("nan")

    @property
    def core_talk_recall(self) -> float:
        return self.core_talk_hits / self.core_talk_n if self.core_talk_n else float("nan")

    @property
    def core_quiet_recall(self) -> float:
        n = self.core_n - self.core_talk_n
        return (self.core_hits - self.core_talk_hits) / n if n else float("nan")

    @property
    def micro_recall(self) -> float:
        return self.micro_hits / self.micro_n if self.micro_n else float("nan")

    @property
    def real_recall(self) -> float:
        return self.real_hits / self.real_n if self.real_n else float("nan")

    @property
    def real_quiet_recall(self) -> float:
        return self.real_quiet_hits / self.real_quiet_n if self.real_quiet_n else float("nan")

    @property
    def seen_quiet_recall(self) -> float:
        return self.seen_quiet_hits / self.seen_quiet_n if self.seen_quiet_n else float("nan")

    @property
    def posed_per_min(self) -> float:
        return self.posed / self.posed_min if self.posed_min > 0 else float("nan")

    @property
    def core_recall_clean(self) -> float:
        return self.core_hits_clean / self.core_n if self.core_n else float("nan")

    @property
    def ctl_fa_per_min(self) -> float:
        return self.ctl_fa / self.ctl_min if self.ctl_min > 0 else float("nan")

    @property
    def held_share(self) -> float:
        return self.held_reported / self.held_n if self.held_n else float("nan")


WILSON_Z = 1.96  # 95 %


def wilson(k: int, n: int, z: float = WILSON_Z) -> tuple[float, float]:
    """Wilson score interval of a proportion k/n (nan, nan without trials)."""
    if n <= 0:
        return float("nan"), float("nan")
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def total(counts: Sequence[Counts]) -> Counts:
    out = Counts()
    for c in counts:
        out = out + c
    return out


def is_core(e: dict) -> bool:
    d = e["offset_s"] - e["onset_s"]
    return (CORE_DURATION_S[0] - 1e-9 <= d <= CORE_DURATION_S[1] + 1e-9
            and (e.get("amplitude_iod") or 0.0) >= CORE_AMPLITUDE_IOD - 1e-9)


def is_brief(e: dict) -> bool:
    d = e["offset_s"] - e["onset_s"]
    return CORE_DURATION_S[0] - 1e-9 <= d <= CORE_DURATION_S[1] + 1e-9


def is_seen_real(e: dict) -> bool:
    v = e.get("seen_iod")
    return v is not None and SEEN_REAL_IOD[0] - 1e-9 <= v <= SEEN_REAL_IOD[1] + 1e-9


def is_real_size(e: dict) -> bool:
    a = e.get("amplitude_iod") or 0.0
    return is_brief(e) and REAL_SIZE_IOD[0] - 1e-9 <= a <= REAL_SIZE_IOD[1] + 1e-9


def in_spans(t: float, spans: Sequence[tuple[float, float]]) -> bool:
    return any(a <= t < b for a, b in spans)


def eligible_mask(t_s: np.ndarray, face: np.ndarray, warmup_s: float) -> np.ndarray:
    """Frames with a face at least `warmup_s` after their face run began."""
    out = np.zeros(len(t_s), bool)
    start = None
    for i in range(len(t_s)):
        if not face[i]:
            start = None
            continue
        if start is None:
            start = t_s[i]
        out[i] = t_s[i] - start >= warmup_s
    return out


def peak_of(m: dict) -> float:
    return float(m.get("peak_s", (m["start_s"] + m["end_s"]) / 2))


def cap_counts(moments: Sequence[dict], max_duration_s: float) -> Counts:
    """Only the longest-moment tallies (expressions; glances have their own longer limit)."""
    durs = [m["end_s"] - m["start_s"] for m in moments if m.get("kind", "expression") == "expression"]
    return Counts(moments=len(durs), at_cap=sum(d >= max_duration_s - CAP_SLACK_S for d in durs),
                  longest_s=max(durs, default=0.0))


def label_of(m: dict, labels: Sequence[dict]) -> dict | None:
    """The label (clip already chosen) overlapping the moment most, or None."""
    best, best_overlap = None, 0.0
    for lab in labels:
        o = min(m["end_s"], lab["end_s"]) - max(m["start_s"], lab["start_s"])
        if o > best_overlap or (best is None and overlaps(m["start_s"], m["end_s"], lab["start_s"], lab["end_s"])):
            best, best_overlap = lab, max(o, 0.0)
    return best


def natural_counts(moments: Sequence[dict], t_s: np.ndarray, face: np.ndarray, fps: float, warmup_s: float,
                   talking: Sequence[tuple[float, float]], labels: Sequence[dict], max_duration_s: float) -> Counts:
    """One natural clip played once. `labels`: this clip's moment labels (label "genuine" or another)."""
    ok = eligible_mask(t_s, face, warmup_s)
    talk = np.array([in_spans(float(t), talking) for t in t_s], bool)
    fa = fa_talk = genuine = unlabelled = 0
    for m in moments:
        lab = label_of(m, labels)
        if lab is not None and lab["label"] == "genuine":
            genuine += 1
            continue
        unlabelled += lab is None
        fa += 1
        fa_talk += in_spans(peak_of(m), talking)
    c = Counts(fa=fa, fa_talk=fa_talk, genuine=genuine, unlabelled=unlabelled,
               min_total=float(ok.sum()) / fps / 60.0, min_talk=float((ok & talk).sum()) / fps / 60.0)
    return c + cap_counts(moments, max_duration_s)


def posed_counts(moments: Sequence[dict], t_s: np.ndarray, face: np.ndarray, fps: float, warmup_s: float) -> Counts:
    """A posed clip played once: its moments per eligible minute, apart from the false alarms."""
    return Counts(posed=len(moments), posed_min=float(eligible_mask(t_s, face, warmup_s).sum()) / fps / 60.0)


def control_counts(moments: Sequence[dict], t_s: np.ndarray, face: np.ndarray, fps: float, warmup_s: float) -> Counts:
    """A control clip: every moment is false (no events, no labels), per eligible minute."""
    return Counts(ctl_fa=len(moments), ctl_min=float(eligible_mask(t_s, face, warmup_s).sum()) / fps / 60.0)


def injected_counts(truth: dict, moments: Sequence[dict], control: Sequence[dict], talking_at, max_duration_s: float,
                    tolerance_s: float = TOLERANCE_S) -> Counts:
    """One injected clip. `control`: moments on the same footage without events; `talking_at(t)`: whether
    output time t shows the person talking."""
    r = evaluate(truth, list(moments), float(truth["duration_s"]), tolerance_s)
    micro = r["events"]
    core = [e for e in micro if is_core(e)]
    core_talk = [e for e in core if talking_at((e["onset_s"] + e["offset_s"]) / 2)]
    real_quiet = [e for e in micro if is_real_size(e) and not talking_at((e["onset_s"] + e["offset_s"]) / 2)]
    # the scored events keep no extra keys: the truth's micro events, in the same order, say how large each looked
    seen = [is_seen_real(t) for t in truth["events"] if t["kind"] == "micro"]
    seen_quiet = [e for e, s in zip(micro, seen, strict=True)
                  if s and is_brief(e) and not talking_at((e["onset_s"] + e["offset_s"]) / 2)]

    def near(m: dict, e: dict) -> bool:
        return overlaps(m["start_s"], m["end_s"], e["onset_s"] - tolerance_s, e["offset_s"] + tolerance_s)

    def in_control(m: dict) -> bool:
        return any(overlaps(m["start_s"], m["end_s"], c["start_s"], c["end_s"]) for c in control)

    macro = [e for e in truth["events"] if e["kind"] == "macro"]
    held = sum(any(near(m, e) and not in_control(m) for m in moments) for e in macro)
    clean = sum(any(near(m, e) and not in_control(m) for m in moments) for e in core)
    c = Counts(core_n=len(core), core_hits=sum(e["hit"] for e in core), core_hits_clean=clean, core_talk_n=len(core_talk),
               core_talk_hits=sum(e["hit"] for e in core_talk), micro_n=len(micro),
               micro_hits=sum(e["hit"] for e in micro), held_n=len(macro), held_reported=held,
               real_n=sum(is_real_size(e) for e in micro), real_hits=sum(e["hit"] for e in micro if is_real_size(e)),
               real_quiet_n=len(real_quiet), real_quiet_hits=sum(e["hit"] for e in real_quiet),
               seen_quiet_n=len(seen_quiet), seen_quiet_hits=sum(e["hit"] for e in seen_quiet))
    return c + cap_counts(moments, max_duration_s)


def core_by_type(truth: dict, moments: Sequence[dict], tolerance_s: float = TOLERANCE_S) -> dict[str, list[int]]:
    """Injected type -> [core events, core events hit] of one clip."""
    r = evaluate(truth, list(moments), float(truth["duration_s"]), tolerance_s)
    out: dict[str, list[int]] = {}
    for e in r["events"]:
        if is_core(e):
            row = out.setdefault(e["type"], [0, 0])
            row[0] += 1
            row[1] += int(e["hit"])
    return out


def add_types(a: dict[str, list[int]], b: dict[str, list[int]]) -> dict[str, list[int]]:
    out = {k: list(v) for k, v in a.items()}
    for k, (n, h) in b.items():
        row = out.setdefault(k, [0, 0])
        row[0] += n
        row[1] += h
    return out
